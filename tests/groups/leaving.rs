//! Leaving, dismissal and the rating round.

use crate::support::*;

#[tokio::test]
async fn exit_rules() {
    let server = Server::start().await;
    let t = group_roles(&server, "exit", 10).await;
    let g = json!({ "group_id": t.group });

    // The creator cannot leave; an outsider is in no group to leave.
    server
        .fails(group::EXIT, t.creator.t(), g.clone(), 315, 403)
        .await;
    server
        .fails(group::EXIT, t.outsider.t(), g.clone(), 303, 403)
        .await;
    refuses_bad_group_calls(&server, group::EXIT, &t.member, g.clone()).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);

    server.exit_group(&t.member, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);
    // No longer a member: neither the list nor leaving twice.
    for path in [group::MEMBERS, group::EXIT] {
        server.fails(path, t.member.t(), g.clone(), 303, 403).await;
    }
    // Admins may leave too, and lose the inbox.
    let x = user(&server, "exit-x").await;
    let request = server.join_group(&x, t.group).await;
    assert_eq!(inbox_ids(&server, &t.admin).await, vec![request]);
    server.exit_group(&t.admin, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 1);
    assert!(server.join_requests(&t.admin).await.is_empty());
    assert_eq!(
        member_ids(&server, &t.creator, t.group).await,
        vec![t.creator.id.clone()]
    );
    // Who left may come back.
    admit(&server, &t.creator, &t.member, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);

    // Nobody leaves a dismissed group: its members get 304, who left it 303.
    server.dismiss_group(&t.creator, t.group).await;
    for (who, code) in [(&t.member, 304), (&t.creator, 304), (&t.admin, 303)] {
        server
            .fails(group::EXIT, who.t(), g.clone(), code, 403)
            .await;
    }
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);
}

#[tokio::test]
async fn only_the_creator_dismisses() {
    let server = Server::start().await;
    let t = group_roles(&server, "dismiss", 10).await;
    let g = json!({ "group_id": t.group });
    for who in [&t.admin, &t.member, &t.outsider] {
        server
            .fails(group::DISMISS, who.t(), g.clone(), 303, 403)
            .await;
    }
    refuses_bad_group_calls(&server, group::DISMISS, &t.creator, g.clone()).await;
    // Still active: people can still join.
    let x = user(&server, "dismiss-x").await;
    admit(&server, &t.admin, &x, t.group).await;
    server.dismiss_group(&t.creator, t.group).await;
    server
        .fails(group::DISMISS, t.creator.t(), g.clone(), 304, 403)
        .await;
}

#[tokio::test]
async fn dismissed_groups_are_read_only() {
    let server = Server::start().await;
    let t = group_roles(&server, "readonly", 10).await;
    let x = user(&server, "readonly-x").await;
    let y = user(&server, "readonly-y").await;
    let g = json!({ "group_id": t.group });
    server
        .set_group_nickname(&t.member, t.group, "老成员")
        .await;
    let pending = server.join_group(&x, t.group).await;
    let all = json!({ "type": "学习", "key": "" });
    let keyed = json!({ "type": "学习", "key": "小组" });
    for body in [&all, &keyed] {
        let found = server.search_groups(&y, body.clone()).await;
        assert_eq!(found, (vec![t.group], 1), "{body}");
    }

    server.dismiss_group(&t.creator, t.group).await;

    // Gone from search.
    for body in [all, keyed] {
        let found = server.search_groups(&y, body.clone()).await;
        assert_eq!(found, (vec![], 0), "{body}");
    }

    // Pending requests were closed.
    assert!(server.join_requests(&t.creator).await.is_empty());
    assert!(server.join_requests(&t.admin).await.is_empty());
    for who in [&t.creator, &t.admin] {
        let body = json!({ "request_id": pending, "action": true });
        server.fails(group::PROCESS, who.t(), body, 313, 404).await;
    }
    // Nobody joins, not even the one whose request was closed.
    for who in [&x, &y] {
        server
            .fails(group::JOIN, who.t(), g.clone(), 304, 403)
            .await;
    }

    // Every member write is 304; outsiders writing get 303.
    let rename = json!({ "group_id": t.group, "nickname": "新名字" });
    for (path, who, body, code) in [
        (group::NICKNAME, &t.creator, &rename, 304),
        (group::NICKNAME, &t.admin, &rename, 304),
        (group::NICKNAME, &t.member, &rename, 304),
        (group::EXIT, &t.admin, &g, 304),
        (group::EXIT, &t.member, &g, 304),
        (group::DISMISS, &t.creator, &g, 304),
        (group::NICKNAME, &t.outsider, &rename, 303),
        (group::DISMISS, &t.outsider, &g, 303),
        (group::EXIT, &t.outsider, &g, 303),
    ] {
        server.fails(path, who.t(), body.clone(), code, 403).await;
    }

    // Reads still work, and nothing changed.
    let list = server.group_members(&t.member, t.group).await;
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["user_id"], t.creator.id.as_str());
    assert_eq!(entry_of(&list, &t.member)["nickname"], "老成员");
    server
        .fails(group::MEMBERS, t.outsider.t(), g.clone(), 303, 403)
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);
}

