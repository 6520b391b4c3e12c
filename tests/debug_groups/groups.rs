//! Groups, members and join requests.

use crate::support::*;

#[tokio::test]
async fn groups_are_created_renamed_and_dismissed_with_the_api_rules() {
    let server = admin_server().await;
    let owner = user(&server, "cg-owner").await;
    let asker = user(&server, "cg-asker").await;

    let target = write_ok(
        &server,
        "create",
        json!({ "table": "groups", "values": { "creator_id": owner.id, "type": "运动",
                "name": "  控制台建的群 ", "user_limit": 5 } }),
    )
    .await;
    let group = id_in(&target);
    assert_eq!(target, format!("groups:{group}"));
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(
        (
            &info["name"],
            &info["type"],
            &info["user_limit"],
            &info["user_cnt"],
            &info["my_role"]
        ),
        (
            &json!("控制台建的群"),
            &json!("运动"),
            &json!(5),
            &json!(1),
            &json!("creator")
        ),
        "{info}"
    );
    assert_eq!(search(&server, &owner, "运动", "控制台").await, [group]);

    for (values, code, status) in [
        (
            json!({ "creator_id": "nobody", "type": "运动", "name": "x", "user_limit": 5 }),
            202,
            404,
        ),
        (
            json!({ "creator_id": owner.id, "type": "桌游", "name": "x", "user_limit": 5 }),
            351,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "  ", "user_limit": 5 }),
            101,
            400,
        ),
        (
            json!({
                "creator_id": owner.id, "type": "运动", "name": "名".repeat(31), "user_limit": 5
            }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x", "user_limit": 1 }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x", "user_limit": 501 }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x" }),
            101,
            400,
        ),
    ] {
        refused(
            &server,
            "create",
            json!({ "table": "groups", "values": values }),
            code,
            status,
        )
        .await;
    }
    let all = read(&server, "/debug/api/rows", &[("table", "groups")]).await;
    assert_eq!(all["total"], 1, "refused creations made no group: {all}");

    let key = json!({ "id": group });
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "name": "改过的名字" } }),
    )
    .await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "info": "  周末约球 " } }),
    )
    .await;
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(
        (&info["name"], &info["info"]),
        (&json!("改过的名字"), &json!("周末约球"))
    );
    assert_eq!(
        search(&server, &owner, "运动", "控制台").await,
        Vec::<i64>::new()
    );
    assert_eq!(search(&server, &owner, "运动", "约球").await, [group]);

    for (body, code, status) in [
        (
            json!({ "table": "groups", "key": key, "values": { "user_limit": 50 } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "creator_id": asker.id } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "name": "" } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "info": "长".repeat(1001) } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "dismissed": false } }),
            101,
            400,
        ),
        // The rename is undone with the refusal.
        (
            json!({
                "table": "groups", "key": key, "values": { "name": "半途", "dismissed": false }
            }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": { "id": 999 }, "values": { "name": "谁" } }),
            301,
            404,
        ),
    ] {
        refused(&server, "update", body, code, status).await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["group"]["name"], "改过的名字", "{view}");
    assert_eq!(view["group"]["dismissed"], Value::Null, "{view}");

    // Dismissing closes the pending requests and takes the group out of search.
    let request = server.join_group(&asker, group).await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "dismissed": true } }),
    )
    .await;
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(info["dismissed"], true, "{info}");
    assert!(is_time(
        &group_view(&server, group).await["group"]["dismissed"]
    ));
    assert!(search(&server, &owner, "运动", "约球").await.is_empty());
    let requests = rows_where(&server, "join_requests", "id", &request.to_string()).await;
    assert_eq!(requests[0]["status"], "closed", "{requests:?}");
    refused(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "dismissed": true } }),
        304,
        403,
    )
    .await;

    assert_eq!(
        audit(&server).await,
        vec![
            entry("update", &target),
            entry("update", &target),
            entry("update", &target),
            entry("create", &target),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Members and join requests
// ---------------------------------------------------------------------------------------------

/// `(user_id, nickname, is_admin)` of each member as the API lists them, sorted by user id.
async fn member_list(server: &Server, who: &User, group: i64) -> Vec<(String, String, bool)> {
    let members = server.group_members(who, group).await;
    let mut list: Vec<(String, String, bool)> = members
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["nickname"].as_str().unwrap().to_owned(),
                m["is_admin"].as_bool().unwrap(),
            )
        })
        .collect();
    list.sort();
    list
}

