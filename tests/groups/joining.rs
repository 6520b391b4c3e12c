//! Creating groups, joining them and processing join requests.

use crate::support::*;

#[tokio::test]
async fn create_makes_the_creator_the_only_member() {
    let server = Server::start().await;
    let alice = user(&server, "create-alice").await;
    server.set_account_nickname(&alice, "爱丽丝").await;

    let group = server.new_group(&alice, "运动", "  周末篮球  ", 12).await;
    let info = group_info(&server, &alice, group).await;
    assert_eq!(info["id"], group);
    assert_eq!(info["name"], "周末篮球");
    assert_eq!(info["type"], "运动");
    assert_eq!(info["user_cnt"], 1);
    assert_eq!(info["user_limit"], 12);

    let list = server.group_members(&alice, group).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["user_id"], alice.id.as_str());
    assert_eq!(list[0]["nickname"], "爱丽丝");
    assert_eq!(list[0]["is_admin"], true);
    assert_eq!(list[0]["is_creator"], true);
    assert!(is_time(&list[0]["time"]), "{}", list[0]);

    // Every default type works, and the limits are inclusive.
    let mut ids = vec![group];
    for kind in ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"] {
        ids.push(server.new_group(&alice, kind, "组", 2).await);
    }
    ids.push(
        server
            .new_group(&alice, "其他", &"名".repeat(30), 500)
            .await,
    );
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "group ids must differ: {ids:?}");
    let last = group_info(&server, &alice, *ids.last().unwrap()).await;
    assert_eq!(last["name"], "名".repeat(30));
    assert_eq!(last["user_limit"], 500);
    let mine = server.my_groups(&alice, json!({ "type": "" })).await;
    assert_eq!(mine["total"], ids.len());
}

#[tokio::test]
async fn create_errors() {
    let server = Server::start().await;
    let alice = user(&server, "create-errors").await;
    let body = |kind: Value, name: Value, limit: Value| {
        let mut body = json!({});
        for (key, value) in [("type", kind), ("name", name), ("user_limit", limit)] {
            if !value.is_null() {
                body[key] = value;
            }
        }
        body
    };
    let bad_params = [
        body(json!("学习"), json!("名".repeat(31)), json!(10)),
        body(json!("学习"), json!(""), json!(10)),
        body(json!("学习"), json!("    "), json!(10)),
        body(json!("学习"), Value::Null, json!(10)),
        body(json!("学习"), json!(5), json!(10)),
        body(json!("学习"), json!("组"), json!(1)),
        body(json!("学习"), json!("组"), json!(0)),
        body(json!("学习"), json!("组"), json!(-3)),
        body(json!("学习"), json!("组"), json!(501)),
        body(json!("学习"), json!("组"), Value::Null),
        body(json!("学习"), json!("组"), json!("many")),
        body(json!("学习"), json!("组"), json!(2.5)),
        body(json!("学习"), json!("组"), json!(true)),
        body(Value::Null, json!("组"), json!(10)),
    ];
    for bad in bad_params {
        server.fails(group::CREATE, alice.t(), bad, 101, 400).await;
    }
    for kind in ["打麻将", "", "学"] {
        let unknown = body(json!(kind), json!("组"), json!(10));
        server
            .fails(group::CREATE, alice.t(), unknown, 351, 400)
            .await;
    }
    let valid = body(json!("学习"), json!("组"), json!(10));
    server.fails(group::CREATE, None, valid, 113, 401).await;

    // Nothing was created.
    let mine = server.my_groups(&alice, json!({ "type": "" })).await;
    assert_eq!(mine["total"], 0, "{mine}");
    assert_eq!(mine["groups"], json!([]));
}

