//! The resumable and direct uploads' endpoints, the same for a group's space
//! (`/group/internal/files/upload/*`) and a chat room's temporary files (`/chat/files/upload/*`):
//! each area names its destination type and how its `begin` reads one.

use std::collections::BTreeMap;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use super::{ok, success, Call};
use crate::app::App;
use crate::body::Response;
use crate::db::file_uploads::Upload;
use crate::error::{Error, Result};
use crate::fields::{Id, Time};
use crate::files::resumable::{self, Via};
use crate::files::upload::Destination;
use crate::ids::{FileId, UploadId, UserId};

// The size `begin` and `direct` reserve, after the destination's fields.
#[derive(Deserialize, JsonSchema)]
pub struct UploadSize {
    #[schemars(schema_with = "size_schema")]
    pub size: Id,
}

fn size_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "anyOf": [
            { "type": "integer", "minimum": 0 },
            { "type": "string", "pattern": "^[0-9]{1,18}$" },
        ],
    })
}

// An upload of the caller's.
#[derive(Deserialize, JsonSchema)]
pub struct UploadRef {
    pub upload_id: UploadId,
}

// A part of an upload (in the query; its bytes are the body).
#[derive(Deserialize, JsonSchema)]
pub struct Part {
    pub upload_id: UploadId,
    /// from 0
    #[schemars(schema_with = "part_schema")]
    pub part: Id,
}

fn part_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer", "minimum": 0 })
}

// A new file's id.
#[derive(Serialize, JsonSchema)]
pub struct NewFile {
    pub file_id: FileId,
}

// An upload as `begin` and `status` describe it; a direct one's with a fresh form.
#[derive(Serialize, JsonSchema)]
pub struct UploadState {
    #[serde(flatten)]
    pub progress: Progress,
    #[serde(flatten)]
    pub form: Option<DirectForm>,
}

// A direct upload as `direct` answers it: with its form.
#[derive(Serialize, JsonSchema)]
pub struct DirectState {
    #[serde(flatten)]
    pub progress: Progress,
    #[serde(flatten)]
    pub form: DirectForm,
}

// What an upload is and how far it got.
#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct Progress {
    pub upload_id: UploadId,
    #[schemars(range(min = 0))]
    pub size: i64,
    /// every part's size but the last's; the file's size for a direct upload (one part)
    #[schemars(range(min = 1))]
    pub part_size: i64,
    #[schemars(range(min = 1))]
    pub part_count: i64,
    /// part numbers received
    pub received: Vec<i64>,
    pub expires: Time,
}

// The form that posts a direct upload's file straight to object storage.
#[derive(Serialize, JsonSchema)]
pub struct DirectForm {
    /// direct uploads: where to post the form (`wx.uploadFile`'s `url`)
    #[schemars(url)]
    pub url: String,
    /// direct uploads: the signed form's fields (`wx.uploadFile`'s `formData`; the file goes as `file`)
    pub fields: BTreeMap<String, String>,
    /// direct uploads: until when the form may start a post
    pub form_expires: Time,
}

/// `begin` (`via` parts) or `direct` (straight to object storage): the upload's state, with
/// the form to post the file with when direct. The destination's fields are read first, then
/// `size`.
pub async fn begin<D: Destination>(
    app: &App,
    me: UserId,
    call: Call,
    destination: fn(&Call) -> Result<D>,
    via: Via,
) -> Result<Response> {
    let to = destination(&call)?;
    let UploadSize { size } = call.fields()?;
    let size = u64::try_from(size.0).map_err(|_| Error::param_why("size", "不能为负"))?;
    let up = resumable::begin(app, &me, &to, size, via).await?;
    let state = state(app, &up, &[]);
    Ok(match (via, state.form) {
        (Via::Direct, Some(form)) => ok(DirectState {
            progress: state.progress,
            form,
        }),
        (_, form) => ok(UploadState { form, ..state }),
    })
}

/// A part's bytes, as the body of a PUT (or POST) with `upload_id` and `part` in the query.
pub async fn part<D: Destination>(app: &App, me: UserId, call: Call) -> Result<Response> {
    let Part { upload_id, part } = call.fields()?;
    resumable::put_part::<D>(app, &me, upload_id, part.0, call.req.into_body()).await?;
    Ok(success())
}

pub async fn status<D: Destination>(app: &App, me: UserId, call: Call) -> Result<Response> {
    let UploadRef { upload_id } = call.fields()?;
    let (up, _, parts) = resumable::get::<D>(app, &me, upload_id)?;
    Ok(ok(state(app, &up, &parts)))
}

pub async fn complete<D: Destination>(app: &App, me: UserId, call: Call) -> Result<Response> {
    let UploadRef { upload_id } = call.fields()?;
    let id = resumable::complete::<D>(app, &me, upload_id).await?;
    Ok(ok(NewFile { file_id: id }))
}

pub async fn abort<D: Destination>(app: &App, me: UserId, call: Call) -> Result<Response> {
    let UploadRef { upload_id } = call.fields()?;
    resumable::abort::<D>(app, &me, upload_id).await?;
    Ok(success())
}

/// An upload as `begin`, `direct` and `status` describe it. A direct upload comes with a fresh
/// form (`url` and `fields`: `wx.uploadFile`'s `url` and `formData`, the file as `file`) good
/// until `form_expires`.
fn state(app: &App, up: &Upload, parts: &[i64]) -> UploadState {
    UploadState {
        progress: Progress {
            upload_id: up.id,
            size: up.size,
            part_size: up.part_size,
            part_count: resumable::part_count(up),
            received: parts.to_vec(),
            expires: Time(app.format_time(up.expires_at)),
        },
        form: resumable::form(app, up).map(|(form, expires)| DirectForm {
            url: form.url,
            fields: form.fields.into_iter().collect(),
            form_expires: Time(app.format_time(expires)),
        }),
    }
}
