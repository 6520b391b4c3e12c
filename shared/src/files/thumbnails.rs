//! Thumbnails of files: a JPEG of at most 256 px kept beside the file's blob. An image's is made
//! on its first request and kept; a video's is the picture uploaded with it.

use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;

use crate::app::App;
use crate::db::group_files::{Content, Thumbnail};
use crate::error::{Code, Error, Result};
use crate::imaging;
use crate::storage::ChunkKey;
use crate::storage::Sql;
use crate::untrusted::{self, Failure, PICTURE_TIME};

use super::content::{self, THUMBNAIL};

/// Largest image a thumbnail is made of; bigger ones have none.
pub const SOURCE_LIMIT: i64 = 32 << 20;
/// Largest thumbnail picture accepted beside a video upload.
pub const UPLOAD_LIMIT: usize = 5 << 20;

/// The thumbnail of a file; `none` (the space's "not found") when there is none. A thumbnail
/// made now is recorded with `record`.
pub async fn get(
    app: &App,
    file: &Content,
    none: Code,
    record: impl FnOnce(&dyn Sql, Thumbnail) -> anyhow::Result<u64>,
) -> Result<Bytes> {
    let none = || Error::with_message(none, "该文件没有缩略图");
    match file.thumbnail {
        Thumbnail::None => Err(none()),
        Thumbnail::Stored => app
            .chunks
            .get(ChunkKey::Part(&file.blob, THUMBNAIL))
            .await?
            .ok_or_else(none),
        Thumbnail::NotMade if file.file_type != "image" || file.size > SOURCE_LIMIT => Err(none()),
        Thumbnail::NotMade => {
            // Busy: no thumbnail this time, and nothing recorded, so a later request makes it.
            let Some(_making) = Making::start() else {
                return Err(none());
            };
            let source = content::read_all(&*app.chunks, &file.blob, file.size as u64).await?;
            let made = untrusted::run(&*app.untrusted, "thumbnail", PICTURE_TIME, move |_| {
                imaging::thumbnail(&source)
            })
            .await;
            let (state, made) = match made {
                Ok(Ok(jpeg)) => {
                    let jpeg = Bytes::from(jpeg);
                    store(app, &file.blob, jpeg.clone()).await?;
                    (Thumbnail::Stored, Some(jpeg))
                }
                Ok(Err(_)) | Err(Failure::Panicked) => (Thumbnail::None, None),
                Err(Failure::Busy | Failure::TimedOut) => return Err(none()),
            };
            app.db.run(|c| Ok(record(c, state)?))?;
            made.ok_or_else(none)
        }
    }
}

/// Thumbnails being made on download at most at once: each reads its whole image (up to
/// [`SOURCE_LIMIT`]) into memory before its turn in the pool, so this bounds that memory however
/// many downloads ask at once.
const MAKING_MAX: usize = 2;
static MAKING: AtomicUsize = AtomicUsize::new(0);

/// A place among the [`MAKING_MAX`] thumbnails being made, given back when dropped.
struct Making;

impl Making {
    fn start() -> Option<Making> {
        MAKING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAKING_MAX).then_some(n + 1)
            })
            .ok()
            .map(|_| Making)
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        MAKING.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Keeps a thumbnail beside `blob`.
pub async fn store(app: &App, blob: &str, jpeg: Bytes) -> Result<()> {
    Ok(app
        .chunks
        .put(ChunkKey::Part(blob, THUMBNAIL), jpeg)
        .await?)
}

/// The thumbnail of an uploaded picture: 333 when it is not an image.
pub async fn from_upload(app: &App, picture: Bytes) -> Result<Bytes> {
    let jpeg = crate::pictures::untrusted(app, move || imaging::thumbnail(&picture)).await?;
    Ok(jpeg.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// At most MAKING_MAX thumbnails are made at once; a place comes back when its holder ends.
    #[test]
    fn thumbnails_made_at_once_are_bounded() {
        let held: Vec<Making> = (0..MAKING_MAX).map_while(|_| Making::start()).collect();
        assert_eq!(held.len(), MAKING_MAX);
        assert!(Making::start().is_none());
        drop(held);
        assert!(Making::start().is_some());
    }
}
