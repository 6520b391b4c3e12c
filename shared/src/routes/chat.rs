//! `/chat` over HTTP: the list of private conversations, the rooms' temporary files, and the
//! relay's calls. The WebSocket rooms (`/chat/group`, `/chat/private`) are held by the host: the
//! native server's hub, or the relay before Spin.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::json;

use super::doc::{Doc, Gives, Socket, Tag};
use super::fields::Id;
use super::table::{user, Call, Handler, Methods};
use super::{ok, uploads, Route};
use crate::app::App;
use crate::body::Response;
use crate::chat;
use crate::chat::files::ChatUpload;
use crate::chat::relay::{self, OpenRoom, ReadAfter, ReadHistory, RelayCall, StoreFrame};
use crate::error::Code::*;
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

/// Where clients open their chat sockets: a group's room, and a private conversation. The
/// relay holds them (natively, and in front of Spin, where every other path reaches the
/// components).
pub const SOCKETS: [Socket; 2] = [
    Socket {
        path: "/chat/group",
        doc: &GROUP_SOCKET,
    },
    Socket {
        path: "/chat/private",
        doc: &PRIVATE_SOCKET,
    },
];

/// The description of a socket, with what refuses one.
macro_rules! socket_about {
    ($refusals:literal) => {
        concat!(
            "A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`), held by the native server or by `zudui-relay` in front of Spin. The token (header or query), the room and membership are checked before the upgrade; a refusal is the JSON error with its status (",
            $refusals,
            "); a plain GET without an upgrade is 101. On connect the server sends the newest 20 messages (`history: true`), then every new one (`history: false`); clients send `ChatClientMessage` frames and get `ChatServerMessage` frames or `{code, errorMsg}` error frames (405, 406, 409, 411, 404, 403, and 105 with `retry_after` when sending too fast). Pings every 5 s; a connection silent for 15 s is closed. Not an HTTP operation for fuzzers: excluded from `tests/fuzz_api.sh`.",
        )
    };
}

/// `/chat/group`'s query.
#[derive(Deserialize, JsonSchema)]
pub struct GroupRoom {
    pub group_id: Id,
}

const GROUP_SOCKET: Doc = Doc::new(
    "chatGroupSocket",
    Tag::Chat,
    "1. 群组聊天 Group room (WebSocket)",
)
.about(socket_about!("402 unknown group, 403 not a member"))
.takes::<GroupRoom>()
.answers(Gives::Socket)
.codes(&[BadParam, ChatGroupNotFound, NotInGroup]);

/// `/chat/private`'s query.
#[derive(Deserialize, JsonSchema)]
pub struct PrivateRoom {
    /// the other user
    pub user_id: String,
}

const PRIVATE_SOCKET: Doc = Doc::new(
    "chatPrivateSocket",
    Tag::Chat,
    "2. 私密聊天 Private room (WebSocket)",
)
.about(socket_about!("401 unknown user or oneself"))
.takes::<PrivateRoom>()
.answers(Gives::Socket)
.codes(&[BadParam, ChatUserNotFound]);

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
