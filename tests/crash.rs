//! Crash safety: the real `zudui` binary is killed with SIGKILL in the middle of work (slow
//! multipart uploads, resumable uploads with parts put and parts in flight, chat traffic), then
//! started again on the same data directory, and the invariants are checked:
//!
//! 1. `PRAGMA integrity_check` of `zudui.sqlite` is `ok`;
//! 2. no partial file is visible: every listed file downloads whole, with the bytes uploaded, and
//!    every upload answered before the kill is listed;
//! 3. orphans are collected: every chunk under `kv/` belongs to a file row or a live resumable
//!    upload, `blob_pending` holds only live uploads' blobs, no temporary file of an interrupted
//!    write stays behind, and an upload in progress can be resumed (or aborted cleanly);
//! 4. every chat message acknowledged to its sender is in the history afterwards, in increasing id
//!    order, nothing duplicated;
//! 5. each group's used space equals the bytes of its files' chunks in `kv/`.
//!
//! The first two tests kill the server three times, at different moments, on one data directory.
//! The last three aim at one crash point each, which a kill at a random moment rarely hits: a kill
//! between the two transactions of a resumable `complete`, a restart with many leftovers (a long
//! startup sweep while new uploads arrive), and an upload abandoned at a crash that expires later.
//! Their state is made by killing the server and then writing to its database what the crash point
//! leaves (or what a day's passing changes), and starting it again.
//!
//! Every violation found after a restart is collected, and a test fails at the end listing them
//! all.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::paths::files;
use common::ws::{self, Socket};
use common::{Options, User};
use futures_util::{SinkExt, StreamExt};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio_tungstenite::tungstenite::Message;
use zudui_shared::storage::KeyValue;

const ADMIN_TOKEN: &str = "crash-test-admin-token-0123456789";

/// Bytes per part of a resumable upload.
const PART_SIZE: usize = 8_000_000;

/// How long the startup sweep may take to collect a crash's leftovers.
const SWEEP_WAIT: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------------
// The server process, on a data directory that outlives it
// ---------------------------------------------------------------------------------------------

struct Zudui {
    base: String,
    client: reqwest::Client,
    child: Child,
}

