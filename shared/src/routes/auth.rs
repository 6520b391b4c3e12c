//! `/auth`: login and token checks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::doc::{Doc, Tag};
use super::table::{open, Call};
use super::{ok, Route};
use crate::accounts;
use crate::app::App;
use crate::body::Response;
use crate::error::Code::*;
use crate::error::Result;
use crate::limits::Action;

pub const ROUTES: &[Route] = &[
    Route::post("/auth/login", open!(login))
        .limited(Action::Login)
        .doc(&LOGIN),
    Route::post("/auth/checkLogin", open!(check_login))
        .raw_body()
        .doc(&CHECK_LOGIN),
];

const LOGIN: Doc = Doc::new("authLogin", Tag::Auth, "1. 登录 Sign in")
    .about("Exchanges a `wx.login` code for a token (`jscode2session`). With the development login (`ZUDUI_DEV_LOGIN=1`) the code is the openid itself. `first_login` is true only the first time an openid signs in.")
    .takes::<Login>()
    .gives::<SignedIn>()
    .codes(&[WechatLogin]);

#[derive(Deserialize, JsonSchema)]
pub struct Login {
    /// the `wx.login` code (trimmed, 1 to 256 bytes)
    #[schemars(length(min = 1, max = accounts::CODE_MAX))]
    pub code: String,
}

#[derive(Serialize, JsonSchema)]
pub struct SignedIn {
    pub token: String,
    pub openid: String,
    pub first_login: bool,
}

async fn login(app: &App, call: Call) -> Result<Response> {
    let Login { code } = call.fields()?;
    let login = accounts::login(app, &code).await?;
    Ok(ok(SignedIn {
        token: login.token,
        openid: login.openid,
        first_login: login.first_login,
    }))
}

const CHECK_LOGIN: Doc = Doc::new("authCheckLogin", Tag::Auth, "2. 检验登录态 Check a token")
    .about("`status: false` for an expired, tampered, foreign or orphaned token; only a missing token is an error (113). The body is ignored.")
    .reads_token()
    .gives::<TokenStatus>();

#[derive(Serialize, JsonSchema)]
pub struct TokenStatus {
    pub status: bool,
}

async fn check_login(app: &App, call: Call) -> Result<Response> {
    let status = accounts::check(app, &call.req)?;
    Ok(ok(TokenStatus { status }))
}
