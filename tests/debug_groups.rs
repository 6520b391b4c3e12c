//! The admin console's writes of groups and of everything they own, and its views of a group
//! and of a user, over real HTTP with the admin's bearer token: each write follows the API's
//! rules (a refused write changes nothing and is not logged), a group's deletion takes every row,
//! blob, search entry, tag count and rating total of it and ends its members' chat sessions, and
//! the views and pictures show what is stored.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::paths::{chat, files, group, user};
use common::ws::{self, group_path, Socket};
use common::{
    admit, create_group, png, share_group_file, upload_group_file_in, user, Options, Server, User,
};
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Map, Value};
use tokio_tungstenite::tungstenite::Message;

const ADMIN: &str = "admin-token-for-tests-0123456789";
/// How long a frame or a closed socket may take.
const WAIT: Duration = Duration::from_secs(5);
/// How long we listen to be sure that nothing comes.
const QUIET: Duration = Duration::from_millis(300);

// ---------------------------------------------------------------------------------------------
// The console
// ---------------------------------------------------------------------------------------------

async fn admin_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await
}

/// A request to the console with an optional bearer token.
async fn call(
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

async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let (status, value) = common::schema::read(res).await;
    (status, value.expect("a JSON answer"))
}

/// A console GET that must succeed; returns its answer.
async fn read(server: &Server, path: &str, query: &[(&str, &str)]) -> Value {
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
async fn read_fails(server: &Server, path: &str, query: &[(&str, &str)], code: u64, status: u16) {
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
async fn write(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/debug/api/{action}");
    json_of(call(server, Method::POST, &path, &[], Some(ADMIN), Some(body)).await).await
}

/// A write that must succeed; returns its audit target.
async fn write_ok(server: &Server, action: &str, body: Value) -> String {
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
async fn refused(server: &Server, action: &str, body: Value, code: u64, status: u16) {
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
async fn audit(server: &Server) -> Vec<(String, String, String)> {
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

fn entry(action: &str, target: &str) -> (String, String, String) {
    ("bearer".into(), action.into(), target.into())
}

async fn group_view(server: &Server, group: i64) -> Value {
    read(
        server,
        "/debug/api/group",
        &[("group_id", &group.to_string())],
    )
    .await
}

async fn user_view(server: &Server, who: &User) -> Value {
    read(server, "/debug/api/user", &[("user_id", &who.id)]).await
}

/// The rows of `table` whose `column` is exactly `value` (the browser's filter is "contains":
/// group 1's filter also matches 10, 11, 21...), each as a map by column name.
async fn rows_where(
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
async fn room_rows(server: &Server, table: &str, kind: &str, room: i64) -> Vec<Map<String, Value>> {
    rows_where(server, table, "room_id", &room.to_string())
        .await
        .into_iter()
        .filter(|r| r["room_kind"] == kind)
        .collect()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The id in an audit target such as `groups:12`.
fn id_in(target: &str) -> i64 {
    target
        .rsplit(':')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {target}"))
}

fn is_time(value: &Value) -> bool {
    value
        .as_str()
        .is_some_and(|t| t.len() == 19 && t.as_bytes()[4] == b'/' && t.as_bytes()[13] == b':')
}

// ---------------------------------------------------------------------------------------------
// The stores
// ---------------------------------------------------------------------------------------------

fn count(server: &Server, sql: &str, params: impl rusqlite::Params) -> i64 {
    server
        .sqlite()
        .query_row(sql, params, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every key of the key-value store and object (pictures, file chunks and thumbnails).
fn stored_keys(server: &Server) -> BTreeSet<String> {
    server.stored_keys().into_iter().collect()
}

async fn eventually(mut done: impl FnMut() -> bool) -> bool {
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

async fn create(server: &Server, owner: &User, kind: &str, name: &str, limit: i64) -> i64 {
    server
        .ok(
            "/group/external/group/create",
            &owner.token,
            json!({ "type": kind, "name": name, "user_limit": limit }),
        )
        .await["group_id"]
        .as_i64()
        .expect("group_id")
}

async fn join(server: &Server, who: &User, group: i64) -> i64 {
    server
        .ok(
            "/group/external/group/join",
            &who.token,
            json!({ "group_id": group }),
        )
        .await["request_id"]
        .as_i64()
        .expect("request_id")
}

async fn dismiss(server: &Server, creator: &User, group: i64) {
    server
        .ok(group::DISMISS, &creator.token, json!({ "group_id": group }))
        .await;
}

async fn rate(server: &Server, who: &User, group: i64, rates: &[(&User, f64)]) {
    let rates: Vec<Value> = rates
        .iter()
        .map(|(target, stars)| json!({ "user_id": target.id, "star_rating": stars }))
        .collect();
    server
        .ok(
            group::RATE,
            &who.token,
            json!({ "group_id": group, "rates": rates }),
        )
        .await;
}

/// `(star_rating, rating_count)` of a user as others see them.
async fn rating_of(server: &Server, viewer: &User, target: &User) -> (f64, i64) {
    let info = server
        .ok(
            user::GET_INFO,
            &viewer.token,
            json!({ "user_id": target.id }),
        )
        .await;
    (
        info["star_rating"].as_f64().expect("star_rating"),
        info["rating_count"].as_i64().expect("rating_count"),
    )
}

async fn add_tag(server: &Server, who: &User, group: i64, tag: &str) {
    server
        .ok(
            group::TAG_ADD,
            &who.token,
            json!({ "group_id": group, "tag_text": tag }),
        )
        .await;
}

async fn tag_texts(server: &Server, who: &User, group: i64) -> Vec<String> {
    server
        .ok(group::TAGS, &who.token, json!({ "group_id": group }))
        .await["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_text"].as_str().unwrap().to_owned())
        .collect()
}

async fn tag_hints(server: &Server, who: &User, kind: &str, key: &str) -> Vec<String> {
    server
        .ok(
            group::TAG_HINT,
            &who.token,
            json!({ "type": kind, "key": key }),
        )
        .await["hints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().to_owned())
        .collect()
}

async fn search(server: &Server, who: &User, kind: &str, key: &str) -> Vec<i64> {
    server
        .ok(
            group::SEARCH,
            &who.token,
            json!({ "type": kind, "key": key }),
        )
        .await["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect()
}

/// A picture upload as `wx.uploadFile` sends it; returns the answer, which must be a success.
async fn upload_picture(
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

async fn add_intro_picture(server: &Server, who: &User, group: i64, bytes: Vec<u8>) -> i64 {
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
async fn announce(server: &Server, who: &User, group: i64, title: &str, text: &str) -> i64 {
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
async fn public_picture(server: &Server, who: &User, group: i64, pic: i64) -> reqwest::Response {
    let (g, p) = (group.to_string(), pic.to_string());
    server
        .get(
            group::PICTURE_GET,
            &[("token", &who.token), ("group_id", &g), ("pic_id", &p)],
        )
        .await
}

/// Makes a folder; returns its id.
async fn mkdir(server: &Server, who: &User, group: i64, parent: Option<i64>, name: &str) -> i64 {
    let mut body = json!({ "group_id": group, "name": name });
    if let Some(parent) = parent {
        body["parent_id"] = json!(parent);
    }
    server.ok(files::MK_DIR, &who.token, body.clone()).await;
    let mut list = json!({ "group_id": group });
    if let Some(parent) = parent {
        list["parent_id"] = json!(parent);
    }
    let listed = server.ok(files::GET_DIR, &who.token, list).await;
    listed["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["id"].as_i64())
        .unwrap_or_else(|| panic!("{name} not listed: {listed}"))
}

async fn download_file(server: &Server, who: &User, group: i64, file: i64) -> (u16, Vec<u8>) {
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
fn error_of(status: u16, body: &[u8]) -> (u16, Option<u64>) {
    let value: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("non-JSON error: {}", String::from_utf8_lossy(body)));
    (status, value["code"].as_u64())
}

/// Begins a resumable upload of `size` bytes and puts its first part; returns the upload id.
async fn begin_upload(server: &Server, who: &User, group: i64, name: &str, size: usize) -> i64 {
    let up = server
        .ok(
            files::BEGIN,
            &who.token,
            json!({ "group_id": group, "name": name, "size": size }),
        )
        .await;
    let id = up["upload_id"].as_i64().expect("upload_id");
    let res = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", id.to_string()), ("part", "0".into())])
        .header("token", &who.token)
        .body(vec![7u8; size])
        .send()
        .await
        .expect("part");
    let (status, value) = json_of(res).await;
    assert_eq!((status, &value["code"]), (200, &json!(0)), "{value}");
    id
}

/// Uploads a temporary chat file into a room; returns its id.
async fn upload_chat_file(
    server: &Server,
    who: &User,
    kind: &str,
    room: i64,
    name: &str,
    bytes: Vec<u8>,
) -> i64 {
    let form = Form::new()
        .text("type", kind.to_owned())
        .text("room_id", room.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let res = server
        .client
        .post(server.url(chat::UPLOAD))
        .header("token", &who.token)
        .multipart(form)
        .send()
        .await
        .expect("chat upload");
    let (status, value) = json_of(res).await;
    assert_eq!((status, &value["code"]), (200, &json!(0)), "{value}");
    value["file_id"].as_i64().expect("file_id")
}

async fn download_chat_file(
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

async fn connect(server: &Server, who: &User, path: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path, WAIT).await
}

/// The socket ends within [`WAIT`]; frames before the end (history, earlier messages) are
/// skipped.
async fn closes(socket: &mut Socket, who: &str) {
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
async fn say(socket: &mut Socket, text: &str) -> i64 {
    ws::say(socket, text).await;
    loop {
        let frame = ws::next_json(socket, WAIT).await;
        if frame["history"] == false {
            assert_eq!(ws::content(&frame), text, "acknowledgement: {frame}");
            return ws::id(&frame);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Deleting a group
// ---------------------------------------------------------------------------------------------

/// Every table of the console that holds rows of a group, by its group column.
const GROUP_TABLES: &[(&str, &str)] = &[
    ("groups", "id"),
    ("group_members", "group_id"),
    ("join_requests", "group_id"),
    ("group_tags", "group_id"),
    ("group_pictures", "group_id"),
    ("announcements", "group_id"),
    ("ratings", "group_id"),
    ("group_files", "group_id"),
    ("file_uploads", "group_id"),
];

/// How many rows of `group` each table of [`GROUP_TABLES`] and each chat table holds.
async fn rows_of_group(server: &Server, group: i64) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (table, column) in GROUP_TABLES {
        let n = rows_where(server, table, column, &group.to_string())
            .await
            .len();
        out.push((table.to_string(), n));
    }
    for table in ["chat_messages", "chat_files"] {
        let n = room_rows(server, table, "group", group).await.len();
        out.push((table.to_string(), n));
    }
    out
}

#[tokio::test]
async fn deleting_a_group_removes_everything_it_owns_in_one_go() {
    let server = admin_server().await;
    let owner = user(&server, "purge-owner").await;
    let admin = user(&server, "purge-admin").await;
    let member = user(&server, "purge-member").await;
    let asker = user(&server, "purge-asker").await;
    let turned_away = user(&server, "purge-turned-away").await;
    let other = user(&server, "purge-other-owner").await;

    // The doomed group comes first, so that it has the id of the first private room too: only
    // the room's kind tells their chat apart.
    let doomed = create(&server, &owner, "学习", "要删除的读书会", 20).await;
    let kept = create(&server, &other, "学习", "留下的读书会", 20).await;
    add_tag(&server, &other, kept, "共享标签").await;
    admit(&server, &other, &member, kept).await;
    let kept_file =
        upload_group_file_in(&server, &other, kept, None, "留下.txt", b"kept".to_vec()).await;
    share_group_file(&server, &other, kept, kept_file).await;
    let kept_picture = add_intro_picture(&server, &other, kept, png(30, 30, 255)).await;
    let kept_chat_file =
        upload_chat_file(&server, &other, "group", kept, "k.bin", vec![1; 100]).await;

    // A private conversation of two of the doomed group's members, with a file.
    let mut private = connect(
        &server,
        &owner,
        &format!("/chat/private?user_id={}", member.id),
    )
    .await;
    say(&mut private, "私聊不受影响").await;
    drop(private);
    let chats = server.ok("/chat/getChat", &owner.token, json!({})).await;
    let private_room = chats["private"][0]["room_id"].as_i64().expect("room_id");
    assert_eq!(
        private_room, doomed,
        "the private room shares the group's id"
    );
    let private_file = upload_chat_file(
        &server,
        &owner,
        "private",
        private_room,
        "p.bin",
        vec![2; 100],
    )
    .await;

    let before = stored_keys(&server);

    // Everything a group can own.
    admit(&server, &owner, &admin, doomed).await;
    admit(&server, &owner, &member, doomed).await;
    server
        .ok(
            group::SWITCH_ADMIN,
            &owner.token,
            json!({ "group_id": doomed, "user_id": admin.id }),
        )
        .await;
    join(&server, &asker, doomed).await;
    let refused_request = join(&server, &turned_away, doomed).await;
    server
        .ok(
            "/group/external/joinRequest/process",
            &owner.token,
            json!({ "request_id": refused_request, "action": false }),
        )
        .await;
    add_tag(&server, &owner, doomed, "独有标签").await;
    add_tag(&server, &owner, doomed, "共享标签").await;
    let picture = add_intro_picture(&server, &owner, doomed, png(64, 48, 255)).await;
    let g = doomed.to_string();
    upload_picture(
        &server,
        &owner,
        "/group/internal/info/avatar/add",
        "avatar",
        png(80, 80, 255),
        &[("group_id", &g)],
    )
    .await;
    let notice = announce(&server, &admin, doomed, "周会", "周三晚上").await;
    let folder = mkdir(&server, &member, doomed, None, "资料").await;
    let image = upload_group_file_in(
        &server,
        &member,
        doomed,
        Some(folder),
        "图.png",
        png(300, 200, 255),
    )
    .await;
    let notes =
        upload_group_file_in(&server, &owner, doomed, None, "笔记.txt", b"notes".to_vec()).await;
    share_group_file(&server, &owner, doomed, notes).await;
    let upload = begin_upload(&server, &member, doomed, "一半.bin", 1000).await;
    let chat_file =
        upload_chat_file(&server, &member, "group", doomed, "录音.bin", vec![3; 2000]).await;

    let mut s_owner = connect(&server, &owner, &group_path(doomed)).await;
    say(&mut s_owner, "群里的消息").await;
    let mut s_admin = connect(&server, &admin, &group_path(doomed)).await;
    let mut s_member = connect(&server, &member, &group_path(doomed)).await;

    let owned: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    for prefix in [
        format!("picture/group/{doomed}/"),
        format!("avatar/group/{doomed}/"),
        format!("picture/announcement/{notice}/"),
        "file/".to_owned(),
    ] {
        assert!(
            owned.iter().any(|k| k.contains(&prefix)),
            "no {prefix} blob among {owned:?}"
        );
    }
    let view = group_view(&server, doomed).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 3, "{view}");
    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["tags"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(view["pictures"], json!([picture]), "{view}");
    assert_eq!(view["announcements"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        view["files"]["entries"].as_array().unwrap().len(),
        3,
        "{view}"
    );
    assert_eq!(view["chat"].as_array().unwrap().len(), 2, "{view}");
    let counted = rows_of_group(&server, doomed).await;
    assert!(
        counted
            .iter()
            .all(|(table, n)| *n > 0 || table == "ratings"),
        "the group owns rows in every table: {counted:?}"
    );
    assert_eq!(
        tag_hints(&server, &owner, "学习", "标签").await,
        ["共享标签", "独有标签"]
    );
    assert_eq!(search(&server, &owner, "学习", "读书会").await.len(), 2);

    let kept_rows = rows_of_group(&server, kept).await;

    // A refused deletion changes nothing and is not logged.
    refused(
        &server,
        "delete",
        json!({ "table": "groups", "key": { "id": 999 } }),
        301,
        404,
    )
    .await;
    refused(
        &server,
        "delete",
        json!({ "table": "groups", "key": {} }),
        101,
        400,
    )
    .await;
    assert_eq!(rows_of_group(&server, doomed).await, counted);

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "groups", "key": { "id": doomed } }),
    )
    .await;
    assert_eq!(target, format!("groups:{doomed}"));
    assert_eq!(
        audit(&server).await,
        vec![entry("delete", &target)],
        "the one write, logged"
    );

    // Every member's chat session ends, and the room is gone.
    closes(&mut s_owner, "owner").await;
    closes(&mut s_admin, "admin").await;
    closes(&mut s_member, "member").await;
    ws::refused(
        &server.ws_base(),
        Some(&member.token),
        None,
        &group_path(doomed),
        402,
        404,
        WAIT,
    )
    .await;

    // No row of it is left anywhere.
    let left = rows_of_group(&server, doomed).await;
    assert!(left.iter().all(|(_, n)| *n == 0), "left behind: {left:?}");
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM file_upload_parts WHERE upload_id = ?",
            [upload]
        ),
        0,
        "the upload's parts"
    );
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM group_search WHERE rowid = ?",
            [doomed]
        ),
        0,
        "the search entry"
    );
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM tag_stats WHERE tag_text = '独有标签'",
            []
        ),
        0
    );
    assert_eq!(
        count(
            &server,
            "SELECT uses FROM tag_stats WHERE type = '学习' AND tag_text = '共享标签'",
            []
        ),
        1
    );
    assert_eq!(
        tag_hints(&server, &owner, "学习", "标签").await,
        ["共享标签"]
    );
    assert_eq!(search(&server, &owner, "学习", "读书会").await, [kept]);

    // Its blobs go, and nothing else's.
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&owned)).await,
        "blobs left behind: {:?}",
        stored_keys(&server)
            .intersection(&owned)
            .collect::<Vec<_>>()
    );
    assert!(
        stored_keys(&server).is_superset(&before),
        "another group's blobs went"
    );
    assert!(
        eventually(|| count(&server, "SELECT count(*) FROM blob_pending", []) == 0).await,
        "blobs still pending"
    );

    // The API knows it no more.
    server
        .fails(
            group::INFO_GET,
            owner.t(),
            json!({ "group_id": doomed }),
            301,
            404,
        )
        .await;
    let (status, body) = download_file(&server, &member, doomed, image).await;
    assert_eq!(error_of(status, &body), (404, Some(301)));
    let res = public_picture(&server, &owner, doomed, picture).await;
    assert_eq!(res.status(), 404);
    let (status, body) = download_chat_file(&server, &member, "group", doomed, chat_file).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    server
        .fails(
            files::STATUS,
            member.t(),
            json!({ "upload_id": upload }),
            341,
            404,
        )
        .await;
    read_fails(&server, "/debug/api/group", &[("group_id", &g)], 301, 404).await;
    for (who, groups) in [(&owner, vec![]), (&admin, vec![]), (&member, vec![kept])] {
        let ids: Vec<i64> = user_view(&server, who).await["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, groups);
    }

    // The other group and the private conversation are whole.
    assert_eq!(rows_of_group(&server, kept).await, kept_rows);
    assert_eq!(group_view(&server, kept).await["group"]["user_cnt"], 2);
    assert_eq!(
        download_file(&server, &other, kept, kept_file).await.1,
        b"kept"
    );
    assert_eq!(
        public_picture(&server, &other, kept, kept_picture)
            .await
            .status(),
        200
    );
    let (status, _) = download_chat_file(&server, &member, "group", kept, kept_chat_file).await;
    assert_eq!(status, 200);
    assert_eq!(
        room_rows(&server, "chat_messages", "private", private_room)
            .await
            .len(),
        1
    );
    let (status, body) =
        download_chat_file(&server, &member, "private", private_room, private_file).await;
    assert_eq!((status, body), (200, vec![2; 100]));
}

#[tokio::test]
async fn deleting_a_dismissed_group_recounts_the_ratings_given_in_it() {
    let server = admin_server().await;
    let target = user(&server, "recount-target").await;
    let rater1 = user(&server, "recount-rater1").await;
    let rater2 = user(&server, "recount-rater2").await;
    let friend = user(&server, "recount-friend").await;

    let doomed = create(&server, &target, "运动", "解散后删除", 10).await;
    admit(&server, &target, &rater1, doomed).await;
    admit(&server, &target, &rater2, doomed).await;
    let kept = create(&server, &target, "运动", "解散后留下", 10).await;
    admit(&server, &target, &friend, kept).await;
    dismiss(&server, &target, doomed).await;
    dismiss(&server, &target, kept).await;
    rate(&server, &rater1, doomed, &[(&target, 2.0)]).await;
    rate(&server, &rater2, doomed, &[(&target, 3.0)]).await;
    rate(&server, &target, doomed, &[(&rater1, 7.0)]).await;
    rate(&server, &friend, kept, &[(&target, 10.0)]).await;
    rate(&server, &target, kept, &[(&friend, 9.0)]).await;
    assert_eq!(rating_of(&server, &friend, &target).await, (5.0, 3));
    assert_eq!(rating_of(&server, &friend, &rater1).await, (7.0, 1));

    write_ok(
        &server,
        "delete",
        json!({ "table": "groups", "key": { "id": doomed } }),
    )
    .await;
    assert_eq!(rating_of(&server, &friend, &target).await, (10.0, 1));
    assert_eq!(rating_of(&server, &friend, &rater1).await, (0.0, 0));
    assert_eq!(rating_of(&server, &target, &friend).await, (9.0, 1));
    assert!(
        rows_where(&server, "ratings", "group_id", &doomed.to_string())
            .await
            .is_empty()
    );
    assert_eq!(
        rows_where(&server, "ratings", "group_id", &kept.to_string())
            .await
            .len(),
        2
    );

    let view = user_view(&server, &target).await;
    assert_eq!(view["user"]["rating_count"], 1, "{view}");
    assert_eq!(view["user"]["star_rating"].as_f64(), Some(10.0), "{view}");
    let received = view["ratings"]["received"].as_array().unwrap();
    assert_eq!(received.len(), 1, "{view}");
    assert_eq!(
        (
            &received[0]["group_id"],
            &received[0]["rater_id"],
            received[0]["stars"].as_f64()
        ),
        (&json!(kept), &json!(friend.id), Some(10.0))
    );
    let given = view["ratings"]["given"].as_array().unwrap();
    assert_eq!(given.len(), 1, "{view}");
    assert_eq!(given[0]["target_id"], friend.id.as_str());
    let groups: Vec<i64> = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(groups, [kept]);
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn groups_are_created_renamed_and_dismissed_with_the_api_rules() {
    let server = admin_server().await;
    let owner = user(&server, "cg-owner").await;
    let asker = user(&server, "cg-asker").await;

    let target = write_ok(
        &server,
        "create",
        json!({ "table": "groups", "values": { "creator_id": owner.id, "type": "运动",
                "name": "  控制台建的群 ", "user_limit": 5 } }),
    )
    .await;
    let group = id_in(&target);
    assert_eq!(target, format!("groups:{group}"));
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(
        (
            &info["name"],
            &info["type"],
            &info["user_limit"],
            &info["user_cnt"],
            &info["my_role"]
        ),
        (
            &json!("控制台建的群"),
            &json!("运动"),
            &json!(5),
            &json!(1),
            &json!("creator")
        ),
        "{info}"
    );
    assert_eq!(search(&server, &owner, "运动", "控制台").await, [group]);

    for (values, code, status) in [
        (
            json!({ "creator_id": "nobody", "type": "运动", "name": "x", "user_limit": 5 }),
            202,
            404,
        ),
        (
            json!({ "creator_id": owner.id, "type": "桌游", "name": "x", "user_limit": 5 }),
            351,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "  ", "user_limit": 5 }),
            101,
            400,
        ),
        (
            json!({
                "creator_id": owner.id, "type": "运动", "name": "名".repeat(31), "user_limit": 5
            }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x", "user_limit": 1 }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x", "user_limit": 501 }),
            101,
            400,
        ),
        (
            json!({ "creator_id": owner.id, "type": "运动", "name": "x" }),
            101,
            400,
        ),
    ] {
        refused(
            &server,
            "create",
            json!({ "table": "groups", "values": values }),
            code,
            status,
        )
        .await;
    }
    let all = read(&server, "/debug/api/rows", &[("table", "groups")]).await;
    assert_eq!(all["total"], 1, "refused creations made no group: {all}");

    let key = json!({ "id": group });
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "name": "改过的名字" } }),
    )
    .await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "info": "  周末约球 " } }),
    )
    .await;
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(
        (&info["name"], &info["info"]),
        (&json!("改过的名字"), &json!("周末约球"))
    );
    assert_eq!(
        search(&server, &owner, "运动", "控制台").await,
        Vec::<i64>::new()
    );
    assert_eq!(search(&server, &owner, "运动", "约球").await, [group]);

    for (body, code, status) in [
        (
            json!({ "table": "groups", "key": key, "values": { "user_limit": 50 } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "creator_id": asker.id } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "name": "" } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "info": "长".repeat(1001) } }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": key, "values": { "dismissed": false } }),
            101,
            400,
        ),
        // The rename is undone with the refusal.
        (
            json!({
                "table": "groups", "key": key, "values": { "name": "半途", "dismissed": false }
            }),
            101,
            400,
        ),
        (
            json!({ "table": "groups", "key": { "id": 999 }, "values": { "name": "谁" } }),
            301,
            404,
        ),
    ] {
        refused(&server, "update", body, code, status).await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["group"]["name"], "改过的名字", "{view}");
    assert_eq!(view["group"]["dismissed"], Value::Null, "{view}");

    // Dismissing closes the pending requests and takes the group out of search.
    let request = join(&server, &asker, group).await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "dismissed": true } }),
    )
    .await;
    let info = server
        .ok(group::INFO_GET, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(info["dismissed"], true, "{info}");
    assert!(is_time(
        &group_view(&server, group).await["group"]["dismissed"]
    ));
    assert!(search(&server, &owner, "运动", "约球").await.is_empty());
    let requests = rows_where(&server, "join_requests", "id", &request.to_string()).await;
    assert_eq!(requests[0]["status"], "closed", "{requests:?}");
    refused(
        &server,
        "update",
        json!({ "table": "groups", "key": key, "values": { "dismissed": true } }),
        304,
        403,
    )
    .await;

    assert_eq!(
        audit(&server).await,
        vec![
            entry("update", &target),
            entry("update", &target),
            entry("update", &target),
            entry("create", &target),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Members and join requests
// ---------------------------------------------------------------------------------------------

/// `(user_id, nickname, is_admin)` of each member as the API lists them, sorted by user id.
async fn member_list(server: &Server, who: &User, group: i64) -> Vec<(String, String, bool)> {
    let mut list: Vec<(String, String, bool)> = server
        .ok(group::MEMBERS, &who.token, json!({ "group_id": group }))
        .await["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["nickname"].as_str().unwrap().to_owned(),
                m["is_admin"].as_bool().unwrap(),
            )
        })
        .collect();
    list.sort();
    list
}

async fn user_cnt(server: &Server, group: i64) -> i64 {
    group_view(server, group).await["group"]["user_cnt"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn members_are_added_promoted_renamed_and_removed_and_lose_the_chat() {
    let server = admin_server().await;
    let owner = user(&server, "mem-owner").await;
    let alice = user(&server, "mem-alice").await;
    let bob = user(&server, "mem-bob").await;
    let carol = user(&server, "mem-carol").await;
    let group = create(&server, &owner, "游戏", "三人车队", 3).await;
    let member = |who: &User| json!({ "group_id": group, "user_id": who.id });

    // Bob had asked: adding him approves his request.
    let request = join(&server, &bob, group).await;
    let target = write_ok(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&bob) }),
    )
    .await;
    assert_eq!(target, format!("group_members:{group}/{}", bob.id));
    let row = rows_where(&server, "join_requests", "id", &request.to_string()).await;
    assert_eq!(
        (&row[0]["status"], &row[0]["processed_by"]),
        (&json!("approved"), &json!("bearer"))
    );
    assert_eq!(group_view(&server, group).await["requests"], json!([]));
    write_ok(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&alice) }),
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 3);

    for (values, code, status) in [
        (member(&carol), 314, 413),
        (member(&alice), 311, 409),
        (json!({ "group_id": group, "user_id": "nobody" }), 202, 404),
        (json!({ "group_id": 999, "user_id": carol.id }), 301, 404),
        (json!({ "group_id": group }), 101, 400),
    ] {
        refused(
            &server,
            "create",
            json!({ "table": "group_members", "values": values }),
            code,
            status,
        )
        .await;
    }
    assert_eq!(user_cnt(&server, group).await, 3);

    // Admins and in-group nicknames.
    let update = |who: &User, values: Value| {
        let key = member(who);
        json!({ "table": "group_members", "key": key, "values": values })
    };
    write_ok(
        &server,
        "update",
        update(&alice, json!({ "is_admin": true })),
    )
    .await;
    write_ok(
        &server,
        "update",
        update(&bob, json!({ "nickname": "  小鲍 " })),
    )
    .await;
    let listed = member_list(&server, &owner, group).await;
    let find = |id: &str| listed.iter().find(|m| m.0 == id).cloned().unwrap();
    assert!(find(&alice.id).2, "{listed:?}");
    assert_eq!(find(&bob.id).1, "小鲍");
    assert!(!find(&bob.id).2);
    write_ok(
        &server,
        "update",
        update(&alice, json!({ "is_admin": false, "nickname": "爱丽丝" })),
    )
    .await;
    let listed = member_list(&server, &owner, group).await;
    let alice_row = listed.iter().find(|m| m.0 == alice.id).unwrap();
    assert_eq!((alice_row.1.as_str(), alice_row.2), ("爱丽丝", false));

    for (body, code, status) in [
        (update(&owner, json!({ "is_admin": false })), 303, 403),
        (update(&carol, json!({ "is_admin": true })), 302, 404),
        (update(&carol, json!({ "nickname": "外人" })), 302, 404),
        (update(&bob, json!({ "nickname": "   " })), 201, 400),
        (update(&bob, json!({ "has_rated": true })), 101, 400),
        (update(&bob, json!({})), 101, 400),
        // Made admin, then refused for the nickname: neither stays.
        (
            update(&bob, json!({ "is_admin": true, "nickname": "" })),
            201,
            400,
        ),
        (
            json!({
                "table": "group_members",
                "key": { "group_id": 999, "user_id": bob.id },
                "values": { "is_admin": true }
            }),
            301,
            404,
        ),
    ] {
        refused(&server, "update", body, code, status).await;
    }
    let listed = member_list(&server, &owner, group).await;
    let bob_row = listed.iter().find(|m| m.0 == bob.id).unwrap();
    assert_eq!(
        (bob_row.1.as_str(), bob_row.2),
        ("小鲍", false),
        "{listed:?}"
    );

    // Removing a member ends their chat session there; the others stay connected.
    let mut s_bob = connect(&server, &bob, &group_path(group)).await;
    let mut s_alice = connect(&server, &alice, &group_path(group)).await;
    let key = |who: &User| json!({ "table": "group_members", "key": member(who) });
    let target = write_ok(&server, "delete", key(&bob)).await;
    assert_eq!(target, format!("group_members:{group}/{}", bob.id));
    closes(&mut s_bob, "the removed member").await;
    ws::quiet(&mut s_alice, QUIET, "a member who stays").await;
    ws::refused(
        &server.ws_base(),
        Some(&bob.token),
        None,
        &group_path(group),
        403,
        403,
        WAIT,
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 2);
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .all(|m| m.0 != bob.id));
    say(&mut s_alice, "还在").await;

    refused(&server, "delete", key(&owner), 303, 403).await;
    refused(&server, "delete", key(&bob), 302, 404).await;
    write_ok(
        &server,
        "update",
        json!({ "table": "groups", "key": { "id": group }, "values": { "dismissed": true } }),
    )
    .await;
    refused(&server, "delete", key(&alice), 304, 403).await;
    refused(
        &server,
        "create",
        json!({ "table": "group_members", "values": member(&carol) }),
        304,
        403,
    )
    .await;
    assert_eq!(user_cnt(&server, group).await, 2);
}

