//! `/debug`: the admin console's API. Disabled (102 everywhere) without `admin_token`; every
//! route but sign-in needs the admin credential (see `admin::guard`).

use http::{header, HeaderValue, Method};
use serde_json::{json, Value};

use super::{allow, json_params, ok, picture, query_params};
use crate::admin::{self, guard, guard::Admin};
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::error::{Code, Error, Result};
use crate::groups::profile;
use crate::limits;
use crate::profiles;
use crate::time;

pub async fn route(app: &App, req: Request) -> Result<Response> {
    guard::admin_token(app)?;
    let now = time::now();
    match req.uri().path() {
        "/debug" | "/debug/" => {
            allow(&req, Method::GET)?;
            Ok(console())
        }
        "/debug/api/login" => {
            allow(&req, Method::POST)?;
            login(app, req, now).await
        }
        "/debug/api/session" => Ok(ok(session(&signed_in(app, &req, Method::GET, now)?))),
        "/debug/api/logout" => {
            let admin = signed_in(app, &req, Method::POST, now)?;
            logout(app, &req, &admin, now)
        }
        "/debug/api/stats" => {
            signed_in(app, &req, Method::GET, now)?;
            Ok(ok(admin::dashboard(app, now)?))
        }
        "/debug/api/tables" => {
            signed_in(app, &req, Method::GET, now)?;
            Ok(ok(admin::tables::list(app)?))
        }
        "/debug/api/rows" => {
            signed_in(app, &req, Method::GET, now)?;
            Ok(ok(admin::tables::rows(app, &query_params(&req))?))
        }
        "/debug/api/create" => {
            let admin = signed_in(app, &req, Method::POST, now)?;
            write(app, &admin, "create", req, now).await
        }
        "/debug/api/update" => {
            let admin = signed_in(app, &req, Method::POST, now)?;
            write(app, &admin, "update", req, now).await
        }
        "/debug/api/delete" => {
            let admin = signed_in(app, &req, Method::POST, now)?;
            write(app, &admin, "delete", req, now).await
        }
        "/debug/api/group" => {
            signed_in(app, &req, Method::GET, now)?;
            let group_id = query_params(&req).id("group_id")?;
            Ok(ok(admin::views::group(app, group_id)?))
        }
        "/debug/api/user" => {
            signed_in(app, &req, Method::GET, now)?;
            let user_id = query_params(&req).user_id("user_id")?;
            Ok(ok(admin::views::user(app, &user_id)?))
        }
        "/debug/api/picture" => {
            signed_in(app, &req, Method::GET, now)?;
            show_picture(app, req).await
        }
        "/debug/api/audit" => {
            signed_in(app, &req, Method::GET, now)?;
            let before = query_params(&req).opt_id("before")?;
            Ok(ok(admin::audit(app, before)?))
        }
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

/// The path's `method` (103 otherwise), then the admin credential: what every route but the page
/// and sign-in needs.
fn signed_in(app: &App, req: &Request, method: Method, now: i64) -> Result<Admin> {
    allow(req, method.clone())?;
    let addr = limits::client_addr(app, req)?;
    guard::check(app, &method, req.headers(), addr, now)
}

/// The console page: one self-contained HTML file (no CDN, works offline). Its data comes from
/// the API above, so the page itself needs no credential.
fn console() -> Response {
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
    res
}

/// `kind` (`user`, `group`: avatars; `group_picture`, `announcement`) and the row's `id` → the
/// picture, with its validator.
async fn show_picture(app: &App, req: Request) -> Result<Response> {
    let req = &req;
    let p = query_params(req);
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
async fn write(app: &App, admin: &Admin, action: &str, req: Request, now: i64) -> Result<Response> {
    let p = json_params(req).await?;
    Ok(ok(admin::writes::apply(app, admin, action, &p, now).await?))
}

/// `{token}` → a session cookie and its CSRF token; 112 for a wrong token, 105 after too many.
async fn login(app: &App, req: Request, now: i64) -> Result<Response> {
    let addr = limits::client_addr(app, &req)?;
    let over_tls = over_tls(&req);
    let p = json_params(req).await?;
    guard::token_matches(app, addr, p.str("token")?)?;
    let (cookie, admin) = guard::new_session(app, now)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_in", "console", &Value::Null))?;
    with_cookie(app, over_tls, ok(session(&admin)), Some(&cookie))
}

/// Ends every console session (one admin, one console: signing out anywhere signs out
/// everywhere, a script's sign-out included) and clears this browser's cookie.
fn logout(app: &App, req: &Request, admin: &Admin, now: i64) -> Result<Response> {
    guard::end_sessions(app)?;
    app.db
        .tx(|c| admin::record(c, now, admin.actor(), "sign_out", "console", &Value::Null))?;
    with_cookie(app, over_tls(req), ok(json!({})), None)
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
