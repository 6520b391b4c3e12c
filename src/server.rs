//! The HTTP front of the native server: axum hands every request to the shared router.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use futures_util::{FutureExt, TryStreamExt};
use tracing::Instrument;
use zudui_relay::listener::{LimitedListener, Peer};
use zudui_relay::{Chat, Hub};
use zudui_shared::chat::live::{Event, Live, RelayLink};
use zudui_shared::client_addr::ClientAddr;
use zudui_shared::config::Settings;
use zudui_shared::limits::MemoryBuckets;
use zudui_shared::native::{DirKv, SqliteDb};
use zudui_shared::outbound::HttpClient;
use zudui_shared::routes::exchange::Exchange;
use zudui_shared::storage::{Database, KeyValue};
use zudui_shared::transport::{self, Lent};
use zudui_shared::{metrics, routes, App, Body};

use crate::blocking::OffWorkers;
use crate::chat::InProcess;
use crate::chunks::NativeChunks;
use crate::env_config::EnvConfig;
use zudui_relay::http::NativeHttp;

/// Opens the data directory and builds the application the handlers run against, with
/// messages delivered live by `hub` (or by the relays, when the settings name them).
pub fn open_app(config: &EnvConfig, hub: Arc<Hub>) -> anyhow::Result<App> {
    let db = SqliteDb::open(&config.data_dir.join("zudui.sqlite"))?;
    zudui_shared::migrate::ensure(&db).map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    let kv = DirKv::open(&config.data_dir.join("kv"))?;
    import_legacy_kv(&config.data_dir, &kv)?;
    let settings = Settings::load(config).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    log::info!("settings: {settings:?}");
    let http: Arc<dyn HttpClient> = Arc::new(NativeHttp::new()?);
    let live: Arc<dyn Live> = match RelayLink::of(settings.relay()?) {
        // Serving relays (as the Spin components do): live events go to them.
        Some(relay) => Arc::new(Forward {
            relay,
            http: http.clone(),
        }),
        None => hub,
    };
    App::builder(
        Arc::new(OffWorkers(db)),
        Arc::new(OffWorkers(kv.clone())),
        http,
        settings,
    )
    .local_chunks(Arc::new(NativeChunks(kv)))
    .live(live)
    // One process: rate-limit buckets need not leave memory.
    .buckets(Arc::new(MemoryBuckets::default()))
    .untrusted(Arc::new(crate::untrusted::Threads::sized()?))
    .costly(Arc::new(crate::blocking::LowPriority::new()?))
    .build()
}

/// Data directories made before the key-value store became a directory kept it in `kv.sqlite`
/// (pictures only): move its entries over once.
fn import_legacy_kv(data_dir: &std::path::Path, kv: &DirKv) -> anyhow::Result<()> {
    let legacy = data_dir.join("kv.sqlite");
    if !legacy.exists() {
        return Ok(());
    }
    let db = SqliteDb::open(&legacy)?;
    let rows = (&db as &dyn Database)
        .run(|c| Ok(c.query("SELECT key, value FROM kv", &[])?))
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", legacy.display()))?;
    for row in &rows {
        let (Ok(key), Some(zudui_shared::storage::Value::Blob(value))) =
            (row.text(0), row.0.get(1))
        else {
            continue;
        };
        kv.set(&key, value)?;
    }
    drop(db);
    std::fs::rename(&legacy, data_dir.join("kv.sqlite.imported"))?;
    log::info!("moved {} entries from kv.sqlite into kv/", rows.len());
    Ok(())
}

pub async fn run(config: EnvConfig) -> anyhow::Result<()> {
    // The chat's WebSocket rooms are held here; every other route goes to the shared handlers.
    let hub = Hub::new(None);
    let app = Arc::new(open_app(&config, hub.clone())?);
    zudui_relay::metrics_http::serve(config.metrics_listen.clone()).await?;
    // Uploads that expired while the server was down go with the crash's leftovers.
    let leftovers = zudui_shared::files::resumable::expire(&app)
        .and_then(|_expired| zudui_shared::files::content::leftovers(&app))
        .map_err(|e| anyhow::anyhow!("listing pending blobs: {e}"))?;
    tokio::spawn(sweep_blobs(app.clone(), leftovers));
    let chat = Chat::new(Arc::new(InProcess(app.clone())), hub.clone());
    // The sockets' handshakes get their request id and log line from the relay's layer; every
    // other request from `handle`.
    let router = chat
        .routes()
        .layer(axum::middleware::from_fn(zudui_relay::access::logged))
        .fallback(handle)
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    log::info!(
        "zudui listening on http://{} with data in {}",
        listener.local_addr()?,
        config.data_dir.display()
    );
    let listener = LimitedListener::new(listener, config.connections);
    zudui_relay::serve::serve(listener, router, async move {
        zudui_relay::service::stopped().await;
        hub.close_all();
    })
    .await?;
    log::info!("zudui stopped");
    Ok(())
}

/// Hands each live event to the relay before the handler answers, as the Spin host does: a
/// member removed is gone from the relays before the removal is confirmed.
struct Forward {
    relay: RelayLink,
    http: Arc<dyn HttpClient>,
}

impl Live for Forward {
    fn publish(&self, event: Event) {
        // Handlers are synchronous here; this worker waits while the others go on.
        tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(self.relay.send(&*self.http, &event))
        });
    }
}

