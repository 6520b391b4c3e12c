//! TEMPORARY (replaced by the moderation branch at merge): the agreed API only.
use crate::db::chat_messages::Room;
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, UserId};
use crate::storage::Sql;

pub enum Target {
    User(UserId),
    Group(GroupId),
    Message { room: Room, id: MessageId },
    File(FileId),
    Announcement { group: GroupId, id: AnnouncementId },
}
pub enum Source<'a> {
    Report { reporter: &'a UserId },
    Wechat,
}
pub struct NewReview<'a> {
    pub source: Source<'a>,
    pub target: &'a Target,
    pub reason: &'a str,
    pub excerpt: &'a str,
}
pub fn withdraw_message(_conn: &dyn Sql, _room: Room, _id: MessageId) -> anyhow::Result<bool> {
    Ok(false)
}
pub fn enqueue(_conn: &dyn Sql, _item: &NewReview<'_>) -> anyhow::Result<()> {
    Ok(())
}
