//! `/group` (except `/group/internal/files`): groups, join requests, search, profile, members,
//! settings and announcements.

use bytes::Bytes;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::doc::{Doc, Tag};
use super::fields::{self, Flag, Id, Time};
use super::table::{user, Call};
use super::{ok, picture, success, Route};
use crate::app::App;
use crate::body::{Request, Response};
use crate::db::groups::Group;
use crate::error::Code::*;
use crate::error::{Code, Error, Result};
use crate::groups::{announcements, lifecycle, members, profile};
use crate::limits::Action;
use crate::params::Params;
use crate::{costly, imaging, multipart, search};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/external/group/create", user!(create)).doc(&CREATE),
    Route::post("/group/external/group/join", user!(join)).doc(&JOIN),
    Route::post("/group/external/joinRequest/getAll", user!(join_requests)).doc(&JOIN_REQUESTS),
    Route::post("/group/external/joinRequest/process", user!(process)).doc(&PROCESS),
    Route::post("/group/external/search/name_hint", user!(name_hint))
        .limited(Action::Search)
        .doc(&NAME_HINT),
    Route::post("/group/external/search/tag_hint", user!(tag_hint))
        .limited(Action::Search)
        .doc(&TAG_HINT),
    Route::post("/group/external/search/group", user!(search_group))
        .limited(Action::Search)
        .doc(&SEARCH),
    Route::post("/group/external/search/my_group", user!(search_my_group))
        .limited(Action::Search)
        .doc(&SEARCH_MINE),

    Route::post("/group/internal/info/text/edit", user!(edit_info)),
    Route::post("/group/internal/info/text/get", user!(get_info)),
    Route::post("/group/internal/info/text/set_name", user!(set_name)),
    Route::post("/group/internal/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload),
    Route::get("/group/internal/info/avatar/get", user!(get_avatar)),
    Route::post("/group/internal/info/picture/getAll", user!(pictures)),
    Route::get("/group/internal/info/picture/get", user!(get_picture)),
    Route::post("/group/internal/info/picture/add", user!(add_picture))
        .raw_body()
        .limited(Action::Upload),
    Route::post("/group/internal/info/picture/del", user!(delete_picture)),
    Route::post("/group/internal/info/tag/get", user!(tags)),
    Route::post("/group/internal/info/tag/add", user!(add_tag)),
    Route::post("/group/internal/info/tag/remove", user!(remove_tag)),
    Route::post("/group/internal/info/tag/edit", user!(edit_tag)),

    Route::post("/group/internal/member/get", user!(member_list)),
    Route::post("/group/internal/member/remove", user!(remove_member)),
    Route::post("/group/internal/member/setNickname", user!(set_member_nickname)),
    Route::post("/group/internal/member/rate", user!(rate)),
    Route::post("/group/internal/member/switchAdmin", user!(switch_admin)),

    Route::post("/group/internal/setting/dismiss", user!(dismiss)),
    Route::post("/group/internal/setting/exit", user!(exit)),

    Route::post("/group/internal/announcement/getAll", user!(announcement_list)),
    Route::post("/group/internal/announcement/get", user!(announcement)),
    Route::post("/group/internal/announcement/add", user!(add_announcement)),
    Route::post("/group/internal/announcement/edit", user!(edit_announcement)),
    Route::post("/group/internal/announcement/delete", user!(delete_announcement)),
    Route::post("/group/internal/announcement/setPic", user!(set_announcement_picture))
        .raw_body()
        .limited(Action::Upload),
    Route::post("/group/internal/announcement/delPic", user!(delete_announcement_picture)),
    Route::get("/group/internal/announcement/getPic", user!(get_announcement_picture)),
];

