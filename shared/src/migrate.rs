//! Schema migrations from `migrations/*.sql`, applied in order, each exactly once.
//!
//! The native server applies them when it starts ([`ensure`]). On Spin every request has a new
//! connection, and [`OnFirstWrite`] checks the schema only when a request first writes, or when a
//! read finds a table or column missing. Safe when several instances migrate at once: the work
//! happens inside `BEGIN IMMEDIATE`, which serializes them, and each re-reads the applied version
//! after taking the lock.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Result;
use crate::params;
use crate::storage::{Database, Row, Sql, Value};

/// Every migration, in order. The version is the number in the file name. Reads on Spin notice
/// a migration only by a table or column they miss ([`OnFirstWrite`]), so one that changes data
/// must also add or rename what the reads that depend on it use (each one must change the
/// schema: a test checks it). One that only adds an index is applied by the first write.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/0001_users.sql")),
    (2, include_str!("../../migrations/0002_groups.sql")),
    (3, include_str!("../../migrations/0003_files.sql")),
    (4, include_str!("../../migrations/0004_chat.sql")),
    (5, include_str!("../../migrations/0005_admin.sql")),
    (6, include_str!("../../migrations/0006_ratings_by_user.sql")),
    (7, include_str!("../../migrations/0007_pending_chunks.sql")),
    (
        8,
        include_str!("../../migrations/0008_chat_files_by_uploader.sql"),
    ),
    (
        9,
        include_str!("../../migrations/0009_chat_client_msg_id.sql"),
    ),
    (10, include_str!("../../migrations/0010_rate_buckets.sql")),
    (
        11,
        include_str!("../../migrations/0011_uploads_anywhere.sql"),
    ),
    (12, include_str!("../../migrations/0012_moderation.sql")),
    (
        13,
        include_str!("../../migrations/0013_account_deletion.sql"),
    ),
    (14, include_str!("../../migrations/0014_content_checks.sql")),
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the schema up to date.
pub fn ensure(db: &dyn Database) -> Result<()> {
    db.run(ensure_on)
}

/// [`ensure`] on one connection, outside any transaction: one indexed read when the schema is
/// current.
fn ensure_on(conn: &dyn Sql) -> Result<()> {
    if applied(conn).unwrap_or(0) >= latest() {
        return Ok(());
    }
    // Write-ahead logging, as the native server's database: a writer does not wait for readers
    // and commits with one write, not two. The mode is kept in the database file, so setting it
    // with the migrations is enough; a database that refuses it (a remote one) keeps its own.
    if let Err(err) = conn.query("PRAGMA journal_mode = WAL", &[]) {
        log::info!("the database stays in its journal mode: {err:#}");
    }
    conn.tx(|conn| {
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                applied_at INTEGER NOT NULL
            )",
            &[],
        )?;
        let current = applied(conn)?;
        for (version, script) in MIGRATIONS.iter().filter(|m| m.0 > current) {
            for statement in statements(script) {
                conn.execute(&statement, &[])
                    .map_err(|e| e.context(format!("migration {version}: {statement}")))?;
            }
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                params![*version, crate::time::now()],
            )?;
        }
        Ok(())
    })
}

/// A database whose schema is brought up to date on first need rather than before every
/// request: before the first statement that is not a `SELECT` (a write, or `BEGIN`), and when a
/// `SELECT` fails for a missing table or column (it failed when prepared, so it did nothing; it
/// runs again after the migrations). A request that reads a current schema, or never reaches
/// the database, runs no statement for the check.
pub struct OnFirstWrite<D> {
    db: D,
    current: AtomicBool,
}

impl<D: Database> OnFirstWrite<D> {
    pub fn new(db: D) -> OnFirstWrite<D> {
        OnFirstWrite {
            db,
            current: AtomicBool::new(false),
        }
    }
}

impl<D: Database> Database for OnFirstWrite<D> {
    fn with_conn(&self, f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let current = &self.current;
        self.db.with_conn(&mut |conn| f(&Checked { conn, current }))
    }
}

/// A connection of [`OnFirstWrite`].
struct Checked<'a> {
    conn: &'a dyn Sql,
    current: &'a AtomicBool,
}

