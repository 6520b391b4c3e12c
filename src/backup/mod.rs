//! `zudui backup DIR` and `zudui restore DIR`: a consistent copy of the data directory taken
//! while the server runs (see `snapshot.rs` for why it is consistent), and its restoration,
//! checked against the manifest the backup wrote.

mod manifest;
mod mirror;
mod restore;
mod snapshot;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use zudui_shared::config::{Environment, Values};

use crate::env_config;

pub const USAGE: &str = "usage: zudui backup [--copy] DIR
       zudui restore [--force] DIR
       zudui restore --check DIR

backup writes a consistent copy of ZUDUI_DATA_DIR (default ./data) into DIR, a new or empty
directory, while the server runs: the database as of one instant, every key-value file it
references (file contents, pictures), the token signing key, and backup.json listing each file
with its size and SHA-256. Key-value files are hard-linked when DIR is on the data's
filesystem, else copied; --copy copies them always (a backup that shares no file with the data).
With ZUDUI_BLOB_STORE=s3 the bucket is not included.

restore checks every file of backup DIR against backup.json, then puts the backup in place as
ZUDUI_DATA_DIR, which must be empty or missing; --force moves the data it holds aside (to
<name>.replaced-<time>) instead. Stop the server first. restore --check only checks the
backup (after copying it elsewhere, say) and writes nothing.

Exit status: 0 done, 1 failed or refused, 2 misused.";

/// Runs `zudui backup ARGS` or `zudui restore ARGS`.
pub fn command(name: &str, args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    // `--copy` for a backup, `--force` or `--check` for a restore; anything else is misuse.
    let flags: &[&str] = match name {
        "backup" => &["--copy"],
        _ => &["--force", "--check"],
    };
    let flagged = |flag: &str| args.iter().any(|a| a == flag);
    let dirs: Vec<&String> = args
        .iter()
        .filter(|a| !flags.contains(&a.as_str()))
        .collect();
    if let Some(unknown) = dirs.iter().find(|a| a.starts_with('-')) {
        eprintln!("zudui {name}: unknown option {unknown:?}\n\n{USAGE}");
        return ExitCode::from(2);
    }
    let [dir] = dirs[..] else {
        eprintln!("zudui {name} takes one directory\n\n{USAGE}");
        return ExitCode::from(2);
    };
    let dir = Path::new(dir);
    let done = match name {
        "backup" => backup(dir, flagged("--copy")),
        _ if flagged("--check") => check(dir),
        _ => restore(dir, flagged("--force")),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{name} failed: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn backup(dir: &Path, copy: bool) -> anyhow::Result<()> {
    let data = env_config::data_dir();
    let started = Instant::now();
    prepare(dir, &data)?;
    match backup_into(&data, dir, copy) {
        Ok(summary) => {
            println!("{summary} in {:.1}s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Err(err) => {
            // What was written is no backup (it has no manifest): leave the directory empty.
            let _ = clear(dir);
            Err(err)
        }
    }
}

/// `dir` made, or refused unless it is an empty directory outside the data directory.
fn prepare(dir: &Path, data: &Path) -> anyhow::Result<()> {
    let data = data
        .canonicalize()
        .map_err(|e| anyhow::anyhow!("the data directory {}: {e}", data.display()))?;
    if holds_anything(dir)? {
        anyhow::bail!(
            "{} is not empty: back up into a new directory",
            dir.display()
        )
    }
    let made = !dir.exists();
    std::fs::create_dir_all(dir)?;
    if dir.canonicalize()?.starts_with(&data) {
        if made {
            std::fs::remove_dir(dir)?;
        }
        anyhow::bail!("{} is inside the data directory", dir.display());
    }
    Ok(())
}

/// Whether directory `dir` holds anything (false when there is none).
fn holds_anything(dir: &Path) -> anyhow::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_some()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(err) => Err(anyhow::anyhow!("{}: {err}", dir.display())),
    }
}

fn clear(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            std::fs::remove_dir_all(path)?;
        } else {
            std::fs::remove_file(path)?;
        }
    }
    Ok(())
}

