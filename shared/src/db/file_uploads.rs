//! The `file_uploads` and `file_upload_parts` tables: resumable uploads in progress.

use crate::ids::{FileId, GroupId, UploadId, UserId};
use crate::params;
use crate::storage::{Row, Sql, Value};

use super::chat_messages::Room;
use super::Chunked;

/// Where an upload goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadTo {
    /// A folder of a group's space (`None`: the root).
    Folder {
        group_id: GroupId,
        parent_id: Option<FileId>,
    },
    /// A chat room's temporary files.
    Room(Room),
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: UploadId,
    pub to: UploadTo,
    pub name: String,
    pub size: i64,
    pub part_size: i64,
    pub uploader_id: UserId,
    pub blob: String,
    pub expires_at: i64,
    /// Sent by the client straight to object storage, as one object.
    pub direct: bool,
}

const COLUMNS: &str = "id, group_id, parent_id, room_kind, room_id, name, size, part_size,
                       uploader_id, blob, expires_at, direct";

fn from_row(r: &Row) -> anyhow::Result<Upload> {
    let to = match (r.opt_int(1)?, r.opt_text(3)?) {
        (Some(group_id), _) => UploadTo::Folder {
            group_id: GroupId(group_id),
            parent_id: r.opt_int(2)?.map(FileId),
        },
        (None, Some(kind)) => {
            let key = format!("{kind}:{}", r.int(4)?);
            UploadTo::Room(
                Room::from_key(&key).ok_or_else(|| anyhow::anyhow!("upload to room {key}"))?,
            )
        }
        (None, None) => anyhow::bail!("upload {} goes nowhere", r.int(0)?),
    };
    Ok(Upload {
        id: r.id(0)?,
        to,
        name: r.text(5)?,
        size: r.int(6)?,
        part_size: r.int(7)?,
        uploader_id: r.user_id(8)?,
        blob: r.text(9)?,
        expires_at: r.int(10)?,
        direct: r.int(11)? != 0,
    })
}

pub fn get(conn: &dyn Sql, id: UploadId) -> anyhow::Result<Option<Upload>> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM file_uploads WHERE id = ?"),
        params![id],
    )?
    .first()
    .map(from_row)
    .transpose()
}

pub fn insert(conn: &dyn Sql, u: &Upload, now: i64) -> anyhow::Result<UploadId> {
    let (group_id, parent_id, room_kind, room_id) = match u.to {
        UploadTo::Folder {
            group_id,
            parent_id,
        } => (Some(group_id), parent_id, None, None),
        UploadTo::Room(room) => (None, None, Some(room.kind()), Some(room.id())),
    };
    conn.query(
        "INSERT INTO file_uploads (group_id, parent_id, room_kind, room_id, name, size,
             part_size, uploader_id, blob, created_at, expires_at, direct)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            group_id,
            parent_id,
            room_kind,
            room_id,
            &u.name,
            u.size,
            u.part_size,
            &u.uploader_id,
            &u.blob,
            now,
            u.expires_at,
            u.direct as i64
        ],
    )?[0]
        .id(0)
}

impl Upload {
    /// Its blob, its chunk count known: a direct upload's is one object, parts are written in
    /// the chunk store's chunks.
    pub fn content(&self) -> Chunked {
        Chunked {
            blob: self.blob.clone(),
            size: self.size,
            chunk_size: self.direct.then_some(self.size.max(1)),
        }
    }

    /// What a deletion of the upload leaves to discard: its parts. Not a direct upload's
    /// object, which its form may still write until the upload's lifetime is over: its blob
    /// stays pending, and the sweep takes it after that.
    pub fn to_discard(&self) -> Option<Chunked> {
        (!self.direct).then(|| self.content())
    }
}

/// [`Upload::to_discard`] of a deleted row of `(blob, size, direct)`.
fn leftover(r: &Row) -> anyhow::Result<Option<Chunked>> {
    if r.int(2)? != 0 {
        return Ok(None);
    }
    Ok(Some(Chunked {
        blob: r.text(0)?,
        size: r.int(1)?,
        chunk_size: None,
    }))
}

pub fn put_part(conn: &dyn Sql, id: UploadId, part: i64, size: i64) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO file_upload_parts (upload_id, part, size) VALUES (?, ?, ?)",
        params![id, part, size],
    )?;
    Ok(())
}

