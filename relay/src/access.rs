//! The request id, log line and metrics of the relay's own HTTP (the chat sockets' handshakes,
//! `/internal/publish`, the probes), as the API's requests have them (`routes::exchange`): a
//! layer over the relay's routes, in the relay binary and around the native server's sockets.

use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use zudui_shared::metrics;
use zudui_shared::routes::exchange::{millis, request_id, Access, REQUEST_ID};

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
        .map(|c| c.0 .0.ip());
    let mut response = next.run(req).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let status = response.status().as_u16();
    let latency = started.elapsed();
    metrics::request(route.as_deref(), &method, status, latency.as_secs_f64());
    line(&Access {
        method: metrics::method_label(&method),
        path: &path,
        route: route.as_deref(),
        status,
        latency_ms: millis(latency),
        user: None,
        client,
        request_id: &id,
    });
    response
}

/// A request's one log line (target `zudui::access`), the native server's and the relay's.
pub fn line(access: &Access<'_>) {
    tracing::info!(
        target: "zudui::access",
        method = access.method,
        path = access.path,
        route = access.route,
        status = access.status,
        latency_ms = access.latency_ms,
        user = access.user,
        client = access.client.map(|c| c.to_string()),
        request_id = access.request_id,
        "{} {} {}",
        access.method,
        access.path,
        access.status,
    );
}
