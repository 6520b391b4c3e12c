//! `/group` (except `/group/internal/files`): groups, join requests, search, profile, members,
//! settings and announcements.

use bytes::Bytes;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::doc::{Doc, Gives, Tag};
use super::table::{user, Call};
use super::{ok, picture, success, Route};
use crate::app::App;
use crate::body::{Request, Response};
use crate::db::groups::Group;
use crate::error::Code::*;
use crate::error::{Code, Error, Result};
use crate::fields::{self, Flag, Id, Time, UserRef};
use crate::groups::{announcements, lifecycle, members, profile, Role};
use crate::ids::{AnnouncementId, GroupId, PictureId, RequestId, TagId};
use crate::limits::Action;
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

    Route::post("/group/internal/info/text/edit", user!(edit_info)).doc(&EDIT_INFO),
    Route::post("/group/internal/info/text/get", user!(get_info)).doc(&GET_INFO),
    Route::post("/group/internal/info/text/set_name", user!(set_name)).doc(&SET_NAME),
    Route::post("/group/internal/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload)
        .doc(&ADD_AVATAR),
    Route::get("/group/internal/info/avatar/get", user!(get_avatar)).doc(&GET_AVATAR),
    Route::post("/group/internal/info/picture/getAll", user!(pictures)).doc(&PICTURES),
    Route::get("/group/internal/info/picture/get", user!(get_picture)).doc(&GET_PICTURE),
    Route::post("/group/internal/info/picture/add", user!(add_picture))
        .raw_body()
        .limited(Action::Upload)
        .doc(&ADD_PICTURE),
    Route::post("/group/internal/info/picture/del", user!(delete_picture)).doc(&DELETE_PICTURE),
    Route::post("/group/internal/info/tag/get", user!(tags)).doc(&TAGS),
    Route::post("/group/internal/info/tag/add", user!(add_tag)).doc(&ADD_TAG),
    Route::post("/group/internal/info/tag/remove", user!(remove_tag)).doc(&REMOVE_TAG),
    Route::post("/group/internal/info/tag/edit", user!(edit_tag)).doc(&EDIT_TAG),

    Route::post("/group/internal/member/get", user!(member_list)).doc(&MEMBERS),
    Route::post("/group/internal/member/remove", user!(remove_member)).doc(&REMOVE_MEMBER),
    Route::post("/group/internal/member/setNickname", user!(set_member_nickname))
        .doc(&SET_MEMBER_NICKNAME),
    Route::post("/group/internal/member/rate", user!(rate)).doc(&RATE),
    Route::post("/group/internal/member/switchAdmin", user!(switch_admin)).doc(&SWITCH_ADMIN),

    Route::post("/group/internal/setting/dismiss", user!(dismiss)).doc(&DISMISS),
    Route::post("/group/internal/setting/exit", user!(exit)).doc(&EXIT),

    Route::post("/group/internal/announcement/getAll", user!(announcement_list))
        .doc(&ANNOUNCEMENTS),
    Route::post("/group/internal/announcement/get", user!(announcement)).doc(&ANNOUNCEMENT),
    Route::post("/group/internal/announcement/add", user!(add_announcement)).doc(&ADD_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/edit", user!(edit_announcement))
        .doc(&EDIT_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/delete", user!(delete_announcement))
        .doc(&DELETE_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/setPic", user!(set_announcement_picture))
        .raw_body()
        .limited(Action::Upload)
        .doc(&SET_ANNOUNCEMENT_PICTURE),
    Route::post("/group/internal/announcement/delPic", user!(delete_announcement_picture))
        .doc(&DELETE_ANNOUNCEMENT_PICTURE),
    Route::get("/group/internal/announcement/getPic", user!(get_announcement_picture))
        .doc(&GET_ANNOUNCEMENT_PICTURE),
];

/// A `wx.uploadFile` picture upload: its form fields as a `T`, and the picture in `field`.
async fn upload<T: DeserializeOwned>(req: Request, field: &str) -> Result<(T, Bytes)> {
    let form = multipart::read_small(req, field, imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = form.file.ok_or_else(|| Error::param(field))?;
    Ok((form.fields.into_typed()?, file.data))
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
    #[schemars(length(min = 1, max = lifecycle::NAME_MAX))]
    pub name: String,
    #[schemars(with = "i64", range(min = lifecycle::USER_LIMIT_MIN, max = lifecycle::USER_LIMIT_MAX))]
    pub user_limit: Id,
}

#[derive(Serialize, JsonSchema)]
pub struct Created {
    pub group_id: GroupId,
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
    pub group_id: GroupId,
}

#[derive(Serialize, JsonSchema)]
pub struct Requested {
    pub request_id: RequestId,
}

async fn join(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let request_id = lifecycle::join(app, &me, group_id)?;
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
#[schemars(inline)]
pub struct JoinRequest {
    pub id: RequestId,
    pub user_id: String,
    pub nickname: String,
    pub group_id: GroupId,
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
    pub request_id: RequestId,
    pub action: Flag,
}

async fn process(app: &App, me: String, call: Call) -> Result<Response> {
    let Process { request_id, action } = call.fields()?;
    lifecycle::process(app, &me, request_id, action.0)?;
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
    #[schemars(with = "String", length(max = search::KEY_LIMIT))]
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
    #[schemars(with = "String", length(max = search::KEY_LIMIT))]
    pub key: Option<String>,
    /// every tag given must be on the group (whole match); at most 10 of at most 20 characters after trimming, as tags are (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", length(max = profile::TAGS_MAX), inner(length(max = profile::TAG_MAX)))]
    pub tags: Option<Vec<String>>,
    /// default `COMPREHENSIVE` (353 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = search::SortMethod::NAMES))]
    pub sort_method: Option<String>,
    /// default `DESC` (352 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = search::SORT_ORDERS))]
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
    #[schemars(with = "i64", range(min = 1, max = search::PAGE_SIZE_MAX))]
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
    pub id: GroupId,
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

const EDIT_INFO: Doc = Doc::new(
    "groupEditInfo",
    Tag::GroupInfo,
    "编辑群组简介 Edit the intro",
)
.about("Managers. Trimmed, up to 1,000 characters, may be empty.")
.takes::<EditInfo>()
.codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

#[derive(Deserialize, JsonSchema)]
pub struct EditInfo {
    pub group_id: GroupId,
    #[schemars(length(max = profile::INFO_MAX))]
    pub text: String,
}

async fn edit_info(app: &App, me: String, call: Call) -> Result<Response> {
    let EditInfo { group_id, text } = call.fields()?;
    profile::edit_info(app, &me, group_id, &text)?;
    Ok(success())
}

const GET_INFO: Doc = Doc::new(
    "groupGetInfo",
    Tag::GroupInfo,
    "查看群组信息和简介 A group's page",
)
.about("Anyone signed in. `my_role` is `creator`, `admin`, `member` or null.")
.takes::<InGroup>()
.gives::<GroupPage>()
.codes(&[BadParam, GroupNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct GroupPage {
    pub id: GroupId,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub user_cnt: i64,
    pub user_limit: i64,
    pub info: String,
    pub time: Time,
    pub dismissed: bool,
    pub my_role: Option<MyRole>,
}

// The caller's role in a group.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum MyRole {
    Creator,
    Admin,
    Member,
}

impl From<Role> for MyRole {
    fn from(role: Role) -> MyRole {
        match role {
            Role::Creator => MyRole::Creator,
            Role::Admin => MyRole::Admin,
            Role::Member => MyRole::Member,
        }
    }
}

async fn get_info(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let (g, role) = profile::info(app, &me, group_id)?;
    Ok(ok(GroupPage {
        id: g.id,
        time: Time(app.format_time(g.created_at)),
        dismissed: g.is_dismissed(),
        kind: g.kind,
        name: g.name,
        user_cnt: g.user_cnt,
        user_limit: g.user_limit,
        info: g.info,
        my_role: role.map(MyRole::from),
    }))
}

const SET_NAME: Doc = Doc::new(
    "groupSetName",
    Tag::GroupInfo,
    "设置群组名 Rename the group",
)
.about("Creator only. Trimmed, 1 to 30 characters, without bidirectional controls (101).")
.takes::<SetName>()
.codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

#[derive(Deserialize, JsonSchema)]
pub struct SetName {
    pub group_id: GroupId,
    #[schemars(length(min = 1, max = lifecycle::NAME_MAX))]
    pub name: String,
}

async fn set_name(app: &App, me: String, call: Call) -> Result<Response> {
    let SetName { group_id, name } = call.fields()?;
    profile::set_name(app, &me, group_id, &name)?;
    Ok(success())
}

const ADD_AVATAR: Doc = Doc::new(
    "groupAddAvatar",
    Tag::GroupInfo,
    "添加群组头像 Upload the group avatar",
)
.about("Managers. Same picture rules as the user avatar.")
.form::<InGroup>("avatar")
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    BadPicture,
]);

async fn add_avatar(app: &App, me: String, call: Call) -> Result<Response> {
    let (InGroup { group_id }, data) = upload(call.req, "avatar").await?;
    profile::set_avatar(app, &me, group_id, data).await?;
    Ok(success())
}

const GET_AVATAR: Doc = Doc::new(
    "groupGetAvatar",
    Tag::GroupInfo,
    "获取群组头像 The group avatar",
)
.about("Anyone signed in; an identicon without an uploaded avatar.")
.takes::<InGroup>()
.answers(Gives::Picture)
.codes(&[BadParam, GroupNotFound]);

async fn get_avatar(app: &App, _me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let (etag, stored) = profile::avatar(app, group_id)?;
    let load = profile::load_avatar(app, group_id, stored, etag.clone());
    picture(&call.req, &etag, load).await
}

const PICTURES: Doc = Doc::new(
    "groupPictures",
    Tag::GroupInfo,
    "获取所有照片id Intro picture ids",
)
.about("Anyone signed in.")
.takes::<InGroup>()
.gives::<Pictures>()
.codes(&[BadParam, GroupNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct Pictures {
    pub pictures: Vec<PictureEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct PictureEntry {
    pub id: PictureId,
}

async fn pictures(app: &App, _me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let pictures = profile::picture_ids(app, group_id)?
        .into_iter()
        .map(|id| PictureEntry { id })
        .collect();
    Ok(ok(Pictures { pictures }))
}

const GET_PICTURE: Doc = Doc::new(
    "groupGetPicture",
    Tag::GroupInfo,
    "获取照片 An intro picture",
)
.about("Anyone signed in.")
.takes::<PictureRef>()
.answers(Gives::Picture)
.codes(&[BadParam, GroupNotFound, PictureNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct PictureRef {
    pub group_id: GroupId,
    pub pic_id: PictureId,
}

async fn get_picture(app: &App, _me: String, call: Call) -> Result<Response> {
    let PictureRef { group_id, pic_id } = call.fields()?;
    let stored = profile::picture(app, group_id, pic_id)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}

const ADD_PICTURE: Doc = Doc::new(
    "groupAddPicture",
    Tag::GroupInfo,
    "添加图片 Add an intro picture",
)
.about("Managers; at most 9 pictures (331). Answers the new `pic_id`.")
.form::<InGroup>("pic")
.gives::<PictureAdded>()
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    PicturesFull,
    BadPicture,
]);

#[derive(Serialize, JsonSchema)]
pub struct PictureAdded {
    pub pic_id: PictureId,
}

async fn add_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (InGroup { group_id }, data) = upload(call.req, "pic").await?;
    let pic_id = profile::add_picture(app, &me, group_id, data).await?;
    Ok(ok(PictureAdded { pic_id }))
}

const DELETE_PICTURE: Doc = Doc::new(
    "groupDeletePicture",
    Tag::GroupInfo,
    "移除照片 Remove an intro picture",
)
.about("Managers.")
.takes::<PictureRef>()
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    PictureNotFound,
]);

async fn delete_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let PictureRef { group_id, pic_id } = call.fields()?;
    profile::delete_picture(app, &me, group_id, pic_id).await?;
    Ok(success())
}

const TAGS: Doc = Doc::new(
    "groupGetTags",
    Tag::GroupInfo,
    "获取群组标签 The group's tags",
)
.about("Anyone signed in.")
.takes::<InGroup>()
.gives::<Tags>()
.codes(&[BadParam, GroupNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct Tags {
    pub tags: Vec<TagEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct TagEntry {
    pub id: TagId,
    pub tag_text: String,
}

async fn tags(app: &App, _me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let tags = profile::tags(app, group_id)?
        .into_iter()
        .map(|t| TagEntry {
            id: t.id,
            tag_text: t.tag_text,
        })
        .collect();
    Ok(ok(Tags { tags }))
}

const ADD_TAG: Doc = Doc::new("groupAddTag", Tag::GroupInfo, "添加群组标签 Add a group tag")
    .about("Managers. Trimmed, 1 to 20 characters (empty: 362), at most 10 (363), unique in the group (101).")
    .takes::<AddTag>()
    .codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed, GroupTagEmpty, GroupTagsFull]);

#[derive(Deserialize, JsonSchema)]
pub struct AddTag {
    pub group_id: GroupId,
    #[schemars(length(max = profile::TAG_MAX))]
    pub tag_text: String,
}

async fn add_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let AddTag { group_id, tag_text } = call.fields()?;
    profile::add_tag(app, &me, group_id, &tag_text)?;
    Ok(success())
}

const REMOVE_TAG: Doc = Doc::new(
    "groupRemoveTag",
    Tag::GroupInfo,
    "删除群组标签 Remove a group tag",
)
.about("Managers.")
.takes::<TagRef>()
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    GroupTagNotFound,
]);

#[derive(Deserialize, JsonSchema)]
pub struct TagRef {
    pub group_id: GroupId,
    pub tag_id: TagId,
}

async fn remove_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let TagRef { group_id, tag_id } = call.fields()?;
    profile::remove_tag(app, &me, group_id, tag_id)?;
    Ok(success())
}

const EDIT_TAG: Doc = Doc::new(
    "groupEditTag",
    Tag::GroupInfo,
    "编辑群组标签 Edit a group tag",
)
.about("Managers (the doc repeats `tag/add` by mistake; the contract fixes it to `tag/edit`).")
.takes::<EditTag>()
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    GroupTagNotFound,
    GroupTagEmpty,
]);

