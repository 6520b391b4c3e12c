//! The `private_rooms` table: one room per pair of users.

use crate::ids::{MessageId, PrivateRoomId, UserId};
use crate::params;
use crate::storage::Sql;

/// The pair as stored: the smaller id first.
fn ordered<'a>(a: &'a UserId, b: &'a UserId) -> (&'a UserId, &'a UserId) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The room of two users, made when it does not exist yet.
pub fn get_or_create(
    conn: &dyn Sql,
    a: &UserId,
    b: &UserId,
    now: i64,
) -> anyhow::Result<PrivateRoomId> {
    let (a, b) = ordered(a, b);
    conn.execute(
        "INSERT INTO private_rooms (user_a, user_b, created_at) VALUES (?, ?, ?)
         ON CONFLICT (user_a, user_b) DO NOTHING",
        params![a, b, now],
    )?;
    conn.query(
        "SELECT id FROM private_rooms WHERE user_a = ? AND user_b = ?",
        params![a, b],
    )?[0]
        .id(0)
}

/// The two users of a room.
pub fn users(conn: &dyn Sql, id: PrivateRoomId) -> anyhow::Result<Option<(UserId, UserId)>> {
    conn.query(
        "SELECT user_a, user_b FROM private_rooms WHERE id = ?",
        params![id],
    )?
    .first()
    .map(|r| Ok((r.user_id(0)?, r.user_id(1)?)))
    .transpose()
}

/// Records message `message` (sent at `now`) as the room's latest.
pub fn touch(
    conn: &dyn Sql,
    id: PrivateRoomId,
    message: MessageId,
    now: i64,
) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE private_rooms SET last_message_id = ?, last_message_at = ? WHERE id = ?",
        params![message, now, id],
    )?;
    Ok(())
}

/// A user's rooms that hold messages, newest first: (room id, partner id, last message time).
pub fn of_user(conn: &dyn Sql, me: &UserId) -> anyhow::Result<Vec<(PrivateRoomId, UserId, i64)>> {
    conn.query(
        "SELECT id, CASE WHEN user_a = ?1 THEN user_b ELSE user_a END, last_message_at
         FROM private_rooms
         WHERE (user_a = ?1 OR user_b = ?1) AND last_message_id IS NOT NULL
         ORDER BY last_message_id DESC",
        params![me],
    )?
    .iter()
    .map(|r| Ok((r.id(0)?, r.user_id(1)?, r.int(2)?)))
    .collect()
}

/// A private room as one of its users' export shows it.
pub struct OfUser {
    pub id: PrivateRoomId,
    pub partner: UserId,
    pub created_at: i64,
    pub last_message_at: Option<i64>,
}

/// Up to `limit` private rooms of a user, with or without messages, newest first.
pub fn all_of_user(conn: &dyn Sql, me: &UserId, limit: i64) -> anyhow::Result<Vec<OfUser>> {
    conn.query(
        "SELECT id, CASE WHEN user_a = ?1 THEN user_b ELSE user_a END, created_at, last_message_at
         FROM private_rooms WHERE user_a = ?1 OR user_b = ?1 ORDER BY id DESC LIMIT ?2",
        params![me, limit],
    )?
    .iter()
    .map(|r| {
        Ok(OfUser {
            id: r.id(0)?,
            partner: r.user_id(1)?,
            created_at: r.int(2)?,
            last_message_at: r.opt_int(3)?,
        })
    })
    .collect()
}

/// Deletes every private room of a user (their account is deleted); returns their ids.
pub fn delete_user(conn: &dyn Sql, me: &UserId) -> anyhow::Result<Vec<PrivateRoomId>> {
    conn.query(
        "DELETE FROM private_rooms WHERE user_a = ?1 OR user_b = ?1 RETURNING id",
        params![me],
    )?
    .iter()
    .map(|r| r.id(0))
    .collect()
}