/// The parts received so far, in order.
pub fn parts(conn: &dyn Sql, id: UploadId) -> anyhow::Result<Vec<i64>> {
    conn.query(
        "SELECT part FROM file_upload_parts WHERE upload_id = ? ORDER BY part",
        params![id],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// Bytes reserved by uploads in progress into a group's space (their declared sizes), expired
/// ones aside.
pub fn reserved_bytes(conn: &dyn Sql, group_id: GroupId, now: i64) -> anyhow::Result<u64> {
    sum(
        conn,
        "SELECT ifnull(SUM(size), 0) FROM file_uploads WHERE group_id = ? AND expires_at >= ?",
        params![group_id, now],
    )
}

/// Bytes reserved by uploads in progress into a chat room.
pub fn reserved_room_bytes(conn: &dyn Sql, room: Room, now: i64) -> anyhow::Result<u64> {
    sum(
        conn,
        "SELECT ifnull(SUM(size), 0) FROM file_uploads
         WHERE room_kind = ? AND room_id = ? AND expires_at >= ?",
        params![room.kind(), room.id(), now],
    )
}

/// Bytes reserved by a user's uploads in progress into chat rooms, every room together.
pub fn reserved_chat_bytes(conn: &dyn Sql, uploader: &UserId, now: i64) -> anyhow::Result<u64> {
    sum(
        conn,
        "SELECT ifnull(SUM(size), 0) FROM file_uploads
         WHERE uploader_id = ? AND room_kind IS NOT NULL AND expires_at >= ?",
        params![uploader, now],
    )
}

fn sum(conn: &dyn Sql, sql: &str, values: &[Value]) -> anyhow::Result<u64> {
    Ok(conn.query(sql, values)?[0].int(0)?.max(0) as u64)
}

/// Deletes an upload and its parts; whether it was there (a concurrent `complete` or `abort`
/// may have ended it first).
pub fn delete(conn: &dyn Sql, id: UploadId) -> anyhow::Result<bool> {
    // The upload first: outside a transaction, a reader then never sees it without its parts.
    let deleted = conn.execute("DELETE FROM file_uploads WHERE id = ?", params![id])? > 0;
    conn.execute(
        "DELETE FROM file_upload_parts WHERE upload_id = ?",
        params![id],
    )?;
    Ok(deleted)
}

/// Uploads past their expiry: their blobs stay pending, so the sweep collects the parts.
/// Deletes the uploads past their lifetime, and their parts; how many uploads.
pub fn delete_expired(conn: &dyn Sql, now: i64) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM file_upload_parts WHERE upload_id IN
             (SELECT id FROM file_uploads WHERE expires_at < ?)",
        params![now],
    )?;
    conn.execute(
        "DELETE FROM file_uploads WHERE expires_at < ?",
        params![now],
    )
}

/// Deletes every upload to a group, its space or its chat room, and their parts; returns their
/// blobs.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<Chunked>> {
    delete_where(
        conn,
        "group_id = ? OR (room_kind = 'group' AND room_id = ?)",
        params![group_id, group_id],
    )
}

/// Deletes the uploads of one member to a group, its space or its chat room (they left it), and
/// their parts; returns their blobs.
pub fn delete_member(
    conn: &dyn Sql,
    group_id: GroupId,
    uploader_id: &UserId,
) -> anyhow::Result<Vec<Chunked>> {
    delete_where(
        conn,
        "(group_id = ? OR (room_kind = 'group' AND room_id = ?)) AND uploader_id = ?",
        params![group_id, group_id, uploader_id],
    )
}

/// Deletes every upload to a chat room (the room is being deleted), and their parts; returns
/// their blobs.
pub fn delete_room(conn: &dyn Sql, room: Room) -> anyhow::Result<Vec<Chunked>> {
    delete_where(
        conn,
        "room_kind = ? AND room_id = ?",
        params![room.kind(), room.id()],
    )
}

/// Deletes every upload of a user to any chat room (their account is deleted), and their
/// parts; returns their blobs.
pub fn delete_to_rooms(conn: &dyn Sql, uploader: &UserId) -> anyhow::Result<Vec<Chunked>> {
    delete_where(
        conn,
        "uploader_id = ? AND room_kind IS NOT NULL",
        params![uploader],
    )
}

fn delete_where(conn: &dyn Sql, filter: &str, params: &[Value]) -> anyhow::Result<Vec<Chunked>> {
    conn.execute(
        &format!(
            "DELETE FROM file_upload_parts WHERE upload_id IN
                 (SELECT id FROM file_uploads WHERE {filter})"
        ),
        params,
    )?;
    conn.query(
        &format!("DELETE FROM file_uploads WHERE {filter} RETURNING blob, size, direct"),
        params,
    )?
    .iter()
    .filter_map(|r| leftover(r).transpose())
    .collect()
}