#[derive(Deserialize, JsonSchema)]
pub struct EditTag {
    pub group_id: GroupId,
    pub tag_id: TagId,
    #[schemars(length(max = profile::TAG_MAX))]
    pub tag_text: String,
}

async fn edit_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let EditTag {
        group_id,
        tag_id,
        tag_text,
    } = call.fields()?;
    profile::edit_tag(app, &me, group_id, tag_id, &tag_text)?;
    Ok(success())
}

const MEMBERS: Doc = Doc::new("groupMembers", Tag::GroupMember, "获取小组成员 Members")
    .about("Members only. The creator comes first, with `is_admin` and `is_creator` true; `nickname` is the in-group nickname when set.")
    .takes::<InGroup>()
    .gives::<Members>()
    .codes(&[BadParam, GroupNotFound, NoPermission]);

#[derive(Serialize, JsonSchema)]
pub struct Members {
    pub users: Vec<MemberEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct MemberEntry {
    pub user_id: String,
    pub nickname: String,
    pub is_admin: bool,
    pub is_creator: bool,
    pub time: Time,
}

async fn member_list(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let (list, creator) = members::list(app, &me, group_id)?;
    let users = list
        .into_iter()
        .map(|m| {
            let is_creator = m.user_id == creator;
            MemberEntry {
                time: Time(app.format_time(m.joined_at)),
                is_admin: m.is_admin || is_creator,
                is_creator,
                user_id: m.user_id,
                nickname: m.nickname,
            }
        })
        .collect();
    Ok(ok(Members { users }))
}

const REMOVE_MEMBER: Doc = Doc::new("groupRemoveMember", Tag::GroupMember, "移除组员 Remove a member")
    .about("Admins remove ordinary members; only the creator removes admins; nobody removes the creator or themselves (303).")
    .takes::<MemberRef>()
    .codes(&[BadParam, GroupNotFound, GroupUserNotFound, NoPermission, GroupDismissed]);

#[derive(Deserialize, JsonSchema)]
pub struct MemberRef {
    pub group_id: GroupId,
    pub user_id: UserRef,
}

async fn remove_member(app: &App, me: String, call: Call) -> Result<Response> {
    let MemberRef { group_id, user_id } = call.fields()?;
    let target = user_id.required("user_id")?;
    members::remove(app, &me, group_id, &target).await?;
    Ok(success())
}

const SET_MEMBER_NICKNAME: Doc = Doc::new(
    "groupSetMemberNickname",
    Tag::GroupMember,
    "设置组内昵称 My in-group nickname",
)
.about("Account nickname rules (empty: 201).")
.takes::<SetNickname>()
.codes(&[
    BadParam,
    NicknameEmpty,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
]);

#[derive(Deserialize, JsonSchema)]
pub struct SetNickname {
    pub group_id: GroupId,
    #[schemars(length(max = crate::profiles::NICKNAME_MAX))]
    pub nickname: String,
}

async fn set_member_nickname(app: &App, me: String, call: Call) -> Result<Response> {
    let SetNickname { group_id, nickname } = call.fields()?;
    members::set_nickname(app, &me, group_id, &nickname)?;
    Ok(success())
}

const RATE: Doc = Doc::new("groupRate", Tag::GroupMember, "对小组其他成员评分 Rate members")
    .about("Only in a dismissed group (303 before), once (322). `rates` must not be empty; each target another member listed once (323); `star_rating` 0 to 10 (321). Checked whole before anything is written.")
    .takes::<Rate>()
    .codes(&[BadParam, GroupNotFound, NoPermission, RatingOutOfRange, AlreadyRated, BadRatingTarget]);

#[derive(Deserialize, JsonSchema)]
pub struct Rate {
    pub group_id: GroupId,
    #[schemars(length(min = 1))]
    pub rates: Vec<Rating>,
}

#[derive(Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct Rating {
    pub user_id: UserRef,
    pub star_rating: Stars,
}

