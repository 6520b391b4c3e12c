//! Pictures kept in the blob store: user and group avatars, intro and announcement pictures.
//! Uploads are verified and re-encoded by [`imaging::normalize`] before they are stored.

use crate::app::App;
use crate::db::StoredPicture;
use crate::error::Result;
use crate::imaging::{self, Picture};

/// Verifies and re-encodes an upload, and stores it under `<prefix>/<etag>`.
pub fn store(app: &App, prefix: &str, upload: &[u8]) -> Result<StoredPicture> {
    let picture = imaging::normalize(upload, imaging::MAX_SIDE)?;
    let stored = StoredPicture {
        blob: format!("{prefix}/{}", picture.etag.trim_matches('"')),
        content_type: picture.content_type.to_owned(),
        etag: picture.etag,
    };
    app.blobs().put(&stored.blob, &picture.bytes)?;
    Ok(stored)
}

/// The bytes of a stored picture; `None` when its blob is gone.
pub fn load(app: &App, stored: &StoredPicture) -> Result<Option<Picture>> {
    Ok(app.blobs().get(&stored.blob)?.map(|bytes| Picture {
        bytes,
        content_type: imaging::served_type(&stored.content_type),
        etag: stored.etag.clone(),
    }))
}

/// Deletes a picture that no row points at any more. A failure only leaves an orphan blob, so it
/// is logged rather than failing a write that already happened.
pub fn discard(app: &App, stored: Option<&StoredPicture>, keep: Option<&StoredPicture>) {
    let Some(old) = stored else { return };
    if keep.is_some_and(|k| k.blob == old.blob) {
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
