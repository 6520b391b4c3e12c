//! The `review_items` table: the moderation queue, one open item per target.

use crate::ids::ReviewId;
use crate::params;
use crate::storage::{Row, Sql};

/// Resolved items deleted by one prune: more than one report makes, so they go as fast as they come.
pub const PRUNE_BATCH: i64 = 16;

/// An item of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: ReviewId,
    /// The target's key (`moderation::Target::key`).
    pub target: String,
    pub reports: i64,
    pub wechat: i64,
    pub wechat_label: Option<String>,
    pub excerpt: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub resolved_at: Option<i64>,
    pub verdict: Option<String>,
}

const COLUMNS: &str = "id, target, reports, wechat, wechat_label, excerpt, created_at, updated_at,
    resolved_at, verdict";

fn item(r: &Row) -> anyhow::Result<Item> {
    Ok(Item {
        id: r.id(0)?,
        target: r.text(1)?,
        reports: r.int(2)?,
        wechat: r.int(3)?,
        wechat_label: r.opt_text(4)?,
        excerpt: r.text(5)?,
        created_at: r.int(6)?,
        updated_at: r.int(7)?,
        resolved_at: r.opt_int(8)?,
        verdict: r.opt_text(9)?,
    })
}

/// The open item of `target`, made when there is none; its id. A non-empty `excerpt` replaces
/// the item's (the target as it reads now).
pub fn open(conn: &dyn Sql, target: &str, excerpt: &str, now: i64) -> anyhow::Result<ReviewId> {
    conn.execute(
        "INSERT INTO review_items (target, excerpt, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (target) WHERE resolved_at IS NULL DO UPDATE SET
             excerpt = CASE excluded.excerpt WHEN '' THEN excerpt ELSE excluded.excerpt END",
        params![target, excerpt, now, now],
    )?;
    conn.query(
        "SELECT id FROM review_items WHERE target = ? AND resolved_at IS NULL",
        params![target],
    )?[0]
        .id(0)
}

/// One more reporter of item `id`.
pub fn count_report(conn: &dyn Sql, id: ReviewId, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE review_items SET reports = reports + 1, updated_at = ? WHERE id = ?",
        params![now, id],
    )?;
    Ok(())
}

/// One more WeChat verdict on item `id`, with its label.
pub fn count_wechat(conn: &dyn Sql, id: ReviewId, label: &str, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE review_items SET wechat = wechat + 1, wechat_label = ?, updated_at = ?
         WHERE id = ?",
        params![label, now, id],
    )?;
    Ok(())
}

/// An item, open or resolved.
pub fn get(conn: &dyn Sql, id: ReviewId) -> anyhow::Result<Option<Item>> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM review_items WHERE id = ?"),
        params![id],
    )?
    .first()
    .map(item)
    .transpose()
}

/// The open item of `target`, if any.
pub fn open_of(conn: &dyn Sql, target: &str) -> anyhow::Result<Option<Item>> {
    conn.query(
        &format!("SELECT {COLUMNS} FROM review_items WHERE target = ? AND resolved_at IS NULL"),
        params![target],
    )?
    .first()
    .map(item)
    .transpose()
}

/// Up to `limit` open items, most reported (WeChat's verdicts first) then oldest first.
pub fn open_items(conn: &dyn Sql, limit: i64) -> anyhow::Result<Vec<Item>> {
    conn.query(
        &format!(
            "SELECT {COLUMNS} FROM review_items WHERE resolved_at IS NULL
             ORDER BY wechat > 0 DESC, reports DESC, id LIMIT ?"
        ),
        params![limit],
    )?
    .iter()
    .map(item)
    .collect()
}

/// How many items are open.
pub fn open_count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query(
        "SELECT count(*) FROM review_items WHERE resolved_at IS NULL",
        &[],
    )?[0]
        .int(0)
}

/// Resolves open item `id` with `verdict`; false when it is not open.
pub fn resolve(conn: &dyn Sql, id: ReviewId, verdict: &str, now: i64) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "UPDATE review_items SET resolved_at = ?, verdict = ? WHERE id = ? AND resolved_at IS NULL",
        params![now, verdict, id],
    )? > 0)
}

/// Up to [`PRUNE_BATCH`] items resolved before `before`, to delete with their reports.
pub fn stale(conn: &dyn Sql, before: i64) -> anyhow::Result<Vec<ReviewId>> {
    conn.query(
        "SELECT id FROM review_items WHERE resolved_at IS NOT NULL AND resolved_at < ?
         ORDER BY resolved_at LIMIT ?",
        params![before, PRUNE_BATCH],
    )?
    .iter()
    .map(|r| r.id(0))
    .collect()
}

pub fn delete(conn: &dyn Sql, id: ReviewId) -> anyhow::Result<()> {
    conn.execute("DELETE FROM review_items WHERE id = ?", params![id])?;
    Ok(())
}
