//! The HTTP API: one module per area, each with a `route` function that a Spin component calls
//! on its own, and [`all`] for the native server. Handlers parse, call the domain, shape the answer.

pub mod auth;
pub mod chat;
pub mod debug;
pub mod docs;
pub mod files;
pub mod group;
mod uploads;
pub mod user;

use http::{header, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};

use crate::accounts::authenticate;
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::error::{Code, Error, Result};
use crate::imaging::{etag_matches, Picture};
use crate::limits::{self, Action};
use crate::params::{Params, JSON_LIMIT};

/// The API areas: each has a router here and is a Spin component of its own (`spin.toml`
/// routes each area's paths to its component; `tests/manifest.rs` checks that they agree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Auth,
    User,
    Group,
    Files,
    Chat,
    Debug,
    /// The API description, served by the `auth` component.
    Docs,
}

impl Area {
    /// The area of a request path; `None` for paths of no area (102).
    pub fn of(path: &str) -> Option<Area> {
        let area = if path.starts_with("/group/internal/files/") {
            Area::Files
        } else if path.starts_with("/group/") {
            Area::Group
        } else if path.starts_with("/user/") {
            Area::User
        } else if path.starts_with("/auth/") {
            Area::Auth
        } else if path.starts_with("/chat/") {
            Area::Chat
        } else if path == "/debug" || path.starts_with("/debug/") {
            Area::Debug
        } else if path == "/openapi.json" {
            Area::Docs
        } else {
            return None;
        };
        Some(area)
    }

    /// The Spin component that serves the area.
    pub fn component(self) -> &'static str {
        match self {
            Area::Auth | Area::Docs => "auth",
            Area::User => "user",
            Area::Group => "group",
            Area::Files => "files",
            Area::Chat => "chat",
            Area::Debug => "debug",
        }
    }
}

/// Routes a request of any area (the native server).
pub async fn all(app: &App, req: Request) -> Result<Response> {
    match Area::of(req.uri().path()) {
        Some(Area::Files) => files::route(app, req).await,
        Some(Area::Group) => group::route(app, req).await,
        Some(Area::User) => user::route(app, req).await,
        Some(Area::Auth) => auth::route(app, req).await,
        Some(Area::Chat) => chat::route(app, req).await,
        Some(Area::Debug) => debug::route(app, req).await,
        Some(Area::Docs) => docs::route(app, req).await,
        None => Err(Error::new(Code::NoEndpoint)),
    }
}

/// The response for a handler's result: errors become the contract's envelope, and internal
/// errors are logged here (and only here) without reaching the client.
pub fn finish(result: Result<Response>) -> Response {
    result.unwrap_or_else(|err| {
        if let Error::Internal(cause) = &err {
            log::error!("internal error: {cause:#}");
        }
        let mut res = json_response(err.code().status(), &err.envelope());
        if let Some((name, value)) = err.headers() {
            res.headers_mut().insert(name, value);
        }
        res
    })
}

/// 103 (with `Allow`) unless the request uses `method`, GET or POST.
pub fn allow(req: &Request, method: Method) -> Result<()> {
    if *req.method() == method {
        return Ok(());
    }
    let allow = if method == Method::GET { "GET" } else { "POST" };
    Err(Error::WrongMethod { allow })
}

/// The JSON object body of a POST request.
pub async fn json_params(req: Request) -> Result<Params> {
    let body = req.into_body().collect(JSON_LIMIT).await?;
    Params::from_json(&body)
}

/// A JSON POST by a signed-in user: who they are and what they sent.
pub async fn post(app: &App, req: Request) -> Result<(String, Params)> {
    allow(&req, Method::POST)?;
    let me = authenticate(app, &req)?;
    Ok((me, json_params(req).await?))
}

/// [`post`] of a rate-limited `action` (105 once the user's or the address's bucket is empty).
pub async fn post_limited(app: &App, req: Request, action: Action) -> Result<(String, Params)> {
    allow(&req, Method::POST)?;
    let me = signed_in_limited(app, &req, action)?;
    Ok((me, json_params(req).await?))
}

/// The signed-in user of a rate-limited `action`, once their buckets allow it.
pub fn signed_in_limited(app: &App, req: &Request, action: Action) -> Result<String> {
    let me = authenticate(app, req)?;
    limits::check_request(app, action, Some(&me), req)?;
    Ok(me)
}

/// A GET by a signed-in user (token in the query string): who they are and the query.
pub fn get(app: &App, req: &Request) -> Result<(String, Params)> {
    allow(req, Method::GET)?;
    Ok((authenticate(app, req)?, query_params(req)))
}

/// The query parameters of a GET request.
pub fn query_params(req: &Request) -> Params {
    Params::from_query(req.uri().query().unwrap_or_default())
}

pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut res = Response::new(Body::from(value.to_string()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    res
}

/// `{"code": 0, "msg": "success", ...fields}`.
pub fn ok(fields: Value) -> Response {
    let mut body = json!({ "code": 0, "msg": "success" });
    if let (Value::Object(body), Value::Object(fields)) = (&mut body, fields) {
        body.extend(fields);
    }
    json_response(StatusCode::OK, &body)
}

/// The contract's `success_msg_response`.
pub fn success() -> Response {
    ok(json!({}))
}

/// Serves a picture with its validator; answers 304 when the client already has these bytes.
/// `load` only runs when the bytes are needed. (The request is read before anything is awaited:
/// a future that held it across an await could not move between threads.)
pub fn picture<'a>(
    req: &Request,
    etag: &'a str,
    load: impl std::future::Future<Output = Result<Picture>> + 'a,
) -> impl std::future::Future<Output = Result<Response>> + 'a {
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| etag_matches(v, etag));
    serve_picture(cached, etag, load)
}

async fn serve_picture(
    cached: bool,
    etag: &str,
    load: impl std::future::Future<Output = Result<Picture>>,
) -> Result<Response> {
    let mut res = if cached {
        let mut res = Response::new(Body::empty());
        *res.status_mut() = StatusCode::NOT_MODIFIED;
        res
    } else {
        let pic = load.await?;
        let mut res = Response::new(Body::from(pic.bytes));
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(pic.content_type),
        );
        res
    };
    let headers = res.headers_mut();
    headers.insert(
        header::ETAG,
        HeaderValue::from_str(etag).map_err(anyhow::Error::from)?,
    );
    // Tokens ride in the URL of these GETs: shared caches must not keep the images.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(res)
}
