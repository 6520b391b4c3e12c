//! A small pool of rusqlite connections to one database file.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};
use rusqlite::Connection;

use crate::storage::{Database, Row, Sql, Value};

/// Idle connections kept for reuse; more are opened under load and closed afterwards.
const POOL_SIZE: usize = 16;

pub struct SqliteDb {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl SqliteDb {
    pub fn open(path: &Path) -> anyhow::Result<SqliteDb> {
        let db = SqliteDb {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        // Open one now so that a bad path fails at start-up, and WAL mode is set once.
        let conn = db.connect()?;
        db.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        Ok(db)
    }

    fn connect(&self) -> anyhow::Result<Connection> {
        let conn = Connection::open(&self.path)?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Switching a new database to WAL can be refused as busy without the busy handler being
        // asked, when other processes open it at the same moment: try again for a while.
        let mut attempts = 0;
        while let Err(err) = conn.execute_batch("PRAGMA journal_mode = WAL;") {
            attempts += 1;
            if attempts >= 100 || !err.to_string().contains("locked") {
                return Err(err.into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        conn.execute_batch(
            // Reads through a memory map skip a system call per page; the cache holds the hot
            // index pages of each pooled connection.
            "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY;
             PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -8192;",
        )?;
        conn.set_prepared_statement_cache_capacity(128);
        Ok(conn)
    }
}

impl Database for SqliteDb {
    fn with_conn(&self, f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>) -> anyhow::Result<()> {
        let pooled = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(conn) => conn,
            None => self.connect()?,
        };
        let out = f(&NativeConn(&conn));
        // A connection left inside a transaction (a panic mid-way) must not be reused.
        if conn.is_autocommit() {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < POOL_SIZE {
                idle.push(conn);
            }
        }
        out
    }
}

struct NativeConn<'a>(&'a Connection);

impl Sql for NativeConn<'_> {
    fn execute(&self, sql: &str, params: &[Value]) -> anyhow::Result<u64> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let changed = stmt.execute(rusqlite::params_from_iter(params.iter().map(to_sql)))?;
        Ok(changed as u64)
    }

    fn query(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let width = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(params.iter().map(to_sql)))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(from_sql(row.get_ref(i)?));
            }
            out.push(Row(values));
        }
        Ok(out)
    }
}

fn to_sql(value: &Value) -> ToSqlOutput<'_> {
    match value {
        Value::Null => ToSqlOutput::Owned(SqlValue::Null),
        Value::Integer(v) => ToSqlOutput::Owned(SqlValue::Integer(*v)),
        Value::Real(v) => ToSqlOutput::Owned(SqlValue::Real(*v)),
        Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
        Value::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
    }
}

fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(v) => Value::Integer(v),
        ValueRef::Real(v) => Value::Real(v),
        ValueRef::Text(v) => Value::Text(String::from_utf8_lossy(v).into_owned()),
        ValueRef::Blob(v) => Value::Blob(v.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Code, Error};
    use crate::params;

    fn db() -> (tempdir::Dir, SqliteDb) {
        let dir = tempdir::Dir::new();
        let db = SqliteDb::open(&dir.0.join("t.sqlite")).unwrap();
        (dir, db)
    }

    /// A throwaway directory, removed on drop.
    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let bytes = crate::ids::random_bytes::<8>().unwrap();
                let path = std::env::temp_dir().join(format!("zudui-test-{}", hex::encode(bytes)));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    #[test]
    fn transactions_commit_or_roll_back_whole() {
        let (_dir, db) = db();
        let db: &dyn Database = &db;
        db.run(|c| Ok(c.execute("CREATE TABLE t (x INTEGER)", &[])?))
            .unwrap();
        db.tx(|c| {
            c.execute("INSERT INTO t VALUES (?)", params![1i64])?;
            Ok(())
        })
        .unwrap();
        let failed: Result<(), Error> = db.tx(|c| {
            c.execute("INSERT INTO t VALUES (?)", params![2i64])?;
            Err(Error::new(Code::BadParam))
        });
        assert!(failed.is_err());
        let rows = db
            .run(|c| Ok(c.query("SELECT x FROM t ORDER BY x", &[])?))
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].int(0).unwrap(), 1);
    }

    /// Every migration is recorded exactly once.
    fn assert_applied_once(db: &dyn Database) {
        let rows = db
            .run(|c| Ok(c.query("SELECT COUNT(*) FROM schema_migrations", &[])?))
            .unwrap();
        assert_eq!(
            rows[0].int(0).unwrap(),
            crate::migrate::MIGRATIONS.len() as i64
        );
    }

    #[test]
    fn migrations_are_safe_when_instances_start_together() {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("race.sqlite");
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let db = SqliteDb::open(&path).unwrap();
                    crate::migrate::ensure(&db).unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_applied_once(&SqliteDb::open(&path).unwrap());
    }

    #[test]
    fn migrations_apply_once() {
        let (_dir, db) = db();
        crate::migrate::ensure(&db).unwrap();
        crate::migrate::ensure(&db).unwrap();
        assert_applied_once(&db);
    }

    /// A database that records every statement run on it.
    struct Recorded {
        db: SqliteDb,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    }

    impl Database for Recorded {
        fn with_conn(
            &self,
            f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>,
        ) -> anyhow::Result<()> {
            self.db.with_conn(&mut |conn| {
                f(&RecordedConn {
                    conn,
                    log: &self.log,
                })
            })
        }
    }

    struct RecordedConn<'a> {
        conn: &'a dyn Sql,
        log: &'a std::sync::Mutex<Vec<String>>,
    }

    impl Sql for RecordedConn<'_> {
        fn execute(&self, sql: &str, params: &[Value]) -> anyhow::Result<u64> {
            self.log.lock().unwrap().push(sql.to_owned());
            self.conn.execute(sql, params)
        }
        fn query(&self, sql: &str, params: &[Value]) -> anyhow::Result<Vec<Row>> {
            self.log.lock().unwrap().push(sql.to_owned());
            self.conn.query(sql, params)
        }
    }

    const READ: &str = "SELECT nickname FROM users WHERE id = ?";

    fn read_user(db: &dyn Database) -> usize {
        db.run(|c| Ok(c.query(READ, params!["nobody"])?))
            .unwrap()
            .len()
    }

    fn add_type(db: &dyn Database, name: &str) {
        db.tx(|c| {
            c.execute(
                "INSERT INTO group_types (name, position) VALUES (?, 0)",
                params![name],
            )?;
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn on_first_write_a_read_of_a_fresh_database_migrates_and_answers() {
        let (_dir, db) = db();
        let lazy = crate::migrate::OnFirstWrite::new(db);
        assert_eq!(read_user(&lazy), 0);
        assert_applied_once(&lazy);
    }

    #[test]
    fn on_first_write_a_write_to_a_fresh_database_migrates_first() {
        let (_dir, db) = db();
        let lazy = crate::migrate::OnFirstWrite::new(db);
        add_type(&lazy, "篮球");
        assert_applied_once(&lazy);
    }

    /// A database made by the migrations logs ahead, whoever opened it (Spin's connections set
    /// nothing of their own).
    #[test]
    fn the_migrations_leave_the_database_in_wal_mode() {
        let dir = tempdir::Dir::new();
        let path = dir.0.join("plain.sqlite");
        let plain = Connection::open(&path).unwrap();
        let mode = |c: &Connection| -> String {
            c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(mode(&plain), "delete");
        struct Plain(Mutex<Connection>);
        impl Database for Plain {
            fn with_conn(
                &self,
                f: &mut dyn FnMut(&dyn Sql) -> anyhow::Result<()>,
            ) -> anyhow::Result<()> {
                f(&NativeConn(&self.0.lock().unwrap()))
            }
        }
        let plain = Plain(Mutex::new(plain));
        crate::migrate::ensure(&plain).unwrap();
        assert_eq!(mode(&Connection::open(&path).unwrap()), "wal");
    }

    #[test]
    fn on_first_write_reads_of_a_current_schema_run_nothing_else() {
        let (_dir, db) = db();
        crate::migrate::ensure(&db).unwrap();
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let lazy = crate::migrate::OnFirstWrite::new(Recorded {
            db,
            log: log.clone(),
        });
        assert_eq!(read_user(&lazy), 0);
        assert_eq!(*log.lock().unwrap(), [READ]);
        // The first write checks the version once and sets its commits' durability, before its
        // transaction; later ones do neither.
        add_type(&lazy, "篮球");
        add_type(&lazy, "足球");
        let log = log.lock().unwrap();
        let checks = log.iter().filter(|s| s.contains("schema_migrations"));
        assert_eq!(checks.count(), 1, "{log:?}");
        assert!(log[1].contains("schema_migrations"), "{log:?}");
        assert_eq!(
            log[2..4],
            ["PRAGMA synchronous = NORMAL", "BEGIN IMMEDIATE"],
            "{log:?}"
        );
        assert_eq!(log.iter().filter(|s| s.starts_with("PRAGMA")).count(), 1);
    }
}
