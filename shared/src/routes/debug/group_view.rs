//! A group's view: its members, requests, profile, files and latest messages.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::admin::{guard::Admin, views};
use crate::app::App;
use crate::body::Response;
use crate::db::groups::Group;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::Time;
use crate::groups::Role;
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, PictureId, RequestId, UserId};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};

pub const ROUTES: &[Route] = &[Route::get("/debug/api/group", console!(group)).doc(&GROUP)];

const GROUP: Doc = Doc::new("debugGroup", Tag::Debug, "A group's view")
    .about(about!("Members with roles, pending requests, tags, intro pictures, announcements, files (up to 200) and the last 30 chat messages; 301 for an unknown group."))
    .takes::<GroupQuery>()
    .gives::<GroupView>()
    .codes(&[BadParam, GroupNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct GroupQuery {
    pub group_id: GroupId,
}

#[derive(Serialize, JsonSchema)]
pub struct GroupView {
    pub group: GroupRow,
    pub members: Vec<MemberRow>,
    pub requests: Vec<RequestRow>,
    pub tags: Vec<TagRow>,
    pub pictures: Vec<PictureId>,
    pub announcements: Vec<AnnouncementRow>,
    pub files: Files,
    pub chat: Vec<ChatRow>,
}

// A group's row.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupRow {
    pub id: GroupId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub creator_id: UserId,
    pub created: Time,
    pub dismissed: Option<Time>,
    pub user_cnt: i64,
    pub user_limit: i64,
    pub info: String,
}

impl GroupRow {
    pub(super) fn of(app: &App, g: Group) -> GroupRow {
        GroupRow {
            id: g.id,
            name: g.name,
            kind: g.kind,
            creator_id: g.creator_id,
            created: Time(app.format_time(g.created_at)),
            dismissed: g.dismissed_at.map(|t| Time(app.format_time(t))),
            user_cnt: g.user_cnt,
            user_limit: g.user_limit,
            info: g.info,
        }
    }
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct MemberRow {
    pub user_id: UserId,
    pub nickname: String,
    pub role: Role,
    pub joined: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RequestRow {
    pub id: RequestId,
    pub user_id: UserId,
    pub time: Time,
}

// A group's or a user's tag (`TagId` or `UserTagId`: one shape for both).
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TagRow {
    pub id: i64,
    pub tag_text: String,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct AnnouncementRow {
    pub id: AnnouncementId,
    pub title: String,
    pub text: String,
    pub author_id: UserId,
    pub has_pic: bool,
    pub time: Time,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Files {
    pub used_bytes: i64,
    pub entries: Vec<FileRow>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct FileRow {
    pub id: FileId,
    pub parent_id: Option<FileId>,
    pub name: String,
    pub is_dir: bool,
    pub size: i64,
    pub file_type: Option<String>,
    pub uploader_id: UserId,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct ChatRow {
    pub id: MessageId,
    pub user_id: UserId,
    pub nickname: String,
    pub msg_type: String,
    pub content: Option<String>,
    pub time: Time,
    /// moderation withdrew its content
    pub withdrawn: bool,
}

async fn group(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let GroupQuery { group_id } = call.fields()?;
    let view = views::group(app, group_id)?;
    let time = |t: i64| Time(app.format_time(t));
    Ok(ok(GroupView {
        group: GroupRow::of(app, view.group),
        members: view
            .members
            .into_iter()
            .map(|(m, role)| MemberRow {
                user_id: m.user_id,
                nickname: m.nickname,
                role,
                joined: time(m.joined_at),
            })
            .collect(),
        requests: view
            .requests
            .into_iter()
            .map(|r| RequestRow {
                id: r.id,
                user_id: r.user_id,
                time: time(r.created_at),
            })
            .collect(),
        tags: view
            .tags
            .into_iter()
            .map(|t| TagRow {
                id: t.id.0,
                tag_text: t.tag_text,
            })
            .collect(),
        pictures: view.pictures,
        announcements: view
            .announcements
            .into_iter()
            .map(|a| AnnouncementRow {
                id: a.id,
                title: a.title,
                text: a.text,
                author_id: a.author_id,
                has_pic: a.has_pic,
                time: time(a.updated_at),
            })
            .collect(),
        files: Files {
            used_bytes: i64::try_from(view.used_bytes).unwrap_or(i64::MAX),
            entries: view
                .files
                .into_iter()
                .map(|e| FileRow {
                    is_dir: e.is_dir(),
                    size: e.content.as_ref().map_or(0, |f| f.size),
                    file_type: e.content.map(|f| f.file_type),
                    id: e.id,
                    parent_id: e.parent_id,
                    name: e.name,
                    uploader_id: e.uploader_id,
                })
                .collect(),
        },
        chat: view
            .chat
            .into_iter()
            .map(|m| ChatRow {
                id: m.id,
                user_id: m.user_id,
                nickname: m.nickname,
                msg_type: m.msg_type,
                content: m.content,
                time: time(m.created_at),
                withdrawn: m.withdrawn,
            })
            .collect(),
    }))
}
