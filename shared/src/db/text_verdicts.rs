//! The `text_verdicts` table: WeChat's recent verdicts on texts, by digest.

use crate::params;
use crate::storage::Sql;
use crate::wechat::security::{Suggest, Verdict};

/// Rows of outdated verdicts deleted by one insert: more than one insert adds.
const PRUNE_BATCH: i64 = 8;

/// The verdict on `digest` checked at or after `since`.
pub fn recent(conn: &dyn Sql, digest: &str, since: i64) -> anyhow::Result<Option<Verdict>> {
    let rows = conn.query(
        "SELECT suggest, label FROM text_verdicts WHERE digest = ? AND checked_at >= ?",
        params![digest, since],
    )?;
    rows.first()
        .map(|r| {
            Ok(Verdict {
                suggest: Suggest::parse(&r.text(0)?)?,
                label: r.int(1)?,
            })
        })
        .transpose()
}

/// Keeps `verdict` on `digest` and deletes a few verdicts checked before `outdated`.
pub fn put(
    conn: &dyn Sql,
    digest: &str,
    verdict: Verdict,
    now: i64,
    outdated: i64,
) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO text_verdicts (digest, suggest, label, checked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (digest) DO UPDATE SET
             suggest = excluded.suggest, label = excluded.label, checked_at = excluded.checked_at",
        params![digest, verdict.suggest.as_str(), verdict.label, now],
    )?;
    conn.execute(
        "DELETE FROM text_verdicts WHERE digest IN
             (SELECT digest FROM text_verdicts WHERE checked_at < ? LIMIT ?)",
        params![outdated, PRUNE_BATCH],
    )?;
    Ok(())
}

pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT COUNT(*) FROM text_verdicts", &[])?[0].int(0)
}
