//! A consistent copy of a data directory that a running server keeps writing: the database as
//! of one instant, and every key-value file that the database references at that instant.
//!
//! Why it is consistent. The server keeps one rule for everything it stores under `kv/` (file
//! chunks and thumbnails, pictures, parts of resumable uploads): an object is complete under its
//! name before the transaction that makes a row reference it commits, and it is deleted only
//! after the transaction that removes the last reference commits (`files/content.rs`:
//! `blob_pending`, then chunks, then the owning row; `leftovers.rs`: deletions release in the
//! row's transaction and discard after it; `pictures.rs`, `thumbnails.rs` and `resumable.rs`
//! store before they record). So while no transaction can commit, every object the database
//! references exists.
//!
//! The backup takes SQLite's write lock (`BEGIN IMMEDIATE`, the lock every server transaction
//! takes first) and, holding it, copies the database (`VACUUM INTO`, on another connection: it
//! only reads) and brings the copy of `kv/` up to date. The server's writes wait meanwhile (its
//! busy timeout is 10 s); its reads go on. The database copy is the state when the lock was
//! taken, no object it references can disappear before the lock is released, so the pass under
//! the lock finds every one of them. What it may catch besides is what a crash at that instant
//! would have left: an upload's chunks under a pending blob (the restored server collects them
//! at start, as after a crash) or a picture not yet recorded (left unreferenced, as after a
//! crash). Key-value files are never changed in place (see `mirror.rs`), so a hard link or copy
//! holds the right bytes.
//!
//! To keep the lock short, passes run first without it until one finds little to do: the pass
//! under the lock then only handles what changed since, and where it must copy (another
//! filesystem) it only opens the files, copied once the lock is released (an open file keeps
//! its bytes as a hard link does).

use std::path::Path;
use std::time::{Duration, Instant};

use zudui_shared::native::SqliteDb;
use zudui_shared::storage::{Database, Sql, Value};

use super::mirror::{Mirror, Way};

/// The database file and key-value directory in a data directory (and in a backup).
pub const DATABASE: &str = "zudui.sqlite";
pub const KV: &str = "kv";

/// Unlocked passes at most before the locked one, and how few changes end them early.
const UNLOCKED_PASSES: usize = 5;
const QUIET: usize = 100;
/// A hold of the server's writes worth a warning.
const LONG_LOCK: Duration = Duration::from_secs(3);

/// What the snapshot holds, for the manifest and the summary.
pub struct Taken {
    pub schema_version: i64,
    /// Rows per table, from the same instant as the copy.
    pub counts: Vec<(String, i64)>,
    pub kv_files: usize,
    pub way: Way,
    /// How long the server's writes were held.
    pub locked: Duration,
}

/// Copies the database and key-value files of `data` into `dir` (which exists and is empty),
/// by copies only when `copy`.
pub fn take(data: &Path, dir: &Path, copy: bool) -> anyhow::Result<Taken> {
    let database = data.join(DATABASE);
    if !database.is_file() {
        anyhow::bail!("{} holds no database ({DATABASE})", data.display());
    }
    let db = SqliteDb::open(&database)?;
    let db: &dyn Database = &db;
    let mut mirror = Mirror::new(&data.join(KV), &dir.join(KV))?;
    if copy {
        mirror.way = Way::Copy;
    }
    for _ in 0..UNLOCKED_PASSES {
        let pass = mirror.pass()?;
        log::info!("key-value pass: {pass:?}");
        if pass.placed + pass.removed <= QUIET {
            break;
        }
    }
    let target = Value::Text(
        dir.join(DATABASE)
            .to_str()
            .ok_or_else(|| anyhow::anyhow!("{} is not UTF-8", dir.display()))?
            .to_owned(),
    );
    let mut locked = Duration::ZERO;
    let mut taken = None;
    // `reader` outlives the lock: its read transaction, begun under it, sees the state copied.
    db.with_conn(&mut |reader| {
        db.with_conn(&mut |lock| {
            lock.execute("BEGIN IMMEDIATE", &[])?;
            let started = Instant::now();
            let copied = (|| {
                reader.execute("VACUUM INTO ?", std::slice::from_ref(&target))?;
                reader.execute("BEGIN", &[])?;
                reader.query("SELECT COUNT(*) FROM schema_migrations", &[])?;
                mirror.defer_copies();
                let pass = mirror.pass()?;
                log::info!("key-value pass under the write lock: {pass:?}");
                anyhow::Ok(())
            })();
            let released = lock.execute("ROLLBACK", &[]);
            locked = started.elapsed();
            copied?;
            released?;
            Ok(())
        })?;
        let facts = (|| {
            let version = reader
                .query(
                    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                    &[],
                )?
                .first()
                .map(|row| row.int(0))
                .transpose()?
                .unwrap_or(0);
            anyhow::Ok((version, counts(reader)?))
        })();
        reader.execute("COMMIT", &[])?;
        taken = Some(facts?);
        Ok(())
    })?;
    if locked > LONG_LOCK {
        log::warn!(
            "the server's writes waited {:.1}s for the backup (its busy timeout is 10 s): the \
             database copy takes longer as it grows; back up at a quiet hour",
            locked.as_secs_f64()
        );
    }
    mirror.finish()?;
    let (schema_version, counts) =
        taken.ok_or_else(|| anyhow::anyhow!("the snapshot did not run"))?;
    Ok(Taken {
        schema_version,
        counts,
        kv_files: mirror.files(),
        way: mirror.way,
        locked,
    })
}

/// Rows of every table.
fn counts(conn: &dyn Sql) -> anyhow::Result<Vec<(String, i64)>> {
    let tables = conn.query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
        &[],
    )?;
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let name = table.text(0)?;
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
        let n = conn.query(&sql, &[])?[0].int(0)?;
        counts.push((name, n));
    }
    Ok(counts)
}
