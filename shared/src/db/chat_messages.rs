//! The `chat_messages` table: every message of every room.

use crate::params;
use crate::storage::Sql;

/// A room: a group's (its id is the group id) or a private one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
