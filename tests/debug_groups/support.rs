//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::{chat, files, group};
pub use crate::common::ws::{self, group_path, Socket};
pub use crate::common::{
    admit, create_group, is_time, png, share_group_file, user, Options, Server, User,
};
pub use futures_util::StreamExt;
pub use reqwest::Method;
pub use serde_json::{json, Map, Value};
pub use std::collections::BTreeSet;
pub use std::time::Duration;
pub use tokio_tungstenite::tungstenite::Message;

pub const ADMIN: &str = "admin-token-for-tests-0123456789";
/// How long a frame or a closed socket may take.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long we listen to be sure that nothing comes.
pub const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// The console
// ---------------------------------------------------------------------------------------------

pub async fn admin_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await
}

/// A request to the console with an optional bearer token.
pub async fn call(
    server: &Server,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    bearer: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = server.client.request(method, server.url(path)).query(query);
    if let Some(bearer) = bearer {
        req = req.header("authorization", format!("Bearer {bearer}"));
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.expect("request")
}

pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let (status, value) = crate::common::schema::read(res).await;
    (status, value.expect("a JSON answer"))
}

/// A console GET that must succeed; returns its answer.
pub async fn read(server: &Server, path: &str, query: &[(&str, &str)]) -> Value {
    let res = call(server, Method::GET, path, query, Some(ADMIN), None).await;
    let (status, value) = json_of(res).await;
    assert_eq!(
        (status, &value["code"]),
        (200, &json!(0)),
        "{path} {query:?}: {value}"
    );
    value
}

/// A console GET that must fail with `code` and `status`.
pub async fn read_fails(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
    code: u64,
    status: u16,
) {
    let res = call(server, Method::GET, path, query, Some(ADMIN), None).await;
    let (got, value) = json_of(res).await;
    assert_eq!(
        (got, value["code"].as_u64()),
        (status, Some(code)),
        "{path} {query:?}: {value}"
    );
    assert!(
        value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{value}"
    );
}

/// A console write (`create`, `update`, `delete`) by bearer: `(status, answer)`.
pub async fn write(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/debug/api/{action}");
    json_of(call(server, Method::POST, &path, &[], Some(ADMIN), Some(body)).await).await
}

/// A write that must succeed; returns its audit target.
pub async fn write_ok(server: &Server, action: &str, body: Value) -> String {
    let (status, res) = write(server, action, body.clone()).await;
    assert_eq!(
        (status, &res["code"]),
        (200, &json!(0)),
        "{action} {body}: {res}"
    );
    res["target"]
        .as_str()
        .unwrap_or_else(|| panic!("no target: {res}"))
        .to_owned()
}

/// A write that must be refused with `code` and `status`, and leave the audit log as it was.
pub async fn refused(server: &Server, action: &str, body: Value, code: u64, status: u16) {
    let logged = audit(server).await.len();
    let (got, res) = write(server, action, body.clone()).await;
    assert_eq!(
        (got, res["code"].as_u64()),
        (status, Some(code)),
        "{action} {body}: {res}"
    );
    assert!(
        res["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{res}"
    );
    assert_eq!(
        audit(server).await.len(),
        logged,
        "a refused write was logged: {action} {body}"
    );
}

/// The audit log as `(actor, action, target)`, newest first.
pub async fn audit(server: &Server) -> Vec<(String, String, String)> {
    read(server, "/debug/api/audit", &[]).await["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().expect("text").to_owned();
            (s("actor"), s("action"), s("target"))
        })
        .collect()
}

/// The key of the row `id` of `table`, as the console's `delete` takes it.
pub fn row(table: &str, id: impl Into<Value>) -> Value {
    json!({ "table": table, "key": { "id": id.into() } })
}

/// The keys stored since `before` was taken.
pub fn stored_since(server: &Server, before: &BTreeSet<String>) -> BTreeSet<String> {
    stored_keys(server).difference(before).cloned().collect()
}

/// Every blob the store was told to delete is gone.
pub async fn no_blob_pending(server: &Server) -> bool {
    eventually(|| count(server, "SELECT count(*) FROM blob_pending", []) == 0).await
}

