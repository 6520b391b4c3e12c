//! The `review_reports` table: who reported a review item, and why (once per reporter).

use crate::ids::{ReviewId, UserId};
use crate::params;
use crate::storage::Sql;

/// Records `reporter`'s report of item `item_id`; false when they had reported it already.
pub fn insert(
    conn: &dyn Sql,
    item_id: ReviewId,
    reporter: &UserId,
    reason: &str,
    now: i64,
) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "INSERT INTO review_reports (item_id, reporter_id, reason, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (item_id, reporter_id) DO NOTHING",
        params![item_id, reporter, reason, now],
    )? > 0)
}

/// The newest `limit` reports of an item: `(reporter, reason, when)`.
pub fn of_item(
    conn: &dyn Sql,
    item_id: ReviewId,
    limit: i64,
) -> anyhow::Result<Vec<(UserId, String, i64)>> {
    conn.query(
        "SELECT reporter_id, reason, created_at FROM review_reports WHERE item_id = ?
         ORDER BY created_at DESC LIMIT ?",
        params![item_id, limit],
    )?
    .iter()
    .map(|r| Ok((r.user_id(0)?, r.text(1)?, r.int(2)?)))
    .collect()
}

pub fn delete_item(conn: &dyn Sql, item_id: ReviewId) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM review_reports WHERE item_id = ?",
        params![item_id],
    )?;
    Ok(())
}
