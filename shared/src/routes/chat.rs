//! `/chat` over HTTP: the list of private conversations, the rooms' temporary files, and the
//! relay's calls. The WebSocket rooms (`/chat/group`, `/chat/private`) are held by the host: the
//! native server's hub, or the relay before Spin.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::doc::{Doc, Gives, Socket, Tag};
use super::table::{user, Call, Handler, Methods};
use super::uploads::{self, NewFile, UploadSize};
use super::{ok, Route};
use crate::app::App;
use crate::body::Response;
use crate::chat;
use crate::chat::files::{ChatUpload, RoomFileFields};
use crate::chat::relay::{self, OpenRoom, ReadAfter, ReadHistory, RelayCall, StoreFrame};
use crate::db::chat_messages::Room;
use crate::error::Code::*;
use crate::error::{Code, Result};
use crate::fields::{Id, StarRating, Time, UserRef};
use crate::files::resumable::Via;
use crate::files::upload::Destination;
use crate::ids::{FileId, GroupId, MessageId, PrivateRoomId, UserId};
use crate::limits::Action;
use crate::moderation;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/chat/getChat", user!(get_chat)).doc(&GET_CHAT),
    Route::post("/chat/files/upload", user!(upload))
        .raw_body()
        .limited(Action::Upload)
        .doc(&UPLOAD),
    Route::get("/chat/files/download", user!(download)).doc(&DOWNLOAD),
    Route::post("/chat/report", user!(report)).limited(Action::Report).doc(&REPORT),

    // Resumable uploads (parts through the API) and direct ones (a form posted to object storage).
    Route::post("/chat/files/upload/begin", user!(begin)).limited(Action::Upload).doc(&BEGIN),
    Route::post("/chat/files/upload/direct", user!(direct)).limited(Action::Upload).doc(&DIRECT),
    Route::post("/chat/files/upload/part", user!(uploads::part::<ChatUpload>))
        .methods(Methods::PutOrPost)
        .raw_body()
        .doc(&PART),
    Route::post("/chat/files/upload/status", user!(uploads::status::<ChatUpload>))
        .doc(&STATUS),
    Route::post("/chat/files/upload/complete", user!(uploads::complete::<ChatUpload>))
        .doc(&COMPLETE),
    Route::post("/chat/files/upload/abort", user!(uploads::abort::<ChatUpload>))
        .doc(&ABORT),

    // The relay's calls: rooms, history and messages, stored for the sockets it holds.
    Route::post(OpenRoom::PATH, Handler::Relay(relay::serve::<OpenRoom>)).doc(&OPEN_ROOM),
    Route::post(ReadHistory::PATH, Handler::Relay(relay::serve::<ReadHistory>))
        .doc(&READ_HISTORY),
    Route::post(StoreFrame::PATH, Handler::Relay(relay::serve::<StoreFrame>))
        .doc(&STORE_FRAME),
    Route::post(ReadAfter::PATH, Handler::Relay(relay::serve::<ReadAfter>)).doc(&READ_AFTER),
];

/// Where clients open their chat sockets: a group's room, and a private conversation. The
/// relay holds them (natively, and in front of Spin, where every other path reaches the
/// components).
pub const SOCKETS: [Socket; 2] = [GROUP_SOCKET, PRIVATE_SOCKET];

/// A group's room (`group_id`).
pub const GROUP_SOCKET: Socket = Socket {
    path: "/chat/group",
    doc: &GROUP_SOCKET_DOC,
};

/// A private room with another user (`user_id`).
pub const PRIVATE_SOCKET: Socket = Socket {
    path: "/chat/private",
    doc: &PRIVATE_SOCKET_DOC,
};

/// The description of a socket, with what refuses one.
macro_rules! socket_about {
    ($refusals:literal) => {
        concat!(
            "A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`), held by the native server or by `zudui-relay` in front of Spin. The token (header or query), the room and membership are checked before the upgrade; a refusal is the JSON error with its status (",
            $refusals,
            "); a plain GET without an upgrade is 101. On connect the server sends the newest 20 messages (`history: true`), then every new one (`history: false`); clients send `ChatClientMessage` frames and get `ChatServerMessage` frames or `{code, errorMsg}` error frames (405, 406, 409, 411, 404, 403, 413 while muted in the group, saying when it ends, 112 once the user is banned, and 105 with `retry_after` when sending too fast). Pings every 5 s; a connection silent for 15 s is closed. Not an HTTP operation for fuzzers: excluded from `tests/fuzz_api.sh`.",
        )
    };
}

