//! `/chat` over HTTP: the list of private conversations, the rooms' temporary files, and the
//! relay's calls. The WebSocket rooms (`/chat/group`, `/chat/private`) are held by the host: the
//! native server's hub, or the relay before Spin.

use serde_json::json;

use super::table::{user, Call, Handler, Methods};
use super::{ok, uploads, Route};
use crate::app::App;
use crate::body::Response;
use crate::chat;
use crate::chat::files::ChatUpload;
use crate::chat::relay::{self, OpenRoom, ReadAfter, ReadHistory, RelayCall, StoreFrame};
use crate::error::Result;
use crate::files::resumable::Via;
use crate::files::upload::Destination;
use crate::limits::Action;
use crate::params::Params;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/chat/getChat", user!(get_chat)),
    Route::post("/chat/files/upload", user!(upload)).raw_body().limited(Action::Upload),
    Route::get("/chat/files/download", user!(download)),

    // Resumable uploads (parts through the API) and direct ones (a form posted to object storage).
    Route::post("/chat/files/upload/begin", user!(begin)).limited(Action::Upload),
    Route::post("/chat/files/upload/direct", user!(direct)).limited(Action::Upload),
    Route::post("/chat/files/upload/part", user!(uploads::part::<ChatUpload>))
        .methods(Methods::PutOrPost)
        .raw_body(),
    Route::post("/chat/files/upload/status", user!(uploads::status::<ChatUpload>)),
    Route::post("/chat/files/upload/complete", user!(uploads::complete::<ChatUpload>)),
    Route::post("/chat/files/upload/abort", user!(uploads::abort::<ChatUpload>)),

    // The relay's calls: rooms, history and messages, stored for the sockets it holds.
    Route::post(OpenRoom::PATH, Handler::Relay(relay::serve::<OpenRoom>)),
    Route::post(ReadHistory::PATH, Handler::Relay(relay::serve::<ReadHistory>)),
    Route::post(StoreFrame::PATH, Handler::Relay(relay::serve::<StoreFrame>)),
    Route::post(ReadAfter::PATH, Handler::Relay(relay::serve::<ReadAfter>)),
];

async fn get_chat(app: &App, me: String, _call: Call) -> Result<Response> {
    Ok(ok(json!({ "private": chat::partners(app, &me)? })))
}

async fn upload(app: &App, me: String, call: Call) -> Result<Response> {
    let id = chat::files::receive(app, &me, call.req).await?;
    Ok(ok(json!({ "file_id": id })))
}

async fn begin(app: &App, me: String, call: Call) -> Result<Response> {
    begin_upload(app, me, call, Via::Parts).await
}

async fn direct(app: &App, me: String, call: Call) -> Result<Response> {
    begin_upload(app, me, call, Via::Direct).await
}

/// `begin` or `direct`: like every new chat file, sweeps a few expired ones first.
async fn begin_upload(app: &App, me: String, call: Call, via: Via) -> Result<Response> {
    chat::files::sweep(app).await?;
    uploads::begin(app, me, call, room_file, via).await
}

/// Where a resumable or direct upload goes: `type`, `room_id`, `name`.
fn room_file(p: &Params) -> Result<ChatUpload> {
    ChatUpload::from_fields(p, Some(p.str("name")?))
}

async fn download(app: &App, me: String, call: Call) -> Result<Response> {
    chat::files::download(app, &me, &call.params, call.req.headers()).await
}
