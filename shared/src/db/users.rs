//! The `users` table.

use crate::ids::UserId;
use crate::params;
use crate::storage::{Row, Sql};

use super::StoredPicture;

pub struct User {
    pub id: UserId,
    pub nickname: String,
    pub info: String,
    pub rating_sum: f64,
    pub rating_count: i64,
    pub created_at: i64,
}

impl User {
    /// Mean of the ratings received, one decimal; 0 without ratings.
    pub fn star_rating(&self) -> f64 {
        if self.rating_count == 0 {
            return 0.0;
        }
        (self.rating_sum / self.rating_count as f64 * 10.0).round() / 10.0
    }
}

const COLUMNS: &str = "id, nickname, info, rating_sum, rating_count, created_at";

fn user(row: &Row) -> anyhow::Result<User> {
    Ok(User {
        id: row.user_id(0)?,
        nickname: row.text(1)?,
        info: row.text(2)?,
        rating_sum: row.real(3)?,
        rating_count: row.int(4)?,
        created_at: row.int(5)?,
    })
}

/// Creates the user of `openid` unless it exists; true when it was created.
pub fn insert_if_new(
    conn: &dyn Sql,
    id: &UserId,
    openid: &str,
    nickname: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let changed = conn.execute(
        "INSERT INTO users (id, openid, nickname, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (openid) DO NOTHING",
        params![id, openid, nickname, now],
    )?;
    Ok(changed == 1)
}

pub fn id_by_openid(conn: &dyn Sql, openid: &str) -> anyhow::Result<Option<UserId>> {
    let rows = conn.query("SELECT id FROM users WHERE openid = ?", params![openid])?;
    rows.first().map(|r| r.user_id(0)).transpose()
}

/// The openid of user `id`: WeChat's calls about what they wrote name it, and their export
/// shows it.
pub fn openid(conn: &dyn Sql, id: &UserId) -> anyhow::Result<Option<String>> {
    let rows = conn.query("SELECT openid FROM users WHERE id = ?", params![id])?;
    rows.first().map(|r| r.text(0)).transpose()
}

pub fn exists(conn: &dyn Sql, id: &UserId) -> anyhow::Result<bool> {
    Ok(!conn
        .query("SELECT 1 FROM users WHERE id = ?", params![id])?
        .is_empty())
}

/// Whether the user exists and no ban holds at `now`: what every token is checked against.
pub fn active(conn: &dyn Sql, id: &UserId, now: i64) -> anyhow::Result<bool> {
    Ok(!conn
        .query(
            "SELECT 1 FROM users WHERE id = ?
             AND (banned_at IS NULL OR (banned_until IS NOT NULL AND banned_until <= ?))",
            params![id, now],
        )?
        .is_empty())
}

/// A ban in force: when it ends (`None`: never) and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Ban {
    pub at: i64,
    pub until: Option<i64>,
    pub reason: String,
}

/// The ban holding on a user at `now`, if any.
pub fn ban(conn: &dyn Sql, id: &UserId, now: i64) -> anyhow::Result<Option<Ban>> {
    let rows = conn.query(
        "SELECT banned_at, banned_until, coalesce(ban_reason, '') FROM users
         WHERE id = ? AND banned_at IS NOT NULL AND (banned_until IS NULL OR banned_until > ?)",
        params![id, now],
    )?;
    rows.first()
        .map(|r| {
            Ok(Ban {
                at: r.int(0)?,
                until: r.opt_int(1)?,
                reason: r.text(2)?,
            })
        })
        .transpose()
}

/// Bans a user (again: the new ban replaces the old); false when there is no such user.
pub fn set_ban(conn: &dyn Sql, id: &UserId, ban: &Ban) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET banned_at = ?, banned_until = ?, ban_reason = ? WHERE id = ?",
        params![ban.at, ban.until, &ban.reason, id],
    )? > 0)
}

/// Lifts a user's ban; false when there was none in force at `now`.
pub fn clear_ban(conn: &dyn Sql, id: &UserId, now: i64) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET banned_at = NULL, banned_until = NULL, ban_reason = NULL
         WHERE id = ? AND banned_at IS NOT NULL AND (banned_until IS NULL OR banned_until > ?)",
        params![id, now],
    )? > 0)
}

/// Resets a user's profile texts (moderation removed them): the nickname to `nickname`, the
/// intro empty, the avatar to the default; the old avatar, to delete after the commit.
pub fn reset_profile(
    conn: &dyn Sql,
    id: &UserId,
    nickname: &str,
) -> anyhow::Result<Option<Option<StoredPicture>>> {
    let old = avatar(conn, id)?;
    if old.is_some() {
        conn.execute(
            "UPDATE users SET nickname = ?, info = '', avatar_blob = NULL, avatar_type = NULL,
                 avatar_etag = NULL
             WHERE id = ?",
            params![nickname, id],
        )?;
    }
    Ok(old)
}

pub fn get(conn: &dyn Sql, id: &UserId) -> anyhow::Result<Option<User>> {
    let rows = conn.query(
        &format!("SELECT {COLUMNS} FROM users WHERE id = ?"),
        params![id],
    )?;
    rows.first().map(user).transpose()
}

pub fn set_info(conn: &dyn Sql, id: &UserId, info: &str) -> anyhow::Result<u64> {
    conn.execute("UPDATE users SET info = ? WHERE id = ?", params![info, id])
}

pub fn set_nickname(conn: &dyn Sql, id: &UserId, nickname: &str) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE users SET nickname = ? WHERE id = ?",
        params![nickname, id],
    )
}

/// The avatar of a user: `None` when the user does not exist, `Some(None)` when they have none.
pub fn avatar(conn: &dyn Sql, id: &UserId) -> anyhow::Result<Option<Option<StoredPicture>>> {
    let rows = conn.query(
        "SELECT avatar_blob, avatar_type, avatar_etag FROM users WHERE id = ?",
        params![id],
    )?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    Ok(Some(match row.opt_text(0)? {
        None => None,
        Some(_) => Some(StoredPicture::from_row(row)?),
    }))
}

pub fn set_avatar(conn: &dyn Sql, id: &UserId, avatar: &StoredPicture) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE users SET avatar_blob = ?, avatar_type = ?, avatar_etag = ? WHERE id = ?",
        params![&avatar.blob, &avatar.content_type, &avatar.etag, id],
    )
}

/// Takes a user's avatar away (back to the default) if it is still `pinned`; the old one, to
/// delete after the commit.
pub fn clear_avatar(
    conn: &dyn Sql,
    id: &UserId,
    pinned: &str,
) -> anyhow::Result<Option<StoredPicture>> {
    let old = avatar(conn, id)?.flatten().filter(|old| old.blob == pinned);
    if old.is_some() {
        conn.execute(
            "UPDATE users SET avatar_blob = NULL, avatar_type = NULL, avatar_etag = NULL
             WHERE id = ?",
            params![id],
        )?;
    }
    Ok(old)
}

/// How many users there are (the admin dashboard).
pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT count(*) FROM users", params![])?[0].int(0)
}

/// How a user whose account was deleted (注销) is named where their past content stays: the
/// messages they sent. Their id stays on those rows, but it names nobody any more (202).
pub const DELETED_NICKNAME: &str = "已注销用户";

/// Deletes a user's row (their account, 注销); false when there was none. Their tokens are 112
/// from now on, and their openid signs in as a new user.
pub fn delete(conn: &dyn Sql, id: &UserId) -> anyhow::Result<bool> {
    Ok(conn.execute("DELETE FROM users WHERE id = ?", params![id])? > 0)
}
