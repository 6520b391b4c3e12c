//! The review queue: reported items and WeChat's `review` verdicts, and the console's verdicts
//! on them (dismiss, remove the content, mute, ban), each recorded in the audit log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::admin::guard::Admin;
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{self, Time, UserRef};
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, ReviewId, UserId};
use crate::moderation::{bans, mutes, review, Target};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, success, Route};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::get("/debug/api/review", console!(queue)).doc(&QUEUE),
    Route::post("/debug/api/review/dismiss", console!(dismiss)).doc(&DISMISS),
    Route::post("/debug/api/review/remove", console!(remove)).doc(&REMOVE),
    Route::post("/debug/api/review/mute", console!(mute)).doc(&MUTE),
    Route::post("/debug/api/review/unmute", console!(unmute)).doc(&UNMUTE),
    Route::post("/debug/api/review/ban", console!(ban)).doc(&BAN),
    Route::post("/debug/api/review/unban", console!(unban)).doc(&UNBAN),
];

const QUEUE: Doc = Doc::new("debugReview", Tag::Debug, "The review queue")
    .about(about!("Open items, WeChat's verdicts and the most reported first (up to 100; `open` counts them all): the target, who put it there (`report`, `wechat`), the newest 10 reports with their reasons, the excerpt kept when reported and what the target shows now (`exists: false` once gone), and the user and group a mute or ban would concern."))
    .gives::<Queue>();

#[derive(Serialize, JsonSchema)]
pub struct Queue {
    pub open: i64,
    pub items: Vec<ReviewRow>,
}

// An open item.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct ReviewRow {
    pub id: ReviewId,
    /// `user:<id>`, `group:<id>`, `message:<group|private>:<room id>:<id>`, `file:<id>`, `announcement:<group id>:<id>`
    pub target: String,
    #[schemars(extend("enum" = ["user", "group", "message", "file", "announcement"]))]
    pub kind: String,
    /// `report` and/or `wechat`
    pub sources: Vec<String>,
    /// distinct reporters
    pub reports: i64,
    pub wechat_label: Option<String>,
    pub reasons: Vec<ReasonRow>,
    pub excerpt: String,
    pub exists: bool,
    /// what the target shows now
    pub preview: String,
    /// the user concerned: the user, a message's sender, a file's uploader, an announcement's author, a group's creator
    pub user_id: Option<UserId>,
    /// the group concerned, where a mute applies
    pub group_id: Option<GroupId>,
    /// a message's room, `group:<id>` or `private:<id>`
    pub room: Option<String>,
    pub msg_id: Option<MessageId>,
    pub file_id: Option<FileId>,
    pub announcement_id: Option<AnnouncementId>,
    pub created: Time,
    pub updated: Time,
}

// One report of an item.
#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct ReasonRow {
    pub reporter_id: UserId,
    pub reason: String,
    pub time: Time,
}

async fn queue(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    let (open, listed) = review::queue(app)?;
    let time = |t: i64| Time(app.format_time(t));
    let items = listed
        .into_iter()
        .map(|l| {
            let mut row = ReviewRow {
                id: l.item.id,
                kind: l.target.as_ref().map_or("", Target::kind).to_owned(),
                target: l.item.target,
                sources: [
                    (l.item.reports > 0, "report"),
                    (l.item.wechat > 0, "wechat"),
                ]
                .into_iter()
                .filter(|(has, _)| *has)
                .map(|(_, name)| name.to_owned())
                .collect(),
                reports: l.item.reports,
                wechat_label: l.item.wechat_label,
                reasons: l
                    .reasons
                    .into_iter()
                    .map(|(reporter_id, reason, at)| ReasonRow {
                        reporter_id,
                        reason,
                        time: time(at),
                    })
                    .collect(),
                excerpt: l.item.excerpt,
                exists: l.subject.exists,
                preview: l.subject.preview,
                user_id: l.subject.user,
                group_id: l.subject.group,
                room: None,
                msg_id: None,
                file_id: None,
                announcement_id: None,
                created: time(l.item.created_at),
                updated: time(l.item.updated_at),
            };
            match l.target {
                Some(Target::Message { room, id }) => {
                    row.room = Some(room.key());
                    row.msg_id = Some(id);
                }
                Some(Target::File(id)) => row.file_id = Some(id),
                Some(Target::Announcement { id, .. }) => row.announcement_id = Some(id),
                _ => {}
            }
            row
        })
        .collect();
    Ok(ok(Queue { open, items }))
}

/// An item of the queue.
#[derive(Deserialize, JsonSchema)]
pub struct ItemRef {
    pub item_id: ReviewId,
}

const DISMISS: Doc = Doc::new("debugReviewDismiss", Tag::Debug, "Dismiss an item")
    .about(about!("Leaves the target as it is and resolves the item (`dismissed`); a later report opens a new one. 101 when the item is not open. Recorded in the audit log (`review`)."))
    .takes::<ItemRef>()
    .codes(&[BadParam, NoPermission]);

