//! The dashboard's figures.

use schemars::JsonSchema;
use serde::Serialize;

use crate::admin::{self, guard::Admin};
use crate::app::App;
use crate::body::Response;
use crate::error::Result;
use crate::ids::GroupId;
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};
use crate::time;

pub const ROUTES: &[Route] = &[Route::get("/debug/api/stats", console!(stats)).doc(&STATS)];

const STATS: Doc = Doc::new("debugStats", Tag::Debug, "Dashboard figures")
    .about(about!(
        "Messages today count from midnight in `ZUDUI_TZ_OFFSET_HOURS`."
    ))
    .gives::<Stats>();

#[derive(Serialize, JsonSchema)]
pub struct Stats {
    pub users: i64,
    pub groups: GroupCounts,
    pub members: i64,
    pub join_requests_pending: i64,
    pub messages_today: i64,
    pub storage: Storage,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupCounts {
    pub active: i64,
    pub dismissed: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct Storage {
    pub total_bytes: i64,
    pub groups: Vec<GroupStorage>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct GroupStorage {
    pub group_id: GroupId,
    pub bytes: i64,
}

async fn stats(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    let d = admin::dashboard(app, time::now())?;
    let groups = d.storage_by_group.into_iter();
    Ok(ok(Stats {
        users: d.users,
        groups: GroupCounts {
            active: d.active_groups,
            dismissed: d.dismissed_groups,
        },
        members: d.members,
        join_requests_pending: d.join_requests_pending,
        messages_today: d.messages_today,
        storage: Storage {
            total_bytes: d.storage_bytes,
            groups: groups
                .map(|(group_id, bytes)| GroupStorage {
                    group_id: GroupId(group_id),
                    bytes,
                })
                .collect(),
        },
    }))
}
