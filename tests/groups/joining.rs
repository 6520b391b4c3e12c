//! Creating groups, joining them and processing join requests.

use crate::support::*;

#[tokio::test]
async fn create_makes_the_creator_the_only_member() {
    let server = Server::start().await;
    let alice = user(&server, "create-alice").await;
    set_account_nickname(&server, &alice, "爱丽丝").await;

    let group = create(&server, &alice, "运动", "  周末篮球  ", 12).await;
    let info = group_info(&server, &alice, group).await;
    assert_eq!(info["id"], group);
    assert_eq!(info["name"], "周末篮球");
    assert_eq!(info["type"], "运动");
    assert_eq!(info["user_cnt"], 1);
    assert_eq!(info["user_limit"], 12);

    let list = members(&server, &alice, group).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["user_id"], alice.id.as_str());
    assert_eq!(list[0]["nickname"], "爱丽丝");
    assert_eq!(list[0]["is_admin"], true);
    assert_eq!(list[0]["is_creator"], true);
    assert!(is_time(&list[0]["time"]), "{}", list[0]);

    // Every default type works, and the limits are inclusive.
    let mut ids = vec![group];
    for kind in ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"] {
        ids.push(create(&server, &alice, kind, "组", 2).await);
    }
    ids.push(create(&server, &alice, "其他", &"名".repeat(30), 500).await);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "group ids must differ: {ids:?}");
    let last = group_info(&server, &alice, *ids.last().unwrap()).await;
    assert_eq!(last["name"], "名".repeat(30));
    assert_eq!(last["user_limit"], 500);
    let mine = server
        .ok(group::MY_GROUPS, &alice.token, json!({ "type": "" }))
        .await;
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
        server
            .fails(
                group::CREATE,
                alice.t(),
                json!({ "type": kind, "name": "组", "user_limit": 10 }),
                351,
                400,
            )
            .await;
    }
    server
        .fails(
            group::CREATE,
            None,
            json!({ "type": "学习", "name": "组", "user_limit": 10 }),
            113,
            401,
        )
        .await;

    // Nothing was created.
    let mine = server
        .ok(group::MY_GROUPS, &alice.token, json!({ "type": "" }))
        .await;
    assert_eq!(mine["total"], 0, "{mine}");
    assert_eq!(mine["groups"], json!([]));
}

#[tokio::test]
async fn join_requests_are_approved_or_rejected() {
    let server = Server::start().await;
    let owner = user(&server, "join-owner").await;
    let bob = user(&server, "join-bob").await;
    let carol = user(&server, "join-carol").await;
    set_account_nickname(&server, &bob, "鲍勃").await;
    let group = create(&server, &owner, "游戏", "王者开黑", 5).await;

    // The id may come as a decimal string.
    let bob_req = server
        .ok(
            group::JOIN,
            &bob.token,
            json!({ "group_id": group.to_string() }),
        )
        .await["request_id"]
        .as_i64()
        .unwrap();
    let carol_req = join(&server, &carol, group).await;
    assert_ne!(bob_req, carol_req);

    let requests = inbox(&server, &owner).await;
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
    server
        .fails(
            group::MEMBERS,
            bob.t(),
            json!({ "group_id": group }),
            303,
            403,
        )
        .await;
    assert!(inbox(&server, &bob).await.is_empty());

    // Approve Bob: he becomes a member.
    process(&server, &owner, bob_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    let list = members(&server, &bob, group).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["user_id"], owner.id.as_str());
    assert_eq!(list[1]["user_id"], bob.id.as_str());
    assert_eq!(list[1]["nickname"], "鲍勃");
    assert_eq!(list[1]["is_admin"], false);
    assert_eq!(list[1]["is_creator"], false);
    assert_eq!(inbox_ids(&server, &owner).await, vec![carol_req]);

    // Reject Carol: she stays outside and may ask again.
    process(&server, &owner, carol_req, false).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert!(inbox(&server, &owner).await.is_empty());
    server
        .fails(
            group::MEMBERS,
            carol.t(),
            json!({ "group_id": group }),
            303,
            403,
        )
        .await;
    let again = join(&server, &carol, group).await;
    assert_ne!(again, carol_req);
    assert_eq!(inbox_ids(&server, &owner).await, vec![again]);

    // Processed requests are gone: 313 either way.
    for (request, action) in [(bob_req, true), (bob_req, false), (carol_req, true)] {
        server
            .fails(
                group::PROCESS,
                owner.t(),
                json!({ "request_id": request, "action": action }),
                313,
                404,
            )
            .await;
    }
    server
        .fails(
            group::PROCESS,
            owner.t(),
            json!({ "request_id": 987_654, "action": true }),
            313,
            404,
        )
        .await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
}

