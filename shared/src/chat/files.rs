//! Temporary files of a chat room (`/chat/files/upload` and `/chat/files/download`): streamed
//! like group files, kept for `chat_file_days` (7 by default), then swept with their blobs. What a
//! room and a user hold at once is capped (`chat_room_quota_bytes`, `chat_user_quota_bytes`).

use http::HeaderMap;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

use crate::app::App;
use crate::body::{Request, Response};
use crate::content::media::Media;
use crate::db::chat_files::{self, ChatFile};
use crate::db::chat_messages::Room;
use crate::db::file_uploads::{self, Upload, UploadTo};
use crate::db::group_files::{self, Content};
use crate::db::{groups, members, private_rooms};
use crate::error::{Code, Error, Result};
use crate::fields::Id;
use crate::files::upload::{self, Destination};
use crate::files::{content, download, FileName};
use crate::ids::{FileId, GroupId, PrivateRoomId, UserId};
use crate::moderation;
use crate::storage::Sql;
use crate::time;

/// Largest temporary file.
pub const FILE_LIMIT: u64 = 100 << 20;

/// The fields of an upload into a room: `type` and `room_id`, and the optional `file_name`
/// (else the uploaded file's own name).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RoomFileFields {
    /// 410 otherwise
    #[serde(rename = "type")]
    #[schemars(schema_with = "room_type")]
    pub kind: String,
    pub room_id: Id,
    /// overrides the part's file name
    #[serde(default)]
    #[schemars(with = "String")]
    pub file_name: Option<String>,
}

/// A room's `type`.
pub fn room_type(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string", "enum": ["group", "private"] })
}

/// The room of `kind` (`group` or `private`, else 410) and `id`.
pub fn room(kind: &str, id: i64) -> Result<Room> {
    match kind {
        "group" => Ok(Room::Group(GroupId(id))),
        "private" => Ok(Room::Private(PrivateRoomId(id))),
        _ => Err(Error::new(Code::BadRoomType)),
    }
}

/// `me` in `room`: 408 when the room does not exist (checked first), 407 when `me` is not in it.
/// Returns whether the room is a dismissed group's.
pub fn enter(conn: &dyn Sql, room: Room, me: &UserId) -> Result<bool> {
    let (exists, inside, dismissed) = match room {
        Room::Group(id) => match groups::get(conn, id)? {
            Some(group) => (
                true,
                members::membership(conn, id, me)?.is_some(),
                group.is_dismissed(),
            ),
            None => (false, false, false),
        },
        Room::Private(id) => match private_rooms::users(conn, id)? {
            Some((a, b)) => (true, a == me || b == me, false),
            None => (false, false, false),
        },
    };
    if !exists {
        return Err(Error::new(Code::RoomNotFound));
    }
    if !inside {
        return Err(Error::new(Code::NotInRoom));
    }
    Ok(dismissed)
}

/// An upload into a room.
pub struct ChatUpload {
    room: Room,
    name: FileName,
}

impl Destination for ChatUpload {
    type Fields = RoomFileFields;

    fn from_fields(fields: RoomFileFields, from_part: Option<&str>) -> Result<ChatUpload> {
        Ok(ChatUpload {
            room: room(&fields.kind, fields.room_id.0)?,
            name: upload::file_name(fields.file_name.as_deref(), from_part)?,
        })
    }

    fn name(&self) -> &FileName {
        &self.name
    }

    /// The room's and the uploader's totals of files not expired are capped too (412 when
    /// either is reached): a file may take at most what is left of both.
    fn check(&self, conn: &dyn Sql, app: &App, me: &UserId) -> Result<u64> {
        if enter(conn, self.room, me)? {
            return Err(Error::new(Code::ChatGroupDismissed));
        }
        let now = time::now();
        let quotas = app.settings.quotas()?;
        // Uploads in progress hold what they declared.
        let room = chat_files::room_bytes(conn, self.room, now)?
            + file_uploads::reserved_room_bytes(conn, self.room, now)?;
        let mine = chat_files::uploader_bytes(conn, me, now)?
            + file_uploads::reserved_chat_bytes(conn, me, now)?;
        let left = (quotas.chat_room_quota_bytes.saturating_sub(room))
            .min(quotas.chat_user_quota_bytes.saturating_sub(mine));
        if left == 0 {
            return Err(Error::new(Code::ChatFilesFull));
        }
        Ok(left.min(FILE_LIMIT))
    }