async fn dismiss(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let ItemRef { item_id } = call.fields()?;
    review::dismiss(app, admin.actor(), item_id)?;
    Ok(success())
}

const REMOVE: Doc = Doc::new("debugReviewRemove", Tag::Debug, "Remove an item's content")
    .about(about!("Removes what the target shows and resolves the item (`removed`): a user's nickname (back to the default), intro, tags and avatar; a group's name (back to `群组<id>`), intro, avatar and intro pictures (deleting a whole group stays the group view's action); a message is withdrawn (`withdrawn: true`, its content and temporary file gone, for everybody); a group file is deleted; an announcement is deleted. A target gone already counts as removed. 101 when the item is not open. Recorded in the audit log (`review`)."))
    .takes::<ItemRef>()
    .codes(&[BadParam, NoPermission]);

async fn remove(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let ItemRef { item_id } = call.fields()?;
    review::remove(app, admin.actor(), item_id).await?;
    Ok(success())
}

const MUTE: Doc = Doc::new("debugReviewMute", Tag::Debug, "Mute a user in a group")
    .about(about!("The user may not send in the group's room (socket frames and file shares are 413, saying when it ends) for `seconds` (1 to 2592000, 30 days; 101), replacing any mute there; it ends by itself. With `item_id`, also resolves that item (`muted`; 101 when it is not open). 301 unknown group, 202 unknown user. Answers when it ends. Recorded in the audit log (`mute`)."))
    .takes::<Mute>()
    .gives::<Muted>()
    .codes(&[BadParam, NoPermission, UserNotFound, GroupNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct Mute {
    pub group_id: GroupId,
    #[schemars(with = "String")]
    pub user_id: UserRef,
    #[schemars(with = "i64", range(min = 1, max = mutes::LONGEST))]
    pub seconds: fields::Id,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "Option<ReviewId>")]
    pub item_id: Option<ReviewId>,
}

#[derive(Serialize, JsonSchema)]
pub struct Muted {
    pub until: Time,
}

async fn mute(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let m: Mute = call.fields()?;
    let user = m.user_id.required("user_id")?;
    let until = mutes::mute(
        app,
        admin.actor(),
        m.group_id,
        &user,
        m.seconds.0,
        m.item_id,
    )?;
    Ok(ok(Muted {
        until: Time(app.format_time(until)),
    }))
}

const UNMUTE: Doc = Doc::new("debugReviewUnmute", Tag::Debug, "Lift a mute")
    .about(about!(
        "101 when the user is not muted in the group. Recorded in the audit log (`unmute`)."
    ))
    .takes::<Unmute>()
    .codes(&[BadParam, NoPermission]);

#[derive(Deserialize, JsonSchema)]
pub struct Unmute {
    pub group_id: GroupId,
    #[schemars(with = "String")]
    pub user_id: UserRef,
}

async fn unmute(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let Unmute { group_id, user_id } = call.fields()?;
    mutes::unmute(app, admin.actor(), group_id, &user_id.required("user_id")?)?;
    Ok(success())
}

const BAN: Doc = Doc::new("debugReviewBan", Tag::Debug, "Ban a user")
    .about(about!("At once, every token of the user answers 112 (HTTP and new chat sockets; open sockets at their next message) and signing in is 112 saying until when and why. For `seconds` (1 to 31536000, a year; 101) or, without it, for good; `reason` optional, at most 200 characters (101). Replaces any ban. With `item_id`, also resolves that item (`banned`; 101 when it is not open). 202 unknown user. Recorded in the audit log (`ban`)."))
    .takes::<BanUser>()
    .codes(&[BadParam, NoPermission, UserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct BanUser {
    #[schemars(with = "String")]
    pub user_id: UserRef,
    #[serde(default)]
    #[schemars(length(max = bans::REASON_MAX))]
    pub reason: Option<String>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "Option<i64>", range(min = 1, max = bans::LONGEST))]
    pub seconds: Option<fields::Id>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "Option<ReviewId>")]
    pub item_id: Option<ReviewId>,
}

async fn ban(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let b: BanUser = call.fields()?;
    let user = b.user_id.required("user_id")?;
    let reason = b.reason.unwrap_or_default();
    let seconds = b.seconds.map(|s| s.0);
    bans::ban(app, admin.actor(), &user, &reason, seconds, b.item_id)?;
    Ok(success())
}

const UNBAN: Doc = Doc::new("debugReviewUnban", Tag::Debug, "Lift a ban")
    .about(about!("The user's tokens work again and they may sign in. 101 when the user is not banned. Recorded in the audit log (`unban`)."))
    .takes::<Unban>()
    .codes(&[BadParam, NoPermission]);

#[derive(Deserialize, JsonSchema)]
pub struct Unban {
    #[schemars(with = "String")]
    pub user_id: UserRef,
}

async fn unban(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let Unban { user_id } = call.fields()?;
    bans::unban(app, admin.actor(), &user_id.required("user_id")?)?;
    Ok(success())
}
