//! `/debug`: the admin console's API. Disabled (102 everywhere) without `admin_token`; every
//! route but the page and sign-in needs the admin credential (see `admin::guard`).

use http::{header, HeaderValue};
use serde_json::{json, Value};

use super::table::{console, open, Call};
use super::{ok, picture, Route};
use crate::admin::{self, guard, guard::Admin};
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::error::Result;
use crate::groups::profile;
use crate::limits;
use crate::profiles;
use crate::time;

pub const ROUTES: &[Route] = &[
    Route::get("/debug", open!(console)),
    Route::get("/debug/", open!(console)),
    Route::post("/debug/api/login", open!(login)),
    Route::get("/debug/api/session", console!(show_session)),
    Route::post("/debug/api/logout", console!(logout)).raw_body(),
    Route::get("/debug/api/stats", console!(stats)),
    Route::get("/debug/api/tables", console!(tables)),
    Route::get("/debug/api/rows", console!(rows)),
    Route::post(
        "/debug/api/create",
        console!(|app, admin, call| write(app, admin, "create", call)),
    ),
    Route::post(
        "/debug/api/update",
        console!(|app, admin, call| write(app, admin, "update", call)),
    ),
    Route::post(
        "/debug/api/delete",
        console!(|app, admin, call| write(app, admin, "delete", call)),
    ),
    Route::get("/debug/api/group", console!(group)),
    Route::get("/debug/api/user", console!(user)),
    Route::get("/debug/api/picture", console!(show_picture)),
    Route::get("/debug/api/audit", console!(audit)),
];

async fn show_session(_app: &App, admin: Admin, _call: Call) -> Result<Response> {
    Ok(ok(session(&admin)))
}

async fn stats(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    Ok(ok(admin::dashboard(app, time::now())?))
}

async fn tables(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    Ok(ok(admin::tables::list(app)?))
}

async fn rows(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    Ok(ok(admin::tables::rows(app, &call.params)?))
}

async fn group(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    Ok(ok(admin::views::group(app, call.params.id("group_id")?)?))
}

async fn user(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    Ok(ok(admin::views::user(
        app,
        &call.params.user_id("user_id")?,
    )?))
}

async fn audit(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    Ok(ok(admin::audit(app, call.params.opt_id("before")?)?))
}

/// The console page: one self-contained HTML file (no CDN, works offline). Its data comes from
/// the API above, so the page itself needs no credential.
async fn console(_app: &App, _call: Call) -> Result<Response> {
    let mut res = Response::new(Body::from(bytes::Bytes::from_static(include_bytes!(
        "../admin/console.html"
    ))));
    let headers = res.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
             img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(res)
}

/// `kind` (`user`, `group`: avatars; `group_picture`, `announcement`) and the row's `id` → the
/// picture, with its validator.
async fn show_picture(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let (req, p) = (&call.req, &call.params);
    match p.str("kind")? {
        "user" => {
            let who = p.user_id("id")?;
            let source = profiles::avatar_source(app, &who)?;
            let etag = source.etag.clone();
            picture(req, &etag, profiles::load_avatar(app, &who, source)).await
        }
        "group" => {
            let id = p.id("id")?;
            let (etag, stored) = profile::avatar(app, id)?;
            let load = profile::load_avatar(app, id, stored, etag.clone());
            picture(req, &etag, load).await
        }
        kind => {
            let stored = admin::views::stored_picture(app, kind, p.id("id")?)?;
            picture(req, &stored.etag, profile::load_picture(app, &stored)).await
        }
    }
}

/// `{table, key, values}` → the write, through the domain's rules, recorded in the audit log.
async fn write(app: &App, admin: Admin, action: &str, call: Call) -> Result<Response> {
    let now = time::now();
    Ok(ok(admin::writes::apply(
        app,
        &admin,
        action,
        &call.params,
        now,
    )
    .await?))
}

/// `{token}` → a session cookie and its CSRF token; 112 for a wrong token, 105 after too many.
async fn login(app: &App, call: Call) -> Result<Response> {
    let now = time::now();
    let addr = limits::client_addr(app, &call.req)?;
    guard::token_matches(app, addr, call.params.str("token")?)?;
    let (cookie, admin) = guard::new_session(app, now)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_in", "console", &Value::Null))?;
    with_cookie(app, over_tls(&call.req), ok(session(&admin)), Some(&cookie))
}

/// Ends every console session (one admin, one console: signing out anywhere signs out
/// everywhere, a script's sign-out included) and clears this browser's cookie.
async fn logout(app: &App, admin: Admin, call: Call) -> Result<Response> {
    let now = time::now();
    guard::end_sessions(app)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_out", "console", &Value::Null))?;
    with_cookie(app, over_tls(&call.req), ok(json!({})), None)
}

fn over_tls(req: &Request) -> bool {
    req.extensions().get::<guard::OverTls>().is_some()
}

/// What a page needs to write: its CSRF token (none for scripts).
fn session(admin: &Admin) -> Value {
    match admin {
        Admin::Console { csrf } => json!({ "csrf": csrf }),
        Admin::Script => json!({}),
    }
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
