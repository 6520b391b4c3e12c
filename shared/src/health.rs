//! Readiness: whether this instance can serve, store by store: the database, the key-value
//! store, where file contents go, and the relay when one is configured.
//!
//! The last two may be remote (object storage, the relay): each look there is an outbound
//! request, which hosted Spin counts against a small hourly budget that anyone could spend by
//! asking `/readyz` in a loop. So their answers are kept for [`REMOTE_FOR_MS`] under one
//! key-value key, whatever they were.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::chat::live::RelayLink;
use crate::storage::{ChunkKey, Database};
use crate::time;

/// How long an answer from a remote store stands: at most 2 outbound requests per 5 minutes.
pub const REMOTE_FOR_MS: i64 = 5 * 60 * 1000;
/// The one key the remote answers are kept under.
const REMOTE_KEY: &str = "health/remote";
/// The object read to see the file store answer (it never exists: an answer is a miss).
const PROBE: ChunkKey<'static> = ChunkKey::Chunk("readiness-probe", 0);

/// Each store and whether it answered; `None` for what this deployment does not use.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Checks {
    pub database: bool,
    pub key_value: bool,
    pub file_store: bool,
    pub relay: Option<bool>,
}

impl Checks {
    pub fn ready(&self) -> bool {
        self.database && self.key_value && self.file_store && self.relay != Some(false)
    }
}

/// Remote answers as kept.
#[derive(Serialize, Deserialize)]
struct Remote {
    at_ms: i64,
    file_store: bool,
    relay: Option<bool>,
}

/// Asks every store now (the remote ones at most every [`REMOTE_FOR_MS`]). A failure is
/// logged here with its cause; the answer only says which store failed.
pub async fn check(app: &App) -> Checks {
    let database = (&*app.db as &dyn Database)
        .run(|c| Ok(c.query("SELECT 1", &[])?))
        .map_err(|e| log::warn!("readiness: database: {e}"))
        .is_ok();
    let kept = app
        .kv
        .get(REMOTE_KEY)
        .map_err(|e| log::warn!("readiness: key-value store: {e}"));
    let key_value = kept.is_ok();
    let now = time::now_ms();
    let kept: Option<Remote> = kept
        .ok()
        .flatten()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .filter(|r: &Remote| (0..REMOTE_FOR_MS).contains(&(now - r.at_ms)));
    let remote = match kept {
        Some(remote) => remote,
        None => {
            let remote = Remote {
                at_ms: now,
                file_store: file_store(app).await,
                relay: relay(app).await,
            };
            if key_value {
                let bytes = serde_json::to_vec(&remote).expect("plain fields serialize");
                if let Err(e) = app.kv.set(REMOTE_KEY, &bytes) {
                    log::warn!("readiness: keeping the answers: {e}");
                }
            }
            remote
        }
    };
    Checks {
        database,
        key_value,
        file_store: remote.file_store,
        relay: remote.relay,
    }
}

async fn file_store(app: &App) -> bool {
    app.chunks
        .get(PROBE)
        .await
        .map_err(|e| log::warn!("readiness: file store: {e:#}"))
        .is_ok()
}

/// The relay's own liveness, when live events go to one.
async fn relay(app: &App) -> Option<bool> {
    let settings = app.settings.relay().ok()?;
    RelayLink::of(settings)?;
    let url = RelayLink::health_url(settings.relay_url.as_deref()?);
    let request = http::Request::get(url).body(Vec::new()).ok()?;
    let answered = match app.http.send(request).await {
        Ok(response) if response.status().is_success() => true,
        Ok(response) => {
            log::warn!("readiness: relay answered {}", response.status());
            false
        }
        Err(e) => {
            log::warn!("readiness: relay: {e:#}");
            false
        }
    };
    Some(answered)
}
