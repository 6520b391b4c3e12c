//! The `group_pictures` table: intro pictures of a group.

use crate::ids::{GroupId, PictureId};
use crate::params;
use crate::storage::Sql;

use super::StoredPicture;

pub fn ids(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<PictureId>> {
    conn.query(
        "SELECT id FROM group_pictures WHERE group_id = ? ORDER BY id",
        params![group_id],
    )?
    .iter()
    .map(|r| r.id(0))
    .collect()
}

pub fn get(
    conn: &dyn Sql,
    group_id: GroupId,
    id: PictureId,
) -> anyhow::Result<Option<StoredPicture>> {
    let rows = conn.query(
        "SELECT blob, content_type, etag FROM group_pictures WHERE id = ? AND group_id = ?",
        params![id, group_id],
    )?;
    rows.first().map(StoredPicture::from_row).transpose()
}

pub fn insert(
    conn: &dyn Sql,
    group_id: GroupId,
    pic: &StoredPicture,
    now: i64,
) -> anyhow::Result<PictureId> {
    conn.query(
        "INSERT INTO group_pictures (group_id, blob, content_type, etag, created_at)
         VALUES (?, ?, ?, ?, ?) RETURNING id",
        params![group_id, &pic.blob, &pic.content_type, &pic.etag, now],
    )?[0]
        .id(0)
}

pub fn delete(conn: &dyn Sql, group_id: GroupId, id: PictureId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM group_pictures WHERE id = ? AND group_id = ?",
        params![id, group_id],
    )
}

/// Deletes every intro picture of a group; returns them, for their blobs to go too.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<StoredPicture>> {
    conn.query(
        "DELETE FROM group_pictures WHERE group_id = ? RETURNING blob, content_type, etag",
        params![group_id],
    )?
    .iter()
    .map(StoredPicture::from_row)
    .collect()
}

/// The group an intro picture belongs to.
pub fn group_of(conn: &dyn Sql, id: PictureId) -> anyhow::Result<Option<GroupId>> {
    let rows = conn.query(
        "SELECT group_id FROM group_pictures WHERE id = ?",
        params![id],
    )?;
    rows.first().map(|r| r.id(0)).transpose()
}

/// Whether an intro picture of the group is stored as `blob`: pictures are named by their
/// content under their group's prefix, so two identical uploads to one group share it.
pub fn blob_used(conn: &dyn Sql, group_id: GroupId, blob: &str) -> anyhow::Result<bool> {
    let rows = conn.query(
        "SELECT 1 FROM group_pictures WHERE group_id = ? AND blob = ? LIMIT 1",
        params![group_id, blob],
    )?;
    Ok(!rows.is_empty())
}
