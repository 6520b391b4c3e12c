//! A group's public page: intro, name, avatar, pictures and tags.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::upload;
use super::InGroup;
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::Time;
use crate::groups::{lifecycle, profile, Access, Role};
use crate::ids::{GroupId, PictureId, TagId, UserId};
use crate::limits::Action;
use crate::routes::doc::{Doc, Gives, Tag};
use crate::routes::table::{typed, user, Call};
use crate::routes::{ok, picture, success, Route};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/internal/info/text/edit", typed!(edit_info)).doc(&EDIT_INFO),
    Route::post("/group/internal/info/text/get", typed!(get_info)).doc(&GET_INFO),
    Route::post("/group/internal/info/text/set_name", typed!(set_name)).doc(&SET_NAME),
    Route::post("/group/internal/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload)
        .doc(&ADD_AVATAR),
    Route::get("/group/internal/info/avatar/get", user!(get_avatar)).doc(&GET_AVATAR),
    Route::post("/group/internal/info/picture/getAll", typed!(pictures)).doc(&PICTURES),
    Route::get("/group/internal/info/picture/get", user!(get_picture)).doc(&GET_PICTURE),
    Route::post("/group/internal/info/picture/add", user!(add_picture))
        .raw_body()
        .limited(Action::Upload)
        .doc(&ADD_PICTURE),
    Route::post("/group/internal/info/picture/del", typed!(delete_picture)).doc(&DELETE_PICTURE),
    Route::post("/group/internal/info/tag/get", typed!(tags)).doc(&TAGS),
    Route::post("/group/internal/info/tag/add", typed!(add_tag)).doc(&ADD_TAG),
    Route::post("/group/internal/info/tag/remove", typed!(remove_tag)).doc(&REMOVE_TAG),
    Route::post("/group/internal/info/tag/edit", typed!(edit_tag)).doc(&EDIT_TAG),
];

const EDIT_INFO: Doc = Doc::new(
    "groupEditInfo",
    Tag::GroupInfo,
    "编辑群组简介 Edit the intro",
)
.about("Managers. Trimmed, up to 1,000 characters, may be empty.")
.takes::<EditInfo>()
.checks(Access::WRITES)
.judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct EditInfo {
    pub group_id: GroupId,
    #[schemars(length(max = profile::INFO_MAX))]
    pub text: String,
}

async fn edit_info(app: &App, me: UserId, EditInfo { group_id, text }: EditInfo) -> Result<()> {
    profile::edit_info(app, &me, group_id, &text).await
}

const GET_INFO: Doc = Doc::new(
    "groupGetInfo",
    Tag::GroupInfo,
    "查看群组信息和简介 A group's page",
)
.about("Anyone signed in. `my_role` is `creator`, `admin`, `member` or null.")
.takes::<InGroup>()
.gives::<GroupPage>()
.checks(Access::LOADS);

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
    pub my_role: Option<Role>,
}

async fn get_info(app: &App, me: UserId, InGroup { group_id }: InGroup) -> Result<GroupPage> {
    let (g, role) = profile::info(app, &me, group_id)?;
    Ok(GroupPage {
        id: g.id,
        time: Time(app.format_time(g.created_at)),
        dismissed: g.is_dismissed(),
        kind: g.kind,
        name: g.name,
        user_cnt: g.user_cnt,
        user_limit: g.user_limit,
        info: g.info,
        my_role: role,
    })
}

const SET_NAME: Doc = Doc::new(
    "groupSetName",
    Tag::GroupInfo,
    "设置群组名 Rename the group",
)
.about("Creator only. Trimmed, 1 to 30 characters, without bidirectional controls (101).")
.takes::<SetName>()
.checks(Access::WRITES)
.judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct SetName {
    pub group_id: GroupId,
    #[schemars(length(min = 1, max = lifecycle::NAME_MAX))]
    pub name: String,
}

async fn set_name(app: &App, me: UserId, SetName { group_id, name }: SetName) -> Result<()> {
    profile::set_name(app, &me, group_id, &name).await
}

const ADD_AVATAR: Doc = Doc::new(
    "groupAddAvatar",
    Tag::GroupInfo,
    "添加群组头像 Upload the group avatar",
)
.about("Managers. Same picture rules as the user avatar.")
.form::<InGroup>("avatar")
.checks(Access::WRITES)
.codes(&[BadPicture]);

