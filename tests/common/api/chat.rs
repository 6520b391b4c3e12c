//! Chat over HTTP: a room's temporary files, in one request or resumable.

use serde_json::{json, Value};

use super::super::paths::chat;
use super::super::{chat_file_form, Server, User};

impl Server {
    /// `who` uploads a temporary file into room `room` of type `kind` (`group`, `private`);
    /// returns its id.
    pub async fn upload_chat_file(
        &self,
        who: &User,
        kind: &str,
        room: i64,
        name: &str,
        bytes: Vec<u8>,
    ) -> i64 {
        let form = chat_file_form(kind, room, name, bytes);
        let (status, res) = self.send_form(chat::UPLOAD, who.t(), form).await;
        assert_eq!(
            (status, &res["code"]),
            (200, &json!(0)),
            "chat upload: {res}"
        );
        res["file_id"].as_i64().expect("file_id")
    }

    /// Begins a resumable upload into a room (`body`: `type`, `room_id`, `name`, `size`);
    /// returns the answer (`upload_id`, `part_size`, `part_count`).
    pub async fn begin_chat_upload(&self, who: &User, body: Value) -> Value {
        self.ok(chat::BEGIN, &who.token, body).await
    }

    /// Puts part `part` (from 0) of a room's resumable upload; the answer is exactly success.
    pub async fn put_chat_upload_part(&self, who: &User, upload: i64, part: i64, bytes: Vec<u8>) {
        let (status, res) = self
            .send_part(chat::PART, who.t(), upload, part, bytes)
            .await;
        assert_eq!((status, res), (200, json!({ "code": 0, "msg": "success" })));
    }

    /// Where a room's resumable upload stands (`received`: the parts in).
    pub async fn chat_upload_status(&self, who: &User, upload: i64) -> Value {
        self.ok(chat::STATUS, &who.token, json!({ "upload_id": upload }))
            .await
    }

    /// Completes a room's resumable upload; returns the new file's id.
    pub async fn complete_chat_upload(&self, who: &User, upload: i64) -> i64 {
        let res = self
            .ok(chat::COMPLETE, &who.token, json!({ "upload_id": upload }))
            .await;
        res["file_id"].as_i64().expect("file_id")
    }

    /// Aborts a room's resumable upload.
    pub async fn abort_chat_upload(&self, who: &User, upload: i64) {
        self.ok(chat::ABORT, &who.token, json!({ "upload_id": upload }))
            .await;
    }
}
