//! The `user_tags` table.

use crate::ids::{UserId, UserTagId};
use crate::params;
use crate::storage::Sql;

pub struct UserTag {
    pub id: UserTagId,
    pub user_id: UserId,
    pub tag_text: String,
}

pub fn list(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<Vec<UserTag>> {
    conn.query(
        "SELECT id, user_id, tag_text FROM user_tags WHERE user_id = ? ORDER BY id",
        params![user_id],
    )?
    .iter()
    .map(|r| {
        Ok(UserTag {
            id: r.id(0)?,
            user_id: r.user_id(1)?,
            tag_text: r.text(2)?,
        })
    })
    .collect()
}

pub fn count(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<i64> {
    conn.query(
        "SELECT COUNT(*) FROM user_tags WHERE user_id = ?",
        params![user_id],
    )?[0]
        .int(0)
}

/// True when the user already has a tag with this text, other than `except_id`.
pub fn text_taken(
    conn: &dyn Sql,
    user_id: &UserId,
    text: &str,
    except_id: UserTagId,
) -> anyhow::Result<bool> {
    Ok(!conn
        .query(
            "SELECT 1 FROM user_tags WHERE user_id = ? AND tag_text = ? AND id <> ?",
            params![user_id, text, except_id],
        )?
        .is_empty())
}

pub fn insert(conn: &dyn Sql, user_id: &UserId, text: &str, now: i64) -> anyhow::Result<u64> {
    conn.execute(
        "INSERT INTO user_tags (user_id, tag_text, created_at) VALUES (?, ?, ?)",
        params![user_id, text, now],
    )
}

/// Changes the text of the user's own tag; 0 when they have no tag `id`.
pub fn update(conn: &dyn Sql, user_id: &UserId, id: UserTagId, text: &str) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE user_tags SET tag_text = ? WHERE id = ? AND user_id = ?",
        params![text, id, user_id],
    )
}

/// Deletes the user's own tag; 0 when they have no tag `id`.
pub fn delete(conn: &dyn Sql, user_id: &UserId, id: UserTagId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM user_tags WHERE id = ? AND user_id = ?",
        params![id, user_id],
    )
}

/// The user a tag belongs to.
pub fn owner(conn: &dyn Sql, id: UserTagId) -> anyhow::Result<Option<UserId>> {
    conn.query("SELECT user_id FROM user_tags WHERE id = ?", params![id])?
        .first()
        .map(|r| r.user_id(0))
        .transpose()
}

/// Deletes every tag of a user (their account is deleted).
pub fn delete_user(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<u64> {
    conn.execute("DELETE FROM user_tags WHERE user_id = ?", params![user_id])
}
