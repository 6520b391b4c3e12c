//! The console's sign-in, session and sign-out.

use http::{header, HeaderValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::admin::{self, guard, guard::Admin};
use crate::app::App;
use crate::body::{Request, Response};
use crate::client_addr::client_addr;
use crate::error::Code::*;
use crate::error::Result;
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, open, Call};
use crate::routes::{ok, success, Route};
use crate::time;

pub const ROUTES: &[Route] = &[
    Route::post("/debug/api/login", open!(login)).doc(&LOGIN),
    Route::get("/debug/api/session", console!(show_session)).doc(&SESSION),
    Route::post("/debug/api/logout", console!(logout))
        .raw_body()
        .doc(&LOGOUT),
];

const LOGIN: Doc = Doc::new("debugLogin", Tag::Debug, "Console sign-in")
    .about(about!(open: "`{token}` (the admin token) → a session cookie (`Set-Cookie: zudui_admin=...; Path=/debug; HttpOnly; SameSite=Strict`, 12 hours; `Secure` when the request came over TLS or with `ZUDUI_SECURE_COOKIE=1`) and its CSRF token; 112 for a wrong token. Wrong tokens are limited per client address (rule `admin`, default 10/10): once they are used up every token from that address is 105 with `retry_after`, the right one included; right tokens cost nothing."))
    .takes::<SignIn>()
    .gives::<NewSession>()
    .sets_cookie("Signed in", "the session cookie")
    .codes(&[BadParam, TooManyRequests, TokenInvalid]);

#[derive(Deserialize, JsonSchema)]
pub struct SignIn {
    pub token: String,
}

#[derive(Serialize, JsonSchema)]
pub struct NewSession {
    pub csrf: String,
}

/// `{token}` → a session cookie and its CSRF token; 112 for a wrong token, 105 after too many.
async fn login(app: &App, call: Call) -> Result<Response> {
    let SignIn { token } = call.fields()?;
    let now = time::now();
    let addr = client_addr(app, &call.req)?;
    guard::token_matches(app, addr, &token)?;
    let (cookie, admin) = guard::new_session(app, now)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_in", "console", &Value::Null))?;
    let Admin::Console { csrf } = admin else {
        return Err(anyhow::anyhow!("a new session is a console's").into());
    };
    let answer = ok(NewSession { csrf });
    with_cookie(app, over_tls(&call.req), answer, Some(&cookie))
}

const SESSION: Doc = Doc::new("debugSession", Tag::Debug, "The current session")
    .about(about!(
        "`csrf` for a cookie session, nothing more for a bearer."
    ))
    .gives::<Session>();

// What a page needs to write: its CSRF token (none for scripts).
#[derive(Serialize, JsonSchema)]
pub struct Session {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub csrf: Option<String>,
}

async fn show_session(_app: &App, admin: Admin, _call: Call) -> Result<Response> {
    let csrf = match admin {
        Admin::Console { csrf } => Some(csrf),
        Admin::Script => None,
    };
    Ok(ok(Session { csrf }))
}

const LOGOUT: Doc = Doc::new("debugLogout", Tag::Debug, "Console sign-out")
    .about(about!("Ends every console session (a new session epoch in the key-value store, so on every instance), whoever signs out, and clears the cookie (`Max-Age=0`)."))
    .sets_cookie("Signed out", "clears the cookie")
    .codes(&[NoPermission]);

/// Ends every console session (one admin, one console: signing out anywhere signs out
/// everywhere, a script's sign-out included) and clears this browser's cookie.
async fn logout(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let now = time::now();
    guard::end_sessions(app)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_out", "console", &Value::Null))?;
    with_cookie(app, over_tls(&call.req), success(), None)
}

fn over_tls(req: &Request) -> bool {
    req.extensions().get::<guard::OverTls>().is_some()
}

fn with_cookie(
    app: &App,
    over_tls: bool,
    mut res: Response,
    session: Option<&str>,
) -> Result<Response> {
    let value = HeaderValue::from_str(&guard::set_cookie(app, over_tls, session)?)
        .map_err(|e| anyhow::anyhow!("cookie header: {e}"))?;
    res.headers_mut().insert(header::SET_COOKIE, value);
    Ok(res)
}
