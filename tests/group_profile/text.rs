//! The intro text and the name.

use crate::support::*;

#[tokio::test]
async fn info_is_readable_by_anyone_signed_in_with_their_role() {
    let s = Setup::new("info-read").await;
    let server = &s.server;

    let seen = server.group_profile(&s.outsider, s.group).await;
    assert_eq!(seen["id"], s.group);
    assert_eq!(seen["type"], "学习");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["user_cnt"], 3);
    assert_eq!(seen["user_limit"], 20);
    assert_eq!(seen["info"], "");
    assert_eq!(seen["dismissed"], false);
    assert_eq!(seen["my_role"], Value::Null);
    assert!(seen.as_object().unwrap().contains_key("my_role"), "{seen}");
    assert_time(&seen["time"]);

    for (who, role) in s.members().into_iter().zip(["creator", "admin", "member"]) {
        let mine = server.group_profile(who, s.group).await;
        assert_eq!(mine["my_role"], role, "{mine}");
        // Everything but the role is the same for everyone.
        let mut without_role = mine.clone();
        without_role["my_role"] = Value::Null;
        assert_eq!(without_role, seen);
    }
    // Ids may come as decimal strings.
    let by_string = json!({ "group_id": s.g() });
    let by_string = server.ok(group::INFO_GET, &s.member.token, by_string).await;
    assert_eq!(by_string["id"], s.group);

    // A demoted admin is a plain member again.
    assert!(!s.switch_admin().await);
    let role = server.group_profile(&s.admin, s.group).await["my_role"].clone();
    assert_eq!(role, "member");

    s.refuses_bad_group_ids(group::INFO_GET, json!({})).await;
}

/// The profile's field `field` as `who` sees it.
async fn shown(s: &Setup, who: &User, field: &str) -> Value {
    s.server.group_profile(who, s.group).await[field].clone()
}

#[tokio::test]
async fn managers_edit_the_intro() {
    let s = Setup::new("info-edit").await;
    let server = &s.server;

    // Trimmed; exactly 1000 characters (after trimming) is fine; the intro may be cleared.
    let longest = "简".repeat(1000);
    let edits = [
        (
            &s.creator,
            "  每周三晚上一起刷题  ".into(),
            "每周三晚上一起刷题",
        ),
        (&s.admin, "管理员写的简介".into(), "管理员写的简介"),
        (&s.admin, format!(" {longest}\n"), longest.as_str()),
        (&s.creator, "   ".into(), ""),
    ];
    for (who, text, intro) in edits {
        server.edit_group_intro(who, s.group, &text).await;
        assert_eq!(shown(&s, &s.outsider, "info").await, intro, "{text}");
    }
    // Ids may come as decimal strings.
    let body = json!({ "group_id": s.g(), "text": "最终简介" });
    server.ok(group::INFO_EDIT, &s.admin.token, body).await;

    // Errors: too long, missing or mistyped text, no right, a bad group id, no token.
    let cases = vec![
        (s.at(json!({ "text": "简".repeat(1001) })), 101, 400),
        (s.at(json!({})), 101, 400),
        (s.at(json!({ "text": 5 })), 101, 400),
    ];
    s.refused(group::INFO_EDIT, Some(&s.creator), cases).await;
    let body = s.at(json!({ "text": "越权" }));
    s.only_managers_may(group::INFO_EDIT, body).await;
    s.refuses_bad_group_ids(group::INFO_EDIT, json!({ "text": "x" }))
        .await;
    assert_eq!(shown(&s, &s.member, "info").await, "最终简介");
}

#[tokio::test]
async fn only_the_creator_renames_the_group() {
    let s = Setup::new("set-name").await;
    let server = &s.server;

    server
        .rename_group(&s.creator, s.group, "  考研冲刺  ")
        .await;
    assert_eq!(shown(&s, &s.outsider, "name").await, "考研冲刺");
    let longest = "名".repeat(30);
    let body = json!({ "group_id": s.g(), "name": longest });
    server.ok(group::SET_NAME, &s.creator.token, body).await;
    assert_eq!(shown(&s, &s.member, "name").await, longest.as_str());

    for who in [&s.admin, &s.member, &s.outsider] {
        let body = s.at(json!({ "name": "篡位" }));
        server.fails(group::SET_NAME, who.t(), body, 303, 403).await;
    }
    let cases = vec![
        (s.at(json!({ "name": "名".repeat(31) })), 101, 400),
        (s.at(json!({ "name": "   " })), 101, 400),
        (s.at(json!({ "name": "" })), 101, 400),
        (s.at(json!({})), 101, 400),
        (s.at(json!({ "name": 7 })), 101, 400),
    ];
    s.refused(group::SET_NAME, Some(&s.creator), cases).await;
    s.refuses_bad_group_ids(group::SET_NAME, json!({ "name": "x" }))
        .await;
    assert_eq!(shown(&s, &s.member, "name").await, longest.as_str());
}
