//! The `chat_messages` table: every message of every room.

use crate::params;
use crate::storage::Sql;

/// A room: a group's (its id is the group id) or a private one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Room {
    Group(i64),
    Private(i64),
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
            Room::Group(id) | Room::Private(id) => id,
        }
    }
}

/// A message to store; `file_info` and `at` are JSON.
pub struct NewMessage<'a> {
    pub room: Room,
    pub user_id: &'a str,
    pub msg_type: &'a str,
    pub content: Option<&'a str>,
    pub file_id: Option<i64>,
    pub file_info: Option<String>,
    pub at: Option<String>,
    pub created_at: i64,
}

/// Stores a message; ids grow across every room, so they grow within each.
pub fn insert(conn: &dyn Sql, m: &NewMessage<'_>) -> anyhow::Result<i64> {
    conn.query(
        "INSERT INTO chat_messages
             (room_kind, room_id, user_id, msg_type, content, file_id, file_info, at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            m.room.kind(),
            m.room.id(),
            m.user_id,
            m.msg_type,
            m.content,
            m.file_id,
            m.file_info.clone(),
            m.at.clone(),
            m.created_at
        ],
    )?[0]
        .int(0)
}

/// A stored message with its sender's name in the room.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub room: Room,
    pub user_id: String,
    pub nickname: String,
    pub msg_type: String,
    pub content: Option<String>,
    pub file_id: Option<i64>,
    pub file_info: Option<String>,
    pub at: Option<String>,
    pub created_at: i64,
}

/// Up to `limit` messages of a room before message `before` (the newest without it), oldest
/// first. In group rooms the sender's in-group nickname wins.
pub fn page(
    conn: &dyn Sql,
    room: Room,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<Message>> {
    let rows = conn.query(
        "SELECT m.id, m.user_id, coalesce(gm.nickname, u.nickname, ''), m.msg_type, m.content,
                m.file_id, m.file_info, m.at, m.created_at
         FROM chat_messages m
         LEFT JOIN users u ON u.id = m.user_id
         LEFT JOIN group_members gm
             ON m.room_kind = 'group' AND gm.group_id = m.room_id AND gm.user_id = m.user_id
         WHERE m.room_kind = ? AND m.room_id = ? AND m.id < ?
         ORDER BY m.id DESC LIMIT ?",
        params![room.kind(), room.id(), before.unwrap_or(i64::MAX), limit],
    )?;
    let mut page = rows
        .iter()
        .map(|r| {
            Ok(Message {
                id: r.int(0)?,
                room,
                user_id: r.text(1)?,
                nickname: r.text(2)?,
                msg_type: r.text(3)?,
                content: r.opt_text(4)?,
                file_id: r.opt_int(5)?,
                file_info: r.opt_text(6)?,
                at: r.opt_text(7)?,
                created_at: r.int(8)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    page.reverse();
    Ok(page)
}

/// One message of a room, as `page` reads it.
pub fn get(conn: &dyn Sql, room: Room, id: i64) -> anyhow::Result<Option<Message>> {
    Ok(page(conn, room, Some(id + 1), 1)?
        .into_iter()
        .find(|m| m.id == id))
}
