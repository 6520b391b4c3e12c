//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::files;
pub use crate::common::ws::{self, Socket};
pub use crate::common::{admit, create_group, splitmix64, user, Options, Server, User};
pub use bytes::Bytes;
pub use futures_util::{SinkExt, StreamExt};
pub use reqwest::multipart::{Form, Part};
pub use serde_json::{json, Value};
pub use sha2::{Digest, Sha256};
pub use std::collections::{BTreeMap, HashMap, HashSet};
pub use std::path::{Path, PathBuf};
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
pub use tokio_tungstenite::tungstenite::Message;
pub use zudui_shared::storage::KeyValue;

pub const ADMIN_TOKEN: &str = "crash-test-admin-token-0123456789";

/// Bytes per part of a resumable upload.
pub const PART_SIZE: usize = 8_000_000;

/// How long the startup sweep may take to collect a crash's leftovers.
pub const SWEEP_WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// The server process, on a data directory that outlives it
// ---------------------------------------------------------------------------------------------

/// Starts `zudui` on `data` (which may hold a killed server's state) and waits until it
/// listens: files in the key-value store under `kv/`, which the checks read. The JWT secret is
/// the same at every start, so tokens stay valid.
pub async fn start(data: &Path, name: &str) -> Server {
    let options = Options::dev_login()
        .env("ZUDUI_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("ZUDUI_BLOB_STORE", "kv")
        .data_dir(data)
        .label(name);
    Server::with(options).await
}

/// A group created by `owner` with `members` admitted.
pub async fn group(server: &Server, owner: &User, name: &str, members: &[&User]) -> i64 {
    let group = create_group(server, owner, name).await;
    for who in members {
        admit(server, owner, who, group).await;
    }
    group
}

/// A whole download, or what went wrong: a failed request, a status but 200, or a body shorter
/// than declared (a chunk missing in the middle of the stream ends it early).
pub async fn download(
    server: &Server,
    who: &User,
    group: i64,
    file: i64,
) -> Result<Vec<u8>, String> {
    let res = server
        .client
        .get(server.url(files::DOWNLOAD))
        .query(&[
            ("token", who.token.as_str()),
            ("group_id", &group.to_string()),
            ("file_id", &file.to_string()),
        ])
        .send()
        .await
        .map_err(|e| format!("request: {}", e.without_url()))?;
    let status = res.status().as_u16();
    let declared = res.content_length();
    let body = res
        .bytes()
        .await
        .map_err(|e| format!("body: {}", e.without_url()))?;
    if status != 200 {
        return Err(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        ));
    }
    if declared.is_some_and(|d| d != body.len() as u64) {
        return Err(format!(
            "Content-Length {declared:?} but {} bytes",
            body.len()
        ));
    }
    Ok(body.to_vec())
}

