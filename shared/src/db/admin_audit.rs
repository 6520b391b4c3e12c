//! The `admin_audit` table: the admin console's write log.

use crate::params;
use crate::storage::Sql;

/// One logged admin action.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: Option<String>,
}

pub fn insert(
    conn: &dyn Sql,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: Option<&str>,
) -> anyhow::Result<i64> {
    conn.query(
        "INSERT INTO admin_audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)
         RETURNING id",
        params![at, actor, action, target, detail],
    )?[0]
        .int(0)
}

/// Up to `limit` entries before `before` (the newest without it), newest first.
pub fn page(conn: &dyn Sql, before: Option<i64>, limit: i64) -> anyhow::Result<Vec<Entry>> {
    conn.query(
        "SELECT id, at, actor, action, target, detail FROM admin_audit
         WHERE id < ? ORDER BY id DESC LIMIT ?",
        params![before.unwrap_or(i64::MAX), limit],
    )?
    .iter()
    .map(|r| {
        Ok(Entry {
            id: r.int(0)?,
            at: r.int(1)?,
            actor: r.text(2)?,
            action: r.text(3)?,
            target: r.text(4)?,
            detail: r.opt_text(5)?,
        })
    })
    .collect()
}
