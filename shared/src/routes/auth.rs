//! `/auth`: login and token checks.

use serde_json::json;

use super::table::{open, Call};
use super::{ok, Route};
use crate::accounts;
use crate::app::App;
use crate::body::Response;
use crate::error::Result;
use crate::limits::Action;

pub const ROUTES: &[Route] = &[
    Route::post("/auth/login", open!(login)).limited(Action::Login),
    Route::post("/auth/checkLogin", open!(check_login)).raw_body(),
];

async fn login(app: &App, call: Call) -> Result<Response> {
    let login = accounts::login(app, call.params.str("code")?).await?;
    Ok(ok(json!({
        "token": login.token,
        "openid": login.openid,
        "first_login": login.first_login,
    })))
}

async fn check_login(app: &App, call: Call) -> Result<Response> {
    let status = accounts::check(app, &call.req)?;
    Ok(ok(json!({ "status": status })))
}
