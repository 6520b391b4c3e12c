//! `/group/external/*` (creating, joining, join requests, search) and a group's members and
//! settings (`/group/internal/member/*`, `/group/internal/setting/*`).

use serde_json::{json, Value};

use super::super::paths::group;
use super::super::{Server, User};

impl Server {
    /// `owner` creates a group; returns its id. The answer holds the id and nothing more.
    pub async fn new_group(&self, owner: &User, kind: &str, name: &str, limit: i64) -> i64 {
        let body = json!({ "type": kind, "name": name, "user_limit": limit });
        let res = self.ok(group::CREATE, &owner.token, body).await;
        assert_eq!(res.as_object().map(|o| o.len()), Some(3), "{res}");
        res["group_id"].as_i64().expect("group_id")
    }

    /// `who` asks to join `group`; returns the request's id.
    pub async fn join_group(&self, who: &User, group: i64) -> i64 {
        let body = json!({ "group_id": group });
        let res = self.ok(group::JOIN, &who.token, body).await;
        res["request_id"].as_i64().expect("request_id")
    }

    /// `manager` approves (`true`) or rejects a join request.
    pub async fn process_join_request(&self, manager: &User, request: i64, approve: bool) {
        let body = json!({ "request_id": request, "action": approve });
        self.ok(group::PROCESS, &manager.token, body).await;
    }

    /// The pending join requests of the groups `who` manages.
    pub async fn join_requests(&self, who: &User) -> Vec<Value> {
        let res = self.ok(group::JOIN_REQUESTS, &who.token, json!({})).await;
        res["join_requests"]
            .as_array()
            .expect("join_requests")
            .clone()
    }

    /// The members of `group` as `who` sees them, the creator first.
    pub async fn group_members(&self, who: &User, group: i64) -> Vec<Value> {
        let body = json!({ "group_id": group });
        let res = self.ok(group::MEMBERS, &who.token, body).await;
        res["users"].as_array().expect("users").clone()
    }

    /// `creator` makes `target` an admin or an admin a member again; returns `is_admin`.
    pub async fn switch_group_admin(&self, creator: &User, group: i64, target: &User) -> bool {
        let body = json!({ "group_id": group, "user_id": target.id });
        let res = self.ok(group::SWITCH_ADMIN, &creator.token, body).await;
        res["is_admin"].as_bool().expect("is_admin")
    }

    /// `manager` removes `who` from the group.
    pub async fn remove_group_member(&self, manager: &User, group: i64, who: &User) {
        let body = json!({ "group_id": group, "user_id": who.id });
        self.ok(group::REMOVE, &manager.token, body).await;
    }

    /// `who` sets their nickname inside `group`.
    pub async fn set_group_nickname(&self, who: &User, group: i64, nickname: &str) {
        let body = json!({ "group_id": group, "nickname": nickname });
        self.ok(group::NICKNAME, &who.token, body).await;
    }

    /// `who` rates members of the dismissed `group`: `rates` is the array the API takes.
    pub async fn rate_group_members(&self, who: &User, group: i64, rates: Value) {
        let body = json!({ "group_id": group, "rates": rates });
        self.ok(group::RATE, &who.token, body).await;
    }

    /// The creator dismisses `group`.
    pub async fn dismiss_group(&self, creator: &User, group: i64) {
        let body = json!({ "group_id": group });
        self.ok(group::DISMISS, &creator.token, body).await;
    }

    /// `who` leaves `group`.
    pub async fn exit_group(&self, who: &User, group: i64) {
        let body = json!({ "group_id": group });
        self.ok(group::EXIT, &who.token, body).await;
    }

    /// A group search (`type`, `key`, `tags`, sorting, paging as in `body`): the ids found, in
    /// the order given, and the total.
    pub async fn search_groups(&self, who: &User, body: Value) -> (Vec<i64>, i64) {
        let res = self.ok(group::SEARCH, &who.token, body).await;
        let groups = res["groups"].as_array().expect("groups").iter();
        let ids = groups.map(|g| g["id"].as_i64().expect("id")).collect();
        (ids, res["total"].as_i64().expect("total"))
    }

    /// The name hints (`type` and `key` as in `body`).
    pub async fn group_name_hints(&self, who: &User, body: Value) -> Vec<String> {
        let res = self.ok(group::NAME_HINT, &who.token, body).await;
        texts(&res["hints"])
    }

    /// The tag hints (`type` and `key` as in `body`).
    pub async fn group_tag_hints(&self, who: &User, body: Value) -> Vec<String> {
        let res = self.ok(group::TAG_HINT, &who.token, body).await;
        texts(&res["hints"])
    }

    /// `who`'s own groups, as `/search/my_group` answers (`groups`, `total`, `dismissed_groups`).
    pub async fn my_groups(&self, who: &User, body: Value) -> Value {
        self.ok(group::MY_GROUPS, &who.token, body).await
    }
}

fn texts(list: &Value) -> Vec<String> {
    let list = list.as_array().expect("a list").iter();
    list.map(|t| t.as_str().expect("text").to_owned()).collect()
}
