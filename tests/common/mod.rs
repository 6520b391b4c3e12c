//! Test harness: starts the real `zudui` binary (natively, or its components under `spin up`) on
//! a free loopback port with a temporary data directory (or a kept one), a fake WeChat server,
//! and an HTTP client with the contract's conventions. The benchmarks start theirs with it too.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

pub use host::Host;
use host::Running;

pub mod api;
pub mod cluster;
pub mod host;
pub mod paths;
pub mod process;
pub mod proxy;
pub mod roles;
pub mod s3;
pub mod schema;
pub mod tls;
pub mod wechat;
pub mod ws;

pub const JWT_SECRET: &str = "integration-test-secret-0123456789";

pub struct Server {
    pub base: String,
    pub client: reqwest::Client,
    pub host: Host,
    running: Running,
    /// What it was started with, to start it again on the same data and address.
    options: Options,
    /// The object storage it keeps files in, when the tests run with `ZUDUI_TEST_BLOB_STORE=s3`.
    s3: Option<s3::S3>,
    data: DataDir,
}

/// Where a server keeps its data: a temporary directory removed with it, or one it was given.
enum DataDir {
    Temporary(tempfile::TempDir),
    Kept(std::path::PathBuf),
}

impl DataDir {
    fn path(&self) -> &std::path::Path {
        match self {
            DataDir::Temporary(dir) => dir.path(),
            DataDir::Kept(dir) => dir,
        }
    }
}

/// The server binary under test: `ZUDUI_TEST_BINARY` when set (`tests/run.sh` runs the attack
/// tests again against the release build, whose settings such as unwinding differ), else the
/// build cargo made for the tests.
pub fn binary() -> std::path::PathBuf {
    std::env::var_os("ZUDUI_TEST_BINARY")
        .map(Into::into)
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_zudui").into())
}

/// How to start a server: extra environment variables on top of the test defaults, the name its
/// log lines are echoed with, and for benchmarks a kept data directory, another build and no echo.
#[derive(Default, Clone)]
pub struct Options {
    pub env: Vec<(String, String)>,
    pub label: Option<String>,
    /// A data directory that outlives the server (a seeded one), instead of a temporary one.
    pub data_dir: Option<std::path::PathBuf>,
    /// Another build of `zudui` than [`binary`] (a baseline to compare with).
    pub binary: Option<std::path::PathBuf>,
    /// Its log is drained, not echoed (a benchmark's per-request lines).
    pub quiet: bool,
}

impl Options {
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// The name before each echoed log line (default `server`), to tell servers apart.
    pub fn label(mut self, label: &str) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn data_dir(mut self, dir: &std::path::Path) -> Self {
        self.data_dir = Some(dir.to_owned());
        self
    }

    pub fn binary(mut self, binary: &std::path::Path) -> Self {
        self.binary = Some(binary.to_owned());
        self
    }

    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }

    /// The development login: the code is the openid.
    pub fn dev_login() -> Self {
        Options::default().env("ZUDUI_DEV_LOGIN", "1")
    }
}

impl Server {
    /// A server with the development login, for tests that only need users.
    pub async fn start() -> Server {
        Server::with(Options::dev_login()).await
    }

    /// A server on the host the tests run against ([`Host::current`]). With
    /// `ZUDUI_TEST_BLOB_STORE=s3` (a pass of `tests/run.sh`), one that sets no blob store of its
    /// own keeps files in an `s3s-fs` bucket of its own.
    pub async fn with(options: Options) -> Server {
        let chosen = options
            .env
            .iter()
            .any(|(name, _)| name == "ZUDUI_BLOB_STORE");
        let s3 = match std::env::var("ZUDUI_TEST_BLOB_STORE").as_deref() {
            Ok("s3") if !chosen => Some(s3::S3::start().await),
            Ok("s3" | "kv") | Err(_) => None,
            Ok(other) => panic!("ZUDUI_TEST_BLOB_STORE={other}: s3 or kv"),
        };
        let options = match &s3 {
            Some(s3) => s3.onto(options),
            None => options,
        };
        let host = Host::current();
        let data = match &options.data_dir {
            Some(dir) => DataDir::Kept(dir.clone()),
            None => DataDir::Temporary(tempfile::tempdir().expect("temp dir")),
        };
        let (running, base) = host.launch(data.path(), None, &options).await;
        Server {
            base,
            client: reqwest::Client::new(),
            host,
            running,
            options,
            s3,
            data,
        }
    }

