//! The `leases` table: who may refresh a shared secret now (see `wechat::access_token`).

use crate::params;
use crate::storage::Sql;

/// Takes lease `name` until `until_ms` unless someone holds it past `now_ms`; true when taken.
pub fn take(conn: &dyn Sql, name: &str, now_ms: i64, until_ms: i64) -> anyhow::Result<bool> {
    let changed = conn.execute(
        "INSERT INTO leases (name, until_ms) VALUES (?, ?)
         ON CONFLICT (name) DO UPDATE SET until_ms = excluded.until_ms
         WHERE leases.until_ms <= ?",
        params![name, until_ms, now_ms],
    )?;
    Ok(changed == 1)
}

/// Gives back lease `name` taken until `until_ms`; nothing when another took it since.
pub fn release(conn: &dyn Sql, name: &str, until_ms: i64) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM leases WHERE name = ? AND until_ms = ?",
        params![name, until_ms],
    )?;
    Ok(())
}
