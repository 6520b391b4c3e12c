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

pub fn remove(conn: &dyn Sql, blob: &str) -> anyhow::Result<()> {
    conn.execute("DELETE FROM blob_pending WHERE blob = ?", params![blob])?;
    Ok(())
}

/// Pending blobs older than `before`, oldest first, skipping those of live resumable uploads.
pub fn stale(conn: &dyn Sql, before: i64, limit: i64) -> anyhow::Result<Vec<String>> {
    conn.query(
        "SELECT blob FROM blob_pending
         WHERE since < ? AND blob NOT IN (SELECT blob FROM file_uploads)
         ORDER BY since LIMIT ?",
        params![before, limit],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}
