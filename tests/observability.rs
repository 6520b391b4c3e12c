//! What the native processes tell an operator (issue 19): Prometheus metrics on their own
//! address, one JSON log line per request, spans exported to an OpenTelemetry collector, and the
//! relay's probes. Native only: Spin components keep nothing between requests (Spin's own
//! telemetry traces them), and these tests start the processes themselves.

mod common;

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::cluster::Redis;
use common::paths::group;
use common::process::{reserve_port, Process};
use common::ws::{self, group_path};
use common::{create_group, user, Options, Server, JWT_SECRET};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// A scrape of `/metrics` at `base`.
async fn scrape(base: &str) -> String {
    let res = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("scrape");
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

/// The value of the series `series` (its name and labels exactly as exported), if exported.
fn value(scraped: &str, series: &str) -> Option<f64> {
    scraped.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?.strip_prefix(' ')?;
        rest.trim().parse().ok()
    })
}

/// Waits until `series` has `expected` (gauges follow sockets closing a moment later).
async fn until(base: &str, series: &str, expected: f64) {
    let started = Instant::now();
    loop {
        let got = value(&scrape(base).await, series);
        if got == Some(expected) {
            return;
        }
        assert!(
            started.elapsed() < WAIT,
            "{series} stayed {got:?}, not {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn metrics_count_requests_refusals_sockets_bytes_and_sweeps() {
    let (reserved, port) = reserve_port();
    drop(reserved);
    let metrics = format!("http://127.0.0.1:{port}");
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_METRICS_LISTEN", &format!("127.0.0.1:{port}"))
            .env("ZUDUI_RATE_LIMITS", "search=1/1"),
    )
    .await;
    // The sweeps ran once at start (beside the first requests).
    for kind in ["uploads", "chat_files", "blobs"] {
        let series = format!("zudui_sweeps_total{{kind=\"{kind}\",outcome=\"ok\"}}");
        until(&metrics, &series, 1.0).await;
    }

    let alice = user(&server, "m-alice").await;
    let body = json!({ "type": "学习", "key": "", "sort": "TIME", "sort_order": "DESC" });
    let (status, _) = server.post(group::SEARCH, alice.t(), body.clone()).await;
    assert_eq!(status, 200);
    let (status, _) = server.post(group::SEARCH, alice.t(), body).await;
    assert_eq!(status, 429);
    // A made-up path is counted, but under one label: clients cannot mint series.
    let res = server.get("/made/up/path/12345", &[]).await;
    assert_eq!(res.status(), 404);
    // Methods a client makes up share one label too.
    let made_up = reqwest::Method::from_bytes(b"BREW").unwrap();
    let res = server
        .client
        .request(made_up, server.url("/coffee"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Metrics are not on the public port.
    let res = server.get("/metrics", &[]).await;
    assert_eq!(res.status(), 404);

    let scraped = scrape(&metrics).await;
    let rules = [
        (r#"zudui_rate_limited_total{action="search"}"#, 1.0),
        (
            r#"zudui_http_requests_total{route="/group/external/search/group",method="POST",status="200"}"#,
            1.0,
        ),
        (
            r#"zudui_http_requests_total{route="/group/external/search/group",method="POST",status="429"}"#,
            1.0,
        ),
        (
            r#"zudui_http_requests_total{route="unmatched",method="GET",status="404"}"#,
            2.0,
        ),
        (
            r#"zudui_http_request_duration_seconds_count{route="/group/external/search/group"}"#,
            2.0,
        ),
        (
            r#"zudui_http_requests_total{route="unmatched",method="_OTHER",status="404"}"#,
            1.0,
        ),
    ];
    for (series, expected) in rules {
        assert_eq!(
            value(&scraped, series),
            Some(expected),
            "{series}\n{scraped}"
        );
    }
    assert!(
        !scraped.contains("made/up") && !scraped.contains("BREW"),
        "{scraped}"
    );
    for bytes in [
        "zudui_http_request_body_bytes_total",
        "zudui_http_response_body_bytes_total",
    ] {
        assert!(
            value(&scraped, bytes).unwrap_or(0.0) > 100.0,
            "{bytes}\n{scraped}"
        );
    }

    // Sockets and rooms: one member in one room, then gone.
    let room = create_group(&server, &alice, "指标组").await;
    let mut socket = ws::connect(&server.ws_base(), &alice, &group_path(room), WAIT).await;
    until(&metrics, "zudui_chat_sessions", 1.0).await;
    until(&metrics, "zudui_chat_rooms", 1.0).await;
    ws::say_acked(&mut socket, "有人吗", WAIT).await;
    let scraped = scrape(&metrics).await;
    assert_eq!(
        value(&scraped, "zudui_chat_frames_received_total"),
        Some(1.0)
    );
    assert_eq!(value(&scraped, "zudui_chat_frames_sent_total"), Some(1.0));
    drop(socket);
    until(&metrics, "zudui_chat_sessions", 0.0).await;
    until(&metrics, "zudui_chat_rooms", 0.0).await;
    // The handshake is a request like the others, under its route's template.
    let scraped = scrape(&metrics).await;
    let handshake = r#"zudui_http_requests_total{route="/chat/group",method="GET",status="101"}"#;
    assert_eq!(value(&scraped, handshake), Some(1.0), "{scraped}");
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

/// `zudui` started by hand, its log lines readable; its base URL.
async fn logged_server(data: &std::path::Path, env: &[(&str, &str)]) -> (Process, String) {
    let (reserved, port) = reserve_port();
    drop(reserved);
    let mut command = Command::new(common::binary());
    command
        .env_clear()
        .env("ZUDUI_LISTEN", format!("127.0.0.1:{port}"))
        .env("ZUDUI_DATA_DIR", data)
        .env("ZUDUI_JWT_SECRET", JWT_SECRET)
        .env("ZUDUI_DEV_LOGIN", "1")
        .envs(env.iter().copied());
    let mut process = Process::spawn("zudui", command);
    process
        .wait_for_line("listening on http://")
        .await
        .expect("the server starts");
    (process, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn each_request_has_one_json_log_line() {
    let data = tempfile::tempdir().unwrap();
    let (mut process, base) = logged_server(data.path(), &[("ZUDUI_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();
    let login: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "code": "logged" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap();
    let info: Value = client
        .post(format!("{base}/user/info/text/getInfo"))
        .header("token", token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    // The token in the query (as GETs take it) must not reach the log.
    let res = client
        .get(format!("{base}/user/info/avatar/get?token={token}"))
        .header("x-request-id", "log-me-1")
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let line = process.wait_for_line("log-me-1").await.expect("a log line");
    let line: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let fields = &line["fields"];
    assert_eq!(line["target"], "zudui::access", "{line}");
    assert_eq!(line["level"], "INFO", "{line}");
    assert!(
        line["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{line}"
    );
    let expected = json!({
        "method": "GET",
        "path": "/user/info/avatar/get",
        "route": "/user/info/avatar/get",
        "status": status,
        "user": info["id"],
        // No proxy is configured: the header counts for nothing.
        "client": "127.0.0.1",
        "request_id": "log-me-1",
    });
    for (name, want) in expected.as_object().unwrap() {
        assert_eq!(&fields[name], want, "{name}: {line}");
    }
    assert!(
        fields["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0),
        "{line}"
    );
    assert!(
        !line.to_string().contains(token),
        "the token reached the log: {line}"
    );
}

#[tokio::test]
async fn a_log_format_that_does_not_exist_stops_the_start() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(common::binary())
        .env_clear()
        .env("ZUDUI_DATA_DIR", data.path())
        .env("ZUDUI_LOG_FORMAT", "xml")
        .output()
        .expect("zudui runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("ZUDUI_LOG_FORMAT"), "{said}");
}

// ---------------------------------------------------------------------------------------------
// OpenTelemetry
// ---------------------------------------------------------------------------------------------

/// What a collector was sent: path, content type, body.
type Exported = (String, String, Vec<u8>);

#[tokio::test]
async fn request_spans_reach_an_opentelemetry_collector() {
    // A collector that keeps what it is sent.
    let received: Arc<Mutex<Vec<Exported>>> = Arc::default();
    let kept = received.clone();
    let collector = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let kept = kept.clone();
        async move {
            let path = req.uri().path().to_owned();
            let kind = req
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let body = axum::body::to_bytes(req.into_body(), 1 << 20)
                .await
                .unwrap();
            kept.lock().unwrap().push((path, kind, body.to_vec()));
            axum::http::StatusCode::OK
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let server = Server::with(
        Options::dev_login()
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
            .env("OTEL_SERVICE_NAME", "zudui-under-test")
            .env("OTEL_BSP_SCHEDULE_DELAY", "100"),
    )
    .await;
    // The caller's trace (W3C Trace Context), which the request's span joins.
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let res = server
        .client
        .post(server.url("/auth/login"))
        .header("x-request-id", "trace-me-7")
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&json!({ "code": "traced" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let trace_id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&trace[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    // Protobuf keeps strings and ids as they are: the span's name, request id, status and
    // trace, and the service's name.
    let started = Instant::now();
    loop {
        let found = received.lock().unwrap().iter().any(|(path, kind, body)| {
            let has = |bytes: &[u8]| body.windows(bytes.len()).any(|w| w == bytes);
            path == "/v1/traces"
                && kind == "application/x-protobuf"
                && has(b"trace-me-7")
                && has(b"POST /auth/login")
                && has(b"http.response.status_code")
                && has(b"zudui-under-test")
                && has(&trace_id)
        });
        if found {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no span exported: {:?}",
            received
                .lock()
                .unwrap()
                .iter()
                .map(|(p, k, b)| (p.clone(), k.clone(), b.len()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// The relay's probes
// ---------------------------------------------------------------------------------------------

/// A relay in front of `chat_url`, sharing rooms through `redis_url` when given; its base URL.
async fn relay(chat_url: &str, redis_url: Option<&str>) -> (Process, String) {
    let (reserved, port) = reserve_port();
    drop(reserved);
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_zudui-relay"));
    command
        .env_clear()
        .env("ZUDUI_RELAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("ZUDUI_CHAT_URL", chat_url)
        .env("ZUDUI_RELAY_SECRET", "relay-secret-for-probe-tests-0123")
        .env("ZUDUI_JWT_SECRET", JWT_SECRET);
    if let Some(url) = redis_url {
        command.env("ZUDUI_REDIS_URL", url);
    }
    let mut process = Process::spawn("relay", command);
    process
        .wait_for_line(&format!("zudui-relay listening on {base}"))
        .await
        .expect("the relay starts");
    (process, base)
}

async fn probe(base: &str, path: &str) -> (u16, Value) {
    let res = reqwest::get(format!("{base}{path}")).await.expect("probe");
    (res.status().as_u16(), res.json().await.expect("JSON"))
}

/// `/readyz` once it answers `status` (within the 2 s an answer stands, and a little).
async fn probe_until(base: &str, status: u16) -> (u16, Value) {
    let started = Instant::now();
    loop {
        let answer = probe(base, "/readyz").await;
        if answer.0 == status {
            return answer;
        }
        assert!(started.elapsed() < WAIT, "/readyz stayed {answer:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_relay_is_ready_while_redis_and_the_chat_backend_answer() {
    let server = Server::start().await;
    let mut redis = Redis::spawn().await;
    let (_relay, base) = relay(&server.url(""), Some(&redis.url)).await;
    // The relay's answers carry request ids as the API's do.
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap();
    assert!(
        id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{id}"
    );
    assert_eq!(
        probe(&base, "/healthz").await,
        (200, json!({ "status": "ok" }))
    );
    let ready = json!({ "status": "ready", "checks": { "redis": true, "chat": true } });
    assert_eq!(probe(&base, "/readyz").await, (200, ready));

    redis.kill();
    // An answer stands 2 s.
    let (status, body) = probe_until(&base, 503).await;
    assert_eq!(
        (status, &body["checks"]["redis"]),
        (503, &json!(false)),
        "{body}"
    );
    assert_eq!(probe(&base, "/healthz").await.0, 200);
    redis.start_again().await;
    probe_until(&base, 200).await;

    // Without Redis it has nothing to check there; a backend that is gone makes it unready.
    let (reserved, closed) = reserve_port();
    drop(reserved);
    let (_alone, base) = relay(&format!("http://127.0.0.1:{closed}"), None).await;
    let unready = json!({ "status": "unready", "checks": { "redis": null, "chat": false } });
    assert_eq!(probe(&base, "/readyz").await, (503, unready));
}