/// The used space of a group as the admin console reports it.
pub async fn used_bytes(server: &Server, group: i64) -> u64 {
    let res = server
        .client
        .get(server.url("/debug/api/group"))
        .query(&[("group_id", group.to_string())])
        .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("console");
    let value: Value = res.json().await.expect("console JSON");
    assert_eq!(value["code"], 0, "{value}");
    value["files"]["used_bytes"]
        .as_u64()
        .unwrap_or_else(|| panic!("no used_bytes: {value}"))
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

/// `len` pseudo-random bytes, different for every `seed` (and recognised as no known type).
pub fn content(seed: u64, len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len + 8);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(&splitmix64((seed << 40) ^ i).to_le_bytes());
        i += 1;
    }
    out.truncate(len);
    Bytes::from(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `data` as a request body sent slowly: `piece` bytes, then a `pause`, and so on, so that a
/// kill lands in the middle of it.
pub fn slow_body(data: Bytes, piece: usize, pause: Duration) -> reqwest::Body {
    let stream = futures_util::stream::unfold(0usize, move |pos| {
        let data = data.clone();
        async move {
            if pos >= data.len() {
                return None;
            }
            if pos > 0 {
                tokio::time::sleep(pause).await;
            }
            let end = (pos + piece).min(data.len());
            Some((Ok::<_, std::io::Error>(data.slice(pos..end)), end))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

// ---------------------------------------------------------------------------------------------
// What the data directory holds
// ---------------------------------------------------------------------------------------------

pub fn open_db(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data.join("zudui.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open SQLite read-only")
}

pub fn strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.expect("row")).collect()
}

/// `PRAGMA integrity_check`: `ok`, or the problems found.
pub fn integrity(data: &Path) -> String {
    strings(&open_db(data), "PRAGMA integrity_check").join("; ")
}

pub fn kv(data: &Path) -> zudui_shared::native::DirKv {
    zudui_shared::native::DirKv::open(&data.join("kv")).expect("kv dir")
}

/// The blob a chunk store key belongs to: `file/<blob>/<n>` or `file/<blob>.<part>`.
pub fn blob_of_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("file/")?;
    Some(rest.split(['/', '.']).next().unwrap_or(rest))
}

/// Files of the key-value directory that are no key: temporary files of writes that were cut
/// before their rename (in `kv/tmp/`, or named `*.tmp*` beside their key by older versions).
pub fn temporary_files(data: &Path) -> Vec<(PathBuf, u64)> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(data.join("kv")).expect("kv dir") {
        let shard = shard.expect("shard").path();
        if !shard.is_dir() {
            continue;
        }
        let temp = shard.file_name().is_some_and(|n| n == "tmp");
        for file in std::fs::read_dir(&shard).expect("shard dir") {
            let file = file.expect("file");
            if temp || file.file_name().to_string_lossy().contains('.') {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                out.push((file.path(), len));
            }
        }
    }
    out
}

/// What breaks invariant 3 now: chunks of no file row and no live upload, pending blobs that no
/// live upload explains, and temporary files of interrupted writes.
pub fn orphans(data: &Path) -> Vec<String> {
    let db = open_db(data);
    let live: HashSet<String> = strings(&db, "SELECT blob FROM file_uploads")
        .into_iter()
        .collect();
    let mut owned = live.clone();
    owned.extend(strings(
        &db,
        "SELECT blob FROM group_files WHERE blob IS NOT NULL",
    ));
    owned.extend(strings(&db, "SELECT blob FROM chat_files"));
    let mut out = Vec::new();
    let mut keys = kv(data).keys().expect("kv keys");
    keys.sort();
    let mut orphan_blobs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for key in &keys {
        if let Some(blob) = blob_of_key(key) {
            if !owned.contains(blob) {
                orphan_blobs
                    .entry(blob.to_owned())
                    .or_default()
                    .push(key.clone());
            }
        }
    }
    let pending: Vec<(String, i64)> = {
        let mut stmt = db
            .prepare("SELECT blob, since FROM blob_pending ORDER BY blob")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap());
        rows.collect()
    };
    let since: HashMap<&str, i64> = pending.iter().map(|(b, s)| (b.as_str(), *s)).collect();
    for (blob, keys) in &orphan_blobs {
        out.push(format!(
            "orphan blob {blob} (pending since {:?}): {} chunk objects owned by no file row and no \
             live upload: {:?}",
            since.get(blob.as_str()),
            keys.len(),
            keys
        ));
    }
    for (blob, since) in &pending {
        if !live.contains(blob) {
            out.push(format!(
                "blob_pending still holds {blob} (since {since}), which no live upload owns"
            ));
        }
    }
    for (path, len) in temporary_files(data) {
        out.push(format!(
            "temporary file of an interrupted write left in kv/: {} ({len} bytes)",
            path.display()
        ));
    }
    out
}