/// Every request: convert, route through the shared handlers, convert back; one log line, its
/// metrics, and a span (the request's id and route on every event inside it, and what
/// OpenTelemetry exports when configured).
async fn handle(
    State(app): State<Arc<App>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings may carry tokens.
    let path = req.uri().path().to_owned();
    let (mut parts, body) = req.into_parts();
    if let Some(ConnectInfo(Peer(peer))) = parts.extensions.get::<ConnectInfo<Peer>>() {
        let peer = ClientAddr(peer.ip());
        parts.extensions.insert(peer);
    }
    // hyper knows whether the request has a body (a length over 0, or chunked).
    let may_have_body = !axum::body::HttpBody::is_end_stream(&body);
    let read = body
        .into_data_stream()
        .inspect_ok(|chunk| metrics::bytes_in(chunk.len()))
        .map_err(std::io::Error::other);
    let lent = Lent::new(read, may_have_body);
    let mut request = http::Request::from_parts(parts, Body::stream(lent.stream()));
    let exchange = Exchange::begin(&app, &mut request);
    let span = tracing::info_span!(
        "request",
        otel.name = tracing::field::Empty,
        http.request.method = metrics::method_label(&method),
        http.route = tracing::field::Empty,
        request_id = %exchange.id,
    );
    crate::telemetry::adopt_parent(&span, request.headers());
    let answered = async {
        transport::check_headers(request.headers())?;
        survive_panics(routes::serve(&app, request, routes::COMPONENTS)).await
    };
    let result = answered.instrument(span.clone()).await;
    let mut response = exchange.respond(result);
    if let Some(rest) = lent.unread() {
        // The handler answered before reading the whole body (an early refusal): the rest of it
        // is still on the wire, so this connection cannot carry another request.
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
        tokio::spawn(linger(rest));
    }
    let status = response.status().as_u16();
    let latency = started.elapsed();
    let route = exchange.route();
    let named = route.unwrap_or(metrics::UNMATCHED);
    span.record(
        "otel.name",
        format!("{} {named}", metrics::method_label(&method)),
    );
    span.record("http.route", route);
    crate::telemetry::answered(&span, status);
    metrics::request(route, &method, status, latency.as_secs_f64());
    let access = exchange.access(&method, &path, status, latency);
    span.in_scope(|| zudui_relay::access::line(&access));
    into_axum(response)
}

/// A handler's result, or 100 when it panicked: the panic is logged (by the hook, with where it
/// happened) and this request fails alone; the server goes on serving everyone else.
async fn survive_panics(
    handler: impl std::future::Future<Output = zudui_shared::Result<zudui_shared::Response>>,
) -> zudui_shared::Result<zudui_shared::Response> {
    match AssertUnwindSafe(handler).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("a non-text payload");
            Err(zudui_shared::Error::Internal(anyhow::anyhow!(
                "a handler panicked: {what}"
            )))
        }
    }
}

fn into_axum(response: zudui_shared::Response) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body.as_full() {
        Some(bytes) => {
            metrics::bytes_out(bytes.len());
            axum::body::Body::from(bytes.clone())
        }
        None => axum::body::Body::from_stream(
            body.into_stream()
                .inspect_ok(|chunk| metrics::bytes_out(chunk.len())),
        ),
    };
    axum::response::Response::from_parts(parts, body)
}

/// Reads and drops what a refused request is still sending, for a while (see
/// [`transport::LINGER_BYTES`]).
async fn linger(rest: impl zudui_shared::body::ByteStream + Unpin) {
    let linger = std::time::Duration::from_secs(transport::LINGER_SECS);
    let _ = tokio::time::timeout(linger, transport::drain(rest)).await;
}

/// Collects stored content that nothing will own: first what a crash left (`leftovers`, listed
/// before the server took any request, so no upload in flight is among them), then hourly the
/// uploads that expired and whatever stayed pending for a day, and expired chat files.
async fn sweep_blobs(app: Arc<App>, leftovers: Vec<(String, Option<i64>)>) {
    if !leftovers.is_empty() {
        let gone = zudui_shared::files::content::discard_all(&app, leftovers).await;
        metrics::swept("leftovers", Some(gone));
        log::info!("collected {gone} blobs left by an interrupted run");
    }
    let mut hourly = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        hourly.tick().await;
        let expired = zudui_shared::files::resumable::expire(&app);
        metrics::swept("uploads", expired.as_ref().ok().map(|n| *n as usize));
        if let Err(err) = expired {
            log::warn!("expiring uploads failed: {err}");
        }
        loop {
            let chat_files = zudui_shared::chat::files::sweep(&app).await;
            metrics::swept("chat_files", chat_files.as_ref().ok().copied());
            if let Err(err) = chat_files {
                log::warn!("chat file sweep failed: {err}");
            }
            let age = zudui_shared::files::resumable::LIFETIME;
            let blobs = zudui_shared::files::content::sweep(&app, age, 1000).await;
            metrics::swept("blobs", blobs.as_ref().ok().copied());
            match blobs {
                Ok(n) if n < 1000 => {
                    if n > 0 {
                        log::info!("collected {n} orphaned blobs");
                    }
                    break;
                }
                Ok(n) => log::info!("collected {n} orphaned blobs"),
                Err(err) => {
                    log::warn!("blob sweep failed: {err}");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zudui_shared::Code;

    async fn fine() -> zudui_shared::Result<zudui_shared::Response> {
        Ok(routes::success())
    }

    async fn buggy() -> zudui_shared::Result<zudui_shared::Response> {
        let ids: Vec<i64> = Vec::new();
        Ok(routes::ok(serde_json::json!({ "first": ids[0] })))
    }

    #[tokio::test]
    async fn a_panicking_handler_fails_alone_with_100() {
        let Err(failed) = survive_panics(buggy()).await else {
            panic!("the panic was not caught");
        };
        assert_eq!(failed.code(), Code::Internal);
        assert_eq!(routes::finish(Err(failed)).status(), 500);
        assert!(survive_panics(fine()).await.is_ok());
    }
}
