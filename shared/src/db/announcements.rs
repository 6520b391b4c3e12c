//! The `announcements` table.

use crate::ids::{AnnouncementId, GroupId, UserId};
use crate::params;
use crate::storage::Sql;

use super::StoredPicture;

pub struct Announcement {
    pub id: AnnouncementId,
    pub title: String,
    pub text: String,
    pub author_id: UserId,
    pub created_at: i64,
    pub updated_at: i64,
    pub has_pic: bool,
}

const COLUMNS: &str = "id, title, text, author_id, created_at, updated_at, pic_blob IS NOT NULL";

fn from_row(r: &crate::storage::Row) -> anyhow::Result<Announcement> {
    Ok(Announcement {
        id: r.id(0)?,
        title: r.text(1)?,
        text: r.text(2)?,
        author_id: r.user_id(3)?,
        created_at: r.int(4)?,
        updated_at: r.int(5)?,
        has_pic: r.bool(6)?,
    })
}

/// Every announcement of a group, newest first.
pub fn list(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<Announcement>> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM announcements WHERE group_id = ? ORDER BY id DESC"),
        params![group_id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

pub fn get(
    conn: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
) -> anyhow::Result<Option<Announcement>> {
    let rows = conn.query(
        &format!("SELECT {COLUMNS} FROM announcements WHERE id = ? AND group_id = ?"),
        params![id, group_id],
    )?;
    rows.first().map(from_row).transpose()
}

pub fn insert(
    conn: &dyn Sql,
    group_id: GroupId,
    title: &str,
    text: &str,
    author: &UserId,
    now: i64,
) -> anyhow::Result<AnnouncementId> {
    conn.query(
        "INSERT INTO announcements (group_id, title, text, author_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        params![group_id, title, text, author, now, now],
    )?[0]
        .id(0)
}

pub fn update(
    conn: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
    title: &str,
    text: &str,
    now: i64,
) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE announcements SET title = ?, text = ?, updated_at = ? WHERE id = ? AND group_id = ?",
        params![title, text, now, id, group_id],
    )
}

pub fn delete(conn: &dyn Sql, group_id: GroupId, id: AnnouncementId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM announcements WHERE id = ? AND group_id = ?",
        params![id, group_id],
    )
}

pub fn picture(
    conn: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
) -> anyhow::Result<Option<StoredPicture>> {
    let rows = conn.query(
        "SELECT pic_blob, pic_type, pic_etag FROM announcements
         WHERE id = ? AND group_id = ? AND pic_blob IS NOT NULL",
        params![id, group_id],
    )?;
    rows.first().map(StoredPicture::from_row).transpose()
}

/// Sets (or with `None` removes) the picture of an announcement.
pub fn set_picture(
    conn: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
    pic: Option<&StoredPicture>,
) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE announcements SET pic_blob = ?, pic_type = ?, pic_etag = ? WHERE id = ? AND group_id = ?",
        params![
            pic.map(|p| p.blob.clone()),
            pic.map(|p| p.content_type.clone()),
            pic.map(|p| p.etag.clone()),
            id,
            group_id
        ],
    )
}

/// Deletes every announcement of a group; returns their pictures, for their blobs to go too.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<StoredPicture>> {
    conn.query(
        "DELETE FROM announcements WHERE group_id = ? RETURNING pic_blob, pic_type, pic_etag",
        params![group_id],
    )?
    .iter()
    .filter_map(|r| {
        r.opt_text(0)
            .transpose()
            .map(|_| StoredPicture::from_row(r))
    })
    .collect()
}

/// The group an announcement belongs to.
pub fn group_of(conn: &dyn Sql, id: AnnouncementId) -> anyhow::Result<Option<GroupId>> {
    let rows = conn.query(
        "SELECT group_id FROM announcements WHERE id = ?",
        params![id],
    )?;
    rows.first().map(|r| r.id(0)).transpose()
}

/// Up to `limit` announcements a user wrote, newest first, with their groups.
pub fn by_author(
    conn: &dyn Sql,
    author: &UserId,
    limit: i64,
) -> anyhow::Result<Vec<(GroupId, Announcement)>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS}, group_id FROM announcements WHERE author_id = ?
             ORDER BY id DESC LIMIT ?"
        ),
        params![author, limit],
    )?
    .iter()
    .map(|r| Ok((r.id(7)?, from_row(r)?)))
    .collect()
}
