//! File contents in the chunk store: written while an upload arrives, read while a download
//! leaves, discarded in full when something fails. A blob is listed in `blob_pending` from before
//! its first chunk is written until a file row owns it (or its last chunk is gone), so a crash at
//! any point leaves nothing the sweep cannot find.

use std::ops::Range;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;

use crate::app::App;
use crate::db::blob_pending;
use crate::error::{Code, Error, Result};
use crate::sendable::BoxFuture;
use crate::storage::{ChunkKey, ChunkStore};
use crate::{ids, sendable, time};

/// How much of a file's start and end is kept for recognising it (type, duration).
pub const SAMPLE: usize = 1 << 20;

/// A new blob, written chunk by chunk as its bytes arrive.
pub struct Writer {
    store: Arc<dyn ChunkStore>,
    blob: String,
    chunk_size: usize,
    buf: BytesMut,
    chunks: u64,
    size: u64,
    limit: u64,
    head: Bytes,
    prev: Bytes,
    last: Bytes,
    /// The put of the last full chunk, still running while the next one fills.
    in_flight: Option<BoxFuture<'static, anyhow::Result<()>>>,
}

/// A blob fully written: what it holds, and samples of its start and end.
pub struct Written {
    pub blob: String,
    /// A file sent straight to object storage is one chunk of its own size, which may be past
    /// what `usize` holds on wasm32.
    pub chunk_size: u64,
    pub chunks: u64,
    pub size: u64,
    pub etag: String,
    pub sample: Sample,
}

/// A blob's validator: its name. Blobs never change and every upload gets a new one, so the name
/// is as strong a validator as a hash of the content, and costs nothing to compute.
pub fn etag_of(blob: &str) -> String {
    format!("\"{blob}\"")
}

/// The first and last [`SAMPLE`] bytes (or fewer) of a file of `len` bytes.
#[derive(Clone, Default)]
pub struct Sample {
    pub head: Bytes,
    pub tail: Bytes,
    pub len: u64,
}

impl Writer {
    /// Registers a new blob as pending. Writing more than `limit` bytes fails with 344.
    pub fn begin(app: &App, limit: u64) -> Result<Writer> {
        let blob = new_blob_id()?;
        app.db
            .run(|c| Ok(blob_pending::add(c, &blob, time::now())?))?;
        Ok(Writer::for_blob(app.chunks.clone(), blob, 0, limit))
    }

    /// A writer for a blob that is already registered as pending, starting at chunk `first`.
    pub fn for_blob(store: Arc<dyn ChunkStore>, blob: String, first: u64, limit: u64) -> Writer {
        let chunk_size = store.chunk_size();
        Writer {
            store,
            blob,
            chunk_size,
            buf: BytesMut::with_capacity(chunk_size),
            chunks: first,
            size: 0,
            limit,
            head: Bytes::new(),
            prev: Bytes::new(),
            last: Bytes::new(),
            in_flight: None,
        }
    }

