//! Where file contents live: numbered chunks of a blob, in the key-value store (the default) or in
//! S3-compatible object storage. Files are read and written one chunk at a time, so memory never
//! grows with a file's size.

use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

use super::KeyValue;
use crate::sendable::{BoxFuture, MaybeSend};

/// A store of blob chunks. Chunk `n` of blob `b` holds bytes `n * chunk_size ..` of the blob;
/// `part` names a blob's companion object (a thumbnail), kept and deleted with it.
///
/// The futures own what they need, so a writer can keep one `put` in flight while it receives
/// the next chunk; a store whose work starts when it is called (not when first polled) then
/// writes and receives at once.
pub trait ChunkStore: MaybeSend {
    /// The chunk size new blobs are written with; a blob remembers its own in its row.
    fn chunk_size(&self) -> usize;
    fn put(&self, key: ChunkKey<'_>, data: Bytes) -> BoxFuture<'static, anyhow::Result<()>>;
    fn get(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>>;
    /// Bytes `range` of an object (fewer where it ends first); `None` when it does not exist.
    /// Reads the whole object and slices it unless the store can read a part.
    fn get_range(
        &self,
        key: ChunkKey<'_>,
        range: Range<u64>,
    ) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        let whole = self.get(key);
        Box::pin(async move { Ok(whole.await?.map(|object| slice(&object, range))) })
    }

    /// Object storage that clients reach themselves (presigned forms and links), if this is one.
    fn direct(&self) -> Option<&dyn super::Direct> {
        None
    }

    /// Deleting a chunk that does not exist succeeds.
    fn delete(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<()>>;

    /// Deletes every object of `keys` (missing ones too), in the order given where the store
    /// deletes one at a time, and in as few requests as it allows where it is remote.
    fn delete_all(&self, keys: &[ChunkKey<'_>]) -> BoxFuture<'static, anyhow::Result<()>> {
        let deletes: Vec<_> = keys.iter().map(|key| self.delete(*key)).collect();
        Box::pin(async move {
            for delete in deletes {
                delete.await?;
            }
            Ok(())
        })
    }
}

/// `range` of `object`, clamped to its end.
pub fn slice(object: &Bytes, range: Range<u64>) -> Bytes {
    let len = object.len() as u64;
    object.slice(range.start.min(len) as usize..range.end.min(len) as usize)
}

/// One object of a blob: a numbered chunk, or a named companion.
#[derive(Debug, Clone, Copy)]
pub enum ChunkKey<'a> {
    Chunk(&'a str, u64),
    Part(&'a str, &'a str),
}

impl ChunkKey<'_> {
    /// The object's key: `file/<blob>/<n>` or `file/<blob>.<part>`.
    pub fn path(&self) -> String {
        match self {
            ChunkKey::Chunk(blob, n) => format!("file/{blob}/{n}"),
            ChunkKey::Part(blob, part) => format!("file/{blob}.{part}"),
        }
    }
}

/// Chunks as key-value entries: no setup, and within hosted Spin KV's value size.
pub struct KvChunks(pub Arc<dyn KeyValue>);

/// Hosted Spin key-value stores take values of at most 1 MB: 10^6 bytes, whatever "MB" means
/// there. A resumable upload's part is a whole number of chunks.
pub const KV_CHUNK_SIZE: usize = 1_000_000;

impl ChunkStore for KvChunks {
    fn chunk_size(&self) -> usize {
        KV_CHUNK_SIZE
    }

    fn put(&self, key: ChunkKey<'_>, data: Bytes) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(std::future::ready(self.0.set(&key.path(), &data)))
    }

    fn get(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        Box::pin(std::future::ready(
            self.0.get(&key.path()).map(|v| v.map(Bytes::from)),
        ))
    }

    fn delete(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(std::future::ready(self.0.delete(&key.path())))
    }
}
