//! Uploads into a group's space. The multipart stream is written to the chunk store as it
//! arrives, so memory does not grow with the file; the quota is enforced while it streams; and a
//! file that fails at any point (cut off, over quota, a name taken meanwhile) leaves nothing.

use bytes::Bytes;
use http::header;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::app::App;
use crate::body::Request;
use crate::content::media::{self, Media};
use crate::content::{text, Checked};
use crate::db::file_uploads::{Upload, UploadTo};
use crate::db::group_files::{self, Content, Thumbnail};
use crate::db::{blob_pending, file_uploads};
use crate::error::{Code, Error, Result};
use crate::fields::{blank_is_none, Id};
use crate::groups::{Access, Role};
use crate::ids::{FileId, GroupId, UploadId, UserId};
use crate::moderation;
use crate::multipart::{self, form_error, TextFields, FORM_OVERHEAD};
use crate::params::Params;
use crate::storage::Sql;
use crate::time;
use crate::untrusted::{self, PROBE_TIME};
use crate::wechat::security::Scene;

use super::content::{self, Writer, Written};
use super::{folder, folder_param, name_free, probe, thumbnails, FileName};

/// Where a new file goes.
#[derive(Debug, Clone)]
pub struct Target {
    pub group_id: GroupId,
    pub parent: Option<FileId>,
    pub name: FileName,
}

/// The fields of an upload into a group's space: `group_id`, optional `parent_id`, and the
/// optional `file_name` (else the uploaded file's own name).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct TargetFields {
    pub group_id: GroupId,
    /// a folder; absent or 0 is the root
    #[serde(default, deserialize_with = "blank_is_none")]
    #[schemars(with = "Id")]
    pub parent_id: Option<FileId>,
    /// overrides the part's file name
    #[serde(default)]
    #[schemars(with = "String")]
    pub file_name: Option<String>,
}

/// Where an upload goes: a folder of a group's space ([`Target`]) or a chat room.
pub trait Destination: Sized {
    /// The form fields (or query parameters) before the file part that say where it goes.
    type Fields: DeserializeOwned;
    /// From the form fields before the file part, and the part's own file name.
    fn from_fields(fields: Self::Fields, file_name: Option<&str>) -> Result<Self>;
    fn name(&self) -> &FileName;
    /// Checks that `me` may store a file here now; returns how many bytes it may hold.
    fn check(&self, conn: &dyn Sql, app: &App, me: &UserId) -> Result<u64>;
    /// The error for a file over `left`, the size `check` allowed.
    fn too_large(&self, _left: u64) -> Error {
        Error::new(Code::SpaceFull)
    }
    /// Adds the row owning the stored file, in the transaction that ran `check`; its id.
    fn insert(&self, conn: &dyn Sql, app: &App, me: &UserId, file: &Content) -> Result<FileId>;

    /// What a name WeChat wants reviewed is queued as, once file `id` by `me` is stored here:
    /// the file (a group's file space).
    fn reviewed_as(&self, id: FileId, _me: &UserId) -> moderation::Target {
        moderation::Target::File(id)
    }

    /// What WeChat is asked about once file `id` is stored here, and its type; `None`: nothing
    /// (a group's file space).
    fn media(&self, _id: FileId, _file: &Content) -> Option<(Media, String)> {
        None
    }

    /// Where a resumable or direct upload to here is recorded to go.
    fn upload_to(&self) -> UploadTo;
    /// The destination of an upload in progress; `None` when it goes to another kind of place.
    fn of_upload(up: &Upload) -> Option<Self>;
    /// The error for an upload or file that is not there (or not the caller's).
    fn not_found() -> Error;

    /// The error for an upload that is not there: never begun, expired, ended, or someone else's.
    fn upload_gone() -> Error {
        Error::with_message(Self::not_found().code(), "上传不存在或已过期")
    }
}

impl Destination for Target {
    type Fields = TargetFields;

    fn from_fields(fields: TargetFields, from_part: Option<&str>) -> Result<Target> {
        Ok(Target {
            group_id: fields.group_id,
            parent: folder_param(fields.parent_id),
            name: file_name(fields.file_name.as_deref(), from_part)?,
        })
    }

    fn name(&self) -> &FileName {
        &self.name
    }

    fn check(&self, conn: &dyn Sql, app: &App, me: &UserId) -> Result<u64> {
        check(conn, app, me, self)
    }

    fn upload_to(&self) -> UploadTo {
        UploadTo::Folder {
            group_id: self.group_id,
            parent_id: self.parent,
        }
    }

    fn of_upload(up: &Upload) -> Option<Target> {
        match up.to {
            UploadTo::Folder {
                group_id,
                parent_id,
            } => Some(Target {
                group_id,
                parent: parent_id,
                name: FileName::stored(up.name.clone()),
            }),
            UploadTo::Room(_) => None,
        }
    }