    /// Kills the server with SIGKILL (a crash: nothing is shut down cleanly) and reaps it.
    pub fn kill(&mut self) {
        self.running.kill();
    }

    /// Starts the server again after [`Server::kill`], on its data directory and address.
    pub async fn start_again(&mut self) {
        let listen = self.base.trim_start_matches("http://").to_owned();
        let (running, base) = self
            .host
            .launch(self.data.path(), Some(&listen), &self.options)
            .await;
        self.running = running;
        assert_eq!(base, self.base, "the server came back on another address");
    }

    /// `ws://HOST:PORT` where chat sockets are opened: the server, or the relay in front of Spin.
    pub fn ws_base(&self) -> String {
        ws::ws_base(self.running.ws_http_base(&self.base))
    }

    /// The server process's peak resident memory so far, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        process::status_mib(self.running.pid(), "VmHWM:")
    }

    /// The server process's resident memory now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        process::status_mib(self.running.pid(), "VmRSS:")
    }

    /// CPU time the server process has used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        process::cpu_seconds(self.running.pid())
    }

    /// The server's data directory (native: `zudui.sqlite`, `kv/`; Spin: its `--state-dir`).
    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    /// The server's SQLite database, for checking what is stored.
    pub fn sqlite(&self) -> rusqlite::Connection {
        rusqlite::Connection::open(self.host.stores(self.data_dir()).sqlite).expect("open SQLite")
    }

    /// The keys of the server's key-value store.
    pub fn kv_keys(&self) -> Vec<String> {
        self.host.kv_keys(self.data_dir())
    }

    /// The value of `key` in the server's key-value store.
    pub fn kv_get(&self, key: &str) -> Option<Vec<u8>> {
        self.host.kv_get(self.data_dir(), key)
    }

    /// How many file chunks, companions and picture chunks (`file/...` keys) the chunk store
    /// holds.
    pub fn file_keys(&self) -> usize {
        self.stored_files().len()
    }

    /// The keys of the file chunks, companions and picture chunks (`file/...`) the chunk store
    /// holds: in the key-value store, or in object storage (`ZUDUI_TEST_BLOB_STORE=s3`), sorted.
    pub fn stored_files(&self) -> Vec<String> {
        let mut keys: Vec<String> = match &self.s3 {
            Some(s3) => s3.objects(),
            None => self.kv_keys(),
        };
        keys.retain(|k| k.starts_with("file/"));
        keys.sort();
        keys
    }

    /// A stored file chunk or companion (`file/...`).
    pub fn stored_file(&self, key: &str) -> Option<Vec<u8>> {
        match &self.s3 {
            Some(s3) => s3.object(key),
            None => self.kv_get(key),
        }
    }

    /// Every key of the key-value store and, with object storage, every object: where the
    /// server keeps anything but rows.
    pub fn stored_keys(&self) -> Vec<String> {
        let mut keys = self.kv_keys();
        keys.extend(self.s3.iter().flat_map(|s3| s3.objects()));
        keys
    }

    /// The chunk size of the server's chunk store.
    pub fn chunk_size(&self) -> usize {
        match self.s3 {
            Some(_) => 8_000_000,
            None => 1_000_000,
        }
    }

    /// The URL of `path`, as a client of a deployment sees it: in front of Spin, the chat's
    /// socket paths reach the relay and every other path Spin (a proxy routes them so).
    pub fn url(&self, path: &str) -> String {
        let socket = zudui_relay::session::SOCKET_PATHS
            .iter()
            .any(|p| path.split('?').next() == Some(p));
        let base = if socket {
            self.running.ws_http_base(&self.base)
        } else {
            &self.base
        };
        format!("{base}{path}")
    }

    /// POSTs a JSON body with an optional `token` header; returns the status and the JSON answer.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).json(&body);
        if let Some(token) = token {
            req = req.header("token", token);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let text = res.text().await.expect("body");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
        schema::check("post", path, status, &value);
        (status, value)
    }

    /// A POST that must succeed; returns the answer.
    pub async fn ok(&self, path: &str, token: &str, body: Value) -> Value {
        let (status, value) = self.post(path, Some(token), body).await;
        assert_eq!(
            (status, &value["code"]),
            (200, &json!(0)),
            "{path}: {value}"
        );
        assert_eq!(value["msg"], "success");
        value
    }

    /// A POST that must fail with `code` and `status`.
    pub async fn fails(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
        code: u16,
        status: u16,
    ) -> Value {
        let (got_status, value) = self.post(path, token, body).await;
        assert_eq!(value["code"], json!(code), "{path}: {value}");
        assert_eq!(got_status, status, "{path}: {value}");
        assert!(
            value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
            "{value}"
        );
        value
    }

    /// Signs in with the development login; returns the token.
    pub async fn login(&self, openid: &str) -> String {
        let (status, value) = self
            .post("/auth/login", None, json!({ "code": openid }))
            .await;
        assert_eq!(status, 200, "{value}");
        value["token"].as_str().expect("token").to_owned()
    }

    /// The user id behind a token.
    pub async fn user_id(&self, token: &str) -> String {
        let info = self.ok("/user/info/text/getInfo", token, json!({})).await;
        info["id"].as_str().expect("id").to_owned()
    }

    /// Uploads a file as `wx.uploadFile` does: one file part named `file_field`, plus text fields.
    pub async fn upload(
        &self,
        path: &str,
        token: Option<&str>,
        file_field: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part(
            file_field.to_string(),
            reqwest::multipart::Part::bytes(bytes).file_name("wxfile://tmp_upload.jpg"),
        );
        self.send_form(path, token, form).await
    }

    /// POSTs a multipart form with an optional `token` header; returns the status and the JSON
    /// answer, checked against the API description.
    pub async fn send_form(
        &self,
        path: &str,
        token: Option<&str>,
        form: reqwest::multipart::Form,
    ) -> (u16, Value) {
        let mut req = self.client.post(self.url(path)).multipart(form);
        if let Some(token) = token {
            req = req.header("token", token);
        }
        let res = req.send().await.expect("upload");
        let status = res.status().as_u16();
        let text = res.text().await.expect("upload answer");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
        schema::check("post", path, status, &value);
        (status, value)
    }

    /// PUTs part `part` of resumable upload `upload` to `path` (the group file space's or the
    /// chat's) with an optional `token` header; returns the status and the JSON answer.
    pub async fn send_part(
        &self,
        path: &str,
        token: Option<&str>,
        upload: i64,
        part: i64,
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        self.send_part_by(reqwest::Method::PUT, path, token, (upload, part), bytes)
            .await
    }

    /// [`Server::send_part`] by `method` (clients may POST parts too).
    pub async fn send_part_by(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        (upload, part): (i64, i64),
        bytes: Vec<u8>,
    ) -> (u16, Value) {
        let query = [("upload_id", upload), ("part", part)];
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.header("token", token);
        }
        let res = req.query(&query).body(bytes).send().await.expect("part");
        let status = res.status().as_u16();
        let text = res.text().await.expect("part answer");
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("the part answered non-JSON: {text}"));
        (status, value)
    }

    /// A GET with query parameters; returns the raw response.
    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .query(query)
            .send()
            .await
            .expect("get")
    }
}

