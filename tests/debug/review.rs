//! The review queue: listing reported items, and each verdict (dismiss, remove the content of a
//! user, a group or a file, mute, ban, and their lifting) with its refusals, all audited.

use crate::support::*;

/// A console write by bearer: `(status, answer)`.
async fn act(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/debug/api/review/{action}");
    let post = reqwest::Method::POST;
    let (status, res, _) = call(server, post, &path, Some(ADMIN), None, None, Some(body)).await;
    (status, res)
}

async fn act_ok(server: &Server, action: &str, body: Value) {
    let (status, res) = act(server, action, body.clone()).await;
    assert_eq!(
        (status, &res["code"]),
        (200, &json!(0)),
        "{action} {body}: {res}"
    );
}

/// The open items, by target.
async fn open_items(server: &Server) -> Vec<Value> {
    let (status, res) = get(server, "/debug/api/review", Some(ADMIN)).await;
    assert_eq!(status, 200, "{res}");
    assert_eq!(res["open"], res["items"].as_array().unwrap().len(), "{res}");
    res["items"].as_array().unwrap().clone()
}

async fn item_id(server: &Server, target: &str) -> i64 {
    open_items(server)
        .await
        .iter()
        .find(|i| i["target"] == target)
        .and_then(|i| i["id"].as_i64())
        .unwrap_or_else(|| panic!("no open item for {target}"))
}

#[tokio::test]
async fn verdicts_resolve_items_and_are_audited() {
    let server = admin_server().await;
    let alice = user(&server, "review-alice").await;
    let bob = user(&server, "review-bob").await;
    server.set_account_nickname(&alice, "广告大王").await;
    server.edit_profile_text(&alice, "加微信").await;
    server.add_personal_tag(&alice, "代写").await;
    let group = create_group(&server, &alice, "违规群").await;
    admit(&server, &alice, &bob, group).await;
    server.edit_group_intro(&alice, group, "出售答案").await;
    let file = server
        .upload_file_into(&alice, group, None, "答案.pdf", b"%PDF".to_vec())
        .await;

    server.report_user(&bob, &alice.id, "广告").await;
    server.report_group(&bob, group, "违规群组").await;
    server.report_group_file(&bob, group, file, "盗版").await;
    let items = open_items(&server).await;
    assert_eq!(items.len(), 3, "{items:?}");
    for item in &items {
        assert_eq!(item["reports"], 1, "{item}");
        assert_eq!(item["exists"], true, "{item}");
        assert_eq!(item["reasons"][0]["reporter_id"], bob.id.as_str(), "{item}");
    }

    // Dismissed: the group stays as it is; the item is resolved once.
    let dismissed = item_id(&server, &format!("group:{group}")).await;
    act_ok(&server, "dismiss", json!({ "item_id": dismissed })).await;
    let (status, res) = act(&server, "dismiss", json!({ "item_id": dismissed })).await;
    assert_eq!((status, res["code"].as_i64()), (400, Some(101)), "{res}");
    assert_eq!(server.group_profile(&bob, group).await["info"], "出售答案");

    // Removed: the user's profile goes back to the defaults.
    let user_item = item_id(&server, &format!("user:{}", alice.id)).await;
    act_ok(&server, "remove", json!({ "item_id": user_item })).await;
    let profile = server.own_profile(&alice).await;
    let default = format!("用户{}", alice.id[..6].to_ascii_uppercase());
    assert_eq!(
        (profile["nickname"].as_str(), profile["info"].as_str()),
        (Some(default.as_str()), Some("")),
        "{profile}"
    );
    assert_eq!(server.own_personal_tags(&alice).await, json!([]));

    // A group reported again opens a new item; removing it resets its name and intro.
    server.report_group(&bob, group, "还是违规").await;
    let group_item = item_id(&server, &format!("group:{group}")).await;
    assert_ne!(group_item, dismissed);
    act_ok(&server, "remove", json!({ "item_id": group_item })).await;
    let shown = server.group_profile(&bob, group).await;
    assert_eq!(
        (shown["name"].as_str(), shown["info"].as_str()),
        (Some(format!("群组{group}").as_str()), Some("")),
        "{shown}"
    );

    // A file's removal deletes it.
    let file_item = item_id(&server, &format!("file:{file}")).await;
    act_ok(&server, "remove", json!({ "item_id": file_item })).await;
    assert_eq!(
        server.list_folder(&alice, group, None).await,
        Vec::<Value>::new()
    );
    assert_eq!(open_items(&server).await, Vec::<Value>::new());

    // Mute and ban resolve the item they were given.
    server.report_user(&alice, &bob.id, "刷屏").await;
    let bob_item = item_id(&server, &format!("user:{}", bob.id)).await;
    let mute = json!({ "item_id": bob_item, "group_id": group, "user_id": bob.id, "seconds": 60 });
    act_ok(&server, "mute", mute).await;
    assert_eq!(open_items(&server).await, Vec::<Value>::new());
    server.report_user(&alice, &bob.id, "继续刷屏").await;
    let bob_item = item_id(&server, &format!("user:{}", bob.id)).await;
    let ban = json!({ "item_id": bob_item, "user_id": bob.id, "reason": "刷屏", "seconds": 3600 });
    act_ok(&server, "ban", ban).await;
    assert_eq!(open_items(&server).await, Vec::<Value>::new());
    act_ok(&server, "unban", json!({ "user_id": bob.id })).await;
    act_ok(
        &server,
        "unmute",
        json!({ "group_id": group, "user_id": bob.id }),
    )
    .await;

    let log = audit_targets(&server).await;
    for entry in [
        format!("bearer review review_items:{dismissed}"),
        format!("bearer review review_items:{user_item}"),
        format!("bearer review review_items:{group_item}"),
        format!("bearer review review_items:{file_item}"),
        format!("bearer mute mutes:{group}/{}", bob.id),
        format!("bearer ban users:{}", bob.id),
        format!("bearer unban users:{}", bob.id),
        format!("bearer unmute mutes:{group}/{}", bob.id),
    ] {
        assert!(log.contains(&entry), "{entry} not in {log:?}");
    }
}

