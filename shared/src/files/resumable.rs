//! Resumable uploads, for files larger than a platform's request-body limit and for clients on
//! flaky networks: `begin` reserves a name and the declared size, parts of [`PART_SIZE`] bytes
//! are put in any order and may be put again (idempotent), `status` lists what arrived, and
//! `complete` makes the file. Unfinished uploads expire after [`LIFETIME`] seconds.
//!
//! With object storage, an upload may instead be `direct`: the client posts the whole file
//! straight to the store with a signed form ([`form`]), and `complete` finds it there. Either
//! kind goes to a group's folder or a chat room (a [`Destination`]).

use futures_util::StreamExt;

use std::time::Duration;

use crate::app::App;
use crate::body::Body;
use crate::db::blob_pending;
use crate::db::file_uploads::{self, Upload};
use crate::error::{Code, Error, Result};
use crate::ids::{FileId, UploadId, UserId};
use crate::storage::{Adopted, ChunkKey, UploadForm};
use crate::time;

use super::content::{self, Sample, Written, SAMPLE};
use super::upload::{self, Completes, Destination};

/// Bytes per part (the last may be shorter): a multiple of every chunk store's chunk size.
pub const PART_SIZE: u64 = 8_000_000;
/// How long an upload may stay unfinished.
pub const LIFETIME: i64 = 24 * 3600;
/// How long a direct upload's form may be used to start sending (never past the upload's own
/// expiry); `status` hands out a new one.
pub const FORM_LIFETIME: i64 = 3600;
/// The largest direct upload: what S3 takes in one POST, and copies in one CopyObject.
pub const DIRECT_LIMIT: u64 = 5_000_000_000;

/// How an upload's bytes arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In parts, through the API.
    Parts,
    /// In one form post, straight to object storage.
    Direct,
}

/// Starts an upload of `size` bytes to `to`; checks everything a one-shot upload would (the
/// quota against the declared size). Returns the upload.
pub async fn begin<D: Destination>(
    app: &App,
    me: &UserId,
    to: &D,
    size: u64,
    via: Via,
) -> Result<Upload> {
    if via == Via::Direct {
        if app.chunks.direct().is_none() {
            return Err(Error::with_message(
                Code::NoEndpoint,
                "未配置对象存储, 请使用分片上传",
            ));
        }
        if size == 0 {
            // An object of no bytes is no chunk at all; the one-shot upload takes it.
            return Err(Error::param_why("size", "空文件请直接上传"));
        }
        if size > DIRECT_LIMIT {
            return Err(Error::with_message(
                Code::TooLarge,
                "直传不能超过 5GB, 请使用分片上传",
            ));
        }
    }
    // The name is judged once the upload may go there (rights, quota): refused at once, and the
    // completion asks again (a recent verdict is kept) and queues it.
    let left = app.db.run(|c| to.check(c, app, me))?;
    if size > left {
        return Err(to.too_large(left));
    }
    let _ = upload::check_name(app, me, to).await?;
    // Stateless hosts have no timer: each new upload collects a few leftovers.
    expire(app)?;
    content::sweep(app, LIFETIME, 20).await?;
    let blob = content::new_blob_id()?;
    app.db.tx(|c| {
        let left = to.check(c, app, me)?;
        if size > left {
            return Err(to.too_large(left));
        }
        let now = time::now();
        let direct = via == Via::Direct;
        let mut up = Upload {
            id: UploadId(0),
            to: to.upload_to(),
            name: to.name().to_string(),
            size: size as i64,
            part_size: match direct {
                true => size as i64,
                false => PART_SIZE as i64,
            },
            uploader_id: me.to_owned(),
            blob: blob.clone(),
            expires_at: now + LIFETIME,
            direct,
        };
        // Parts arrive in any order: the sweep must not stop at the first missing chunk.
        let chunks = up.content().chunks(app.chunks.chunk_size()) as i64;
        blob_pending::add_sized(c, &blob, now, chunks)?;
        up.id = file_uploads::insert(c, &up, now)?;
        Ok(up)
    })
}

