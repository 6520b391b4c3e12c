//! Announcements and their pictures.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::upload;
use super::InGroup;
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::Time;
use crate::groups::{announcements, profile, Access};
use crate::ids::{AnnouncementId, GroupId, UserId};
use crate::limits::Action;
use crate::routes::doc::{Doc, Gives, Tag};
use crate::routes::table::{typed, user, Call};
use crate::routes::{picture, success, Route};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/internal/announcement/getAll", typed!(announcement_list))
        .doc(&ANNOUNCEMENTS),
    Route::post("/group/internal/announcement/get", typed!(announcement)).doc(&ANNOUNCEMENT),
    Route::post("/group/internal/announcement/add", typed!(add_announcement)).doc(&ADD_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/edit", typed!(edit_announcement))
        .doc(&EDIT_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/delete", typed!(delete_announcement))
        .doc(&DELETE_ANNOUNCEMENT),
    Route::post("/group/internal/announcement/setPic", user!(set_announcement_picture))
        .raw_body()
        .limited(Action::Upload)
        .doc(&SET_ANNOUNCEMENT_PICTURE),
    Route::post("/group/internal/announcement/delPic", typed!(delete_announcement_picture))
        .doc(&DELETE_ANNOUNCEMENT_PICTURE),
    Route::get("/group/internal/announcement/getPic", user!(get_announcement_picture))
        .doc(&GET_ANNOUNCEMENT_PICTURE),
];

const ANNOUNCEMENTS: Doc = Doc::new(
    "announcementList",
    Tag::Announcement,
    "获取所有公告 Announcements",
)
.about("Members only.")
.takes::<InGroup>()
.gives::<Announcements>()
.checks(Access::READS);

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

async fn announcement_list(
    app: &App,
    me: UserId,
    InGroup { group_id }: InGroup,
) -> Result<Announcements> {
    let announcements = announcements::list(app, &me, group_id)?
        .into_iter()
        .map(|a| AnnouncementEntry {
            id: a.id,
            title: a.title,
            time: Time(app.format_time(a.created_at)),
            has_pic: a.has_pic,
        })
        .collect();
    Ok(Announcements { announcements })
}

const ANNOUNCEMENT: Doc = Doc::new(
    "announcementGet",
    Tag::Announcement,
    "获取公告信息 One announcement",
)
.about("Members only; an unknown announcement is 101.")
.takes::<AnnouncementRef>()
.gives::<OneAnnouncement>()
.checks(Access::READS);

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
    pub author_id: UserId,
    pub time: Time,
    pub edit_time: Time,
    pub has_pic: bool,
}

async fn announcement(app: &App, me: UserId, at: AnnouncementRef) -> Result<OneAnnouncement> {
    let a = announcements::get(app, &me, at.group_id, at.announcement_id)?;
    Ok(OneAnnouncement {
        announcement: AnnouncementPage {
            id: a.id,
            title: a.title,
            text: a.text,
            author_id: a.author_id,
            time: Time(app.format_time(a.created_at)),
            edit_time: Time(app.format_time(a.updated_at)),
            has_pic: a.has_pic,
        },
    })
}

const ADD_ANNOUNCEMENT: Doc = Doc::new("announcementAdd", Tag::Announcement, "发布公告 Publish")
    .about(
        "Managers. Title 1 to 50, text 1 to 5,000 characters. Answers the new `announcement_id`.",
    )
    .takes::<AddAnnouncement>()
    .gives::<Published>()
    .checks(Access::WRITES)
    .judges_text();

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

async fn add_announcement(app: &App, me: UserId, new: AddAnnouncement) -> Result<Published> {
    let announcement_id = announcements::add(app, &me, new.group_id, &new.title, &new.text).await?;
    Ok(Published { announcement_id })
}

const EDIT_ANNOUNCEMENT: Doc = Doc::new("announcementEdit", Tag::Announcement, "编辑公告 Edit")
    .about("Managers; an unknown announcement is 101.")
    .takes::<EditAnnouncement>()
    .checks(Access::WRITES)
    .judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct EditAnnouncement {
    pub announcement_id: AnnouncementId,
    #[serde(flatten)]
    pub announcement: AddAnnouncement,
}

async fn edit_announcement(
    app: &App,
    me: UserId,
    EditAnnouncement {
        announcement_id,
        announcement:
            AddAnnouncement {
                group_id,
                title,
                text,
            },
    }: EditAnnouncement,
) -> Result<()> {
    announcements::edit(app, &me, group_id, announcement_id, &title, &text).await
}

const DELETE_ANNOUNCEMENT: Doc =
    Doc::new("announcementDelete", Tag::Announcement, "删除公告 Delete")
        .about("Managers; an unknown announcement is 101.")
        .takes::<AnnouncementRef>()
        .checks(Access::WRITES);

async fn delete_announcement(app: &App, me: UserId, at: AnnouncementRef) -> Result<()> {
    announcements::delete(app, &me, at.group_id, at.announcement_id).await
}

const SET_ANNOUNCEMENT_PICTURE: Doc = Doc::new(
    "announcementSetPicture",
    Tag::Announcement,
    "设置公告图片 Set the picture",
)
.about("Managers; replaces any earlier picture.")
.form::<AnnouncementRef>("pic")
.checks(Access::WRITES)
.codes(&[BadPicture]);

async fn set_announcement_picture(app: &App, me: UserId, call: Call) -> Result<Response> {
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
.checks(Access::WRITES)
.codes(&[PictureNotFound]);

async fn delete_announcement_picture(app: &App, me: UserId, at: AnnouncementRef) -> Result<()> {
    announcements::delete_picture(app, &me, at.group_id, at.announcement_id).await
}

const GET_ANNOUNCEMENT_PICTURE: Doc = Doc::new(
    "announcementGetPicture",
    Tag::Announcement,
    "获取公告图片 The picture",
)
.about("Members only; 332 when there is none.")
.takes::<AnnouncementRef>()
.answers(Gives::Picture)
.checks(Access::READS)
.codes(&[PictureNotFound]);

async fn get_announcement_picture(app: &App, me: UserId, call: Call) -> Result<Response> {
    let AnnouncementRef {
        group_id,
        announcement_id,
    } = call.fields()?;
    let stored = announcements::picture(app, &me, group_id, announcement_id)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}