    fn not_found() -> Error {
        Error::new(Code::FileNotFound)
    }

    fn insert(&self, conn: &dyn Sql, _app: &App, me: &UserId, file: &Content) -> Result<FileId> {
        let parent = self.parent;
        let now = time::now();
        Ok(group_files::insert_file(
            conn,
            self.group_id,
            parent,
            &self.name,
            me,
            now,
            file,
        )?)
    }
}

/// The name of a file for `to`, checked with WeChat once `me` may store it there (a refused
/// writer costs no check); the file's own write queues it when WeChat asks for a review.
pub async fn check_name<D: Destination>(app: &App, me: &UserId, to: &D) -> Result<Checked> {
    app.db.run(|c| to.check(c, app, me))?;
    text::check(app, me, Scene::Forum, &[to.name()]).await
}

/// The name of an uploaded file: the `file_name` field (`given`), else the last path component
/// of the part's file name, else `file`.
pub fn file_name(given: Option<&str>, from_part: Option<&str>) -> Result<FileName> {
    let from_part = from_part.map(|f| f.rsplit(['/', '\\']).next().unwrap_or(f));
    FileName::parse(given.or(from_part).unwrap_or("file"))
}

/// Checks that `me` may put a file at `target` now (303/304, 342, 343, 344), and returns the
/// bytes left in the group's quota: stored files and the declared sizes of uploads in progress
/// both count, so resumable uploads cannot together promise more than the quota holds.
pub fn check(conn: &dyn Sql, app: &App, me: &UserId, target: &Target) -> Result<u64> {
    Access::load(conn, target.group_id, me)?.write(Role::Member)?;
    let parent = folder(conn, target.group_id, target.parent)?;
    name_free(conn, target.group_id, parent, &target.name)?;
    let used = group_files::used_bytes(conn, target.group_id)?
        + file_uploads::reserved_bytes(conn, target.group_id, time::now())?;
    match app.settings.quotas()?.group_quota_bytes.checked_sub(used) {
        Some(left) if left > 0 => Ok(left),
        _ => Err(Error::new(Code::SpaceFull)),
    }
}

/// A `wx.uploadFile` upload: form fields (or query parameters) first, then the `file` part, and
/// for videos an optional `thumbnail` part before or after it. Returns the new file's id.
pub async fn receive<D: Destination>(app: &App, me: &UserId, req: Request) -> Result<FileId> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Query parameters come first; the request line's size already bounds them.
    let mut fields = TextFields::starting_with(
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
    );
    let quotas = app.settings.quotas()?;
    let mut max_body = quotas.group_quota_bytes + FORM_OVERHEAD;
    let platform = quotas.upload_body_limit_bytes;
    if platform > 0 {
        if declared.is_some_and(|d| d > platform) {
            return Err(over_platform_limit(platform));
        }
        max_body = max_body.min(platform);
    }
    let mut form = multipart::parser(req, max_body)?;
    let mut file = None;
    let received = read_form::<D>(app, me, &mut form, &mut fields, declared, &mut file).await;
    let Some((target, mut writer)) = file else {
        return Err(received
            .err()
            .unwrap_or_else(|| Error::param_why("file", "缺少文件")));
    };
    let written = match received {
        Ok(thumb) => writer.finish().await.map(|w| (w, thumb)),
        Err(err) => Err(err),
    };
    match written {
        Ok((written, thumb)) => commit(app, me, &target, written, thumb, None).await,
        Err(err) => {
            writer.abort(app).await;
            Err(err)
        }
    }
}

/// 104 for a one-shot upload over `upload_body_limit_bytes`, naming the ways that take it.
fn over_platform_limit(limit: u64) -> Error {
    Error::with_message(
        Code::TooLarge,
        format!("单次上传不能超过 {limit} 字节, 请用分片上传或直传"),
    )
}

/// Reads the form. The file part's target is checked when it starts, and its bytes go through a
/// writer left in `file`, so that the caller can abort it whatever happens next. Fields after
/// the file cannot change where it goes. Returns the thumbnail part, if any.
async fn read_form<D: Destination>(
    app: &App,
    me: &UserId,
    form: &mut multipart::Form,
    fields: &mut TextFields,
    declared: Option<u64>,
    file: &mut Option<(D, Writer)>,
) -> Result<Option<Bytes>> {
    let mut thumb = None;
    while let Some(mut field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" && file.is_none() {
            let given = Params::from_pairs(fields.pairs.clone()).into_typed()?;
            let target = D::from_fields(given, field.file_name())?;
            let left = app.db.run(|c| target.check(c, app, me))?;
            if declared.is_some_and(|d| d > left + FORM_OVERHEAD) {
                return Err(target.too_large(left));
            }
            // Refused before its bytes are read; `store` asks again (a recent verdict is kept).
            let _ = check_name(app, me, &target).await?;
            let (target, writer) = file.insert((target, Writer::begin(app, left)?));
            while let Some(chunk) = field.chunk().await.map_err(form_error)? {
                writer.write(&chunk).await.map_err(|err| match err.code() {
                    Code::SpaceFull => target.too_large(left),
                    _ => err,
                })?;
            }
        } else if name == "thumbnail" {
            let picture =
                multipart::read_field(&mut field, thumbnails::UPLOAD_LIMIT, Code::BadPicture)
                    .await?;
            thumb = Some(thumbnails::from_upload(app, picture).await?);
        } else if field.file_name().is_some() {
            while field.chunk().await.map_err(form_error)?.is_some() {}
        } else if file.is_none() {
            fields.read(&mut field).await?;
        } else {
            // Fields after the file cannot change where it went; they still count.
            fields.read_only(&mut field).await?;
        }
    }
    Ok(thumb)
}

