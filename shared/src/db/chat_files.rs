//! The `chat_files` table: temporary files uploaded into a chat room.

use crate::ids::{FileId, UserId};
use crate::params;
use crate::storage::{Row, Sql};

use super::chat_messages::Room;
use super::group_files::{next_id, Content, Thumbnail, CONTENT_COLUMNS};
use super::Chunked;

#[derive(Debug, Clone)]
pub struct ChatFile {
    pub id: FileId,
    pub name: String,
    pub uploader_id: UserId,
    pub created_at: i64,
    pub content: Content,
}

fn from_row(r: &Row) -> anyhow::Result<ChatFile> {
    Ok(ChatFile {
        id: r.id(0)?,
        name: r.text(1)?,
        uploader_id: r.user_id(2)?,
        created_at: r.int(3)?,
        content: Content::from_row(r, 4)?,
    })
}

/// A file of `room` that has not expired.
pub fn get(conn: &dyn Sql, room: Room, id: FileId, now: i64) -> anyhow::Result<Option<ChatFile>> {
    conn.query(
        &format!(
            "SELECT id, name, uploader_id, created_at, {CONTENT_COLUMNS} FROM chat_files
             WHERE id = ? AND room_kind = ? AND room_id = ? AND expires_at > ?"
        ),
        params![id, room.kind(), room.id(), now],
    )?
    .first()
    .map(from_row)
    .transpose()
}

/// A file that has not expired, whatever its room, with its room.
pub fn find(conn: &dyn Sql, id: FileId, now: i64) -> anyhow::Result<Option<(Room, ChatFile)>> {
    let rows = conn.query(
        "SELECT room_kind, room_id FROM chat_files WHERE id = ?",
        params![id],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let room = Room::from_key(&format!("{}:{}", row.text(0)?, row.int(1)?))
        .ok_or_else(|| anyhow::anyhow!("chat file {id} has no room"))?;
    Ok(get(conn, room, id, now)?.map(|file| (room, file)))
}

/// Bytes held by a room's files that have not expired.
pub fn room_bytes(conn: &dyn Sql, room: Room, now: i64) -> anyhow::Result<u64> {
    sum(
        conn,
        "SELECT ifnull(SUM(size), 0) FROM chat_files
         WHERE room_kind = ? AND room_id = ? AND expires_at > ?",
        params![room.kind(), room.id(), now],
    )
}

/// Bytes held by a user's files that have not expired, in every room.
pub fn uploader_bytes(conn: &dyn Sql, uploader: &UserId, now: i64) -> anyhow::Result<u64> {
    sum(
        conn,
        "SELECT ifnull(SUM(size), 0) FROM chat_files WHERE uploader_id = ? AND expires_at > ?",
        params![uploader, now],
    )
}

fn sum(conn: &dyn Sql, sql: &str, values: &[crate::storage::Value]) -> anyhow::Result<u64> {
    Ok(conn.query(sql, values)?[0].int(0)?.max(0) as u64)
}

#[allow(clippy::too_many_arguments)]
pub fn insert(
    conn: &dyn Sql,
    room: Room,
    name: &str,
    uploader: &UserId,
    now: i64,
    expires_at: i64,
    c: &Content,
) -> anyhow::Result<FileId> {
    let id = next_id(conn)?;
    let mut values = params![id, room.kind(), room.id(), name, uploader, now, expires_at].to_vec();
    values.extend(c.values());
    conn.execute(
        &format!(
            "INSERT INTO chat_files (id, room_kind, room_id, name, uploader_id, created_at,
                 expires_at, {CONTENT_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        &values,
    )?;
    Ok(id)
}

pub fn set_thumbnail(conn: &dyn Sql, id: FileId, state: Thumbnail) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE chat_files SET thumbnail = ? WHERE id = ?",
        params![state as i64, id],
    )
}

/// Removes up to `limit` expired files; returns their blobs and chunk counts' inputs
/// (blob, size, chunk size).
/// Up to `limit` files expired by `now`, the oldest first: their ids and contents.
pub fn expired(conn: &dyn Sql, now: i64, limit: i64) -> anyhow::Result<Vec<(FileId, Chunked)>> {
    let rows = conn.query(
        "SELECT blob, size, chunk_size, id FROM chat_files WHERE expires_at <= ?
         ORDER BY expires_at, id LIMIT ?",
        params![now, limit],
    )?;
    rows.iter()
        .map(|r| Ok((r.id(3)?, Chunked::from_row(r)?)))
        .collect()
}

/// Deletes one temporary file, expired or not; returns its content.
pub fn delete(conn: &dyn Sql, id: FileId) -> anyhow::Result<Option<Chunked>> {
    conn.query(
        "DELETE FROM chat_files WHERE id = ? RETURNING blob, size, chunk_size",
        params![id],
    )?
    .first()
    .map(Chunked::from_row)
    .transpose()
}

/// Deletes every temporary file of a room; returns their contents.
pub fn delete_room(conn: &dyn Sql, room: Room) -> anyhow::Result<Vec<Chunked>> {
    conn.query(
        "DELETE FROM chat_files WHERE room_kind = ? AND room_id = ? RETURNING blob, size, chunk_size",
        params![room.kind(), room.id()],
    )?
    .iter()
    .map(Chunked::from_row)
    .collect()
}

/// Up to `limit` temporary files a user uploaded that have not expired, newest first, with
/// their rooms and expiry.
pub fn of_uploader(
    conn: &dyn Sql,
    uploader: &UserId,
    now: i64,
    limit: i64,
) -> anyhow::Result<Vec<(Room, i64, ChatFile)>> {
    conn.query(
        &format!(
            "SELECT id, name, uploader_id, created_at, {CONTENT_COLUMNS}, room_kind, room_id,
                    expires_at
             FROM chat_files WHERE uploader_id = ? AND expires_at > ? ORDER BY id DESC LIMIT ?"
        ),
        params![uploader, now, limit],
    )?
    .iter()
    .map(|r| {
        let file = from_row(r)?;
        // The three columns after the content's.
        let at = r.0.len() - 3;
        let key = format!("{}:{}", r.text(at)?, r.int(at + 1)?);
        let room = Room::from_key(&key).ok_or_else(|| anyhow::anyhow!("chat file in {key}"))?;
        Ok((room, r.int(at + 2)?, file))
    })
    .collect()
}

/// Deletes every temporary file a user uploaded, in any room (their account is deleted);
/// returns their contents.
pub fn delete_uploader(conn: &dyn Sql, uploader: &UserId) -> anyhow::Result<Vec<Chunked>> {
    conn.query(
        "DELETE FROM chat_files WHERE uploader_id = ? RETURNING blob, size, chunk_size",
        params![uploader],
    )?
    .iter()
    .map(Chunked::from_row)
    .collect()
}
