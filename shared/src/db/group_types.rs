//! The `group_types` table: the configured list of group types.

use crate::params;
use crate::storage::Sql;

pub fn exists(conn: &dyn Sql, name: &str) -> anyhow::Result<bool> {
    Ok(!conn
        .query("SELECT 1 FROM group_types WHERE name = ?", params![name])?
        .is_empty())
}

pub fn list(conn: &dyn Sql) -> anyhow::Result<Vec<String>> {
    conn.query("SELECT name FROM group_types ORDER BY position, name", &[])?
        .iter()
        .map(|r| r.text(0))
        .collect()
}
