//! Probes for orchestrators and load balancers (our addition): `/healthz` says the process
//! answers, `/readyz` whether every store it needs does (`crate::health`). Both are open and
//! answer plain JSON, not the envelope: probes read the status.

use http::StatusCode;
use schemars::JsonSchema;
use serde::Serialize;

use super::doc::{Doc, Tag};
use super::table::{open, Call};
use super::{json_response, Route};
use crate::app::App;
use crate::body::Response;
use crate::error::Result;
use crate::health::{self, Checks};

pub const ROUTES: &[Route] = &[
    Route::get("/healthz", open!(alive)).doc(&HEALTHZ),
    Route::get("/readyz", open!(ready)).doc(&READYZ),
];

const HEALTHZ: Doc = Doc::new("healthz", Tag::Operations, "Liveness")
    .about("200 while the process answers requests; it looks at nothing else (a liveness probe that restarts the process only when restarting helps).")
    .probe::<Alive>(false);

const READYZ: Doc = Doc::new("readyz", Tag::Operations, "Readiness")
    .about("200 when the settings are valid and the database, the key-value store, the file store (object storage when `blob_store` is `s3`) and the relay (when `relay_url` is set) answer, else 503 naming which did not (causes go to the log, not to the caller). Remote answers (object storage, the relay) are kept, a good one for 5 minutes and a bad one for 1, and one request at a time looks again (`null` while it does, and where nothing is configured), so that asking in a loop costs at most two outbound requests a minute.")
    .probe::<Readiness>(true);

#[derive(Serialize, JsonSchema)]
pub struct Alive {
    /// `ok`.
    status: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct Readiness {
    /// `ready` or `unready`.
    status: &'static str,
    checks: Checks,
}

async fn alive(_app: &App, _call: Call) -> Result<Response> {
    Ok(probe(StatusCode::OK, &Alive { status: "ok" }))
}

async fn ready(app: &App, _call: Call) -> Result<Response> {
    let checks = health::check(app).await;
    let (status, word) = match checks.ready() {
        true => (StatusCode::OK, "ready"),
        false => (StatusCode::SERVICE_UNAVAILABLE, "unready"),
    };
    Ok(probe(
        status,
        &Readiness {
            status: word,
            checks,
        },
    ))
}

fn probe(status: StatusCode, body: &impl Serialize) -> Response {
    let body = serde_json::to_value(body).expect("plain fields serialize");
    let mut response = json_response(status, &body);
    // A probe's answer is about this moment.
    response.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    response
}
