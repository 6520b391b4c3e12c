//! Schema migrations from `migrations/*.sql`, applied in order, each exactly once.
//!
//! Cheap on every request (one indexed read when the schema is current), and safe when several
//! component instances start at once: the work happens inside `BEGIN IMMEDIATE`, which serializes
//! them, and each re-reads the applied version after taking the lock.

use crate::error::Result;
use crate::params;
use crate::storage::{Database, Sql};

/// Every migration, in order. The version is the number in the file name.
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
];

pub fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Brings the schema up to date.
pub fn ensure(db: &dyn Database) -> Result<()> {
    if db.run(applied).unwrap_or(0) >= latest() {
        return Ok(());
    }
    db.tx(|conn| {
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
