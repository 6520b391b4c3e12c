//! The admin console behind `/debug`: its guard, the dashboard's figures and the audit log of
//! every write made through it.

pub mod accounts;
pub mod guard;
pub mod tables;
pub mod views;
pub mod writes;

use serde_json::Value;

use crate::app::App;
use crate::db::{admin_audit, chat_messages, group_files, groups, join_requests, members, users};
use crate::error::Result;
use crate::storage::Sql;

/// Groups listed by storage on the dashboard.
const TOP_STORAGE: i64 = 20;
/// Audit entries per page.
pub const AUDIT_PAGE: i64 = 50;

/// The dashboard's figures.
pub struct Dashboard {
    pub users: i64,
    pub active_groups: i64,
    pub dismissed_groups: i64,
    /// Memberships, across groups.
    pub members: i64,
    pub join_requests_pending: i64,
    /// Chat messages since midnight in the configured offset.
    pub messages_today: i64,
    /// Bytes of every group's files.
    pub storage_bytes: i64,
    /// `(group_id, bytes)` of the groups using the most, most first.
    pub storage_by_group: Vec<(i64, i64)>,
}

/// The dashboard's figures.
pub fn dashboard(app: &App, now: i64) -> Result<Dashboard> {
    let day = 86_400;
    let local = now + i64::from(app.settings.tz_offset_hours) * 3600;
    let today = now - local.rem_euclid(day);
    app.db.run(|c| {
        let (active_groups, dismissed_groups) = groups::counts(c)?;
        let (storage_by_group, storage_bytes) = group_files::usage(c, TOP_STORAGE)?;
        Ok(Dashboard {
            users: users::count(c)?,
            active_groups,
            dismissed_groups,
            members: members::count(c)?,
            join_requests_pending: join_requests::pending_count(c)?,
            messages_today: chat_messages::count_since(c, today)?,
            storage_bytes,
            storage_by_group,
        })
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
pub fn audit(app: &App, before: Option<i64>) -> Result<Vec<admin_audit::Entry>> {
    app.db
        .run(|c| Ok(admin_audit::page(c, before, AUDIT_PAGE)?))
}