/// The resumable upload `upload` is gone: `who` gets no status of it and none of its parts
/// is left.
pub async fn assert_upload_gone(server: &Server, who: &User, upload: i64) {
    let status = json!({ "upload_id": upload });
    server.fails(files::STATUS, who.t(), status, 341, 404).await;
    let parts = "SELECT count(*) FROM file_upload_parts WHERE upload_id = ?";
    assert_eq!(count(server, parts, [upload]), 0, "the upload's parts");
}

pub fn entry(action: &str, target: &str) -> (String, String, String) {
    ("bearer".into(), action.into(), target.into())
}

pub async fn group_view(server: &Server, group: i64) -> Value {
    read(
        server,
        "/debug/api/group",
        &[("group_id", &group.to_string())],
    )
    .await
}

pub async fn user_view(server: &Server, who: &User) -> Value {
    read(server, "/debug/api/user", &[("user_id", &who.id)]).await
}

/// The rows of `table` whose `column` is exactly `value` (the browser's filter is "contains":
/// group 1's filter also matches 10, 11, 21...), each as a map by column name.
pub async fn rows_where(
    server: &Server,
    table: &str,
    column: &str,
    value: &str,
) -> Vec<Map<String, Value>> {
    let page = read(
        server,
        "/debug/api/rows",
        &[
            ("table", table),
            ("filter_column", column),
            ("filter", value),
            ("limit", "200"),
        ],
    )
    .await;
    assert!(page["total"].as_i64().unwrap() <= 200, "{page}");
    let names: Vec<String> = page["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            names
                .iter()
                .cloned()
                .zip(row.as_array().unwrap().iter().cloned())
                .collect::<Map<String, Value>>()
        })
        .filter(|row| text_of(&row[column]) == value)
        .collect()
}

/// The rows of a chat table (`chat_messages`, `chat_files`) in one room.
pub async fn room_rows(
    server: &Server,
    table: &str,
    kind: &str,
    room: i64,
) -> Vec<Map<String, Value>> {
    rows_where(server, table, "room_id", &room.to_string())
        .await
        .into_iter()
        .filter(|r| r["room_kind"] == kind)
        .collect()
}

pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The id in an audit target such as `groups:12`.
pub fn id_in(target: &str) -> i64 {
    target
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {target}"))
}

// ---------------------------------------------------------------------------------------------
// The stores
// ---------------------------------------------------------------------------------------------