#[tokio::test]
async fn join_requests_are_approved_or_rejected() {
    let server = Server::start().await;
    let owner = user(&server, "join-owner").await;
    let bob = user(&server, "join-bob").await;
    let carol = user(&server, "join-carol").await;
    server.set_account_nickname(&bob, "鲍勃").await;
    let group = server.new_group(&owner, "游戏", "王者开黑", 5).await;

    // The id may come as a decimal string.
    let by_text = json!({ "group_id": group.to_string() });
    let bob_req = server.ok(group::JOIN, &bob.token, by_text).await["request_id"]
        .as_i64()
        .unwrap();
    let carol_req = server.join_group(&carol, group).await;
    assert_ne!(bob_req, carol_req);

    let requests = server.join_requests(&owner).await;
    assert_eq!(requests.len(), 2, "{requests:?}");
    let bob_entry = requests.iter().find(|r| r["id"] == bob_req).unwrap();
    assert_eq!(bob_entry["user_id"], bob.id.as_str());
    assert_eq!(bob_entry["nickname"], "鲍勃");
    assert_eq!(bob_entry["group_id"], group);
    assert_eq!(bob_entry["group_name"], "王者开黑");
    assert!(is_time(&bob_entry["time"]), "{bob_entry}");
    let carol_entry = requests.iter().find(|r| r["id"] == carol_req).unwrap();
    assert_eq!(carol_entry["user_id"], carol.id.as_str());
    assert_eq!(
        carol_entry["nickname"],
        account_nickname(&server, &carol).await.as_str()
    );
    // Requesters are not members yet.
    assert_not_member(&server, &bob, group).await;
    assert!(server.join_requests(&bob).await.is_empty());

    // Approve Bob: he becomes a member.
    server.process_join_request(&owner, bob_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    let list = server.group_members(&bob, group).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["user_id"], owner.id.as_str());
    assert_eq!(list[1]["user_id"], bob.id.as_str());
    assert_eq!(list[1]["nickname"], "鲍勃");
    assert_eq!(list[1]["is_admin"], false);
    assert_eq!(list[1]["is_creator"], false);
    assert_eq!(inbox_ids(&server, &owner).await, vec![carol_req]);

    // Reject Carol: she stays outside and may ask again.
    server.process_join_request(&owner, carol_req, false).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert!(server.join_requests(&owner).await.is_empty());
    assert_not_member(&server, &carol, group).await;
    let again = server.join_group(&carol, group).await;
    assert_ne!(again, carol_req);
    assert_eq!(inbox_ids(&server, &owner).await, vec![again]);

    // Processed requests are gone, as are unknown ones: 313 either way.
    for (request, action) in [
        (bob_req, true),
        (bob_req, false),
        (carol_req, true),
        (987_654, true),
    ] {
        let body = decision(request, action);
        server
            .fails(group::PROCESS, owner.t(), body, 313, 404)
            .await;
    }
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
}

#[tokio::test]
async fn process_accepts_string_and_number_actions() {
    let server = Server::start().await;
    let owner = user(&server, "action-owner").await;
    let group = server.new_group(&owner, "学习", "考研自习室", 20).await;
    let mut expected_members = 1;
    for (i, (action, approves)) in [
        (json!("true"), true),
        (json!("false"), false),
        (json!(1), true),
        (json!(0), false),
        (json!(" true "), true),
    ]
    .into_iter()
    .enumerate()
    {
        let who = user(&server, &format!("action-{i}")).await;
        let request = server.join_group(&who, group).await;
        let body = json!({ "request_id": request.to_string(), "action": action });
        server.ok(group::PROCESS, &owner.token, body).await;
        if approves {
            expected_members += 1;
        }
        let ids = member_ids(&server, &owner, group).await;
        assert_eq!(ids.contains(&who.id), approves, "action {action}");
        assert_eq!(user_cnt(&server, &owner, group).await, expected_members);
    }

    let who = user(&server, "action-bad").await;
    let request = server.join_group(&who, group).await;
    for bad in [
        json!({ "request_id": request }),
        json!({ "request_id": request, "action": null }),
        json!({ "request_id": request, "action": "yes" }),
        json!({ "request_id": request, "action": 2 }),
        json!({ "request_id": request, "action": [true] }),
        json!({ "action": true }),
        json!({ "request_id": "abc", "action": true }),
    ] {
        server.fails(group::PROCESS, owner.t(), bad, 101, 400).await;
    }
    // The bad calls left the request pending.
    assert_eq!(inbox_ids(&server, &owner).await, vec![request]);
    let approve = decision(request, true);
    server.fails(group::PROCESS, None, approve, 113, 401).await;
    assert_eq!(inbox_ids(&server, &owner).await, vec![request]);
}