#[tokio::test]
async fn join_requests_are_approved_or_rejected_while_pending_and_while_there_is_room() {
    let server = admin_server().await;
    let owner = user(&server, "jr-owner").await;
    let first = user(&server, "jr-first").await;
    let second = user(&server, "jr-second").await;
    let late = user(&server, "jr-late").await;
    let group = create(&server, &owner, "出行", "双人骑行", 2).await;
    let r1 = join(&server, &first, group).await;
    let r2 = join(&server, &second, group).await;
    let status = |id: i64, status: &str| {
        let values = json!({ "status": status });
        json!({ "table": "join_requests", "key": { "id": id }, "values": values })
    };

    let target = write_ok(&server, "update", status(r1, "approved")).await;
    assert_eq!(target, format!("join_requests:{r1}"));
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .any(|m| m.0 == first.id));
    assert_eq!(user_cnt(&server, group).await, 2);

    // The group is full: the approval is refused and the request stays pending.
    refused(&server, "update", status(r2, "approved"), 314, 413).await;
    let view = group_view(&server, group).await;
    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["requests"][0]["id"], r2);
    assert_eq!(view["requests"][0]["user_id"], second.id.as_str());

    for (action, body, code, status_code) in [
        ("update", status(r2, "closed"), 101, 400),
        (
            "update",
            json!({
                "table": "join_requests",
                "key": { "id": r2 },
                "values": { "status": "rejected", "group_id": 1 }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "join_requests", "key": { "id": r2 }, "values": {} }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "join_requests", "values": { "group_id": group, "user_id": late.id }
            }),
            101,
            400,
        ),
        (
            "delete",
            json!({ "table": "join_requests", "key": { "id": r2 } }),
            101,
            400,
        ),
        ("update", status(r1, "rejected"), 313, 404),
        ("update", status(999, "approved"), 313, 404),
    ] {
        refused(&server, action, body, code, status_code).await;
    }

    write_ok(&server, "update", status(r2, "rejected")).await;
    let row = rows_where(&server, "join_requests", "id", &r2.to_string()).await;
    assert_eq!(row[0]["status"], "rejected");
    assert_eq!(group_view(&server, group).await["requests"], json!([]));
    refused(&server, "update", status(r2, "approved"), 313, 404).await;
    assert!(member_list(&server, &owner, group)
        .await
        .iter()
        .all(|m| m.0 != second.id));

    // A dismissed group's requests were closed with it.
    let other = create(&server, &owner, "出行", "已解散", 10).await;
    let r3 = join(&server, &late, other).await;
    dismiss(&server, &owner, other).await;
    refused(&server, "update", status(r3, "approved"), 313, 404).await;
}

