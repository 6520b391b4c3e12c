//! `/auth`: login and token checks.

use http::Method;
use serde_json::json;

use super::{allow, json_params, ok};
use crate::accounts;
use crate::app::App;
use crate::body::{Request, Response};
use crate::error::{Code, Error, Result};
use crate::limits::{self, Action};

pub async fn route(app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/auth/login" => login(app, req).await,
        "/auth/checkLogin" => check_login(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

async fn login(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    limits::check_request(app, Action::Login, None, &req)?;
    let params = json_params(req).await?;
    let login = accounts::login(app, params.str("code")?).await?;
    Ok(ok(json!({
        "token": login.token,
        "openid": login.openid,
        "first_login": login.first_login,
    })))
}

async fn check_login(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    let status = accounts::check(app, &req)?;
    Ok(ok(json!({ "status": status })))
}
