//! Leaving, dismissal and the rating round.

use crate::support::*;

#[tokio::test]
async fn exit_rules() {
    let server = Server::start().await;
    let t = team(&server, "exit", 10).await;
    let g = json!({ "group_id": t.group });

    server
        .fails(group::EXIT, t.creator.t(), g.clone(), 315, 403)
        .await;
    server
        .fails(group::EXIT, t.outsider.t(), g.clone(), 303, 403)
        .await;
    server
        .fails(
            group::EXIT,
            t.member.t(),
            json!({ "group_id": 919_191 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::EXIT, t.member.t(), json!({}), 101, 400)
        .await;
    server.fails(group::EXIT, None, g.clone(), 113, 401).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);

    server.ok(group::EXIT, &t.member.token, g.clone()).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);
    server
        .fails(group::MEMBERS, t.member.t(), g.clone(), 303, 403)
        .await;
    // Leaving twice: no longer a member.
    server
        .fails(group::EXIT, t.member.t(), g.clone(), 303, 403)
        .await;
    // Admins may leave too, and lose the inbox.
    let x = user(&server, "exit-x").await;
    let request = join(&server, &x, t.group).await;
    assert_eq!(inbox_ids(&server, &t.admin).await, vec![request]);
    server.ok(group::EXIT, &t.admin.token, g.clone()).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 1);
    assert!(inbox(&server, &t.admin).await.is_empty());
    assert_eq!(
        member_ids(&server, &t.creator, t.group).await,
        vec![t.creator.id.clone()]
    );
    // Who left may come back.
    admit(&server, &t.creator, &t.member, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);

    server.ok(group::DISMISS, &t.creator.token, g.clone()).await;
    server
        .fails(group::EXIT, t.member.t(), g.clone(), 304, 403)
        .await;
    server
        .fails(group::EXIT, t.creator.t(), g.clone(), 304, 403)
        .await;
    server
        .fails(group::EXIT, t.admin.t(), g.clone(), 303, 403)
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 2);
}

#[tokio::test]
async fn only_the_creator_dismisses() {
    let server = Server::start().await;
    let t = team(&server, "dismiss", 10).await;
    let g = json!({ "group_id": t.group });
    for who in [&t.admin, &t.member, &t.outsider] {
        server
            .fails(group::DISMISS, who.t(), g.clone(), 303, 403)
            .await;
    }
    server
        .fails(
            group::DISMISS,
            t.creator.t(),
            json!({ "group_id": 313_131 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::DISMISS, t.creator.t(), json!({}), 101, 400)
        .await;
    server
        .fails(group::DISMISS, None, g.clone(), 113, 401)
        .await;
    // Still active: people can still join.
    let x = user(&server, "dismiss-x").await;
    admit(&server, &t.admin, &x, t.group).await;
    server.ok(group::DISMISS, &t.creator.token, g.clone()).await;
    server
        .fails(group::DISMISS, t.creator.t(), g.clone(), 304, 403)
        .await;
}

#[tokio::test]
async fn dismissed_groups_are_read_only() {
    let server = Server::start().await;
    let t = team(&server, "readonly", 10).await;
    let x = user(&server, "readonly-x").await;
    let y = user(&server, "readonly-y").await;
    let g = json!({ "group_id": t.group });
    server
        .ok(
            group::NICKNAME,
            &t.member.token,
            json!({ "group_id": t.group, "nickname": "老成员" }),
        )
        .await;
    let pending = join(&server, &x, t.group).await;
    let search_body = json!({ "type": "学习", "key": "" });
    let found = server
        .ok(group::SEARCH, &y.token, search_body.clone())
        .await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["groups"][0]["id"], t.group);
    let keyed = server
        .ok(
            group::SEARCH,
            &y.token,
            json!({ "type": "学习", "key": "小组" }),
        )
        .await;
    assert_eq!(keyed["total"], 1, "{keyed}");

    server.ok(group::DISMISS, &t.creator.token, g.clone()).await;

    // Gone from search.
    let after = server.ok(group::SEARCH, &y.token, search_body).await;
    assert_eq!(after["total"], 0, "{after}");
    assert_eq!(after["groups"], json!([]));
    let keyed = server
        .ok(
            group::SEARCH,
            &y.token,
            json!({ "type": "学习", "key": "小组" }),
        )
        .await;
    assert_eq!(keyed["total"], 0, "{keyed}");

    // Pending requests were closed.
    assert!(inbox(&server, &t.creator).await.is_empty());
    assert!(inbox(&server, &t.admin).await.is_empty());
    for who in [&t.creator, &t.admin] {
        server
            .fails(
                group::PROCESS,
                who.t(),
                json!({ "request_id": pending, "action": true }),
                313,
                404,
            )
            .await;
    }
    // Nobody joins, not even the one whose request was closed.
    for who in [&x, &y] {
        server
            .fails(group::JOIN, who.t(), g.clone(), 304, 403)
            .await;
    }

    // Every member write is 304.
    for who in [&t.creator, &t.admin, &t.member] {
        server
            .fails(
                group::NICKNAME,
                who.t(),
                json!({ "group_id": t.group, "nickname": "新名字" }),
                304,
                403,
            )
            .await;
    }
    server
        .fails(group::EXIT, t.admin.t(), g.clone(), 304, 403)
        .await;
    server
        .fails(group::EXIT, t.member.t(), g.clone(), 304, 403)
        .await;
    server
        .fails(group::DISMISS, t.creator.t(), g.clone(), 304, 403)
        .await;
    // Outsiders writing get 303.
    server
        .fails(
            group::NICKNAME,
            t.outsider.t(),
            json!({ "group_id": t.group, "nickname": "新名字" }),
            303,
            403,
        )
        .await;
    server
        .fails(group::DISMISS, t.outsider.t(), g.clone(), 303, 403)
        .await;
    server
        .fails(group::EXIT, t.outsider.t(), g.clone(), 303, 403)
        .await;

    // Reads still work, and nothing changed.
    let list = members(&server, &t.member, t.group).await;
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["user_id"], t.creator.id.as_str());
    let me = list
        .iter()
        .find(|m| m["user_id"] == t.member.id.as_str())
        .unwrap();
    assert_eq!(me["nickname"], "老成员");
    server
        .fails(group::MEMBERS, t.outsider.t(), g.clone(), 303, 403)
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);
}