async fn user_cnt(server: &Server, group: i64) -> i64 {
    group_view(server, group).await["group"]["user_cnt"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn members_are_added_promoted_renamed_and_removed_and_lose_the_chat() {
    let server = admin_server().await;
    let owner = user(&server, "mem-owner").await;
    let alice = user(&server, "mem-alice").await;
    let bob = user(&server, "mem-bob").await;
    let carol = user(&server, "mem-carol").await;
    let group = server.new_group(&owner, "游戏", "三人车队", 3).await;
    let member = |who: &User| json!({ "group_id": group, "user_id": who.id });

    // Bob had asked: adding him approves his request.
    let request = server.join_group(&bob, group).await;
    let target = write_ok(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&bob) }),
    )
    .await;
    assert_eq!(target, format!("group_members:{group}/{}", bob.id));
    let row = rows_where(&server, "join_requests", "id", &request.to_string()).await;
    assert_eq!(
        (&row[0]["status"], &row[0]["processed_by"]),
        (&json!("approved"), &json!("bearer"))
    );
    assert_eq!(group_view(&server, group).await["requests"], json!([]));
    write_ok(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&alice) }),
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 3);

    for (values, code, status) in [
        (member(&carol), 314, 413),
        (member(&alice), 311, 409),
        (json!({ "group_id": group, "user_id": "nobody" }), 202, 404),
        (json!({ "group_id": 999, "user_id": carol.id }), 301, 404),
        (json!({ "group_id": group }), 101, 400),
    ] {
        refused(
            &server,
            "create",
            json!({ "table": "group_members", "values": values }),
            code,
            status,
        )
        .await;
    }
    assert_eq!(user_cnt(&server, group).await, 3);

    // Admins and in-group nicknames.
    let update = |who: &User, values: Value| {
        let key = member(who);
        json!({ "table": "group_members", "key": key, "values": values })
    };
    write_ok(
        &server,
        "update",
        update(&alice, json!({ "is_admin": true })),
    )
    .await;
    write_ok(
        &server,
        "update",
        update(&bob, json!({ "nickname": "  小鲍 " })),
    )
    .await;
    let listed = member_list(&server, &owner, group).await;
    let find = |id: &str| listed.iter().find(|m| m.0 == id).cloned().unwrap();
    assert!(find(&alice.id).2, "{listed:?}");
    assert_eq!(find(&bob.id).1, "小鲍");
    assert!(!find(&bob.id).2);
    write_ok(
        &server,
        "update",
        update(&alice, json!({ "is_admin": false, "nickname": "爱丽丝" })),
    )
    .await;
    let listed = member_list(&server, &owner, group).await;
    let alice_row = listed.iter().find(|m| m.0 == alice.id).unwrap();
    assert_eq!((alice_row.1.as_str(), alice_row.2), ("爱丽丝", false));

    for (body, code, status) in [
        (update(&owner, json!({ "is_admin": false })), 303, 403),
        (update(&carol, json!({ "is_admin": true })), 302, 404),
        (update(&carol, json!({ "nickname": "外人" })), 302, 404),
        (update(&bob, json!({ "nickname": "   " })), 201, 400),
        (update(&bob, json!({ "has_rated": true })), 101, 400),
        (update(&bob, json!({})), 101, 400),
        // Made admin, then refused for the nickname: neither stays.
        (
            update(&bob, json!({ "is_admin": true, "nickname": "" })),
            201,
            400,
        ),
        (
            json!({
                "table": "group_members",
                "key": { "group_id": 999, "user_id": bob.id },
                "values": { "is_admin": true }
            }),
            301,
            404,
        ),
    ] {
        refused(&server, "update", body, code, status).await;
    }
    let listed = member_list(&server, &owner, group).await;
    let bob_row = listed.iter().find(|m| m.0 == bob.id).unwrap();
    assert_eq!(
        (bob_row.1.as_str(), bob_row.2),
        ("小鲍", false),
        "{listed:?}"
    );

    // Removing a member ends their chat session there; the others stay connected.
    let mut s_bob = connect(&server, &bob, &group_path(group)).await;
    let mut s_alice = connect(&server, &alice, &group_path(group)).await;
    let key = |who: &User| json!({ "table": "group_members", "key": member(who) });
    let target = write_ok(&server, "delete", key(&bob)).await;
    assert_eq!(target, format!("group_members:{group}/{}", bob.id));
    closes(&mut s_bob, "the removed member").await;
    ws::quiet(&mut s_alice, QUIET, "a member who stays").await;
    ws::refused(
        &server.ws_base(),
        Some(&bob.token),
        None,
        &group_path(group),
        403,
        403,
        WAIT,
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 2);
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .all(|m| m.0 != bob.id));
    say(&mut s_alice, "还在").await;

    refused(&server, "delete", key(&owner), 303, 403).await;
    refused(&server, "delete", key(&bob), 302, 404).await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": { "id": group }, "values": { "dismissed": true } }),
    )
    .await;
    refused(&server, "delete", key(&alice), 304, 403).await;
    refused(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&carol) }),
        304,
        403,
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 2);
}