/// The signing key the server generated (`env_config.rs`), kept so that tokens stay valid.
const JWT_SECRET: &str = "jwt_secret";

/// Takes the backup; returns its one-line summary.
fn backup_into(data: &Path, dir: &Path, copy: bool) -> anyhow::Result<String> {
    let taken = snapshot::take(data, dir, copy)?;
    let secret = data.join(JWT_SECRET);
    if secret.is_file() {
        // `copy` keeps its owner-only permissions.
        std::fs::copy(&secret, dir.join(JWT_SECRET))?;
    }
    let files = manifest::entries(dir)?;
    let settings = Values(&Environment);
    let bucket = match settings.get("blob_store").as_deref().map(str::trim) {
        Some("s3") => Some(settings.get("s3_bucket").unwrap_or_default()),
        _ => None,
    };
    let now = zudui_shared::time::now();
    let counts: serde_json::Map<String, serde_json::Value> = taken
        .counts
        .iter()
        .map(|(table, n)| (table.clone(), json!(n)))
        .collect();
    let facts = json!({
        "created": format!("{} UTC", zudui_shared::time::format(now, 0)),
        "created_at": now,
        "data_dir": data.display().to_string(),
        "schema_version": taken.schema_version,
        "blob_store": if bucket.is_some() { "s3" } else { "kv" },
        "bucket": bucket,
        "rows": counts,
        "kv_files": taken.kv_files,
    });
    manifest::write(dir, facts, &files)?;

    let count = |table: &str| {
        let found = taken.counts.iter().find(|(t, _)| t == table);
        found.map_or(0, |(_, n)| *n)
    };
    let bytes: u64 = files.iter().map(|f| f.size).sum();
    if let Some(bucket) = bucket {
        println!(
            "note: file contents and pictures are in the object storage bucket {bucket:?} \
             (ZUDUI_BLOB_STORE=s3), which this backup does not include: keep the bucket with \
             versioning or replication"
        );
    }
    Ok(format!(
        "backed up {} into {}: schema {}, {} users, {} groups, {} group files, {} chat messages, \
         {} key-value files ({}), {} files, {:.1} MB; writes held {} ms",
        data.display(),
        dir.display(),
        taken.schema_version,
        count("users"),
        count("groups"),
        count("group_files"),
        count("chat_messages"),
        taken.kv_files,
        match taken.way {
            mirror::Way::Link => "hard links",
            mirror::Way::Copy => "copies",
        },
        files.len(),
        bytes as f64 / 1e6,
        taken.locked.as_millis(),
    ))
}

fn check(backup: &Path) -> anyhow::Result<()> {
    let started = Instant::now();
    let checked = restore::check(backup)?;
    println!(
        "{} (taken {}, schema {}) is whole: {} files, {:.1} MB, every one as backup.json says, in \
         {:.1}s",
        backup.display(),
        checked.created,
        checked.schema_version,
        checked.files.len(),
        checked.files.iter().map(|f| f.size).sum::<u64>() as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn restore(backup: &Path, force: bool) -> anyhow::Result<()> {
    let target: PathBuf = env_config::data_dir();
    let started = Instant::now();
    let restored = restore::run(backup, &target, force)?;
    if let Some(bucket) = &restored.bucket {
        println!(
            "note: the files and pictures are in the object storage bucket {bucket:?}, which the \
             backup did not include: restore the bucket to the backup's time as well"
        );
    }
    if let Some(aside) = &restored.aside {
        println!(
            "the data {} held is now in {}",
            target.display(),
            aside.display()
        );
    }
    println!(
        "restored {} (taken {}, schema {}) into {}: {} files, {:.1} MB, every one checked, in \
         {:.1}s",
        backup.display(),
        restored.created,
        restored.schema_version,
        target.display(),
        restored.files,
        restored.bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
