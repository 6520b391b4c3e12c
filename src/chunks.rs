//! File chunks on the native server: the directory key-value store, read and written on tokio's
//! blocking pool. Work starts when it is asked for, so an upload receives its next chunk while
//! the last one is written, and no file I/O ever blocks a worker thread.

use bytes::Bytes;
use zudui_shared::native::DirKv;
use zudui_shared::sendable::BoxFuture;
use zudui_shared::storage::{ChunkKey, ChunkStore, KeyValue, KV_CHUNK_SIZE};

pub struct NativeChunks(pub DirKv);

impl NativeChunks {
    fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&DirKv) -> anyhow::Result<T> + Send + 'static,
    ) -> BoxFuture<'static, anyhow::Result<T>> {
        let kv = self.0.clone();
        let task = tokio::task::spawn_blocking(move || work(&kv));
        Box::pin(async move { task.await? })
    }
}

impl ChunkStore for NativeChunks {
    fn chunk_size(&self) -> usize {
        KV_CHUNK_SIZE
    }

    fn put(&self, key: ChunkKey<'_>, data: Bytes) -> BoxFuture<'static, anyhow::Result<()>> {
        let path = key.path();
        self.run(move |kv| kv.set(&path, &data))
    }

    fn get(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        let path = key.path();
        self.run(move |kv| Ok(kv.get(&path)?.map(Bytes::from)))
    }

    fn delete(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<()>> {
        let path = key.path();
        self.run(move |kv| kv.delete(&path))
    }
}