impl Checked<'_> {
    /// Before the connection's first write: the schema, and commits that do not wait for the
    /// disk (`synchronous = NORMAL` under WAL, as natively: a power cut may lose the last
    /// moments, never the database's consistency).
    fn ensure(&self) -> anyhow::Result<()> {
        if !self.current.load(Ordering::Relaxed) {
            ensure_on(self.conn).map_err(anyhow::Error::from)?;
            if let Err(err) = self.conn.execute("PRAGMA synchronous = NORMAL", &[]) {
                log::info!("commits stay synchronous: {err:#}");
            }
            self.current.store(true, Ordering::Relaxed);
        }
        Ok(())
    }
}

impl Sql for Checked<'_> {
    fn execute(&self, sql: &str, params: &[Value]) -> anyhow::Result<u64> {
        self.ensure()?;
        self.conn.execute(sql, params)
    }

    fn query(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
        if !is_select(sql) {
            // `INSERT ... RETURNING` and the like write.
            self.ensure()?;
            return self.conn.query(sql, params);
        }
        match self.conn.query(sql, params) {
            Err(err) if !self.current.load(Ordering::Relaxed) && misses_schema(&err) => {
                self.ensure()?;
                self.conn.query(sql, params)
            }
            answer => answer,
        }
    }
}

fn is_select(sql: &str) -> bool {
    let start = sql.trim_start();
    start
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("SELECT"))
}

/// SQLite's words for a statement that names what the schema does not have (yet).
fn misses_schema(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    text.contains("no such table") || text.contains("no such column")
}

fn applied(conn: &dyn Sql) -> Result<i64> {
    let rows = conn.query(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        &[],
    )?;
    Ok(rows.first().map(|r| r.int(0)).transpose()?.unwrap_or(0))
}

/// Splits a script into statements, since Spin's SQLite runs one statement per call. A statement
/// ends at a `;` that closes a line, except inside a `CREATE TRIGGER ... END;` body. Lines that
/// are only `--` comments are dropped.
pub fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("--") {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        let in_trigger = current
            .trim_start()
            .to_ascii_uppercase()
            .starts_with("CREATE TRIGGER");
        let ends = if in_trigger {
            trimmed.eq_ignore_ascii_case("END;")
        } else {
            trimmed.ends_with(';')
        };
        if ends {
            out.push(current.trim().trim_end_matches(';').to_owned());
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().trim_end_matches(';').to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_statements_and_keeps_trigger_bodies_whole() {
        let script = "-- a comment\nCREATE TABLE a (x INTEGER);\nCREATE INDEX i ON a (x);\n\
            CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (1);\n  DELETE FROM c;\nEND;\n";
        let s = statements(script);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0], "CREATE TABLE a (x INTEGER)");
        assert!(s[2].starts_with("CREATE TRIGGER") && s[2].contains("DELETE FROM c;"));
    }

    /// Reads notice a migration only by what it adds or renames (see [`MIGRATIONS`]).
    #[test]
    fn every_migration_changes_the_schema() {
        for (version, script) in MIGRATIONS {
            let ddl = statements(script).iter().any(|s| {
                let word = s.split_whitespace().next().unwrap_or_default();
                ["CREATE", "ALTER", "DROP"].contains(&word.to_ascii_uppercase().as_str())
            });
            assert!(ddl, "migration {version} changes no table, column or index");
        }
    }

    #[test]
    fn only_selects_run_before_the_schema_check() {
        assert!(is_select("SELECT 1"));
        assert!(is_select("  select x FROM t"));
        for write in [
            "INSERT INTO t VALUES (1) RETURNING id",
            "BEGIN IMMEDIATE",
            "WITH x AS (SELECT 1) DELETE FROM t",
            "SEL",
        ] {
            assert!(!is_select(write), "{write}");
        }
    }

    #[test]
    fn every_migration_splits_into_statements() {
        for (version, script) in MIGRATIONS {
            assert!(
                !statements(script).is_empty(),
                "migration {version} is empty"
            );
        }
    }
}
