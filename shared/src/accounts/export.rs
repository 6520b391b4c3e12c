//! Exporting everything stored about a user (PIPL art. 45): one JSON answer, files as links the
//! user opens with their token through the usual download endpoints (while they may read them).
//! Every list is bounded: at most [`ROWS`] rows each, the messages the newest [`MESSAGES`], and
//! `truncated` names the lists that were cut.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::app::App;
use crate::db::chat_messages::{self, Room};
use crate::db::{
    announcements, chat_files, group_files, groups, join_requests, members, private_rooms, ratings,
    user_tags, users,
};
use crate::error::{Code, Error, Result};
use crate::fields::{StarRating, Time};
use crate::groups::Role;
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, PrivateRoomId, RequestId, UserId};
use crate::storage::Sql;
use crate::time;

/// Most rows of each list.
pub const ROWS: i64 = 1000;
/// Most messages: the newest.
pub const MESSAGES: i64 = 1000;

/// Everything stored about a user.
#[derive(Serialize, JsonSchema)]
pub struct Export {
    pub profile: Profile,
    pub tags: Vec<String>,
    /// Their groups (created or joined), oldest membership first.
    pub groups: Vec<Membership>,
    pub join_requests: Vec<JoinRequest>,
    pub ratings_given: Vec<RatingGiven>,
    /// Without the raters: they are other people's choices.
    pub ratings_received: Vec<RatingReceived>,
    pub announcements: Vec<Announcement>,
    /// Files and folders they made in group file spaces.
    pub group_files: Vec<GroupFile>,
    /// Their temporary chat files that have not expired.
    pub chat_files: Vec<ChatFile>,
    pub private_rooms: Vec<PrivateRoom>,
    /// The messages they sent, newest first (at most 1000).
    pub messages: Vec<Message>,
    /// The lists cut at their bound (1000 rows each), by name: `messages`, `group_files`, …
    pub truncated: Vec<String>,
    pub exported: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Profile {
    pub id: UserId,
    /// The WeChat openid they sign in with.
    pub openid: String,
    pub nickname: String,
    pub info: String,
    pub star_rating: StarRating,
    #[schemars(range(min = 0))]
    pub rating_count: i64,
    pub registered: Time,
    /// The uploaded avatar (`/user/info/avatar/get?user_id=…`; add the token); null without one.
    pub avatar: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Membership {
    pub group_id: GroupId,
    pub name: String,
    pub role: Role,
    /// Their in-group nickname, if they set one.
    pub nickname: Option<String>,
    pub joined: Time,
    pub dismissed: bool,
    pub has_rated: bool,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct JoinRequest {
    pub id: RequestId,
    pub group_id: GroupId,
    /// `pending`, `approved`, `rejected` or `closed`
    pub status: String,
    pub time: Time,
    pub processed: Option<Time>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RatingGiven {
    pub group_id: GroupId,
    pub user_id: UserId,
    pub stars: f64,
    pub time: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RatingReceived {
    pub group_id: GroupId,
    pub stars: f64,
    pub time: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Announcement {
    pub id: AnnouncementId,
    pub group_id: GroupId,
    pub title: String,
    pub text: String,
    pub time: Time,
    pub updated: Time,
    /// Its picture (`/group/internal/announcement/getPic?…`) while they are a member; else null.
    pub picture: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupFile {
    pub id: FileId,
    pub group_id: GroupId,
    pub parent_id: Option<FileId>,
    pub name: String,
    pub is_dir: bool,
    #[schemars(range(min = 0))]
    pub size: i64,
    pub time: Time,
    /// `/group/internal/files/download?…` for a file while they are a member; else null.
    pub download: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct ChatFile {
    pub id: FileId,
    /// `group` or `private`
    #[serde(rename = "type")]
    pub kind: String,
    pub room_id: i64,
    pub name: String,
    #[schemars(range(min = 0))]
    pub size: i64,
    pub time: Time,
    pub expires: Time,
    /// `/chat/files/download?…`
    pub download: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct PrivateRoom {
    pub room_id: PrivateRoomId,
    pub user_id: UserId,
    pub time: Time,
    pub last_message: Option<Time>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Message {
    pub id: MessageId,
    /// `group` or `private`
    #[serde(rename = "type")]
    pub kind: String,
    pub room_id: i64,
    pub msg_type: String,
    pub content: Option<String>,
    pub file_id: Option<FileId>,
    pub time: Time,
}

/// Everything stored about `user_id`, read in one go; 202 when there is no such user.
pub fn export(app: &App, user_id: &UserId) -> Result<Export> {
    app.db.run(|c| gather(app, c, user_id))
}

/// Keeps the first `limit` of `rows` (read with one more), naming `list` in `truncated` when
/// there were more.
fn bounded<T>(mut rows: Vec<T>, limit: i64, list: &str, truncated: &mut Vec<String>) -> Vec<T> {
    if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        truncated.push(list.to_owned());
    }
    rows
}

fn gather(app: &App, c: &dyn Sql, user_id: &UserId) -> Result<Export> {
    let t = |at: i64| Time(app.format_time(at));
    let user = users::get(c, user_id)?.ok_or_else(|| Error::new(Code::UserNotFound))?;
    let openid = users::openid(c, user_id)?.unwrap_or_default();
    let has_avatar = matches!(users::avatar(c, user_id)?, Some(Some(_)));
    let mut truncated = Vec::new();

    let mut groups_of = Vec::new();
    let mut member_of = HashSet::new();
    let memberships = members::of_user(c, user_id, ROWS + 1)?;
    let memberships = bounded(memberships, ROWS, "groups", &mut truncated);
    let ids: Vec<i64> = memberships.iter().map(|m| m.group_id.0).collect();
    let found = groups::by_ids(c, &ids)?;
    for m in memberships {
        let Some(group) = found.iter().find(|g| g.id == m.group_id) else {
            continue;
        };
        member_of.insert(m.group_id);
        groups_of.push(Membership {
            group_id: m.group_id,
            name: group.name.clone(),
            role: Role::of(group.creator_id == *user_id, m.is_admin),
            nickname: m.nickname,
            joined: t(m.joined_at),
            dismissed: group.is_dismissed(),
            has_rated: m.has_rated,
        });
    }

    let requests = join_requests::of_user(c, user_id, ROWS + 1)?;
    let given = ratings::of_user(c, user_id, false, ROWS + 1)?;
    let received = ratings::of_user(c, user_id, true, ROWS + 1)?;
    let notices = announcements::by_author(c, user_id, ROWS + 1)?;
    let files = group_files::by_uploader(c, user_id, ROWS + 1)?;
    let chat = chat_files::of_uploader(c, user_id, time::now(), ROWS + 1)?;
    let rooms = private_rooms::all_of_user(c, user_id, ROWS + 1)?;
    let sent = chat_messages::of_user(c, user_id, MESSAGES + 1)?;

    let room = |r: Room| (r.kind().to_owned(), r.id());
    Ok(Export {
        profile: Profile {
            avatar: has_avatar.then(|| format!("/user/info/avatar/get?user_id={}", user.id)),
            star_rating: StarRating(user.star_rating()),
            registered: t(user.created_at),
            id: user.id,
            openid,
            nickname: user.nickname,
            info: user.info,
            rating_count: user.rating_count,
        },
        tags: user_tags::list(c, user_id)?
            .into_iter()
            .map(|tag| tag.tag_text)
            .collect(),
        groups: groups_of,
        join_requests: bounded(requests, ROWS, "join_requests", &mut truncated)
            .into_iter()
            .map(|r| JoinRequest {
                id: r.id,
                group_id: r.group_id,
                status: r.status,
                time: t(r.created_at),
                processed: r.processed_at.map(t),
            })
            .collect(),
        ratings_given: bounded(given, ROWS, "ratings_given", &mut truncated)
            .into_iter()
            .map(|r| RatingGiven {
                group_id: r.group_id,
                user_id: r.target_id,
                stars: r.stars,
                time: t(r.created_at),
            })
            .collect(),
        ratings_received: bounded(received, ROWS, "ratings_received", &mut truncated)
            .into_iter()
            .map(|r| RatingReceived {
                group_id: r.group_id,
                stars: r.stars,
                time: t(r.created_at),
            })
            .collect(),
        announcements: bounded(notices, ROWS, "announcements", &mut truncated)
            .into_iter()
            .map(|(group_id, a)| Announcement {
                picture: (a.has_pic && member_of.contains(&group_id)).then(|| {
                    format!(
                        "/group/internal/announcement/getPic?group_id={group_id}&announcement_id={}",
                        a.id
                    )
                }),
                id: a.id,
                group_id,
                title: a.title,
                text: a.text,
                time: t(a.created_at),
                updated: t(a.updated_at),
            })
            .collect(),
        group_files: bounded(files, ROWS, "group_files", &mut truncated)
            .into_iter()
            .map(|f| GroupFile {
                download: (!f.is_dir() && member_of.contains(&f.group_id)).then(|| {
                    format!(
                        "/group/internal/files/download?group_id={}&file_id={}",
                        f.group_id, f.id
                    )
                }),
                is_dir: f.is_dir(),
                size: f.content.as_ref().map_or(0, |content| content.size),
                id: f.id,
                group_id: f.group_id,
                parent_id: f.parent_id,
                name: f.name,
                time: t(f.created_at),
            })
            .collect(),
        chat_files: bounded(chat, ROWS, "chat_files", &mut truncated)
            .into_iter()
            .map(|(r, expires_at, f)| {
                let (kind, room_id) = room(r);
                ChatFile {
                    download: format!(
                        "/chat/files/download?type={kind}&room_id={room_id}&file_id={}",
                        f.id
                    ),
                    kind,
                    room_id,
                    id: f.id,
                    name: f.name,
                    size: f.content.size,
                    time: t(f.created_at),
                    expires: t(expires_at),
                }
            })
            .collect(),
        private_rooms: bounded(rooms, ROWS, "private_rooms", &mut truncated)
            .into_iter()
            .map(|r| PrivateRoom {
                room_id: r.id,
                user_id: r.partner,
                time: t(r.created_at),
                last_message: r.last_message_at.map(t),
            })
            .collect(),
        messages: bounded(sent, MESSAGES, "messages", &mut truncated)
            .into_iter()
            .map(|m| {
                let (kind, room_id) = room(m.room);
                Message {
                    id: m.id,
                    kind,
                    room_id,
                    msg_type: m.msg_type,
                    content: m.content,
                    file_id: m.file_id,
                    time: t(m.created_at),
                }
            })
            .collect(),
        truncated,
        exported: t(time::now()),
    })
}