/// `/chat/group`'s query.
#[derive(Deserialize, JsonSchema)]
pub struct GroupRoom {
    pub group_id: GroupId,
}

const GROUP_SOCKET_DOC: Doc = Doc::new(
    "chatGroupSocket",
    Tag::Chat,
    "1. 群组聊天 Group room (WebSocket)",
)
.about(socket_about!("402 unknown group, 403 not a member"))
.takes::<GroupRoom>()
.answers(Gives::Socket)
.codes(&[ChatGroupNotFound, NotInGroup]);

/// `/chat/private`'s query.
#[derive(Deserialize, JsonSchema)]
pub struct PrivateRoom {
    /// the other user
    #[schemars(with = "String")]
    pub user_id: UserRef,
}

const PRIVATE_SOCKET_DOC: Doc = Doc::new(
    "chatPrivateSocket",
    Tag::Chat,
    "2. 私密聊天 Private room (WebSocket)",
)
.about(socket_about!("401 unknown user or oneself"))
.takes::<PrivateRoom>()
.answers(Gives::Socket)
.codes(&[ChatUserNotFound]);

const GET_CHAT: Doc = Doc::new(
    "chatGetChat",
    Tag::Chat,
    "获取所有私聊用户 Private conversations",
)
.about("Private partners with messages, newest conversation first. The body is ignored.")
.takes::<NoFields>()
.gives::<Conversations>();

// A body whose fields are all ignored.
#[derive(Deserialize, JsonSchema)]
pub struct NoFields {}

#[derive(Serialize, JsonSchema)]
pub struct Conversations {
    pub private: Vec<Conversation>,
}

// Someone the caller talks with privately.
#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct Conversation {
    pub id: UserId,
    pub nickname: String,
    pub info: String,
    pub star_rating: StarRating,
    // When the last message was sent.
    pub time: Time,
    pub room_id: PrivateRoomId,
}

async fn get_chat(app: &App, me: UserId, _call: Call) -> Result<Response> {
    let private = chat::partners(app, &me)?
        .into_iter()
        .map(|p| Conversation {
            star_rating: StarRating(p.user.star_rating()),
            id: p.user.id,
            nickname: p.user.nickname,
            info: p.user.info,
            time: Time(app.format_time(p.last)),
            room_id: p.room_id,
        })
        .collect();
    Ok(ok(Conversations { private }))
}

// A chat room as a request names it: `type` and `room_id`.
#[derive(Deserialize, JsonSchema)]
pub struct RoomFields {
    /// 410 otherwise
    #[serde(rename = "type")]
    #[schemars(schema_with = "chat::files::room_type")]
    pub kind: String,
    pub room_id: Id,
}

impl RoomFields {
    /// The room; 410 for an unknown `type`.
    fn room(&self) -> Result<Room> {
        chat::files::room(&self.kind, self.room_id.0)
    }
}

