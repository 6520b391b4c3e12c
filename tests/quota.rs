//! What a group's quota and the chat's file caps count, over real HTTP: resumable uploads reserve
//! their declared size (so stored + reserved bytes never pass the quota, concurrent `begin`s
//! included), completing turns the reservation into the file, abort and expiry release it, and
//! one-shot uploads see the reservations; temporary chat files have a total per room and per
//! user (412 when full), checked before the body is stored and again when it is.

mod common;

use common::{admit, create_group, user, Options, Server, User};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const UPLOAD: &str = "/group/internal/files/upload";
const BEGIN: &str = "/group/internal/files/upload/begin";
const PART: &str = "/group/internal/files/upload/part";
const COMPLETE: &str = "/group/internal/files/upload/complete";
const ABORT: &str = "/group/internal/files/upload/abort";

const QUOTA: u64 = 1_000_000;

async fn quota_server(quota: u64) -> Server {
    Server::with(Options::dev_login().env("ZUDUI_GROUP_QUOTA_BYTES", &quota.to_string())).await
}

fn db(server: &Server) -> rusqlite::Connection {
    rusqlite::Connection::open(server.data_dir().join("zudui.sqlite")).expect("open SQLite")
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
    server.post(BEGIN, who.t(), body).await
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
        .put(server.url(PART))
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
    let form = Form::new().text("group_id", group.to_string()).part(
        "file",
        Part::bytes(vec![1u8; len]).file_name(name.to_owned()),
    );
    let res = server
        .client
        .post(server.url(UPLOAD))
        .header("token", &who.token)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    (res.status().as_u16(), res.json().await.expect("json"))
}

fn is(answer: &(u16, Value), status: u16, code: u64) -> bool {
    answer.0 == status && answer.1["code"] == code
}

#[track_caller]
fn expect(answer: (u16, Value), status: u16, code: u64, what: &str) {
    assert!(is(&answer, status, code), "{what}: {answer:?}");
}

#[tokio::test]
async fn resumable_uploads_reserve_their_declared_size_until_completed_or_aborted() {
    let server = quota_server(QUOTA).await;
    let (g, _, member) = group_of_two(&server, "reserve").await;
    let m = &member;

    // The attack of the issue: 900 KB begins under a 1 MB quota. The first reserves 900 KB.
    let first = begun(&server, m, g, "a.bin", 900_000).await;
    expect(
        begin(&server, m, g, "b.bin", 900_000).await,
        413,
        344,
        "a second 900 KB",
    );
    expect(
        begin(&server, m, g, "b.bin", 100_001).await,
        413,
        344,
        "one byte over",
    );
    let rest = begun(&server, m, g, "rest.bin", 100_000).await;
    // Full: even an empty upload, resumable or one-shot, is refused, and nothing is stored.
    expect(
        begin(&server, m, g, "c.bin", 0).await,
        413,
        344,
        "begin when full",
    );
    expect(
        upload(&server, m, g, "d.bin", 1).await,
        413,
        344,
        "one-shot when full",
    );
    expect(
        upload(&server, m, g, "e.bin", 0).await,
        413,
        344,
        "empty one-shot",
    );
    assert_eq!(count(&server, "SELECT count(*) FROM group_files"), 0);

    // Parts beyond the declared size are refused: no part past the last, none longer.
    expect(
        put_part(&server, m, first, 1, 10).await,
        400,
        101,
        "part 1 of one",
    );
    expect(
        put_part(&server, m, first, 0, 900_001).await,
        400,
        101,
        "longer part",
    );
    expect(
        put_part(&server, m, first, 0, 900_000).await,
        200,
        0,
        "the part",
    );

    // Completing turns the reservation into the file: the group is exactly as full as before.
    let done = server
        .ok(COMPLETE, &m.token, json!({ "upload_id": first }))
        .await;
    assert!(done["file_id"].as_i64().is_some(), "{done}");
    assert_eq!(stored_and_reserved(&server, g), QUOTA);
    expect(
        begin(&server, m, g, "c.bin", 1).await,
        413,
        344,
        "still full",
    );

    // Aborting releases the reservation: its 100 KB go to a one-shot upload and a begin.
    server
        .ok(ABORT, &m.token, json!({ "upload_id": rest }))
        .await;
    expect(
        upload(&server, m, g, "f.bin", 60_000).await,
        200,
        0,
        "one-shot",
    );
    expect(
        upload(&server, m, g, "g.bin", 40_001).await,
        413,
        344,
        "over by one",
    );
    begun(&server, m, g, "h.bin", 40_000).await;
    assert_eq!(stored_and_reserved(&server, g), QUOTA);
}

#[tokio::test]
async fn a_reservation_keeps_its_place_for_the_completion() {
    let server = quota_server(QUOTA).await;
    let (g, owner, member) = group_of_two(&server, "place").await;
    let up = begun(&server, &member, g, "big.bin", 600_000).await;
    // The others fill what is left while the parts are on their way...
    expect(
        upload(&server, &owner, g, "a.bin", 400_000).await,
        200,
        0,
        "the rest",
    );
    expect(
        upload(&server, &owner, g, "b.bin", 1).await,
        413,
        344,
        "full",
    );
    // ...and the upload still completes into its reserved place.
    expect(
        put_part(&server, &member, up, 0, 600_000).await,
        200,
        0,
        "part",
    );
    server
        .ok(COMPLETE, &member.token, json!({ "upload_id": up }))
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
    let accepted = answers.iter().filter(|a| is(a, 200, 0)).count();
    let refused = answers.iter().filter(|a| is(a, 413, 344)).count();
    assert_eq!((accepted, refused), (3, 9), "{answers:?}");
    assert_eq!(stored_and_reserved(&server, g), 900_000);
}

#[tokio::test]
async fn expired_uploads_reserve_nothing() {
    let server = quota_server(QUOTA).await;
    let (g, _, member) = group_of_two(&server, "expiry").await;
    let old = begun(&server, &member, g, "old.bin", 900_000).await;
    expect(
        begin(&server, &member, g, "new.bin", 900_000).await,
        413,
        344,
        "reserved",
    );
    // A day later (the upload's lifetime): its reservation is gone with it.
    db(&server)
        .execute(
            "UPDATE file_uploads SET expires_at = expires_at - 86401 WHERE id = ?",
            [old],
        )
        .expect("age the upload");
    begun(&server, &member, g, "new.bin", 900_000).await;
    expect(
        put_part(&server, &member, old, 0, 900_000).await,
        404,
        341,
        "expired",
    );
}

#[tokio::test]
async fn the_default_quota_takes_one_whole_quota_of_begins() {
    // Three 5 GiB begins were all accepted: now the second is 344, in another group it is not.
    let server = Server::start().await;
    let (g, owner, member) = group_of_two(&server, "fivegib").await;
    let five_gib = 5u64 << 30;
    begun(&server, &member, g, "a.bin", five_gib).await;
    expect(
        begin(&server, &member, g, "b.bin", five_gib).await,
        413,
        344,
        "second",
    );
    expect(
        begin(&server, &owner, g, "c.bin", 1).await,
        413,
        344,
        "anyone's",
    );
    let other = create_group(&server, &member, "另一个组").await;
    begun(&server, &member, other, "b.bin", five_gib).await;
}
