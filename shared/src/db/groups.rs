//! The `groups` table.

use crate::ids::{GroupId, UserId};
use crate::params;
use crate::storage::{Row, Sql};

use super::StoredPicture;

#[derive(Debug, Clone)]
pub struct Group {
    pub id: GroupId,
    pub kind: String,
    pub name: String,
    pub info: String,
    pub user_limit: i64,
    pub user_cnt: i64,
    pub creator_id: UserId,
    pub created_at: i64,
    pub dismissed_at: Option<i64>,
}

impl Group {
    pub fn is_dismissed(&self) -> bool {
        self.dismissed_at.is_some()
    }

    pub fn is_full(&self) -> bool {
        self.user_cnt >= self.user_limit
    }
}

pub const COLUMNS: &str =
    "g.id, g.type, g.name, g.info, g.user_limit, g.user_cnt, g.creator_id, g.created_at, g.dismissed_at";

/// Reads a group from a row that starts with [`COLUMNS`].
pub fn from_row(row: &Row) -> anyhow::Result<Group> {
    Ok(Group {
        id: GroupId(row.int(0)?),
        kind: row.text(1)?,
        name: row.text(2)?,
        info: row.text(3)?,
        user_limit: row.int(4)?,
        user_cnt: row.int(5)?,
        creator_id: row.user_id(6)?,
        created_at: row.int(7)?,
        dismissed_at: row.opt_int(8)?,
    })
}

pub fn insert(
    conn: &dyn Sql,
    kind: &str,
    name: &str,
    user_limit: i64,
    creator_id: &UserId,
    now: i64,
) -> anyhow::Result<GroupId> {
    let rows = conn.query(
        "INSERT INTO groups (type, name, user_limit, user_cnt, creator_id, created_at)
         VALUES (?, ?, ?, 1, ?, ?) RETURNING id",
        params![kind, name, user_limit, creator_id, now],
    )?;
    Ok(GroupId(rows[0].int(0)?))
}

pub fn get(conn: &dyn Sql, id: GroupId) -> anyhow::Result<Option<Group>> {
    let rows = conn.query(
        &format!("SELECT {COLUMNS} FROM groups g WHERE g.id = ?"),
        params![id],
    )?;
    rows.first().map(from_row).transpose()
}

pub fn set_info(conn: &dyn Sql, id: GroupId, info: &str) -> anyhow::Result<()> {
    conn.execute("UPDATE groups SET info = ? WHERE id = ?", params![info, id])?;
    Ok(())
}

pub fn set_name(conn: &dyn Sql, id: GroupId, name: &str) -> anyhow::Result<()> {
    conn.execute("UPDATE groups SET name = ? WHERE id = ?", params![name, id])?;
    Ok(())
}

pub fn dismiss(conn: &dyn Sql, id: GroupId, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE groups SET dismissed_at = ? WHERE id = ? AND dismissed_at IS NULL",
        params![now, id],
    )?;
    Ok(())
}

/// Adds `delta` to the member count.
pub fn add_members(conn: &dyn Sql, id: GroupId, delta: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE groups SET user_cnt = user_cnt + ? WHERE id = ?",
        params![delta, id],
    )?;
    Ok(())
}

/// The stored avatar of a group, when it has one.
pub fn avatar(conn: &dyn Sql, id: GroupId) -> anyhow::Result<Option<StoredPicture>> {
    let rows = conn.query(
        "SELECT avatar_blob, avatar_type, avatar_etag FROM groups WHERE id = ? AND avatar_blob IS NOT NULL",
        params![id],
    )?;
    rows.first().map(StoredPicture::from_row).transpose()
}

pub fn set_avatar(conn: &dyn Sql, id: GroupId, avatar: &StoredPicture) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE groups SET avatar_blob = ?, avatar_type = ?, avatar_etag = ? WHERE id = ?",
        params![&avatar.blob, &avatar.content_type, &avatar.etag, id],
    )?;
    Ok(())
}

