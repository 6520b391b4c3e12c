//! A group's profile (`/group/internal/info`: intro, name, avatar, intro pictures, tags) and its
//! announcements with their pictures.

use serde_json::{json, Value};

use super::super::paths::group;
use super::super::{Server, User};

/// The whole answer of a write that returns nothing.
fn nothing_but_success() -> Value {
    json!({ "code": 0, "msg": "success" })
}

impl Server {
    /// The profile as `who` sees it (`my_role` is theirs).
    pub async fn group_profile(&self, who: &User, group: i64) -> Value {
        let body = json!({ "group_id": group });
        self.ok(group::INFO_GET, &who.token, body).await
    }

    pub async fn edit_group_intro(&self, who: &User, group: i64, text: &str) {
        let body = json!({ "group_id": group, "text": text });
        self.ok(group::INFO_EDIT, &who.token, body).await;
    }

    pub async fn rename_group(&self, who: &User, group: i64, name: &str) {
        let body = json!({ "group_id": group, "name": name });
        self.ok(group::SET_NAME, &who.token, body).await;
    }

    /// Uploads `image` as the group's avatar.
    pub async fn set_group_avatar(&self, who: &User, group: i64, image: Vec<u8>) {
        let form = [("group_id", group.to_string())];
        let answer = self
            .upload_succeeds(group::AVATAR_ADD, who, "avatar", image, &form)
            .await;
        assert_eq!(answer, nothing_but_success());
    }

    /// The ids of the intro pictures, in upload order.
    pub async fn group_picture_ids(&self, who: &User, group: i64) -> Vec<i64> {
        let body = json!({ "group_id": group });
        let res = self.ok(group::PICTURES, &who.token, body).await;
        let pictures = res["pictures"].as_array();
        let pictures = pictures.unwrap_or_else(|| panic!("{res}")).iter();
        pictures
            .map(|p| {
                assert_eq!(p.as_object().unwrap().len(), 1, "only its id: {p}");
                p["id"].as_i64().unwrap()
            })
            .collect()
    }

    /// Uploads an intro picture; returns its id.
    pub async fn add_group_picture(&self, who: &User, group: i64, image: Vec<u8>) -> i64 {
        let form = [("group_id", group.to_string())];
        let answer = self
            .upload_succeeds(group::PICTURE_ADD, who, "pic", image, &form)
            .await;
        assert_eq!(answer.as_object().unwrap().len(), 3, "{answer}");
        answer["pic_id"].as_i64().expect("pic_id")
    }

    pub async fn delete_group_picture(&self, who: &User, group: i64, picture: i64) {
        let body = json!({ "group_id": group, "pic_id": picture });
        self.ok(group::PICTURE_DEL, &who.token, body).await;
    }

    /// The tags, `[{ "id", "tag_text" }]` in the order they were added.
    pub async fn group_tags(&self, who: &User, group: i64) -> Value {
        let body = json!({ "group_id": group });
        self.ok(group::TAGS, &who.token, body).await["tags"].clone()
    }

    pub async fn add_group_tag(&self, who: &User, group: i64, text: &str) {
        let body = json!({ "group_id": group, "tag_text": text });
        self.ok(group::TAG_ADD, &who.token, body).await;
    }

    pub async fn edit_group_tag(&self, who: &User, group: i64, tag: i64, text: &str) {
        let body = json!({ "group_id": group, "tag_id": tag, "tag_text": text });
        self.ok(group::TAG_EDIT, &who.token, body).await;
    }

    pub async fn remove_group_tag(&self, who: &User, group: i64, tag: i64) {
        let body = json!({ "group_id": group, "tag_id": tag });
        self.ok(group::TAG_REMOVE, &who.token, body).await;
    }

    /// The announcements, newest first, without their text.
    pub async fn group_announcements(&self, who: &User, group: i64) -> Value {
        let body = json!({ "group_id": group });
        let res = self.ok(group::ANNOUNCEMENTS, &who.token, body).await;
        res["announcements"].clone()
    }

    /// One announcement, with its text.
    pub async fn group_announcement(&self, who: &User, group: i64, id: i64) -> Value {
        let body = json!({ "group_id": group, "announcement_id": id });
        let res = self.ok(group::ANNOUNCEMENT, &who.token, body).await;
        res["announcement"].clone()
    }

    /// Posts an announcement; returns its id.
    pub async fn add_group_announcement(
        &self,
        who: &User,
        group: i64,
        title: &str,
        text: &str,
    ) -> i64 {
        let body = json!({ "group_id": group, "title": title, "text": text });
        let res = self.ok(group::ANN_ADD, &who.token, body).await;
        assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
        res["announcement_id"].as_i64().expect("announcement_id")
    }

    pub async fn edit_group_announcement(
        &self,
        who: &User,
        group: i64,
        id: i64,
        title: &str,
        text: &str,
    ) {
        let body =
            json!({ "group_id": group, "announcement_id": id, "title": title, "text": text });
        self.ok(group::ANN_EDIT, &who.token, body).await;
    }

    pub async fn delete_group_announcement(&self, who: &User, group: i64, id: i64) {
        let body = json!({ "group_id": group, "announcement_id": id });
        self.ok(group::ANN_DELETE, &who.token, body).await;
    }

    /// Uploads `image` as the announcement's picture, replacing any.
    pub async fn set_group_announcement_picture(
        &self,
        who: &User,
        group: i64,
        id: i64,
        image: Vec<u8>,
    ) {
        let form = [
            ("group_id", group.to_string()),
            ("announcement_id", id.to_string()),
        ];
        let answer = self
            .upload_succeeds(group::ANN_SET_PIC, who, "pic", image, &form)
            .await;
        assert_eq!(answer, nothing_but_success());
    }

    pub async fn delete_group_announcement_picture(&self, who: &User, group: i64, id: i64) {
        let body = json!({ "group_id": group, "announcement_id": id });
        self.ok(group::ANN_DEL_PIC, &who.token, body).await;
    }

    /// An upload that must succeed, as [`Server::ok`] is a POST that must; returns the answer.
    async fn upload_succeeds(
        &self,
        path: &str,
        who: &User,
        field: &str,
        image: Vec<u8>,
        form: &[(&str, String)],
    ) -> Value {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, answer) = self.upload(path, who.t(), field, image, &form).await;
        assert_eq!(
            (status, &answer["code"]),
            (200, &json!(0)),
            "{path}: {answer}"
        );
        assert_eq!(answer["msg"], "success", "{path}: {answer}");
        answer
    }
}
