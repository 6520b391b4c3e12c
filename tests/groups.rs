//! The group lifecycle over real HTTP: creating and joining groups, join requests, members,
//! admins, nicknames, leaving, dismissal and the rating round afterwards, with every error code
//! and the permission rules for outsiders, members, admins and the creator.

mod common;

use common::paths::{group, user};
use common::Server;
use serde_json::{json, Value};

/// A signed-in user.
struct User {
    token: String,
    id: String,
}

impl User {
    fn t(&self) -> Option<&str> {
        Some(&self.token)
    }
}

async fn user(server: &Server, openid: &str) -> User {
    let token = server.login(openid).await;
    let id = server.user_id(&token).await;
    User { token, id }
}

async fn create(server: &Server, owner: &User, kind: &str, name: &str, limit: i64) -> i64 {
    let res = server
        .ok(
            group::CREATE,
            &owner.token,
            json!({ "type": kind, "name": name, "user_limit": limit }),
        )
        .await;
    assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
    res["group_id"].as_i64().expect("group_id")
}

async fn join(server: &Server, who: &User, group: i64) -> i64 {
    let res = server
        .ok(group::JOIN, &who.token, json!({ "group_id": group }))
        .await;
    res["request_id"].as_i64().expect("request_id")
}

async fn process(server: &Server, manager: &User, request: i64, approve: bool) {
    server
        .ok(
            group::PROCESS,
            &manager.token,
            json!({ "request_id": request, "action": approve }),
        )
        .await;
}

/// Brings `who` into the group through a request approved by `manager`.
async fn admit(server: &Server, manager: &User, who: &User, group: i64) {
    let request = join(server, who, group).await;
    process(server, manager, request, true).await;
}

async fn switch_admin(server: &Server, creator: &User, group: i64, target: &User) -> bool {
    let res = server
        .ok(
            group::SWITCH_ADMIN,
            &creator.token,
            json!({ "group_id": group, "user_id": target.id }),
        )
        .await;
    res["is_admin"].as_bool().expect("is_admin")
}

/// The group as anyone sees it (user_cnt, user_limit, name, type).
async fn group_info(server: &Server, who: &User, group: i64) -> Value {
    server
        .ok(group::INFO_GET, &who.token, json!({ "group_id": group }))
        .await
}

async fn user_cnt(server: &Server, who: &User, group: i64) -> i64 {
    group_info(server, who, group).await["user_cnt"]
        .as_i64()
        .expect("user_cnt")
}

async fn members(server: &Server, who: &User, group: i64) -> Vec<Value> {
    server
        .ok(group::MEMBERS, &who.token, json!({ "group_id": group }))
        .await["users"]
        .as_array()
        .expect("users")
        .clone()
}

async fn member_ids(server: &Server, who: &User, group: i64) -> Vec<String> {
    members(server, who, group)
        .await
        .iter()
        .map(|m| m["user_id"].as_str().expect("string user_id").to_owned())
        .collect()
}

async fn inbox(server: &Server, who: &User) -> Vec<Value> {
    server.ok(group::JOIN_REQUESTS, &who.token, json!({})).await["join_requests"]
        .as_array()
        .expect("join_requests")
        .clone()
}