/// Starts `zudui` on `data`, listening on `listen`; returns once it logged its address.
pub async fn launch(data: &std::path::Path, listen: &str, options: &Options) -> (Child, String) {
    let mut command = Command::new(options.binary.clone().unwrap_or_else(binary));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ZUDUI_LISTEN", listen)
        .env("ZUDUI_DATA_DIR", data)
        .env("ZUDUI_JWT_SECRET", JWT_SECRET)
        .env("RUST_LOG", "info")
        // Tests send faster than people do; tests/limits.rs turns the limits on.
        .env("ZUDUI_RATE_LIMITS", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in &options.env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("start zudui");
    let stderr = child.stderr.take().expect("stderr");
    // The server logs its real address once it listens; read it, then keep draining the log
    // (echoed for failing tests) so the pipe never fills.
    let (tx, rx) = std::sync::mpsc::channel();
    let label = options.label.clone().unwrap_or_else(|| "server".into());
    let echo = !options.quiet;
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if echo {
                eprintln!("{label}: {line}");
            }
            if let Some(rest) = line.split("listening on http://").nth(1) {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                }
            }
        }
    });
    // Waited for off the async workers: other tasks of the test (clients, a proxy) go on.
    let addr = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
        .await
        .expect("waiting for the server")
        .expect("server did not start");
    (child, addr)
}

/// A PNG of the given size and opacity.
pub fn png(width: u32, height: u32, alpha: u8) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, alpha])
    });
    encode(
        image::DynamicImage::ImageRgba8(img),
        image::ImageFormat::Png,
    )
}

pub fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

/// `jpeg` with an EXIF block (an APP1 segment) holding the TIFF structure `tiff`, right after
/// its start-of-image marker.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A signed-in user.
pub struct User {
    pub token: String,
    pub id: String,
}