#[tokio::test]
async fn rating_errors_change_nothing() {
    let server = Server::start().await;
    let t = team(&server, "rateerr", 10).await;
    let gone = user(&server, "rateerr-gone").await;
    admit(&server, &t.creator, &gone, t.group).await;
    server
        .ok(group::EXIT, &gone.token, json!({ "group_id": t.group }))
        .await;
    let rate = |rates: Value| json!({ "group_id": t.group, "rates": rates });
    let valid = || rate(json!([{ "user_id": t.member.id, "star_rating": 8 }]));

    // Before dismissal nobody rates.
    for who in [&t.creator, &t.admin, &t.member, &t.outsider] {
        server.fails(group::RATE, who.t(), valid(), 303, 403).await;
    }
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;

    // Outsiders and people who left cannot rate.
    server
        .fails(group::RATE, t.outsider.t(), valid(), 303, 403)
        .await;
    server.fails(group::RATE, gone.t(), valid(), 303, 403).await;
    server
        .fails(
            group::RATE,
            t.creator.t(),
            json!({ "group_id": 565_656, "rates": [{ "user_id": t.member.id, "star_rating": 8 }] }),
            301,
            404,
        )
        .await;

    let m = &t.member.id;
    let a = &t.admin.id;
    let cases = [
        (rate(json!([])), 101, 400),
        (json!({ "group_id": t.group }), 101, 400),
        (rate(json!("nope")), 101, 400),
        (rate(json!([7])), 101, 400),
        (rate(json!([{ "user_id": m }])), 101, 400),
        (
            rate(json!([{ "user_id": m, "star_rating": "很好" }])),
            101,
            400,
        ),
        (
            rate(json!([{ "user_id": m, "star_rating": true }])),
            101,
            400,
        ),
        (
            rate(json!([{ "user_id": m, "star_rating": null }])),
            101,
            400,
        ),
        (rate(json!([{ "star_rating": 5 }])), 101, 400),
        (rate(json!([{ "user_id": m, "star_rating": 11 }])), 321, 400),
        (
            rate(json!([{ "user_id": m, "star_rating": 10.01 }])),
            321,
            400,
        ),
        (rate(json!([{ "user_id": m, "star_rating": -1 }])), 321, 400),
        (
            rate(json!([{ "user_id": m, "star_rating": -0.5 }])),
            321,
            400,
        ),
        (
            rate(json!([{ "user_id": a, "star_rating": 5 }, { "user_id": m, "star_rating": 12 }])),
            321,
            400,
        ),
        // Targets: self, non-members, people who left, duplicates.
        (
            rate(json!([{ "user_id": t.creator.id, "star_rating": 5 }])),
            323,
            400,
        ),
        (
            rate(json!([{ "user_id": t.outsider.id, "star_rating": 5 }])),
            323,
            400,
        ),
        (
            rate(json!([{ "user_id": gone.id, "star_rating": 5 }])),
            323,
            400,
        ),
        (
            rate(json!([{ "user_id": "nobody", "star_rating": 5 }])),
            323,
            400,
        ),
        (
            rate(json!([{ "user_id": m, "star_rating": 5 }, { "user_id": m, "star_rating": 6 }])),
            323,
            400,
        ),
        (
            rate(
                json!([{ "user_id": a, "star_rating": 5 }, { "user_id": t.creator.id, "star_rating": 6 }]),
            ),
            323,
            400,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::RATE, t.creator.t(), body, code, status)
            .await;
    }
    server.fails(group::RATE, None, valid(), 113, 401).await;

    // No failed call counted anything.
    for target in [&t.creator, &t.admin, &t.member, &t.outsider, &gone] {
        assert_eq!(
            rating_of(&server, &t.outsider, target).await,
            (0.0, 0),
            "{}",
            target.id
        );
    }

    // The creator still has their one call.
    server
        .ok(
            group::RATE,
            &t.creator.token,
            rate(json!([{ "user_id": m, "star_rating": 8 }, { "user_id": a, "star_rating": 3 }])),
        )
        .await;
    assert_eq!(rating_of(&server, &t.outsider, &t.member).await, (8.0, 1));
    assert_eq!(rating_of(&server, &t.outsider, &t.admin).await, (3.0, 1));
    // A second call, valid or not, is 322 and counts nothing.
    server
        .fails(group::RATE, t.creator.t(), valid(), 322, 409)
        .await;
    server
        .fails(
            group::RATE,
            t.creator.t(),
            rate(json!([{ "user_id": a, "star_rating": 10 }])),
            322,
            409,
        )
        .await;
    assert_eq!(rating_of(&server, &t.outsider, &t.member).await, (8.0, 1));
    assert_eq!(rating_of(&server, &t.outsider, &t.admin).await, (3.0, 1));
    // Other members still have theirs.
    server
        .ok(
            group::RATE,
            &t.member.token,
            rate(json!([{ "user_id": a, "star_rating": 4 }])),
        )
        .await;
    assert_eq!(rating_of(&server, &t.outsider, &t.admin).await, (3.5, 2));
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
    let group = create(&server, &a, "兴趣", "桌游局", 10).await;
    for who in [&b, &c, &d, &e] {
        admit(&server, &a, who, group).await;
    }
    server
        .ok(group::DISMISS, &a.token, json!({ "group_id": group }))
        .await;
    // Stars may be integers or decimals; the group id may come as a decimal string.
    rate_ok(
        &server,
        &a,
        group,
        json!([
            { "user_id": b.id, "star_rating": 7 },
            { "user_id": c.id, "star_rating": 8.0 },
            { "user_id": d.id, "star_rating": 0 }
        ]),
    )
    .await;
    rate_ok(
        &server,
        &b,
        group,
        json!([
            { "user_id": a.id, "star_rating": 10 },
            { "user_id": c.id, "star_rating": 9 }
        ]),
    )
    .await;
    rate_ok(
        &server,
        &c,
        group,
        json!([
            { "user_id": a.id, "star_rating": 9.5 },
            { "user_id": b.id, "star_rating": 6 }
        ]),
    )
    .await;
    server
        .ok(
            group::RATE,
            &d.token,
            json!({ "group_id": group.to_string(), "rates": [{ "user_id": b.id, "star_rating": 8.5 }] }),
        )
        .await;

    // a: 10, 9.5 -> 9.75 -> 9.8 ; b: 7, 6, 8.5 -> 7.1666 -> 7.2 ; c: 8, 9 -> 8.5 ;
    // d: 0 once -> 0.0 ; e: never rated.
    assert_eq!(rating_of(&server, &viewer, &a).await, (9.8, 2));
    assert_eq!(rating_of(&server, &viewer, &b).await, (7.2, 3));
    assert_eq!(rating_of(&server, &viewer, &c).await, (8.5, 2));
    assert_eq!(rating_of(&server, &viewer, &d).await, (0.0, 1));
    assert_eq!(rating_of(&server, &viewer, &e).await, (0.0, 0));
    // Users see their own rating the same way.
    let own = server.ok(user::GET_INFO, &b.token, json!({})).await;
    assert_eq!(own["star_rating"], json!(7.2));
    assert_eq!(own["rating_count"], 3);

    // Ratings from another group add to the same totals.
    let group2 = create(&server, &e, "兴趣", "剧本杀", 10).await;
    admit(&server, &e, &b, group2).await;
    admit(&server, &e, &c, group2).await;
    server
        .ok(group::DISMISS, &e.token, json!({ "group_id": group2 }))
        .await;
    server
        .ok(
            group::RATE,
            &e.token,
            json!({ "group_id": group2, "rates": [
                { "user_id": b.id, "star_rating": 10 },
                { "user_id": c.id, "star_rating": 2 }
            ] }),
        )
        .await;
    // b: 7 + 6 + 8.5 + 10 = 31.5 / 4 = 7.875 -> 7.9 ; c: 8 + 9 + 2 = 19 / 3 = 6.333 -> 6.3
    assert_eq!(rating_of(&server, &viewer, &b).await, (7.9, 4));
    assert_eq!(rating_of(&server, &viewer, &c).await, (6.3, 3));
    // b rated in the first group already, but has a fresh call in the second one.
    server
        .ok(
            group::RATE,
            &b.token,
            json!({ "group_id": group2, "rates": [{ "user_id": e.id, "star_rating": 5 }] }),
        )
        .await;
    assert_eq!(rating_of(&server, &viewer, &e).await, (5.0, 1));
    server
        .fails(
            group::RATE,
            b.t(),
            json!({ "group_id": group, "rates": [{ "user_id": e.id, "star_rating": 5 }] }),
            322,
            409,
        )
        .await;
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