/// The form that sends a direct upload's file to object storage, and when it expires; `None`
/// for other uploads.
pub fn form(app: &App, up: &Upload) -> Option<(UploadForm, i64)> {
    let direct = app.chunks.direct().filter(|_| up.direct)?;
    let now = time::now();
    // The upload's blob stays pending until its lifetime is over (see `drop_posted`): no form
    // may outlive it.
    let lifetime = FORM_LIFETIME.min(up.expires_at - now).max(1);
    let object = ChunkKey::Chunk(&up.blob, 0);
    let form = direct.upload_form(object, up.size as u64, Duration::from_secs(lifetime as u64));
    Some((form, now + lifetime))
}

/// The caller's upload `id` to a `D`; `D::not_found` when it does not exist, expired, goes
/// elsewhere or is someone else's.
pub fn get<D: Destination>(app: &App, me: &UserId, id: UploadId) -> Result<(Upload, D, Vec<i64>)> {
    app.db.run(|c| {
        let up = file_uploads::get(c, id)?
            .filter(|u| u.uploader_id == me && u.expires_at >= time::now());
        let Some((up, to)) = up.and_then(|up| D::of_upload(&up).map(|to| (up, to))) else {
            return Err(D::upload_gone());
        };
        let parts = file_uploads::parts(c, id)?;
        Ok((up, to, parts))
    })
}

/// How many parts an upload has.
pub fn part_count(up: &Upload) -> i64 {
    (up.size.max(1) + up.part_size - 1) / up.part_size
}