/// A rating: a JSON number or a decimal string (finite); its range is the domain's check (321).
pub struct Stars(pub f64);

impl<'de> Deserialize<'de> for Stars {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Stars, D::Error> {
        let bad = || serde::de::Error::custom("应为数字");
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n.as_f64().map(Stars).ok_or_else(bad),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(Stars)
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl JsonSchema for Stars {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Stars".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "number", "minimum": 0, "maximum": 10 })
    }
}

async fn rate(app: &App, me: String, call: Call) -> Result<Response> {
    let Rate { group_id, rates } = call.fields()?;
    let rates: Vec<members::Rating> = rates
        .into_iter()
        .map(|r| members::Rating {
            user_id: r.user_id.0,
            stars: r.star_rating.0,
        })
        .collect();
    members::rate(app, &me, group_id, &rates)?;
    Ok(success())
}

const SWITCH_ADMIN: Doc = Doc::new(
    "groupSwitchAdmin",
    Tag::GroupMember,
    "设置小组成员管理员 Toggle admin",
)
.about("Creator only; answers the member's new `is_admin`.")
.takes::<MemberRef>()
.gives::<AdminSwitched>()
.codes(&[
    BadParam,
    GroupNotFound,
    GroupUserNotFound,
    NoPermission,
    GroupDismissed,
]);

#[derive(Serialize, JsonSchema)]
pub struct AdminSwitched {
    pub is_admin: bool,
}

async fn switch_admin(app: &App, me: String, call: Call) -> Result<Response> {
    let MemberRef { group_id, user_id } = call.fields()?;
    let target = user_id.required("user_id")?;
    let is_admin = members::switch_admin(app, &me, group_id, &target)?;
    Ok(ok(AdminSwitched { is_admin }))
}

const DISMISS: Doc = Doc::new(
    "groupDismiss",
    Tag::GroupSetting,
    "解散组队 Dismiss the group",
)
.about("Creator only. The group becomes read-only and leaves search.")
.takes::<InGroup>()
.codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

async fn dismiss(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    lifecycle::dismiss(app, &me, group_id)?;
    Ok(success())
}

const EXIT: Doc = Doc::new("groupExit", Tag::GroupSetting, "退出组队 Leave the group")
    .about("The creator cannot (315).")
    .takes::<InGroup>()
    .codes(&[
        BadParam,
        GroupNotFound,
        NoPermission,
        GroupDismissed,
        CreatorCannotExit,
    ]);

async fn exit(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    lifecycle::exit(app, &me, group_id).await?;
    Ok(success())
}

const ANNOUNCEMENTS: Doc = Doc::new(
    "announcementList",
    Tag::Announcement,
    "获取所有公告 Announcements",
)
.about("Members only.")
.takes::<InGroup>()
.gives::<Announcements>()
.codes(&[BadParam, GroupNotFound, NoPermission]);

#[derive(Serialize, JsonSchema)]
pub struct Announcements {
    pub announcements: Vec<AnnouncementEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct AnnouncementEntry {
    pub id: AnnouncementId,
    pub title: String,
    pub time: Time,
    pub has_pic: bool,
}

async fn announcement_list(app: &App, me: String, call: Call) -> Result<Response> {
    let InGroup { group_id } = call.fields()?;
    let announcements = announcements::list(app, &me, group_id)?
        .into_iter()
        .map(|a| AnnouncementEntry {
            id: a.id,
            title: a.title,
            time: Time(app.format_time(a.created_at)),
            has_pic: a.has_pic,
        })
        .collect();
    Ok(ok(Announcements { announcements }))
}

const ANNOUNCEMENT: Doc = Doc::new(
    "announcementGet",
    Tag::Announcement,
    "获取公告信息 One announcement",
)
.about("Members only; an unknown announcement is 101.")
.takes::<AnnouncementRef>()
.gives::<OneAnnouncement>()
.codes(&[BadParam, GroupNotFound, NoPermission]);

#[derive(Deserialize, JsonSchema)]
pub struct AnnouncementRef {
    pub group_id: GroupId,
    pub announcement_id: AnnouncementId,
}

#[derive(Serialize, JsonSchema)]
pub struct OneAnnouncement {
    pub announcement: AnnouncementPage,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct AnnouncementPage {
    pub id: AnnouncementId,
    pub title: String,
    pub text: String,
    pub author_id: String,
    pub time: Time,
    pub edit_time: Time,
    pub has_pic: bool,
}

async fn announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let AnnouncementRef {
        group_id,
        announcement_id,
    } = call.fields()?;
    let a = announcements::get(app, &me, group_id, announcement_id)?;
    Ok(ok(OneAnnouncement {
        announcement: AnnouncementPage {
            id: a.id,
            title: a.title,
            text: a.text,
            author_id: a.author_id,
            time: Time(app.format_time(a.created_at)),
            edit_time: Time(app.format_time(a.updated_at)),
            has_pic: a.has_pic,
        },
    }))
}

const ADD_ANNOUNCEMENT: Doc = Doc::new("announcementAdd", Tag::Announcement, "发布公告 Publish")
    .about(
        "Managers. Title 1 to 50, text 1 to 5,000 characters. Answers the new `announcement_id`.",
    )
    .takes::<AddAnnouncement>()
    .gives::<Published>()
    .codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

#[derive(Deserialize, JsonSchema)]
pub struct AddAnnouncement {
    pub group_id: GroupId,
    #[schemars(length(min = 1, max = announcements::TITLE_MAX))]
    pub title: String,
    #[schemars(length(min = 1, max = announcements::TEXT_MAX))]
    pub text: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Published {
    pub announcement_id: AnnouncementId,
}

async fn add_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let AddAnnouncement {
        group_id,
        title,
        text,
    } = call.fields()?;
    let announcement_id = announcements::add(app, &me, group_id, &title, &text)?;
    Ok(ok(Published { announcement_id }))
}

const EDIT_ANNOUNCEMENT: Doc = Doc::new("announcementEdit", Tag::Announcement, "编辑公告 Edit")
    .about("Managers; an unknown announcement is 101.")
    .takes::<EditAnnouncement>()
    .codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

#[derive(Deserialize, JsonSchema)]
pub struct EditAnnouncement {
    pub announcement_id: AnnouncementId,
    pub group_id: GroupId,
    #[schemars(length(min = 1, max = announcements::TITLE_MAX))]
    pub title: String,
    #[schemars(length(min = 1, max = announcements::TEXT_MAX))]
    pub text: String,
}

async fn edit_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let EditAnnouncement {
        announcement_id,
        group_id,
        title,
        text,
    } = call.fields()?;
    announcements::edit(app, &me, group_id, announcement_id, &title, &text)?;
    Ok(success())
}

const DELETE_ANNOUNCEMENT: Doc =
    Doc::new("announcementDelete", Tag::Announcement, "删除公告 Delete")
        .about("Managers; an unknown announcement is 101.")
        .takes::<AnnouncementRef>()
        .codes(&[BadParam, GroupNotFound, NoPermission, GroupDismissed]);

async fn delete_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let AnnouncementRef {
        group_id,
        announcement_id,
    } = call.fields()?;
    announcements::delete(app, &me, group_id, announcement_id).await?;
    Ok(success())
}

