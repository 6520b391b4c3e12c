//! Writes, group types.

use crate::support::*;

/// A console write by bearer: `(status, body)`.
async fn write(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/debug/api/{action}");
    let (status, res, _) = call(
        server,
        reqwest::Method::POST,
        &path,
        Some(ADMIN),
        None,
        None,
        Some(body),
    )
    .await;
    (status, res)
}

/// An update the console must refuse with `code` and `status`.
async fn refused_update(server: &Server, body: Value, code: u64, status: u16) {
    let (got, res) = write(server, "update", body.clone()).await;
    assert_eq!(
        (got, res["code"].as_u64()),
        (status, Some(code)),
        "{body}: {res}"
    );
}

#[tokio::test]
async fn writes_follow_the_api_rules_and_are_audited() {
    let server = admin_server().await;
    let alice = user(&server, "console-alice").await;

    let (status, res) = write(
        &server,
        "update",
        json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "  控制台改名 ", "info": "简介" } }),
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let shown = server.own_profile(&alice).await;
    assert_eq!(
        (shown["nickname"].as_str(), shown["info"].as_str()),
        (Some("控制台改名"), Some("简介")),
        "{shown}"
    );

    // Refused writes change nothing and are not logged.
    for (body, code, status) in [
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "   " } }),
            201,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "x".repeat(33) } }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "新名", "openid": "stolen" } }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": "nobody" }, "values": { "nickname": "谁" } }),
            202,
            404,
        ),
        (
            json!({ "table": "private_rooms", "key": { "id": 1 }, "values": { "user_a": "x" } }),
            101,
            400,
        ),
        (
            json!({ "table": "sqlite_master", "key": {}, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": "alice", "values": {} }),
            101,
            400,
        ),
    ] {
        refused_update(&server, body, code, status).await;
    }
    let shown = server.own_profile(&alice).await;
    assert_eq!(
        shown["nickname"], "控制台改名",
        "a refused write with a valid field changed nothing"
    );

    // Tags: create, rename, delete, with the API's rules (212 empty, 211 unknown).
    let (status, res) = write(
        &server,
        "create",
        json!({ "table": "user_tags", "values": { "user_id": alice.id, "tag_text": "羽毛球" } }),
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let (status, res) = write(
        &server,
        "create",
        json!({ "table": "user_tags", "values": { "user_id": alice.id, "tag_text": " " } }),
    )
    .await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(212)), "{res}");
    let tags = server.own_personal_tags(&alice).await;
    assert_eq!(tags.as_array().unwrap().len(), 1, "{tags}");
    let tag_id = tags[0]["id"].clone();
    let (status, _) = write(
        &server,
        "update",
        json!({ "table": "user_tags", "key": { "id": tag_id }, "values": { "tag_text": "网球" } }),
    )
    .await;
    assert_eq!(status, 200);
    let tags = server.own_personal_tags(&alice).await;
    assert_eq!(tags[0]["tag_text"], "网球");
    let (status, _) = write(
        &server,
        "delete",
        json!({ "table": "user_tags", "key": { "id": tag_id } }),
    )
    .await;
    assert_eq!(status, 200);
    let tags = server.own_personal_tags(&alice).await;
    assert_eq!(tags, json!([]));
    let (status, res) = write(
        &server,
        "delete",
        json!({ "table": "user_tags", "key": { "id": tag_id } }),
    )
    .await;
    assert_eq!((status, res["code"].as_u64()), (404, Some(211)), "{res}");

    let tag = tag_id.as_i64().unwrap();
    assert_eq!(
        audit_targets(&server).await,
        vec![
            format!("bearer delete user_tags:{tag}"),
            format!("bearer update user_tags:{tag}"),
            format!("bearer create user_tags:{}", alice.id),
            format!("bearer update users:{}", alice.id),
        ]
    );

    // A cookie write needs the CSRF token.
    let (session, csrf) = sign_in(&server).await;
    let body =
        json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "跨站" } });
    for token in [None, Some(csrf.as_str())] {
        let (status, res, _) = call(
            &server,
            reqwest::Method::POST,
            "/debug/api/update",
            None,
            Some(&session),
            token,
            Some(body.clone()),
        )
        .await;
        match token {
            None => assert_eq!((status, res["code"].as_u64()), (403, Some(303)), "{res}"),
            Some(_) => assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}"),
        }
    }
    assert_eq!(server.own_profile(&alice).await["nickname"], "跨站");
}

#[tokio::test]
async fn group_types_are_kept_in_the_console() {
    let server = admin_server().await;
    let owner = user(&server, "types-owner").await;
    let create = |group_type: &'static str| {
        let (server, token) = (&server, owner.token.clone());
        async move {
            let body = json!({ "type": group_type, "name": "新类型的群", "user_limit": 10 });
            server
                .post("/group/external/group/create", Some(&token), body)
                .await
        }
    };
    let (status, res) = create("桌游").await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(351)), "{res}");

    let new_type =
        json!({ "table": "group_types", "values": { "name": " 桌游 ", "position": "8" } });
    let (status, res) = write(&server, "create", new_type.clone()).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let (status, res) = write(&server, "create", new_type).await;
    assert_eq!(
        (status, res["code"].as_u64()),
        (400, Some(101)),
        "a duplicate: {res}"
    );
    let (status, res) = create("桌游").await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");

    let key = json!({ "name": "桌游" });
    for (body, code, status) in [
        (
            json!({ "table": "group_types", "key": key, "values": { "name": "棋牌" } }),
            101,
            400,
        ),
        (
            json!({ "table": "group_types", "key": { "name": "没有" }, "values": { "position": 3 } }),
            351,
            400,
        ),
    ] {
        refused_update(&server, body, code, status).await;
    }
    let (status, _) = write(
        &server,
        "update",
        json!({ "table": "group_types", "key": key, "values": { "position": 0 } }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, res) = write(
        &server,
        "delete",
        json!({ "table": "group_types", "key": key }),
    )
    .await;
    assert_eq!(
        (status, res["code"].as_u64()),
        (400, Some(101)),
        "a type in use stays: {res}"
    );

    let spare = json!({ "table": "group_types", "values": { "name": "空的" } });
    assert_eq!(write(&server, "create", spare).await.0, 200);
    let (status, _) = write(
        &server,
        "delete",
        json!({ "table": "group_types", "key": { "name": "空的" } }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, res) = create("空的").await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(351)), "{res}");
    let (_, page) = get(
        &server,
        "/debug/api/rows?table=group_types&sort=position",
        Some(ADMIN),
    )
    .await;
    assert_eq!(page["rows"][0], json!(["桌游", 0]), "{page}");
}
