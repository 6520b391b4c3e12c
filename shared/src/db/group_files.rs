//! The `group_files` table: the folder tree of each group and the files in it.

use crate::ids::{FileId, GroupId, UserId};
use crate::params;
use crate::storage::{Row, Sql, Value};

use super::Chunked;

/// Where a file's bytes are and what they are.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub blob: String,
    pub chunk_size: i64,
    pub size: i64,
    pub file_type: String,
    pub content_type: String,
    pub duration: f64,
    pub etag: String,
    pub thumbnail: Thumbnail,
}

/// The state of a file's thumbnail (the `thumbnail` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Thumbnail {
    NotMade = 0,
    Stored = 1,
    None = 2,
}

impl Thumbnail {
    fn from_column(v: i64) -> Thumbnail {
        match v {
            1 => Thumbnail::Stored,
            2 => Thumbnail::None,
            _ => Thumbnail::NotMade,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub id: FileId,
    pub group_id: GroupId,
    pub parent_id: Option<FileId>,
    pub name: String,
    pub uploader_id: UserId,
    pub created_at: i64,
    /// `None` for a folder.
    pub content: Option<Content>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.content.is_none()
    }
}

const COLUMNS: &str = "id, group_id, parent_id, name, uploader_id, created_at, is_dir, blob, \
                       chunk_size, size, file_type, content_type, duration, etag, thumbnail";
// The tail of COLUMNS is CONTENT_COLUMNS, read by `Content::from_row(r, 7)`.

/// The columns of [`Content`], in the order [`Content::from_row`] reads them.
pub const CONTENT_COLUMNS: &str =
    "blob, chunk_size, size, file_type, content_type, duration, etag, thumbnail";

impl Content {
    /// The values of [`CONTENT_COLUMNS`], in order.
    pub fn values(&self) -> [Value; 8] {
        [
            self.blob.as_str().into(),
            self.chunk_size.into(),
            self.size.into(),
            self.file_type.as_str().into(),
            self.content_type.as_str().into(),
            self.duration.into(),
            self.etag.as_str().into(),
            (self.thumbnail as i64).into(),
        ]
    }

    /// Reads [`CONTENT_COLUMNS`] starting at column `at`.
    pub fn from_row(r: &Row, at: usize) -> anyhow::Result<Content> {
        Ok(Content {
            blob: r.text(at)?,
            chunk_size: r.int(at + 1)?,
            size: r.int(at + 2)?,
            file_type: r.text(at + 3)?,
            content_type: r.text(at + 4)?,
            duration: r.real(at + 5)?,
            etag: r.text(at + 6)?,
            thumbnail: Thumbnail::from_column(r.int(at + 7)?),
        })
    }
}

impl From<Content> for Chunked {
    fn from(c: Content) -> Chunked {
        Chunked {
            blob: c.blob,
            size: c.size,
            chunk_size: Some(c.chunk_size),
        }
    }
}

fn from_row(r: &Row) -> anyhow::Result<Entry> {
    let content = match r.bool(6)? {
        true => None,
        false => Some(Content::from_row(r, 7)?),
    };
    Ok(Entry {
        id: r.id(0)?,
        group_id: r.id(1)?,
        parent_id: r.opt_int(2)?.map(FileId),
        name: r.text(3)?,
        uploader_id: r.user_id(4)?,
        created_at: r.int(5)?,
        content,
    })
}

/// An entry of a group (a file or a folder).
pub fn get(conn: &dyn Sql, group_id: GroupId, id: FileId) -> anyhow::Result<Option<Entry>> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM group_files WHERE id = ? AND group_id = ?"),
        params![id, group_id],
    )?
    .first()
    .map(from_row)
    .transpose()
}

/// The entries of a folder (`None`: the root), folders first, then by name.
pub fn children(
    conn: &dyn Sql,
    group_id: GroupId,
    parent: Option<FileId>,
) -> anyhow::Result<Vec<Entry>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM group_files WHERE group_id = ? AND ifnull(parent_id, 0) = ?
             ORDER BY is_dir DESC, name"
        ),
        params![group_id, parent.map_or(0, |p| p.0)],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// A folder and everything under it, the folder first.