/// The upload a commit closes, and whether the blob committed is the upload's own (its parts,
/// which a concurrent `complete` may be committing too) or a copy made for this commit.
#[derive(Debug, Clone, Copy)]
pub struct Completes {
    pub upload: UploadId,
    pub shares_blob: bool,
}

/// Makes a written blob a file at `target`, checking everything again inside the transaction
/// (the quota with the real size), and closes the resumable upload it completes, if any. On
/// failure the blob is discarded, unless it is an upload's that another call ended first.
pub async fn commit<D: Destination>(
    app: &App,
    me: &UserId,
    target: &D,
    written: Written,
    thumb: Option<Bytes>,
    completes: Option<Completes>,
) -> Result<FileId> {
    let result = store(
        app,
        me,
        target,
        &written,
        thumb,
        completes.map(|c| c.upload),
    )
    .await;
    let keep = completes.is_some_and(|c| c.shares_blob);
    match result {
        Ok(Stored::File(id)) => Ok(id),
        Ok(Stored::UploadGone) => {
            // Completed or aborted meanwhile: the blob is that call's to keep or discard.
            if !keep {
                content::discard(app, &written.blob, Some(written.chunks)).await;
            }
            Err(Error::with_message(
                D::not_found().code(),
                "上传不存在或已过期",
            ))
        }
        Err(err) => {
            content::discard(app, &written.blob, Some(written.chunks)).await;
            Err(err)
        }
    }
}

/// What [`store`] did.
enum Stored {
    File(FileId),
    /// The upload it was to complete was gone: nothing stored.
    UploadGone,
}

async fn store<D: Destination>(
    app: &App,
    me: &UserId,
    target: &D,
    written: &Written,
    thumb: Option<Bytes>,
    completes: Option<UploadId>,
) -> Result<Stored> {
    let kind = probe::classify(&written.sample.head, target.name());
    let duration = match kind.file_type {
        "voice" | "video" => {
            let (sample, name, probed) = (
                written.sample.clone(),
                target.name().to_owned(),
                kind.clone(),
            );
            untrusted::run(
                &*app.untrusted,
                "probing a voice or video file",
                PROBE_TIME,
                move |budget| probe::duration(&probed, &sample, &name, budget),
            )
            .await
            .unwrap_or(0.0)
        }
        _ => 0.0,
    };
    let thumbnail = match (kind.file_type, thumb) {
        ("image", _) => Thumbnail::NotMade,
        ("video", Some(jpeg)) => {
            thumbnails::store(app, &written.blob, jpeg).await?;
            Thumbnail::Stored
        }
        _ => Thumbnail::None,
    };
    // Rights and room were checked when the upload began; they are checked again in the write.
    let name = text::check(app, me, Scene::Forum, &[target.name()]).await?;
    let file = Content {
        blob: written.blob.clone(),
        chunk_size: written.chunk_size as i64,
        size: written.size as i64,
        file_type: kind.file_type.to_owned(),
        content_type: kind.content_type,
        duration,
        etag: written.etag.clone(),
        thumbnail,
    };
    let stored = app.db.tx(|c| {
        // A completed upload's reservation becomes the file: it goes before the quota is checked
        // (and comes back if the check fails, with the rest of the transaction).
        if let Some(upload) = completes {
            if !file_uploads::delete(c, upload)? {
                return Ok(Stored::UploadGone);
            }
        }
        let left = target.check(c, app, me)?;
        if written.size > left {
            return Err(target.too_large(left));
        }
        let id = target.insert(c, app, me, &file)?;
        name.queue(c, target.reviewed_as(id, me), target.name())?;
        blob_pending::remove(c, &written.blob)?;
        Ok(Stored::File(id))
    })?;
    if let Stored::File(id) = stored {
        if let Some((media, content_type)) = target.media(id, &file) {
            media::submit(app, me, media, &content_type).await;
        }
    }
    Ok(stored)
}