async fn add_avatar(app: &App, me: UserId, call: Call) -> Result<Response> {
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
.checks(Access::LOADS);

async fn get_avatar(app: &App, _me: UserId, call: Call) -> Result<Response> {
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
.checks(Access::LOADS);

#[derive(Serialize, JsonSchema)]
pub struct Pictures {
    pub pictures: Vec<PictureEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct PictureEntry {
    pub id: PictureId,
}

async fn pictures(app: &App, _me: UserId, InGroup { group_id }: InGroup) -> Result<Pictures> {
    let pictures = profile::picture_ids(app, group_id)?
        .into_iter()
        .map(|id| PictureEntry { id })
        .collect();
    Ok(Pictures { pictures })
}

const GET_PICTURE: Doc = Doc::new(
    "groupGetPicture",
    Tag::GroupInfo,
    "获取照片 An intro picture",
)
.about("Anyone signed in.")
.takes::<PictureRef>()
.answers(Gives::Picture)
.checks(Access::LOADS)
.codes(&[PictureNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct PictureRef {
    pub group_id: GroupId,
    pub pic_id: PictureId,
}

async fn get_picture(app: &App, _me: UserId, call: Call) -> Result<Response> {
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
.checks(Access::WRITES)
.codes(&[PicturesFull, BadPicture]);

#[derive(Serialize, JsonSchema)]
pub struct PictureAdded {
    pub pic_id: PictureId,
}

async fn add_picture(app: &App, me: UserId, call: Call) -> Result<Response> {
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
.checks(Access::WRITES)
.codes(&[PictureNotFound]);

async fn delete_picture(
    app: &App,
    me: UserId,
    PictureRef { group_id, pic_id }: PictureRef,
) -> Result<()> {
    profile::delete_picture(app, &me, group_id, pic_id).await
}

const TAGS: Doc = Doc::new(
    "groupGetTags",
    Tag::GroupInfo,
    "获取群组标签 The group's tags",
)
.about("Anyone signed in.")
.takes::<InGroup>()
.gives::<Tags>()
.checks(Access::LOADS);

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

async fn tags(app: &App, _me: UserId, InGroup { group_id }: InGroup) -> Result<Tags> {
    let tags = profile::tags(app, group_id)?
        .into_iter()
        .map(|t| TagEntry {
            id: t.id,
            tag_text: t.tag_text,
        })
        .collect();
    Ok(Tags { tags })
}

const ADD_TAG: Doc = Doc::new("groupAddTag", Tag::GroupInfo, "添加群组标签 Add a group tag")
    .about("Managers. Trimmed, 1 to 20 characters (empty: 362), at most 10 (363), unique in the group (101).")
    .takes::<AddTag>()
    .checks(Access::WRITES).codes(&[GroupTagEmpty, GroupTagsFull])
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct AddTag {
    pub group_id: GroupId,
    #[schemars(length(max = profile::TAG_MAX))]
    pub tag_text: String,
}

async fn add_tag(app: &App, me: UserId, AddTag { group_id, tag_text }: AddTag) -> Result<()> {
    profile::add_tag(app, &me, group_id, &tag_text).await
}

const REMOVE_TAG: Doc = Doc::new(
    "groupRemoveTag",
    Tag::GroupInfo,
    "删除群组标签 Remove a group tag",
)
.about("Managers.")
.takes::<TagRef>()
.checks(Access::WRITES)
.codes(&[GroupTagNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct TagRef {
    pub group_id: GroupId,
    pub tag_id: TagId,
}

async fn remove_tag(app: &App, me: UserId, TagRef { group_id, tag_id }: TagRef) -> Result<()> {
    profile::remove_tag(app, &me, group_id, tag_id)
}

const EDIT_TAG: Doc = Doc::new(
    "groupEditTag",
    Tag::GroupInfo,
    "编辑群组标签 Edit a group tag",
)
.about("Managers (the doc repeats `tag/add` by mistake; the contract fixes it to `tag/edit`).")
.takes::<EditTag>()
.checks(Access::WRITES)
.codes(&[GroupTagNotFound, GroupTagEmpty])
.judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct EditTag {
    pub group_id: GroupId,
    pub tag_id: TagId,
    #[schemars(length(max = profile::TAG_MAX))]
    pub tag_text: String,
}

async fn edit_tag(app: &App, me: UserId, edit: EditTag) -> Result<()> {
    profile::edit_tag(app, &me, edit.group_id, edit.tag_id, &edit.tag_text).await
}
