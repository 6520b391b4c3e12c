//! The `chat_messages` table: every message of every room.

use crate::ids::{FileId, GroupId, MessageId, PrivateRoomId, UserId};
use crate::params;
use crate::storage::Sql;

use super::users::DELETED_NICKNAME;

/// A room: a group's (its id is the group id) or a private one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Room {
    Group(GroupId),
    Private(PrivateRoomId),
}

impl Room {
    pub fn kind(self) -> &'static str {
        match self {
            Room::Group(_) => "group",
            Room::Private(_) => "private",
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Room::Group(id) => id.0,
            Room::Private(id) => id.0,
        }
    }

    /// `group:5` or `private:7`: the room's name between hosts (the relay's events, Redis
    /// channels).
    pub fn key(self) -> String {
        format!("{}:{}", self.kind(), self.id())
    }

    /// The room named by [`Room::key`].
    pub fn from_key(key: &str) -> Option<Room> {
        let (kind, id) = key.split_once(':')?;
        let id = id.parse().ok().filter(|id| *id > 0)?;
        match kind {
            "group" => Some(Room::Group(GroupId(id))),
            "private" => Some(Room::Private(PrivateRoomId(id))),
            _ => None,
        }
    }
}

impl serde::Serialize for Room {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl<'de> serde::Deserialize<'de> for Room {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Room, D::Error> {
        let key = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Room::from_key(&key).ok_or_else(|| serde::de::Error::custom("not a room"))
    }
}

/// A message to store; `file_info` and `at` are JSON.
pub struct NewMessage<'a> {
    pub room: Room,
    pub user_id: &'a UserId,
    pub msg_type: &'a str,
    pub content: Option<&'a str>,
    pub file_id: Option<FileId>,
    pub file_info: Option<String>,
    pub at: Option<String>,
    pub client_msg_id: Option<&'a str>,
    pub created_at: i64,
}

/// Stores a message; ids grow across every room, so they grow within each.
pub fn insert(conn: &dyn Sql, m: &NewMessage<'_>) -> anyhow::Result<MessageId> {
    conn.query(
        "INSERT INTO chat_messages
             (room_kind, room_id, user_id, msg_type, content, file_id, file_info, at,
              client_msg_id, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            m.room.kind(),
            m.room.id(),
            m.user_id,
            m.msg_type,
            m.content,
            m.file_id,
            m.file_info.clone(),
            m.at.clone(),
            m.client_msg_id,
            m.created_at
        ],
    )?[0]
        .id(0)
}

/// A stored message with its sender's name in the room.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: MessageId,
    /// The id of the room's message before this one: hosts that receive messages out of order
    /// (relays, concurrent writers) use it to deliver them in order and to notice gaps.
    pub prev: Option<MessageId>,
    pub room: Room,
    pub user_id: UserId,
    pub nickname: String,
    pub msg_type: String,
    pub content: Option<String>,
    pub file_id: Option<FileId>,
    pub file_info: Option<String>,
    pub at: Option<String>,
    pub client_msg_id: Option<String>,
    pub created_at: i64,
    /// Moderation withdrew it: its content, file and mentions are gone.
    pub withdrawn: bool,
}

/// Up to `limit` messages of a room before message `before` (the newest without it), oldest
/// first. In group rooms the sender's in-group nickname wins.
pub fn page(
    conn: &dyn Sql,
    room: Room,
    before: Option<MessageId>,
    limit: i64,
) -> anyhow::Result<Vec<Message>> {
    let mut page = select(
        conn,
        room,
        "m.id < ? ORDER BY m.id DESC",
        before.map_or(i64::MAX, |id| id.0),
        limit,
    )?;
    page.reverse();
    Ok(page)
}

/// Up to `limit` messages of a room after message `after`, oldest first.
pub fn after(
    conn: &dyn Sql,
    room: Room,
    after: MessageId,
    limit: i64,
) -> anyhow::Result<Vec<Message>> {
    select(conn, room, "m.id > ? ORDER BY m.id", after.0, limit)
}

/// One message of a room, as `page` reads it.
/// The messages of `room` that carry file `file_id`.
pub fn with_file(conn: &dyn Sql, room: Room, file_id: FileId) -> anyhow::Result<Vec<MessageId>> {
    conn.query(
        "SELECT id FROM chat_messages WHERE room_kind = ? AND room_id = ? AND file_id = ?",
        params![room.kind(), room.id(), file_id],
    )?
    .iter()
    .map(|r| Ok(MessageId(r.int(0)?)))
    .collect()
}

pub fn get(conn: &dyn Sql, room: Room, id: MessageId) -> anyhow::Result<Option<Message>> {
    Ok(page(conn, room, Some(MessageId(id.0 + 1)), 1)?
        .into_iter()
        .find(|m| m.id == id))
}

