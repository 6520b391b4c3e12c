//! Keeps a copy of the key-value directory (`kv/`) up to date with the live one, pass after
//! pass: each pass brings over what is new or replaced since the last and drops what is gone.
//!
//! `DirKv` never changes a file in place: a value is written to `kv/tmp/` and renamed over its
//! key. So a file's inode names its bytes for good, and a pass need only compare inodes to know
//! what changed (with the size and modification time, as an inode number may be reused once its
//! file is gone); a hard link to a file keeps exactly the bytes it had, whatever the server does
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
    /// Each file of the copy (`<shard>/<name>`) and the live file it came from.
    placed: HashMap<PathBuf, Identity>,
    /// Copies to make later: where, and the live file held open. An open file keeps its bytes
    /// as a hard link does, so a pass under the lock opens and [`Mirror::finish`] copies after.
    deferred: Option<Vec<(PathBuf, std::fs::File)>>,
}

/// Files held open at most for later copies; past them a pass copies at once (the process may
/// open only so many files).
const DEFERRED_MAX: usize = 512;

/// Which live file a copy came from: its inode, size and modification time.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Identity(u64, u64, i64, i64);

impl Identity {
    fn of(meta: &std::fs::Metadata) -> Identity {
        Identity(meta.ino(), meta.size(), meta.mtime(), meta.mtime_nsec())
    }
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
            deferred: None,
        })
    }

    /// From now on, copies are only opened by a pass, and made by [`Mirror::finish`].
    pub fn defer_copies(&mut self) {
        self.deferred.get_or_insert_with(Vec::new);
    }

    /// Makes the copies deferred so far.
    pub fn finish(&mut self) -> anyhow::Result<()> {
        for (copy, mut source) in self.deferred.take().unwrap_or_default() {
            std::io::copy(&mut source, &mut std::fs::File::create(copy)?)?;
        }
        Ok(())
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
        let identity = match std::fs::symlink_metadata(&live) {
            Ok(meta) if meta.is_file() => Identity::of(&meta),
            Ok(_) => return Ok(false),
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(false),
            Err(err) => return Err(err.into()),
        };
        if self.placed.get(rel) == Some(&identity) {
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

    /// Puts the live file at `copy`; returns which live file it took (the name may have been
    /// replaced since it was looked at), or `None` when it is gone.
    fn place(&mut self, live: &Path, copy: &Path) -> anyhow::Result<Option<Identity>> {
        remove(copy)?;
        if self.way == Way::Link {
            match std::fs::hard_link(live, copy) {
                Ok(()) => return Ok(Some(Identity::of(&std::fs::metadata(copy)?))),
                Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
                // Some filesystems refuse hard links (or the device check was wrong): copy.
                Err(err) => {
                    log::warn!("hard links refused ({err}); copying instead");
                    self.way = Way::Copy;
                }
            }
        }
        // The identity is read from the opened file, so it names the bytes copied.
        let mut source = match std::fs::File::open(live) {
            Ok(source) => source,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        let identity = Identity::of(&source.metadata()?);
        if let Some(deferred) = self.deferred.as_mut().filter(|d| d.len() < DEFERRED_MAX) {
            deferred.push((copy.to_owned(), source));
            return Ok(Some(identity));
        }
        let mut target = std::fs::File::create(copy)?;
        std::io::copy(&mut source, &mut target)?;
        Ok(Some(identity))
    }
}

fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file under `dir` (`<shard>/<name>`) and its bytes.
    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for shard in std::fs::read_dir(dir).unwrap() {
            let shard = shard.unwrap();
            for file in std::fs::read_dir(shard.path()).unwrap() {
                let file = file.unwrap();
                let name = format!(
                    "{}/{}",
                    shard.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                out.push((name, std::fs::read(file.path()).unwrap()));
            }
        }
        out.sort();
        out
    }

    /// As `DirKv::set` writes: a temporary file renamed over the key.
    fn set(live: &Path, rel: &str, bytes: &[u8]) {
        let temp = live.join(TEMP).join("next");
        std::fs::write(&temp, bytes).unwrap();
        let path = live.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::rename(temp, path).unwrap();
    }

    fn passes_follow_the_live_directory(way: Way) {
        let root = tempfile::tempdir().unwrap();
        let (live, copy) = (root.path().join("kv"), root.path().join("backup/kv"));
        std::fs::create_dir_all(live.join(TEMP)).unwrap();
        set(&live, "0a/file%2Fb1%2F0", b"one");
        set(&live, "0a/file%2Fb2%2F0", b"two");
        set(&live, "ff/token", b"old");
        std::fs::write(live.join("ff/token.tmp1"), b"an old temporary file").unwrap();
        std::fs::write(live.join(TEMP).join("half"), b"a write in progress").unwrap();

        let mut mirror = Mirror::new(&live, &copy).unwrap();
        assert_eq!(mirror.way, Way::Link, "one filesystem");
        mirror.way = way;
        let first = mirror.pass().unwrap();
        assert_eq!((first.placed, first.removed), (3, 0));
        // Neither the write in progress nor the older temporary file is a key.
        assert_eq!(
            tree(&copy),
            [
                ("0a/file%2Fb1%2F0".to_owned(), b"one".to_vec()),
                ("0a/file%2Fb2%2F0".to_owned(), b"two".to_vec()),
                ("ff/token".to_owned(), b"old".to_vec()),
            ]
        );

        // A value replaced, one deleted, one new: only those are touched.
        set(&live, "ff/token", b"new");
        std::fs::remove_file(live.join("0a/file%2Fb1%2F0")).unwrap();
        set(&live, "7c/file%2Fb3%2F0", b"three");
        let second = mirror.pass().unwrap();
        assert_eq!((second.placed, second.removed), (2, 1));
        assert_eq!(
            tree(&copy),
            [
                ("0a/file%2Fb2%2F0".to_owned(), b"two".to_vec()),
                ("7c/file%2Fb3%2F0".to_owned(), b"three".to_vec()),
                ("ff/token".to_owned(), b"new".to_vec()),
            ]
        );
        assert_eq!(mirror.files(), 3);
        let third = mirror.pass().unwrap();
        assert_eq!((third.placed, third.removed), (0, 0));

        // A file of the copy keeps its bytes whatever happens to the live name afterwards, a
        // deferred copy too.
        set(&live, "c3/file%2Fb4%2F0", b"four");
        mirror.defer_copies();
        assert_eq!(mirror.pass().unwrap().placed, 1);
        set(&live, "0a/file%2Fb2%2F0", b"TWO");
        std::fs::remove_file(live.join("7c/file%2Fb3%2F0")).unwrap();
        std::fs::remove_file(live.join("c3/file%2Fb4%2F0")).unwrap();
        mirror.finish().unwrap();
        assert_eq!(
            std::fs::read(copy.join("c3/file%2Fb4%2F0")).unwrap(),
            b"four"
        );
        assert_eq!(
            std::fs::read(copy.join("0a/file%2Fb2%2F0")).unwrap(),
            b"two"
        );
        assert_eq!(
            std::fs::read(copy.join("7c/file%2Fb3%2F0")).unwrap(),
            b"three"
        );
    }

    #[test]
    fn linked_passes_follow_the_live_directory() {
        passes_follow_the_live_directory(Way::Link);
    }

    #[test]
    fn copied_passes_follow_the_live_directory() {
        passes_follow_the_live_directory(Way::Copy);
    }
}
