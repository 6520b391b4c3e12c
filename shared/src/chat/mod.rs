//! Chat: rooms (a group's, or a private one per pair of users), strict client messages
//! (`client`), storing and paging messages, and their JSON. Hosts hold the sockets and fan
//! messages out; everything a message must satisfy is checked here, inside the transaction
//! that stores it.

pub mod client;
pub mod files;
pub mod live;
pub mod relay;

use serde_json::{json, Value};

use crate::app::App;
use crate::content::Checked;
use crate::db::chat_messages::{self, Message, NewMessage, Room};
use crate::db::{groups, members, private_rooms, users};
use crate::error::{Code, Error, Result};
use crate::ids::{FileId, GroupId, MessageId, PrivateRoomId, UserId};
use crate::limits::{self, Action};
use crate::moderation;
use crate::storage::Sql;
use crate::time;

pub use client::ClientMessage;

/// Messages sent on connect and per `history` request.
pub const PAGE: i64 = 20;
/// Most messages one [`after`] read returns: a host filling a gap pages on until a shorter page.
pub const AFTER_PAGE: usize = 200;

/// Who a connection wants to talk to (as the relay's calls name it: `group_id` or `peer_id`).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub enum Target {
    #[serde(rename = "group_id")]
    Group(GroupId),
    /// Another user, by id.
    #[serde(rename = "peer_id")]
    Private(UserId),
}

/// Opens `target` for `me`: 402 for an unknown group, 403 for a non-member; 401 for an unknown
/// user (or oneself). A private room is made on first contact.
pub fn open(app: &App, me: &UserId, target: &Target) -> Result<Room> {
    match target {
        Target::Group(id) => app.db.run(|c| {
            member_of(c, *id, me)?;
            Ok(Room::Group(*id))
        }),
        Target::Private(other) => app.db.tx(|c| {
            if other == me || !users::exists(c, other)? {
                return Err(Error::new(Code::ChatUserNotFound));
            }
            Ok(Room::Private(private_rooms::get_or_create(
                c,
                me,
                other,
                time::now(),
            )?))
        }),
    }
}

/// The group of a group room, checked: 402 unknown, 403 not a member.
fn member_of(conn: &dyn Sql, group_id: GroupId, me: &UserId) -> Result<groups::Group> {
    let group = groups::get(conn, group_id)?.ok_or_else(|| Error::new(Code::ChatGroupNotFound))?;
    if members::membership(conn, group_id, me)?.is_none() {
        return Err(Error::new(Code::NotInGroup));
    }
    Ok(group)
}

/// The messages before `before` (the newest without it), oldest first, for `me`, who must
/// (still) be in the room: 403 for a group room, 407 for a private one.
pub fn history(
    app: &App,
    room: Room,
    me: &UserId,
    before: Option<MessageId>,
) -> Result<Vec<Message>> {
    app.db.run(|c| {
        still_in(c, room, me)?;
        Ok(chat_messages::page(c, room, before, PAGE)?)
    })
}

/// The messages of `room` stored after message `after`, oldest first (at most [`AFTER_PAGE`]),
/// rendered as they are delivered live: for a host that noticed a gap.
pub fn after(app: &App, room: Room, after: MessageId) -> Result<Vec<live::Posted>> {
    let page = app
        .db
        .run(|c| Ok(chat_messages::after(c, room, after, AFTER_PAGE as i64)?))?;
    Ok(page
        .iter()
        .map(|m| live::Posted::of(app, m, false))
        .collect())
}

/// Whether `me` is still in `room` (a member may be removed while connected): 403 or 407.
pub fn still_in(conn: &dyn Sql, room: Room, me: &UserId) -> Result<()> {
    match room {
        Room::Group(id) => {
            member_of(conn, id, me)?;
        }
        Room::Private(id) => {
            let users = private_rooms::users(conn, id)?;
            if !users.is_some_and(|(a, b)| a == me || b == me) {
                return Err(Error::new(Code::NotInRoom));
            }
        }
    }
    Ok(())
}

/// Takes a chat token of `me` (105 when their bucket is empty): every frame a client sends costs
/// one, taken before the frame is read.
pub fn admit(app: &App, me: &UserId) -> Result<()> {
    limits::check(app, Action::Chat, Some(me), None)
}

/// How long a `client_msg_id` names its message: a send repeating it within this many seconds
/// returns the stored message instead of storing another.
pub const REPEAT_WINDOW: i64 = 24 * 60 * 60;

