//! A user's view: their tags, groups and ratings.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::admin::{guard::Admin, views};
use crate::app::App;
use crate::body::Response;
use crate::db::ratings::Rating;
use crate::error::Code::*;
use crate::error::{Error, Result};
use crate::fields::{self, StarRating, Time, UserRef};
use crate::groups::Role;
use crate::ids::{GroupId, UserId};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};

use super::group_view::{GroupRow, TagRow};

pub const ROUTES: &[Route] = &[Route::get("/debug/api/user", console!(user)).doc(&USER)];

const USER: Doc = Doc::new("debugUser", Tag::Debug, "A user's view")
    .about(about!("Tags, groups with the user's role, ratings received and given (up to 100 each); 202 for an unknown user."))
    .takes::<UserQuery>()
    .gives::<UserView>()
    .codes(&[BadParam, UserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct UserQuery {
    // Required, and not empty (101).
    #[serde(deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "String")]
    pub user_id: Option<UserRef>,
}

#[derive(Serialize, JsonSchema)]
pub struct UserView {
    pub user: UserRow,
    pub tags: Vec<TagRow>,
    pub groups: Vec<MemberGroup>,
    pub ratings: Ratings,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct UserRow {
    pub id: UserId,
    pub nickname: String,
    pub info: String,
    pub star_rating: StarRating,
    pub rating_count: i64,
    pub created: Time,
}

// A group of the user's, with their role in it.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct MemberGroup {
    #[serde(flatten)]
    pub group: GroupRow,
    pub role: Option<Role>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Ratings {
    pub received: Vec<RatingRow>,
    pub given: Vec<RatingRow>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct RatingRow {
    pub group_id: GroupId,
    pub rater_id: UserId,
    pub target_id: UserId,
    pub stars: f64,
    pub time: Time,
}

async fn user(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let UserQuery { user_id } = call.fields()?;
    let user_id = user_id.ok_or_else(|| Error::param("user_id"))?;
    let view = views::user(app, &user_id.0)?;
    let ratings = |rows: Vec<Rating>| -> Vec<RatingRow> {
        rows.into_iter()
            .map(|r| RatingRow {
                group_id: r.group_id,
                rater_id: r.rater_id,
                target_id: r.target_id,
                stars: r.stars,
                time: Time(app.format_time(r.created_at)),
            })
            .collect()
    };
    let u = view.user;
    Ok(ok(UserView {
        user: UserRow {
            star_rating: StarRating(u.star_rating()),
            created: Time(app.format_time(u.created_at)),
            id: u.id,
            nickname: u.nickname,
            info: u.info,
            rating_count: u.rating_count,
        },
        tags: view
            .tags
            .into_iter()
            .map(|t| TagRow {
                id: t.id.0,
                tag_text: t.tag_text,
            })
            .collect(),
        groups: view
            .groups
            .into_iter()
            .map(|(g, role)| MemberGroup {
                group: GroupRow::of(app, g),
                role,
            })
            .collect(),
        ratings: Ratings {
            received: ratings(view.received),
            given: ratings(view.given),
        },
    }))
}
