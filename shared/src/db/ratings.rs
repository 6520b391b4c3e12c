//! The `ratings` table, and the totals it adds to `users`.

use crate::ids::{GroupId, UserId};
use crate::params;
use crate::storage::Sql;

/// Records one rating and adds it to the target's totals.
pub fn insert(
    conn: &dyn Sql,
    group_id: GroupId,
    rater: &UserId,
    target: &UserId,
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

/// A rating as the console lists it.
pub struct Rating {
    pub group_id: GroupId,
    pub rater_id: UserId,
    pub target_id: UserId,
    pub stars: f64,
    pub created_at: i64,
}

/// Ratings a user received (`received`) or gave, newest first, up to `limit`.
pub fn of_user(
    conn: &dyn Sql,
    user_id: &UserId,
    received: bool,
    limit: i64,
) -> anyhow::Result<Vec<Rating>> {
    let sql = match received {
        true => {
            "SELECT group_id, rater_id, target_id, stars, created_at FROM ratings
                 WHERE target_id = ? ORDER BY created_at DESC LIMIT ?"
        }
        false => {
            "SELECT group_id, rater_id, target_id, stars, created_at FROM ratings
                  WHERE rater_id = ? ORDER BY created_at DESC LIMIT ?"
        }
    };
    conn.query(sql, params![user_id, limit])?
        .iter()
        .map(|r| {
            Ok(Rating {
                group_id: r.id(0)?,
                rater_id: r.user_id(1)?,
                target_id: r.user_id(2)?,
                stars: r.real(3)?,
                created_at: r.int(4)?,
            })
        })
        .collect()
}

/// Deletes one rating and recounts its target's totals; false when there was none.
pub fn delete(
    conn: &dyn Sql,
    group_id: GroupId,
    rater: &UserId,
    target: &UserId,
) -> anyhow::Result<bool> {
    let gone = conn.execute(
        "DELETE FROM ratings WHERE group_id = ? AND rater_id = ? AND target_id = ?",
        params![group_id, rater, target],
    )?;
    if gone > 0 {
        recount(conn, target)?;
    }
    Ok(gone > 0)
}

/// Deletes every rating given in a group and recounts the totals of those who got them.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<()> {
    let rows = conn.query(
        "DELETE FROM ratings WHERE group_id = ? RETURNING target_id",
        params![group_id],
    )?;
    recount_targets(conn, &rows)
}

/// Deletes every rating a user gave or received (their account is deleted) and recounts the
/// totals of those they rated.
pub fn delete_user(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<()> {
    conn.execute("DELETE FROM ratings WHERE target_id = ?", params![user_id])?;
    let rows = conn.query(
        "DELETE FROM ratings WHERE rater_id = ? RETURNING target_id",
        params![user_id],
    )?;
    recount_targets(conn, &rows)
}

/// Recounts the totals of the users in the first column of `rows` (deleted ratings' targets),
/// each once.
fn recount_targets(conn: &dyn Sql, rows: &[crate::storage::Row]) -> anyhow::Result<()> {
    let mut targets = rows
        .iter()
        .map(|r| r.user_id(0))
        .collect::<anyhow::Result<Vec<_>>>()?;
    targets.sort();
    targets.dedup();
    for target in &targets {
        recount(conn, target)?;
    }
    Ok(())
}

/// Sets a user's totals from the ratings that remain.
fn recount(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE users SET
             rating_sum = (SELECT total(stars) FROM ratings WHERE target_id = ?1),
             rating_count = (SELECT count(*) FROM ratings WHERE target_id = ?1)
         WHERE id = ?1",
        params![user_id],
    )?;
    Ok(())
}
