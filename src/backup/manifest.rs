//! `backup.json`: what a backup holds (every file with its size and SHA-256) and what it was
//! taken of, written last, so that a directory without it is no complete backup.

use std::io::{ErrorKind, Read};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const NAME: &str = "backup.json";
/// The layout of backups this version writes and restores.
const FORMAT: i64 = 1;

/// One file of a backup: its path inside it (`/`-separated), size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

pub struct Manifest {
    pub files: Vec<Entry>,
    pub schema_version: i64,
    pub created: String,
    /// The bucket the files were in, when they were in object storage.
    pub bucket: Option<String>,
}

/// Every file under `dir` but the manifest, hashed (in parallel: hashing is most of the work).
pub fn entries(dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let mut paths = Vec::new();
    let mut dirs = vec![dir.to_owned()];
    walk(dir, dir, &mut paths, &mut dirs)?;
    let mut entries = paths
        .par_iter()
        .map(|(path, rel)| {
            let mut file = std::fs::File::open(path)?;
            let (size, sha256) = digest(&mut file, &mut std::io::sink())?;
            // The backup is durable once its manifest is.
            file.sync_all()?;
            Ok(Entry {
                path: rel.clone(),
                size,
                sha256,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // The names too (hard links are nothing but names).
    for dir in dirs {
        std::fs::File::open(dir)?.sync_all()?;
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// Every file under `dir` (with its path inside `root`) into `files`, every directory into
/// `dirs`.
fn walk(
    root: &Path,
    dir: &Path,
    files: &mut Vec<(PathBuf, String)>,
    dirs: &mut Vec<PathBuf>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, files, dirs)?;
            dirs.push(path);
        } else if path != root.join(NAME) {
            let rel = path.strip_prefix(root)?;
            let rel: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
            let rel = rel.join("/");
            files.push((path, rel));
        }
    }
    Ok(())
}

/// Copies `from` into `to` (when given) while hashing it: its size and SHA-256 in hex.
pub fn digest(
    from: &mut impl Read,
    to: &mut impl std::io::Write,
) -> std::io::Result<(u64, String)> {
    let mut hash = Sha256::new();
    let mut buf = vec![0; 1 << 16];
    let mut size = 0;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        hash.update(&buf[..n]);
        to.write_all(&buf[..n])?;
        size += n as u64;
    }
    Ok((size, hex::encode(hash.finalize())))
}

/// Writes the manifest of `dir`: `facts` about what was taken, and `files`.
pub fn write(dir: &Path, mut facts: Value, files: &[Entry]) -> anyhow::Result<()> {
    facts["format"] = json!(FORMAT);
    facts["files"] = files
        .iter()
        .map(|e| json!({ "path": e.path, "size": e.size, "sha256": e.sha256 }))
        .collect();
    let temp = dir.join(format!("{NAME}.partial"));
    std::fs::write(&temp, serde_json::to_vec_pretty(&facts)?)?;
    std::fs::File::open(&temp)?.sync_all()?;
    std::fs::rename(&temp, dir.join(NAME))?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Reads the manifest of backup `dir`. Paths that would lead out of it are refused.
pub fn read(dir: &Path) -> anyhow::Result<Manifest> {
    let text = match std::fs::read(dir.join(NAME)) {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::NotFound => anyhow::bail!(
            "{} has no {NAME}: not a backup, or one that did not finish",
            dir.display()
        ),
        Err(err) => return Err(err.into()),
    };
    let value: Value = serde_json::from_slice(&text)
        .map_err(|e| anyhow::anyhow!("{NAME} is not valid JSON: {e}"))?;
    if value["format"] != json!(FORMAT) {
        anyhow::bail!("{NAME}: format {} is not {FORMAT}", value["format"]);
    }
    let bad = |what: &str| anyhow::anyhow!("{NAME}: {what}");
    let files = value["files"]
        .as_array()
        .ok_or_else(|| bad("no file list"))?
        .iter()
        .map(|file| {
            let path = file["path"]
                .as_str()
                .ok_or_else(|| bad("a file without path"))?;
            let inside = Path::new(path)
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
            if !inside || path.is_empty() || path == NAME {
                return Err(bad(&format!("path {path:?} is not inside the backup")));
            }
            Ok(Entry {
                path: path.to_owned(),
                size: file["size"]
                    .as_u64()
                    .ok_or_else(|| bad(&format!("{path}: no size")))?,
                sha256: file["sha256"]
                    .as_str()
                    .ok_or_else(|| bad(&format!("{path}: no sha256")))?
                    .to_owned(),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Manifest {
        files,
        schema_version: value["schema_version"]
            .as_i64()
            .ok_or_else(|| bad("no schema_version"))?,
        created: value["created"].as_str().unwrap_or_default().to_owned(),
        bucket: value["bucket"].as_str().map(str::to_owned),
    })
}

/// Checks every file the manifest lists against its size and hash; the first that differs (or
/// is missing) is the error.
pub fn verify(dir: &Path, manifest: &Manifest) -> anyhow::Result<()> {
    manifest.files.par_iter().try_for_each(|entry| {
        let path = dir.join(&entry.path);
        let mut file =
            std::fs::File::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", entry.path))?;
        let (size, sha256) = digest(&mut file, &mut std::io::sink())?;
        check(entry, size, &sha256)
    })
}

/// Whether `size` and `sha256` are those `entry` lists.
pub fn check(entry: &Entry, size: u64, sha256: &str) -> anyhow::Result<()> {
    if size != entry.size {
        anyhow::bail!(
            "{}: {size} bytes, the manifest says {}",
            entry.path,
            entry.size
        );
    }
    if sha256 != entry.sha256 {
        anyhow::bail!("{}: its SHA-256 is not the manifest's", entry.path);
    }
    Ok(())
}
