//! Reports (moderation): of a user, a group, a group file and a chat message.

use serde_json::json;

use super::super::paths::{chat, files, group, user};
use super::super::{Server, User};

impl Server {
    /// `who` reports the user `id`.
    pub async fn report_user(&self, who: &User, id: &str, reason: &str) {
        let body = json!({ "user_id": id, "reason": reason });
        self.ok(user::REPORT, &who.token, body).await;
    }

    /// `who` reports a group.
    pub async fn report_group(&self, who: &User, group_id: i64, reason: &str) {
        let body = json!({ "group_id": group_id, "reason": reason });
        self.ok(group::REPORT, &who.token, body).await;
    }

    /// `who` reports a file of a group they are in.
    pub async fn report_group_file(&self, who: &User, group_id: i64, file: i64, reason: &str) {
        let body = json!({ "group_id": group_id, "file_id": file, "reason": reason });
        self.ok(files::REPORT, &who.token, body).await;
    }

    /// `who` reports message `msg` of a group room they are in.
    pub async fn report_group_message(&self, who: &User, group_id: i64, msg: i64, reason: &str) {
        let body = json!({ "type": "group", "room_id": group_id, "msg_id": msg, "reason": reason });
        self.ok(chat::REPORT, &who.token, body).await;
    }
}
