//! Pictures kept in the chunk store, beside the files (object storage when there is one, else
//! the key-value store): user and group avatars, intro and announcement pictures. Uploads are
//! verified and re-encoded by [`imaging::normalize`] before they are stored.

use bytes::Bytes;

use crate::app::App;
use crate::db::StoredPicture;
use crate::error::{Code, Error, Result};
use crate::imaging::{self, Picture};
use crate::storage::ChunkKey;
use crate::untrusted::{self, Failure, PICTURE_TIME};

/// Verifies and re-encodes an upload, and stores it under `<prefix>/<etag>`.
pub async fn store(app: &App, prefix: &str, upload: Bytes) -> Result<StoredPicture> {
    let picture = untrusted(app, move || imaging::normalize(&upload, imaging::MAX_SIDE)).await?;
    let stored = StoredPicture {
        blob: format!("{prefix}/{}", picture.etag.trim_matches('"')),
        content_type: picture.content_type.to_owned(),
        etag: picture.etag,
    };
    let size = app.chunks.chunk_size();
    for (n, chunk) in picture.bytes.chunks(size).enumerate() {
        let chunk = Bytes::copy_from_slice(chunk);
        app.chunks
            .put(ChunkKey::Chunk(&stored.blob, n as u64), chunk)
            .await?;
    }
    Ok(stored)
}

/// The chunks a stored picture may have: it is at most [`imaging::MAX_STORED`] bytes.
fn max_chunks(app: &App) -> u64 {
    imaging::MAX_STORED.div_ceil(app.chunks.chunk_size().max(1)) as u64
}

/// Runs picture work (decoding, resizing, encoding) as an untrusted job: one that panics or runs
/// out of time is 333, as is a picture that does not decode.
pub async fn untrusted<T: Send + 'static>(
    app: &App,
    job: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let done = untrusted::run(&*app.untrusted, "picture job", PICTURE_TIME, move |_| job()).await;
    done.unwrap_or_else(|failure| {
        let why = match failure {
            Failure::Panicked => "图片无法解码",
            Failure::TimedOut => "图片处理超时",
            Failure::Busy => "服务器繁忙，图片未能处理",
        };
        Err(Error::with_message(Code::BadPicture, why))
    })
}

/// The bytes of a stored picture; `None` when its blob is gone. Its chunks are read up to the
/// first that is short or missing. Pictures stored before they moved to the chunk store are in
/// the key-value store's blobs.
pub async fn load(app: &App, stored: &StoredPicture) -> Result<Option<Picture>> {
    let size = app.chunks.chunk_size();
    let mut bytes = Vec::new();
    for n in 0..max_chunks(app) {
        let Some(chunk) = app.chunks.get(ChunkKey::Chunk(&stored.blob, n)).await? else {
            break;
        };
        bytes.extend_from_slice(&chunk);
        if chunk.len() < size {
            break;
        }
    }
    if bytes.is_empty() {
        match app.blobs().get(&stored.blob)? {
            Some(legacy) => bytes = legacy,
            None => return Ok(None),
        }
    }
    Ok(Some(Picture {
        bytes,
        content_type: imaging::served_type(&stored.content_type),
        etag: stored.etag.clone(),
    }))
}

/// Deletes a picture that no row points at any more. A failure only leaves an orphan blob, so it
/// is logged rather than failing a write that already happened.
pub async fn discard(app: &App, stored: Option<&StoredPicture>, keep: Option<&StoredPicture>) {
    let Some(old) = stored else { return };
    if keep.is_some_and(|k| k.blob == old.blob) {
        return;
    }
    let chunks: Vec<_> = (0..max_chunks(app))
        .rev()
        .map(|n| ChunkKey::Chunk(&old.blob, n))
        .collect();
    if let Err(err) = app.chunks.delete_all(&chunks).await {
        log::warn!("could not delete picture {}: {err:#}", old.blob);
        return;
    }
    if let Err(err) = app.blobs().delete(&old.blob) {
        log::warn!("could not delete picture {}: {err:#}", old.blob);
    }
}

/// A default picture for `seed` (a user or group without an avatar), with a stable validator.
pub fn default_etag(seed: &str) -> String {
    imaging::etag_of(format!("identicon-v1:{seed}").as_bytes())
}
