//! The `ratings` table, and the totals it adds to `users`.

use crate::params;
use crate::storage::Sql;

/// Records one rating and adds it to the target's totals.
pub fn insert(
    conn: &dyn Sql,
    group_id: i64,
    rater: &str,
    target: &str,
    stars: f64,
    now: i64,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO ratings (group_id, rater_id, target_id, stars, created_at) VALUES (?, ?, ?, ?, ?)",
        params![group_id, rater, target, stars, now],
    )?;
    conn.execute(
        "UPDATE users SET rating_sum = rating_sum + ?, rating_count = rating_count + 1 WHERE id = ?",
        params![stars, target],
    )?;
    Ok(())
}
