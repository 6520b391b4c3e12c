//! `/debug`: the admin console, its page (here) and its API (one module a sub-area, each with
//! its routes). Disabled (102 everywhere) without `admin_token`; every route but the page and
//! sign-in needs the admin credential (see `admin::guard`).

/// The description of a console route: what hides the console, what a route of its API needs
/// (unless it is `open`), and `$text`.
macro_rules! about {
    (open: $text:literal) => {
        concat!("Without `ZUDUI_ADMIN_TOKEN` every `/debug` path is 102. ", $text)
    };
    ($text:literal) => {
        concat!(
            "Without `ZUDUI_ADMIN_TOKEN` every `/debug` path is 102. ",
            "Needs `Authorization: Bearer <ZUDUI_ADMIN_TOKEN>` or the console's session cookie (113 without a credential, 112 for a wrong, expired or signed-out one; wrong tokens are limited per address: 105 with `retry_after` once they are used up, the right token included); writes by cookie also need `x-csrf-token` (303 without it). ",
            $text,
        )
    };
}

pub mod accounts;
pub mod audit;
pub mod dashboard;
pub mod group_view;
pub mod pictures;
pub mod review;
pub mod sessions;
pub mod tables;
pub mod user_view;
pub mod writes;

use http::{header, HeaderValue};

use crate::app::App;
use crate::body::{Body, Response};
use crate::error::Result;
use crate::routes::doc::{Doc, Gives, Tag};
use crate::routes::table::{open, Call};
use crate::routes::Route;

/// The page.
pub const ROUTES: &[Route] = &[
    Route::get("/debug", open!(console)).doc(&CONSOLE),
    Route::get("/debug/", open!(console)).doc(&CONSOLE_SLASH),
];

const PAGE_ABOUT: &str = about!(open: "One self-contained HTML page (no CDN) over the JSON API under `/debug/api/`; it needs no credential itself.");

const CONSOLE: Doc = Doc::new("debugConsole", Tag::Debug, "Admin console page")
    .about(PAGE_ABOUT)
    .answers(Gives::Page);

const CONSOLE_SLASH: Doc = Doc::new(
    "debugConsoleSlash",
    Tag::Debug,
    "Admin console page (same as `/debug`)",
)
.about(PAGE_ABOUT)
.answers(Gives::Page);

/// The console page: one self-contained HTML file (no CDN, works offline). Its data comes from
/// the API above, so the page itself needs no credential.
async fn console(_app: &App, _call: Call) -> Result<Response> {
    let mut res = Response::new(Body::from(bytes::Bytes::from_static(include_bytes!(
        "../../admin/console.html"
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
