//! The intro text and the name.

use crate::support::*;

#[tokio::test]
async fn info_is_readable_by_anyone_signed_in_with_their_role() {
    let s = Setup::new("info-read").await;
    let server = &s.server;

    let seen = info(server, &s.outsider, s.group).await;
    assert_eq!(seen["id"], s.group);
    assert_eq!(seen["type"], "学习");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["user_cnt"], 3);
    assert_eq!(seen["user_limit"], 10);
    assert_eq!(seen["info"], "");
    assert_eq!(seen["dismissed"], false);
    assert_eq!(seen["my_role"], Value::Null);
    assert!(seen.as_object().unwrap().contains_key("my_role"), "{seen}");
    assert_time(&seen["time"]);

    for (token, role) in [
        (&s.creator, "creator"),
        (&s.admin, "admin"),
        (&s.member, "member"),
    ] {
        let mine = info(server, token, s.group).await;
        assert_eq!(mine["my_role"], role, "{mine}");
        // Everything but the role is the same for everyone.
        let mut without_role = mine.clone();
        without_role["my_role"] = Value::Null;
        assert_eq!(without_role, seen);
    }
    // Ids may come as decimal strings.
    let by_string = server
        .ok(group::INFO_GET, &s.member, json!({ "group_id": s.g() }))
        .await;
    assert_eq!(by_string["id"], s.group);

    // A demoted admin is a plain member again.
    let res = server
        .ok(
            "/group/internal/member/switchAdmin",
            &s.creator,
            json!({ "group_id": s.group, "user_id": s.admin_id }),
        )
        .await;
    assert_eq!(res["is_admin"], false);
    assert_eq!(info(server, &s.admin, s.group).await["my_role"], "member");

    server
        .fails(
            group::INFO_GET,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::INFO_GET, Some(&s.member), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::INFO_GET,
            Some(&s.member),
            json!({ "group_id": "abc" }),
            101,
            400,
        )
        .await;
    server
        .fails(
            group::INFO_GET,
            None,
            json!({ "group_id": s.group }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn managers_edit_the_intro() {
    let s = Setup::new("info-edit").await;
    let server = &s.server;

    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "  每周三晚上一起刷题  " }),
        )
        .await;
    assert_eq!(
        info(server, &s.outsider, s.group).await["info"],
        "每周三晚上一起刷题"
    );
    server
        .ok(
            group::INFO_EDIT,
            &s.admin,
            json!({ "group_id": s.g(), "text": "管理员写的简介" }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["info"],
        "管理员写的简介"
    );

    // Exactly 1000 characters (after trimming) is fine; the intro may be cleared.
    let longest = "简".repeat(1000);
    server
        .ok(
            group::INFO_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "text": format!(" {longest}\n") }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["info"],
        longest.as_str()
    );
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "   " }),
        )
        .await;
    assert_eq!(info(server, &s.member, s.group).await["info"], "");
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "最终简介" }),
        )
        .await;

    // Errors: too long, missing or mistyped text, no right, no group, no token.
    let cases = [
        (
            json!({ "group_id": s.group, "text": "简".repeat(1001) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "text": 5 }), 101, 400),
        (json!({ "text": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "text": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::INFO_EDIT, Some(&s.creator), body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::INFO_EDIT,
                Some(token),
                json!({ "group_id": s.group, "text": "越权" }),
                303,
                403,
            )
            .await;
    }
    server
        .fails(
            group::INFO_EDIT,
            None,
            json!({ "group_id": s.group, "text": "x" }),
            113,
            401,
        )
        .await;
    assert_eq!(info(server, &s.outsider, s.group).await["info"], "最终简介");
}

#[tokio::test]
async fn only_the_creator_renames_the_group() {
    let s = Setup::new("set-name").await;
    let server = &s.server;

    server
        .ok(
            group::SET_NAME,
            &s.creator,
            json!({ "group_id": s.group, "name": "  考研冲刺  " }),
        )
        .await;
    assert_eq!(info(server, &s.outsider, s.group).await["name"], "考研冲刺");
    let longest = "名".repeat(30);
    server
        .ok(
            group::SET_NAME,
            &s.creator,
            json!({ "group_id": s.g(), "name": longest }),
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["name"],
        longest.as_str()
    );

    for token in [&s.admin, &s.member, &s.outsider] {
        server
            .fails(
                group::SET_NAME,
                Some(token),
                json!({ "group_id": s.group, "name": "篡位" }),
                303,
                403,
            )
            .await;
    }
    let cases = [
        (
            json!({ "group_id": s.group, "name": "名".repeat(31) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "name": "   " }), 101, 400),
        (json!({ "group_id": s.group, "name": "" }), 101, 400),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "name": 7 }), 101, 400),
        (json!({ "name": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "name": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::SET_NAME, Some(&s.creator), body, code, status)
            .await;
    }
    server
        .fails(
            group::SET_NAME,
            None,
            json!({ "group_id": s.group, "name": "x" }),
            113,
            401,
        )
        .await;
    assert_eq!(
        info(server, &s.member, s.group).await["name"],
        longest.as_str()
    );
}
