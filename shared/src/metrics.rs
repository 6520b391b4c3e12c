//! Every metric the native processes export (Prometheus text at `ZUDUI_METRICS_LISTEN`), named
//! and recorded here. Without a recorder installed (the Spin components, where each request is a
//! new instance and Spin's own telemetry traces them) every call is a no-op.

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};

pub const HTTP_REQUESTS: &str = "zudui_http_requests_total";
pub const HTTP_SECONDS: &str = "zudui_http_request_duration_seconds";
pub const HTTP_BYTES_IN: &str = "zudui_http_request_body_bytes_total";
pub const HTTP_BYTES_OUT: &str = "zudui_http_response_body_bytes_total";
pub const CHAT_SESSIONS: &str = "zudui_chat_sessions";
pub const CHAT_ROOMS: &str = "zudui_chat_rooms";
pub const CHAT_FRAMES_IN: &str = "zudui_chat_frames_received_total";
pub const CHAT_FRAMES_OUT: &str = "zudui_chat_frames_sent_total";
pub const RATE_LIMITED: &str = "zudui_rate_limited_total";
pub const SWEEPS: &str = "zudui_sweeps_total";
pub const SWEPT: &str = "zudui_swept_total";

/// The latency buckets, in seconds: from a cached read to a slow upload.
pub const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The label of a request no route matched: paths a client makes up must not become series.
pub const UNMATCHED: &str = "unmatched";

/// Says what each metric is, once, for the exporter's `# HELP` lines.
pub fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route, method and status"
    );
    describe_histogram!(
        HTTP_SECONDS,
        metrics::Unit::Seconds,
        "Time to the answer's head, by route"
    );
    describe_counter!(
        HTTP_BYTES_IN,
        metrics::Unit::Bytes,
        "Request body bytes read"
    );
    describe_counter!(
        HTTP_BYTES_OUT,
        metrics::Unit::Bytes,
        "Response body bytes sent"
    );
    describe_gauge!(CHAT_SESSIONS, "Chat WebSocket sessions open");
    describe_gauge!(CHAT_ROOMS, "Chat rooms with a session here");
    describe_counter!(CHAT_FRAMES_IN, "Chat frames received from clients");
    describe_counter!(CHAT_FRAMES_OUT, "Chat message frames sent to clients");
    describe_counter!(RATE_LIMITED, "Requests refused with 105, by action");
    describe_counter!(SWEEPS, "Background sweeps run, by kind and outcome");
    describe_counter!(SWEPT, "Items a sweep removed, by kind");
}

/// A method as a label: the standard ones by name, any other (a client may send any token) as
/// `_OTHER`, as OpenTelemetry's conventions name it, so that clients cannot mint series.
pub fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::CONNECT,
        Method::OPTIONS,
        Method::TRACE,
        Method::PATCH,
    ];
    match STANDARD.iter().find(|m| *m == method) {
        Some(m) => m.as_str(),
        None => "_OTHER",
    }
}

/// One answered request; `route` is a route's template, never a path a client wrote.
pub fn request(route: Option<&str>, method: &http::Method, status: u16, seconds: f64) {
    let route = route.unwrap_or(UNMATCHED).to_owned();
    let method = method_label(method);
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method, "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_SECONDS, "route" => route).record(seconds);
}

pub fn bytes_in(n: usize) {
    counter!(HTTP_BYTES_IN).increment(n as u64);
}

pub fn bytes_out(n: usize) {
    counter!(HTTP_BYTES_OUT).increment(n as u64);
}

pub fn rate_limited(action: &'static str) {
    counter!(RATE_LIMITED, "action" => action).increment(1);
}

/// A sweep of `kind` ran and removed `removed` items (`None`: it failed).
pub fn swept(kind: &'static str, removed: Option<usize>) {
    let outcome = if removed.is_some() { "ok" } else { "failed" };
    counter!(SWEEPS, "kind" => kind, "outcome" => outcome).increment(1);
    counter!(SWEPT, "kind" => kind).increment(removed.unwrap_or(0) as u64);
}

/// Chat sessions: one more while the returned guard lives.
pub fn chat_session() -> SessionGauge {
    gauge!(CHAT_SESSIONS).increment(1.0);
    SessionGauge
}

pub struct SessionGauge;

impl Drop for SessionGauge {
    fn drop(&mut self) {
        gauge!(CHAT_SESSIONS).decrement(1.0);
    }
}

pub fn chat_rooms(open: usize) {
    gauge!(CHAT_ROOMS).set(open as f64);
}

pub fn chat_frame_in() {
    counter!(CHAT_FRAMES_IN).increment(1);
}

pub fn chat_frames_out(n: usize) {
    counter!(CHAT_FRAMES_OUT).increment(n as u64);
}
