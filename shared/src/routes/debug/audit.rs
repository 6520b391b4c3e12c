//! The audit log of console writes and sign-ins.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::admin::{self, guard::Admin};
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{self, Id, Time};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};

pub const ROUTES: &[Route] = &[Route::get("/debug/api/audit", console!(audit)).doc(&AUDIT)];

const AUDIT: Doc = Doc::new("debugAudit", Tag::Debug, "The audit log")
    .about(about!("Every sign-in, sign-out and write, newest first, 50 per page; `before` an entry id pages back."))
    .takes::<AuditQuery>()
    .gives::<AuditPage>()
    .codes(&[BadParam]);

#[derive(Deserialize, JsonSchema)]
pub struct AuditQuery {
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "Id")]
    pub before: Option<Id>,
}

#[derive(Serialize, JsonSchema)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct AuditEntry {
    pub id: i64,
    pub time: Time,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// the write's key and values, or null
    pub detail: Value,
}

async fn audit(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let AuditQuery { before } = call.fields()?;
    let entries = admin::audit(app, before.map(|id| id.0))?
        .into_iter()
        .map(|e| AuditEntry {
            id: e.id,
            time: Time(app.format_time(e.at)),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e
                .detail
                .and_then(|d| serde_json::from_str(&d).ok())
                .unwrap_or(Value::Null),
        })
        .collect();
    Ok(ok(AuditPage { entries }))
}
