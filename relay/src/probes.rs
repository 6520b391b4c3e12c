//! The relay's probes: `GET /healthz` (the process answers) and `GET /readyz` (Redis answers a
//! PING when rooms are shared through it, and the Spin application behind, at `ZUDUI_CHAT_URL`,
//! answers its own `/healthz`), with the shape of the API's probes. An answer stands [`KEPT`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{json, Value};

/// Each look waits this long at most: a probe must answer before its orchestrator gives up.
const WAIT: Duration = Duration::from_secs(2);
/// An answer stands this long: asking in a loop (the relay is public) opens no Redis connection
/// and sends no request to the backend more often than this.
const KEPT: Duration = Duration::from_secs(2);

#[derive(Clone)]
pub struct Probes {
    redis: Option<redis::Client>,
    chat_health: String,
    http: reqwest::Client,
    /// The last answer and when it was made; held while a look is under way, so one looks.
    last: Arc<tokio::sync::Mutex<Option<(Instant, StatusCode, Value)>>>,
}

impl Probes {
    pub fn new(redis: Option<redis::Client>, chat_url: &str) -> anyhow::Result<Probes> {
        Ok(Probes {
            redis,
            chat_health: format!("{}/healthz", chat_url.trim_end_matches('/')),
            http: reqwest::Client::builder().timeout(WAIT).build()?,
            last: Arc::default(),
        })
    }

    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        axum::Router::new()
            .route("/healthz", get(alive))
            // The name it had first, as it answered then.
            .route("/health", get(|| async { "ok" }))
            .route("/readyz", get(ready).with_state(self))
    }
}

async fn alive() -> Response {
    answer(StatusCode::OK, json!({ "status": "ok" }))
}

async fn ready(State(probes): State<Probes>) -> Response {
    let mut last = probes.last.lock().await;
    if let Some((at, status, body)) = &*last {
        if at.elapsed() < KEPT {
            return answer(*status, body.clone());
        }
    }
    let (status, body) = look(&probes).await;
    *last = Some((Instant::now(), status, body.clone()));
    answer(status, body)
}

async fn look(probes: &Probes) -> (StatusCode, Value) {
    let (redis, chat) = tokio::join!(redis_answers(probes.redis.as_ref()), chat_answers(probes));
    let ready = chat && redis != Some(false);
    let status = match ready {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    let word = if ready { "ready" } else { "unready" };
    let checks = json!({ "redis": redis, "chat": chat });
    (status, json!({ "status": word, "checks": checks }))
}

fn answer(status: StatusCode, body: Value) -> Response {
    let headers = [
        (http::header::CONTENT_TYPE, "application/json"),
        (http::header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, body.to_string()).into_response()
}

async fn redis_answers(client: Option<&redis::Client>) -> Option<bool> {
    let client = client?;
    let ping = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut connection)
            .await
    };
    let answered = match tokio::time::timeout(WAIT, ping).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            log::warn!("readiness: redis: {e}");
            false
        }
        Err(_) => {
            log::warn!("readiness: redis did not answer in {WAIT:?}");
            false
        }
    };
    Some(answered)
}

async fn chat_answers(probes: &Probes) -> bool {
    match probes.http.get(&probes.chat_health).send().await {
        Ok(response) if response.status().is_success() => true,
        Ok(response) => {
            log::warn!("readiness: the chat backend answered {}", response.status());
            false
        }
        Err(e) => {
            log::warn!("readiness: the chat backend: {}", e.without_url());
            false
        }
    }
}