#[tokio::test]
async fn verdicts_refuse_what_is_wrong_and_need_a_credential() {
    let server = admin_server().await;
    let alice = user(&server, "refused-alice").await;
    let group = create_group(&server, &alice, "一个群").await;
    let before = audit_targets(&server).await.len();
    let long = "长".repeat(201);
    #[rustfmt::skip]
    let refusals = [
        ("dismiss", json!({}), 101, 400),
        ("dismiss", json!({ "item_id": 99999 }), 101, 400),
        ("remove", json!({ "item_id": "x" }), 101, 400),
        ("remove", json!({ "item_id": 99999 }), 101, 400),
        ("mute", json!({ "group_id": group, "user_id": alice.id, "seconds": 0 }), 101, 400),
        ("mute", json!({ "group_id": group, "user_id": alice.id, "seconds": 2_592_001 }), 101, 400),
        ("mute", json!({ "group_id": group, "user_id": alice.id }), 101, 400),
        ("mute", json!({ "group_id": group, "seconds": 60 }), 101, 400),
        ("mute", json!({ "group_id": group + 1000, "user_id": alice.id, "seconds": 60 }), 301, 404),
        ("mute", json!({ "group_id": group, "user_id": "nobody", "seconds": 60 }), 202, 404),
        ("mute", json!({ "group_id": group, "user_id": alice.id, "seconds": 60, "item_id": 99999 }), 101, 400),
        ("unmute", json!({ "group_id": group, "user_id": alice.id }), 101, 400),
        ("ban", json!({}), 101, 400),
        ("ban", json!({ "user_id": "nobody" }), 202, 404),
        ("ban", json!({ "user_id": alice.id, "seconds": 0 }), 101, 400),
        ("ban", json!({ "user_id": alice.id, "reason": long }), 101, 400),
        ("ban", json!({ "user_id": alice.id, "item_id": 99999 }), 101, 400),
        ("unban", json!({ "user_id": alice.id }), 101, 400),
    ];
    for (action, body, code, status) in refusals {
        let (got, res) = act(&server, action, body.clone()).await;
        assert_eq!(
            (got, res["code"].as_u64()),
            (status, Some(code)),
            "{action} {body}: {res}"
        );
    }
    assert_eq!(
        audit_targets(&server).await.len(),
        before,
        "refusals are not logged"
    );
    server.own_profile(&alice).await;

    // Without a credential: 113; by cookie without the CSRF token: 303.
    let (status, res) = get(&server, "/debug/api/review", None).await;
    assert_eq!((status, res["code"].as_u64()), (401, Some(113)), "{res}");
    let (session, _csrf) = sign_in(&server).await;
    for action in ["dismiss", "remove", "mute", "unmute", "ban", "unban"] {
        let path = format!("/debug/api/review/{action}");
        let post = reqwest::Method::POST;
        let (status, res, _) = call(
            &server,
            post.clone(),
            &path,
            None,
            None,
            None,
            Some(json!({})),
        )
        .await;
        assert_eq!(
            (status, res["code"].as_u64()),
            (401, Some(113)),
            "{action}: {res}"
        );
        let (status, res, _) = call(
            &server,
            post,
            &path,
            None,
            Some(&session),
            None,
            Some(json!({})),
        )
        .await;
        assert_eq!(
            (status, res["code"].as_u64()),
            (403, Some(303)),
            "{action}: {res}"
        );
    }
}
