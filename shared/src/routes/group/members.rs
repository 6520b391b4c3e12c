//! Members: the list, removal, in-group nicknames, ratings and admins.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::InGroup;
use crate::app::App;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{Time, UserRef};
use crate::groups::{members, Access};
use crate::ids::{GroupId, UserId};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::typed;
use crate::routes::Route;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/internal/member/get", typed!(member_list)).doc(&MEMBERS),
    Route::post("/group/internal/member/remove", typed!(remove_member)).doc(&REMOVE_MEMBER),
    Route::post("/group/internal/member/setNickname", typed!(set_member_nickname))
        .doc(&SET_MEMBER_NICKNAME),
    Route::post("/group/internal/member/rate", typed!(rate)).doc(&RATE),
    Route::post("/group/internal/member/switchAdmin", typed!(switch_admin)).doc(&SWITCH_ADMIN),
];

const MEMBERS: Doc = Doc::new("groupMembers", Tag::GroupMember, "获取小组成员 Members")
    .about("Members only. The creator comes first, with `is_admin` and `is_creator` true; `nickname` is the in-group nickname when set.")
    .takes::<InGroup>()
    .gives::<Members>()
    .checks(Access::READS);

#[derive(Serialize, JsonSchema)]
pub struct Members {
    pub users: Vec<MemberEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct MemberEntry {
    pub user_id: UserId,
    pub nickname: String,
    pub is_admin: bool,
    pub is_creator: bool,
    pub time: Time,
}

async fn member_list(app: &App, me: UserId, InGroup { group_id }: InGroup) -> Result<Members> {
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
    Ok(Members { users })
}

const REMOVE_MEMBER: Doc = Doc::new("groupRemoveMember", Tag::GroupMember, "移除组员 Remove a member")
    .about("Admins remove ordinary members; only the creator removes admins; nobody removes the creator or themselves (303).")
    .takes::<MemberRef>()
    .checks(Access::WRITES).codes(&[GroupUserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct MemberRef {
    pub group_id: GroupId,
    pub user_id: UserRef,
}

async fn remove_member(
    app: &App,
    me: UserId,
    MemberRef { group_id, user_id }: MemberRef,
) -> Result<()> {
    let target = user_id.required("user_id")?;
    members::remove(app, &me, group_id, &target).await
}

const SET_MEMBER_NICKNAME: Doc = Doc::new(
    "groupSetMemberNickname",
    Tag::GroupMember,
    "设置组内昵称 My in-group nickname",
)
.about("Account nickname rules (empty: 201).")
.takes::<SetNickname>()
.checks(Access::WRITES)
.codes(&[NicknameEmpty])
.judges_text();

#[derive(Deserialize, JsonSchema)]
pub struct SetNickname {
    pub group_id: GroupId,
    #[schemars(length(max = crate::profiles::NICKNAME_MAX))]
    pub nickname: String,
}

async fn set_member_nickname(
    app: &App,
    me: UserId,
    SetNickname { group_id, nickname }: SetNickname,
) -> Result<()> {
    members::set_nickname(app, &me, group_id, &nickname).await
}

const RATE: Doc = Doc::new("groupRate", Tag::GroupMember, "对小组其他成员评分 Rate members")
    .about("Only in a dismissed group (303 before), once (322). `rates` must not be empty; each target another member listed once (323); `star_rating` 0 to 10 (321). Checked whole before anything is written.")
    .takes::<Rate>()
    .checks(Access::READS).codes(&[RatingOutOfRange, AlreadyRated, BadRatingTarget]);

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

async fn rate(app: &App, me: UserId, Rate { group_id, rates }: Rate) -> Result<()> {
    let rates: Vec<members::Rating> = rates
        .into_iter()
        .map(|r| members::Rating {
            user_id: r.user_id.0,
            stars: r.star_rating.0,
        })
        .collect();
    members::rate(app, &me, group_id, &rates)
}

const SWITCH_ADMIN: Doc = Doc::new(
    "groupSwitchAdmin",
    Tag::GroupMember,
    "设置小组成员管理员 Toggle admin",
)
.about("Creator only; answers the member's new `is_admin`.")
.takes::<MemberRef>()
.gives::<AdminSwitched>()
.checks(Access::WRITES)
.codes(&[GroupUserNotFound]);

#[derive(Serialize, JsonSchema)]
pub struct AdminSwitched {
    pub is_admin: bool,
}

async fn switch_admin(
    app: &App,
    me: UserId,
    MemberRef { group_id, user_id }: MemberRef,
) -> Result<AdminSwitched> {
    let target = user_id.required("user_id")?;
    let is_admin = members::switch_admin(app, &me, group_id, &target)?;
    Ok(AdminSwitched { is_admin })
}
