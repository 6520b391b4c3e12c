//! `/chat` over HTTP: the list of private conversations and the rooms' temporary files. The WebSocket rooms (`/chat/group`,
//! `/chat/private`) are held by the host: the native server's hub, or the relay before Spin.

use serde_json::{json, Value};

use http::Method;

use super::{allow, get, json_params, ok, post, signed_in_limited, uploads};
use crate::app::App;
use crate::body::{Request, Response};
use crate::chat::files::ChatUpload;
use crate::chat::{self, relay};
use crate::error::{Code, Error, Result};
use crate::files::resumable::Via;
use crate::files::upload::Destination;
use crate::limits::Action;
use crate::params::Params;

pub async fn route(app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/chat/getChat" => get_chat(app, req).await,
        "/chat/files/upload" => upload(app, req).await,
        "/chat/files/download" => download(app, req).await,
        "/chat/files/upload/begin" => begin_upload(app, req, Via::Parts).await,
        "/chat/files/upload/direct" => begin_upload(app, req, Via::Direct).await,
        "/chat/files/upload/part" => uploads::part::<ChatUpload>(app, req).await,
        "/chat/files/upload/status" => uploads::status::<ChatUpload>(app, req).await,
        "/chat/files/upload/complete" => uploads::complete::<ChatUpload>(app, req).await,
        "/chat/files/upload/abort" => uploads::abort::<ChatUpload>(app, req).await,
        "/chat/internal/open" => internal(app, req, relay::open_room).await,
        "/chat/internal/history" => internal(app, req, relay::read_history).await,
        "/chat/internal/post" => internal(app, req, relay::store_frame).await,
        "/chat/internal/after" => internal(app, req, relay::read_after).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

async fn get_chat(app: &App, req: Request) -> Result<Response> {
    let (me, _) = post(app, req).await?;
    Ok(ok(json!({ "private": chat::partners(app, &me)? })))
}

async fn upload(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    let me = signed_in_limited(app, &req, Action::Upload)?;
    let id = chat::files::receive(app, &me, req).await?;
    Ok(ok(json!({ "file_id": id })))
}

/// `begin` or `direct`: like every new chat file, sweeps a few expired ones first.
async fn begin_upload(app: &App, req: Request, via: Via) -> Result<Response> {
    chat::files::sweep(app).await?;
    uploads::begin(app, req, room_file, via).await
}

/// Where a resumable or direct upload goes: `type`, `room_id`, `name`.
fn room_file(p: &Params) -> Result<ChatUpload> {
    ChatUpload::from_fields(p, Some(p.str("name")?))
}

async fn download(app: &App, req: Request) -> Result<Response> {
    let (me, p) = get(app, &req)?;
    chat::files::download(app, &me, &p, req.headers()).await
}

/// A relay call: refused as unknown (102) without the relay's secret, so that the routes cannot
/// be found from outside.
async fn internal(
    app: &App,
    req: Request,
    call: fn(&App, &Params) -> Result<Value>,
) -> Result<Response> {
    let secret = req
        .headers()
        .get(relay::SECRET_HEADER)
        .and_then(|v| v.to_str().ok());
    relay::check_secret(app, secret)?;
    allow(&req, Method::POST)?;
    let p = json_params(req).await?;
    Ok(ok(call(app, &p)?))
}
