//! The key-value store as a directory of files, one per key: file chunks are written once with
//! one copy into the page cache and read back with one `read`, and a damaged file loses one key,
//! never the store. Keys are percent-escaped into file names, spread over 256 subdirectories.
//!
//! A value is written to a temporary file under `tmp/` and renamed into place, so a reader (or a
//! crash) sees the old value or the new one, never a mix; what a crash leaves in `tmp/` goes
//! when the store is opened again (the data directory belongs to one server process). Writes are not fsynced, like the database's WAL
//! commits: a killed process loses nothing; a power cut may lose the last moments of writes.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::storage::KeyValue;

/// Everything but letters, digits, `-` and `_` is escaped, so names are portable.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_');

#[derive(Clone)]
pub struct DirKv {
    root: PathBuf,
}

/// Where values are written before they are renamed into place. Its contents at start are
/// writes a crash cut short, and go.
const TEMP: &str = "tmp";

impl DirKv {
    pub fn open(root: &Path) -> anyhow::Result<DirKv> {
        let temp = root.join(TEMP);
        match std::fs::remove_dir_all(&temp) {
            Err(err) if err.kind() != ErrorKind::NotFound => return Err(err.into()),
            _ => {}
        }
        std::fs::create_dir_all(&temp)?;
        Ok(DirKv {
            root: root.to_owned(),
        })
    }

    /// The store in `root` as another process sees it while the owner runs (tests, maintenance):
    /// unlike [`DirKv::open`] it leaves the owner's writes in progress alone.
    pub fn observe(root: &Path) -> DirKv {
        DirKv {
            root: root.to_owned(),
        }
    }

    fn path(&self, key: &str) -> PathBuf {
        let shard = hex::encode(&Sha256::digest(key.as_bytes())[..1]);
        self.root
            .join(shard)
            .join(utf8_percent_encode(key, ESCAPED).to_string())
    }

    /// Every key, for tests and maintenance.
    pub fn keys(&self) -> anyhow::Result<Vec<String>> {
        let mut keys = Vec::new();
        for shard in std::fs::read_dir(&self.root)? {
            let shard = shard?;
            if shard.file_name() == TEMP {
                continue;
            }
            for file in std::fs::read_dir(shard.path())? {
                let name = file?.file_name();
                let name = name.to_string_lossy();
                if !name.contains('.') {
                    keys.push(percent_decode_str(&name).decode_utf8()?.into_owned());
                }
            }
        }
        Ok(keys)
    }
}

impl KeyValue for DirKv {
    fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        match std::fs::read(self.path(key)) {
            Ok(value) => Ok(Some(value)),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(None),
            Err(err) => Err(anyhow::anyhow!("kv get {key}: {err}")),
        }
    }

    fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
        let path = self.path(key);
        let name = hex::encode(crate::ids::random_bytes::<12>()?);
        let temp = self.root.join(TEMP).join(name);
        let renamed =
            std::fs::write(&temp, value).and_then(|()| match std::fs::rename(&temp, &path) {
                Err(err) if err.kind() == ErrorKind::NotFound => {
                    if let Some(shard) = path.parent() {
                        std::fs::create_dir_all(shard)?;
                    }
                    std::fs::rename(&temp, &path)
                }
                other => other,
            });
        renamed.map_err(|err| {
            let _ = std::fs::remove_file(&temp);
            anyhow::anyhow!("kv set {key}: {err}")
        })
    }

    fn delete(&self, key: &str) -> anyhow::Result<()> {
        match std::fs::remove_file(self.path(key)) {
            Err(err) if err.kind() != ErrorKind::NotFound => {
                Err(anyhow::anyhow!("kv delete {key}: {err}"))
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_keys_are_listed_unescaped() {
        let dir = std::env::temp_dir().join(format!(
            "zudui-kv-test-{}",
            hex::encode(crate::ids::random_bytes::<4>().unwrap())
        ));
        let kv = DirKv::open(&dir).unwrap();
        assert_eq!(kv.get("file/ab/0").unwrap(), None);
        kv.set("file/ab/0", b"one").unwrap();
        kv.set("file/ab.thumb", b"two").unwrap();
        kv.set("file/ab/0", b"three").unwrap();
        assert_eq!(kv.get("file/ab/0").unwrap().unwrap(), b"three");
        let mut keys = kv.keys().unwrap();
        keys.sort();
        assert_eq!(keys, ["file/ab.thumb", "file/ab/0"]);
        kv.delete("file/ab/0").unwrap();
        kv.delete("file/ab/0").unwrap();
        assert_eq!(kv.get("file/ab/0").unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