    fn too_large(&self, left: u64) -> Error {
        match left < FILE_LIMIT {
            true => Error::new(Code::ChatFilesFull),
            false => Error::with_message(Code::TooLarge, "临时文件不能超过 100MB"),
        }
    }

    fn upload_to(&self) -> UploadTo {
        UploadTo::Room(self.room)
    }

    fn of_upload(up: &Upload) -> Option<ChatUpload> {
        match up.to {
            UploadTo::Room(room) => Some(ChatUpload {
                room,
                name: FileName::stored(up.name.clone()),
            }),
            UploadTo::Folder { .. } => None,
        }
    }

    fn not_found() -> Error {
        Error::new(Code::TempFileNotFound)
    }

    /// A temporary file is reviewed as its uploader (the queue's files are a group's).
    fn reviewed_as(&self, _id: FileId, me: &UserId) -> moderation::Target {
        moderation::Target::User(me.clone())
    }

    fn media(&self, id: FileId, file: &Content) -> Option<(Media, String)> {
        Media::of_chat_file(id, file)
    }

    fn insert(&self, conn: &dyn Sql, app: &App, me: &UserId, file: &Content) -> Result<FileId> {
        let now = time::now();
        let expires = now + i64::from(app.settings.quotas()?.chat_file_days) * 86_400;
        Ok(chat_files::insert(
            conn, self.room, &self.name, me, now, expires, file,
        )?)
    }
}

/// `/chat/files/upload`: the new file's id.
pub async fn receive(app: &App, me: &UserId, req: Request) -> Result<FileId> {
    sweep(app).await?;
    upload::receive::<ChatUpload>(app, me, req).await
}

/// A temporary file of `room` that has not expired; 406 otherwise.
pub fn get(conn: &dyn Sql, room: Room, id: FileId) -> Result<ChatFile> {
    chat_files::get(conn, room, id, time::now())?.ok_or_else(|| Error::new(Code::TempFileNotFound))
}

/// `/chat/files/download`: a temporary file of the room, or in a group room a group file shared
/// into it (406 for anything else), whole or as its thumbnail.
pub async fn download(
    app: &App,
    me: &UserId,
    room: Room,
    id: FileId,
    thumbnail: bool,
    headers: &HeaderMap,
) -> Result<Response> {
    let (name, file, temporary) = app.db.run(|c| {
        enter(c, room, me)?;
        if let Some(file) = chat_files::get(c, room, id, time::now())? {
            return Ok((file.name, file.content, true));
        }
        let shared = match room {
            Room::Group(group) => group_files::get(c, group, id)?,
            Room::Private(_) => None,
        };
        match (room, shared) {
            (Room::Group(_), Some(entry)) if !entry.is_dir() => {
                let content = download::content_of(&entry)?.clone();
                Ok((entry.name, content, false))
            }
            _ => Err(Error::new(Code::TempFileNotFound)),
        }
    })?;
    if !thumbnail {
        return download::file(app, headers, &name, &file);
    }
    download::thumbnail(
        app,
        &file,
        Code::TempFileNotFound,
        |c, state| match temporary {
            true => chat_files::set_thumbnail(c, id, state),
            false => group_files::set_thumbnail(c, id, state),
        },
    )
    .await
}

/// Removes expired temporary files and their blobs, a few at a time (every upload does it):
/// up to 50 files and `content::SWEEP_OBJECTS` objects.
pub async fn sweep(app: &App) -> Result<usize> {
    let store_chunk_size = app.chunks.chunk_size();
    let expired = app.db.tx(|c| {
        let expired = chat_files::expired(c, time::now(), 50)?;
        let taken = content::within_sweep(expired, |(_, f)| f.chunks(store_chunk_size) as i64);
        for (id, _) in &taken {
            chat_files::delete(c, *id)?;
        }
        let blobs: Vec<String> = taken.iter().map(|(_, f)| f.blob.clone()).collect();
        content::release(c, &blobs)?;
        Ok(taken)
    })?;
    let blobs = expired
        .iter()
        .map(|(_, f)| f.to_discard(store_chunk_size))
        .collect();
    Ok(content::discard_all(app, blobs).await)
}
