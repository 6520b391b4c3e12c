//! A group's file space: folders, uploads in one request or resumable, renaming, moving,
//! deleting and sharing into the group's chat room.

use serde_json::{json, Value};

use super::super::paths::files;
use super::super::{group_file_form, Server, User};

/// `{ "group_id": .., "parent_id": .. }` and `extra`, without `parent_id` for the root.
fn in_folder(group: i64, parent: Option<i64>, extra: Value) -> Value {
    let mut body = json!({ "group_id": group });
    if let Some(parent) = parent {
        body["parent_id"] = json!(parent);
    }
    for (key, value) in extra.as_object().expect("an object") {
        body[key] = value.clone();
    }
    body
}

impl Server {
    /// `who` uploads `bytes` as `name` into folder `parent` (`None`: the root); returns the new
    /// file's id.
    pub async fn upload_file_into(
        &self,
        who: &User,
        group: i64,
        parent: Option<i64>,
        name: &str,
        bytes: Vec<u8>,
    ) -> i64 {
        let form = group_file_form(group, parent, name, bytes);
        let (status, res) = self.send_form(files::UPLOAD, who.t(), form).await;
        assert_eq!((status, &res["code"]), (200, &json!(0)), "upload: {res}");
        assert_eq!(res["msg"], "success", "upload: {res}");
        let id = res["file_id"].as_i64().expect("file_id");
        assert!(id > 0, "upload: {res}");
        id
    }

    /// `who` makes folder `name` in `parent`; the answer is exactly success (no id: see
    /// `list_folder`).
    pub async fn make_folder(&self, who: &User, group: i64, parent: Option<i64>, name: &str) {
        let body = in_folder(group, parent, json!({ "name": name }));
        let res = self.ok(files::MK_DIR, &who.token, body).await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    }

    /// The entries of folder `parent` (`None`: the root).
    pub async fn list_folder(&self, who: &User, group: i64, parent: Option<i64>) -> Vec<Value> {
        let res = self
            .ok(
                files::GET_DIR,
                &who.token,
                in_folder(group, parent, json!({})),
            )
            .await;
        res["files"].as_array().expect("files").clone()
    }

    pub async fn rename_file(&self, who: &User, group: i64, file: i64, name: &str) {
        let body = json!({ "group_id": group, "file_id": file, "name": name });
        self.ok(files::EDIT_NAME, &who.token, body).await;
    }

    /// Moves a file or folder into folder `parent` (0: the root).
    pub async fn move_file(&self, who: &User, group: i64, file: i64, parent: i64) {
        let body = json!({ "group_id": group, "file_id": file, "parent_id": parent });
        self.ok(files::MOVE, &who.token, body).await;
    }

    /// Deletes a file, or a folder with all it holds.
    pub async fn delete_file(&self, who: &User, group: i64, file: i64) {
        let body = json!({ "group_id": group, "file_id": file });
        self.ok(files::DELETE, &who.token, body).await;
    }

    /// `who` shares the group file into the group's chat room; the answer is exactly success.
    pub async fn share_file_in_chat(&self, who: &User, group: i64, file: i64) {
        let body = json!({ "group_id": group, "file_id": file });
        let res = self.ok(files::SHARE, &who.token, body).await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    }

    /// Begins a resumable upload (`body`: `group_id`, `name`, `size`, maybe `parent_id`);
    /// returns the answer (`upload_id`, `part_size`, `part_count`, `received`, `expires`).
    pub async fn begin_upload(&self, who: &User, body: Value) -> Value {
        self.ok(files::BEGIN, &who.token, body).await
    }

    /// Puts part `part` (from 0) of a resumable upload; the answer is exactly success.
    pub async fn put_upload_part(&self, who: &User, upload: i64, part: usize, bytes: Vec<u8>) {
        let part = i64::try_from(part).expect("a part index");
        let (status, res) = self
            .send_part(files::PART, who.t(), upload, part, bytes)
            .await;
        assert_eq!((status, res), (200, json!({ "code": 0, "msg": "success" })));
    }

    /// Begins a direct upload (`body` as for `begin_upload`): the answer holds the signed form
    /// (`url`, `fields`) the client posts the file to, straight to the bucket.
    pub async fn begin_direct_upload(&self, who: &User, body: Value) -> Value {
        self.ok(files::DIRECT, &who.token, body).await
    }

    /// Where a resumable upload stands (`received`: the parts in).
    pub async fn upload_status(&self, who: &User, upload: i64) -> Value {
        self.ok(files::STATUS, &who.token, json!({ "upload_id": upload }))
            .await
    }

    /// Completes a resumable upload; returns the new file's id.
    pub async fn complete_upload(&self, who: &User, upload: i64) -> i64 {
        let res = self
            .ok(files::COMPLETE, &who.token, json!({ "upload_id": upload }))
            .await;
        res["file_id"].as_i64().expect("file_id")
    }

    /// Aborts a resumable upload; the answer is exactly success.
    pub async fn abort_upload(&self, who: &User, upload: i64) {
        let res = self
            .ok(files::ABORT, &who.token, json!({ "upload_id": upload }))
            .await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    }
}
