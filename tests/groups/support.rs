//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::{group, user};
pub use crate::common::Server;
pub use serde_json::{json, Value};

/// A signed-in user.
pub struct User {
    pub token: String,
    pub id: String,
}

impl User {
    pub fn t(&self) -> Option<&str> {
        Some(&self.token)
    }
}

pub async fn user(server: &Server, openid: &str) -> User {
    let token = server.login(openid).await;
    let id = server.user_id(&token).await;
    User { token, id }
}

pub async fn create(server: &Server, owner: &User, kind: &str, name: &str, limit: i64) -> i64 {
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

pub async fn join(server: &Server, who: &User, group: i64) -> i64 {
    let res = server
        .ok(group::JOIN, &who.token, json!({ "group_id": group }))
        .await;
    res["request_id"].as_i64().expect("request_id")
}

pub async fn process(server: &Server, manager: &User, request: i64, approve: bool) {
    server
        .ok(
            group::PROCESS,
            &manager.token,
            json!({ "request_id": request, "action": approve }),
        )
        .await;
}

/// Brings `who` into the group through a request approved by `manager`.
pub async fn admit(server: &Server, manager: &User, who: &User, group: i64) {
    let request = join(server, who, group).await;
    process(server, manager, request, true).await;
}

pub async fn switch_admin(server: &Server, creator: &User, group: i64, target: &User) -> bool {
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
pub async fn group_info(server: &Server, who: &User, group: i64) -> Value {
    server
        .ok(group::INFO_GET, &who.token, json!({ "group_id": group }))
        .await
}

pub async fn user_cnt(server: &Server, who: &User, group: i64) -> i64 {
    group_info(server, who, group).await["user_cnt"]
        .as_i64()
        .expect("user_cnt")
}

pub async fn members(server: &Server, who: &User, group: i64) -> Vec<Value> {
    server
        .ok(group::MEMBERS, &who.token, json!({ "group_id": group }))
        .await["users"]
        .as_array()
        .expect("users")
        .clone()
}

pub async fn member_ids(server: &Server, who: &User, group: i64) -> Vec<String> {
    members(server, who, group)
        .await
        .iter()
        .map(|m| m["user_id"].as_str().expect("string user_id").to_owned())
        .collect()
}

pub async fn inbox(server: &Server, who: &User) -> Vec<Value> {
    server.ok(group::JOIN_REQUESTS, &who.token, json!({})).await["join_requests"]
        .as_array()
        .expect("join_requests")
        .clone()
}

pub async fn inbox_ids(server: &Server, who: &User) -> Vec<i64> {
    let mut ids: Vec<i64> = inbox(server, who)
        .await
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

pub async fn set_account_nickname(server: &Server, who: &User, nickname: &str) {
    server
        .ok(
            "/user/info/text/setNickname",
            &who.token,
            json!({ "nickname": nickname }),
        )
        .await;
}

pub async fn account_nickname(server: &Server, who: &User) -> String {
    server.ok(user::GET_INFO, &who.token, json!({})).await["nickname"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn rate_ok(server: &Server, who: &User, group: i64, rates: Value) {
    server
        .ok(
            group::RATE,
            &who.token,
            json!({ "group_id": group, "rates": rates }),
        )
        .await;
}

/// (star_rating, rating_count) of a user as others see it.
pub async fn rating_of(server: &Server, viewer: &User, target: &User) -> (f64, i64) {
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

pub fn is_time(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.len() == 19 && t.as_bytes()[4] == b'/' && t.as_bytes()[13] == b':')
}

/// A group with a creator, an admin, an ordinary member, and an outsider who knows its id.
pub struct Team {
    pub group: i64,
    pub creator: User,
    pub admin: User,
    pub member: User,
    pub outsider: User,
}

pub async fn team(server: &Server, prefix: &str, limit: i64) -> Team {
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
