//! Sharing a group file into the group's chat: a file message, stored like any chat message.

use crate::app::App;
use crate::db::chat_messages::{self, Message, NewMessage, Room};
use crate::error::{Code, Error, Result};
use crate::groups::{Access, Role};
use crate::ids::{FileId, GroupId, MessageId, UserId};
use crate::time;

use super::{entry, file_info};

/// Posts a message of the file's type (`image`, `voice`, `video` or `file`) carrying `file_id`
/// and `file_info` into the group room; returns the message id. A folder cannot be shared (345);
/// a user muted in the group cannot share (413).
pub fn share(app: &App, me: &UserId, group_id: GroupId, file_id: FileId) -> Result<MessageId> {
    let message = store(app, me, group_id, file_id)?;
    crate::chat::live::publish_message(app, &message);
    Ok(message.id)
}

fn store(app: &App, me: &UserId, group_id: GroupId, file_id: FileId) -> Result<Message> {
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Member)?;
        crate::moderation::mutes::check(app, c, group_id, me, time::now())?;
        let file = entry(c, group_id, file_id)?;
        let Some(content) = &file.content else {
            return Err(Error::new(Code::FolderDownload));
        };
        let info = file_info(app, file.id, &file.name, file.created_at, content);
        let id = chat_messages::insert(
            c,
            &NewMessage {
                room: Room::Group(group_id),
                user_id: me,
                msg_type: &content.file_type,
                content: None,
                file_id: Some(file_id),
                file_info: Some(info.to_json_text()),
                at: None,
                client_msg_id: None,
                created_at: time::now(),
            },
        )?;
        chat_messages::get(c, Room::Group(group_id), id)?
            .ok_or_else(|| anyhow::anyhow!("message {id} vanished").into())
    })
}