    pub fn blob(&self) -> &str {
        &self.blob
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, mut data: &[u8]) -> Result<()> {
        self.size += data.len() as u64;
        if self.size > self.limit {
            return Err(Error::new(Code::SpaceFull));
        }
        while !data.is_empty() {
            let take = data.len().min(self.chunk_size - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == self.chunk_size {
                self.flush().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let chunk = self.buf.split().freeze();
        self.buf.reserve(self.chunk_size);
        if self.head.is_empty() {
            self.head = chunk.slice(..chunk.len().min(SAMPLE));
        }
        // One chunk in flight at most: memory stays at two chunks, and a slow store slows the
        // upload down rather than piling chunks up.
        if let Some(previous) = self.in_flight.take() {
            previous.await?;
        }
        self.in_flight = Some(
            self.store
                .put(ChunkKey::Chunk(&self.blob, self.chunks), chunk.clone()),
        );
        self.chunks += 1;
        self.prev = std::mem::replace(&mut self.last, chunk);
        Ok(())
    }

    /// Writes what is buffered. The blob stays pending until the caller's row owns it; on
    /// failure the writer can still [`abort`](Writer::abort).
    pub async fn finish(&mut self) -> Result<Written> {
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        if let Some(last) = self.in_flight.take() {
            last.await?;
        }
        Ok(Written {
            etag: etag_of(&self.blob),
            sample: Sample {
                head: self.head.clone(),
                tail: tail_of(&self.prev, &self.last),
                len: self.size,
            },
            blob: self.blob.clone(),
            chunk_size: self.chunk_size as u64,
            chunks: self.chunks,
            size: self.size,
        })
    }

    /// Gives up: removes every chunk written so far and the pending entry.
    pub async fn abort(mut self, app: &App) {
        // A put still running must land before the chunks are deleted, or it would outlive them.
        if let Some(last) = self.in_flight.take() {
            let _ = last.await;
        }
        discard(app, &self.blob, Some(self.chunks)).await;
    }
}

/// The last [`SAMPLE`] bytes of a blob whose last two chunks are `prev` and `last`.
pub fn tail_of(prev: &Bytes, last: &Bytes) -> Bytes {
    if last.len() >= SAMPLE || prev.is_empty() {
        return last.slice(last.len() - last.len().min(SAMPLE)..);
    }
    let from_prev = (SAMPLE - last.len()).min(prev.len());
    let mut tail = BytesMut::with_capacity(from_prev + last.len());
    tail.extend_from_slice(&prev[prev.len() - from_prev..]);
    tail.extend_from_slice(last);
    tail.freeze()
}

/// A fresh random blob name.
pub fn new_blob_id() -> Result<String> {
    Ok(hex::encode(ids::random_bytes::<16>()?))
}

/// Removes a blob's chunks and its companions, then its pending entry. `chunks` is the count
/// when known; otherwise the chunks are probed. Failures are logged: the pending entry stays, and
/// the sweep retries.
pub async fn discard(app: &App, blob: &str, chunks: Option<u64>) -> bool {
    discard_all(app, vec![(blob.to_owned(), chunks.map(|n| n as i64))]).await == 1
}

/// Discards `blobs` (with their chunk counts when known) with one deletion of all their objects
/// (one request per thousand on S3); returns how many went. Newest chunks go first where the
/// store deletes one at a time, so that what a crash leaves is a prefix; the counts are recorded
/// first, for a store that deletes many at once in no set order.
pub async fn discard_all(app: &App, blobs: Vec<(String, Option<i64>)>) -> usize {
    match try_discard_all(app, &blobs).await {
        Ok(()) => blobs.len(),
        Err(err) => {
            let names: Vec<&str> = blobs.iter().map(|(b, _)| b.as_str()).collect();
            log::warn!("could not discard blobs {names:?}: {err:#}");
            0
        }
    }
}

async fn try_discard_all(app: &App, blobs: &[(String, Option<i64>)]) -> Result<()> {
    let store = &app.chunks;
    let mut counted = Vec::with_capacity(blobs.len());
    for (blob, chunks) in blobs {
        let count = match chunks {
            Some(n) => (*n).max(0) as u64,
            None => {
                let mut n = 0;
                while store.get(ChunkKey::Chunk(blob, n)).await?.is_some() {
                    n += 1;
                }
                n
            }
        };
        counted.push((blob.as_str(), count));
    }
    app.db.tx(|c| {
        for (blob, count) in &counted {
            blob_pending::set_chunks(c, blob, *count as i64)?;
        }
        Ok(())
    })?;
    let mut keys = Vec::new();
    for (blob, count) in &counted {
        keys.push(ChunkKey::Part(blob, THUMBNAIL));
        keys.extend((0..*count).rev().map(|n| ChunkKey::Chunk(blob, n)));
    }
    store.delete_all(&keys).await?;
    app.db.tx(|c| {
        for (blob, _) in &counted {
            blob_pending::remove(c, blob)?;
        }
        Ok(())
    })
}

/// Objects one sweep deletes at most: a request spends one S3 request on it (see
/// `ChunkStore::delete_all`), and a bounded time.
pub const SWEEP_OBJECTS: i64 = 1000;

/// The blobs of `blobs` (with their chunk counts) that one sweep takes: from the first, while
/// their objects (chunks and a thumbnail) stay within [`SWEEP_OBJECTS`], and at least one.
pub fn within_sweep<T>(blobs: Vec<T>, objects: impl Fn(&T) -> i64) -> Vec<T> {
    let mut total = 0;
    let mut taken = Vec::new();
    for blob in blobs {
        total += objects(&blob) + 1;
        if total > SWEEP_OBJECTS && !taken.is_empty() {
            break;
        }
        taken.push(blob);
    }
    taken
}

/// Marks blobs as pending inside the caller's transaction (the rows owning them are about to go);
/// [`discard`] them once it commits.
pub fn release(conn: &dyn crate::storage::Sql, blobs: &[String]) -> Result<()> {
    let now = time::now();
    for blob in blobs {
        blob_pending::add(conn, blob, now)?;
    }
    Ok(())
}

/// Discards pending blobs older than `age_seconds` (uploads that expired, a crash's leftovers),
/// up to `limit` of them and [`SWEEP_OBJECTS`] objects; returns how many went. A blob whose
/// chunks were not counted counts as one chunk here.
pub async fn sweep(app: &App, age_seconds: i64, limit: i64) -> Result<usize> {
    let before = Some(time::now() - age_seconds);
    let stale = app.db.run(|c| Ok(blob_pending::stale(c, before, limit)?))?;
    let stale = within_sweep(stale, |(_, chunks)| chunks.unwrap_or(1));
    Ok(discard_all(app, stale).await)
}

/// Every pending blob that no live upload owns. Taken before a server serves, these are what a
/// crash left behind: nothing was in flight yet, and nothing started later is among them.
pub fn leftovers(app: &App) -> Result<Vec<(String, Option<i64>)>> {
    app.db.run(|c| Ok(blob_pending::stale(c, None, i64::MAX)?))
}

/// The companion object holding a file's thumbnail.
pub const THUMBNAIL: &str = "thumb";

/// Most bytes one read asks the store for: a blob stored as one object (an upload straight to
/// object storage) is read in pieces, so memory stays bounded whatever its size.
const READ_PIECE: u64 = 8_000_000;

/// Bytes `range` of a blob, as a stream of pieces of its chunks.
pub fn read(
    store: Arc<dyn ChunkStore>,
    blob: String,
    chunk_size: u64,
    range: Range<u64>,
) -> impl Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    let chunks = futures_util::stream::unfold(range.start, move |pos| {
        let store = store.clone();
        let blob = blob.clone();
        async move {
            if pos >= range.end {
                return None;
            }
            let n = pos / chunk_size;
            let start = n * chunk_size;
            let end = range.end.min(start + chunk_size).min(pos + READ_PIECE);
            let piece = store.get_range(ChunkKey::Chunk(&blob, n), pos - start..end - start);
            let item = match piece.await {
                Ok(Some(piece)) if !piece.is_empty() => Ok(piece),
                Ok(Some(_)) => Err(std::io::Error::other(format!(
                    "blob {blob}: chunk {n} is short"
                ))),
                Ok(None) => Err(std::io::Error::other(format!(
                    "blob {blob}: chunk {n} missing"
                ))),
                Err(err) => Err(std::io::Error::other(format!("blob {blob}: {err:#}"))),
            };
            // After an error the stream ends: the client sees a body shorter than announced.
            let next = match &item {
                Ok(piece) => pos + piece.len() as u64,
                Err(_) => range.end,
            };
            Some((item, next))
        }
    });
    sendable::send_stream(chunks)
}

/// Reads a whole blob of at most `limit` bytes into memory (thumbnails of images).
pub async fn read_all(store: &dyn ChunkStore, blob: &str, size: u64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(size as usize);
    let mut n = 0;
    while (out.len() as u64) < size {
        let chunk = store
            .get(ChunkKey::Chunk(blob, n))
            .await?
            .ok_or_else(|| anyhow::anyhow!("blob {blob}: chunk {n} missing"))?;
        out.extend_from_slice(&chunk);
        n += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blobs of these chunk counts, as one sweep takes them.
    fn swept(chunks: &[i64]) -> Vec<i64> {
        within_sweep(chunks.to_vec(), |n| *n)
    }

    #[test]
    fn a_sweep_takes_blobs_while_their_objects_fit() {
        let most = SWEEP_OBJECTS - 1; // with its thumbnail, a blob of `most` chunks fills a sweep
        assert_eq!(swept(&[]), Vec::<i64>::new());
        assert_eq!(swept(&[3, 4, 5]), [3, 4, 5]);
        assert_eq!(swept(&[most, 0]), [most], "the thumbnail counts");
        assert_eq!(swept(&[most - 2, 0, 7]), [most - 2, 0]);
        assert_eq!(
            swept(&[5 * most, 1]),
            [5 * most],
            "one is taken, however large"
        );
        let many = vec![13; 200]; // chat files of 100 MiB on S3
        assert_eq!(swept(&many).len() as i64, SWEEP_OBJECTS / 14);
    }
}
