//! A user's account from the console: deleted (注销) or exported, as the user could themselves.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::accounts::deletion::Deleted;
use crate::accounts::export::Export;
use crate::admin::{accounts, guard::Admin};
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::UserRef;
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};
use crate::time;

pub const ROUTES: &[Route] = &[
    Route::post("/debug/api/user/delete", console!(delete)).doc(&DELETE),
    Route::post("/debug/api/user/export", console!(export)).doc(&EXPORT),
];

const DELETE: Doc = Doc::new("debugUserDelete", Tag::Debug, "Delete a user's account")
    .about(about!("As `/user/account/delete` would (see the README's deletion rules), in one transaction with its audit entry (`delete` of `users:<id>`); answers what happened to their groups. 202 for an unknown user."))
    .takes::<AccountOf>()
    .gives::<Deleted>()
    .codes(&[BadParam, NoPermission, UserNotFound]);

const EXPORT: Doc = Doc::new("debugUserExport", Tag::Debug, "Export a user's data")
    .about(about!("What `/user/account/export` answers the user, recorded in the audit log (`export` of `users:<id>`). 202 for an unknown user."))
    .takes::<AccountOf>()
    .gives::<Export>()
    .codes(&[BadParam, NoPermission, UserNotFound]);

#[derive(Deserialize, JsonSchema)]
pub struct AccountOf {
    pub user_id: UserRef,
}

async fn delete(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let AccountOf { user_id } = call.fields()?;
    let user_id = user_id.required("user_id")?;
    let done = accounts::delete(app, &admin, &user_id, time::now()).await?;
    Ok(ok(done))
}

async fn export(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let AccountOf { user_id } = call.fields()?;
    let user_id = user_id.required("user_id")?;
    Ok(ok(accounts::export(app, &admin, &user_id, time::now())?))
}