#[tokio::test]
async fn rating_errors_change_nothing() {
    let server = Server::start().await;
    let t = group_roles(&server, "rateerr", 10).await;
    let gone = user(&server, "rateerr-gone").await;
    admit(&server, &t.creator, &gone, t.group).await;
    server.exit_group(&gone, t.group).await;
    let rate = |rates: Value| json!({ "group_id": t.group, "rates": rates });
    let valid = || rate(json!([{ "user_id": t.member.id, "star_rating": 8 }]));

    // Before dismissal nobody rates.
    for who in [&t.creator, &t.admin, &t.member, &t.outsider] {
        server.fails(group::RATE, who.t(), valid(), 303, 403).await;
    }
    server.dismiss_group(&t.creator, t.group).await;

    // Outsiders and people who left cannot rate.
    for who in [&t.outsider, &gone] {
        server.fails(group::RATE, who.t(), valid(), 303, 403).await;
    }
    refuses_bad_group_calls(&server, group::RATE, &t.creator, valid()).await;

    let (m, a) = (&t.member, &t.admin);
    let cases = [
        (rate(json!([])), 101, 400),
        (json!({ "group_id": t.group }), 101, 400),
        (rate(json!("nope")), 101, 400),
        (rate(json!([7])), 101, 400),
        (rate(json!([{ "user_id": m.id }])), 101, 400),
        (rate(rates([(m, json!("很好"))])), 101, 400),
        (rate(rates([(m, json!(true))])), 101, 400),
        (rate(rates([(m, json!(null))])), 101, 400),
        (rate(json!([{ "star_rating": 5 }])), 101, 400),
        // Stars: 0 to 10.
        (rate(rates([(m, json!(11))])), 321, 400),
        (rate(rates([(m, json!(10.01))])), 321, 400),
        (rate(rates([(m, json!(-1))])), 321, 400),
        (rate(rates([(m, json!(-0.5))])), 321, 400),
        (rate(rates([(a, json!(5)), (m, json!(12))])), 321, 400),
        // Targets: self, non-members, people who left, duplicates.
        (rate(rates([(&t.creator, json!(5))])), 323, 400),
        (rate(rates([(&t.outsider, json!(5))])), 323, 400),
        (rate(rates([(&gone, json!(5))])), 323, 400),
        (
            rate(json!([{ "user_id": "nobody", "star_rating": 5 }])),
            323,
            400,
        ),
        (rate(rates([(m, json!(5)), (m, json!(6))])), 323, 400),
        (
            rate(rates([(a, json!(5)), (&t.creator, json!(6))])),
            323,
            400,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::RATE, t.creator.t(), body, code, status)
            .await;
    }

    // No failed call counted anything.
    for target in [&t.creator, &t.admin, &t.member, &t.outsider, &gone] {
        let rating = server.rating_of(&t.outsider, target).await;
        assert_eq!(rating, (0.0, 0), "{}", target.id);
    }

    // The creator still has their one call.
    let both = rates([(m, json!(8)), (a, json!(3))]);
    server.rate_group_members(&t.creator, t.group, both).await;
    assert_eq!(server.rating_of(&t.outsider, m).await, (8.0, 1));
    assert_eq!(server.rating_of(&t.outsider, a).await, (3.0, 1));
    // A second call, valid or not, is 322 and counts nothing.
    for body in [valid(), rate(rates([(a, json!(10))]))] {
        server
            .fails(group::RATE, t.creator.t(), body, 322, 409)
            .await;
    }
    assert_eq!(server.rating_of(&t.outsider, m).await, (8.0, 1));
    assert_eq!(server.rating_of(&t.outsider, a).await, (3.0, 1));
    // Other members still have theirs.
    let once = rates([(a, json!(4))]);
    server.rate_group_members(&t.member, t.group, once).await;
    assert_eq!(server.rating_of(&t.outsider, a).await, (3.5, 2));
    server
        .fails(group::RATE, t.member.t(), valid(), 322, 409)
        .await;
}

