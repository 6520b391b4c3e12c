//! `/openapi.json`: the OpenAPI 3.1 description of every route (`shared/openapi.json`), served
//! by both hosts.

use http::{header, HeaderValue, Method, StatusCode};

use super::allow;
use crate::app::App;
use crate::body::{Body, Request, Response};
use crate::error::{Code, Error, Result};

/// The document, as it is in the repository.
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub async fn route(_app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/openapi.json" => openapi(&req),
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

fn openapi(req: &Request) -> Result<Response> {
    allow(req, Method::GET)?;
    let mut res = Response::new(Body::from(bytes::Bytes::from_static(OPENAPI.as_bytes())));
    *res.status_mut() = StatusCode::OK;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(res)
}