/// A `wx.uploadFile` picture upload: its form fields, and the picture in `field`.
async fn upload(req: Request, field: &str) -> Result<(Params, Bytes)> {
    let form = multipart::read_small(req, field, imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = form.file.ok_or_else(|| Error::param(field))?;
    Ok((form.fields, file.data))
}

const CREATE: Doc = Doc::new("groupCreate", Tag::Group, "创建群组 Create a group")
    .about("Names are trimmed, 1 to 30 characters, without bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C; 101); `user_limit` 2 to 500; `type` one of the configured group types (351 otherwise). The caller becomes the creator. Answers the new `group_id`.")
    .takes::<Create>()
    .gives::<Created>()
    .codes(&[BadParam, UnknownGroupType]);

#[derive(Deserialize, JsonSchema)]
pub struct Create {
    /// a group type such as 学习
    #[serde(rename = "type")]
    pub kind: String,
    #[schemars(length(min = 1, max = 30))]
    pub name: String,
    #[schemars(with = "i64", range(min = 2, max = 500))]
    pub user_limit: Id,
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub group_id: i64,
}

async fn create(app: &App, me: String, call: Call) -> Result<Response> {
    let Create {
        kind,
        name,
        user_limit,
    } = call.fields()?;
    let group_id = lifecycle::create(app, &me, &kind, &name, user_limit.0)?;
    Ok(ok(Created { group_id }))
}

const JOIN: Doc = Doc::new("groupJoin", Tag::Group, "发起加入群组请求 Ask to join")
    .about("One pending request per user and group (312). Answers the new `request_id`.")
    .takes::<InGroup>()
    .gives::<Requested>()
    .codes(&[
        BadParam,
        GroupNotFound,
        GroupDismissed,
        AlreadyMember,
        AlreadyRequested,
        GroupFull,
    ]);

// The fields of a route about one group.
#[derive(Deserialize, JsonSchema)]
pub struct InGroup {
    pub group_id: Id,
}

#[derive(Serialize, JsonSchema)]
pub struct Requested {
    pub request_id: i64,
}

async fn join(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let request_id = lifecycle::join(app, &me, group_id.0)?;
    Ok(ok(Requested { request_id }))
}

const JOIN_REQUESTS: Doc = Doc::new(
    "groupJoinRequests",
    Tag::Group,
    "获取该用户管理的组的所有加入请求 Pending requests to my groups",
)
.about(
    "Pending requests to the active groups the caller manages, oldest first. The body is ignored.",
)
.gives::<JoinRequests>()
.codes(&[BadParam]);

#[derive(Serialize, JsonSchema)]
pub struct JoinRequests {
    pub join_requests: Vec<JoinRequest>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, extend("additionalProperties" = false))]
pub struct JoinRequest {
    pub id: i64,
    pub user_id: String,
    pub nickname: String,
    pub group_id: i64,
    pub group_name: String,
    pub time: Time,
}

async fn join_requests(app: &App, me: String, _call: Call) -> Result<Response> {
    let join_requests = lifecycle::inbox(app, &me)?
        .into_iter()
        .map(|r| JoinRequest {
            id: r.id,
            user_id: r.user_id,
            nickname: r.nickname,
            group_id: r.group_id,
            group_name: r.group_name,
            time: Time(app.format_time(r.created_at)),
        })
        .collect();
    Ok(ok(JoinRequests { join_requests }))
}

const PROCESS: Doc = Doc::new(
    "groupProcessJoinRequest",
    Tag::Group,
    "处理加入请求 Approve or reject a request",
)
.about("Managers only. Approving into a full group is 314 and leaves the request pending.")
.takes::<Process>()
.codes(&[
    BadParam,
    NoPermission,
    GroupDismissed,
    JoinRequestNotFound,
    GroupFull,
]);

#[derive(Deserialize, JsonSchema)]
pub struct Process {
    pub request_id: Id,
    pub action: Flag,
}

async fn process(app: &App, me: String, call: Call) -> Result<Response> {
    let Process { request_id, action } = call.fields()?;
    lifecycle::process(app, &me, request_id.0, action.0)?;
    Ok(success())
}

const NAME_HINT: Doc = Doc::new("groupNameHint", Tag::Search, "群组名提示 Group name hints")
    .about("Up to 10 names of active groups of `type` containing `key`, most popular first.")
    .takes::<Hint>()
    .gives::<Hints>()
    .codes(&[BadParam, UnknownGroupType]);

