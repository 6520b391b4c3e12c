//! The `media_checks` table: media submitted to WeChat (or queued for it) until its verdict.

use crate::ids::UserId;
use crate::params;
use crate::storage::Sql;

pub struct MediaCheck {
    pub id: i64,
    pub target: String,
    pub user_id: UserId,
    pub media_type: i64,
    /// Submissions WeChat did not take.
    pub attempts: i64,
}

const COLUMNS: &str = "id, target, user_id, media_type, attempts";

fn from_row(r: &crate::storage::Row) -> anyhow::Result<MediaCheck> {
    Ok(MediaCheck {
        id: r.int(0)?,
        target: r.text(1)?,
        user_id: r.user_id(2)?,
        media_type: r.int(3)?,
        attempts: r.int(4)?,
    })
}

pub fn insert(
    conn: &dyn Sql,
    target: &str,
    user_id: &UserId,
    media_type: i64,
    now: i64,
) -> anyhow::Result<i64> {
    conn.query(
        "INSERT INTO media_checks (target, user_id, media_type, created_at) VALUES (?, ?, ?, ?)
         RETURNING id",
        params![target, user_id, media_type, now],
    )?[0]
        .int(0)
}

pub fn get(conn: &dyn Sql, id: i64) -> anyhow::Result<Option<MediaCheck>> {
    let rows = conn.query(
        &format!("SELECT {COLUMNS} FROM media_checks WHERE id = ?"),
        params![id],
    )?;
    rows.first().map(from_row).transpose()
}

/// The check WeChat named by `trace_id`.
pub fn by_trace(conn: &dyn Sql, trace_id: &str) -> anyhow::Result<Option<MediaCheck>> {
    let rows = conn.query(
        &format!("SELECT {COLUMNS} FROM media_checks WHERE trace_id = ?"),
        params![trace_id],
    )?;
    rows.first().map(from_row).transpose()
}

/// Up to `limit` checks still waiting to be sent, other than `but`: the least tried first, so
/// that one WeChat keeps refusing does not hold up the rest.
pub fn queued(conn: &dyn Sql, but: i64, limit: i64) -> anyhow::Result<Vec<i64>> {
    conn.query(
        "SELECT id FROM media_checks WHERE trace_id IS NULL AND id <> ?
         ORDER BY attempts, id LIMIT ?",
        params![but, limit],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

pub fn sent(conn: &dyn Sql, id: i64, trace_id: &str) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE media_checks SET trace_id = ? WHERE id = ?",
        params![trace_id, id],
    )?;
    Ok(())
}

pub fn failed(conn: &dyn Sql, id: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE media_checks SET attempts = attempts + 1 WHERE id = ?",
        params![id],
    )?;
    Ok(())
}

pub fn delete(conn: &dyn Sql, id: i64) -> anyhow::Result<()> {
    conn.execute("DELETE FROM media_checks WHERE id = ?", params![id])?;
    Ok(())
}

/// Forgets checks made before `before` (WeChat never answered, or they never got through).
pub fn give_up(conn: &dyn Sql, before: i64) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM media_checks WHERE id IN
             (SELECT id FROM media_checks WHERE created_at < ? LIMIT 16)",
        params![before],
    )
}

pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT COUNT(*) FROM media_checks", &[])?[0].int(0)
}