const REPORT: Doc = Doc::new("chatReport", Tag::Chat, "Report a message")
    .about("Our addition: someone in the room puts one of its messages in the review queue of the console, with `reason` (trimmed, 1 to 200 characters; 101). An unknown `type` is 410, an unknown room 408, checked before being in it (407); a message the room does not have is 414. A reporter counts once per open item: reporting again changes nothing. Limited (`report`, 105).")
    .takes::<ReportMessage>()
    .codes(&[NotInRoom, RoomNotFound, BadRoomType, MessageNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct ReportMessage {
    #[serde(flatten)]
    pub room: RoomFields,
    pub msg_id: MessageId,
    #[schemars(length(min = 1, max = moderation::reports::REASON_MAX))]
    pub reason: String,
}

async fn report(app: &App, me: UserId, call: Call) -> Result<Response> {
    // The room first: an unknown `type` is 410 before anything else is read.
    let room = call.fields::<RoomFields>()?.room()?;
    let ReportMessage { msg_id, reason, .. } = call.fields()?;
    let reason = moderation::reports::Reason::parse(&reason)?;
    moderation::reports::message(app, &me, room, msg_id, &reason)?;
    Ok(super::success())
}

const UPLOAD: Doc = Doc::new("chatFilesUpload", Tag::Chat, "上传临时语音/图片/视频/文件 Upload a temporary file")
    .about("Up to 100 MiB (104 beyond). An unknown room is 408, checked before membership (407); a dismissed group's room takes no new files (404). Kept `ZUDUI_CHAT_FILE_DAYS` days. The fields must come before the `file` part (as `wx.uploadFile` sends them) or be given in the query string. Streams into storage. The files of a room that have not expired hold at most `ZUDUI_CHAT_ROOM_QUOTA_BYTES` (2 GiB) in all, and a user's in every room at most `ZUDUI_CHAT_USER_QUOTA_BYTES` (1 GiB): a file that does not fit what is left of both is 412 (HTTP 413), refused before its body when `Content-Length` says so, else the moment it would pass, and checked again in the transaction that stores it. Answers the new `file_id`. Over `ZUDUI_UPLOAD_BODY_LIMIT_BYTES` (when set: a hosted platform's request limit) it is 104, declared or not: such a file goes in parts (`upload/begin`) or direct (`upload/direct`).")
    .form::<RoomFileFields>("file")
    .gives::<NewFile>()
    .codes(&[BadPicture, ChatGroupDismissed, NotInRoom, RoomNotFound, BadRoomType, ChatFilesFull])
    .judges_text();

async fn upload(app: &App, me: UserId, call: Call) -> Result<Response> {
    let id = chat::files::receive(app, &me, call.req).await?;
    Ok(ok(NewFile { file_id: id }))
}

const DOWNLOAD: Doc = Doc::new("chatFilesDownload", Tag::Chat, "下载临时语音/图片/视频/文件 Download a temporary file")
    .about("A temporary file of the room, or in a group room a group file (406 for anything else), with the download rules of group files.")
    .takes::<DownloadFile>()
    .answers(Gives::File)
    .codes(&[FolderDownload, TempFileNotFound, NotInRoom, RoomNotFound, BadRoomType]);

#[derive(Deserialize, JsonSchema)]
pub struct DownloadFile {
    #[serde(flatten)]
    pub room: RoomFields,
    pub file_id: FileId,
    /// any non-empty value asks for the thumbnail
    #[serde(default)]
    #[schemars(with = "String")]
    pub thumbnail: Option<String>,
}

async fn download(app: &App, me: UserId, call: Call) -> Result<Response> {
    // The room first: an unknown `type` is 410 before a missing `file_id` is 101.
    let room = call.fields::<RoomFields>()?.room()?;
    let DownloadFile {
        file_id, thumbnail, ..
    } = call.fields()?;
    let thumbnail = thumbnail.is_some_and(|t| !t.is_empty());
    chat::files::download(app, &me, room, file_id, thumbnail, call.req.headers()).await
}

const BEGIN: Doc = Doc::new("chatFilesUploadBegin", Tag::Chat, "Begin a resumable upload")
    .about("Our addition: a temporary file of the room sent in parts, for files over a platform's body limit (the `/chat/files/upload` rules: 100 MiB, the room's and the user's totals, which open uploads reserve; 412 when full). The parts, `status`, `complete` and `abort` work as for group files, with this area's paths; an upload not there (or a group file upload) is 406.")
    .takes::<BeginUpload>()
    .gives::<uploads::UploadState>()
    .codes(&[ChatGroupDismissed, NotInRoom, RoomNotFound, BadRoomType, ChatFilesFull])
    .judges_text();

const DIRECT: Doc = Doc::new("chatFilesUploadDirect", Tag::Chat, "Begin an upload straight to object storage")
    .about("Our addition: a temporary file of the room posted straight to object storage, as `/group/internal/files/upload/direct` does for group files (102 without object storage), with the rules of `/chat/files/upload/begin`.")
    .takes::<BeginUpload>()
    .gives::<uploads::DirectState>()
    .codes(&[NoEndpoint, ChatGroupDismissed, NotInRoom, RoomNotFound, BadRoomType, ChatFilesFull])
    .judges_text();

// Where a resumable or direct upload goes, and its size.
#[derive(JsonSchema)]
pub struct BeginUpload {
    #[serde(flatten)]
    pub room: RoomFields,
    /// the file's name (`file_name` too, which wins)
    pub name: String,
    #[serde(default)]
    #[schemars(with = "String")]
    pub file_name: Option<String>,
    #[serde(flatten)]
    pub size: UploadSize,
}

async fn begin(app: &App, me: UserId, call: Call) -> Result<Response> {
    begin_upload(app, me, call, Via::Parts).await
}

async fn direct(app: &App, me: UserId, call: Call) -> Result<Response> {
    begin_upload(app, me, call, Via::Direct).await
}

/// `begin` or `direct`: like every new chat file, sweeps a few expired ones first.
async fn begin_upload(app: &App, me: UserId, call: Call, via: Via) -> Result<Response> {
    chat::files::sweep(app).await?;
    uploads::begin(app, me, call, room_file, via).await
}

/// The file's name, read before its room.
#[derive(Deserialize)]
struct FileName {
    name: String,
}

/// Where a resumable or direct upload goes: `name`, then `room_id` and `type` (410 before
/// `file_name` is read), optional `file_name`.
fn room_file(call: &Call) -> Result<ChatUpload> {
    let FileName { name } = call.fields()?;
    call.fields::<RoomFields>()?.room()?;
    ChatUpload::from_fields(call.fields()?, Some(&name))
}

const PART: Doc = Doc::new("chatFilesUploadPart", Tag::Chat, "Send one part")
    .about("The raw body is exactly that part's bytes (each part is `part_size` but the last; a wrong size or index is 101). Parts may come in any order, again if needed. An upload of someone else, unknown or expired, is 406. PUT and POST are the same. A direct upload takes no parts (101).")
    .bytes::<uploads::Part>()
    .codes(&[TempFileNotFound]);

const STATUS: Doc = Doc::new("chatFilesUploadStatus", Tag::Chat, "Upload status")
    .about("The upload as `begin` describes it, with the parts received; a direct upload's with a fresh form.")
    .takes::<uploads::UploadRef>()
    .gives::<uploads::UploadState>()
    .codes(&[TempFileNotFound]);

const COMPLETE: Doc = Doc::new("chatFilesUploadComplete", Tag::Chat, "Complete an upload")
    .about("Makes the temporary file (101 while parts or the direct upload's object are missing, or it was posted again during the check; the room is checked again); answers its `file_id`.")
    .takes::<uploads::UploadRef>()
    .gives::<NewFile>()
    .codes(&[ChatGroupDismissed, TempFileNotFound, NotInRoom, RoomNotFound, BadRoomType, ChatFilesFull])
    .judges_text();

const ABORT: Doc = Doc::new("chatFilesUploadAbort", Tag::Chat, "Abort an upload")
    .about("Frees the parts.")
    .takes::<uploads::UploadRef>()
    .codes(&[TempFileNotFound]);

/// The description of a relay call.
macro_rules! relay_about {
    ($about:literal) => {
        concat!(
            "Relay API (our addition): called by `zudui-relay`, which holds the WebSockets in front of Spin. Needs `x-relay-secret` equal to `ZUDUI_RELAY_SECRET`; without it (or without that setting) the route answers 102, whatever the method. ",
            $about,
        )
    };
}

const OPEN_ROOM: Doc = Doc::new("chatInternalOpen", Tag::ChatRelay, "Open a room")
    .about(relay_about!(
        "`{user_id, group_id}` or `{user_id, peer_id}`; 112 when the user no longer exists."
    ))
    .takes::<OpenRoom>()
    .gives::<relay::Opened>()
    .codes(&[
        TokenInvalid,
        ChatUserNotFound,
        ChatGroupNotFound,
        NotInGroup,
    ]);

const READ_HISTORY: Doc = Doc::new("chatInternalHistory", Tag::ChatRelay, "A history page")
    .about(relay_about!(
        "The 20 messages before `before` (the newest without it), oldest first, `history: true`."
    ))
    .takes::<ReadHistory>()
    .gives::<relay::Page>()
    .codes(&[ChatGroupNotFound, NotInGroup, NotInRoom]);

const STORE_FRAME: Doc = Doc::new("chatInternalPost", Tag::ChatRelay, "Store a client frame")
    .about(relay_about!(
        "`frame` is the client's message as text, checked strictly, stored, not published."
    ))
    .takes::<StoreFrame>()
    .gives::<relay::Stored>()
    .codes(FRAME_CODES);

/// What storing a client's frame answers: the frame's checks, then the room's, and the limit.
#[rustfmt::skip]
const FRAME_CODES: &[Code] = &[
    BadMessage, MessageTooLong, UnknownMsgType, TempFileNotFound,
    ChatGroupNotFound, ChatGroupDismissed, NotInGroup, NotInRoom,
    TokenInvalid, Muted, TooManyRequests,
];

const READ_AFTER: Doc = Doc::new("chatInternalAfter", Tag::ChatRelay, "Messages after one")
    .about(relay_about!(
        "Up to 200 messages after `after`, oldest first, for a relay that noticed a gap."
    ))
    .takes::<ReadAfter>()
    .gives::<relay::Page>();
