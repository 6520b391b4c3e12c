//! Resumable uploads, for files larger than a platform's request-body limit and for clients on
//! flaky networks: `begin` reserves a name and the declared size, parts of [`PART_SIZE`] bytes
//! are put in any order and may be put again (idempotent), `status` lists what arrived, and
//! `complete` makes the file. Unfinished uploads expire after [`LIFETIME`] seconds.

use futures_util::StreamExt;

use crate::app::App;
use crate::body::Body;
use crate::db::blob_pending;
use crate::db::file_uploads::{self, Upload};
use crate::error::{Code, Error, Result};
use crate::time;

use super::content::{self, Sample, Written, SAMPLE};
use super::upload::{self, Target};

/// Bytes per part (the last may be shorter): a multiple of every chunk store's chunk size.
pub const PART_SIZE: u64 = 8_000_000;
/// How long an upload may stay unfinished.
pub const LIFETIME: i64 = 24 * 3600;

/// Starts an upload of `size` bytes to `target`; checks everything `upload` would (the quota
/// against the declared size). Returns the upload.
pub async fn begin(app: &App, me: &str, target: &Target, size: u64) -> Result<Upload> {
    // Stateless hosts have no timer: each new upload collects a few leftovers.
    expire(app)?;
    content::sweep(app, LIFETIME, 20).await?;
    let blob = content::new_blob_id()?;
    app.db.tx(|c| {
        let left = upload::check(c, app, me, target)?;
        if size > left {
            return Err(Error::new(Code::SpaceFull));
        }
        let now = time::now();
        let mut up = Upload {
            id: 0,
            group_id: target.group_id,
            parent_id: target.parent,
            name: target.name.clone(),
            size: size as i64,
            part_size: PART_SIZE as i64,
            uploader_id: me.to_owned(),
            blob: blob.clone(),
            expires_at: now + LIFETIME,
        };
        // Parts arrive in any order: the sweep must not stop at the first missing chunk.
        let chunks = size.div_ceil(app.chunks.chunk_size() as u64) as i64;
        blob_pending::add_sized(c, &blob, now, chunks)?;
        up.id = file_uploads::insert(c, &up, now)?;
        Ok(up)
    })
}

/// The caller's upload `id`; 341 when it does not exist, expired, or is someone else's.
pub fn get(app: &App, me: &str, id: i64) -> Result<(Upload, Vec<i64>)> {
    app.db.run(|c| {
        let up = file_uploads::get(c, id)?
            .filter(|u| u.uploader_id == me && u.expires_at >= time::now())
            .ok_or_else(|| Error::with_message(Code::FileNotFound, "上传不存在或已过期"))?;
        let parts = file_uploads::parts(c, id)?;
        Ok((up, parts))
    })
}

/// How many parts an upload has.
pub fn part_count(up: &Upload) -> i64 {
    (up.size.max(1) + up.part_size - 1) / up.part_size
}

/// Writes part `part` from `body`, which must hold exactly that part's bytes (101 otherwise).
pub async fn put_part(app: &App, me: &str, id: i64, part: i64, body: Body) -> Result<()> {
    let (up, _) = get(app, me, id)?;
    if part < 0 || part >= part_count(&up) {
        return Err(Error::param_why("part", "分片序号超出范围"));
    }
    let start = part * up.part_size;
    let expected = (up.size - start).min(up.part_size) as u64;
    let chunk_size = app.chunks.chunk_size() as u64;
    if !(up.part_size as u64).is_multiple_of(chunk_size) {
        // Begun before the chunk store's size changed (an upgrade): it cannot go on.
        return Err(Error::new(Code::FileNotFound));
    }
    let first_chunk = start as u64 / chunk_size;
    let mut writer =
        content::Writer::for_blob(app.chunks.clone(), up.blob.clone(), first_chunk, expected);
    let mut stream = body.into_stream();
    while let Some(bytes) = stream.next().await {
        let bytes = bytes.map_err(crate::body::read_error)?;
        writer.write(&bytes).await.map_err(|err| match err.code() {
            Code::SpaceFull => Error::param_why("part", "分片大小不符"),
            _ => err,
        })?;
    }
    // A short part leaves chunks that a later put of the same part overwrites.
    if writer.size() != expected {
        return Err(Error::param_why("part", "分片大小不符"));
    }
    writer.finish().await?;
    app.db
        .run(|c| Ok(file_uploads::put_part(c, id, part, expected as i64)?))
}

/// Makes the file once every part is there; returns its id.
pub async fn complete(app: &App, me: &str, id: i64) -> Result<i64> {
    let (up, parts) = get(app, me, id)?;
    let missing = part_count(&up) - parts.len() as i64;
    if missing > 0 {
        return Err(Error::param_why(
            "upload_id",
            &format!("还有 {missing} 个分片未上传"),
        ));
    }
    let written = assembled(app, &up).await?;
    let target = Target {
        group_id: up.group_id,
        parent: up.parent_id,
        name: up.name.clone(),
    };
    // The upload closes in the transaction that makes the file: a crash cannot leave both, for
    // a retried `complete` or `abort` to discard the new file's chunks.
    let result = upload::commit(app, me, &target, written, None, Some(id)).await;
    if result.is_err() {
        // The upload is over all the same: the failed commit discarded the blob.
        app.db.run(|c| Ok(file_uploads::delete(c, id)?))?;
    }
    result
}

/// Gives up an upload and frees its parts.
pub async fn abort(app: &App, me: &str, id: i64) -> Result<()> {
    let (up, _) = get(app, me, id)?;
    app.db.run(|c| Ok(file_uploads::delete(c, id)?))?;
    let chunks = (up.size as u64).div_ceil(app.chunks.chunk_size() as u64);
    content::discard(app, &up.blob, Some(chunks)).await;
    Ok(())
}

/// The assembled blob, described by its first and last [`SAMPLE`] bytes (read back, so only
/// those: the rest was counted when each part was put).
async fn assembled(app: &App, up: &Upload) -> Result<Written> {
    let size = up.size as u64;
    let chunk_size = app.chunks.chunk_size() as u64;
    let sample = SAMPLE as u64;
    let head = read_range(app, up, chunk_size, 0..size.min(sample)).await?;
    let tail = read_range(app, up, chunk_size, size.saturating_sub(sample)..size).await?;
    Ok(Written {
        blob: up.blob.clone(),
        chunk_size: chunk_size as usize,
        chunks: size.div_ceil(chunk_size),
        size,
        etag: content::etag_of(&up.blob),
        sample: Sample {
            head,
            tail,
            len: size,
        },
    })
}

async fn read_range(
    app: &App,
    up: &Upload,
    chunk_size: u64,
    range: std::ops::Range<u64>,
) -> Result<bytes::Bytes> {
    let mut out = bytes::BytesMut::new();
    let mut stream = Box::pin(content::read(
        app.chunks.clone(),
        up.blob.clone(),
        chunk_size,
        range,
    ));
    while let Some(piece) = stream.next().await {
        out.extend_from_slice(&piece.map_err(anyhow::Error::from)?);
    }
    Ok(out.freeze())
}

/// Ends uploads past their lifetime; their parts are collected by the sweep.
pub fn expire(app: &App) -> Result<()> {
    app.db
        .run(|c| Ok(file_uploads::delete_expired(c, time::now())?))
}
