//! The resumable and direct uploads' endpoints, the same for a group's space
//! (`/group/internal/files/upload/*`) and a chat room's temporary files (`/chat/files/upload/*`):
//! each area names its destination type and how its `begin` reads one.

use serde_json::{json, Map, Value};

use super::{ok, success, Call};
use crate::app::App;
use crate::body::Response;
use crate::db::file_uploads::Upload;
use crate::error::{Error, Result};
use crate::files::resumable::{self, Via};
use crate::files::upload::Destination;
use crate::params::Params;

/// `begin` (`via` parts) or `direct` (straight to object storage): the upload's state, with
/// the form to post the file with when direct.
pub async fn begin<D: Destination>(
    app: &App,
    me: String,
    call: Call,
    destination: fn(&Params) -> Result<D>,
    via: Via,
) -> Result<Response> {
    let p = call.params;
    let to = destination(&p)?;
    let size = p.id("size")?;
    let size = u64::try_from(size).map_err(|_| Error::param_why("size", "不能为负"))?;
    let up = resumable::begin(app, &me, &to, size, via).await?;
    Ok(ok(state(app, &up, &[])))
}

/// A part's bytes, as the body of a PUT (or POST) with `upload_id` and `part` in the query.
pub async fn part<D: Destination>(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (id, part) = (p.id("upload_id")?, p.id("part")?);
    resumable::put_part::<D>(app, &me, id, part, call.req.into_body()).await?;
    Ok(success())
}

pub async fn status<D: Destination>(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (up, _, parts) = resumable::get::<D>(app, &me, p.id("upload_id")?)?;
    Ok(ok(state(app, &up, &parts)))
}

pub async fn complete<D: Destination>(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let id = resumable::complete::<D>(app, &me, p.id("upload_id")?).await?;
    Ok(ok(json!({ "file_id": id })))
}

pub async fn abort<D: Destination>(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    resumable::abort::<D>(app, &me, p.id("upload_id")?).await?;
    Ok(success())
}

/// An upload as `begin`, `direct` and `status` describe it. A direct upload comes with a fresh
/// form (`url` and `fields`: `wx.uploadFile`'s `url` and `formData`, the file as `file`) good
/// until `form_expires`.
fn state(app: &App, up: &Upload, parts: &[i64]) -> Value {
    let mut state = json!({
        "upload_id": up.id,
        "size": up.size,
        "part_size": up.part_size,
        "part_count": resumable::part_count(up),
        "received": parts,
        "expires": app.format_time(up.expires_at),
    });
    if let Some((form, expires)) = resumable::form(app, up) {
        let fields: Map<String, Value> = form
            .fields
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        state["url"] = json!(form.url);
        state["fields"] = Value::Object(fields);
        state["form_expires"] = json!(app.format_time(expires));
    }
    state
}
