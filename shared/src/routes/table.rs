//! What a route declares, and [`call`], which checks all of it before the handler runs: the
//! method (103 with `Allow`), who may call (a hidden relay route is 102 without the relay's
//! secret; 111/112 without a valid token; the console's credential), the rate limit (105), the
//! body's media type (104, HTTP 415) and its JSON (101). Handlers only do their own work.

use http::{header, Method};
use serde_json::Value;

use super::doc::Doc;
use super::ok;
use crate::accounts::authenticate;
use crate::admin::guard::{self, Admin};
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::chat::relay::{check_secret, SECRET_HEADER};
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::limits::{self, Action};
use crate::params::{Params, JSON_LIMIT};
use crate::sendable::BoxFuture;
use crate::time;

/// One route: `path` answered by `handler` for `methods`.
pub struct Route {
    pub path: &'static str,
    pub methods: Methods,
    pub input: Input,
    /// The bucket a call takes a token from (per user and per client address).
    pub limit: Option<Action>,
    pub handler: Handler,
    /// What the API description says about it (`openapi.rs`).
    #[cfg(feature = "openapi")]
    pub doc: Option<&'static Doc>,
}

/// The methods a route takes; any other is 103.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Methods {
    Get,
    Post,
    /// An upload part: `PUT` as S3 does, or `POST` (all `wx.request` offers besides GET).
    PutOrPost,
    /// WeChat's message push: one URL, `GET` for its handshake and `POST` for events.
    GetOrPost,
}

impl Methods {
    pub fn accepts(self, method: &Method) -> bool {
        match self {
            Methods::Get => method == Method::GET,
            Methods::Post => method == Method::POST,
            Methods::PutOrPost => method == Method::PUT || method == Method::POST,
            Methods::GetOrPost => method == Method::GET || method == Method::POST,
        }
    }

    /// The value of the `Allow` header.
    pub fn allow(self) -> &'static str {
        match self {
            Methods::Get => "GET",
            Methods::Post => "POST",
            Methods::PutOrPost => "PUT, POST",
            Methods::GetOrPost => "GET, POST",
        }
    }

    /// The methods, lowercase (as OpenAPI names them).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Methods::Get => &["get"],
            Methods::Post => &["post"],
            Methods::PutOrPost => &["put", "post"],
            Methods::GetOrPost => &["get", "post"],
        }
    }
}

/// Where a route's parameters come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A JSON object body (`Content-Type: application/json`, or none).
    Json,
    /// The query string; the body is the handler's to read (form uploads, a part's bytes) or
    /// to ignore (GETs, `checkLogin`, the console's sign-out; the host drains it).
    Query,
}

pub type OpenFn = for<'a> fn(&'a App, Call) -> BoxFuture<'a, Result<Response>>;
pub type UserFn = for<'a> fn(&'a App, UserId, Call) -> BoxFuture<'a, Result<Response>>;
pub type ConsoleFn = for<'a> fn(&'a App, Admin, Call) -> BoxFuture<'a, Result<Response>>;
pub type RelayFn = fn(&App, Params) -> Result<Value>;

/// Who may call a route, and the handler that gets what the check found.
#[derive(Clone, Copy)]
pub enum Handler {
    /// Anyone: sign-in, the API description, the console's page.
    Open(OpenFn),
    /// A signed-in user; the handler gets their id.
    User(UserFn),
    /// The admin console's session or token (see `admin::guard`).
    Console(ConsoleFn),
    /// The relay in front of Spin, with its secret; without it the route does not exist (102),
    /// whatever the method. JSON in, the fields of the answer out.
    Relay(RelayFn),
}

/// What a handler gets besides the app and the caller: the request (its headers, and its body
/// for [`Input::Query`]) and its parameters (the JSON body or the query).
pub struct Call {
    pub req: Request,
    pub params: Params,
}

impl Call {
    /// The parameters as a typed request (`#[derive(Deserialize, JsonSchema)]`, the type the
    /// route's [`Doc`] names); 101 naming what does not fit.
    pub fn fields<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        self.params.typed()
    }
}

impl Route {
    /// A GET with its parameters in the query.
    pub const fn get(path: &'static str, handler: Handler) -> Route {
        Route {
            path,
            methods: Methods::Get,
            input: Input::Query,
            limit: None,
            handler,
            #[cfg(feature = "openapi")]
            doc: None,
        }
    }

    /// A POST with a JSON body.
    pub const fn post(path: &'static str, handler: Handler) -> Route {
        Route {
            path,
            methods: Methods::Post,
            input: Input::Json,
            limit: None,
            handler,
            #[cfg(feature = "openapi")]
            doc: None,
        }
    }

    /// Each call takes a token from the `action`'s buckets.
    pub const fn limited(mut self, action: Action) -> Route {
        self.limit = Some(action);
        self
    }

    /// The body is not JSON: parameters come in the query, and the handler reads the body
    /// itself (uploads, parts) or ignores it.
    pub const fn raw_body(mut self) -> Route {
        self.input = Input::Query;
        self
    }

    pub const fn methods(mut self, methods: Methods) -> Route {
        self.methods = methods;
        self
    }