/// Stores a message from `me`, admitted by [`admit`] (the relay's own buckets in front of Spin);
/// the checks that depend on the room happen here: membership (403)
/// and a dismissed group (404) for group rooms, being one of the pair (407) in private ones,
/// a sender banned since the socket opened (112) or muted in the group (413), `at` naming
/// members only (409), and `file_id` naming a temporary file of the room (406).
/// A repeat (the sender's `client_msg_id` in this room within [`REPEAT_WINDOW`]) stores nothing
/// and returns the message stored first.
/// `checked` is the verdict on its text (judged where it is cheapest: the relay or the native
/// server), queued for review with the stored message when WeChat asks.
pub fn store(
    app: &App,
    room: Room,
    me: &UserId,
    message: &ClientMessage,
    checked: Checked,
) -> Result<Message> {
    let ClientMessage::Send {
        msg_type,
        content,
        file_id,
        at,
        client_msg_id,
    } = message
    else {
        return Err(Error::with_message(
            Code::BadMessage,
            "history 不是可发送的消息",
        ));
    };
    app.db.tx(|c| {
        let now = time::now();
        if !users::active(c, me, now)? {
            return Err(Error::new(Code::TokenInvalid));
        }
        let group = match room {
            Room::Group(id) => {
                let group = member_of(c, id, me)?;
                if group.is_dismissed() {
                    return Err(Error::new(Code::ChatGroupDismissed));
                }
                crate::moderation::mutes::check(app, c, id, me, now)?;
                Some(group)
            }
            Room::Private(_) => {
                still_in(c, room, me)?;
                None
            }
        };
        if let Some(client_msg_id) = client_msg_id {
            match chat_messages::by_client_msg_id(c, room, me, client_msg_id)? {
                Some((id, stored)) if now - stored < REPEAT_WINDOW => {
                    return stored_message(c, room, id);
                }
                Some((id, _)) => chat_messages::release_client_msg_id(c, id)?,
                None => {}
            }
        }
        if let Some(group) = &group {
            check_at(c, group, at)?;
        }
        let file_info = match file_id {
            Some(file_id) => {
                let file = files::get(c, room, *file_id)?;
                Some(
                    crate::files::file_info(
                        app,
                        file.id,
                        &file.name,
                        file.created_at,
                        &file.content,
                    )
                    .to_json_text(),
                )
            }
            None => None,
        };
        let id = chat_messages::insert(
            c,
            &NewMessage {
                room,
                user_id: me,
                msg_type,
                content: content.as_deref(),
                file_id: *file_id,
                file_info,
                at: (!at.is_empty()).then(|| json!(at).to_string()),
                client_msg_id: client_msg_id.as_deref(),
                created_at: now,
            },
        )?;
        if let Room::Private(room_id) = room {
            private_rooms::touch(c, room_id, id, now)?;
        }
        let text = content.as_deref().unwrap_or_default();
        checked.queue(c, moderation::Target::Message { room, id }, text)?;
        stored_message(c, room, id)
    })
}

/// 409 unless everyone `at` names is a member of `group` (never more than it has).
fn check_at(conn: &dyn Sql, group: &groups::Group, at: &[UserId]) -> Result<()> {
    if at.len() as i64 > group.user_cnt {
        return Err(Error::with_message(
            Code::BadMessage,
            "被 @ 的人数超过群组人数",
        ));
    }
    for user in at {
        if members::membership(conn, group.id, user)?.is_none() {
            return Err(Error::with_message(
                Code::BadMessage,
                format!("被 @ 的用户 {user} 不在群组中"),
            ));
        }
    }
    Ok(())
}

fn stored_message(conn: &dyn Sql, room: Room, id: MessageId) -> Result<Message> {
    chat_messages::get(conn, room, id)?
        .ok_or_else(|| anyhow::anyhow!("message {id} vanished").into())
}

/// A message as clients receive it (the API description's `ChatServerMessage`), its fields in
/// the order of their names, as frames always had them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(
    rename = "ChatServerMessage",
    description = "A message as clients receive it."
)]
pub struct Shaped {
    pub history: bool,
    pub id: MessageId,
    pub msg: ShapedBody,
    /// the in-group nickname when set
    pub nickname: String,
    pub room_id: i64,
    /// when it was stored
    #[schemars(with = "crate::fields::Time")]
    pub time: String,
    pub user_id: UserId,
}

/// What a [`Shaped`] message says; the stored `file_info` and `at` as they were stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[schemars(
    inline,
    description = "what it says: its text, or its file, and whom it mentions"
)]
pub struct ShapedBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<String>>", length(max = client::AT_LIMIT))]
    pub at: Option<Value>,
    /// the sender's client_msg_id, when it gave one
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_id: Option<FileId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<crate::files::Described>")]
    pub file_info: Option<Value>,
    #[schemars(extend("enum" = ["text", "image", "voice", "video", "file"]))]
    pub msg_type: String,
    /// present (true) once moderation withdrew the message: its content, file and mentions are gone
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[schemars(with = "Option<bool>")]
    pub withdrawn: bool,
}

/// A message as clients receive it.
pub fn shaped(app: &App, m: &Message, history: bool) -> Shaped {
    let stored = |text: Option<&str>| text.and_then(|t| serde_json::from_str::<Value>(t).ok());
    Shaped {
        history,
        id: m.id,
        msg: ShapedBody {
            at: stored(m.at.as_deref()),
            client_msg_id: m.client_msg_id.clone(),
            content: m.content.clone(),
            file_id: m.file_id,
            file_info: stored(m.file_info.as_deref()),
            msg_type: m.msg_type.clone(),
            withdrawn: m.withdrawn,
        },
        nickname: m.nickname.clone(),
        room_id: m.room.id(),
        time: app.format_time(m.created_at),
        user_id: m.user_id.clone(),
    }
}

/// Someone `me` talks with privately: the user, their private room and its last message's time.
pub struct Partner {
    pub user: users::User,
    pub room_id: PrivateRoomId,
    pub last: i64,
}

/// `/chat/getChat`: everyone `me` talks with privately, newest conversation first.
pub fn partners(app: &App, me: &UserId) -> Result<Vec<Partner>> {
    app.db.run(|c| {
        let mut out = Vec::new();
        for (room_id, partner, last) in private_rooms::of_user(c, me)? {
            let Some(user) = users::get(c, &partner)? else {
                continue;
            };
            out.push(Partner {
                user,
                room_id,
                last,
            });
        }
        Ok(out)
    })
}
