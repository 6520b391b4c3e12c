//! The Spin host of Zudui: Spin's SQLite, key-value store, variables and outbound HTTP behind the
//! shared crate's traits, and [`serve`], which each component's `#[http_component]` calls with its
//! own routes. Nothing here knows any business rule.

// `App` holds its stores in `Arc`s (the native server shares them between threads); a component
// has one thread, so its stores are neither `Send` nor `Sync`, and need not be.
#![cfg_attr(target_arch = "wasm32", allow(clippy::arc_with_non_send_sync))]

mod storage;

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use zudui_shared::admin::guard::OverTls;
use zudui_shared::body::ByteStream;
use zudui_shared::chat::live::{Outbox, RelayLink};
use zudui_shared::client_addr::ClientAddr;
use zudui_shared::config::{Config, Settings};
use zudui_shared::outbound::HttpClient;
use zudui_shared::routes::exchange::Exchange;
use zudui_shared::sendable::{send_stream, BoxFuture};
use zudui_shared::transport::{self, Lent};
use zudui_shared::{migrate, App, Body, Request, Response, Result};

pub use zudui_shared::routes;

/// Serves one request to `component` (`routes::GROUP`, say) with its routes.
pub async fn serve(req: IncomingRequest, out: ResponseOutparam, component: routes::Component) {
    install_logger();
    let started = std::time::Instant::now();
    let method: http::Method = req.method().into();
    // The path only: query strings may carry tokens.
    let path = req.path_with_query().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default().to_owned();
    let mut unread = None;
    // Messages and departures a handler publishes go to the relay, which holds the sockets,
    // once the handler is done.
    let outbox = Arc::new(Outbox::default());
    let response = match open_app(outbox.clone()) {
        Ok(app) => {
            let response = match into_request(req) {
                Ok((mut request, lent)) => {
                    unread = Some(lent);
                    let exchange = Exchange::begin(&app, &mut request);
                    let result = match transport::check_headers(request.headers()) {
                        Ok(()) => routes::serve(&app, request, &[component]).await,
                        Err(err) => Err(err),
                    };
                    let response = exchange.respond(result);
                    let access = exchange.access(
                        &method,
                        &path,
                        response.status().as_u16(),
                        started.elapsed(),
                    );
                    log_line(
                        log::Level::Info,
                        "zudui::access",
                        serde_json::to_value(&access).ok(),
                    );
                    response
                }
                Err(err) => routes::finish(Err(err.into())),
            };
            let events = outbox.take();
            if !events.is_empty() {
                match app.settings.relay() {
                    Ok(settings) => {
                        if let Some(relay) = RelayLink::of(settings) {
                            for event in &events {
                                relay.send(&*app.http, event).await;
                            }
                        }
                    }
                    Err(err) => log::error!("live events not sent: {err}"),
                }
            }
            response
        }
        Err(err) => routes::finish(Err(err)),
    };
    send_response(response, out).await;
    // A refusal the handler answered early: the client may still be sending its body, and reads
    // the answer only once it has sent it (the platform's request timeout bounds the time).
    if let Some(rest) = unread.and_then(Lent::unread) {
        transport::drain(rest).await;
    }
}

/// A new component instance serves each request (Spin 4 reuses no WASIp2 instance), so nothing
/// is done before it is needed: Spin connects to the database at the first statement, the schema
/// is checked at the first write (or a read that misses a table), variables are read when their
/// group is first used, and the key-value store opens when a request first uses it.
fn open_app(outbox: Arc<Outbox>) -> Result<App> {
    let db = migrate::OnFirstWrite::new(storage::SpinDb::open()?);
    let settings = Settings::lazy(Box::new(SpinConfig))?;
    let kv = Arc::new(storage::SpinKv::default());
    Ok(App::builder(Arc::new(db), kv, Arc::new(SpinHttp), settings)
        .live(outbox)
        .build()?)
}