/// The room's messages where `m.id` compares with `bound` as `order` says (a condition and an
/// ORDER BY, both fixed strings of this module).
fn select(
    conn: &dyn Sql,
    room: Room,
    order: &str,
    bound: i64,
    limit: i64,
) -> anyhow::Result<Vec<Message>> {
    let sql = format!(
        "SELECT m.id, m.user_id, coalesce(gm.nickname, u.nickname, ?), m.msg_type, m.content,
                m.file_id, m.file_info, m.at, m.created_at, m.client_msg_id,
                (SELECT max(p.id) FROM chat_messages p
                 WHERE p.room_kind = m.room_kind AND p.room_id = m.room_id AND p.id < m.id),
                m.withdrawn_at IS NOT NULL
         FROM chat_messages m
         LEFT JOIN users u ON u.id = m.user_id
         LEFT JOIN group_members gm
             ON m.room_kind = 'group' AND gm.group_id = m.room_id AND gm.user_id = m.user_id
         WHERE m.room_kind = ? AND m.room_id = ? AND {order} LIMIT ?"
    );
    // A sender without a row deleted their account: their messages stay, under a placeholder.
    let rows = conn.query(
        &sql,
        params![DELETED_NICKNAME, room.kind(), room.id(), bound, limit],
    )?;
    rows.iter()
        .map(|r| {
            Ok(Message {
                id: r.id(0)?,
                prev: r.opt_int(10)?.map(MessageId),
                room,
                user_id: r.user_id(1)?,
                nickname: r.text(2)?,
                msg_type: r.text(3)?,
                content: r.opt_text(4)?,
                file_id: r.opt_int(5)?.map(FileId),
                file_info: r.opt_text(6)?,
                at: r.opt_text(7)?,
                client_msg_id: r.opt_text(9)?,
                created_at: r.int(8)?,
                withdrawn: r.int(11)? != 0,
            })
        })
        .collect()
}

/// The message `user_id` sent in `room` with `client_msg_id`, and when it was stored.
pub fn by_client_msg_id(
    conn: &dyn Sql,
    room: Room,
    user_id: &UserId,
    client_msg_id: &str,
) -> anyhow::Result<Option<(MessageId, i64)>> {
    let rows = conn.query(
        "SELECT id, created_at FROM chat_messages
         WHERE room_kind = ? AND room_id = ? AND user_id = ? AND client_msg_id = ?",
        params![room.kind(), room.id(), user_id, client_msg_id],
    )?;
    rows.first().map(|r| Ok((r.id(0)?, r.int(1)?))).transpose()
}

/// Clears message `id`'s `client_msg_id`, so that its sender may use it again.
pub fn release_client_msg_id(conn: &dyn Sql, id: MessageId) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE chat_messages SET client_msg_id = NULL WHERE id = ?",
        params![id],
    )?;
    Ok(())
}

/// Withdraws message `id` of `room` at `now`: its content, file and mentions are cleared; its
/// id, sender, type and time stay. False when the room has no such message, or it was
/// withdrawn already.
pub fn withdraw(conn: &dyn Sql, room: Room, id: MessageId, now: i64) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "UPDATE chat_messages
         SET content = NULL, file_id = NULL, file_info = NULL, at = NULL, withdrawn_at = ?
         WHERE room_kind = ? AND room_id = ? AND id = ? AND withdrawn_at IS NULL",
        params![now, room.kind(), room.id(), id],
    )? > 0)
}

/// Messages stored since `since` (the admin dashboard's messages today).
pub fn count_since(conn: &dyn Sql, since: i64) -> anyhow::Result<i64> {
    conn.query(
        "SELECT count(*) FROM chat_messages WHERE created_at >= ?",
        params![since],
    )?[0]
        .int(0)
}

/// Deletes one message of any room; false when there was none. Later messages' `prev` is
/// computed, so it skips the gap by itself.
pub fn delete(conn: &dyn Sql, id: MessageId) -> anyhow::Result<bool> {
    Ok(conn.execute("DELETE FROM chat_messages WHERE id = ?", params![id])? > 0)
}

/// Deletes every message of a room (its group is being deleted).
pub fn delete_room(conn: &dyn Sql, room: Room) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM chat_messages WHERE room_kind = ? AND room_id = ?",
        params![room.kind(), room.id()],
    )
}

/// A message as its sender's export shows it.
pub struct Sent {
    pub id: MessageId,
    pub room: Room,
    pub msg_type: String,
    pub content: Option<String>,
    pub file_id: Option<FileId>,
    pub created_at: i64,
}

/// Up to `limit` messages a user sent, in any room, newest first.
pub fn of_user(conn: &dyn Sql, user_id: &UserId, limit: i64) -> anyhow::Result<Vec<Sent>> {
    conn.query(
        "SELECT id, room_kind, room_id, msg_type, content, file_id, created_at
         FROM chat_messages WHERE user_id = ? ORDER BY id DESC LIMIT ?",
        params![user_id, limit],
    )?
    .iter()
    .map(|r| {
        let key = format!("{}:{}", r.text(1)?, r.int(2)?);
        Ok(Sent {
            id: r.id(0)?,
            room: Room::from_key(&key).ok_or_else(|| anyhow::anyhow!("message in {key}"))?,
            msg_type: r.text(3)?,
            content: r.opt_text(4)?,
            file_id: r.opt_int(5)?.map(FileId),
            created_at: r.int(6)?,
        })
    })
    .collect()
}
