//! The admin console behind `/debug`: its guard, the dashboard's figures and the audit log of
//! every write made through it.

pub mod guard;
pub mod tables;
pub mod views;
pub mod writes;

use serde_json::{json, Value};

use crate::app::App;
use crate::db::{admin_audit, chat_messages, group_files, groups, join_requests, members, users};
use crate::error::Result;
use crate::storage::Sql;

/// Groups listed by storage on the dashboard.
const TOP_STORAGE: i64 = 20;
/// Audit entries per page.
pub const AUDIT_PAGE: i64 = 50;

/// The dashboard's figures.
pub fn dashboard(app: &App, now: i64) -> Result<Value> {
    let day = 86_400;
    let local = now + i64::from(app.settings.tz_offset_hours) * 3600;
    let today = now - local.rem_euclid(day);
    app.db.run(|c| {
        let (active, dismissed) = groups::counts(c)?;
        let (per_group, total) = group_files::usage(c, TOP_STORAGE)?;
        let storage: Vec<Value> = per_group
            .into_iter()
            .map(|(group_id, bytes)| json!({ "group_id": group_id, "bytes": bytes }))
            .collect();
        Ok(json!({
            "users": users::count(c)?,
            "groups": { "active": active, "dismissed": dismissed },
            "members": members::count(c)?,
            "join_requests_pending": join_requests::pending_count(c)?,
            "messages_today": chat_messages::count_since(c, today)?,
            "storage": { "total_bytes": total, "groups": storage },
        }))
    })
}

/// Records an admin write, inside the transaction that made it.
pub fn record(
    conn: &dyn Sql,
    now: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &Value,
) -> Result<()> {
    let detail = (!detail.is_null()).then(|| detail.to_string());
    admin_audit::insert(conn, now, actor, action, target, detail.as_deref())?;
    Ok(())
}

/// A page of the audit log, newest first.
pub fn audit(app: &App, before: Option<i64>) -> Result<Value> {
    let entries = app
        .db
        .run(|c| Ok(admin_audit::page(c, before, AUDIT_PAGE)?))?;
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            json!({
                "id": e.id,
                "time": app.format_time(e.at),
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "detail": e.detail.and_then(|d| serde_json::from_str::<Value>(&d).ok()),
            })
        })
        .collect();
    Ok(json!({ "entries": entries }))
}