#[tokio::test]
async fn ratings_average_to_one_decimal() {
    let server = Server::start().await;
    let a = user(&server, "avg-a").await;
    let b = user(&server, "avg-b").await;
    let c = user(&server, "avg-c").await;
    let d = user(&server, "avg-d").await;
    let e = user(&server, "avg-e").await;
    let viewer = user(&server, "avg-viewer").await;
    let group = server.new_group(&a, "兴趣", "桌游局", 10).await;
    for who in [&b, &c, &d, &e] {
        admit(&server, &a, who, group).await;
    }
    server.dismiss_group(&a, group).await;
    // Stars may be integers or decimals.
    for (rater, given) in [
        (
            &a,
            rates([(&b, json!(7)), (&c, json!(8.0)), (&d, json!(0))]),
        ),
        (&b, rates([(&a, json!(10)), (&c, json!(9))])),
        (&c, rates([(&a, json!(9.5)), (&b, json!(6))])),
    ] {
        server.rate_group_members(rater, group, given).await;
    }
    // The group id may come as a decimal string.
    let by_text = json!({ "group_id": group.to_string(), "rates": rates([(&b, json!(8.5))]) });
    server.ok(group::RATE, &d.token, by_text).await;

    // a: 10, 9.5 -> 9.75 -> 9.8 ; b: 7, 6, 8.5 -> 7.1666 -> 7.2 ; c: 8, 9 -> 8.5 ;
    // d: 0 once -> 0.0 ; e: never rated.
    assert_eq!(server.rating_of(&viewer, &a).await, (9.8, 2));
    assert_eq!(server.rating_of(&viewer, &b).await, (7.2, 3));
    assert_eq!(server.rating_of(&viewer, &c).await, (8.5, 2));
    assert_eq!(server.rating_of(&viewer, &d).await, (0.0, 1));
    assert_eq!(server.rating_of(&viewer, &e).await, (0.0, 0));
    // Users see their own rating the same way.
    let own = server.own_profile(&b).await;
    assert_eq!(own["star_rating"], json!(7.2));
    assert_eq!(own["rating_count"], 3);

    // Ratings from another group add to the same totals.
    let group2 = server.new_group(&e, "兴趣", "剧本杀", 10).await;
    admit(&server, &e, &b, group2).await;
    admit(&server, &e, &c, group2).await;
    server.dismiss_group(&e, group2).await;
    let given = rates([(&b, json!(10)), (&c, json!(2))]);
    server.rate_group_members(&e, group2, given).await;
    // b: 7 + 6 + 8.5 + 10 = 31.5 / 4 = 7.875 -> 7.9 ; c: 8 + 9 + 2 = 19 / 3 = 6.333 -> 6.3
    assert_eq!(server.rating_of(&viewer, &b).await, (7.9, 4));
    assert_eq!(server.rating_of(&viewer, &c).await, (6.3, 3));
    // b rated in the first group already, but has a fresh call in the second one.
    let to_e = rates([(&e, json!(5))]);
    server.rate_group_members(&b, group2, to_e.clone()).await;
    assert_eq!(server.rating_of(&viewer, &e).await, (5.0, 1));
    let again = json!({ "group_id": group, "rates": to_e });
    server.fails(group::RATE, b.t(), again, 322, 409).await;
}

#[tokio::test]
async fn every_endpoint_needs_a_token() {
    let server = Server::start().await;
    let body = json!({ "group_id": 1, "user_id": "u", "request_id": 1, "action": true,
        "nickname": "n", "type": "学习", "name": "n", "user_limit": 5,
        "rates": [{ "user_id": "u", "star_rating": 5 }] });
    for path in [
        group::CREATE,
        group::JOIN,
        group::JOIN_REQUESTS,
        group::PROCESS,
        group::MEMBERS,
        group::REMOVE,
        group::NICKNAME,
        group::RATE,
        group::SWITCH_ADMIN,
        group::DISMISS,
        group::EXIT,
    ] {
        server.fails(path, None, body.clone(), 113, 401).await;
    }
}