#[tokio::test]
async fn join_requests_are_approved_or_rejected_while_pending_and_while_there_is_room() {
    let server = admin_server().await;
    let owner = user(&server, "jr-owner").await;
    let first = user(&server, "jr-first").await;
    let second = user(&server, "jr-second").await;
    let late = user(&server, "jr-late").await;
    let group = server.new_group(&owner, "出行", "双人骑行", 2).await;
    let r1 = server.join_group(&first, group).await;
    let r2 = server.join_group(&second, group).await;
    let status = |id: i64, status: &str| {
        let values = json!({ "status": status });
        json!({ "table": "join_requests", "key": { "id": id }, "values": values })
    };

    let target = write_ok(&server, "update", status(r1, "approved")).await;
    assert_eq!(target, format!("join_requests:{r1}"));
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .any(|m| m.0 == first.id));
    assert_eq!(user_cnt(&server, group).await, 2);

    // The group is full: the approval is refused and the request stays pending.
    refused(&server, "update", status(r2, "approved"), 314, 413).await;
    let view = group_view(&server, group).await;
    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["requests"][0]["id"], r2);
    assert_eq!(view["requests"][0]["user_id"], second.id.as_str());

    for (action, body, code, status_code) in [
        ("update", status(r2, "closed"), 101, 400),
        (
            "update",
            json!({
                "table": "join_requests",
                "key": { "id": r2 },
                "values": { "status": "rejected", "group_id": 1 }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "join_requests", "key": { "id": r2 }, "values": {} }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "join_requests", "values": { "group_id": group, "user_id": late.id }
            }),
            101,
            400,
        ),
        ("delete", row("join_requests", r2), 101, 400),
        ("update", status(r1, "rejected"), 313, 404),
        ("update", status(999, "approved"), 313, 404),
    ] {
        refused(&server, action, body, code, status_code).await;
    }

    write_ok(&server, "update", status(r2, "rejected")).await;
    let row = rows_where(&server, "join_requests", "id", &r2.to_string()).await;
    assert_eq!(row[0]["status"], "rejected");
    assert_eq!(group_view(&server, group).await["requests"], json!([]));
    refused(&server, "update", status(r2, "approved"), 313, 404).await;
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .all(|m| m.0 != second.id));

    // A dismissed group's requests were closed with it.
    let other = server.new_group(&owner, "出行", "已解散", 10).await;
    let r3 = server.join_group(&late, other).await;
    server.dismiss_group(&owner, other).await;
    refused(&server, "update", status(r3, "approved"), 313, 404).await;
}
