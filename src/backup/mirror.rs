//! Keeps a copy of the key-value directory (`kv/`) up to date with the live one, pass after
//! pass: each pass brings over what is new or replaced since the last and drops what is gone.
//!
//! `DirKv` never changes a file in place: a value is written to `kv/tmp/` and renamed over its
//! key. So a file's inode names its bytes for good, and a pass need only compare inodes to know
//! what changed; a hard link to a file keeps exactly the bytes it had, whatever the server does
//! to the name afterwards.

use std::collections::{HashMap, HashSet};
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How a file reaches the backup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// A hard link: the backup is on the data's filesystem. Instant, and no space taken until
    /// the server deletes its name.
    Link,
    /// A copy of the bytes: the backup is on another filesystem.
    Copy,
}

/// Where `DirKv` writes values before renaming them into place (`shared/src/native/kv.rs`).
const TEMP: &str = "tmp";

pub struct Mirror {
    from: PathBuf,
    to: PathBuf,
    pub way: Way,
    /// Each file of the copy (`<shard>/<name>`) and the inode of the live file it came from.
    placed: HashMap<PathBuf, u64>,
}

/// What one pass did.
#[derive(Default, Debug)]
pub struct Pass {
    /// Files new or replaced since the last pass.
    pub placed: usize,
    /// Files gone since the last pass.
    pub removed: usize,
}

impl Mirror {
    /// A mirror of `from` into `to` (created), by hard links when both are on one filesystem.
    pub fn new(from: &Path, to: &Path) -> anyhow::Result<Mirror> {
        std::fs::create_dir_all(to)?;
        let way = match std::fs::metadata(from) {
            Ok(live) if live.dev() == std::fs::metadata(to)?.dev() => Way::Link,
            _ => Way::Copy,
        };
        Ok(Mirror {
            from: from.to_owned(),
            to: to.to_owned(),
            way,
            placed: HashMap::new(),
        })
    }

    /// Every file of the copy and how many there are.
    pub fn files(&self) -> usize {
        self.placed.len()
    }

    /// Brings the copy up to the live directory as it is now.
    pub fn pass(&mut self) -> anyhow::Result<Pass> {
        let mut pass = Pass::default();
        let mut seen = HashSet::new();
        let shards = match std::fs::read_dir(&self.from) {
            Ok(shards) => shards,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(pass),
            Err(err) => return Err(err.into()),
        };
        for shard in shards {
            let shard = shard?;
            if shard.file_name() == TEMP || !shard.file_type()?.is_dir() {
                continue;
            }
            std::fs::create_dir_all(self.to.join(shard.file_name()))?;
            for file in std::fs::read_dir(shard.path())? {
                let name = file?.file_name();
                // Names hold no `.` (keys are percent-escaped): one with a dot is a temporary
                // file an older version left beside its key, and no key.
                if name.to_string_lossy().contains('.') {
                    continue;
                }
                let rel = Path::new(&shard.file_name()).join(name);
                if self.visit(&rel, &mut pass)? {
                    seen.insert(rel);
                }
            }
        }
        // A name the walk did not list may still be there: a directory listing need not show a
        // name that was replaced (renamed over) while it was being read. Look again before
        // dropping it.
        let unseen: Vec<PathBuf> = self
            .placed
            .keys()
            .filter(|rel| !seen.contains(*rel))
            .cloned()
            .collect();
        for rel in unseen {
            if !self.visit(&rel, &mut pass)? {
                remove(&self.to.join(&rel))?;
                self.placed.remove(&rel);
                pass.removed += 1;
            }
        }
        Ok(pass)
    }

    /// Brings over live file `rel` if it is new or replaced; false when it is gone.
    fn visit(&mut self, rel: &Path, pass: &mut Pass) -> anyhow::Result<bool> {
        let live = self.from.join(rel);
        let inode = match std::fs::symlink_metadata(&live) {
            Ok(meta) if meta.is_file() => meta.ino(),
            Ok(_) => return Ok(false),
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(err.into()),
        };
        if self.placed.get(rel) == Some(&inode) {
            return Ok(true);
        }
        let copy = self.to.join(rel);
        if let Some(shard) = copy.parent() {
            std::fs::create_dir_all(shard)?;
        }
        let placed = match self.place(&live, &copy)? {
            Some(placed) => placed,
            None => return Ok(false),
        };
        self.placed.insert(rel.to_owned(), placed);
        pass.placed += 1;
        Ok(true)
    }

    /// Puts the live file at `copy`; returns the inode of the live file it took (the name may
    /// have been replaced since it was looked at), or `None` when it is gone.
    fn place(&mut self, live: &Path, copy: &Path) -> anyhow::Result<Option<u64>> {
        remove(copy)?;
        if self.way == Way::Link {
            match std::fs::hard_link(live, copy) {
                Ok(()) => return Ok(Some(std::fs::metadata(copy)?.ino())),
                Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
                // Some filesystems refuse hard links (or the device check was wrong): copy.
                Err(err) => {
                    log::warn!("hard links refused ({err}); copying instead");
                    self.way = Way::Copy;
                }
            }
        }
        // The inode is read from the opened file, so it names the bytes copied.
        let mut source = match std::fs::File::open(live) {
            Ok(source) => source,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let inode = source.metadata()?.ino();
        let mut target = std::fs::File::create(copy)?;
        std::io::copy(&mut source, &mut target)?;
        Ok(Some(inode))
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}