const SET_ANNOUNCEMENT_PICTURE: Doc = Doc::new(
    "announcementSetPicture",
    Tag::Announcement,
    "设置公告图片 Set the picture",
)
.about("Managers; replaces any earlier picture.")
.form::<AnnouncementRef>("pic")
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    BadPicture,
]);

async fn set_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload::<AnnouncementRef>(call.req, "pic").await?;
    let (group, id) = (form.group_id, form.announcement_id);
    announcements::set_picture(app, &me, group, id, data).await?;
    Ok(success())
}

const DELETE_ANNOUNCEMENT_PICTURE: Doc = Doc::new(
    "announcementDeletePicture",
    Tag::Announcement,
    "删除公告图片 Remove the picture",
)
.about("Managers; 332 when there is none.")
.takes::<AnnouncementRef>()
.codes(&[
    BadParam,
    GroupNotFound,
    NoPermission,
    GroupDismissed,
    PictureNotFound,
]);

async fn delete_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let AnnouncementRef {
        group_id,
        announcement_id,
    } = call.fields()?;
    announcements::delete_picture(app, &me, group_id, announcement_id).await?;
    Ok(success())
}

const GET_ANNOUNCEMENT_PICTURE: Doc = Doc::new(
    "announcementGetPicture",
    Tag::Announcement,
    "获取公告图片 The picture",
)
.about("Members only; 332 when there is none.")
.takes::<AnnouncementRef>()
.answers(Gives::Picture)
.codes(&[BadParam, GroupNotFound, NoPermission, PictureNotFound]);