#[tokio::test]
async fn join_errors() {
    let server = Server::start().await;
    let t = group_roles(&server, "joinerr", 4).await;
    let dave = user(&server, "joinerr-dave").await;
    let erin = user(&server, "joinerr-erin").await;
    let g = json!({ "group_id": t.group });

    // Members are in already (311); a second request waits with the first (312).
    for member in [&t.creator, &t.admin, &t.member] {
        server
            .fails(group::JOIN, member.t(), g.clone(), 311, 409)
            .await;
    }
    let first = server.join_group(&dave, t.group).await;
    server
        .fails(group::JOIN, dave.t(), g.clone(), 312, 409)
        .await;
    // Still just one pending request.
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![first]);

    // Fill the last slot: the group is full for newcomers.
    server.process_join_request(&t.admin, first, true).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
    server
        .fails(group::JOIN, erin.t(), g.clone(), 314, 413)
        .await;
    assert!(server.join_requests(&t.creator).await.is_empty());

    refuses_bad_group_calls(&server, group::JOIN, &erin, g).await;
    for bad in [
        json!({ "group_id": "abc" }),
        json!({ "group_id": 1.5 }),
        json!({ "group_id": [1] }),
    ] {
        server.fails(group::JOIN, erin.t(), bad, 101, 400).await;
    }

    // Dismissed groups take no requests.
    let other = server.new_group(&t.creator, "其他", "散伙饭", 10).await;
    server.dismiss_group(&t.creator, other).await;
    let body = json!({ "group_id": other });
    server.fails(group::JOIN, erin.t(), body, 304, 403).await;
}

#[tokio::test]
async fn inbox_lists_requests_of_managed_active_groups_only() {
    let server = Server::start().await;
    let t = group_roles(&server, "inbox", 10).await;
    let second = server.new_group(&t.creator, "运动", "晨跑打卡", 10).await;
    let foreign = server.new_group(&t.outsider, "运动", "夜跑", 10).await;
    let x = user(&server, "inbox-x").await;
    let y = user(&server, "inbox-y").await;

    let x_main = server.join_group(&x, t.group).await;
    let y_main = server.join_group(&y, t.group).await;
    let x_second = server.join_group(&x, second).await;
    let y_foreign = server.join_group(&y, foreign).await;

    let mut creator_sees = vec![x_main, y_main, x_second];
    creator_sees.sort();
    assert_eq!(inbox_ids(&server, &t.creator).await, creator_sees);
    // The admin manages only the first group.
    let mut admin_sees = vec![x_main, y_main];
    admin_sees.sort();
    assert_eq!(inbox_ids(&server, &t.admin).await, admin_sees);
    // Ordinary members, outsiders and requesters see nothing of it.
    assert!(server.join_requests(&t.member).await.is_empty());
    assert!(server.join_requests(&x).await.is_empty());
    assert_eq!(inbox_ids(&server, &t.outsider).await, vec![y_foreign]);

    let inbox = server.join_requests(&t.creator).await;
    let second_entry = inbox.iter().find(|r| r["id"] == x_second).unwrap();
    assert_eq!(second_entry["group_id"], second);
    assert_eq!(second_entry["group_name"], "晨跑打卡");
    assert_eq!(second_entry["user_id"], x.id.as_str());

    // An admin demoted to member loses the inbox.
    let (creator, group) = (&t.creator, t.group);
    assert!(!server.switch_group_admin(creator, group, &t.admin).await);
    assert!(server.join_requests(&t.admin).await.is_empty());
    // A member promoted gains it.
    assert!(server.switch_group_admin(creator, group, &t.member).await);
    assert_eq!(inbox_ids(&server, &t.member).await, admin_sees);

    // Requests of a dismissed group leave every inbox.
    server.dismiss_group(&t.creator, t.group).await;
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![x_second]);
    assert!(server.join_requests(&t.member).await.is_empty());

    server
        .fails(group::JOIN_REQUESTS, None, json!({}), 113, 401)
        .await;
}

#[tokio::test]
async fn only_managers_process_requests() {
    let server = Server::start().await;
    let t = group_roles(&server, "procperm", 10).await;
    let x = user(&server, "procperm-x").await;
    let y = user(&server, "procperm-y").await;
    let request = server.join_group(&x, t.group).await;

    // Neither members, outsiders, the requester nor the creator of another group.
    let elsewhere = user(&server, "procperm-elsewhere").await;
    server.new_group(&elsewhere, "学习", "别的组", 10).await;
    for who in [&t.member, &t.outsider, &x, &elsewhere] {
        for action in [true, false] {
            let body = decision(request, action);
            server.fails(group::PROCESS, who.t(), body, 303, 403).await;
        }
    }
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![request]);
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);

    // Admins may approve and reject.
    server.process_join_request(&t.admin, request, true).await;
    assert!(member_ids(&server, &t.creator, t.group)
        .await
        .contains(&x.id));
    let y_req = server.join_group(&y, t.group).await;
    server.process_join_request(&t.admin, y_req, false).await;
    assert!(!member_ids(&server, &t.creator, t.group)
        .await
        .contains(&y.id));
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
}

