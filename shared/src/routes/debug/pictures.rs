//! Stored pictures.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::admin::{guard::Admin, views};
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::{Error, Result};
use crate::groups::profile;
use crate::ids::{GroupId, UserId};
use crate::profiles;
use crate::routes::doc::{Doc, Gives, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{picture, Route};

pub const ROUTES: &[Route] =
    &[Route::get("/debug/api/picture", console!(show_picture)).doc(&PICTURE)];

const PICTURE: Doc = Doc::new("debugPicture", Tag::Debug, "A stored picture")
    .about(about!("`kind` `user` or `group` (avatars; `id` a user or group id), `group_picture` or `announcement` (`id` the row's id); 332 when there is none."))
    .takes::<PictureQuery>()
    .answers(Gives::Picture)
    .codes(&[BadParam, UserNotFound, GroupNotFound, PictureNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct PictureQuery {
    pub kind: PictureKind,
    pub id: String,
}

// Whose picture: a user's or a group's avatar, an intro picture, an announcement's picture.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum PictureKind {
    User,
    Group,
    GroupPicture,
    Announcement,
}

/// `kind` and the row's `id` → the picture, with its validator.
async fn show_picture(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let PictureQuery { kind, id } = call.fields()?;
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::param("id"));
    }
    let number =
        || -> Result<i64> { id.parse().map_err(|_| Error::param_why("id", "应为整数")) };
    let req = &call.req;
    match kind {
        PictureKind::User => {
            let id = UserId::from(id);
            let source = profiles::avatar_source(app, &id)?;
            let etag = source.etag.clone();
            picture(req, &etag, profiles::load_avatar(app, &id, source)).await
        }
        PictureKind::Group => {
            let id = number()?;
            let (etag, stored) = profile::avatar(app, GroupId(id))?;
            let load = profile::load_avatar(app, GroupId(id), stored, etag.clone());
            picture(req, &etag, load).await
        }
        PictureKind::GroupPicture | PictureKind::Announcement => {
            let kind = match kind {
                PictureKind::GroupPicture => "group_picture",
                _ => "announcement",
            };
            let stored = views::stored_picture(app, kind, number()?)?;
            picture(req, &stored.etag, profile::load_picture(app, &stored)).await
        }
    }
}
