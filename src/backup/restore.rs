//! Restoring a backup into a data directory. The whole backup is checked against its manifest
//! before anything is written; it is then copied (and checked again as it is read) into a
//! directory beside the target, made durable, and renamed into place. So the target is either
//! untouched or the whole backup: an interrupted restore leaves only `.<name>.restoring-*`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::manifest::{self, Entry};

/// What a restore did.
pub struct Restored {
    pub files: usize,
    pub bytes: u64,
    pub schema_version: i64,
    pub created: String,
    /// The object storage bucket the backup's files are in, not in the backup.
    pub bucket: Option<String>,
    /// Where the data the target held went, with `--force`.
    pub aside: Option<PathBuf>,
}

/// Checks backup `backup` whole against its manifest, which it returns; writes nothing.
pub fn check(backup: &Path) -> anyhow::Result<manifest::Manifest> {
    let manifest = readable(backup)?;
    manifest::verify(backup, &manifest)?;
    Ok(manifest)
}

/// The manifest of a backup this zudui can restore.
fn readable(backup: &Path) -> anyhow::Result<manifest::Manifest> {
    let manifest = manifest::read(backup)?;
    let known = zudui_shared::migrate::latest();
    if manifest.schema_version > known {
        anyhow::bail!(
            "the backup's schema version is {}, and this zudui knows {known}: restore it with a \
             newer zudui",
            manifest.schema_version
        );
    }
    Ok(manifest)
}

/// Restores backup `backup` into data directory `target`, which must hold nothing unless
/// `force`: its data is then moved aside, never deleted.
pub fn run(backup: &Path, target: &Path, force: bool) -> anyhow::Result<Restored> {
    let manifest = readable(backup)?;
    let holds_data = super::holds_anything(target)?;
    if holds_data && !force {
        anyhow::bail!(
            "{} already holds data: restore into an empty or new directory, or stop the server \
             and pass --force to move that data aside",
            target.display()
        );
    }

    let name = target
        .file_name()
        .ok_or_else(|| anyhow::anyhow!("{} names no directory", target.display()))?
        .to_string_lossy()
        .into_owned();
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    // The backup is put in place by a rename from beside the target, which cannot cross
    // filesystems: refused now rather than after the copy.
    if let Ok(meta) = std::fs::metadata(target) {
        if meta.dev() != std::fs::metadata(&parent)?.dev() {
            anyhow::bail!(
                "{} is a mount point: restore into a directory inside it, and point \
                 ZUDUI_DATA_DIR there",
                target.display()
            );
        }
    }
    manifest::verify(backup, &manifest)?;
    std::fs::create_dir_all(&parent)?;
    warn_of_leftovers(&parent, &name);
    let suffix = hex::encode(zudui_shared::ids::random_bytes::<6>()?);
    let temp = parent.join(format!(".{name}.restoring-{suffix}"));
    std::fs::create_dir(&temp)?;
    let bytes = match copy_all(backup, &temp, &manifest.files) {
        Ok(bytes) => bytes,
        Err(err) => {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(err);
        }
    };

    let aside = if holds_data {
        let aside = parent.join(format!("{name}.replaced-{}", zudui_shared::time::now()));
        std::fs::rename(target, &aside)?;
        Some(aside)
    } else {
        None
    };
    // Over an empty directory, or where there was none.
    std::fs::rename(&temp, target)?;
    std::fs::File::open(&parent)?.sync_all()?;
    Ok(Restored {
        files: manifest.files.len(),
        bytes,
        schema_version: manifest.schema_version,
        created: manifest.created,
        bucket: manifest.bucket,
        aside,
    })
}

/// Copies every file of `files` from `backup` into `to`, each checked again as it is read and
/// synced, then the directories; returns the bytes copied.
fn copy_all(backup: &Path, to: &Path, files: &[Entry]) -> anyhow::Result<u64> {
    let mut dirs = std::collections::BTreeSet::new();
    let mut bytes = 0;
    for entry in files {
        let from = backup.join(&entry.path);
        let path = to.join(&entry.path);
        if let Some(dir) = path.parent() {
            if dirs.insert(dir.to_owned()) {
                std::fs::create_dir_all(dir)?;
            }
        }
        let mut source = std::fs::File::open(&from)?;
        let mut target = std::fs::File::create(&path)?;
        let (size, sha256) = manifest::digest(&mut source, &mut target)?;
        manifest::check(entry, size, &sha256)?;
        // The signing key stays readable by its owner only, as the server made it.
        target.set_permissions(source.metadata()?.permissions())?;
        target.sync_all()?;
        bytes += size;
    }
    for dir in dirs.iter().rev() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    std::fs::File::open(to)?.sync_all()?;
    Ok(bytes)
}

/// Says where an earlier restore was cut short: its directory beside the target.
fn warn_of_leftovers(parent: &Path, name: &str) {
    let prefix = format!(".{name}.restoring-");
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            log::warn!(
                "{} is left from a restore that did not finish; it can be deleted",
                entry.path().display()
            );
        }
    }
}