async fn inbox_ids(server: &Server, who: &User) -> Vec<i64> {
    let mut ids: Vec<i64> = inbox(server, who)
        .await
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

async fn set_account_nickname(server: &Server, who: &User, nickname: &str) {
    server
        .ok(
            "/user/info/text/setNickname",
            &who.token,
            json!({ "nickname": nickname }),
        )
        .await;
}

async fn account_nickname(server: &Server, who: &User) -> String {
    server.ok(user::GET_INFO, &who.token, json!({})).await["nickname"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn rate_ok(server: &Server, who: &User, group: i64, rates: Value) {
    server
        .ok(
            group::RATE,
            &who.token,
            json!({ "group_id": group, "rates": rates }),
        )
        .await;
}

/// (star_rating, rating_count) of a user as others see it.
async fn rating_of(server: &Server, viewer: &User, target: &User) -> (f64, i64) {
    let info = server
        .ok(
            user::GET_INFO,
            &viewer.token,
            json!({ "user_id": target.id }),
        )
        .await;
    (
        info["star_rating"].as_f64().expect("star_rating"),
        info["rating_count"].as_i64().expect("rating_count"),
    )
}

fn is_time(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.len() == 19 && t.as_bytes()[4] == b'/' && t.as_bytes()[13] == b':')
}

/// A group with a creator, an admin, an ordinary member, and an outsider who knows its id.
struct Team {
    group: i64,
    creator: User,
    admin: User,
    member: User,
    outsider: User,
}

async fn team(server: &Server, prefix: &str, limit: i64) -> Team {
    let creator = user(server, &format!("{prefix}-creator")).await;
    let admin = user(server, &format!("{prefix}-admin")).await;
    let member = user(server, &format!("{prefix}-member")).await;
    let outsider = user(server, &format!("{prefix}-outsider")).await;
    let group = create(server, &creator, "学习", &format!("{prefix} 小组"), limit).await;
    admit(server, &creator, &admin, group).await;
    admit(server, &creator, &member, group).await;
    assert!(switch_admin(server, &creator, group, &admin).await);
    Team {
        group,
        creator,
        admin,
        member,
        outsider,
    }
}

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

#[tokio::test]
async fn member_list_shows_roles_and_nicknames() {
    let server = Server::start().await;
    let t = team(&server, "list", 10).await;
    set_account_nickname(&server, &t.member, "账号昵称").await;
    set_account_nickname(&server, &t.admin, "管理员账号").await;
    server
        .ok(
            group::NICKNAME,
            &t.admin.token,
            json!({ "group_id": t.group, "nickname": "  组内小王  " }),
        )
        .await;

    for viewer in [&t.creator, &t.admin, &t.member] {
        let list = members(&server, viewer, t.group).await;
        assert_eq!(list.len(), 3, "{list:?}");
        assert_eq!(list[0]["user_id"], t.creator.id.as_str());
        assert_eq!(list[0]["is_creator"], true);
        assert_eq!(list[0]["is_admin"], true);
        let admin = list.iter().find(|m| m["user_id"] == t.admin.id.as_str());
        let admin = admin.unwrap();
        assert_eq!(admin["nickname"], "组内小王");
        assert_eq!(admin["is_admin"], true);
        assert_eq!(admin["is_creator"], false);
        let member = list.iter().find(|m| m["user_id"] == t.member.id.as_str());
        let member = member.unwrap();
        assert_eq!(member["nickname"], "账号昵称");
        assert_eq!(member["is_admin"], false);
        assert_eq!(member["is_creator"], false);
        for m in &list {
            assert!(m["user_id"].is_string(), "{m}");
            assert!(is_time(&m["time"]), "{m}");
        }
    }
    // The in-group nickname does not touch the account nickname.
    assert_eq!(account_nickname(&server, &t.admin).await, "管理员账号");

    // The creator stays first even after others join.
    let late = user(&server, "list-late").await;
    admit(&server, &t.admin, &late, t.group).await;
    let ids = member_ids(&server, &late, t.group).await;
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], t.creator.id);
    assert!(ids.contains(&late.id));

    server
        .fails(
            group::MEMBERS,
            t.outsider.t(),
            json!({ "group_id": t.group }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::MEMBERS,
            t.member.t(),
            json!({ "group_id": 424_242 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::MEMBERS, t.member.t(), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::MEMBERS,
            None,
            json!({ "group_id": t.group }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn set_nickname_rules() {
    let server = Server::start().await;
    let t = team(&server, "nick", 10).await;

    let nick_of = |list: &[Value], who: &User| {
        list.iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap()["nickname"]
            .clone()
    };
    for (who, nickname) in [
        (&t.creator, " 组长 "),
        (&t.admin, "\t管理\n"),
        (&t.member, "成员"),
    ] {
        server
            .ok(
                group::NICKNAME,
                &who.token,
                json!({ "group_id": t.group, "nickname": nickname }),
            )
            .await;
    }
    let list = members(&server, &t.member, t.group).await;
    assert_eq!(nick_of(&list, &t.creator), "组长");
    assert_eq!(nick_of(&list, &t.admin), "管理");
    assert_eq!(nick_of(&list, &t.member), "成员");
    // 32 characters fit; it can be changed again.
    let long = "长".repeat(32);
    server
        .ok(
            group::NICKNAME,
            &t.member.token,
            json!({ "group_id": t.group, "nickname": long }),
        )
        .await;
    assert_eq!(
        nick_of(&members(&server, &t.creator, t.group).await, &t.member),
        json!(long)
    );

    for (body, code, status) in [
        (json!({ "group_id": t.group, "nickname": "" }), 201, 400),
        (json!({ "group_id": t.group, "nickname": "   " }), 201, 400),
        (
            json!({ "group_id": t.group, "nickname": "长".repeat(33) }),
            101,
            400,
        ),
        (json!({ "group_id": t.group }), 101, 400),
        (json!({ "group_id": t.group, "nickname": 7 }), 101, 400),
        (json!({ "nickname": "小明" }), 101, 400),
    ] {
        server
            .fails(group::NICKNAME, t.member.t(), body, code, status)
            .await;
    }
    // Refused calls changed nothing.
    assert_eq!(
        nick_of(&members(&server, &t.creator, t.group).await, &t.member),
        json!(long)
    );

    server
        .fails(
            group::NICKNAME,
            t.outsider.t(),
            json!({ "group_id": t.group, "nickname": "混进来" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::NICKNAME,
            t.member.t(),
            json!({ "group_id": 515_151, "nickname": "小明" }),
            301,
            404,
        )
        .await;
    server
        .fails(
            group::NICKNAME,
            None,
            json!({ "group_id": t.group, "nickname": "小明" }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn remove_member_rules() {
    let server = Server::start().await;
    let t = team(&server, "remove", 10).await;
    let second_admin = user(&server, "remove-admin2").await;
    let m2 = user(&server, "remove-m2").await;
    let m3 = user(&server, "remove-m3").await;
    admit(&server, &t.creator, &second_admin, t.group).await;
    assert!(switch_admin(&server, &t.creator, t.group, &second_admin).await);
    admit(&server, &t.creator, &m2, t.group).await;
    admit(&server, &t.creator, &m3, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);

    let remove = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Not allowed: ordinary members and outsiders remove nobody.
    for (actor, target) in [
        (&t.member, &m2),
        (&t.member, &t.admin),
        (&t.member, &t.creator),
        (&t.outsider, &m2),
        (&t.outsider, &t.member),
    ] {
        server
            .fails(group::REMOVE, actor.t(), remove(target), 303, 403)
            .await;
    }
    // Admins remove neither the creator, nor other admins, nor themselves.
    for target in [&t.creator, &second_admin, &t.admin] {
        server
            .fails(group::REMOVE, t.admin.t(), remove(target), 303, 403)
            .await;
    }
    // The creator cannot remove themselves.
    server
        .fails(group::REMOVE, t.creator.t(), remove(&t.creator), 303, 403)
        .await;
    // Targets outside the group: 302.
    for actor in [&t.creator, &t.admin] {
        for target in [json!(t.outsider.id), json!("no-such-user"), json!(123_456)] {
            server
                .fails(
                    group::REMOVE,
                    actor.t(),
                    json!({ "group_id": t.group, "user_id": target }),
                    302,
                    404,
                )
                .await;
        }
    }
    server
        .fails(
            group::REMOVE,
            t.creator.t(),
            json!({ "group_id": 777_777, "user_id": m2.id }),
            301,
            404,
        )
        .await;
    for bad in [
        json!({ "group_id": t.group }),
        json!({ "user_id": m2.id }),
        json!({ "group_id": t.group, "user_id": true }),
    ] {
        server
            .fails(group::REMOVE, t.creator.t(), bad, 101, 400)
            .await;
    }
    server
        .fails(group::REMOVE, None, remove(&m2), 113, 401)
        .await;
    // None of that changed anything.
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);
    assert_eq!(member_ids(&server, &t.creator, t.group).await.len(), 6);

    // An admin removes an ordinary member.
    server.ok(group::REMOVE, &t.admin.token, remove(&m2)).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 5);
    assert!(!member_ids(&server, &t.creator, t.group)
        .await
        .contains(&m2.id));
    server
        .fails(
            group::MEMBERS,
            m2.t(),
            json!({ "group_id": t.group }),
            303,
            403,
        )
        .await;
    // Removing them again: no longer in the group.
    server
        .fails(group::REMOVE, t.admin.t(), remove(&m2), 302, 404)
        .await;
    // The creator removes an ordinary member and an admin.
    server
        .ok(group::REMOVE, &t.creator.token, remove(&m3))
        .await;
    server
        .ok(group::REMOVE, &t.creator.token, remove(&second_admin))
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);
    let mut ids = member_ids(&server, &t.creator, t.group).await;
    ids.sort();
    let mut expected = vec![
        t.creator.id.clone(),
        t.admin.id.clone(),
        t.member.id.clone(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    // The removed admin lost their powers.
    assert!(inbox(&server, &second_admin).await.is_empty());
    // A removed user may ask to join again.
    let back = join(&server, &m2, t.group).await;
    process(&server, &t.creator, back, true).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);

    // After dismissal: members get 304, outsiders 303.
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;
    server
        .fails(group::REMOVE, t.creator.t(), remove(&t.member), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.admin.t(), remove(&t.member), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.member.t(), remove(&m2), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.outsider.t(), remove(&t.member), 303, 403)
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
}

#[tokio::test]
async fn switch_admin_rules() {
    let server = Server::start().await;
    let t = team(&server, "switch", 10).await;
    let x = user(&server, "switch-x").await;
    let is_admin_of = |list: &[Value], who: &User| {
        list.iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap()["is_admin"]
            .clone()
    };

    // Promote the member: they now manage requests.
    assert!(switch_admin(&server, &t.creator, t.group, &t.member).await);
    let list = members(&server, &t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), true);
    let request = join(&server, &x, t.group).await;
    assert_eq!(inbox_ids(&server, &t.member).await, vec![request]);
    process(&server, &t.member, request, true).await;
    // ...and remove ordinary members.
    server
        .ok(
            group::REMOVE,
            &t.member.token,
            json!({ "group_id": t.group, "user_id": x.id }),
        )
        .await;

    // Demote them again.
    assert!(!switch_admin(&server, &t.creator, t.group, &t.member).await);
    let list = members(&server, &t.admin, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    let again = join(&server, &x, t.group).await;
    server
        .fails(
            group::PROCESS,
            t.member.t(),
            json!({ "request_id": again, "action": true }),
            303,
            403,
        )
        .await;

    let body = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Only the creator switches.
    for (actor, target) in [
        (&t.admin, &t.member),
        (&t.admin, &t.admin),
        (&t.admin, &t.creator),
        (&t.member, &t.member),
        (&t.member, &t.admin),
        (&t.outsider, &t.member),
    ] {
        server
            .fails(group::SWITCH_ADMIN, actor.t(), body(target), 303, 403)
            .await;
    }
    // The creator is always an admin.
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            body(&t.creator),
            303,
            403,
        )
        .await;
    // Non-members: 302 (x has a pending request but is no member).
    for target in [&t.outsider, &x] {
        server
            .fails(group::SWITCH_ADMIN, t.creator.t(), body(target), 302, 404)
            .await;
    }
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": t.group, "user_id": "ghost" }),
            302,
            404,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": 868_686, "user_id": t.member.id }),
            301,
            404,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": t.group }),
            101,
            400,
        )
        .await;
    server
        .fails(group::SWITCH_ADMIN, None, body(&t.member), 113, 401)
        .await;
    // Refused calls changed nothing.
    let list = members(&server, &t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    assert_eq!(is_admin_of(&list, &t.creator), true);

    // Dismissed: the creator gets 304, an outsider 303.
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            body(&t.member),
            304,
            403,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.outsider.t(),
            body(&t.member),
            303,
            403,
        )
        .await;
}

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