pub fn subtree(conn: &dyn Sql, group_id: GroupId, id: FileId) -> anyhow::Result<Vec<Entry>> {
    conn.query(
        &format!(
            "WITH RECURSIVE tree(id) AS (
                 SELECT id FROM group_files WHERE id = ?1 AND group_id = ?2
                 UNION ALL
                 SELECT f.id FROM group_files f JOIN tree t ON f.parent_id = t.id
             )
             SELECT {COLUMNS} FROM group_files WHERE id IN (SELECT id FROM tree)"
        ),
        params![id, group_id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// The folders from `id` up to the root, `id` first.
pub fn ancestors(conn: &dyn Sql, id: FileId) -> anyhow::Result<Vec<FileId>> {
    conn.query(
        "WITH RECURSIVE up(id, parent_id) AS (
             SELECT id, parent_id FROM group_files WHERE id = ?
             UNION ALL
             SELECT f.id, f.parent_id FROM group_files f JOIN up ON f.id = up.parent_id
         )
         SELECT id FROM up",
        params![id],
    )?
    .iter()
    .map(|r| r.id(0))
    .collect()
}

pub fn name_taken(
    conn: &dyn Sql,
    group_id: GroupId,
    parent: Option<FileId>,
    name: &str,
) -> anyhow::Result<bool> {
    Ok(!conn
        .query(
            "SELECT 1 FROM group_files WHERE group_id = ? AND ifnull(parent_id, 0) = ? AND name = ?",
            params![group_id, parent.map_or(0, |p| p.0), name],
        )?
        .is_empty())
}

/// Bytes held by a group's files.
pub fn used_bytes(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<u64> {
    let rows = conn.query(
        "SELECT ifnull(SUM(size), 0) FROM group_files WHERE group_id = ?",
        params![group_id],
    )?;
    Ok(rows[0].int(0)?.max(0) as u64)
}

/// A new file id, unique across group files and chat files.
pub fn next_id(conn: &dyn Sql) -> anyhow::Result<FileId> {
    conn.query("INSERT INTO file_ids DEFAULT VALUES RETURNING id", &[])?[0].id(0)
}

pub fn insert_dir(
    conn: &dyn Sql,
    group_id: GroupId,
    parent: Option<FileId>,
    name: &str,
    maker: &UserId,
    now: i64,
) -> anyhow::Result<FileId> {
    let id = next_id(conn)?;
    conn.execute(
        "INSERT INTO group_files (id, group_id, parent_id, name, is_dir, uploader_id, created_at)
         VALUES (?, ?, ?, ?, 1, ?, ?)",
        params![id, group_id, parent, name, maker, now],
    )?;
    Ok(id)
}

pub fn insert_file(
    conn: &dyn Sql,
    group_id: GroupId,
    parent: Option<FileId>,
    name: &str,
    uploader: &UserId,
    now: i64,
    c: &Content,
) -> anyhow::Result<FileId> {
    let id = next_id(conn)?;
    let mut values = params![id, group_id, parent, name, uploader, now].to_vec();
    values.extend(c.values());
    conn.execute(
        &format!(
            "INSERT INTO group_files (id, group_id, parent_id, name, uploader_id, created_at,
                 is_dir, {CONTENT_COLUMNS})
             VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)"
        ),
        &values,
    )?;
    Ok(id)
}

pub fn rename(conn: &dyn Sql, id: FileId, name: &str) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_files SET name = ? WHERE id = ?",
        params![name, id],
    )
}

pub fn set_parent(conn: &dyn Sql, id: FileId, parent: Option<FileId>) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_files SET parent_id = ? WHERE id = ?",
        params![parent, id],
    )
}

pub fn set_thumbnail(conn: &dyn Sql, id: FileId, state: Thumbnail) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_files SET thumbnail = ? WHERE id = ?",
        params![state as i64, id],
    )
}

pub fn delete(conn: &dyn Sql, ids: &[FileId]) -> anyhow::Result<()> {
    for id in ids {
        conn.execute("DELETE FROM group_files WHERE id = ?", params![*id])?;
    }
    Ok(())
}

/// Deletes every entry of a group (the group is being deleted); returns the files' contents.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<Chunked>> {
    conn.query(
        "DELETE FROM group_files WHERE group_id = ? RETURNING blob, size, chunk_size",
        params![group_id],
    )?
    .iter()
    // Folders have no blob.
    .filter_map(|r| r.opt_text(0).transpose().map(|_| Chunked::from_row(r)))
    .collect()
}

/// Bytes stored per group, largest first, up to `limit` groups, and in all (the admin
/// dashboard).
pub fn usage(conn: &dyn Sql, limit: i64) -> anyhow::Result<(Vec<(i64, i64)>, i64)> {
    let per_group = conn
        .query(
            "SELECT group_id, sum(size) AS used FROM group_files
             GROUP BY group_id ORDER BY used DESC LIMIT ?",
            params![limit],
        )?
        .iter()
        .map(|r| Ok((r.int(0)?, r.int(1)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let total = conn.query("SELECT ifnull(sum(size), 0) FROM group_files", params![])?[0].int(0)?;
    Ok((per_group, total))
}

/// The group an entry belongs to.
pub fn group_of(conn: &dyn Sql, id: FileId) -> anyhow::Result<Option<GroupId>> {
    let rows = conn.query("SELECT group_id FROM group_files WHERE id = ?", params![id])?;
    rows.first().map(|r| r.id(0)).transpose()
}

/// Up to `limit` entries of a group, folder by folder (the admin console's group view).
pub fn of_group(conn: &dyn Sql, group_id: GroupId, limit: i64) -> anyhow::Result<Vec<Entry>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM group_files WHERE group_id = ?
             ORDER BY ifnull(parent_id, 0), is_dir DESC, name LIMIT ?"
        ),
        params![group_id, limit],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Up to `limit` files and folders a user made, in any group, newest first.
pub fn by_uploader(conn: &dyn Sql, uploader: &UserId, limit: i64) -> anyhow::Result<Vec<Entry>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM group_files WHERE uploader_id = ? ORDER BY id DESC LIMIT ?"
        ),
        params![uploader, limit],
    )?
    .iter()
    .map(from_row)
    .collect()
}
