//! The `mutes` table: users who may not send in a group's room for a while.

use crate::ids::{GroupId, UserId};
use crate::params;
use crate::storage::Sql;

/// Expired mutes deleted by one new mute.
pub const PRUNE_BATCH: i64 = 16;

/// Mutes `user` in `group` until `until` (a new mute replaces the old).
pub fn put(
    conn: &dyn Sql,
    group: GroupId,
    user: &UserId,
    until: i64,
    now: i64,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO mutes (group_id, user_id, until, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, user_id) DO UPDATE SET
             until = excluded.until, created_at = excluded.created_at",
        params![group, user, until, now],
    )?;
    Ok(())
}

/// When `user`'s mute in `group` ends, if one holds at `now`.
pub fn until(
    conn: &dyn Sql,
    group: GroupId,
    user: &UserId,
    now: i64,
) -> anyhow::Result<Option<i64>> {
    conn.query(
        "SELECT until FROM mutes WHERE group_id = ? AND user_id = ? AND until > ?",
        params![group, user, now],
    )?
    .first()
    .map(|r| r.int(0))
    .transpose()
}

/// Lifts `user`'s mute in `group`; false when none held at `now`.
pub fn delete(conn: &dyn Sql, group: GroupId, user: &UserId, now: i64) -> anyhow::Result<bool> {
    Ok(conn.execute(
        "DELETE FROM mutes WHERE group_id = ? AND user_id = ? AND until > ?",
        params![group, user, now],
    )? > 0)
}

/// Deletes up to [`PRUNE_BATCH`] mutes that ended by `now`.
pub fn prune(conn: &dyn Sql, now: i64) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM mutes WHERE rowid IN (SELECT rowid FROM mutes WHERE until <= ? LIMIT ?)",
        params![now, PRUNE_BATCH],
    )
}

pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT count(*) FROM mutes", &[])?[0].int(0)
}
