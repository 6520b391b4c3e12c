//! A small HTTP proxy between the relays and the server: it counts the requests by path (how
//! often the relays read `/chat/internal/after`) and answers some in the server's place on
//! demand (a history read that fails while a client connects, gap fills that find nothing),
//! as a backend in trouble answers. It runs on its own thread and runtime, so that a test
//! blocking its own runtime (starting a process) never stalls the relays' calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;

pub const HISTORY: &str = "/chat/internal/history";
pub const AFTER: &str = "/chat/internal/after";

/// Stops when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    shared: Arc<Shared>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

struct Shared {
    /// Where requests go: `http://HOST:PORT`.
    target: String,
    client: reqwest::Client,
    counts: Mutex<HashMap<String, u64>>,
    /// Answers given in the server's place, by path: how many more, HTTP status, JSON body.
    canned: Mutex<HashMap<String, (usize, u16, String)>>,
}

impl Proxy {
    /// A proxy to `target` (`http://HOST:PORT`) on a free loopback port.
    pub fn start(target: &str) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.set_nonblocking(true).expect("non-blocking");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Arc::new(Shared {
            target: target.to_owned(),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("client"),
            counts: Mutex::default(),
            canned: Mutex::default(),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(shared.clone());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                // Ends when the proxy is dropped; its connections go with the runtime.
                tokio::select! {
                    served = axum::serve(listener, app) => served.expect("proxy serving"),
                    _ = stopped => {}
                }
            });
        });
        Proxy {
            base,
            shared,
            _stop: stop,
        }
    }

    /// How many requests for `path` arrived so far (failed ones included).
    pub fn count(&self, path: &str) -> u64 {
        let counts = self
            .shared
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.get(path).copied().unwrap_or(0)
    }

    /// The next `times` requests for `path` fail as the server's own failure does: HTTP 500
    /// with code 100.
    pub fn fail(&self, path: &str, times: usize) {
        let failure = json!({ "code": 100, "errorMsg": "proxy: failing on purpose" });
        self.answer(path, times, 500, failure);
    }

    /// The next `times` requests for `path` get `body` with HTTP `status`, in the server's
    /// place.
    pub fn answer(&self, path: &str, times: usize, status: u16, body: serde_json::Value) {
        let mut canned = self
            .shared
            .canned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        canned.insert(path.to_owned(), (times, status, body.to_string()));
    }

    /// Requests for `path` go to the server again.
    pub fn pass(&self, path: &str) {
        let mut canned = self
            .shared
            .canned
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        canned.remove(path);
    }
}

async fn forward(State(shared): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    *shared
        .counts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(path.clone())
        .or_default() += 1;
    let canned = match shared
        .canned
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_mut(&path)
    {
        Some((left, status, body)) if *left > 0 => {
            *left -= 1;
            Some((*status, body.clone()))
        }
        _ => None,
    };
    if let Some((status, body)) = canned {
        return answer(status, "application/json", body.into());
    }
    let (mut parts, body) = req.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return answer(502, "text/plain", "request cut".into());
    };
    let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.headers.remove(http::header::HOST);
    let sent = shared
        .client
        .request(parts.method, format!("{}{target}", shared.target))
        .headers(parts.headers)
        .body(body)
        .send()
        .await;
    // A server away (killed, starting again) is a 502 without JSON, which the relays take as
    // the backend failing, as when it cannot be reached.
    let Ok(res) = sent else {
        return answer(502, "text/plain", "server unreachable".into());
    };
    let status = res.status().as_u16();
    let content_type = res
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    match res.bytes().await {
        Ok(bytes) => answer(status, &content_type, bytes),
        Err(_) => answer(502, "text/plain", "answer cut".into()),
    }
}

fn answer(status: u16, content_type: &str, body: bytes::Bytes) -> Response {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a response")
}