/// Writes part `part` from `body`, which must hold exactly that part's bytes (101 otherwise).
pub async fn put_part<D: Destination>(
    app: &App,
    me: &UserId,
    id: UploadId,
    part: i64,
    body: Body,
) -> Result<()> {
    let (up, _, _) = get::<D>(app, me, id)?;
    if up.direct {
        return Err(Error::param_why("upload_id", "直传的文件请发往对象存储"));
    }
    if part < 0 || part >= part_count(&up) {
        return Err(Error::param_why("part", "分片序号超出范围"));
    }
    let start = part * up.part_size;
    let expected = (up.size - start).min(up.part_size) as u64;
    let chunk_size = app.chunks.chunk_size() as u64;
    if !(up.part_size as u64).is_multiple_of(chunk_size) {
        // Begun before the chunk store's size changed (an upgrade): it cannot go on.
        return Err(D::not_found());
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

/// Makes the file once every part is there (or the direct upload's object); returns its id.
pub async fn complete<D: Destination>(app: &App, me: &UserId, id: UploadId) -> Result<FileId> {
    let (up, to, parts) = get::<D>(app, me, id)?;
    let written = match up.direct {
        true => adopted(app, &up).await?,
        false => {
            let missing = part_count(&up) - parts.len() as i64;
            if missing > 0 {
                // Or the parts went with the upload, ended meanwhile.
                let why = format!("还有 {missing} 个分片未上传");
                let missing = Error::param_why("upload_id", &why);
                return Err(gone::<D>(app, id)?.unwrap_or(missing));
            }
            let chunk_size = app.chunks.chunk_size() as u64;
            match written(app, &up.blob, up.size as u64, chunk_size).await {
                Ok(written) => written,
                // An `abort` meanwhile deletes the parts as they are read.
                Err(err) => return Err(gone::<D>(app, id)?.unwrap_or(err)),
            }
        }
    };
    // The upload closes in the transaction that makes the file: a crash cannot leave both, for
    // a retried `complete` or `abort` to discard the new file's chunks.
    let completes = Completes {
        upload: id,
        shares_blob: !up.direct,
    };
    let result = upload::commit(app, me, &to, written, None, Some(completes)).await;
    if up.direct {
        drop_posted(app, &up).await;
    }
    if result.is_err() {
        // The upload is over all the same: the failed commit discarded the blob.
        app.db.tx(|c| Ok(file_uploads::delete(c, id)?))?;
    }
    result
}

/// The error for an upload that another call ended, if it was: `None` while it is there.
fn gone<D: Destination>(app: &App, id: UploadId) -> Result<Option<Error>> {
    let there = app.db.run(|c| Ok(file_uploads::get(c, id)?.is_some()))?;
    Ok((!there).then(D::upload_gone))
}

/// Gives up an upload and frees its parts (or its posted object).
pub async fn abort<D: Destination>(app: &App, me: &UserId, id: UploadId) -> Result<()> {
    let (up, _, _) = get::<D>(app, me, id)?;
    if !app.db.tx(|c| Ok(file_uploads::delete(c, id)?))? {
        // Completed or aborted meanwhile: what it had is that call's.
        return Err(D::upload_gone());
    }
    match up.to_discard() {
        Some(parts) => {
            let (blob, chunks) = parts.to_discard(app.chunks.chunk_size());
            content::discard(app, &blob, chunks.map(|n| n as u64)).await;
        }
        None => drop_posted(app, &up).await,
    }
    Ok(())
}

/// A direct upload's object, copied where no form writes once the store has all of it; what
/// the server checks and serves is that copy. The policy it was posted with allowed no other
/// size, so a different one is a store's fault, refused all the same.
async fn adopted(app: &App, up: &Upload) -> Result<Written> {
    let direct = app
        .chunks
        .direct()
        .ok_or_else(|| Error::with_message(Code::NoEndpoint, "未配置对象存储直传"))?;
    let copy = content::new_blob_id()?;
    app.db
        .run(|c| Ok(blob_pending::add_sized(c, &copy, time::now(), 1)?))?;
    let size = up.size as u64;
    let posted = ChunkKey::Chunk(&up.blob, 0);
    let adopted = direct.adopt(posted, ChunkKey::Chunk(&copy, 0), size).await;
    let refused = match adopted {
        Ok(Adopted::Copied) => match written(app, &copy, size, size).await {
            Ok(written) => return Ok(written),
            Err(err) => err,
        },
        Ok(Adopted::Missing) => Error::param_why("upload_id", "文件尚未上传到对象存储"),
        Ok(Adopted::Size(_)) => Error::param_why("upload_id", "文件大小不符"),
        Ok(Adopted::Changed) => Error::param_why("upload_id", "文件确认时又被上传, 请重试"),
        Err(err) => err.into(),
    };
    content::discard(app, &copy, Some(1)).await;
    Err(refused)
}

/// Deletes what a direct upload's form posted, now that the upload is over. Its blob stays
/// pending all the same: a form may post it again until the upload's lifetime is over (forms
/// never outlive it), and the sweep takes it after that.
async fn drop_posted(app: &App, up: &Upload) {
    if let Err(err) = app.chunks.delete(ChunkKey::Chunk(&up.blob, 0)).await {
        log::warn!(
            "could not delete the posted object of upload {}: {err:#}",
            up.id
        );
    }
}

/// A blob of `size` bytes in chunks of `chunk_size`, described by its first and last
/// [`SAMPLE`] bytes (read back, so only those: the rest was counted as it arrived).
async fn written(app: &App, blob: &str, size: u64, chunk_size: u64) -> Result<Written> {
    let sample = SAMPLE as u64;
    let head = read_range(app, blob, chunk_size, 0..size.min(sample)).await?;
    let tail = read_range(app, blob, chunk_size, size.saturating_sub(sample)..size).await?;
    Ok(Written {
        blob: blob.to_owned(),
        chunk_size,
        chunks: size.div_ceil(chunk_size),
        size,
        etag: content::etag_of(blob),
        sample: Sample {
            head,
            tail,
            len: size,
        },
    })
}

async fn read_range(
    app: &App,
    blob: &str,
    chunk_size: u64,
    range: std::ops::Range<u64>,
) -> Result<bytes::Bytes> {
    let mut out = bytes::BytesMut::new();
    let mut stream = Box::pin(content::read(
        app.chunks.clone(),
        blob.to_owned(),
        chunk_size,
        range,
    ));
    while let Some(piece) = stream.next().await {
        out.extend_from_slice(&piece.map_err(anyhow::Error::from)?);
    }
    Ok(out.freeze())
}

/// Ends uploads past their lifetime (their parts are collected by the sweep); how many.
pub fn expire(app: &App) -> Result<u64> {
    app.db
        .run(|c| Ok(file_uploads::delete_expired(c, time::now())?))
}
