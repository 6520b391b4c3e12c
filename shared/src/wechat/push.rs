//! Message push (消息推送): WeChat calls the configured URL, signing each call with the token set
//! in the mini-program's console, and posts events as JSON (the plain-text mode).

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::security::Verdict;

/// Whether `signature` is WeChat's for `token`: the SHA-1 of token, timestamp and nonce, sorted
/// and joined.
pub fn signed(token: &str, timestamp: &str, nonce: &str, signature: &str) -> bool {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let digest = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    crate::secrets::matches(&digest, &signature.to_ascii_lowercase())
}

/// How far a push's `timestamp` may be from now, in seconds: a signed query seen once (a proxy's
/// log) cannot be replayed later.
pub const TIMESTAMP_SLACK: i64 = 300;

/// Whether `timestamp` (Unix seconds, as WeChat sends it) is within [`TIMESTAMP_SLACK`] of `now`.
pub fn recent(timestamp: &str, now: i64) -> bool {
    timestamp
        .parse::<i64>()
        .is_ok_and(|at| (at - now).abs() <= TIMESTAMP_SLACK)
}

/// A pushed event; only a media check's verdict (`wxa_media_check`) matters here.
#[derive(Debug, Deserialize)]
pub struct Event {
    #[serde(rename = "Event", default)]
    pub event: String,
    #[serde(default)]
    pub trace_id: String,
    #[serde(default)]
    pub errcode: i64,
    pub result: Option<Verdict>,
}

/// The event that carries a media check's verdict.
pub const MEDIA_CHECK: &str = "wxa_media_check";