/// The request, and its body lent to it.
fn into_request(req: IncomingRequest) -> anyhow::Result<(Request, Lent<impl ByteStream + Unpin>)> {
    let method: http::Method = req.method().into();
    let uri = req.path_with_query().unwrap_or_else(|| "/".into());
    let mut builder = http::Request::builder().method(method).uri(uri);
    for (name, value) in req.headers().entries() {
        builder = builder.header(name, value);
    }
    let stream = send_stream(req.into_body_stream().map(|chunk| {
        chunk
            .map(bytes::Bytes::from)
            .map_err(|e| std::io::Error::other(format!("{e:?}")))
    }));
    let mut request = builder.body(Body::empty())?;
    let lent = Lent::new(stream, transport::may_have_body(request.headers()));
    *request.body_mut() = Body::stream(lent.stream());
    // Spin names the connection's peer and the URL it was asked for in headers of its own.
    if let Some(peer) = spin_header(&request, "spin-client-addr") {
        if let Ok(peer) = peer.parse::<std::net::SocketAddr>() {
            request.extensions_mut().insert(ClientAddr(peer.ip()));
        }
    }
    if spin_header(&request, "spin-full-url").is_some_and(|url| url.starts_with("https://")) {
        request.extensions_mut().insert(OverTls);
    }
    Ok((request, lent))
}

/// A header Spin sets. Spin (4.0.2, `trigger-http`'s `prepare_request_headers`) appends its own
/// values after the client's headers without removing a client's header of the same name, so a
/// client's forged `spin-client-addr` comes first and Spin's own value last.
fn spin_header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    let value = request.headers().get_all(name).iter().next_back()?;
    value.to_str().ok()
}

async fn send_response(response: Response, out: ResponseOutparam) {
    let (mut parts, body) = response.into_parts();
    if let Some(full) = body.as_full() {
        // A body in memory goes with its length, as the native server sends it (else Spin sends
        // it chunked).
        parts
            .headers
            .insert(http::header::CONTENT_LENGTH, full.len().into());
    }
    let headers: Vec<(String, Vec<u8>)> = parts
        .headers
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
        .collect();
    let outgoing =
        OutgoingResponse::new(Fields::from_list(&headers).unwrap_or_else(|_| Fields::new()));
    let _ = outgoing.set_status_code(parts.status.as_u16());
    let mut sink = outgoing.take_body();
    out.set(outgoing);
    let mut stream = body.into_stream();
    while let Some(chunk) = stream.next().await {
        let sent = match chunk {
            Ok(chunk) => sink.send(chunk.to_vec()).await,
            Err(err) => {
                log::error!("response body failed mid-stream: {err}");
                return;
            }
        };
        if let Err(err) = sent {
            log::warn!("client went away: {err:?}");
            return;
        }
    }
}

/// Spin variables: the same names as the native `ZUDUI_*` settings, lower case, no prefix.
struct SpinConfig;

impl Config for SpinConfig {
    fn get(&self, name: &str) -> Option<String> {
        spin_sdk::variables::get(name).ok()
    }
}

/// Spin's outbound HTTP, limited by `allowed_outbound_hosts` in `spin.toml`.
struct SpinHttp;

impl HttpClient for SpinHttp {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, anyhow::Result<http::Response<Vec<u8>>>> {
        Box::pin(async move {
            let response: spin_sdk::http::Response = spin_sdk::http::send(request).await?;
            let mut out = http::Response::builder().status(*response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value.as_bytes());
            }
            Ok(out.body(response.into_body())?)
        })
    }
}

/// Log lines go to stderr, which Spin keeps in the component's log: one JSON object per line,
/// in the shape of the native server's (`timestamp`, `level`, `fields`, `target`).
fn install_logger() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, metadata: &log::Metadata) -> bool {
            metadata.level() <= log::Level::Info
        }
        fn log(&self, record: &log::Record) {
            if self.enabled(record.metadata()) {
                let message = serde_json::json!({ "message": record.args().to_string() });
                log_line(record.level(), record.target(), Some(message));
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

fn log_line(level: log::Level, target: &str, fields: Option<serde_json::Value>) {
    let line = serde_json::json!({
        "timestamp": zudui_shared::time::log_timestamp(),
        "level": level.as_str(),
        "fields": fields,
        "target": target,
    });
    eprintln!("{line}");
}
