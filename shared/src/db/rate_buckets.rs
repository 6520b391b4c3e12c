//! The `rate_buckets` table: rate-limit buckets that are not full (see `limits::SqlBuckets`).

use crate::limits::Bucket;
use crate::params;
use crate::storage::Sql;

/// Rows of refilled buckets deleted by one change: more than one change makes, so the table
/// shrinks as fast as it grows, and few enough to keep every change quick.
pub const PRUNE_BATCH: i64 = 16;

pub fn get(conn: &dyn Sql, key: &str) -> anyhow::Result<Option<Bucket>> {
    let rows = conn.query(
        "SELECT tokens, at_ms FROM rate_buckets WHERE key = ?",
        params![key],
    )?;
    rows.first()
        .map(|r| Ok(Bucket::new(r.real(0)?, r.int(1)?)))
        .transpose()
}

pub fn put(conn: &dyn Sql, key: &str, bucket: &Bucket, full_at_ms: i64) -> anyhow::Result<u64> {
    conn.execute(
        "INSERT INTO rate_buckets (key, tokens, at_ms, full_at_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET
             tokens = excluded.tokens, at_ms = excluded.at_ms, full_at_ms = excluded.full_at_ms",
        params![key, bucket.tokens(), bucket.at_ms(), full_at_ms],
    )
}

/// Deletes up to [`PRUNE_BATCH`] buckets that are full by `now_ms`.
pub fn prune(conn: &dyn Sql, now_ms: i64) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM rate_buckets WHERE key IN
             (SELECT key FROM rate_buckets WHERE full_at_ms <= ? LIMIT ?)",
        params![now_ms, PRUNE_BATCH],
    )
}

pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT COUNT(*) FROM rate_buckets", &[])?[0].int(0)
}