/// Takes a group's avatar away (back to the default) if it is still `pinned` (any without);
/// the old one, to delete after the commit.
pub fn clear_avatar(
    conn: &dyn Sql,
    id: GroupId,
    pinned: Option<&str>,
) -> anyhow::Result<Option<StoredPicture>> {
    let old = avatar(conn, id)?.filter(|old| pinned.is_none_or(|blob| old.blob == blob));
    if old.is_some() {
        conn.execute(
            "UPDATE groups SET avatar_blob = NULL, avatar_type = NULL, avatar_etag = NULL
             WHERE id = ?",
            params![id],
        )?;
    }
    Ok(old)
}

/// Up to `limit` names of active groups of `kind` containing `key`, largest groups first.
pub fn name_hints(
    conn: &dyn Sql,
    kind: &str,
    key: &str,
    limit: i64,
) -> anyhow::Result<Vec<String>> {
    // Walks the (type, user_cnt DESC, name) index in order and stops at the limit: a common key
    // ends early, a rare one reads only this type's index entries.
    conn.query(
        "SELECT DISTINCT name FROM groups INDEXED BY groups_active_by_size
         WHERE type = ? AND dismissed_at IS NULL AND instr(lower(name), lower(?)) > 0
         ORDER BY user_cnt DESC, name LIMIT ?",
        params![kind, key, limit],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// Every group `user_id` belongs to, active or dismissed.
pub fn of_member(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<Vec<Group>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM group_members m JOIN groups g ON g.id = m.group_id
             WHERE m.user_id = ?"
        ),
        params![user_id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

/// Distinct names of the given active groups, largest groups first, at most `limit`.
pub fn names_by_size(conn: &dyn Sql, ids: &[i64], limit: i64) -> anyhow::Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let mut params: Vec<crate::storage::Value> = ids.iter().map(|id| (*id).into()).collect();
    params.push(limit.into());
    conn.query(
        &format!(
            "SELECT name FROM groups WHERE id IN ({marks}) AND dismissed_at IS NULL
             GROUP BY name ORDER BY MAX(user_cnt) DESC, name LIMIT ?"
        ),
        &params,
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The groups of `ids`, in that order (missing ones left out).
pub fn by_ids(conn: &dyn Sql, ids: &[i64]) -> anyhow::Result<Vec<Group>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = vec!["?"; ids.len()].join(", ");
    let params: Vec<crate::storage::Value> = ids.iter().map(|id| (*id).into()).collect();
    let mut found: Vec<Group> = conn
        .query(
            &format!("SELECT {COLUMNS} FROM groups g WHERE g.id IN ({marks})"),
            &params,
        )?
        .iter()
        .map(from_row)
        .collect::<anyhow::Result<_>>()?;
    found.sort_by_key(|g| ids.iter().position(|id| *id == g.id.0));
    Ok(found)
}

/// Active and dismissed groups (the admin dashboard).
pub fn counts(conn: &dyn Sql) -> anyhow::Result<(i64, i64)> {
    let row = &conn.query(
        "SELECT count(*) - count(dismissed_at), count(dismissed_at) FROM groups",
        params![],
    )?[0];
    Ok((row.int(0)?, row.int(1)?))
}

/// Groups of a type, active or dismissed.
pub fn count_of_type(conn: &dyn Sql, group_type: &str) -> anyhow::Result<i64> {
    conn.query(
        "SELECT count(*) FROM groups WHERE type = ?",
        params![group_type],
    )?[0]
        .int(0)
}

/// Deletes a group's row; returns its uploaded avatar, if any.
pub fn delete(conn: &dyn Sql, id: GroupId) -> anyhow::Result<Option<StoredPicture>> {
    let rows = conn.query(
        "DELETE FROM groups WHERE id = ? RETURNING avatar_blob, avatar_type, avatar_etag",
        params![id],
    )?;
    match rows.first() {
        Some(row) if row.opt_text(0)?.is_some() => Ok(Some(StoredPicture::from_row(row)?)),
        _ => Ok(None),
    }
}

/// Hands a group to a new creator (the old one's account is deleted).
pub fn set_creator(conn: &dyn Sql, id: GroupId, creator: &UserId) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE groups SET creator_id = ? WHERE id = ?",
        params![creator, id],
    )?;
    Ok(())
}