pub fn count(server: &Server, sql: &str, params: impl rusqlite::Params) -> i64 {
    server
        .sqlite()
        .query_row(sql, params, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every key of the key-value store and object (pictures, file chunks and thumbnails).
pub fn stored_keys(server: &Server) -> BTreeSet<String> {
    server.stored_keys().into_iter().collect()
}

pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = std::time::Instant::now();
    while start.elapsed() < WAIT {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

// ---------------------------------------------------------------------------------------------
// The public API
// ---------------------------------------------------------------------------------------------

/// `who` rates members of the dismissed `group`: each target with its stars.
pub async fn rate(server: &Server, who: &User, group: i64, rates: &[(&User, f64)]) {
    let rates = rates.iter();
    let rates = rates.map(|(target, stars)| json!({ "user_id": target.id, "star_rating": stars }));
    let rates = Value::Array(rates.collect());
    server.rate_group_members(who, group, rates).await;
}

pub async fn add_tag(server: &Server, who: &User, group: i64, tag: &str) {
    server
        .ok(
            group::TAG_ADD,
            &who.token,
            json!({ "group_id": group, "tag_text": tag }),
        )
        .await;
}

pub async fn tag_texts(server: &Server, who: &User, group: i64) -> Vec<String> {
    server
        .ok(group::TAGS, &who.token, json!({ "group_id": group }))
        .await["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_text"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn tag_hints(server: &Server, who: &User, kind: &str, key: &str) -> Vec<String> {
    let body = json!({ "type": kind, "key": key });
    server.group_tag_hints(who, body).await
}

pub async fn search(server: &Server, who: &User, kind: &str, key: &str) -> Vec<i64> {
    let body = json!({ "type": kind, "key": key });
    server.search_groups(who, body).await.0
}

/// A picture upload as `wx.uploadFile` sends it; returns the answer, which must be a success.
pub async fn upload_picture(
    server: &Server,
    who: &User,
    path: &str,
    field: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Value {
    let (status, res) = server.upload(path, who.t(), field, bytes, fields).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{path}: {res}");
    res
}

pub async fn add_intro_picture(server: &Server, who: &User, group: i64, bytes: Vec<u8>) -> i64 {
    let g = group.to_string();
    upload_picture(
        server,
        who,
        "/group/internal/info/picture/add",
        "pic",
        bytes,
        &[("group_id", &g)],
    )
    .await["pic_id"]
        .as_i64()
        .expect("pic_id")
}

/// An announcement with a picture; returns its id.
pub async fn announce(server: &Server, who: &User, group: i64, title: &str, text: &str) -> i64 {
    let id = server
        .ok(
            "/group/internal/announcement/add",
            &who.token,
            json!({ "group_id": group, "title": title, "text": text }),
        )
        .await["announcement_id"]
        .as_i64()
        .expect("announcement_id");
    let (g, a) = (group.to_string(), id.to_string());
    upload_picture(
        server,
        who,
        "/group/internal/announcement/setPic",
        "pic",
        png(50, 40, 255),
        &[("group_id", &g), ("announcement_id", &a)],
    )
    .await;
    id
}

/// An intro picture through the public API (token in the query).
pub async fn public_picture(
    server: &Server,
    who: &User,
    group: i64,
    pic: i64,
) -> reqwest::Response {
    let (g, p) = (group.to_string(), pic.to_string());
    server
        .get(
            group::PICTURE_GET,
            &[("token", &who.token), ("group_id", &g), ("pic_id", &p)],
        )
        .await
}

pub use crate::common::mkdir;

pub async fn download_file(server: &Server, who: &User, group: i64, file: i64) -> (u16, Vec<u8>) {
    let (g, f) = (group.to_string(), file.to_string());
    let res = server
        .get(
            files::DOWNLOAD,
            &[("token", &who.token), ("group_id", &g), ("file_id", &f)],
        )
        .await;
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

/// A JSON error answer's `(status, code)`.
pub fn error_of(status: u16, body: &[u8]) -> (u16, Option<u64>) {
    let value: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("non-JSON error: {}", String::from_utf8_lossy(body)));
    (status, value["code"].as_u64())
}

/// Begins a resumable upload of `size` bytes and puts its first part; returns the upload id.
pub async fn begin_upload(server: &Server, who: &User, group: i64, name: &str, size: usize) -> i64 {
    let body = json!({ "group_id": group, "name": name, "size": size });
    let id = server.begin_upload(who, body).await["upload_id"]
        .as_i64()
        .expect("upload_id");
    server.put_upload_part(who, id, 0, vec![7u8; size]).await;
    id
}

pub async fn download_chat_file(
    server: &Server,
    who: &User,
    kind: &str,
    room: i64,
    file: i64,
) -> (u16, Vec<u8>) {
    let (r, f) = (room.to_string(), file.to_string());
    let res = server
        .get(
            chat::DOWNLOAD,
            &[
                ("token", &who.token),
                ("type", kind),
                ("room_id", &r),
                ("file_id", &f),
            ],
        )
        .await;
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

// ---------------------------------------------------------------------------------------------
// Chat sockets
// ---------------------------------------------------------------------------------------------

pub async fn connect(server: &Server, who: &User, path: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path, WAIT).await
}

/// The socket ends within [`WAIT`]; frames before the end (history, earlier messages) are
/// skipped.
pub async fn closes(socket: &mut Socket, who: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => panic!("{who}: the chat socket stayed open"),
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Sends a text to the room and reads it back live (history that comes first is skipped);
/// returns the message's id.
pub async fn say(socket: &mut Socket, text: &str) -> i64 {
    ws::say(socket, text).await;
    loop {
        let frame = ws::next_json(socket, WAIT).await;
        if frame["history"] == false {
            assert_eq!(ws::content(&frame), text, "acknowledgement: {frame}");
            return ws::id(&frame);
        }
    }
}