impl Zudui {
    /// Starts `zudui` on `data` (which may hold a killed server's state) and waits until it
    /// listens. The JWT secret is the same at every start, so tokens stay valid.
    async fn start(data: &Path, name: &str) -> Zudui {
        let options = Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN_TOKEN)
            .label(name);
        let (child, addr) = common::launch(data, "127.0.0.1:0", &options).await;
        Zudui {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            child,
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and the process reaped.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(token) = token {
            req = req.header("token", token);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
        (status, value)
    }

    async fn ok(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self.post(path, Some(token), body).await;
        assert_eq!(
            (status, &value["code"]),
            (200, &json!(0)),
            "{path}: {value}"
        );
        value
    }

    async fn user(&self, openid: &str) -> User {
        let (status, value) = self
            .post("/auth/login", None, json!({ "code": openid }))
            .await;
        assert_eq!(status, 200, "{value}");
        let token = value["token"].as_str().expect("token").to_owned();
        let info = self.ok("/user/info/text/getInfo", &token, json!({})).await;
        let id = info["id"].as_str().expect("id").to_owned();
        User { token, id }
    }

    /// A group created by `owner` with `members` admitted.
    async fn group(&self, owner: &User, name: &str, members: &[&User]) -> i64 {
        let group = self
            .ok(
                "/group/external/group/create",
                &owner.token,
                json!({ "type": "学习", "name": name, "user_limit": 20 }),
            )
            .await["group_id"]
            .as_i64()
            .expect("group_id");
        for who in members {
            let request = self
                .ok(
                    "/group/external/group/join",
                    &who.token,
                    json!({ "group_id": group }),
                )
                .await["request_id"]
                .as_i64()
                .expect("request_id");
            self.ok(
                "/group/external/joinRequest/process",
                &owner.token,
                json!({ "request_id": request, "action": true }),
            )
            .await;
        }
        group
    }

    /// The files at the root of a group's space.
    async fn root_files(&self, who: &User, group: i64) -> Vec<Value> {
        let res = self
            .ok(files::GET_DIR, &who.token, json!({ "group_id": group }))
            .await;
        res["files"].as_array().expect("files").clone()
    }

    async fn download(&self, who: &User, group: i64, file: i64) -> Result<Vec<u8>, String> {
        let res = self
            .client
            .get(self.url(files::DOWNLOAD))
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
        // A chunk missing in the middle of the stream ends the body early.
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
    async fn used_bytes(&self, group: i64) -> u64 {
        let res = self
            .client
            .get(self.url("/debug/api/group"))
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
}

impl Drop for Zudui {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// Content
// ---------------------------------------------------------------------------------------------

fn splitmix64(i: u64) -> u64 {
    let mut z = i
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `len` pseudo-random bytes, different for every `seed` (and recognised as no known type).
fn content(seed: u64, len: usize) -> Bytes {
    let mut out = Vec::with_capacity(len + 8);
    let mut i = 0u64;
    while out.len() < len {
        out.extend_from_slice(&splitmix64((seed << 40) ^ i).to_le_bytes());
        i += 1;
    }
    out.truncate(len);
    Bytes::from(out)
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `data` as a request body sent slowly: `piece` bytes, then a `pause`, and so on, so that a
/// kill lands in the middle of it.
fn slow_body(data: Bytes, piece: usize, pause: Duration) -> reqwest::Body {
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

fn open_db(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        data.join("zudui.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open SQLite read-only")
}

fn strings(conn: &rusqlite::Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.expect("row")).collect()
}

/// `PRAGMA integrity_check`: `ok`, or the problems found.
fn integrity(data: &Path) -> String {
    strings(&open_db(data), "PRAGMA integrity_check").join("; ")
}

fn kv(data: &Path) -> zudui_shared::native::DirKv {
    zudui_shared::native::DirKv::open(&data.join("kv")).expect("kv dir")
}

/// The blob a chunk store key belongs to: `file/<blob>/<n>` or `file/<blob>.<part>`.
fn blob_of_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("file/")?;
    Some(rest.split(['/', '.']).next().unwrap_or(rest))
}

/// Files of the key-value directory that are no key: temporary files of writes that were cut
/// before their rename (in `kv/tmp/`, or named `*.tmp*` beside their key by older versions).
fn temporary_files(data: &Path) -> Vec<(PathBuf, u64)> {
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
fn orphans(data: &Path) -> Vec<String> {
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
async fn orphans_after_sweep(data: &Path) -> Vec<String> {
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
struct Stored {
    id: i64,
    group: i64,
    name: String,
    blob: String,
    size: u64,
    chunk_size: u64,
}

fn stored_files(data: &Path) -> Vec<Stored> {
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
async fn check_quota(server: &Zudui, data: &Path, groups: &[i64], violations: &mut Vec<String>) {
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
        let used = server.used_bytes(group).await;
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
async fn restart(data: &Path, name: &str, violations: &mut Vec<String>) -> Zudui {
    let server = Zudui::start(data, name).await;
    let check = integrity(data);
    if check != "ok" {
        violations.push(format!("{name}: integrity_check: {check}"));
    }
    for problem in orphans_after_sweep(data).await {
        violations.push(format!("{name}: {problem}"));
    }
    server
}

fn fail_on(violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{} violation(s):\n  - {}",
        violations.len(),
        violations.join("\n  - ")
    );
}

/// Sleeps until `into` past the start of the next wall-clock second (the server stores times in
/// whole seconds, so some rounds are placed within one second on purpose).
async fn align_to_second(into: Duration) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let to_next = Duration::from_secs(1) - Duration::from_nanos(now.subsec_nanos() as u64);
    tokio::time::sleep(to_next + into).await;
}

// ---------------------------------------------------------------------------------------------
// Files: slow multipart uploads and resumable uploads, killed
// ---------------------------------------------------------------------------------------------

/// A file some upload tried to make: what it must hold if it is listed.
struct Expected {
    group: i64,
    len: usize,
    sha: String,
}

/// Uploads `data` as `name` slowly; returns the file id when the server answered success.
async fn slow_upload(
    base: String,
    token: String,
    group: i64,
    name: String,
    data: Bytes,
    piece: usize,
    pause: Duration,
) -> Option<i64> {
    let len = data.len() as u64;
    let form = Form::new().text("group_id", group.to_string()).part(
        "file",
        Part::stream_with_length(slow_body(data, piece, pause), len).file_name(name),
    );
    let send = async {
        let res = reqwest::Client::new()
            .post(format!("{base}{}", files::UPLOAD))
            .header("token", token)
            .multipart(form)
            .send()
            .await
            .ok()?;
        let value: Value = res.json().await.ok()?;
        assert_eq!(value["code"], 0, "an upload was refused: {value}");
        value["file_id"].as_i64()
    };
    tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .ok()
        .flatten()
}

/// Puts part `part` of a resumable upload (slowly when `pause` is given); whether the server
/// answered success.
async fn put_part(
    base: String,
    token: String,
    upload: i64,
    part: usize,
    data: Bytes,
    pause: Option<Duration>,
) -> bool {
    let len = data.len();
    let body = match pause {
        Some(pause) => slow_body(data, 64 << 10, pause),
        None => reqwest::Body::from(data),
    };
    let send = async {
        let res = reqwest::Client::new()
            .put(format!("{base}{}", files::PART))
            .query(&[
                ("upload_id", upload.to_string()),
                ("part", part.to_string()),
            ])
            .header("token", token)
            .header("content-length", len)
            .body(body)
            .send()
            .await
            .ok()?;
        let value: Value = res.json().await.ok()?;
        assert_eq!(value["code"], 0, "part {part} refused: {value}");
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// A resumable upload of one round: its content and the parts the server took before the kill.
struct Resumable {
    id: i64,
    group: i64,
    name: String,
    data: Bytes,
    /// Parts answered with success before the kill.
    acked: Vec<usize>,
    /// Parts being sent when the server was killed.
    in_flight: Vec<usize>,
    /// Resume after the restart (else abort).
    resume: bool,
}

fn part_range(data_len: usize, part: usize) -> std::ops::Range<usize> {
    part * PART_SIZE..((part + 1) * PART_SIZE).min(data_len)
}

async fn begin(server: &Zudui, who: &User, group: i64, name: &str, size: usize) -> i64 {
    let up = server
        .ok(
            files::BEGIN,
            &who.token,
            json!({ "group_id": group, "name": name, "size": size }),
        )
        .await;
    up["upload_id"].as_i64().expect("upload_id")
}

/// After the restart: the status lists the parts put before the kill (and perhaps the part in
/// flight, had it landed); the rest is put and the upload completed into the right file, or the
/// upload is aborted and leaves nothing.
async fn finish_resumable(
    server: &Zudui,
    data_dir: &Path,
    who: &User,
    up: &Resumable,
    expected: &mut HashMap<(i64, String), Expected>,
    completed: &mut Vec<(i64, String, i64)>,
    violations: &mut Vec<String>,
) {
    let (status, res) = server
        .post(
            files::STATUS,
            Some(&who.token),
            json!({ "upload_id": up.id }),
        )
        .await;
    if status != 200 || res["code"] != 0 {
        violations.push(format!(
            "resumable upload {} ({}) is gone after the restart: {res}",
            up.id, up.name
        ));
        return;
    }
    let received: Vec<usize> = res["received"]
        .as_array()
        .expect("received")
        .iter()
        .map(|p| p.as_u64().expect("part") as usize)
        .collect();
    for part in &up.acked {
        if !received.contains(part) {
            violations.push(format!(
                "resumable upload {} ({}): part {part} was acknowledged before the kill but the \
                 status lists only {received:?}",
                up.id, up.name
            ));
        }
    }
    for part in &received {
        if !up.acked.contains(part) && !up.in_flight.contains(part) {
            violations.push(format!(
                "resumable upload {} ({}): status lists part {part}, which was never sent",
                up.id, up.name
            ));
        }
    }
    if up.resume {
        let parts = up.data.len().div_ceil(PART_SIZE);
        for part in 0..parts {
            if !received.contains(&part) {
                let bytes = up.data.slice(part_range(up.data.len(), part));
                assert!(
                    put_part(
                        server.base.clone(),
                        who.token.clone(),
                        up.id,
                        part,
                        bytes,
                        None
                    )
                    .await,
                    "resumed part {part} of {} failed",
                    up.name
                );
            }
        }
        let (status, res) = server
            .post(
                files::COMPLETE,
                Some(&who.token),
                json!({ "upload_id": up.id }),
            )
            .await;
        if status != 200 || res["code"] != 0 {
            violations.push(format!(
                "resumable upload {} ({}) could not complete after resuming: {res}",
                up.id, up.name
            ));
            return;
        }
        let file = res["file_id"].as_i64().expect("file_id");
        expected.insert(
            (up.group, up.name.clone()),
            Expected {
                group: up.group,
                len: up.data.len(),
                sha: sha256_hex(&up.data),
            },
        );
        completed.push((up.group, up.name.clone(), file));
        match server.download(who, up.group, file).await {
            Ok(bytes) if bytes[..] == up.data[..] => {}
            Ok(bytes) => violations.push(format!(
                "resumed upload {} completed into file {file} with {} bytes that differ from the \
                 {} uploaded",
                up.name,
                bytes.len(),
                up.data.len()
            )),
            Err(err) => violations.push(format!(
                "resumed upload {} completed into file {file}, which does not download: {err}",
                up.name
            )),
        }
    } else {
        let blob: String = open_db(data_dir)
            .query_row("SELECT blob FROM file_uploads WHERE id = ?", [up.id], |r| {
                r.get(0)
            })
            .expect("blob of the upload");
        let res = server
            .ok(files::ABORT, &who.token, json!({ "upload_id": up.id }))
            .await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
        let left: Vec<String> = kv(data_dir)
            .keys()
            .expect("keys")
            .into_iter()
            .filter(|k| blob_of_key(k) == Some(blob.as_str()))
            .collect();
        let pending: i64 = open_db(data_dir)
            .query_row(
                "SELECT count(*) FROM blob_pending WHERE blob = ?",
                [&blob],
                |r| r.get(0),
            )
            .unwrap();
        if !left.is_empty() || pending != 0 {
            violations.push(format!(
                "aborting resumable upload {} ({}) after the restart left chunks {left:?} and \
                 {pending} pending entries",
                up.id, up.name
            ));
        }
    }
}

/// Invariant 2: every file listed downloads whole with the bytes uploaded under that name, and
/// every upload answered before the kill is listed.
async fn check_listed_files(
    server: &Zudui,
    who: &User,
    groups: &[i64],
    expected: &HashMap<(i64, String), Expected>,
    answered: &[(i64, String, i64)],
    violations: &mut Vec<String>,
) {
    let mut listed_ids = HashSet::new();
    for &group in groups {
        for entry in server.root_files(who, group).await {
            let name = entry["name"].as_str().expect("name").to_owned();
            let id = entry["id"].as_i64().expect("id");
            listed_ids.insert(id);
            let Some(want) = expected.get(&(group, name.clone())) else {
                violations.push(format!(
                    "group {group} lists {name} (file {id}), which no upload made: {entry}"
                ));
                continue;
            };
            assert_eq!(want.group, group);
            if entry["size"].as_u64() != Some(want.len as u64) {
                violations.push(format!(
                    "group {group} lists {name} (file {id}) with size {} but {} bytes were \
                     uploaded (a partial file)",
                    entry["size"], want.len
                ));
            }
            match server.download(who, group, id).await {
                Ok(bytes) if bytes.len() == want.len && sha256_hex(&bytes) == want.sha => {}
                Ok(bytes) => violations.push(format!(
                    "file {id} ({name}) downloads {} bytes that differ from the {} uploaded",
                    bytes.len(),
                    want.len
                )),
                Err(err) => violations.push(format!(
                    "file {id} ({name}) is listed but does not download: {err}"
                )),
            }
        }
    }
    for (group, name, id) in answered {
        if !listed_ids.contains(id) {
            violations.push(format!(
                "upload of {name} to group {group} was answered with file {id} before the kill, \
                 but the file is not listed after it"
            ));
        }
    }
}

/// Several slow multipart uploads to two groups and two resumable uploads (one part put, one in
/// flight) are cut by SIGKILL at a different moment in each round; after each restart the
/// database is intact, nothing partial is listed, every answered upload is there, the startup
/// sweep collects every orphan, the resumable uploads resume (or abort) cleanly, and each
/// group's used space equals its chunk bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_cut_by_a_kill_leave_whole_files_and_no_orphans() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = Zudui::start(dir, "server-0").await;
    let owner = server.user("crash-files-owner").await;
    let member = server.user("crash-files-member").await;
    let g1 = server.group(&owner, "崩溃测试一", &[&member]).await;
    let g2 = server.group(&owner, "崩溃测试二", &[&member]).await;
    let groups = [g1, g2];

    let mut expected: HashMap<(i64, String), Expected> = HashMap::new();
    let mut answered: Vec<(i64, String, i64)> = Vec::new();
    let mut violations = Vec::new();

    // Where each round's kill lands, after the uploads start (each slow upload takes about a
    // second and they start 200 ms apart). The first round is placed early in a wall-clock
    // second, so the server restarts within the second in which the cut uploads began.
    let rounds: [(Option<Duration>, Duration); 3] = [
        (Some(Duration::from_millis(20)), Duration::from_millis(320)),
        (None, Duration::from_millis(900)),
        (None, Duration::from_millis(1500)),
    ];
    for (round, (align, kill_after)) in rounds.into_iter().enumerate() {
        let round = round + 1;
        let seed = round as u64 * 100;
        // A small upload answered before anything is cut: it must survive every kill.
        let small = content(seed, 200_000);
        let small_name = format!("r{round}-small.bin");
        let id = slow_upload(
            server.base.clone(),
            member.token.clone(),
            g2,
            small_name.clone(),
            small.clone(),
            1 << 20,
            Duration::ZERO,
        )
        .await
        .expect("the small upload");
        expected.insert(
            (g2, small_name.clone()),
            Expected {
                group: g2,
                len: small.len(),
                sha: sha256_hex(&small),
            },
        );
        answered.push((g2, small_name, id));

        // Resumable uploads: one to resume (its last part put, its first in flight), one to
        // abort (its first part put, its second in flight).
        let resume_data = content(seed + 50, PART_SIZE + 300_000);
        let resume_name = format!("r{round}-resume.bin");
        let resume_id = begin(&server, &member, g1, &resume_name, resume_data.len()).await;
        assert!(
            put_part(
                server.base.clone(),
                member.token.clone(),
                resume_id,
                1,
                resume_data.slice(part_range(resume_data.len(), 1)),
                None
            )
            .await
        );
        let abort_data = content(seed + 60, 2 * PART_SIZE);
        let abort_name = format!("r{round}-abort.bin");
        let abort_id = begin(&server, &owner, g2, &abort_name, abort_data.len()).await;
        assert!(
            put_part(
                server.base.clone(),
                owner.token.clone(),
                abort_id,
                0,
                abort_data.slice(part_range(abort_data.len(), 0)),
                None
            )
            .await
        );

        if let Some(into) = align {
            align_to_second(into).await;
        }
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        // The parts in flight: 8 MiB at about 4 MB/s, still arriving at every kill.
        for (who, id, part, data) in [
            (&member, resume_id, 0, resume_data.slice(0..PART_SIZE)),
            (
                &owner,
                abort_id,
                1,
                abort_data.slice(part_range(abort_data.len(), 1)),
            ),
        ] {
            tasks.push(tokio::spawn(put_part(
                server.base.clone(),
                who.token.clone(),
                id,
                part,
                data,
                Some(Duration::from_millis(15)),
            )));
        }
        // Four slow multipart uploads of 3 MiB and a bit, about a second each, 200 ms apart.
        let mut uploads = Vec::new();
        for i in 0..4u64 {
            let group = groups[i as usize % 2];
            let who = if i % 2 == 0 { &member } else { &owner };
            let bytes = content(seed + 1 + i, (3 << 20) + 12_345 * i as usize);
            let name = format!("r{round}-u{i}.bin");
            expected.insert(
                (group, name.clone()),
                Expected {
                    group,
                    len: bytes.len(),
                    sha: sha256_hex(&bytes),
                },
            );
            let (base, token) = (server.base.clone(), who.token.clone());
            uploads.push((
                group,
                name.clone(),
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(200 * i)).await;
                    slow_upload(
                        base,
                        token,
                        group,
                        name,
                        bytes,
                        32 << 10,
                        Duration::from_millis(10),
                    )
                    .await
                }),
            ));
        }

        tokio::time::sleep(kill_after.saturating_sub(t0.elapsed())).await;
        server.kill();
        eprintln!(
            "round {round}: killed {:?} after the uploads began",
            t0.elapsed()
        );

        let mut in_flight_landed = Vec::new();
        for task in tasks {
            in_flight_landed.push(task.await.unwrap());
        }
        for (group, name, task) in uploads {
            if let Some(id) = task.await.unwrap() {
                answered.push((group, name, id));
            }
        }
        let resumables = [
            Resumable {
                id: resume_id,
                group: g1,
                name: resume_name,
                data: resume_data,
                acked: [1]
                    .into_iter()
                    .chain(in_flight_landed[0].then_some(0))
                    .collect(),
                in_flight: vec![0],
                resume: true,
            },
            Resumable {
                id: abort_id,
                group: g2,
                name: abort_name,
                data: abort_data,
                acked: [0]
                    .into_iter()
                    .chain(in_flight_landed[1].then_some(1))
                    .collect(),
                in_flight: vec![1],
                resume: false,
            },
        ];

        let name = format!("server-{round}");
        let mut found = Vec::new();
        server = restart(dir, &name, &mut found).await;
        check_listed_files(&server, &owner, &groups, &expected, &answered, &mut found).await;
        check_quota(&server, dir, &groups, &mut found).await;
        for (up, who) in resumables.iter().zip([&member, &owner]) {
            finish_resumable(
                &server,
                dir,
                who,
                up,
                &mut expected,
                &mut answered,
                &mut found,
            )
            .await;
        }
        check_quota(&server, dir, &groups, &mut found).await;
        for problem in found {
            violations.push(format!("round {round}: {problem}"));
        }
    }
    // Once more, after everything was resumed or aborted: nothing is left over.
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    eprintln!("files: {:?}", started.elapsed());
    fail_on(&violations);
}

// ---------------------------------------------------------------------------------------------
// Chat: acknowledged messages survive kills
// ---------------------------------------------------------------------------------------------

/// One chat client of a round: sends numbered texts every few milliseconds without waiting, and
/// records what comes back live: the acknowledgements of its own texts (id, text) and the ids of
/// every live message, in the order they came.
struct Talker {
    acked: Arc<Mutex<Vec<(i64, String)>>>,
    live_ids: Arc<Mutex<Vec<i64>>>,
    errors: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn talk(socket: Socket, user_id: String, prefix: String) -> Talker {
    let (mut sink, mut stream) = socket.split();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let live_ids = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sender = {
        let prefix = prefix.clone();
        tokio::spawn(async move {
            for seq in 0.. {
                let text = json!({ "msg_type": "text", "content": format!("{prefix}{seq}") });
                if sink
                    .send(Message::Text(text.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(8)).await;
            }
        })
    };
    let reader = {
        let (acked, live_ids, errors) = (acked.clone(), live_ids.clone(), errors.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).expect("JSON frame");
                if value.get("code").is_some() {
                    errors.lock().unwrap().push(value.to_string());
                    continue;
                }
                if value["history"] != false {
                    continue;
                }
                let id = ws::id(&value);
                live_ids.lock().unwrap().push(id);
                let content = ws::content(&value);
                if value["user_id"] == user_id.as_str() && content.starts_with(&prefix) {
                    acked.lock().unwrap().push((id, content.to_owned()));
                }
            }
        })
    };
    Talker {
        acked,
        live_ids,
        errors,
        tasks: vec![sender, reader],
    }
}

/// The whole history of a room, paged back over a new socket from the newest message, oldest
/// first; `total` is how many messages SQLite holds for the room.
async fn whole_history(server: &Zudui, who: &User, group: i64, total: usize) -> Vec<Value> {
    let wait = Duration::from_secs(5);
    let mut socket = ws::connect(
        &ws::ws_base(&server.base),
        who,
        &ws::group_path(group),
        wait,
    )
    .await;
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut got = 0;
    let mut page_len = total.min(20);
    loop {
        let mut page = Vec::new();
        for _ in 0..page_len {
            let frame = ws::next_json(&mut socket, wait).await;
            assert_eq!(frame["history"], true, "a history page: {frame}");
            page.push(frame);
        }
        got += page.len();
        let oldest = page.first().map(ws::id);
        pages.push(page);
        page_len = (total - got).min(20);
        match oldest {
            Some(oldest) if page_len > 0 => ws::ask_history(&mut socket, oldest).await,
            _ => break,
        }
    }
    pages.into_iter().rev().flatten().collect()
}

/// Four members talk at once in one group room, pipelining texts; the server is killed at a
/// different moment in each round. After each restart the database is intact and the room's
/// history (paged back over a WebSocket, and in SQLite) holds every message acknowledged to its
/// sender, with the same id, in increasing id order, nothing duplicated; and the room works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_messages_acknowledged_before_a_kill_survive_it() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = Zudui::start(dir, "chat-0").await;
    let mut users = Vec::new();
    for i in 0..4 {
        users.push(server.user(&format!("crash-chat-{i}")).await);
    }
    let members: Vec<&User> = users[1..].iter().collect();
    let group = server.group(&users[0], "崩溃聊天", &members).await;
    let wait = Duration::from_secs(5);

    let mut acked_all: Vec<(i64, String)> = Vec::new();
    let mut violations = Vec::new();
    for (round, kill_after) in [350u64, 800, 1300].into_iter().enumerate() {
        let round = round + 1;
        let mut talkers = Vec::new();
        for (i, who) in users.iter().enumerate() {
            let socket = ws::connect(
                &ws::ws_base(&server.base),
                who,
                &ws::group_path(group),
                wait,
            )
            .await;
            talkers.push(talk(socket, who.id.clone(), format!("r{round}-c{i}-")));
        }
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        server.kill();
        for talker in &mut talkers {
            for task in talker.tasks.drain(..) {
                if tokio::time::timeout(Duration::from_secs(5), task)
                    .await
                    .is_err()
                {
                    violations.push(format!(
                        "round {round}: a socket stayed open after the kill"
                    ));
                }
            }
        }
        let mut acked_round = 0;
        for (i, talker) in talkers.iter().enumerate() {
            let acked = talker.acked.lock().unwrap().clone();
            let live = talker.live_ids.lock().unwrap().clone();
            if !ws::strictly_increasing(&live) {
                violations.push(format!(
                    "round {round}: client {i} received live ids out of order: {live:?}"
                ));
            }
            for err in talker.errors.lock().unwrap().iter() {
                violations.push(format!(
                    "round {round}: client {i} got an error frame {err}"
                ));
            }
            acked_round += acked.len();
            acked_all.extend(acked);
        }
        eprintln!("round {round}: {acked_round} messages acknowledged before the kill");
        assert!(acked_round > 0, "nothing was acknowledged in round {round}");

        let name = format!("chat-{round}");
        let mut found = Vec::new();
        server = restart(dir, &name, &mut found).await;

        let rows: Vec<(i64, String)> = {
            let db = open_db(dir);
            let mut stmt = db
                .prepare("SELECT id, content FROM chat_messages WHERE room_kind = 'group' AND room_id = ? ORDER BY id")
                .unwrap();
            let rows = stmt
                .query_map([group], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap());
            rows.collect()
        };
        let history = whole_history(&server, &users[1], group, rows.len()).await;
        let ids = ws::ids(&history);
        if !ws::strictly_increasing(&ids) {
            found.push("the history's ids do not increase".to_owned());
        }
        let history_rows: Vec<(i64, String)> = history
            .iter()
            .map(|f| (ws::id(f), ws::content(f).to_owned()))
            .collect();
        if history_rows != rows {
            found.push(format!(
                "the history over the socket ({} messages) differs from chat_messages ({} rows)",
                history_rows.len(),
                rows.len()
            ));
        }
        let mut seen_texts = HashSet::new();
        for (id, text) in &history_rows {
            if !seen_texts.insert(text.as_str()) {
                found.push(format!("message {text:?} is stored twice (again as {id})"));
            }
        }
        let by_id: HashMap<i64, &str> = history_rows
            .iter()
            .map(|(id, text)| (*id, text.as_str()))
            .collect();
        let mut lost = Vec::new();
        for (id, text) in &acked_all {
            if by_id.get(id) != Some(&text.as_str()) {
                lost.push(format!("{id}: {text:?} (history has {:?})", by_id.get(id)));
            }
        }
        if !lost.is_empty() {
            found.push(format!(
                "{} acknowledged messages are missing from the history: {:?}",
                lost.len(),
                &lost[..lost.len().min(10)]
            ));
        }
        // The room goes on after the restart, its ids after every earlier one.
        let mut socket = ws::connect(
            &ws::ws_base(&server.base),
            &users[2],
            &ws::group_path(group),
            wait,
        )
        .await;
        for _ in 0..rows.len().min(20) {
            ws::next_json(&mut socket, wait).await;
        }
        let after = ws::say_acked(&mut socket, &format!("r{round}-after-restart"), wait).await;
        if rows.last().is_some_and(|(last, _)| ws::id(&after) <= *last) {
            found.push(format!(
                "the first message after the restart got id {}, not after {:?}",
                ws::id(&after),
                rows.last()
            ));
        }
        acked_all.push((ws::id(&after), ws::content(&after).to_owned()));
        drop(socket);
        for problem in found {
            violations.push(format!("round {round}: {problem}"));
        }
    }
    drop(server);
    eprintln!("chat: {:?}", started.elapsed());
    fail_on(&violations);
}

// ---------------------------------------------------------------------------------------------
// Crash windows between two writes, and large leftovers
// ---------------------------------------------------------------------------------------------

/// The database opened for writing, while no server runs: to put back exactly what a kill at a
/// given point leaves behind.
fn open_db_rw(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("zudui.sqlite")).expect("open SQLite")
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A resumable upload of `data` to `group` with every part put; returns its id.
async fn uploaded_parts(server: &Zudui, who: &User, group: i64, name: &str, data: &Bytes) -> i64 {
    let id = begin(server, who, group, name, data.len()).await;
    for part in 0..data.len().div_ceil(PART_SIZE) {
        let bytes = data.slice(part_range(data.len(), part));
        assert!(
            put_part(
                server.base.clone(),
                who.token.clone(),
                id,
                part,
                bytes,
                None
            )
            .await
        );
    }
    id
}

/// `complete` makes the file and closes the upload in one transaction
/// (`shared/src/files/resumable.rs`, `complete`): a kill can leave the upload open with every
/// part, or the file, never both (with both, a retried `complete` or an `abort` would discard the
/// chunks of the listed file). After the restart, a retry of an answered `complete` finds no
/// upload (341) and the file whole; an upload whose `complete` never came completes now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_around_complete_leaves_the_upload_or_the_file_never_both() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let server = Zudui::start(dir, "window-0").await;
    let who = server.user("crash-window").await;
    let group = server.group(&who, "崩溃窗口", &[]).await;
    let mut violations = Vec::new();

    let contents = [
        ("answered.bin", content(7001, PART_SIZE + 4321)),
        ("late.bin", content(7002, PART_SIZE + 1234)),
    ];
    let mut uploads = Vec::new();
    for (name, bytes) in &contents {
        uploads.push(uploaded_parts(&server, &who, group, name, bytes).await);
    }
    let answered = server
        .ok(
            files::COMPLETE,
            &who.token,
            json!({ "upload_id": uploads[0] }),
        )
        .await["file_id"]
        .as_i64()
        .expect("file_id");
    {
        let db = open_db(dir);
        let open: i64 = db
            .query_row(
                "SELECT count(*) FROM file_uploads WHERE id = ?",
                [uploads[0]],
                |r| r.get(0),
            )
            .unwrap();
        if open != 0 {
            violations.push(format!(
                "upload {} still open beside file {answered}",
                uploads[0]
            ));
        }
    }
    server.kill();

    let server = restart(dir, "window-1", &mut violations).await;
    let (status, res) = server
        .post(
            files::COMPLETE,
            Some(&who.token),
            json!({ "upload_id": uploads[0] }),
        )
        .await;
    if (status, res["code"].as_u64()) != (404, Some(341)) {
        violations.push(format!(
            "a retried complete answered {status} {res}, not 341"
        ));
    }
    let late = server
        .ok(
            files::COMPLETE,
            &who.token,
            json!({ "upload_id": uploads[1] }),
        )
        .await["file_id"]
        .as_i64()
        .expect("file_id");

    let expected: HashMap<(i64, String), Expected> = contents
        .iter()
        .map(|(name, bytes)| {
            (
                (group, name.to_string()),
                Expected {
                    group,
                    len: bytes.len(),
                    sha: sha256_hex(bytes),
                },
            )
        })
        .collect();
    let files = [
        (group, "answered.bin".to_string(), answered),
        (group, "late.bin".to_string(), late),
    ];
    check_listed_files(&server, &who, &[group], &expected, &files, &mut violations).await;
    check_quota(&server, dir, &[group], &mut violations).await;
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    fail_on(&violations);
}

/// A crash can leave many blobs pending (a group with thousands of files deleted through the
/// console, killed while its blobs were being discarded; here put into `blob_pending` directly
/// while the server is down). The startup sweep collects them in batches while the restarted
/// server already takes uploads; an upload that begins during the sweep must come out whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_during_a_long_startup_sweep_come_out_whole() {
    const LEFTOVERS: usize = 10_000;
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let server = Zudui::start(dir, "sweep-0").await;
    let who = server.user("crash-sweep").await;
    let group = server.group(&who, "大清扫", &[]).await;
    server.kill();
    {
        let mut db = open_db_rw(dir);
        let tx = db.transaction().unwrap();
        let since = now_secs() - 60;
        for i in 0..LEFTOVERS {
            tx.execute(
                "INSERT INTO blob_pending (blob, since) VALUES (?, ?)",
                rusqlite::params![format!("{:032x}", 0xdead_0000_0000u64 + i as u64), since],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    let started = Instant::now();
    let server = Zudui::start(dir, "sweep-1").await;
    // Uploads of about two seconds each, one begun every half second while the sweep runs (it
    // takes a few seconds for this many), so that some are always in progress.
    let mut uploads = Vec::new();
    let mut expected = HashMap::new();
    for i in 0..8u64 {
        let bytes = content(8000 + i, (3 << 20) + 777);
        let name = format!("during-sweep-{i}.bin");
        expected.insert(
            (group, name.clone()),
            Expected {
                group,
                len: bytes.len(),
                sha: sha256_hex(&bytes),
            },
        );
        let (base, token) = (server.base.clone(), who.token.clone());
        uploads.push((
            name.clone(),
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(500 * i)).await;
                slow_upload(
                    base,
                    token,
                    group,
                    name,
                    bytes,
                    32 << 10,
                    Duration::from_millis(20),
                )
                .await
            }),
        ));
    }
    let mut answered = Vec::new();
    let mut violations = Vec::new();
    for (name, task) in uploads {
        match task.await.unwrap() {
            Some(id) => answered.push((group, name, id)),
            None => violations.push(format!("the upload of {name} failed")),
        }
    }
    let pending_left: i64 = open_db(dir)
        .query_row("SELECT count(*) FROM blob_pending", [], |r| r.get(0))
        .unwrap();
    eprintln!(
        "uploads done {:?} after the restart, {pending_left} leftovers still pending",
        started.elapsed()
    );
    check_listed_files(
        &server,
        &who,
        &[group],
        &expected,
        &answered,
        &mut violations,
    )
    .await;
    check_quota(&server, dir, &[group], &mut violations).await;
    // Give the sweep time to finish, then nothing may be left.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !orphans(dir).is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    fail_on(&violations);
}

/// A resumable upload whose client went away for good around a crash, having put only its last
/// part, expires a day later; its blob is then collected by the sweep. Every chunk it had must
/// go, including the last part's (chunks 8 and up) when part 0 never arrived. A day passing is
/// simulated by moving the upload's expiry and pending time back while the server is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_resumable_upload_leaves_no_chunk_once_expired() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let server = Zudui::start(dir, "expire-0").await;
    let who = server.user("crash-expire").await;
    let group = server.group(&who, "过期上传", &[]).await;
    let bytes = content(9001, PART_SIZE + 5000);
    let id = begin(&server, &who, group, "abandoned.bin", bytes.len()).await;
    assert!(
        put_part(
            server.base.clone(),
            who.token.clone(),
            id,
            1,
            bytes.slice(part_range(bytes.len(), 1)),
            None
        )
        .await
    );
    // Part 0 is being sent when the server dies; the client never comes back.
    let in_flight = tokio::spawn(put_part(
        server.base.clone(),
        who.token.clone(),
        id,
        0,
        bytes.slice(0..PART_SIZE),
        Some(Duration::from_millis(15)),
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill();
    assert!(!in_flight.await.unwrap(), "part 0 landed before the kill");

    // A day and more later.
    {
        let db = open_db_rw(dir);
        let long_ago = now_secs() - 25 * 3600;
        db.execute(
            "UPDATE file_uploads SET created_at = ?, expires_at = ? WHERE id = ?",
            [long_ago, long_ago + 24 * 3600, id],
        )
        .unwrap();
        db.execute("UPDATE blob_pending SET since = ?", [long_ago])
            .unwrap();
    }
    let mut violations = Vec::new();
    let server = Zudui::start(dir, "expire-1").await;
    // Expired uploads are closed when a resumable upload begins; its sweep takes their blobs.
    let other = begin(&server, &who, group, "next.bin", 10).await;
    server
        .ok(files::ABORT, &who.token, json!({ "upload_id": other }))
        .await;
    let (_, res) = server
        .post(files::STATUS, Some(&who.token), json!({ "upload_id": id }))
        .await;
    assert_eq!(res["code"], 341, "the upload did not expire: {res}");
    for problem in orphans_after_sweep(dir).await {
        violations.push(problem);
    }
    drop(server);
    fail_on(&violations);
}
