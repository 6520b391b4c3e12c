//! The HTTP API: one module per area, each with its table of routes, grouped into the Spin
//! components ([`COMPONENTS`]). [`serve`] answers a request from them (a component its own, the
//! native server all); [`table`] checks what a route declares; handlers call the domain and shape
//! the answer.

pub mod account;
pub mod auth;
pub mod chat;
pub mod debug;
pub mod doc;
pub mod docs;
pub mod exchange;
pub mod files;
pub mod group;
pub mod health;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod table;
mod uploads;
pub mod user;
pub mod wechat;

use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};

use crate::admin::guard;
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::error::{Code, Error, Result};
use crate::imaging::{etag_matches, Picture};
pub use table::{Call, Route};

/// The API areas, each with its table of routes in the module of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Auth,
    User,
    Group,
    Files,
    Chat,
    Debug,
    /// The API description.
    Docs,
    /// Liveness and readiness.
    Probes,
}

impl Area {
    /// What hides a whole area before its routes are looked at: the console does not exist
    /// (102 everywhere) without `admin_token`.
    fn gate(self, app: &App) -> Result<()> {
        match self {
            Area::Debug => guard::admin_token(app).map(drop),
            _ => Ok(()),
        }
    }
}

/// A Spin component (`name` in `spin.toml`) and the areas it serves, with their routes. A
/// component's crate names only its own, so the others' handlers are not linked into it.
#[derive(Clone, Copy)]
pub struct Component {
    pub name: &'static str,
    pub areas: &'static [(Area, &'static [Route])],
}

/// `/auth`, the API description, the probes, and the 102 of every path no other component takes.
pub const AUTH: Component = Component {
    name: "auth",
    areas: &[
        (Area::Auth, auth::ROUTES),
        (Area::Auth, wechat::ROUTES),
        (Area::Docs, docs::ROUTES),
        (Area::Probes, health::ROUTES),
    ],
};
pub const USER: Component = Component {
    name: "user",
    areas: &[(Area::User, user::ROUTES), (Area::User, account::ROUTES)],
};
pub const GROUP: Component = Component {
    name: "group",
    areas: &[
        (Area::Group, group::lifecycle::ROUTES),
        (Area::Group, group::search::ROUTES),
        (Area::Group, group::profile::ROUTES),
        (Area::Group, group::members::ROUTES),
        (Area::Group, group::announcements::ROUTES),
    ],
};
pub const FILES: Component = Component {
    name: "files",
    areas: &[(Area::Files, files::ROUTES)],
};
pub const CHAT: Component = Component {
    name: "chat",
    areas: &[(Area::Chat, chat::ROUTES)],
};
pub const DEBUG: Component = Component {
    name: "debug",
    areas: &[
        (Area::Debug, debug::ROUTES),
        (Area::Debug, debug::sessions::ROUTES),
        (Area::Debug, debug::dashboard::ROUTES),
        (Area::Debug, debug::tables::ROUTES),
        (Area::Debug, debug::writes::ROUTES),
        (Area::Debug, debug::group_view::ROUTES),
        (Area::Debug, debug::user_view::ROUTES),
        (Area::Debug, debug::accounts::ROUTES),
        (Area::Debug, debug::pictures::ROUTES),
        (Area::Debug, debug::audit::ROUTES),
        (Area::Debug, debug::review::ROUTES),
    ],
};

/// Every component: the whole API, as the native server serves it, the API description
/// documents it and `spin.toml` routes it.
pub const COMPONENTS: &[Component] = &[AUTH, USER, GROUP, FILES, CHAT, DEBUG];

/// A route and where it belongs.
#[derive(Clone, Copy)]
pub struct Found {
    pub component: &'static str,
    pub area: Area,
    pub route: &'static Route,
}

/// Every route of `components`.
pub fn routes_of(components: &[Component]) -> impl Iterator<Item = Found> + '_ {
    components.iter().flat_map(|component| {
        component.areas.iter().flat_map(move |(area, routes)| {
            routes.iter().map(move |route| Found {
                component: component.name,
                area: *area,
                route,
            })
        })
    })
}

/// Every route.
pub fn table() -> impl Iterator<Item = Found> {
    routes_of(COMPONENTS)
}

/// The route of a path among those of `components`.
pub fn find(components: &[Component], path: &str) -> Option<Found> {
    routes_of(components).find(|found| found.route.path == path)
}

/// Serves a request with the routes of `components`: every one natively ([`COMPONENTS`]), a
/// Spin component's own there (other paths are 102).
pub async fn serve(app: &App, req: Request, components: &[Component]) -> Result<Response> {
    let Some(found) = find(components, req.uri().path()) else {
        return Err(Error::new(Code::NoEndpoint));
    };
    exchange::note_route(&req, found.route.path);
    found.area.gate(app)?;
    table::call(app, found.route, req).await
}

/// The response for a handler's result: errors become the contract's envelope, and internal
/// errors are logged here (and only here) without reaching the client.
pub fn finish(result: Result<Response>) -> Response {
    finish_request(result, None)
}

/// [`finish`] for the request `id`: a 100 carries it (`request_id`), and so does its log line.
fn finish_request(result: Result<Response>, id: Option<&str>) -> Response {
    result.unwrap_or_else(|err| {
        let mut body = err.envelope();
        if let Error::Internal(cause) = &err {
            match id {
                Some(id) => {
                    log::error!("internal error (request {id}): {cause:#}");
                    body["request_id"] = id.into();
                }
                None => log::error!("internal error: {cause:#}"),
            }
        }
        let mut res = json_response(err.status(), &body);
        if let Some((name, value)) = err.headers() {
            res.headers_mut().insert(name, value);
        }
        res
    })
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
pub fn ok(fields: impl serde::Serialize) -> Response {
    let mut body = json!({ "code": 0, "msg": "success" });
    match (&mut body, serde_json::to_value(fields)) {
        (Value::Object(body), Ok(Value::Object(fields))) => body.extend(fields),
        (_, Ok(_)) => {}
        (_, Err(e)) => return finish(Err(Error::Internal(e.into()))),
    }
    json_response(StatusCode::OK, &body)
}

/// The fields of the contract's `success_msg_response`: none besides the envelope.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Done {}

/// The contract's `success_msg_response`.
pub fn success() -> Response {
    ok(Done {})
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_path_is_routed_once() {
        let mut seen = BTreeSet::new();
        for found in table() {
            let path = found.route.path;
            assert!(seen.insert(path), "{path} is routed twice");
        }
        let login = find(COMPONENTS, "/auth/login").map(|found| (found.component, found.area));
        assert_eq!(login, Some(("auth", Area::Auth)));
        assert!(find(COMPONENTS, "/auth/login/").is_none());
        assert!(find(&[USER], "/auth/login").is_none());
    }
}