#[tokio::test]
async fn process_accepts_string_and_number_actions() {
    let server = Server::start().await;
    let owner = user(&server, "action-owner").await;
    let group = create(&server, &owner, "学习", "考研自习室", 20).await;
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
        let request = join(&server, &who, group).await;
        server
            .ok(
                group::PROCESS,
                &owner.token,
                json!({ "request_id": request.to_string(), "action": action }),
            )
            .await;
        if approves {
            expected_members += 1;
        }
        let ids = member_ids(&server, &owner, group).await;
        assert_eq!(ids.contains(&who.id), approves, "action {action}");
        assert_eq!(user_cnt(&server, &owner, group).await, expected_members);
    }

    let who = user(&server, "action-bad").await;
    let request = join(&server, &who, group).await;
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
    server
        .fails(
            group::PROCESS,
            None,
            json!({ "request_id": request, "action": true }),
            113,
            401,
        )
        .await;
    assert_eq!(inbox_ids(&server, &owner).await, vec![request]);
}

#[tokio::test]
async fn join_errors() {
    let server = Server::start().await;
    let t = team(&server, "joinerr", 4).await;
    let dave = user(&server, "joinerr-dave").await;
    let erin = user(&server, "joinerr-erin").await;

    server
        .fails(
            group::JOIN,
            dave.t(),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    for member in [&t.creator, &t.admin, &t.member] {
        server
            .fails(
                group::JOIN,
                member.t(),
                json!({ "group_id": t.group }),
                311,
                409,
            )
            .await;
    }
    let first = join(&server, &dave, t.group).await;
    server
        .fails(
            group::JOIN,
            dave.t(),
            json!({ "group_id": t.group }),
            312,
            409,
        )
        .await;
    // Still just one pending request.
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![first]);

    // Fill the last slot: the group is full for newcomers.
    process(&server, &t.admin, first, true).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
    server
        .fails(
            group::JOIN,
            erin.t(),
            json!({ "group_id": t.group }),
            314,
            413,
        )
        .await;
    assert!(inbox(&server, &t.creator).await.is_empty());

    for bad in [
        json!({}),
        json!({ "group_id": "abc" }),
        json!({ "group_id": 1.5 }),
        json!({ "group_id": [1] }),
    ] {
        server.fails(group::JOIN, erin.t(), bad, 101, 400).await;
    }
    server
        .fails(group::JOIN, None, json!({ "group_id": t.group }), 113, 401)
        .await;

    // Dismissed groups take no requests.
    let other = create(&server, &t.creator, "其他", "散伙饭", 10).await;
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": other }),
        )
        .await;
    server
        .fails(
            group::JOIN,
            erin.t(),
            json!({ "group_id": other }),
            304,
            403,
        )
        .await;
}

#[tokio::test]
async fn inbox_lists_requests_of_managed_active_groups_only() {
    let server = Server::start().await;
    let t = team(&server, "inbox", 10).await;
    let second = create(&server, &t.creator, "运动", "晨跑打卡", 10).await;
    let foreign = create(&server, &t.outsider, "运动", "夜跑", 10).await;
    let x = user(&server, "inbox-x").await;
    let y = user(&server, "inbox-y").await;

    let x_main = join(&server, &x, t.group).await;
    let y_main = join(&server, &y, t.group).await;
    let x_second = join(&server, &x, second).await;
    let y_foreign = join(&server, &y, foreign).await;

    let mut creator_sees = vec![x_main, y_main, x_second];
    creator_sees.sort();
    assert_eq!(inbox_ids(&server, &t.creator).await, creator_sees);
    // The admin manages only the first group.
    let mut admin_sees = vec![x_main, y_main];
    admin_sees.sort();
    assert_eq!(inbox_ids(&server, &t.admin).await, admin_sees);
    // Ordinary members, outsiders and requesters see nothing of it.
    assert!(inbox(&server, &t.member).await.is_empty());
    assert!(inbox(&server, &x).await.is_empty());
    assert_eq!(inbox_ids(&server, &t.outsider).await, vec![y_foreign]);

    let second_entry = inbox(&server, &t.creator)
        .await
        .into_iter()
        .find(|r| r["id"] == x_second)
        .unwrap();
    assert_eq!(second_entry["group_id"], second);
    assert_eq!(second_entry["group_name"], "晨跑打卡");
    assert_eq!(second_entry["user_id"], x.id.as_str());

    // An admin demoted to member loses the inbox.
    assert!(!switch_admin(&server, &t.creator, t.group, &t.admin).await);
    assert!(inbox(&server, &t.admin).await.is_empty());
    // A member promoted gains it.
    assert!(switch_admin(&server, &t.creator, t.group, &t.member).await);
    assert_eq!(inbox_ids(&server, &t.member).await, admin_sees);

    // Requests of a dismissed group leave every inbox.
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![x_second]);
    assert!(inbox(&server, &t.member).await.is_empty());

    server
        .fails(group::JOIN_REQUESTS, None, json!({}), 113, 401)
        .await;
}

