//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::group;
pub use crate::common::{admit, is_time, user, Server, User};
pub use serde_json::{json, Value};

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

pub async fn member_ids(server: &Server, who: &User, group: i64) -> Vec<String> {
    let members = server.group_members(who, group).await;
    let ids = members.iter().map(|m| m["user_id"].as_str());
    ids.map(|id| id.expect("string user_id").to_owned())
        .collect()
}

/// The member `who` in a member list.
pub fn entry_of<'a>(list: &'a [Value], who: &User) -> &'a Value {
    let entry = list.iter().find(|m| m["user_id"] == who.id.as_str());
    entry.unwrap_or_else(|| panic!("{} is not listed: {list:?}", who.id))
}

/// The ids of the join requests `who` sees, sorted.
pub async fn inbox_ids(server: &Server, who: &User) -> Vec<i64> {
    let requests = server.join_requests(who).await;
    let mut ids: Vec<i64> = requests
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect();
    ids.sort();
    ids
}

pub async fn account_nickname(server: &Server, who: &User) -> String {
    let profile = server.own_profile(who).await;
    profile["nickname"].as_str().expect("nickname").to_owned()
}

/// A group with a creator, an admin, an ordinary member, and an outsider who knows its id.
pub struct GroupRoles {
    pub group: i64,
    pub creator: User,
    pub admin: User,
    pub member: User,
    pub outsider: User,
}

/// A study group of at most `limit` members with every role; `prefix` names its users.
pub async fn group_roles(server: &Server, prefix: &str, limit: i64) -> GroupRoles {
    let creator = user(server, &format!("{prefix}-creator")).await;
    let admin = user(server, &format!("{prefix}-admin")).await;
    let member = user(server, &format!("{prefix}-member")).await;
    let outsider = user(server, &format!("{prefix}-outsider")).await;
    let name = format!("{prefix} 小组");
    let group = server.new_group(&creator, "学习", &name, limit).await;
    admit(server, &creator, &admin, group).await;
    admit(server, &creator, &member, group).await;
    assert!(server.switch_group_admin(&creator, group, &admin).await);
    GroupRoles {
        group,
        creator,
        admin,
        member,
        outsider,
    }
}

/// `who` is no member of `group`: the member list is refused to them.
pub async fn assert_not_member(server: &Server, who: &User, group: i64) {
    let body = json!({ "group_id": group });
    server.fails(group::MEMBERS, who.t(), body, 303, 403).await;
}

/// The body of a join request's processing: approve (`true`) or reject.
pub fn decision(request: i64, action: bool) -> Value {
    json!({ "request_id": request, "action": action })
}

/// What every group endpoint refuses alike: a group that does not exist (301), a body without
/// `group_id` (101) and a call without a token (113). `body` is one that `who` may send.
pub async fn refuses_bad_group_calls(server: &Server, path: &str, who: &User, body: Value) {
    let mut unknown = body.clone();
    unknown["group_id"] = json!(999_999);
    server.fails(path, who.t(), unknown, 301, 404).await;
    let mut without_group = body.clone();
    without_group
        .as_object_mut()
        .expect("a body")
        .remove("group_id");
    server.fails(path, who.t(), without_group, 101, 400).await;
    server.fails(path, None, body, 113, 401).await;
}

/// A `rates` array: each target with the stars given, as written (integer or decimal).
pub fn rates<const N: usize>(stars: [(&User, Value); N]) -> Value {
    let rates = stars.map(|(who, stars)| json!({ "user_id": who.id, "star_rating": stars }));
    Value::Array(rates.to_vec())
}
