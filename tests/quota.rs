//! What a group's quota and the chat's file caps count, over real HTTP: resumable uploads reserve
//! their declared size (so stored + reserved bytes never pass the quota, concurrent `begin`s
//! included), completing turns the reservation into the file, abort and expiry release it, and
//! one-shot uploads see the reservations; temporary chat files have a total per room and per
//! user (412 when full), checked before the body is stored and again when it is.

mod common;

use common::paths::{chat, files};
use common::ws;
use common::{admit, create_group, remove_member, user, Options, Server, User};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const QUOTA: u64 = 1_000_000;

async fn quota_server(quota: u64) -> Server {
    Server::with(Options::dev_login().env("ZUDUI_GROUP_QUOTA_BYTES", &quota.to_string())).await
}

fn db(server: &Server) -> rusqlite::Connection {
    server.sqlite()
}

fn count(server: &Server, sql: &str) -> i64 {
    db(server)
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Bytes stored in a group's files plus those reserved by its uploads in progress.
fn stored_and_reserved(server: &Server, group: i64) -> u64 {
    let sql = format!(
        "SELECT (SELECT ifnull(SUM(size), 0) FROM group_files WHERE group_id = {group})
              + (SELECT ifnull(SUM(size), 0) FROM file_uploads WHERE group_id = {group})"
    );
    count(server, &sql) as u64
}

/// A group of `owner` with `member` in it.
async fn group_of_two(server: &Server, prefix: &str) -> (i64, User, User) {
    let owner = user(server, &format!("{prefix}-owner")).await;
    let member = user(server, &format!("{prefix}-member")).await;
    let group = create_group(server, &owner, &format!("{prefix} 配额")).await;
    admit(server, &owner, &member, group).await;
    (group, owner, member)
}

/// `POST upload/begin`: the status and answer.
async fn begin(server: &Server, who: &User, group: i64, name: &str, size: u64) -> (u16, Value) {
    let body = json!({ "group_id": group, "name": name, "size": size });
    server.post(files::BEGIN, who.t(), body).await
}

/// A `begin` that must succeed; the upload id.
async fn begun(server: &Server, who: &User, group: i64, name: &str, size: u64) -> i64 {
    let (status, res) = begin(server, who, group, name, size).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{name}: {res}");
    res["upload_id"].as_i64().expect("upload_id")
}

async fn put_part(server: &Server, who: &User, upload: i64, part: i64, len: usize) -> (u16, Value) {
    let res = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", upload), ("part", part)])
        .header("token", &who.token)
        .body(vec![7u8; len])
        .send()
        .await
        .expect("part");
    (res.status().as_u16(), res.json().await.expect("json"))
}

/// A one-shot group upload of `len` bytes.
async fn upload(server: &Server, who: &User, group: i64, name: &str, len: usize) -> (u16, Value) {
    let fields = [
        ("group_id", group.to_string()),
        ("file_name", name.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    server
        .upload(files::UPLOAD, who.t(), "file", vec![1u8; len], &fields)
        .await
}

/// Whether an answer is `code` with its HTTP status (200 for 0).
fn is(answer: &(u16, Value), code: u16) -> bool {
    let status = match code {
        0 => 200,
        _ => zudui_shared::Code::from_number(code)
            .expect("a code")
            .status()
            .as_u16(),
    };
    answer.0 == status && answer.1["code"] == code
}

#[track_caller]
fn expect(answer: (u16, Value), code: u16, what: &str) {
    assert!(is(&answer, code), "{what}: expected {code}, got {answer:?}");
}

/// One request of a group's file space.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// `upload/begin` of a name and size.
    Begin(&'a str, u64),
    /// A one-shot upload of a name and length.
    OneShot(&'a str, usize),
    /// A part of an upload: upload id, part index, length.
    Part(i64, i64, usize),
}

/// Runs steps in order by `who` in `group`: each step, the code expected, and why.
async fn steps(server: &Server, who: &User, group: i64, steps: &[(Step<'_>, u16, &str)]) {
    for &(step, code, what) in steps {
        let answer = match step {
            Step::Begin(name, size) => begin(server, who, group, name, size).await,
            Step::OneShot(name, len) => upload(server, who, group, name, len).await,
            Step::Part(upload, part, len) => put_part(server, who, upload, part, len).await,
        };
        expect(answer, code, what);
    }
}

#[tokio::test]
async fn resumable_uploads_reserve_their_declared_size_until_completed_or_aborted() {
    use Step::*;
    let server = quota_server(QUOTA).await;
    let (g, _, member) = group_of_two(&server, "reserve").await;
    let m = &member;

    // The attack of the issue: 900 KB begins under a 1 MB quota. The first reserves 900 KB.
    let first = begun(&server, m, g, "a.bin", 900_000).await;
    steps(
        &server,
        m,
        g,
        &[
            (Begin("b.bin", 900_000), 344, "a second 900 KB"),
            (Begin("b.bin", 100_001), 344, "one byte over"),
        ],
    )
    .await;
    let rest = begun(&server, m, g, "rest.bin", 100_000).await;
    steps(
        &server,
        m,
        g,
        &[
            // Full: even an empty upload, resumable or one-shot, is refused.
            (Begin("c.bin", 0), 344, "begin when full"),
            (OneShot("d.bin", 1), 344, "one-shot when full"),
            (OneShot("e.bin", 0), 344, "empty one-shot"),
            // Parts beyond the declared size are refused: none past the last, none longer.
            (Part(first, 1, 10), 101, "part 1 of one"),
            (Part(first, 0, 900_001), 101, "longer part"),
            (Part(first, 0, 900_000), 0, "the part"),
        ],
    )
    .await;
    assert_eq!(count(&server, "SELECT count(*) FROM group_files"), 0);

    // Completing turns the reservation into the file: the group is exactly as full as before.
    let done = server
        .ok(files::COMPLETE, &m.token, json!({ "upload_id": first }))
        .await;
    assert!(done["file_id"].as_i64().is_some(), "{done}");
    assert_eq!(stored_and_reserved(&server, g), QUOTA);
    steps(&server, m, g, &[(Begin("c.bin", 1), 344, "still full")]).await;

    // Aborting releases the reservation: its 100 KB go to a one-shot upload and a begin.
    server
        .ok(files::ABORT, &m.token, json!({ "upload_id": rest }))
        .await;
    steps(
        &server,
        m,
        g,
        &[
            (OneShot("f.bin", 60_000), 0, "one-shot"),
            (OneShot("g.bin", 40_001), 344, "over by one"),
            (Begin("h.bin", 40_000), 0, "the rest"),
        ],
    )
    .await;
    assert_eq!(stored_and_reserved(&server, g), QUOTA);
}

#[tokio::test]
async fn a_reservation_keeps_its_place_for_the_completion() {
    use Step::*;
    let server = quota_server(QUOTA).await;
    let (g, owner, member) = group_of_two(&server, "place").await;
    let up = begun(&server, &member, g, "big.bin", 600_000).await;
    // The others fill what is left while the parts are on their way...
    let rest = [
        (OneShot("a.bin", 400_000), 0, "the rest"),
        (OneShot("b.bin", 1), 344, "full"),
    ];
    steps(&server, &owner, g, &rest).await;
    // ...and the upload still completes into its reserved place.
    steps(&server, &member, g, &[(Part(up, 0, 600_000), 0, "part")]).await;
    server
        .ok(files::COMPLETE, &member.token, json!({ "upload_id": up }))
        .await;
    let stored = count(&server, "SELECT ifnull(SUM(size), 0) FROM group_files");
    assert_eq!(stored as u64, QUOTA);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
}

#[tokio::test]
async fn concurrent_begins_never_reserve_more_than_the_quota() {
    let server = quota_server(QUOTA).await;
    let (g, _, member) = group_of_two(&server, "race").await;
    let names: Vec<String> = (0..12).map(|i| format!("r{i}.bin")).collect();
    let begins = names.iter().map(|n| begin(&server, &member, g, n, 300_000));
    let answers = futures_util::future::join_all(begins).await;
    let accepted = answers.iter().filter(|a| is(a, 0)).count();
    let refused = answers.iter().filter(|a| is(a, 344)).count();
    assert_eq!((accepted, refused), (3, 9), "{answers:?}");
    assert_eq!(stored_and_reserved(&server, g), 900_000);
}

#[tokio::test]
async fn expired_uploads_reserve_nothing() {
    let server = quota_server(QUOTA).await;
    let (g, _, member) = group_of_two(&server, "expiry").await;
    let old = begun(&server, &member, g, "old.bin", 900_000).await;
    let reserved = [(Step::Begin("new.bin", 900_000), 344, "reserved")];
    steps(&server, &member, g, &reserved).await;
    // A day later (the upload's lifetime): its reservation is gone with it.
    db(&server)
        .execute(
            "UPDATE file_uploads SET expires_at = expires_at - 86401 WHERE id = ?",
            [old],
        )
        .expect("age the upload");
    let later = [
        (Step::Begin("new.bin", 900_000), 0, "free again"),
        (Step::Part(old, 0, 900_000), 341, "the expired upload"),
    ];
    steps(&server, &member, g, &later).await;
}

/// A member who leaves, or is removed, takes their unfinished uploads along: what they reserved
/// is free for the group again, and their parts are gone.
#[tokio::test]
async fn a_member_leaving_releases_their_reservations() {
    let server = quota_server(QUOTA).await;
    for leaves_by in ["exit", "removal"] {
        let (g, owner, member) = group_of_two(&server, leaves_by).await;
        let upload = begun(&server, &member, g, "held.bin", 900_000).await;
        expect(
            put_part(&server, &member, upload, 0, 900_000).await,
            0,
            "a part",
        );
        steps(
            &server,
            &owner,
            g,
            &[(Step::Begin("mine.bin", 200_000), 344, "held")],
        )
        .await;
        match leaves_by {
            "exit" => {
                let body = json!({ "group_id": g });
                server
                    .ok("/group/internal/setting/exit", &member.token, body)
                    .await;
            }
            _ => remove_member(&server, &owner, g, &member).await,
        }
        assert_eq!(stored_and_reserved(&server, g), 0, "{leaves_by}");
        let sql = format!("SELECT COUNT(*) FROM file_upload_parts WHERE upload_id = {upload}");
        assert_eq!(count(&server, &sql), 0, "{leaves_by}");
        steps(
            &server,
            &owner,
            g,
            &[(Step::Begin("mine.bin", 200_000), 0, "free")],
        )
        .await;
    }
}

#[tokio::test]
async fn the_default_quota_takes_one_whole_quota_of_begins() {
    // Three 5 GiB begins were all accepted: now the second is 344, in another group it is not.
    let server = Server::start().await;
    let (g, owner, member) = group_of_two(&server, "fivegib").await;
    let five_gib = 5u64 << 30;
    let begins = [
        (Step::Begin("a.bin", five_gib), 0, "first"),
        (Step::Begin("b.bin", five_gib), 344, "second"),
    ];
    steps(&server, &member, g, &begins).await;
    steps(
        &server,
        &owner,
        g,
        &[(Step::Begin("c.bin", 1), 344, "anyone's")],
    )
    .await;
    let other = create_group(&server, &member, "另一个组").await;
    begun(&server, &member, other, "b.bin", five_gib).await;
}

// ---------------------------------------------------------------------------------------------
// Temporary chat files
// ---------------------------------------------------------------------------------------------

const ROOM_CAP: u64 = 1_000_000;
const USER_CAP: u64 = 600_000;

async fn chat_capped_server() -> Server {
    Server::with(
        Options::dev_login()
            .env("ZUDUI_CHAT_ROOM_QUOTA_BYTES", &ROOM_CAP.to_string())
            .env("ZUDUI_CHAT_USER_QUOTA_BYTES", &USER_CAP.to_string()),
    )
    .await
}

fn chat_form(kind: &str, room: i64, file: Part) -> Form {
    Form::new()
        .text("type", kind.to_owned())
        .text("room_id", room.to_string())
        .part("file", file.file_name("f.bin"))
}

/// A temporary file of `len` bytes into the room `kind` `room`.
async fn chat_upload(
    server: &Server,
    who: &User,
    kind: &str,
    room: i64,
    len: usize,
) -> (u16, Value) {
    let room = room.to_string();
    let fields = [("type", kind), ("room_id", room.as_str())];
    server
        .upload(chat::UPLOAD, who.t(), "file", vec![3u8; len], &fields)
        .await
}

/// Uploads in order: who, room kind, room, bytes, the code expected, and why.
async fn chat_steps(server: &Server, steps: &[(&User, &str, i64, usize, u16, &str)]) {
    for &(who, kind, room, len, code, what) in steps {
        expect(chat_upload(server, who, kind, room, len).await, code, what);
    }
}

fn chat_rows(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM chat_files")
}

#[tokio::test]
async fn chat_files_are_capped_per_room_over_the_files_not_expired() {
    let server = chat_capped_server().await;
    let (g, owner, member) = group_of_two(&server, "chatroom").await;
    let third = user(&server, "chatroom-third").await;
    admit(&server, &owner, &third, g).await;
    let other = create_group(&server, &third, "另一个聊天").await;
    chat_steps(
        &server,
        &[
            (&owner, "group", g, 500_000, 0, "owner's half"),
            (&member, "group", g, 500_000, 0, "member's half"),
            // The room holds its 1 MB: anyone's next file, however small, is 412.
            (&third, "group", g, 1, 412, "room full"),
            (&third, "group", g, 0, 412, "even empty"),
            // Another room has its own total.
            (&third, "group", other, 500_000, 0, "another room"),
        ],
    )
    .await;
    assert_eq!(chat_rows(&server), 3, "the refused stored nothing");
    // A file that expired counts no more.
    db(&server)
        .execute(
            "UPDATE chat_files SET expires_at = 0 WHERE id = (SELECT min(id) FROM chat_files WHERE room_id = ?)",
            [g],
        )
        .expect("expire");
    chat_steps(&server, &[(&third, "group", g, 100_000, 0, "after expiry")]).await;
}

#[tokio::test]
async fn chat_files_are_capped_per_user_over_every_room() {
    let server = chat_capped_server().await;
    let (a, owner, member) = group_of_two(&server, "chatuser").await;
    let b = create_group(&server, &member, "第二个聊天").await;
    // A private room is made by the first connection to it.
    let private_path = format!("/chat/private?user_id={}", owner.id);
    let wait = std::time::Duration::from_secs(5);
    drop(ws::connect(&server.ws_base(), &member, &private_path, wait).await);
    let private = count(&server, "SELECT id FROM private_rooms");
    chat_steps(
        &server,
        &[
            (&member, "group", a, 400_000, 0, "in a"),
            // 200 KB of the member's 600 KB are left, whichever room.
            (&member, "group", b, 200_001, 412, "one byte too many in b"),
            (&member, "group", b, 200_000, 0, "the rest in b"),
            (
                &member,
                "private",
                private,
                1,
                412,
                "a private room counts too",
            ),
            // The other user has their own allowance in the same rooms.
            (&owner, "private", private, 300_000, 0, "the owner, private"),
            (&owner, "group", a, 300_000, 0, "the owner in a"),
        ],
    )
    .await;
}

#[tokio::test]
async fn a_declared_length_over_what_is_left_is_refused_before_the_body() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = chat_capped_server().await;
    let (g, _, member) = group_of_two(&server, "chatdeclared").await;
    let boundary = "quota-boundary-5d1e";
    let fields = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ngroup\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"room_id\"\r\n\r\n{g}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\r\n"
    );
    // Only the head and the fields are sent; the file (2 MB, over the 600 KB left even with the
    // 1 MiB allowed for the form around it) never is.
    let length = fields.len() + 2_000_000 + boundary.len() + 8;
    let head = format!(
        "POST {upload} HTTP/1.1\r\nHost: x\r\ntoken: {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {length}\r\n\r\n",
        member.token,
        upload = chat::UPLOAD,
    );
    let addr = server.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(fields.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        while !answer.ends_with(b"}") {
            match socket.read(&mut buf).await {
                Ok(n) if n > 0 => answer.extend_from_slice(&buf[..n]),
                _ => break,
            }
        }
    })
    .await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(read.is_ok(), "no answer: {answer}");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":412"), "{answer}");
    assert_eq!(chat_rows(&server), 0);
}

#[tokio::test]
async fn uploads_that_fit_alone_but_not_together_are_checked_again_when_stored() {
    let server = chat_capped_server().await;
    let (g, _, member) = group_of_two(&server, "chatrace").await;
    let before = server.file_keys();
    // Two 400 KB files under the member's 600 KB, without a Content-Length: both start while
    // 600 KB are left, and their last bytes wait until both have started.
    let mut gates = Vec::new();
    let mut uploads = Vec::new();
    for _ in 0..2 {
        let (open, gate) = tokio::sync::oneshot::channel::<()>();
        gates.push(open);
        let head = futures_util::stream::once(async { Ok::<_, std::io::Error>(vec![5u8; 1000]) });
        let rest = futures_util::stream::once(async move {
            let _ = gate.await;
            Ok(vec![5u8; 399_000])
        });
        let body = reqwest::Body::wrap_stream(futures_util::StreamExt::chain(head, rest));
        let form = chat_form("group", g, Part::stream(body));
        let client = server.client.clone();
        let (url, token) = (server.url(chat::UPLOAD), member.token.clone());
        uploads.push(tokio::spawn(async move {
            let res = client
                .post(url)
                .header("token", token)
                .multipart(form)
                .send()
                .await
                .expect("upload");
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for open in gates {
        let _ = open.send(());
    }
    let mut answers = Vec::new();
    for upload in uploads {
        answers.push(upload.await.unwrap());
    }
    let stored = answers.iter().filter(|a| is(a, 0)).count();
    let refused = answers.iter().filter(|a| is(a, 412)).count();
    assert_eq!((stored, refused), (1, 1), "{answers:?}");
    assert_eq!(chat_rows(&server), 1);
    // The refused one's chunks are gone: one file of 400 KB in 1 MiB chunks is one chunk.
    for _ in 0..50 {
        if server.file_keys() == before + 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(server.file_keys(), before + 1);
}
