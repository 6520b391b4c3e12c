//! The `file_uploads` and `file_upload_parts` tables: resumable uploads in progress.

use crate::params;
use crate::storage::{Row, Sql, Value};

use super::Chunked;

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: i64,
    pub group_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub size: i64,
    pub part_size: i64,
    pub uploader_id: String,
    pub blob: String,
    pub expires_at: i64,
}

fn from_row(r: &Row) -> anyhow::Result<Upload> {
    Ok(Upload {
        id: r.int(0)?,
        group_id: r.int(1)?,
        parent_id: r.opt_int(2)?,
        name: r.text(3)?,
        size: r.int(4)?,
        part_size: r.int(5)?,
        uploader_id: r.text(6)?,
        blob: r.text(7)?,
        expires_at: r.int(8)?,
    })
}

pub fn get(conn: &dyn Sql, id: i64) -> anyhow::Result<Option<Upload>> {
    conn.query(
        "SELECT id, group_id, parent_id, name, size, part_size, uploader_id, blob, expires_at
         FROM file_uploads WHERE id = ?",
        params![id],
    )?
    .first()
    .map(from_row)
    .transpose()
}

pub fn insert(conn: &dyn Sql, u: &Upload, now: i64) -> anyhow::Result<i64> {
    conn.query(
        "INSERT INTO file_uploads
             (group_id, parent_id, name, size, part_size, uploader_id, blob, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        params![
            u.group_id,
            u.parent_id,
            &u.name,
            u.size,
            u.part_size,
            &u.uploader_id,
            &u.blob,
            now,
            u.expires_at
        ],
    )?[0]
        .int(0)
}

pub fn put_part(conn: &dyn Sql, id: i64, part: i64, size: i64) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO file_upload_parts (upload_id, part, size) VALUES (?, ?, ?)",
        params![id, part, size],
    )?;
    Ok(())
}

/// The parts received so far, in order.
pub fn parts(conn: &dyn Sql, id: i64) -> anyhow::Result<Vec<i64>> {
    conn.query(
        "SELECT part FROM file_upload_parts WHERE upload_id = ? ORDER BY part",
        params![id],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// Bytes reserved by a group's uploads in progress (their declared sizes), expired ones aside.
pub fn reserved_bytes(conn: &dyn Sql, group_id: i64, now: i64) -> anyhow::Result<u64> {
    let rows = conn.query(
        "SELECT ifnull(SUM(size), 0) FROM file_uploads WHERE group_id = ? AND expires_at >= ?",
        params![group_id, now],
    )?;
    Ok(rows[0].int(0)?.max(0) as u64)
}

pub fn delete(conn: &dyn Sql, id: i64) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM file_upload_parts WHERE upload_id = ?",
        params![id],
    )?;
    conn.execute("DELETE FROM file_uploads WHERE id = ?", params![id])?;
    Ok(())
}

/// Uploads past their expiry: their blobs stay pending, so the sweep collects the parts.
pub fn delete_expired(conn: &dyn Sql, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM file_upload_parts WHERE upload_id IN
             (SELECT id FROM file_uploads WHERE expires_at < ?)",
        params![now],
    )?;
    conn.execute(
        "DELETE FROM file_uploads WHERE expires_at < ?",
        params![now],
    )?;
    Ok(())
}

/// Deletes every upload to a group and their parts; returns their blobs.
pub fn delete_group(conn: &dyn Sql, group_id: i64) -> anyhow::Result<Vec<Chunked>> {
    delete_where(conn, "group_id = ?", params![group_id])
}

/// Deletes the uploads of one member to a group (they left it) and their parts; returns their
/// blobs.
pub fn delete_member(
    conn: &dyn Sql,
    group_id: i64,
    uploader_id: &str,
) -> anyhow::Result<Vec<Chunked>> {
    delete_where(
        conn,
        "group_id = ? AND uploader_id = ?",
        params![group_id, uploader_id],
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
        &format!("DELETE FROM file_uploads WHERE {filter} RETURNING blob, size"),
        params,
    )?
    .iter()
    .map(|r| {
        Ok(Chunked {
            blob: r.text(0)?,
            size: r.int(1)?,
            chunk_size: None,
        })
    })
    .collect()
}