impl User {
    pub fn t(&self) -> Option<&str> {
        Some(&self.token)
    }
}

pub async fn user(server: &Server, openid: &str) -> User {
    let token = server.login(openid).await;
    let id = server.user_id(&token).await;
    User { token, id }
}

/// `owner` creates a study group of 20 named `name`; returns its id.
pub async fn create_group(server: &Server, owner: &User, name: &str) -> i64 {
    server.new_group(owner, "学习", name, 20).await
}

/// Brings `who` into the group: a join request approved by `manager`.
pub async fn admit(server: &Server, manager: &User, who: &User, group: i64) {
    let request = server.join_group(who, group).await;
    server.process_join_request(manager, request, true).await;
}

/// `manager` removes `who` from the group.
pub async fn remove_member(server: &Server, manager: &User, group: i64, who: &User) {
    server.remove_group_member(manager, group, who).await;
}

/// A time as the API writes it: `YYYY/MM/DD HH:MM:SS`.
pub fn is_time(value: &Value) -> bool {
    let time = value.as_str().unwrap_or_default().as_bytes();
    time.len() == 19 && time[4] == b'/' && time[13] == b':'
}

/// A group whose creator is `users[0]`, with `n - 1` further approved members.
pub async fn team(server: &Server, prefix: &str, n: usize) -> (i64, Vec<User>) {
    let owner = user(server, &format!("{prefix}-owner")).await;
    let group = create_group(server, &owner, &format!("{prefix} 聊天组")).await;
    let mut users = vec![owner];
    for i in 1..n {
        let member = user(server, &format!("{prefix}-m{i}")).await;
        admit(server, &users[0], &member, group).await;
        users.push(member);
    }
    (group, users)
}

/// A `wx.uploadFile` form for the group file space: `group_id`, optional `parent_id`, then the
/// file part named `name` (reqwest sends file names as raw UTF-8).
pub fn group_file_form(
    group: i64,
    parent: Option<i64>,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("group_id", group.to_string());
    if let Some(parent) = parent {
        form = form.text("parent_id", parent.to_string());
    }
    let file = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    form.part("file", file)
}

/// A chat room's upload form: `type` and `room_id`, then the file part named `name`.
pub fn chat_file_form(
    kind: &str,
    room: i64,
    name: &str,
    bytes: Vec<u8>,
) -> reqwest::multipart::Form {
    let file = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    reqwest::multipart::Form::new()
        .text("type", kind.to_owned())
        .text("room_id", room.to_string())
        .part("file", file)
}

/// `who` shares the group file `file` into the group's chat room.
pub async fn share_group_file(server: &Server, who: &User, group: i64, file: i64) {
    server.share_file_in_chat(who, group, file).await
}

/// `path` (a resumable upload's status, complete or abort, of the group file space or the chat)
/// on upload `upload` must fail with `code` and `status`.
pub async fn upload_call_fails(
    server: &Server,
    who: &User,
    path: &str,
    upload: i64,
    code: u16,
    status: u16,
) {
    let body = json!({ "upload_id": upload });
    server.fails(path, who.t(), body, code, status).await;
}

/// A server keeping its files in an `s3s-fs` bucket of its own (with a group quota of `quota`
/// bytes, else the default), a user `label` and a group of theirs. The bucket lives as long as
/// the [`s3::S3`].
pub async fn s3_group(label: &str, quota: Option<&str>) -> (s3::S3, Server, User, i64) {
    let s3 = s3::S3::start().await;
    let server = s3.server(quota).await;
    let owner = user(&server, label).await;
    let group = create_group(&server, &owner, &format!("{label} 组")).await;
    (s3, server, owner, group)
}

/// `who` makes folder `name` in `parent` of the group's space (`None`: the root); returns its id,
/// from the listing (the answer has none).
pub async fn mkdir(
    server: &Server,
    who: &User,
    group: i64,
    parent: Option<i64>,
    name: &str,
) -> i64 {
    server.make_folder(who, group, parent, name).await;
    let listed = server.list_folder(who, group, parent).await;
    let entry = listed
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not listed: {listed:?}"));
    assert_eq!(entry["type"], "dir", "{entry}");
    entry["id"].as_i64().expect("id")
}

/// A step of splitmix64, a tiny generator of pseudo-random bytes for test files whose content
/// must differ (and be recognised as no known type).
pub fn splitmix64(i: u64) -> u64 {
    let mut z = i
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The keys of a JSON object, sorted: what a test compares with the documented shape.
pub fn sorted_keys(value: &Value) -> Vec<&str> {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort();
    keys
}
