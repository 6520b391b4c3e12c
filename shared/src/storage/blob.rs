//! Pictures as they were stored before they moved to the chunk store (`pictures`): binary
//! objects in the key-value store, in chunks of 1 MiB. Read and deleted only.

use super::KeyValue;

/// The chunk size those blobs were written with.
#[cfg(test)]
const CHUNK_SIZE: usize = 1 << 20;

/// Blobs over a key-value store: `blob/<id>` holds the chunk count, `blob/<id>/<n>` the chunks.
pub struct Blobs<'a> {
    kv: &'a dyn KeyValue,
}

impl<'a> Blobs<'a> {
    pub fn new(kv: &'a dyn KeyValue) -> Self {
        Blobs { kv }
    }

    /// Stores `data` under `id`, as pictures were stored (the tests make such blobs). The chunks
    /// are written before the head, so a reader never sees a blob whose chunks are missing.
    #[cfg(test)]
    pub fn put(&self, id: &str, data: &[u8]) -> anyhow::Result<()> {
        let mut count: u32 = 0;
        for chunk in data.chunks(CHUNK_SIZE) {
            self.kv.set(&chunk_key(id, count), chunk)?;
            count += 1;
        }
        self.kv.set(&head_key(id), count.to_string().as_bytes())
    }

    pub fn get(&self, id: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let Some(count) = self.chunk_count(id)? else {
            return Ok(None);
        };
        let mut data = Vec::new();
        for n in 0..count {
            let chunk = self
                .kv
                .get(&chunk_key(id, n))?
                .ok_or_else(|| anyhow::anyhow!("blob {id}: chunk {n} missing"))?;
            data.extend_from_slice(&chunk);
        }
        Ok(Some(data))
    }

    /// Removes the blob; the head goes first so that no reader sees a partial blob.
    pub fn delete(&self, id: &str) -> anyhow::Result<()> {
        let Some(count) = self.chunk_count(id)? else {
            return Ok(());
        };
        self.kv.delete(&head_key(id))?;
        for n in 0..count {
            self.kv.delete(&chunk_key(id, n))?;
        }
        Ok(())
    }

    fn chunk_count(&self, id: &str) -> anyhow::Result<Option<u32>> {
        let Some(head) = self.kv.get(&head_key(id))? else {
            return Ok(None);
        };
        let count = std::str::from_utf8(&head)?.parse()?;
        Ok(Some(count))
    }
}

fn head_key(id: &str) -> String {
    format!("blob/{id}")
}

fn chunk_key(id: &str, n: u32) -> String {
    format!("blob/{id}/{n}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    #[derive(Default)]
    struct MemKv(Mutex<HashMap<String, Vec<u8>>>);

    impl KeyValue for MemKv {
        fn get(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
        fn set(&self, key: &str, value: &[u8]) -> anyhow::Result<()> {
            assert!(value.len() <= CHUNK_SIZE);
            self.0.lock().unwrap().insert(key.into(), value.to_vec());
            Ok(())
        }
        fn delete(&self, key: &str) -> anyhow::Result<()> {
            self.0.lock().unwrap().remove(key);
            Ok(())
        }
    }

    #[test]
    fn blobs_round_trip_in_chunks_and_delete_cleanly() {
        let kv = MemKv::default();
        let blobs = Blobs::new(&kv);
        let data: Vec<u8> = (0..(CHUNK_SIZE * 2 + 17))
            .map(|i| (i % 251) as u8)
            .collect();
        blobs.put("a", &data).unwrap();
        assert_eq!(kv.0.lock().unwrap().len(), 4);
        assert_eq!(blobs.get("a").unwrap().unwrap(), data);
        blobs.delete("a").unwrap();
        assert!(blobs.get("a").unwrap().is_none());
        assert!(kv.0.lock().unwrap().is_empty());
    }
}