#[tokio::test]
async fn approving_into_a_full_group_keeps_the_request_pending() {
    let server = Server::start().await;
    let owner = user(&server, "full-owner").await;
    let a = user(&server, "full-a").await;
    let b = user(&server, "full-b").await;
    let group = server.new_group(&owner, "出行", "自驾川西", 2).await;
    let a_req = server.join_group(&a, group).await;
    let b_req = server.join_group(&b, group).await;

    server.process_join_request(&owner, a_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    let approve = decision(b_req, true);
    server
        .fails(group::PROCESS, owner.t(), approve, 314, 413)
        .await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert_eq!(inbox_ids(&server, &owner).await, vec![b_req]);
    assert!(!member_ids(&server, &owner, group).await.contains(&b.id));

    // Once someone leaves, the same request goes through.
    server.exit_group(&a, group).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 1);
    server.process_join_request(&owner, b_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert_eq!(
        member_ids(&server, &owner, group).await,
        vec![owner.id.clone(), b.id.clone()]
    );
    assert!(server.join_requests(&owner).await.is_empty());

    // Rejecting works even when the group is full.
    let c = user(&server, "full-c").await;
    server.exit_group(&b, group).await;
    let c_req = server.join_group(&c, group).await;
    admit(&server, &owner, &a, group).await;
    server.process_join_request(&owner, c_req, false).await;
    assert!(server.join_requests(&owner).await.is_empty());
}

#[tokio::test]
async fn racing_approvals_never_overfill_a_group() {
    let server = Server::start().await;
    for round in 0..5 {
        let creator = user(&server, &format!("race-{round}-creator")).await;
        let admin = user(&server, &format!("race-{round}-admin")).await;
        let x = user(&server, &format!("race-{round}-x")).await;
        let y = user(&server, &format!("race-{round}-y")).await;
        let group = server.new_group(&creator, "竞赛", "数学建模", 3).await;
        admit(&server, &creator, &admin, group).await;
        assert!(server.switch_group_admin(&creator, group, &admin).await);
        let x_req = server.join_group(&x, group).await;
        let y_req = server.join_group(&y, group).await;
        assert_eq!(user_cnt(&server, &creator, group).await, 2);

        let (by_creator, by_admin) = tokio::join!(
            server.post(
                group::PROCESS,
                Some(&creator.token),
                json!({ "request_id": x_req, "action": true }),
            ),
            server.post(
                group::PROCESS,
                Some(&admin.token),
                json!({ "request_id": y_req, "action": true }),
            ),
        );
        let outcomes = [(x_req, &x, by_creator), (y_req, &y, by_admin)];
        let winners: Vec<_> = outcomes.iter().filter(|o| o.2 .1["code"] == 0).collect();
        let losers: Vec<_> = outcomes.iter().filter(|o| o.2 .1["code"] != 0).collect();
        let answers = [&outcomes[0].2, &outcomes[1].2];
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        assert_eq!(losers.len(), 1);
        let (winner_req, winner, (status, _)) = winners[0];
        assert_eq!(*status, 200);
        let (loser_req, loser, (status, body)) = losers[0];
        assert_eq!((*status, &body["code"]), (413, &json!(314)), "{body}");
        assert_ne!(winner_req, loser_req);

        let info = group_info(&server, &creator, group).await;
        assert_eq!(info["user_cnt"], 3, "round {round}");
        assert_eq!(info["user_cnt"], info["user_limit"]);
        let ids = member_ids(&server, &creator, group).await;
        assert_eq!(ids.len(), 3);
        assert!(ids.contains(&winner.id));
        assert!(!ids.contains(&loser.id));
        assert_eq!(inbox_ids(&server, &creator).await, vec![*loser_req]);
        assert_eq!(inbox_ids(&server, &admin).await, vec![*loser_req]);
    }
}
