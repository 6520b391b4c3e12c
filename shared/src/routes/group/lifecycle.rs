//! Creating, joining (requests and their approval), dismissing and leaving groups.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::InGroup;
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{Flag, Id, Time};
use crate::groups::lifecycle::{self, GroupName};
use crate::groups::Access;
use crate::ids::{GroupId, RequestId, UserId};
use crate::limits::Action;
use crate::moderation;
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{typed, user, Call};
use crate::routes::{ok, Route};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/external/group/create", typed!(create)).doc(&CREATE),
    Route::post("/group/external/group/join", typed!(join)).doc(&JOIN),
    Route::post("/group/external/joinRequest/getAll", user!(join_requests)).doc(&JOIN_REQUESTS),
    Route::post("/group/external/joinRequest/process", typed!(process)).doc(&PROCESS),
    Route::post("/group/external/joinRequest/cancel", typed!(cancel)).doc(&CANCEL),
    Route::post("/group/external/report", typed!(report)).limited(Action::Report).doc(&REPORT),
    Route::post("/group/internal/setting/dismiss", typed!(dismiss)).doc(&DISMISS),
    Route::post("/group/internal/setting/exit", typed!(exit)).doc(&EXIT),
];

const REPORT: Doc = Doc::new("groupReport", Tag::Group, "Report a group")
    .about("Our addition: puts the group (its name, intro, avatar and pictures) in the review queue of the console, with `reason` (trimmed, 1 to 200 characters; 101). Anyone may report any group, dismissed ones too. A reporter counts once per open item: reporting again changes nothing. Limited (`report`, 105).")
    .takes::<ReportGroup>()
    .checks(Access::LOADS);

#[derive(Deserialize, JsonSchema)]
pub struct ReportGroup {
    pub group_id: GroupId,
    #[schemars(length(min = 1, max = moderation::reports::REASON_MAX))]
    pub reason: String,
}

async fn report(app: &App, me: UserId, r: ReportGroup) -> Result<()> {
    let reason = moderation::reports::Reason::parse(&r.reason)?;
    moderation::reports::group(app, &me, r.group_id, &reason)
}

const CREATE: Doc = Doc::new("groupCreate", Tag::Group, "创建群组 Create a group")
    .about("Names are trimmed, 1 to 30 characters, without bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C; 101); `user_limit` 2 to 500; `type` one of the configured group types (351 otherwise). The caller becomes the creator. Answers the new `group_id`.")
    .takes::<Create>()
    .gives::<Created>()
    .codes(&[UnknownGroupType])
    .judges_text();

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

async fn create(app: &App, me: UserId, new: Create) -> Result<Created> {
    let name = GroupName::parse(&new.name)?;
    let group_id = lifecycle::create(app, &me, &new.kind, &name, new.user_limit.0).await?;
    Ok(Created { group_id })
}

const JOIN: Doc = Doc::new("groupJoin", Tag::Group, "发起加入群组请求 Ask to join")
    .about("One pending request per user and group (312). Answers the new `request_id`.")
    .takes::<InGroup>()
    .gives::<Requested>()
    .checks(Access::LOADS)
    .codes(&[GroupDismissed, AlreadyMember, AlreadyRequested, GroupFull]);

#[derive(Serialize, JsonSchema)]
pub struct Requested {
    pub request_id: RequestId,
}

async fn join(app: &App, me: UserId, InGroup { group_id }: InGroup) -> Result<Requested> {
    let request_id = lifecycle::join(app, &me, group_id)?;
    Ok(Requested { request_id })
}

const JOIN_REQUESTS: Doc = Doc::new(
    "groupJoinRequests",
    Tag::Group,
    "获取该用户管理的组的所有加入请求 Pending requests to my groups",
)
.about(
    "Pending requests to the active groups the caller manages, oldest first. The body is ignored.",
)
.gives::<JoinRequests>();

#[derive(Serialize, JsonSchema)]
pub struct JoinRequests {
    pub join_requests: Vec<JoinRequest>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
pub struct JoinRequest {
    pub id: RequestId,
    pub user_id: UserId,
    pub nickname: String,
    pub group_id: GroupId,
    pub group_name: String,
    pub time: Time,
}

async fn join_requests(app: &App, me: UserId, _call: Call) -> Result<Response> {
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
.codes(&[NoPermission, GroupDismissed, JoinRequestNotFound, GroupFull]);

#[derive(Deserialize, JsonSchema)]
pub struct Process {
    pub request_id: RequestId,
    pub action: Flag,
}

async fn process(app: &App, me: UserId, Process { request_id, action }: Process) -> Result<()> {
    lifecycle::process(app, &me, request_id, action.0)
}

const CANCEL: Doc = Doc::new(
    "groupCancelJoinRequest",
    Tag::Group,
    "撤回加入请求 Withdraw my request",
)
.about("Our addition. The requester withdraws their own pending request (`request_id` from `join`) and may ask again; another user's request, or one already processed, is 313.")
.takes::<RequestRef>()
.codes(&[JoinRequestNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct RequestRef {
    pub request_id: RequestId,
}

async fn cancel(app: &App, me: UserId, RequestRef { request_id }: RequestRef) -> Result<()> {
    lifecycle::withdraw(app, &me, request_id)
}

const DISMISS: Doc = Doc::new(
    "groupDismiss",
    Tag::GroupSetting,
    "解散组队 Dismiss the group",
)
.about("Creator only. The group becomes read-only and leaves search.")
.takes::<InGroup>()
.checks(Access::WRITES);

async fn dismiss(app: &App, me: UserId, InGroup { group_id }: InGroup) -> Result<()> {
    lifecycle::dismiss(app, &me, group_id)
}

const EXIT: Doc = Doc::new("groupExit", Tag::GroupSetting, "退出组队 Leave the group")
    .about("The creator cannot (315).")
    .takes::<InGroup>()
    .checks(Access::WRITES)
    .codes(&[CreatorCannotExit]);

async fn exit(app: &App, me: UserId, InGroup { group_id }: InGroup) -> Result<()> {
    lifecycle::exit(app, &me, group_id).await
}
