//! `/user/info`: profile text, avatar and personal tags.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::doc::{Doc, Gives, Tag};
use super::table::{typed, user, Call};
use super::{ok, picture, success, Route};
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::{Code, Error, Result};
use crate::fields::{self, StarRating, Time, UserRef};
use crate::ids::{UserId, UserTagId};
use crate::limits::Action;
use crate::{imaging, moderation, multipart, profiles};

pub const ROUTES: &[Route] = &[
    Route::post("/user/info/text/editInfo", typed!(edit_info)).doc(&EDIT_INFO),
    Route::post("/user/info/text/getInfo", user!(get_info)).doc(&GET_INFO),
    Route::post("/user/info/text/setNickname", typed!(set_nickname)).doc(&SET_NICKNAME),
    Route::post("/user/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload)
        .doc(&ADD_AVATAR),
    Route::get("/user/info/avatar/get", user!(get_avatar)).doc(&GET_AVATAR),
    Route::post("/user/info/tag/add", typed!(add_tag)).doc(&ADD_TAG),
    Route::post("/user/info/tag/get", user!(get_tags)).doc(&GET_TAGS),
    Route::post("/user/info/tag/remove", typed!(remove_tag)).doc(&REMOVE_TAG),
    Route::post("/user/info/tag/edit", typed!(edit_tag)).doc(&EDIT_TAG),
    Route::post("/user/report", typed!(report))
        .limited(Action::Report)
        .doc(&REPORT),
];

const REPORT: Doc = Doc::new("userReport", Tag::User, "Report a user")
    .about("Our addition: puts the user (their nickname, intro, avatar and tags) in the review queue of the console, with `reason` (trimmed, 1 to 200 characters; 101). A reporter counts once per open item: reporting again changes nothing. Reporting oneself is 101. Limited (`report`, 105).")
    .takes::<ReportUser>()
    .codes(&[UserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct ReportUser {
    #[schemars(with = "String")]
    pub user_id: UserRef,
    #[schemars(length(min = 1, max = moderation::reports::REASON_MAX))]
    pub reason: String,
}

async fn report(app: &App, me: UserId, ReportUser { user_id, reason }: ReportUser) -> Result<()> {
    let user_id = user_id.required("user_id")?;
    let reason = moderation::reports::Reason::parse(&reason)?;
    moderation::reports::user(app, &me, &user_id, &reason)
}

// Whose profile or tags: another user, or (absent, null or empty) the caller.
#[derive(Deserialize, JsonSchema)]
pub struct Whose {
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "UserRef")]
    pub user_id: Option<UserRef>,
}

impl Whose {
    fn or(self, me: UserId) -> UserId {
        self.user_id.map_or(me, |who| who.0)
    }
}

const EDIT_INFO: Doc = Doc::new("userEditInfo", Tag::User, "修改个人简介 Edit my intro")
    .about("The intro is trimmed, up to 500 characters, and may be empty.")
    .takes::<EditInfo>()
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct EditInfo {
    #[schemars(length(max = profiles::INFO_MAX))]
    pub text: String,
}

async fn edit_info(app: &App, me: UserId, EditInfo { text }: EditInfo) -> Result<()> {
    profiles::edit_info(app, &me, &text).await
}

const GET_INFO: Doc = Doc::new("userGetInfo", Tag::User, "获取用户信息和简介 A user's profile")
    .about("An absent or empty `user_id` means the caller. `time` is the registration time; `star_rating` the mean rating received (one decimal, 0 without ratings).")
    .takes::<Whose>()
    .gives::<Profile>()
    .codes(&[UserNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct Profile {
    pub id: UserId,
    pub nickname: String,
    pub info: String,
    pub star_rating: StarRating,
    #[schemars(range(min = 0))]
    pub rating_count: i64,
    pub time: Time,
}

async fn get_info(app: &App, me: UserId, call: Call) -> Result<Response> {
    let who = call.fields::<Whose>()?.or(me);
    let user = profiles::profile(app, &who)?;
    Ok(ok(Profile {
        star_rating: StarRating(user.star_rating()),
        time: Time(app.format_time(user.created_at)),
        id: user.id,
        nickname: user.nickname,
        info: user.info,
        rating_count: user.rating_count,
    }))
}

const SET_NICKNAME: Doc = Doc::new("userSetNickname", Tag::User, "设置用户昵称 Set my nickname")
    .about("Trimmed, 1 to 32 characters (empty: 201, longer: 101).")
    .takes::<SetNickname>()
    .codes(&[NicknameEmpty])
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct SetNickname {
    #[schemars(length(max = profiles::NICKNAME_MAX))]
    pub nickname: String,
}

async fn set_nickname(app: &App, me: UserId, SetNickname { nickname }: SetNickname) -> Result<()> {
    profiles::set_nickname(app, &me, &nickname).await
}

const ADD_AVATAR: Doc = Doc::new("userAddAvatar", Tag::User, "添加用户头像 Upload my avatar")
    .about("JPEG, PNG, WebP or GIF up to 5 MB, verified by decoding (333 otherwise; also 333, before decoding, for more than 40 megapixels, a side over 12000 px or a decoded size over 160 MB natively, 80 MiB on Spin), turned upright, shrunk to at most 512 px and re-encoded without metadata. A missing `avatar` part is 101.")
    .form::<AvatarForm>("avatar")
    .codes(&[BadPicture]);

// The avatar form has no text fields, only the picture (`avatar`).
#[derive(Deserialize, JsonSchema)]
pub struct AvatarForm {}

async fn add_avatar(app: &App, me: UserId, call: Call) -> Result<Response> {
    let upload =
        multipart::read_small(call.req, "avatar", imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = upload.file.ok_or_else(|| Error::param("avatar"))?;
    profiles::set_avatar(app, &me, file.data).await?;
    Ok(success())
}

const GET_AVATAR: Doc = Doc::new("userGetAvatar", Tag::User, "获取用户头像 A user's avatar")
    .about("GET only; the token may ride in the query string (`<image src>`). Without an uploaded avatar, a generated identicon (PNG, stable per user).")
    .takes::<AvatarOf>()
    .answers(Gives::Picture)
    .codes(&[UserNotFound]);

// `Whose` in a query, where every value is text.
#[derive(Deserialize, JsonSchema)]
pub struct AvatarOf {
    /// absent or empty: the caller
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "String")]
    pub user_id: Option<UserRef>,
}

async fn get_avatar(app: &App, me: UserId, call: Call) -> Result<Response> {
    let AvatarOf { user_id } = call.fields()?;
    let who = Whose { user_id }.or(me);
    let source = profiles::avatar_source(app, &who)?;
    let etag = source.etag.clone();
    picture(&call.req, &etag, profiles::load_avatar(app, &who, source)).await
}

const ADD_TAG: Doc = Doc::new("userAddTag", Tag::User, "增加用户个人标签 Add a personal tag")
    .about("Trimmed, 1 to 20 characters (empty: 212, longer or a duplicate of one of mine: 101); at most 20 tags (213).")
    .takes::<AddTag>()
    .codes(&[UserTagEmpty, UserTagsFull])
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct AddTag {
    #[schemars(length(max = profiles::TAG_MAX))]
    pub tag_text: String,
}

async fn add_tag(app: &App, me: UserId, AddTag { tag_text }: AddTag) -> Result<()> {
    profiles::add_tag(app, &me, &tag_text).await
}

const GET_TAGS: Doc = Doc::new(
    "userGetTags",
    Tag::User,
    "获取用户个人标签 A user's personal tags",
)
.about("An absent or empty `user_id` means the caller.")
.takes::<Whose>()
.gives::<Tags>()
.codes(&[UserNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct Tags {
    pub tags: Vec<PersonalTag>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct PersonalTag {
    pub id: UserTagId,
    pub user_id: UserId,
    pub tag_text: String,
}

async fn get_tags(app: &App, me: UserId, call: Call) -> Result<Response> {
    let who = call.fields::<Whose>()?.or(me);
    let tags = profiles::tags(app, &who)?
        .into_iter()
        .map(|t| PersonalTag {
            id: t.id,
            user_id: t.user_id,
            tag_text: t.tag_text,
        })
        .collect();
    Ok(ok(Tags { tags }))
}

const REMOVE_TAG: Doc = Doc::new(
    "userRemoveTag",
    Tag::User,
    "删除用户个人标签 Remove a personal tag",
)
.about("A tag that is not the caller's is 211.")
.takes::<RemoveTag>()
.codes(&[UserTagNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct RemoveTag {
    pub tag_id: UserTagId,
}

async fn remove_tag(app: &App, me: UserId, RemoveTag { tag_id }: RemoveTag) -> Result<()> {
    profiles::remove_tag(app, &me, tag_id)
}

const EDIT_TAG: Doc = Doc::new(
    "userEditTag",
    Tag::User,
    "修改用户个人标签 Edit a personal tag",
)
.about("Same text rules as adding; a tag that is not the caller's is 211.")
.takes::<EditTag>()
.codes(&[UserTagNotFound, UserTagEmpty])
.judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct EditTag {
    pub tag_id: UserTagId,
    #[schemars(length(max = profiles::TAG_MAX))]
    pub tag_text: String,
}

async fn edit_tag(app: &App, me: UserId, EditTag { tag_id, tag_text }: EditTag) -> Result<()> {
    profiles::edit_tag(app, &me, tag_id, &tag_text).await
}