#[tokio::test]
async fn only_managers_process_requests() {
    let server = Server::start().await;
    let t = team(&server, "procperm", 10).await;
    let x = user(&server, "procperm-x").await;
    let y = user(&server, "procperm-y").await;
    let request = join(&server, &x, t.group).await;

    for who in [&t.member, &t.outsider, &x] {
        for action in [true, false] {
            server
                .fails(
                    group::PROCESS,
                    who.t(),
                    json!({ "request_id": request, "action": action }),
                    303,
                    403,
                )
                .await;
        }
    }
    // The creator of another group is no manager here either.
    let elsewhere = user(&server, "procperm-elsewhere").await;
    create(&server, &elsewhere, "学习", "别的组", 10).await;
    server
        .fails(
            group::PROCESS,
            elsewhere.t(),
            json!({ "request_id": request, "action": true }),
            303,
            403,
        )
        .await;
    assert_eq!(inbox_ids(&server, &t.creator).await, vec![request]);
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);

    // Admins may approve and reject.
    process(&server, &t.admin, request, true).await;
    assert!(member_ids(&server, &t.creator, t.group)
        .await
        .contains(&x.id));
    let y_req = join(&server, &y, t.group).await;
    process(&server, &t.admin, y_req, false).await;
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
    let group = create(&server, &owner, "出行", "自驾川西", 2).await;
    let a_req = join(&server, &a, group).await;
    let b_req = join(&server, &b, group).await;

    process(&server, &owner, a_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    server
        .fails(
            group::PROCESS,
            owner.t(),
            json!({ "request_id": b_req, "action": true }),
            314,
            413,
        )
        .await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert_eq!(inbox_ids(&server, &owner).await, vec![b_req]);
    assert!(!member_ids(&server, &owner, group).await.contains(&b.id));

    // Once someone leaves, the same request goes through.
    server
        .ok(group::EXIT, &a.token, json!({ "group_id": group }))
        .await;
    assert_eq!(user_cnt(&server, &owner, group).await, 1);
    process(&server, &owner, b_req, true).await;
    assert_eq!(user_cnt(&server, &owner, group).await, 2);
    assert_eq!(
        member_ids(&server, &owner, group).await,
        vec![owner.id.clone(), b.id.clone()]
    );
    assert!(inbox(&server, &owner).await.is_empty());

    // Rejecting works even when the group is full.
    let c = user(&server, "full-c").await;
    server
        .ok(group::EXIT, &b.token, json!({ "group_id": group }))
        .await;
    let c_req = join(&server, &c, group).await;
    admit(&server, &owner, &a, group).await;
    process(&server, &owner, c_req, false).await;
    assert!(inbox(&server, &owner).await.is_empty());
}

#[tokio::test]
async fn racing_approvals_never_overfill_a_group() {
    let server = Server::start().await;
    for round in 0..5 {
        let creator = user(&server, &format!("race-{round}-creator")).await;
        let admin = user(&server, &format!("race-{round}-admin")).await;
        let x = user(&server, &format!("race-{round}-x")).await;
        let y = user(&server, &format!("race-{round}-y")).await;
        let group = create(&server, &creator, "竞赛", "数学建模", 3).await;
        admit(&server, &creator, &admin, group).await;
        assert!(switch_admin(&server, &creator, group, &admin).await);
        let x_req = join(&server, &x, group).await;
        let y_req = join(&server, &y, group).await;
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