// ---------------------------------------------------------------------------------------------
// Tags, pictures, announcements, ratings
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn group_tags_follow_the_profile_rules() {
    let server = admin_server().await;
    let owner = user(&server, "gt-owner").await;
    let group = create(&server, &owner, "学习", "标签小组", 10).await;
    let other = create(&server, &owner, "学习", "另一个组", 10).await;
    let new = |group: i64, text: &str| {
        let values = json!({ "group_id": group, "tag_text": text });
        json!({ "table": "group_tags", "values": values })
    };

    let target = write_ok(&server, "create", new(group, " 夜读 ")).await;
    assert_eq!(target, format!("group_tags:{group}"));
    assert_eq!(tag_texts(&server, &owner, group).await, ["夜读"]);
    assert_eq!(tag_hints(&server, &owner, "学习", "读").await, ["夜读"]);
    assert_eq!(search(&server, &owner, "学习", "夜读").await, [group]);
    let tag = group_view(&server, group).await["tags"][0]["id"]
        .as_i64()
        .unwrap();
    let key = json!({ "id": tag });

    write_ok(
        &server,
        "update",
        json!({ "table": "group_tags", "key": key, "values": { "tag_text": "晨读" } }),
    )
    .await;
    assert_eq!(tag_texts(&server, &owner, group).await, ["晨读"]);
    assert_eq!(tag_hints(&server, &owner, "学习", "读").await, ["晨读"]);
    assert_eq!(search(&server, &owner, "学习", "晨读").await, [group]);

    write_ok(&server, "create", new(group, "考研")).await;
    for (action, body, code, status) in [
        ("create", new(group, "   "), 362, 400),
        ("create", new(group, "考研"), 101, 400),
        ("create", new(group, &"长".repeat(21)), 101, 400),
        ("create", new(999, "考研"), 301, 404),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "tag_text": "考研" } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "tag_text": " " } }),
            362,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "group_id": other } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": { "id": 999 }, "values": { "tag_text": "x" } }),
            361,
            404,
        ),
        (
            "delete",
            json!({ "table": "group_tags", "key": { "id": 999 } }),
            361,
            404,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(tag_texts(&server, &owner, group).await, ["晨读", "考研"]);

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "group_tags", "key": key }),
    )
    .await;
    assert_eq!(target, format!("group_tags:{tag}"));
    assert_eq!(tag_texts(&server, &owner, group).await, ["考研"]);
    assert!(tag_hints(&server, &owner, "学习", "读").await.is_empty());
    assert!(search(&server, &owner, "学习", "晨读").await.is_empty());
    refused(
        &server,
        "delete",
        json!({ "table": "group_tags", "key": key }),
        361,
        404,
    )
    .await;

    // Ten at most.
    for i in 0..9 {
        write_ok(&server, "create", new(group, &format!("标签{i}"))).await;
    }
    refused(&server, "create", new(group, "第十一个"), 363, 413).await;
    assert_eq!(tag_texts(&server, &owner, group).await.len(), 10);
    write_ok(&server, "create", new(other, "第十一个")).await;
}

