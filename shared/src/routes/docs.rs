//! `/openapi.json`: the OpenAPI 3.1 description of every route (`shared/openapi.json`, which
//! `openapi.rs` assembles), served by both hosts.

use http::header;

use super::doc::{Doc, Gives, Tag};
use super::table::{open, Call};
use super::Route;
use crate::app::App;
use crate::body::{Body, Response};
use crate::error::Result;

/// The document, as it is in the repository.
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub const ROUTES: &[Route] = &[Route::get("/openapi.json", open!(openapi)).doc(&OPENAPI_DOC)];

const OPENAPI_DOC: Doc = Doc::new("openapi", Tag::Docs, "This document")
    .about(
        "The OpenAPI 3.1 description of every route, as `shared/openapi.json` in the repository.",
    )
    .answers(Gives::Document);

async fn openapi(_app: &App, _call: Call) -> Result<Response> {
    let body = Body::from(bytes::Bytes::from_static(OPENAPI.as_bytes()));
    let res = http::Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CACHE_CONTROL, "public, max-age=300")
        .body(body)
        .map_err(anyhow::Error::from)?;
    Ok(res)
}
