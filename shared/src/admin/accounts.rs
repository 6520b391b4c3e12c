//! The console's account actions: deleting a user's account as they could themselves (注销),
//! and exporting their data for them; both recorded in the audit log.

use serde_json::json;

use super::{guard::Admin, record};
use crate::accounts::deletion::{self, Deleted};
use crate::accounts::export::{self, Export};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::ids::UserId;
use crate::leftovers::Leftovers;

/// Deletes the account of `user_id`, in one transaction with its audit entry (`delete` of
/// `users:<id>`, what was done to their groups as detail); 202 when there is no such user.
pub async fn delete(app: &App, admin: &Admin, user_id: &UserId, now: i64) -> Result<Deleted> {
    Leftovers::tx(app, |c, after| {
        let done = deletion::delete_in(c, user_id, after)?
            .ok_or_else(|| Error::new(Code::UserNotFound))?;
        let detail = json!({ "account": "deleted", "groups": done });
        record(
            c,
            now,
            admin.actor(),
            "delete",
            &format!("users:{user_id}"),
            &detail,
        )?;
        Ok(done)
    })
    .await
}

/// Everything stored about `user_id` (as their own export), its reading recorded in the audit
/// log (`export` of `users:<id>`); 202 when there is no such user.
pub fn export(app: &App, admin: &Admin, user_id: &UserId, now: i64) -> Result<Export> {
    let data = export::export(app, user_id)?;
    let detail = json!({ "truncated": data.truncated });
    app.db.tx(|c| {
        record(
            c,
            now,
            admin.actor(),
            "export",
            &format!("users:{user_id}"),
            &detail,
        )
    })?;
    Ok(data)
}