/// Waits up to [`SWEEP_WAIT`] for the startup sweep; returns what is still wrong then.
pub async fn orphans_after_sweep(data: &Path) -> Vec<String> {
    let start = Instant::now();
    loop {
        let found = orphans(data);
        if found.is_empty() || start.elapsed() > SWEEP_WAIT {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A stored file: its row and the chunk objects holding it.
pub struct Stored {
    pub id: i64,
    pub group: i64,
    pub name: String,
    pub blob: String,
    pub size: u64,
    pub chunk_size: u64,
}

pub fn stored_files(data: &Path) -> Vec<Stored> {
    let db = open_db(data);
    let mut stmt = db
        .prepare(
            "SELECT id, group_id, name, blob, size, chunk_size FROM group_files
             WHERE is_dir = 0 ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok(Stored {
                id: r.get(0)?,
                group: r.get(1)?,
                name: r.get(2)?,
                blob: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
                chunk_size: r.get::<_, i64>(5)? as u64,
            })
        })
        .unwrap()
        .map(|r| r.unwrap());
    rows.collect()
}

/// Invariant 5 (and the chunks of every file row): for each group, the used space the console
/// reports, `SUM(size)` of its files, and the bytes of its files' chunk objects in `kv/` agree,
/// and each file has exactly its chunks.
pub async fn check_quota(
    server: &Server,
    data: &Path,
    groups: &[i64],
    violations: &mut Vec<String>,
) {
    let files = stored_files(data);
    let store = kv(data);
    let keys: Vec<String> = store.keys().expect("kv keys");
    let mut keys_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for key in &keys {
        if let Some(blob) = blob_of_key(key) {
            keys_of.entry(blob).or_default().push(key);
        }
    }
    let mut chunk_bytes: HashMap<i64, u64> = HashMap::new();
    let mut row_bytes: HashMap<i64, u64> = HashMap::new();
    for f in &files {
        *row_bytes.entry(f.group).or_default() += f.size;
        let count = f.size.div_ceil(f.chunk_size.max(1));
        let mut found = 0u64;
        let mut missing = Vec::new();
        for n in 0..count {
            let key = format!("file/{}/{n}", f.blob);
            match store.get(&key).expect("kv get") {
                Some(value) => {
                    let want = f.chunk_size.min(f.size - n * f.chunk_size);
                    if value.len() as u64 != want {
                        violations.push(format!(
                            "file {} ({}): chunk {key} holds {} bytes, not {want}",
                            f.id,
                            f.name,
                            value.len()
                        ));
                    }
                    found += value.len() as u64;
                }
                None => missing.push(n),
            }
        }
        if !missing.is_empty() {
            violations.push(format!(
                "file {} ({}, {} bytes) is listed but chunks {missing:?} of its {count} \
                 (file/{}/N) are missing",
                f.id, f.name, f.size, f.blob
            ));
        }
        let extra: Vec<&&str> = keys_of
            .get(f.blob.as_str())
            .map(|keys| {
                keys.iter()
                    .filter(|k| {
                        k.rsplit('/')
                            .next()
                            .and_then(|n| n.parse::<u64>().ok())
                            .is_some_and(|n| n >= count)
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !extra.is_empty() {
            violations.push(format!(
                "file {} ({}): chunk objects past its size: {extra:?}",
                f.id, f.name
            ));
        }
        *chunk_bytes.entry(f.group).or_default() += found;
    }
    for &group in groups {
        let used = used_bytes(server, group).await;
        let rows = row_bytes.get(&group).copied().unwrap_or(0);
        let chunks = chunk_bytes.get(&group).copied().unwrap_or(0);
        if used != chunks || rows != chunks {
            violations.push(format!(
                "group {group}: the console reports {used} bytes used, its file rows sum to \
                 {rows}, its files' chunk objects hold {chunks} bytes"
            ));
        }
    }
}

/// Starts the server again after a kill and checks what every restart must give: an intact
/// database (invariant 1) and no leftovers once the startup sweep ran (invariant 3).
pub async fn restart(data: &Path, name: &str, violations: &mut Vec<String>) -> Server {
    let server = start(data, name).await;
    let check = integrity(data);
    if check != "ok" {
        violations.push(format!("{name}: integrity_check: {check}"));
    }
    for problem in orphans_after_sweep(data).await {
        violations.push(format!("{name}: {problem}"));
    }
    server
}

pub fn fail_on(violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{} violation(s):\n  - {}",
        violations.len(),
        violations.join("\n  - ")
    );
}

/// Sleeps until `into` past the start of the next wall-clock second (the server stores times in
/// whole seconds, so some rounds are placed within one second on purpose).
pub async fn align_to_second(into: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let to_next = Duration::from_secs(1) - Duration::from_nanos(now.subsec_nanos() as u64);
    tokio::time::sleep(to_next + into).await;
}
