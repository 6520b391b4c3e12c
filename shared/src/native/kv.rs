//! The key-value store as a SQLite table in its own file, so that blob chunks do not bloat the
//! main database.

use std::path::Path;

use super::SqliteDb;
use crate::params;
use crate::storage::{Database, KeyValue};

pub struct SqliteKv(SqliteDb);

impl SqliteKv {
    pub fn open(path: &Path) -> anyhow::Result<SqliteKv> {
        let db = SqliteDb::open(path)?;
        (&db as &dyn Database).run(|c| {
            Ok(c.execute(
                "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID",
                &[],
            )?)
        })?;
        Ok(SqliteKv(db))
    }

    fn db(&self) -> &dyn Database {
        &self.0
    }
}

impl KeyValue for SqliteKv {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let rows = self
            .db()
            .run(|c| Ok(c.query("SELECT value FROM kv WHERE key = ?", params![key])?))?;
        match rows.first().map(|r| r.0.first().cloned()) {
            Some(Some(crate::storage::Value::Blob(v))) => Ok(Some(v)),
            Some(other) => anyhow::bail!("kv value of {key} is not a blob: {other:?}"),
            None => Ok(None),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        self.db().run(|c| {
            Ok(c.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value.to_vec()],
            )?)
        })?;
        Ok(())
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        self.db()
            .run(|c| Ok(c.execute("DELETE FROM kv WHERE key = ?", params![key])?))?;
        Ok(())
    }
}
