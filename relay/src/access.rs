//! The request id, log line and metrics of the relay's own HTTP (the chat sockets' handshakes,
//! `/internal/publish`, the probes), as the API's requests have them (`routes::exchange`): a
//! layer over the relay's routes, in the relay binary and around the native server's sockets.

use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use zudui_shared::metrics;
use zudui_shared::routes::exchange::{request_id, REQUEST_ID};

use crate::listener::Peer;

/// The layer's function: `Router::layer(axum::middleware::from_fn(access::logged))`.
pub async fn logged(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(req.headers());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The route's template, never the path a client wrote.
    let route: Option<String> = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let client = req
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map(|c| c.0 .0.ip().to_string());
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let latency = started.elapsed();
    metrics::request(route.as_deref(), &method, status, latency.as_secs_f64());
    tracing::info!(
        target: "zudui::access",
        method = metrics::method_label(&method),
        path = path,
        route = route,
        status = status,
        latency_ms = (latency.as_secs_f64() * 1e4).round() / 10.0,
        client = client,
        request_id = id,
        "{} {path} {status}",
        metrics::method_label(&method),
    );
    response
}