async fn get_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let AnnouncementRef {
        group_id,
        announcement_id,
    } = call.fields()?;
    let stored = announcements::picture(app, &me, group_id, announcement_id)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::params::Params;

    fn read<T: DeserializeOwned>(body: Value) -> Result<T> {
        Params::from_json(body.to_string().as_bytes())?.into_typed()
    }

    #[test]
    fn requests_take_what_the_params_took() {
        let search: Search =
            read(json!({"type": "学习", "page": "", "page_size": "5", "key": null}))
                .expect("a search");
        let filter = search::Filter::from(search.filter);
        assert_eq!(
            (filter.page, filter.page_size, filter.key),
            (None, Some(5), None)
        );
        let process: Process = read(json!({"request_id": "3", "action": "0"})).expect("process");
        assert_eq!(
            (process.request_id, process.action),
            (RequestId(3), Flag(false))
        );
        let rate: Rate =
            read(json!({"group_id": 1, "rates": [{"user_id": 7, "star_rating": " 8.5 "}]}))
                .expect("a rating");
        assert_eq!(
            (
                rate.rates[0].user_id.0.as_str(),
                rate.rates[0].star_rating.0
            ),
            ("7", 8.5)
        );
        for bad in [
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": "很好"}]}),
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": null}]}),
            json!({"group_id": 1, "rates": [{"user_id": "u", "star_rating": "inf"}]}),
            json!({"group_id": 1, "rates": {}}),
        ] {
            let err = read::<Rate>(bad.clone()).err().expect("refused");
            assert_eq!(err.code(), Code::BadParam, "{bad}");
        }
        let err = read::<Search>(json!({"type": "学习", "tags": [1]})).err();
        assert_eq!(err.map(|e| e.code()), Some(Code::BadParam));
        let err = read::<Create>(json!({"type": "学习", "name": 5, "user_limit": 3})).err();
        assert_eq!(err.map(|e| e.code()), Some(Code::BadParam));
    }

    #[test]
    fn an_empty_user_id_is_missing() {
        let member: MemberRef = read(json!({"group_id": 1, "user_id": " "})).expect("parsed");
        let err = member.user_id.required("user_id").unwrap_err();
        assert_eq!(err.code(), Code::BadParam);
        assert!(err.client_message().contains("user_id"));
        assert_eq!(UserRef("u".into()).required("user_id").unwrap(), "u");
    }
}