#[tokio::test]
async fn intro_pictures_and_announcements_go_with_their_pictures() {
    let server = admin_server().await;
    let owner = user(&server, "pa-owner").await;
    let group = create(&server, &owner, "兴趣", "摄影社", 10).await;
    let before = stored_keys(&server);
    let p1 = add_intro_picture(&server, &owner, group, png(64, 48, 255)).await;
    let p1_keys: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    assert!(
        !p1_keys.is_empty()
            && p1_keys
                .iter()
                .all(|k| k.contains(&format!("picture/group/{group}/"))),
        "{p1_keys:?}"
    );
    let p2 = add_intro_picture(&server, &owner, group, png(48, 64, 255)).await;

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "group_pictures", "key": { "id": p1 } }),
    )
    .await;
    assert_eq!(target, format!("group_pictures:{p1}"));
    let listed = server
        .ok(group::PICTURES, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(listed["pictures"], json!([{ "id": p2 }]));
    let (status, body) = {
        let res = public_picture(&server, &owner, group, p1).await;
        (res.status().as_u16(), res.bytes().await.unwrap())
    };
    assert_eq!(error_of(status, &body), (404, Some(332)));
    assert_eq!(
        public_picture(&server, &owner, group, p2).await.status(),
        200
    );
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&p1_keys)).await,
        "the picture's blob stays"
    );
    for (action, body, code, status) in [
        (
            "delete",
            json!({ "table": "group_pictures", "key": { "id": p1 } }),
            332,
            404,
        ),
        (
            "create",
            json!({ "table": "group_pictures", "values": { "group_id": group } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_pictures", "key": { "id": p2 }, "values": { "group_id": 1 } }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }

    // Announcements: edited with the rules of a new one, deleted with their picture.
    let before = stored_keys(&server);
    let notice = announce(&server, &owner, group, "活动通知", "周六外拍").await;
    let notice_keys: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    assert!(
        !notice_keys.is_empty()
            && notice_keys
                .iter()
                .all(|k| k.contains(&format!("picture/announcement/{notice}/"))),
        "{notice_keys:?}"
    );
    let get = || {
        let (server, token) = (&server, owner.token.clone());
        async move {
            server
                .ok(
                    group::ANNOUNCEMENT,
                    &token,
                    json!({ "group_id": group, "announcement_id": notice }),
                )
                .await["announcement"]
                .clone()
        }
    };
    let key = json!({ "id": notice });
    let target = write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": { "title": " 改期通知 " } }),
    )
    .await;
    assert_eq!(target, format!("announcements:{notice}"));
    let shown = get().await;
    assert_eq!(
        (&shown["title"], &shown["text"], &shown["has_pic"]),
        (&json!("改期通知"), &json!("周六外拍"), &json!(true))
    );
    write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": { "text": "改到周日" } }),
    )
    .await;
    assert_eq!(get().await["text"], "改到周日");
    let both = json!({ "title": "定了", "text": "周日早上" });
    write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": both }),
    )
    .await;
    let shown = get().await;
    assert_eq!(
        (&shown["title"], &shown["text"]),
        (&json!("定了"), &json!("周日早上"))
    );

    for (action, body, code, status) in [
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "title": "  " } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "announcements", "key": key, "values": { "title": "题".repeat(51) }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "text": "" } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "announcements", "key": key, "values": { "text": "字".repeat(5001) }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "author_id": "x" } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": {} }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": { "id": 999 }, "values": { "title": "x" } }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "announcements", "values": { "group_id": group, "title": "x", "text": "y" }
            }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(get().await["title"], "定了");

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "announcements", "key": key }),
    )
    .await;
    assert_eq!(target, format!("announcements:{notice}"));
    server
        .fails(
            group::ANNOUNCEMENT,
            owner.t(),
            json!({ "group_id": group, "announcement_id": notice }),
            101,
            400,
        )
        .await;
    let listed = server
        .ok(
            group::ANNOUNCEMENTS,
            &owner.token,
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(listed["announcements"], json!([]));
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&notice_keys)).await,
        "the announcement's picture stays"
    );
    read_fails(
        &server,
        "/debug/api/picture",
        &[("kind", "announcement"), ("id", &notice.to_string())],
        332,
        404,
    )
    .await;
    refused(
        &server,
        "delete",
        json!({ "table": "announcements", "key": key }),
        101,
        400,
    )
    .await;
}