    /// Without the `openapi` feature (the Spin components) the doc is left out, and so is
    /// everything only it names.
    #[cfg_attr(not(feature = "openapi"), allow(unused_mut, unused_variables))]
    pub const fn doc(mut self, doc: &'static Doc) -> Route {
        #[cfg(feature = "openapi")]
        {
            self.doc = Some(doc);
        }
        self
    }
}

/// Checks the request against `route` and hands it to the route's handler.
pub async fn call(app: &App, route: &Route, req: Request) -> Result<Response> {
    if let Handler::Relay(_) = route.handler {
        let secret = req.headers().get(SECRET_HEADER);
        check_secret(app, secret.and_then(|v| v.to_str().ok()))?;
    }
    if !route.methods.accepts(req.method()) {
        return Err(Error::WrongMethod {
            allow: route.methods.allow(),
        });
    }
    match route.handler {
        Handler::Relay(handler) => {
            let call = read(route.input, req).await?;
            Ok(ok(handler(app, call.params)?))
        }
        Handler::Open(handler) => {
            if let Some(action) = route.limit {
                limits::check_request(app, action, None, &req)?;
            }
            handler(app, read(route.input, req).await?).await
        }
        Handler::User(handler) => {
            let me = authenticate(app, &req)?;
            super::exchange::note_user(&req, &me);
            if let Some(action) = route.limit {
                limits::check_request(app, action, Some(&me), &req)?;
            }
            handler(app, me, read(route.input, req).await?).await
        }
        Handler::Console(handler) => {
            let addr = crate::client_addr::client_addr(app, &req)?;
            let admin = guard::check(app, req.method(), req.headers(), addr, time::now())?;
            handler(app, admin, read(route.input, req).await?).await
        }
    }
}

/// The parameters of a request whose caller passed the checks.
async fn read(input: Input, req: Request) -> Result<Call> {
    match input {
        Input::Query => Ok(Call {
            params: Params::from_query(req.uri().query().unwrap_or_default()),
            req,
        }),
        Input::Json => json_body(req).await,
    }
}

/// A JSON request's parameters (its body, a JSON object of at most `JSON_LIMIT` bytes), and
/// the request without its body.
pub async fn json_body(req: Request) -> Result<Call> {
    json_media_type(&req)?;
    let (parts, body) = req.into_parts();
    let params = Params::from_json(&body.collect(JSON_LIMIT).await?)?;
    Ok(Call {
        req: Request::from_parts(parts, Body::empty()),
        params,
    })
}

/// A JSON body says so, or says nothing (`wx.request` sends `application/json` unless told
/// otherwise); a form or anything else is 104 with HTTP 415.
fn json_media_type(req: &Request) -> Result<()> {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let essence = value
        .to_str()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match essence == "application/json" || essence.ends_with("+json") {
        true => Ok(()),
        false => Err(Error::WrongMediaType),
    }
}

/// A [`Handler`] variant over an async fn (or closure) of `app` and `$arg`s: boxes its future.
macro_rules! boxed {
    ($variant:ident, $handler:expr, $($arg:ident: $type:ty),*) => {{
        fn handle<'a>(
            app: &'a $crate::app::App,
            $($arg: $type),*
        ) -> $crate::sendable::BoxFuture<'a, $crate::error::Result<$crate::body::Response>> {
            Box::pin(($handler)(app, $($arg),*))
        }
        $crate::routes::table::Handler::$variant(handle)
    }};
}

/// The [`Handler`] of a signed-in user's route: `user!(create)` for
/// `async fn create(app: &App, me: UserId, call: Call) -> Result<Response>`.
macro_rules! user {
    ($handler:expr) => {
        $crate::routes::table::boxed!(User, $handler, me: $crate::ids::UserId, call: $crate::routes::Call)
    };
}

/// The [`Handler`] of a signed-in user's route that takes its typed fields (101 naming what does
/// not fit) and answers the fields of its success (`()`: none): `typed!(edit_info)` for
/// `async fn edit_info(app: &App, me: UserId, fields: EditInfo) -> Result<impl Serialize>`.
macro_rules! typed {
    ($handler:expr) => {{
        async fn with_fields(
            app: &$crate::app::App,
            me: $crate::ids::UserId,
            call: $crate::routes::Call,
        ) -> $crate::error::Result<$crate::body::Response> {
            Ok($crate::routes::ok(
                ($handler)(app, me, call.fields()?).await?,
            ))
        }
        $crate::routes::table::user!(with_fields)
    }};
}

/// The [`Handler`] of a route anyone may call: `open!(login)` for
/// `async fn login(app: &App, call: Call) -> Result<Response>`.
macro_rules! open {
    ($handler:expr) => {
        $crate::routes::table::boxed!(Open, $handler, call: $crate::routes::Call)
    };
}

/// The [`Handler`] of a console route: `console!(stats)` for
/// `async fn stats(app: &App, admin: Admin, call: Call) -> Result<Response>`.
macro_rules! console {
    ($handler:expr) => {
        $crate::routes::table::boxed!(
            Console,
            $handler,
            admin: $crate::admin::guard::Admin,
            call: $crate::routes::Call
        )
    };
}

pub(crate) use {boxed, console, open, typed, user};
