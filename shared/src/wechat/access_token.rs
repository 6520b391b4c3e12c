//! The mini-program's access token: kept where every instance finds it (the key-value store on
//! Spin, where nothing outlives a request; memory in the relay), refreshed shortly before it
//! expires by one caller at a time while the others wait for its result.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::api::{Failure, ServerApi};
use crate::db::leases;
use crate::storage::{Database, KeyValue};
use crate::time;

/// A token is refreshed this long before WeChat's expiry, so that no call carries one that runs
/// out on the way.
const MARGIN_MS: i64 = 5 * 60 * 1000;
/// How long one caller may take to refresh before another may try.
const LEASE_MS: i64 = 10_000;
/// How a caller that finds another refreshing waits for its token: this many looks, this far
/// apart (longer than a refresh normally takes, shorter than a request may wait). The wait
/// blocks its thread: it happens only when two callers need a token at the same moment, once
/// every two hours.
const WAIT_LOOKS: u32 = 20;
const WAIT_STEP: Duration = Duration::from_millis(100);

#[derive(Clone, Serialize, Deserialize)]
pub struct Cached {
    pub token: String,
    pub expires_at_ms: i64,
}

impl Cached {
    pub fn expiring_in(token: String, expires_in_seconds: i64) -> Cached {
        Cached {
            token,
            expires_at_ms: time::now_ms() + expires_in_seconds.max(0) * 1000,
        }
    }

    fn usable(&self, now_ms: i64, stale: Option<&str>) -> bool {
        now_ms + MARGIN_MS < self.expires_at_ms && stale != Some(self.token.as_str())
    }
}

/// Where the token is kept, and who may refresh it.
pub trait TokenStore: crate::sendable::MaybeSend {
    fn get(&self) -> anyhow::Result<Option<Cached>>;
    fn put(&self, token: &Cached) -> anyhow::Result<()>;
    /// Whether this caller may refresh now (until `until_ms`, which names its lease): nobody
    /// else is.
    fn lease(&self, now_ms: i64, until_ms: i64) -> anyhow::Result<bool>;
    /// Gives back the lease taken until `until_ms`, unless it ran out and another took it.
    fn release(&self, until_ms: i64) -> anyhow::Result<()>;
}

/// A token that can be used: the kept one unless it is about to expire or is `stale` (WeChat
/// refused it), else a fresh one.
pub async fn current(api: &ServerApi<'_>, stale: Option<&str>) -> Result<String, Failure> {
    let store = api.tokens;
    let failed = |e: anyhow::Error| Failure::Unreachable(format!("token store: {e:#}"));
    for look in 0..WAIT_LOOKS {
        let now = time::now_ms();
        if let Some(kept) = store.get().map_err(failed)? {
            if kept.usable(now, stale) {
                return Ok(kept.token);
            }
        }
        let until = now + LEASE_MS;
        if store.lease(now, until).map_err(failed)? {
            // A token WeChat refused is refreshed by force: the normal mode would hand it back.
            let fetched = api.fetch_token(stale.is_some()).await;
            if let Ok(fresh) = &fetched {
                if let Err(err) = store.put(fresh) {
                    // This call still has its token; the next refreshes again.
                    log::warn!("the access token could not be kept: {err:#}");
                }
            }
            store.release(until).map_err(failed)?;
            return fetched.map(|fresh| fresh.token);
        }
        if look + 1 < WAIT_LOOKS {
            // Rare (two callers at the moment of a refresh, every two hours) and short.
            std::thread::sleep(WAIT_STEP);
        }
    }
    Err(Failure::Unreachable(
        "another caller is still refreshing the access token".into(),
    ))
}

/// The token in the key-value store (one key), its lease in the database (which can take it
/// atomically).
pub struct KvTokens<'a> {
    kv: &'a dyn KeyValue,
    db: &'a dyn Database,
}

const KEY: &str = "wechat/access_token";
const LEASE: &str = "wechat/access_token";

impl<'a> KvTokens<'a> {
    pub fn new(kv: &'a dyn KeyValue, db: &'a dyn Database) -> KvTokens<'a> {
        KvTokens { kv, db }
    }
}

impl TokenStore for KvTokens<'_> {
    fn get(&self) -> anyhow::Result<Option<Cached>> {
        // Something unreadable under the key is as good as nothing: it is refreshed.
        Ok(self
            .kv
            .get(KEY)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    fn put(&self, token: &Cached) -> anyhow::Result<()> {
        self.kv.set(KEY, &serde_json::to_vec(token)?)
    }

    fn lease(&self, now_ms: i64, until_ms: i64) -> anyhow::Result<bool> {
        Ok(self
            .db
            .run(|c| Ok(leases::take(c, LEASE, now_ms, until_ms)?))?)
    }

    fn release(&self, until_ms: i64) -> anyhow::Result<()> {
        Ok(self.db.run(|c| Ok(leases::release(c, LEASE, until_ms)?))?)
    }
}

/// The token in memory, for a long-lived process of its own (the relay).
#[derive(Default)]
pub struct MemoryTokens {
    token: Mutex<Option<Cached>>,
    leased_until_ms: AtomicI64,
}

impl TokenStore for MemoryTokens {
    fn get(&self) -> anyhow::Result<Option<Cached>> {
        Ok(self.token.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    fn put(&self, token: &Cached) -> anyhow::Result<()> {
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
        Ok(())
    }

    fn lease(&self, now_ms: i64, until_ms: i64) -> anyhow::Result<bool> {
        let held = self.leased_until_ms.load(Ordering::Acquire);
        Ok(held <= now_ms
            && self
                .leased_until_ms
                .compare_exchange(held, until_ms, Ordering::AcqRel, Ordering::Acquire)
                .is_ok())
    }

    fn release(&self, until_ms: i64) -> anyhow::Result<()> {
        let _ =
            self.leased_until_ms
                .compare_exchange(until_ms, 0, Ordering::AcqRel, Ordering::Acquire);
        Ok(())
    }
}