/// Two intro pictures with the same content are two rows: deleting one must leave the other
/// showing.
#[tokio::test]
async fn deleting_one_of_two_identical_intro_pictures_keeps_the_other() {
    let server = admin_server().await;
    let owner = user(&server, "twin-owner").await;
    let group = create(&server, &owner, "兴趣", "双胞胎照片", 10).await;
    let first = add_intro_picture(&server, &owner, group, png(40, 40, 255)).await;
    let second = add_intro_picture(&server, &owner, group, png(40, 40, 255)).await;
    assert_ne!(first, second);
    write_ok(
        &server,
        "delete",
        json!({ "table": "group_pictures", "key": { "id": first } }),
    )
    .await;
    let res = public_picture(&server, &owner, group, second).await;
    let status = res.status().as_u16();
    let body = res.bytes().await.unwrap();
    assert_eq!(
        status,
        200,
        "the remaining picture lost its image: {}",
        String::from_utf8_lossy(&body)
    );
    let res = call(
        &server,
        Method::GET,
        "/debug/api/picture",
        &[("kind", "group_picture"), ("id", &second.to_string())],
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn ratings_are_deleted_one_by_one_and_their_target_recounted() {
    let server = admin_server().await;
    let target = user(&server, "rd-target").await;
    let rater1 = user(&server, "rd-rater1").await;
    let rater2 = user(&server, "rd-rater2").await;
    let group = create(&server, &target, "竞赛", "数模三人组", 5).await;
    admit(&server, &target, &rater1, group).await;
    admit(&server, &target, &rater2, group).await;
    dismiss(&server, &target, group).await;
    rate(&server, &rater1, group, &[(&target, 2.0), (&rater2, 8.0)]).await;
    rate(&server, &rater2, group, &[(&target, 6.0)]).await;
    assert_eq!(rating_of(&server, &rater1, &target).await, (4.0, 2));

    let key = |rater: &User, to: &User| {
        json!({
            "table": "ratings",
            "key": { "group_id": group, "rater_id": rater.id, "target_id": to.id }
        })
    };
    let written = write_ok(&server, "delete", key(&rater1, &target)).await;
    assert_eq!(
        written,
        format!("ratings:{group}/{}/{}", rater1.id, target.id)
    );
    assert_eq!(rating_of(&server, &rater1, &target).await, (6.0, 1));
    assert_eq!(
        rating_of(&server, &target, &rater2).await,
        (8.0, 1),
        "other ratings stay"
    );
    let view = user_view(&server, &target).await;
    assert_eq!(
        (
            view["user"]["star_rating"].as_f64(),
            &view["user"]["rating_count"]
        ),
        (Some(6.0), &json!(1))
    );
    assert_eq!(view["ratings"]["received"].as_array().unwrap().len(), 1);
    assert_eq!(
        view["ratings"]["received"][0]["rater_id"],
        rater2.id.as_str()
    );

    for (action, body, code, status) in [
        ("delete", key(&rater1, &target), 323, 400),
        ("delete", key(&target, &rater1), 323, 400),
        (
            "delete",
            json!({
                "table": "ratings",
                "key": { "group_id": 999, "rater_id": rater2.id, "target_id": target.id }
            }),
            323,
            400,
        ),
        (
            "delete",
            json!({ "table": "ratings", "key": { "group_id": group, "rater_id": rater2.id } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "ratings",
                "key": { "group_id": group, "rater_id": rater2.id, "target_id": target.id },
                "values": { "stars": 10 }
            }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "ratings",
                "values": { "group_id": group, "rater_id": rater2.id, "target_id": rater1.id }
            }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(rating_of(&server, &rater1, &target).await, (6.0, 1));

    // The rater has still used their one rating of the group.
    server
        .fails(
            group::RATE,
            rater1.t(),
            json!({ "group_id": group, "rates": [{ "user_id": target.id, "star_rating": 9 }] }),
            322,
            409,
        )
        .await;
}

// ---------------------------------------------------------------------------------------------
// Files, uploads, chat messages and chat files
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn files_folders_and_uploads_are_deleted_and_free_their_space() {
    let server = admin_server().await;
    let owner = user(&server, "fd-owner").await;
    let member = user(&server, "fd-member").await;
    let group = create_group(&server, &owner, "文件组").await;
    admit(&server, &owner, &member, group).await;

    let folder = mkdir(&server, &member, group, None, "资料").await;
    let sub = mkdir(&server, &member, group, Some(folder), "子目录").await;
    let before = stored_keys(&server);
    let a = upload_group_file_in(
        &server,
        &member,
        group,
        Some(folder),
        "a.bin",
        vec![1; 1000],
    )
    .await;
    let b = upload_group_file_in(&server, &owner, group, Some(sub), "b.bin", vec![2; 2000]).await;
    let folder_keys: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    assert_eq!(folder_keys.len(), 2, "{folder_keys:?}");
    let c = upload_group_file_in(&server, &member, group, None, "c.bin", vec![3; 500]).await;
    let view = group_view(&server, group).await;
    assert_eq!(view["files"]["used_bytes"], 3500, "{view}");

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "group_files", "key": { "id": folder } }),
    )
    .await;
    assert_eq!(target, format!("group_files:{folder}"));
    let view = group_view(&server, group).await;
    assert_eq!(view["files"]["used_bytes"], 500, "{view}");
    let entries: Vec<i64> = view["files"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(entries, [c]);
    for file in [a, b] {
        let (status, body) = download_file(&server, &member, group, file).await;
        assert_eq!(error_of(status, &body), (404, Some(341)));
    }
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&folder_keys)).await,
        "the folder's blobs stay"
    );
    for id in [folder, sub] {
        refused(
            &server,
            "delete",
            json!({ "table": "group_files", "key": { "id": id } }),
            341,
            404,
        )
        .await;
    }
    for (action, body) in [
        (
            "create",
            json!({
                "table": "group_files", "values": { "group_id": group, "name": "x", "is_dir": true }
            }),
        ),
        (
            "update",
            json!({ "table": "group_files", "key": { "id": c }, "values": { "name": "d.bin" } }),
        ),
    ] {
        refused(&server, action, body, 101, 400).await;
    }
    assert_eq!(
        download_file(&server, &member, group, c).await,
        (200, vec![3; 500])
    );
    write_ok(
        &server,
        "delete",
        json!({ "table": "group_files", "key": { "id": c } }),
    )
    .await;
    assert_eq!(group_view(&server, group).await["files"]["used_bytes"], 0);

    // An upload in progress, with the part it has.
    let before = stored_keys(&server);
    let upload = begin_upload(&server, &member, group, "大文件.bin", 1000).await;
    let upload_keys: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    assert!(!upload_keys.is_empty());
    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "file_uploads", "key": { "id": upload } }),
    )
    .await;
    assert_eq!(target, format!("file_uploads:{upload}"));
    server
        .fails(
            files::STATUS,
            member.t(),
            json!({ "upload_id": upload }),
            341,
            404,
        )
        .await;
    assert!(
        rows_where(&server, "file_uploads", "id", &upload.to_string())
            .await
            .is_empty()
    );
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM file_upload_parts WHERE upload_id = ?",
            [upload]
        ),
        0
    );
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&upload_keys)).await,
        "the upload's part stays"
    );
    assert!(
        eventually(|| count(&server, "SELECT count(*) FROM blob_pending", []) == 0).await,
        "blobs still pending"
    );
    refused(
        &server,
        "delete",
        json!({ "table": "file_uploads", "key": { "id": upload } }),
        341,
        404,
    )
    .await;
    refused(
        &server,
        "create",
        json!({ "table": "file_uploads", "values": { "group_id": group } }),
        101,
        400,
    )
    .await;
}

