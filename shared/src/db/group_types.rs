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

pub fn insert(conn: &dyn Sql, name: &str, position: i64) -> anyhow::Result<u64> {
    conn.execute(
        "INSERT INTO group_types (name, position) VALUES (?, ?)",
        params![name, position],
    )
}

pub fn set_position(conn: &dyn Sql, name: &str, position: i64) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_types SET position = ? WHERE name = ?",
        params![position, name],
    )
}

pub fn delete(conn: &dyn Sql, name: &str) -> anyhow::Result<u64> {
    conn.execute("DELETE FROM group_types WHERE name = ?", params![name])
}
