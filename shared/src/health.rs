//! Readiness: whether this instance can serve, store by store: its settings, the database, the
//! key-value store, where file contents go, and the relay when one is configured.
//!
//! The last two may be remote (object storage, the relay): each look there is an outbound
//! request, which hosted Spin counts against a small hourly budget that anyone could spend by
//! asking `/readyz` in a loop. So their answers are kept under one key-value key, a good one
//! for [`GOOD_FOR_MS`] and a bad one for [`BAD_FOR_MS`] (a store back up is seen soon), and the
//! instance that looks again first writes down that it does: others asking meanwhile get the
//! answers kept, not looks of their own. Without a working key-value store nothing remote is
//! asked (the instance is not ready anyway).

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::chat::live::RelayLink;
use crate::storage::{ChunkKey, Database};
use crate::time;

/// How long a good answer from a remote store stands: at most 2 outbound requests in 5 minutes.
pub const GOOD_FOR_MS: i64 = 5 * 60 * 1000;
/// How long a bad one stands.
pub const BAD_FOR_MS: i64 = 60 * 1000;
/// The one key the remote answers are kept under.
const REMOTE_KEY: &str = "health/remote";
/// The object read to see the file store answer (it never exists: an answer is a miss).
const PROBE: ChunkKey<'static> = ChunkKey::Chunk("readiness-probe", 0);

/// Each part and whether it answered; `None` for what this deployment does not use, or what has
/// not been asked yet (another request of the moment is asking).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Checks {
    pub settings: bool,
    pub database: bool,
    pub key_value: bool,
    pub file_store: Option<bool>,
    pub relay: Option<bool>,
}

impl Checks {
    pub fn ready(&self) -> bool {
        self.settings
            && self.database
            && self.key_value
            && self.file_store != Some(false)
            && self.relay != Some(false)
    }
}

/// Remote answers as kept.
#[derive(Clone, Copy, Default, Serialize, Deserialize)]
struct Remote {
    at_ms: i64,
    file_store: Option<bool>,
    relay: Option<bool>,
}

impl Remote {
    fn fresh(&self, now: i64) -> bool {
        let good = self.file_store != Some(false) && self.relay != Some(false);
        let lasts = if good { GOOD_FOR_MS } else { BAD_FOR_MS };
        (0..lasts).contains(&(now - self.at_ms))
    }
}

/// Asks every part now (the remote ones as above). A failure is logged here with its cause;
/// the answer only says which part failed.
pub async fn check(app: &App) -> Checks {
    let settings = app
        .settings
        .check_all()
        .map_err(|e| log::warn!("readiness: settings: {e}"))
        .is_ok();
    let database = (&*app.db as &dyn Database)
        .run(|c| Ok(c.query("SELECT 1", &[])?))
        .map_err(|e| log::warn!("readiness: database: {e}"))
        .is_ok();
    let (key_value, remote) = match app.kv.get(REMOTE_KEY) {
        Ok(kept) => {
            let kept: Remote = kept
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_default();
            refreshed(app, kept).await
        }
        Err(e) => {
            log::warn!("readiness: key-value store: {e}");
            (false, Remote::default())
        }
    };
    Checks {
        settings,
        database,
        key_value,
        file_store: remote.file_store,
        relay: remote.relay,
    }
}

/// The kept answers, or new ones when they are stale; and whether the key-value store took
/// what was written.
async fn refreshed(app: &App, kept: Remote) -> (bool, Remote) {
    let now = time::now_ms();
    if kept.fresh(now) {
        return (true, kept);
    }
    // Claimed first: until the looks below are done, others take the answers kept before.
    if let Err(e) = keep(app, &Remote { at_ms: now, ..kept }) {
        log::warn!("readiness: key-value store: {e}");
        return (false, Remote::default());
    }
    let (file_store, relay) = futures_util::future::join(file_store(app), relay(app)).await;
    let remote = Remote {
        at_ms: time::now_ms(),
        file_store: Some(file_store),
        relay,
    };
    let kept = keep(app, &remote);
    if let Err(e) = &kept {
        log::warn!("readiness: key-value store: {e}");
    }
    (kept.is_ok(), remote)
}

fn keep(app: &App, remote: &Remote) -> anyhow::Result<()> {
    let bytes = serde_json::to_vec(remote).expect("plain fields serialize");
    app.kv.set(REMOTE_KEY, &bytes)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_answers_stand_five_minutes_bad_ones_one() {
        let at = |file_store, relay| Remote {
            at_ms: 1_000_000,
            file_store,
            relay,
        };
        let rules = [
            (at(Some(true), None), GOOD_FOR_MS - 1, true),
            (at(Some(true), Some(true)), GOOD_FOR_MS, false),
            (at(Some(false), None), BAD_FOR_MS - 1, true),
            (at(Some(true), Some(false)), BAD_FOR_MS, false),
            // A claim in flight (nothing known yet) stands like a good answer.
            (at(None, None), BAD_FOR_MS, true),
            // A clock gone back does not keep an answer forever.
            (at(Some(true), None), -1, false),
        ];
        for (remote, age, fresh) in rules {
            assert_eq!(remote.fresh(remote.at_ms + age), fresh, "{age}");
        }
        assert!(!Remote::default().fresh(time::now_ms()));
    }
}