#[derive(Deserialize, JsonSchema)]
pub struct Hint {
    #[serde(rename = "type")]
    pub kind: String,
    /// at most 100 characters (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = 100))]
    pub key: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Hints {
    pub hints: Vec<String>,
}

async fn name_hint(app: &App, _me: String, call: Call) -> Result<Response> {
    let Hint { kind, key } = call.fields()?;
    let hints = search::name_hints(app, &kind, key.as_deref())?;
    Ok(ok(Hints { hints }))
}

const TAG_HINT: Doc = Doc::new("groupTagHint", Tag::Search, "群组标签提示 Group tag hints")
    .about("Up to 10 tag texts of groups of `type` containing `key`, most used first.")
    .takes::<Hint>()
    .gives::<Hints>()
    .codes(&[BadParam, UnknownGroupType]);

async fn tag_hint(app: &App, _me: String, call: Call) -> Result<Response> {
    let Hint { kind, key } = call.fields()?;
    let hints = search::tag_hints(app, &kind, key.as_deref())?;
    Ok(ok(Hints { hints }))
}

const SEARCH: Doc = Doc::new("groupSearch", Tag::Search, "搜索群组 Search groups")
    .about("Active groups of `type` matching `key` and `tags`, paged; `total` counts every match.")
    .takes::<Search>()
    .gives::<Found>()
    .codes(&[
        BadParam,
        UnknownGroupType,
        UnknownSortOrder,
        UnknownSortMethod,
    ]);

#[derive(Deserialize, JsonSchema)]
pub struct Search {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub filter: Filter,
}

// What both searches take besides `type`.
#[derive(Deserialize, JsonSchema)]
pub struct Filter {
    /// space-separated words, each must match name, intro or tags; at most 100 characters (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = 100))]
    pub key: Option<String>,
    /// every tag given must be on the group (whole match); at most 10 of at most 20 characters after trimming, as tags are (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", length(max = 10), inner(length(max = 20)))]
    pub tags: Option<Vec<String>>,
    /// default `COMPREHENSIVE` (353 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = ["COMPREHENSIVE", "RELATIVE", "TIME", "MEMBER"]))]
    pub sort_method: Option<String>,
    /// default `DESC` (352 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = ["ASC", "DESC"]))]
    pub sort_order: Option<String>,
    /// from 1 (default 1)
    #[serde(
        default,
        deserialize_with = "fields::blank_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 1))]
    pub page: Option<Id>,
    /// 1 to 100 (default 20)
    #[serde(
        default,
        deserialize_with = "fields::blank_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 1, max = 100))]
    pub page_size: Option<Id>,
}

impl From<Filter> for search::Filter {
    fn from(f: Filter) -> search::Filter {
        search::Filter {
            key: f.key,
            tags: f.tags.unwrap_or_default(),
            sort_method: f.sort_method,
            sort_order: f.sort_order,
            page: f.page.map(|id| id.0),
            page_size: f.page_size.map(|id| id.0),
        }
    }
}

/// A group as search results show it.
#[derive(Serialize, JsonSchema)]
pub struct GroupCard {
    pub id: i64,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_cnt: i64,
    pub user_limit: i64,
    pub time: Time,
}

impl GroupCard {
    fn of(app: &App, g: &Group) -> GroupCard {
        GroupCard {
            id: g.id,
            name: g.name.clone(),
            kind: g.kind.clone(),
            user_cnt: g.user_cnt,
            user_limit: g.user_limit,
            time: Time(app.format_time(g.created_at)),
        }
    }

    fn all(app: &App, groups: &[Group]) -> Vec<GroupCard> {
        groups.iter().map(|g| GroupCard::of(app, g)).collect()
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Found {
    pub groups: Vec<GroupCard>,
    #[schemars(range(min = 0))]
    pub total: i64,
}

async fn search_group(app: &App, _me: String, call: Call) -> Result<Response> {
    let Search { kind, filter } = call.fields()?;
    let filter = filter.into();
    let (groups, total) = costly::run(&*app.costly, || search::search_groups(app, &kind, &filter))?;
    Ok(ok(Found {
        groups: GroupCard::all(app, &groups),
        total,
    }))
}

const SEARCH_MINE: Doc = Doc::new("groupSearchMine", Tag::Search, "搜索我的群组 Search my groups")
    .about("The caller's groups; `type` may be `\"\"` for every type. `total` counts active matches; `dismissed_groups` lists every matching dismissed group.")
    .takes::<SearchMine>()
    .gives::<FoundMine>()
    .codes(&[BadParam, UnknownGroupType, UnknownSortOrder, UnknownSortMethod]);

#[derive(Deserialize, JsonSchema)]
pub struct SearchMine {
    /// a group type, or empty for all
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub filter: Filter,
}

#[derive(Serialize, JsonSchema)]
pub struct FoundMine {
    pub groups: Vec<GroupCard>,
    #[schemars(range(min = 0))]
    pub total: i64,
    pub dismissed_groups: Vec<GroupCard>,
}

async fn search_my_group(app: &App, me: String, call: Call) -> Result<Response> {
    let SearchMine { kind, filter } = call.fields()?;
    let filter = filter.into();
    let (groups, total, dismissed) =
        costly::run(&*app.costly, || search::my_groups(app, &me, &kind, &filter))?;
    Ok(ok(FoundMine {
        groups: GroupCard::all(app, &groups),
        total,
        dismissed_groups: GroupCard::all(app, &dismissed),
    }))
}

async fn edit_info(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::edit_info(app, &me, p.id("group_id")?, p.str("text")?)?;
    Ok(success())
}

async fn get_info(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (g, role) = profile::info(app, &me, p.id("group_id")?)?;
    Ok(ok(json!({
        "id": g.id,
        "type": g.kind,
        "name": g.name,
        "user_cnt": g.user_cnt,
        "user_limit": g.user_limit,
        "info": g.info,
        "time": app.format_time(g.created_at),
        "dismissed": g.is_dismissed(),
        "my_role": role.map(|r| r.name()),
    })))
}

async fn set_name(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::set_name(app, &me, p.id("group_id")?, p.str("name")?)?;
    Ok(success())
}

async fn add_avatar(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "avatar").await?;
    profile::set_avatar(app, &me, form.id("group_id")?, data).await?;
    Ok(success())
}

async fn get_avatar(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let group_id = p.id("group_id")?;
    let (etag, stored) = profile::avatar(app, group_id)?;
    let load = profile::load_avatar(app, group_id, stored, etag.clone());
    picture(&call.req, &etag, load).await
}

async fn pictures(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let ids: Vec<Value> = profile::picture_ids(app, p.id("group_id")?)?
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    Ok(ok(json!({ "pictures": ids })))
}

async fn get_picture(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let stored = profile::picture(app, p.id("group_id")?, p.id("pic_id")?)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}

async fn add_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "pic").await?;
    let id = profile::add_picture(app, &me, form.id("group_id")?, data).await?;
    Ok(ok(json!({ "pic_id": id })))
}

