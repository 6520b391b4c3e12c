//! `/user/info/*`: a user's profile text, nickname and personal tags; `/user/account/*`:
//! deleting an account and exporting its data.

use serde_json::{json, Value};

use super::super::paths::user;
use super::super::{Server, User};

impl Server {
    /// `who`'s own profile (`getInfo` without a `user_id`).
    pub async fn own_profile(&self, who: &User) -> Value {
        self.ok(user::GET_INFO, &who.token, json!({})).await
    }

    /// The profile of the user `id` as `viewer` sees it.
    pub async fn profile_of(&self, viewer: &User, id: &str) -> Value {
        let body = json!({ "user_id": id });
        self.ok(user::GET_INFO, &viewer.token, body).await
    }

    /// `who` sets their account's nickname.
    pub async fn set_account_nickname(&self, who: &User, nickname: &str) {
        let body = json!({ "nickname": nickname });
        self.ok(user::SET_NICKNAME, &who.token, body).await;
    }

    /// `who` sets their profile text.
    pub async fn edit_profile_text(&self, who: &User, text: &str) {
        let body = json!({ "text": text });
        self.ok(user::EDIT_INFO, &who.token, body).await;
    }

    /// `who` adds a personal tag.
    pub async fn add_personal_tag(&self, who: &User, text: &str) {
        let body = json!({ "tag_text": text });
        self.ok(user::TAG_ADD, &who.token, body).await;
    }

    /// `who`'s own personal tags (`tag/get` without a `user_id`).
    pub async fn own_personal_tags(&self, who: &User) -> Value {
        self.ok(user::TAG_GET, &who.token, json!({})).await["tags"].clone()
    }

    /// `(star_rating, rating_count)` of `target` as `viewer` sees them.
    pub async fn rating_of(&self, viewer: &User, target: &User) -> (f64, i64) {
        let info = self.profile_of(viewer, &target.id).await;
        let stars = info["star_rating"].as_f64().expect("star_rating");
        (stars, info["rating_count"].as_i64().expect("rating_count"))
    }

    /// `who` uploads `bytes` as their avatar (`wx.uploadFile`'s form, the file part `avatar`).
    pub async fn set_user_avatar(&self, who: &User, bytes: Vec<u8>) {
        let (status, res) = self
            .upload(user::AVATAR_ADD, who.t(), "avatar", bytes, &[])
            .await;
        let success = json!({ "code": 0, "msg": "success" });
        assert_eq!((status, &res), (200, &success), "{}", user::AVATAR_ADD);
    }

    /// `who` deletes their account (注销); the answer is exactly success.
    pub async fn delete_account(&self, who: &User) {
        let res = self.ok(user::ACCOUNT_DELETE, &who.token, json!({})).await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    }

    /// Everything stored about `who`, as their export answers it.
    pub async fn export_account(&self, who: &User) -> Value {
        self.ok(user::ACCOUNT_EXPORT, &who.token, json!({})).await
    }
}