#[tokio::test]
async fn chat_messages_and_temporary_chat_files_are_deleted() {
    let server = admin_server().await;
    let owner = user(&server, "cd-owner").await;
    let member = user(&server, "cd-member").await;
    let group = create_group(&server, &owner, "聊天组").await;
    admit(&server, &owner, &member, group).await;

    let mut s_owner = connect(&server, &owner, &group_path(group)).await;
    let first = say(&mut s_owner, "第一条").await;
    let second = say(&mut s_owner, "第二条（要删）").await;
    let third = say(&mut s_owner, "第三条").await;

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "chat_messages", "key": { "id": second } }),
    )
    .await;
    assert_eq!(target, format!("chat_messages:{second}"));
    let chat = group_view(&server, group).await["chat"].clone();
    let ids: Vec<i64> = chat
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first, third], "{chat}");
    // The history a member gets on connecting skips it.
    let mut s_member = connect(&server, &member, &group_path(group)).await;
    let history = [
        ws::next_json(&mut s_member, WAIT).await,
        ws::next_json(&mut s_member, WAIT).await,
    ];
    assert_eq!(ws::ids(&history), [first, third]);
    assert_eq!(ws::contents(&history), ["第一条", "第三条"]);
    ws::quiet(&mut s_member, QUIET, "history after the deletion").await;
    for (action, body) in [
        (
            "delete",
            json!({ "table": "chat_messages", "key": { "id": second } }),
        ),
        (
            "delete",
            json!({ "table": "chat_messages", "key": { "id": 999 } }),
        ),
        (
            "create",
            json!({ "table": "chat_messages", "values": { "room_id": group, "content": "x" } }),
        ),
        (
            "update",
            json!({
                "table": "chat_messages", "key": { "id": first }, "values": { "content": "改" }
            }),
        ),
    ] {
        refused(&server, action, body, 101, 400).await;
    }
    // Messages go on after the gap.
    // Live delivery goes on after the gap, also when the room's newest message goes.
    let fourth = say(&mut s_member, "第四条").await;
    assert!(fourth > third);
    assert_eq!(ws::id(&ws::next_live(&mut s_owner, WAIT).await), fourth);
    write_ok(
        &server,
        "delete",
        json!({ "table": "chat_messages", "key": { "id": fourth } }),
    )
    .await;
    let fifth = say(&mut s_member, "第五条").await;
    let heard = ws::next_live(&mut s_owner, WAIT).await;
    assert_eq!((ws::id(&heard), ws::content(&heard)), (fifth, "第五条"));

    // A temporary chat file, before it expires.
    let before = stored_keys(&server);
    let bytes = vec![5; 3000];
    let file = upload_chat_file(&server, &member, "group", group, "录音.bin", bytes).await;
    let file_keys: BTreeSet<String> = stored_keys(&server).difference(&before).cloned().collect();
    assert!(!file_keys.is_empty());
    assert_eq!(
        download_chat_file(&server, &owner, "group", group, file).await,
        (200, vec![5; 3000])
    );
    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "chat_files", "key": { "id": file } }),
    )
    .await;
    assert_eq!(target, format!("chat_files:{file}"));
    let (status, body) = download_chat_file(&server, &owner, "group", group, file).await;
    assert_eq!(error_of(status, &body), (404, Some(406)));
    assert!(rows_where(&server, "chat_files", "id", &file.to_string())
        .await
        .is_empty());
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&file_keys)).await,
        "the file's blob stays"
    );
    refused(
        &server,
        "delete",
        json!({ "table": "chat_files", "key": { "id": file } }),
        406,
        404,
    )
    .await;
    refused(
        &server,
        "create",
        json!({ "table": "chat_files", "values": { "room_id": group } }),
        101,
        400,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_group_view_gathers_a_group() {
    let server = admin_server().await;
    let owner = user(&server, "gv-owner").await;
    let admin = user(&server, "gv-admin").await;
    let member = user(&server, "gv-member").await;
    let asker = user(&server, "gv-asker").await;
    let group = create(&server, &owner, "学习", "考研互助", 30).await;
    admit(&server, &owner, &admin, group).await;
    admit(&server, &owner, &member, group).await;
    server
        .ok(
            group::SWITCH_ADMIN,
            &owner.token,
            json!({ "group_id": group, "user_id": admin.id }),
        )
        .await;
    server
        .ok(
            "/group/internal/member/setNickname",
            &member.token,
            json!({ "group_id": group, "nickname": "小明" }),
        )
        .await;
    server
        .ok(
            "/group/internal/info/text/edit",
            &owner.token,
            json!({ "group_id": group, "text": "每天打卡" }),
        )
        .await;
    let request = join(&server, &asker, group).await;
    add_tag(&server, &owner, group, "考研").await;
    add_tag(&server, &owner, group, "数学").await;
    let picture = add_intro_picture(&server, &owner, group, png(60, 40, 255)).await;
    let notice = announce(&server, &admin, group, "打卡规则", "每晚十点前").await;
    let folder = mkdir(&server, &member, group, None, "真题").await;
    let file = upload_group_file_in(
        &server,
        &member,
        group,
        Some(folder),
        "2024.pdf",
        vec![9; 1234],
    )
    .await;
    let mut s = connect(&server, &member, &group_path(group)).await;
    let message = say(&mut s, "大家好").await;

    let view = group_view(&server, group).await;
    let g = &view["group"];
    assert_eq!(
        (
            &g["id"],
            &g["type"],
            &g["name"],
            &g["info"],
            &g["user_limit"],
            &g["user_cnt"],
            &g["creator_id"],
            &g["dismissed"]
        ),
        (
            &json!(group),
            &json!("学习"),
            &json!("考研互助"),
            &json!("每天打卡"),
            &json!(30),
            &json!(3),
            &json!(owner.id),
            &Value::Null
        ),
        "{view}"
    );
    assert!(is_time(&g["created"]), "{view}");

    let members = view["members"].as_array().unwrap();
    assert_eq!(
        members[0]["user_id"],
        owner.id.as_str(),
        "the creator first: {view}"
    );
    let role_of = |who: &User| {
        let m = members
            .iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap_or_else(|| panic!("{} not listed: {view}", who.id));
        assert!(is_time(&m["joined"]), "{m}");
        (
            m["role"].as_str().unwrap().to_owned(),
            m["nickname"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(role_of(&owner).0, "creator");
    assert_eq!(role_of(&admin).0, "admin");
    assert_eq!(role_of(&member), ("member".to_owned(), "小明".to_owned()));
    assert_eq!(members.len(), 3);

    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (&view["requests"][0]["id"], &view["requests"][0]["user_id"]),
        (&json!(request), &json!(asker.id))
    );
    assert!(is_time(&view["requests"][0]["time"]));
    let tags: Vec<&str> = view["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_text"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["考研", "数学"]);
    assert_eq!(view["pictures"], json!([picture]));
    let a = &view["announcements"][0];
    assert_eq!(
        (
            &a["id"],
            &a["title"],
            &a["text"],
            &a["author_id"],
            &a["has_pic"]
        ),
        (
            &json!(notice),
            &json!("打卡规则"),
            &json!("每晚十点前"),
            &json!(admin.id),
            &json!(true)
        ),
        "{view}"
    );
    assert_eq!(view["files"]["used_bytes"], 1234, "{view}");
    let entries = view["files"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{view}");
    assert_eq!(
        (
            &entries[0]["id"],
            &entries[0]["parent_id"],
            &entries[0]["name"],
            &entries[0]["is_dir"]
        ),
        (&json!(folder), &Value::Null, &json!("真题"), &json!(true))
    );
    assert_eq!(
        (
            &entries[1]["id"],
            &entries[1]["parent_id"],
            &entries[1]["name"],
            &entries[1]["is_dir"],
            &entries[1]["size"],
            &entries[1]["uploader_id"]
        ),
        (
            &json!(file),
            &json!(folder),
            &json!("2024.pdf"),
            &json!(false),
            &json!(1234),
            &json!(member.id)
        )
    );
    let chat = view["chat"].as_array().unwrap();
    assert_eq!(chat.len(), 1, "{view}");
    assert_eq!(
        (
            &chat[0]["id"],
            &chat[0]["user_id"],
            &chat[0]["nickname"],
            &chat[0]["msg_type"],
            &chat[0]["content"]
        ),
        (
            &json!(message),
            &json!(member.id),
            &json!("小明"),
            &json!("text"),
            &json!("大家好")
        )
    );

    // The last 30 messages, oldest first.
    let mut ids = vec![message];
    for i in 0..31 {
        ids.push(say(&mut s, &format!("消息{i}")).await);
    }
    let chat = group_view(&server, group).await["chat"].clone();
    let shown: Vec<i64> = chat
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, ids[ids.len() - 30..]);

    read_fails(
        &server,
        "/debug/api/group",
        &[("group_id", "999")],
        301,
        404,
    )
    .await;
    read_fails(&server, "/debug/api/group", &[], 101, 400).await;
    read_fails(
        &server,
        "/debug/api/group",
        &[("group_id", "abc")],
        101,
        400,
    )
    .await;
}

#[tokio::test]
async fn the_user_view_gathers_a_user() {
    let server = admin_server().await;
    let alice = user(&server, "uv-alice").await;
    let bob = user(&server, "uv-bob").await;
    server
        .ok(
            "/user/info/text/setNickname",
            &alice.token,
            json!({ "nickname": "爱丽丝" }),
        )
        .await;
    server
        .ok(
            "/user/info/text/editInfo",
            &alice.token,
            json!({ "text": "喜欢爬山" }),
        )
        .await;
    server
        .ok(
            "/user/info/tag/add",
            &alice.token,
            json!({ "tag_text": "爬山" }),
        )
        .await;
    let own = create(&server, &alice, "出行", "爬山队", 10).await;
    let theirs = create(&server, &bob, "运动", "羽毛球", 10).await;
    admit(&server, &bob, &alice, theirs).await;
    server
        .ok(
            group::SWITCH_ADMIN,
            &bob.token,
            json!({ "group_id": theirs, "user_id": alice.id }),
        )
        .await;
    let rated = create(&server, &bob, "竞赛", "比赛队", 10).await;
    admit(&server, &bob, &alice, rated).await;
    dismiss(&server, &bob, rated).await;
    rate(&server, &bob, rated, &[(&alice, 7.0)]).await;
    rate(&server, &alice, rated, &[(&bob, 9.0)]).await;

    let view = user_view(&server, &alice).await;
    let u = &view["user"];
    assert_eq!(
        (&u["id"], &u["nickname"], &u["info"], &u["rating_count"]),
        (
            &json!(alice.id),
            &json!("爱丽丝"),
            &json!("喜欢爬山"),
            &json!(1)
        ),
        "{view}"
    );
    assert_eq!(u["star_rating"].as_f64(), Some(7.0));
    assert!(is_time(&u["created"]), "{view}");
    assert_eq!(view["tags"].as_array().unwrap().len(), 1);
    assert_eq!(view["tags"][0]["tag_text"], "爬山");
    assert!(view["tags"][0]["id"].as_i64().is_some());

    let mut groups: Vec<(i64, String, bool)> = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                g["role"].as_str().unwrap().to_owned(),
                g["dismissed"].is_string(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            (own, "creator".to_owned(), false),
            (theirs, "admin".to_owned(), false),
            (rated, "member".to_owned(), true),
        ],
        "{view}"
    );
    let theirs_entry = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == theirs)
        .unwrap();
    assert_eq!(
        (
            &theirs_entry["name"],
            &theirs_entry["type"],
            &theirs_entry["user_cnt"],
            &theirs_entry["creator_id"]
        ),
        (&json!("羽毛球"), &json!("运动"), &json!(2), &json!(bob.id))
    );

    let received = &view["ratings"]["received"];
    assert_eq!(received.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (
            &received[0]["group_id"],
            &received[0]["rater_id"],
            &received[0]["target_id"],
            received[0]["stars"].as_f64()
        ),
        (&json!(rated), &json!(bob.id), &json!(alice.id), Some(7.0))
    );
    assert!(is_time(&received[0]["time"]));
    let given = &view["ratings"]["given"];
    assert_eq!(given.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (
            &given[0]["group_id"],
            &given[0]["rater_id"],
            &given[0]["target_id"],
            given[0]["stars"].as_f64()
        ),
        (&json!(rated), &json!(alice.id), &json!(bob.id), Some(9.0))
    );

    read_fails(
        &server,
        "/debug/api/user",
        &[("user_id", "nobody")],
        202,
        404,
    )
    .await;
    read_fails(&server, "/debug/api/user", &[], 101, 400).await;
}

/// `GET /debug/api/picture`: `(status, content type, etag, body)`.
async fn console_picture(
    server: &Server,
    kind: &str,
    id: &str,
    if_none_match: Option<&str>,
) -> (u16, String, Option<String>, Vec<u8>) {
    let mut req = server
        .client
        .get(server.url("/debug/api/picture"))
        .query(&[("kind", kind), ("id", id)])
        .header("authorization", format!("Bearer {ADMIN}"));
    if let Some(etag) = if_none_match {
        req = req.header("if-none-match", etag);
    }
    let res = req.send().await.expect("picture");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (kind, etag) = (header("content-type").unwrap_or_default(), header("etag"));
    (
        res.status().as_u16(),
        kind,
        etag,
        res.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn pictures_are_served_by_kind_with_validators() {
    let server = admin_server().await;
    let owner = user(&server, "pic-owner").await;
    let plain = user(&server, "pic-plain").await;
    let group = create(&server, &owner, "兴趣", "画画", 10).await;
    let bare = create(&server, &plain, "兴趣", "没有头像", 10).await;
    upload_picture(
        &server,
        &owner,
        "/user/info/avatar/add",
        "avatar",
        png(90, 90, 255),
        &[],
    )
    .await;
    let g = group.to_string();
    upload_picture(
        &server,
        &owner,
        "/group/internal/info/avatar/add",
        "avatar",
        png(70, 70, 255),
        &[("group_id", &g)],
    )
    .await;
    let picture = add_intro_picture(&server, &owner, group, png(64, 32, 255)).await;
    let notice = announce(&server, &owner, group, "展览", "周末").await;
    let no_pic = server
        .ok(
            "/group/internal/announcement/add",
            &owner.token,
            json!({ "group_id": group, "title": "无图", "text": "文字" }),
        )
        .await["announcement_id"]
        .as_i64()
        .unwrap();

    for (kind, id) in [
        ("user", owner.id.clone()),
        ("user", plain.id.clone()),
        ("group", g.clone()),
        ("group", bare.to_string()),
        ("group_picture", picture.to_string()),
        ("announcement", notice.to_string()),
    ] {
        let (status, content_type, etag, body) = console_picture(&server, kind, &id, None).await;
        assert_eq!(
            status,
            200,
            "{kind} {id}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            content_type.starts_with("image/"),
            "{kind} {id}: {content_type}"
        );
        assert!(
            image::load_from_memory(&body).is_ok(),
            "{kind} {id}: not an image"
        );
        let etag = etag.unwrap_or_else(|| panic!("{kind} {id}: no etag"));
        let (status, _, again, body) = console_picture(&server, kind, &id, Some(&etag)).await;
        assert_eq!(status, 304, "{kind} {id}");
        assert!(body.is_empty());
        assert_eq!(again.as_deref(), Some(etag.as_str()));
    }
    // The uploaded pictures are the ones served.
    let (_, _, etag, _) =
        console_picture(&server, "group_picture", &picture.to_string(), None).await;
    let res = public_picture(&server, &owner, group, picture).await;
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag.unwrap());

    for (kind, id, code, status) in [
        ("group_picture", "999".to_owned(), 332, 404),
        ("announcement", no_pic.to_string(), 332, 404),
        ("announcement", "999".to_owned(), 332, 404),
        ("group", "999".to_owned(), 301, 404),
        ("user", "nobody".to_owned(), 202, 404),
        ("sticker", picture.to_string(), 101, 400),
        ("group_picture", "abc".to_owned(), 101, 400),
    ] {
        let query = [("kind", kind), ("id", id.as_str())];
        read_fails(&server, "/debug/api/picture", &query, code, status).await;
    }
}

#[tokio::test]
async fn views_and_writes_need_the_admin_credential() {
    let server = admin_server().await;
    let owner = user(&server, "cred-owner").await;
    let group = create(&server, &owner, "其他", "谁能看", 10).await;
    let picture = add_intro_picture(&server, &owner, group, png(20, 20, 255)).await;
    let (g, p) = (group.to_string(), picture.to_string());
    let gets: [(&str, Vec<(&str, &str)>); 3] = [
        ("/debug/api/group", vec![("group_id", &g)]),
        ("/debug/api/user", vec![("user_id", &owner.id)]),
        (
            "/debug/api/picture",
            vec![("kind", "group_picture"), ("id", &p)],
        ),
    ];
    let delete = json!({ "table": "groups", "key": { "id": group } });
    for (bearer, code) in [
        (None, 113),
        (Some("wrong"), 112),
        (Some(owner.token.as_str()), 112),
    ] {
        for (path, query) in &gets {
            let res = call(&server, Method::GET, path, query, bearer, None).await;
            let (status, value) = json_of(res).await;
            assert_eq!(
                (status, value["code"].as_u64()),
                (401, Some(code)),
                "{path} {bearer:?}: {value}"
            );
        }
        for action in ["create", "update", "delete"] {
            let path = format!("/debug/api/{action}");
            let res = call(
                &server,
                Method::POST,
                &path,
                &[],
                bearer,
                Some(delete.clone()),
            )
            .await;
            let (status, value) = json_of(res).await;
            assert_eq!(
                (status, value["code"].as_u64()),
                (401, Some(code)),
                "{path} {bearer:?}: {value}"
            );
        }
    }
    // Nothing was written or logged.
    assert!(audit(&server).await.is_empty());
    assert_eq!(group_view(&server, group).await["group"]["id"], group);
}

/// A dismissed group is read-only for the console as for its managers (304), but the console
/// still removes its content: moderation does not end with the group.
#[tokio::test]
async fn a_dismissed_group_is_read_only_but_its_content_can_still_be_removed() {
    let server = admin_server().await;
    let alice = user(&server, "ro-alice").await;
    let bob = user(&server, "ro-bob").await;
    let carol = user(&server, "ro-carol").await;
    let group = create(&server, &alice, "学习", "只读的群", 10).await;
    admit(&server, &alice, &bob, group).await;
    add_tag(&server, &alice, group, "读书").await;
    let notice = announce(&server, &alice, group, "公告", "内容").await;
    let picture = add_intro_picture(&server, &alice, group, png(30, 30, 255)).await;
    let tag = group_view(&server, group).await["tags"][0]["id"]
        .as_i64()
        .expect("tag id");
    dismiss(&server, &alice, group).await;

    for (action, body) in [
        (
            "update",
            json!({ "table": "groups", "key": { "id": group }, "values": { "name": "改名" } }),
        ),
        (
            "update",
            json!({ "table": "groups", "key": { "id": group }, "values": { "info": "新简介" } }),
        ),
        (
            "create",
            json!({ "table": "group_members", "values": { "group_id": group, "user_id": carol.id } }),
        ),
        (
            "update",
            json!({ "table": "group_members", "key": { "group_id": group, "user_id": bob.id }, "values": { "is_admin": true } }),
        ),
        (
            "delete",
            json!({ "table": "group_members", "key": { "group_id": group, "user_id": bob.id } }),
        ),
        (
            "create",
            json!({ "table": "group_tags", "values": { "group_id": group, "tag_text": "新标签" } }),
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": { "id": tag }, "values": { "tag_text": "改过" } }),
        ),
        (
            "update",
            json!({ "table": "announcements", "key": { "id": notice }, "values": { "title": "改过" } }),
        ),
    ] {
        refused(&server, action, body, 304, 403).await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["group"]["name"], "只读的群", "{view}");
    assert_eq!(view["members"].as_array().map(Vec::len), Some(2), "{view}");

    for (table, id) in [
        ("group_tags", tag),
        ("announcements", notice),
        ("group_pictures", picture),
    ] {
        write_ok(
            &server,
            "delete",
            json!({ "table": table, "key": { "id": id } }),
        )
        .await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["tags"], json!([]), "{view}");
    assert_eq!(view["announcements"], json!([]), "{view}");
    assert_eq!(view["pictures"], json!([]), "{view}");
}
