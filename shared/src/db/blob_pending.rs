//! The `blob_pending` table: blobs whose chunks may exist while no row owns them.

use crate::params;
use crate::storage::Sql;

pub fn add(conn: &dyn Sql, blob: &str, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO blob_pending (blob, since) VALUES (?, ?)",
        params![blob, now],
    )?;
    Ok(())
}

/// [`add`] for a blob whose chunks may have gaps, with how many it may have.
pub fn add_sized(conn: &dyn Sql, blob: &str, now: i64, chunks: i64) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO blob_pending (blob, since, chunks) VALUES (?, ?, ?)",
        params![blob, now, chunks],
    )?;
    Ok(())
}

/// Records how many chunks a pending blob has, unless that is known already: once its chunks are
/// deleted in no set order (one request for many, on S3), what is left can have gaps.
pub fn set_chunks(conn: &dyn Sql, blob: &str, chunks: i64) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE blob_pending SET chunks = ? WHERE blob = ? AND chunks IS NULL",
        params![chunks, blob],
    )?;
    Ok(())
}

pub fn remove(conn: &dyn Sql, blob: &str) -> anyhow::Result<()> {
    conn.execute("DELETE FROM blob_pending WHERE blob = ?", params![blob])?;
    Ok(())
}

/// Pending blobs older than `before` (all with `None`), oldest first, skipping those of live
/// resumable uploads, with their chunk count when it was recorded.
pub fn stale(
    conn: &dyn Sql,
    before: Option<i64>,
    limit: i64,
) -> anyhow::Result<Vec<(String, Option<i64>)>> {
    conn.query(
        "SELECT blob, chunks FROM blob_pending
         WHERE since < ? AND blob NOT IN (SELECT blob FROM file_uploads)
         ORDER BY since LIMIT ?",
        params![before.unwrap_or(i64::MAX), limit],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.opt_int(1)?)))
    .collect()
}