async fn delete_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::delete_picture(app, &me, p.id("group_id")?, p.id("pic_id")?).await?;
    Ok(success())
}

async fn tags(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let tags: Vec<Value> = profile::tags(app, p.id("group_id")?)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "tag_text": t.tag_text }))
        .collect();
    Ok(ok(json!({ "tags": tags })))
}

async fn add_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::add_tag(app, &me, p.id("group_id")?, p.str("tag_text")?)?;
    Ok(success())
}

async fn remove_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::remove_tag(app, &me, p.id("group_id")?, p.id("tag_id")?)?;
    Ok(success())
}

async fn edit_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (group, tag) = (p.id("group_id")?, p.id("tag_id")?);
    profile::edit_tag(app, &me, group, tag, p.str("tag_text")?)?;
    Ok(success())
}

async fn member_list(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (list, creator) = members::list(app, &me, p.id("group_id")?)?;
    let users: Vec<Value> = list
        .into_iter()
        .map(|m| {
            let is_creator = m.user_id == creator;
            json!({
                "user_id": m.user_id,
                "nickname": m.nickname,
                "is_admin": m.is_admin || is_creator,
                "is_creator": is_creator,
                "time": app.format_time(m.joined_at),
            })
        })
        .collect();
    Ok(ok(json!({ "users": users })))
}

async fn remove_member(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::remove(app, &me, p.id("group_id")?, &p.user_id("user_id")?).await?;
    Ok(success())
}

async fn set_member_nickname(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::set_nickname(app, &me, p.id("group_id")?, p.str("nickname")?)?;
    Ok(success())
}

async fn rate(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::rate(app, &me, p.id("group_id")?, p.array("rates")?)?;
    Ok(success())
}

async fn switch_admin(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let is_admin = members::switch_admin(app, &me, p.id("group_id")?, &p.user_id("user_id")?)?;
    Ok(ok(json!({ "is_admin": is_admin })))
}

async fn dismiss(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    lifecycle::dismiss(app, &me, p.id("group_id")?)?;
    Ok(success())
}

async fn exit(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    lifecycle::exit(app, &me, p.id("group_id")?).await?;
    Ok(success())
}

async fn announcement_list(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let list: Vec<Value> = announcements::list(app, &me, p.id("group_id")?)?
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "title": a.title,
                "time": app.format_time(a.created_at),
                "has_pic": a.has_pic,
            })
        })
        .collect();
    Ok(ok(json!({ "announcements": list })))
}

async fn announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let a = announcements::get(app, &me, p.id("group_id")?, p.id("announcement_id")?)?;
    Ok(ok(json!({
        "announcement": {
            "id": a.id,
            "title": a.title,
            "text": a.text,
            "author_id": a.author_id,
            "time": app.format_time(a.created_at),
            "edit_time": app.format_time(a.updated_at),
            "has_pic": a.has_pic,
        }
    })))
}

async fn add_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let id = announcements::add(app, &me, p.id("group_id")?, p.str("title")?, p.str("text")?)?;
    Ok(ok(json!({ "announcement_id": id })))
}

async fn edit_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (group, id) = (p.id("group_id")?, p.id("announcement_id")?);
    announcements::edit(app, &me, group, id, p.str("title")?, p.str("text")?)?;
    Ok(success())
}

async fn delete_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    announcements::delete(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn set_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "pic").await?;
    let (group, id) = (form.id("group_id")?, form.id("announcement_id")?);
    announcements::set_picture(app, &me, group, id, data).await?;
    Ok(success())
}

async fn delete_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    announcements::delete_picture(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn get_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let stored = announcements::picture(app, &me, p.id("group_id")?, p.id("announcement_id")?)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}
