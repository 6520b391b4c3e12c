//! Recent verdicts on texts, by a digest of scene and text: the same text is not sent to WeChat
//! twice within `content_verdict_seconds` (the hosted outbound budget is 500 calls an hour).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::text_verdicts;
use crate::storage::Database;
use crate::wechat::security::Verdict;

pub trait Verdicts: crate::sendable::MaybeSend {
    /// The verdict on `digest` given at or after `since` (Unix seconds).
    fn recent(&self, digest: &str, since: i64) -> anyhow::Result<Option<Verdict>>;
    /// Keeps `verdict` as given at `now`; verdicts before `outdated` may go.
    fn put(&self, digest: &str, verdict: Verdict, now: i64, outdated: i64) -> anyhow::Result<()>;
}

/// Verdicts in the database, for hosts whose instances share nothing else.
pub struct SqlVerdicts<'a>(pub &'a dyn Database);

impl Verdicts for SqlVerdicts<'_> {
    fn recent(&self, digest: &str, since: i64) -> anyhow::Result<Option<Verdict>> {
        Ok(self
            .0
            .run(|c| Ok(text_verdicts::recent(c, digest, since)?))?)
    }

    fn put(&self, digest: &str, verdict: Verdict, now: i64, outdated: i64) -> anyhow::Result<()> {
        Ok(self
            .0
            .run(|c| Ok(text_verdicts::put(c, digest, verdict, now, outdated)?))?)
    }
}

/// Verdicts in memory, for the relay; at most [`MEMORY_MAX`] kept.
#[derive(Default)]
pub struct MemoryVerdicts(Mutex<HashMap<String, (Verdict, i64)>>);

/// Verdicts the relay keeps at most: a few hundred kilobytes.
pub const MEMORY_MAX: usize = 4096;

impl Verdicts for MemoryVerdicts {
    fn recent(&self, digest: &str, since: i64) -> anyhow::Result<Option<Verdict>> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(kept
            .get(digest)
            .filter(|(_, at)| *at >= since)
            .map(|(v, _)| *v))
    }

    fn put(&self, digest: &str, verdict: Verdict, now: i64, outdated: i64) -> anyhow::Result<()> {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MEMORY_MAX {
            kept.retain(|_, (_, at)| *at >= outdated);
            if kept.len() >= MEMORY_MAX {
                kept.clear();
            }
        }
        kept.insert(digest.to_owned(), (verdict, now));
        Ok(())
    }
}
