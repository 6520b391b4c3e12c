//! Temporary chat files over HTTP: `/chat/files/upload` and `/chat/files/download`, their codes
//! (410 type, 408 room before 407 membership, 404 dismissed, 406 unknown or expired, 104 size),
//! group files shared into a room, and expiry with the blobs it frees.

mod common;

use common::paths::chat;
use common::{admit, chat_file_form as form, create_group, png, user, Options, Server, User};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// An upload that must be refused with `code` and `status`.
async fn refused(server: &Server, who: &User, form: Form, code: u16, status: u16) {
    let (got, res) = server.send_form(chat::UPLOAD, who.t(), form).await;
    assert_eq!(
        (got, res["code"].as_u64()),
        (status, Some(code.into())),
        "{res}"
    );
}

/// `path` (status, complete, abort) on a room's upload that is over or not `who`'s: 406.
async fn no_such_upload(server: &Server, who: &User, path: &str, upload: i64) {
    common::upload_call_fails(server, who, path, upload, 406, 404).await;
}

async fn download(
    server: &Server,
    who: &User,
    kind: &str,
    room: i64,
    file: i64,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let (room, file) = (room.to_string(), file.to_string());
    let mut query = vec![
        ("token", who.token.as_str()),
        ("type", kind),
        ("room_id", &room),
        ("file_id", &file),
    ];
    query.extend_from_slice(extra);
    server.get(chat::DOWNLOAD, &query).await
}

async fn download_fails(
    server: &Server,
    who: &User,
    kind: &str,
    room: i64,
    file: i64,
    code: u16,
    status: u16,
) {
    let res = download(server, who, kind, room, file, &[]).await;
    assert_eq!(res.status().as_u16(), status);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["code"], json!(code), "{body}");
}

/// A group with its creator and one member, and a user outside it.
async fn room(server: &Server, prefix: &str) -> (i64, User, User, User) {
    let owner = user(server, &format!("{prefix}-owner")).await;
    let member = user(server, &format!("{prefix}-member")).await;
    let outsider = user(server, &format!("{prefix}-outsider")).await;
    let group = create_group(server, &owner, &format!("{prefix} 聊天")).await;
    admit(server, &owner, &member, group).await;
    (group, owner, member, outsider)
}

#[tokio::test]
async fn members_upload_and_download_temporary_files_of_their_room() {
    let server = Server::start().await;
    let (group, owner, member, _) = room(&server, "tmp").await;
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let id = server
        .upload_chat_file(&member, "group", group, "录音 1.bin", bytes.clone())
        .await;
    let res = download(&server, &owner, "group", group, id, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-length"], "3000000");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("filename*=UTF-8''"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);

    // Images have thumbnails; other files do not (406, the chat's "no such file").
    let pic = server
        .upload_chat_file(&member, "group", group, "p.png", png(600, 300, 255))
        .await;
    let thumb = download(&server, &member, "group", group, pic, &[("thumbnail", "1")]).await;
    assert_eq!(thumb.status(), 200);
    let img = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 128));
    let res = download(&server, &member, "group", group, id, &[("thumbnail", "1")]).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn room_type_room_and_membership_are_checked_in_that_order() {
    let server = Server::start().await;
    let (group, _, member, outsider) = room(&server, "codes").await;
    // (who, room type, room, code, status)
    let refusals = [
        (&member, "channel", group, 410, 400),
        (&member, "group", group + 100, 408, 404),
        // An unknown room is 408 even for someone who is in no room at all.
        (&outsider, "private", 999, 408, 404),
        (&outsider, "group", group, 407, 403),
    ];
    for (who, kind, room, code, status) in refusals {
        refused(
            &server,
            who,
            form(kind, room, "a", b"x".to_vec()),
            code,
            status,
        )
        .await;
    }
    let missing_room = Form::new()
        .text("type", "group")
        .part("file", Part::bytes(b"x".to_vec()).file_name("a"));
    refused(&server, &member, missing_room, 101, 400).await;

    let id = server
        .upload_chat_file(&member, "group", group, "a.txt", b"hello".to_vec())
        .await;
    download_fails(&server, &outsider, "group", group, id, 407, 403).await;
    download_fails(&server, &member, "private", group, id, 408, 404).await;
    download_fails(&server, &member, "other", group, id, 410, 400).await;
    download_fails(&server, &member, "group", group, id + 100, 406, 404).await;
    // A file of one room is not a file of another.
    let (other, other_owner, _, _) = room(&server, "codes2").await;
    admit(&server, &other_owner, &member, other).await;
    download_fails(&server, &member, "group", other, id, 406, 404).await;
    let res = server
        .client
        .get(server.url(chat::DOWNLOAD))
        .query(&[
            ("type", "group"),
            ("room_id", &group.to_string()),
            ("file_id", &id.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn dismissed_rooms_take_no_new_files_but_keep_theirs() {
    let server = Server::start().await;
    let (group, owner, member, _) = room(&server, "dismissed").await;
    let id = server
        .upload_chat_file(&member, "group", group, "a.txt", b"kept".to_vec())
        .await;
    server
        .ok(
            "/group/internal/setting/dismiss",
            &owner.token,
            json!({ "group_id": group }),
        )
        .await;
    refused(
        &server,
        &member,
        form("group", group, "b.txt", b"new".to_vec()),
        404,
        403,
    )
    .await;
    let res = download(&server, &member, "group", group, id, &[]).await;
    assert_eq!(res.bytes().await.unwrap().to_vec(), b"kept");
}

#[tokio::test]
async fn group_files_shared_into_the_room_download_through_the_chat() {
    let server = Server::start().await;
    let (group, owner, member, _) = room(&server, "shared").await;
    let room = group.to_string();
    let fields = [("group_id", room.as_str()), ("file_name", "g.txt")];
    let (_, res) = server
        .upload(
            "/group/internal/files/upload",
            Some(&owner.token),
            "file",
            b"group file".to_vec(),
            &fields,
        )
        .await;
    let file = res["file_id"].as_i64().unwrap();
    server.share_file_in_chat(&owner, group, file).await;
    let res = download(&server, &member, "group", group, file, &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().to_vec(), b"group file");
    // File ids are unique across both spaces: a chat file never takes a group file's id.
    let temp = server
        .upload_chat_file(&member, "group", group, "t.txt", b"temp".to_vec())
        .await;
    assert_ne!(temp, file);
}

#[tokio::test]
async fn files_over_100_mib_are_refused_and_leave_nothing() {
    let server = Server::start().await;
    let (group, _, member, _) = room(&server, "big").await;
    let before = server.file_keys();
    let big = vec![7u8; (100 << 20) + 1];
    refused(
        &server,
        &member,
        form("group", group, "big.bin", big),
        104,
        413,
    )
    .await;
    for _ in 0..50 {
        if server.file_keys() == before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(server.file_keys(), before);
}

#[tokio::test]
async fn expired_files_are_gone_and_their_chunks_freed() {
    let server = Server::with(Options::dev_login().env("ZUDUI_CHAT_FILE_DAYS", "0")).await;
    let (group, _, member, _) = room(&server, "expiry").await;
    let id = server
        .upload_chat_file(&member, "group", group, "old.bin", vec![1u8; 2_500_000])
        .await;
    // Kept zero days: expired at once, and swept by the next upload.
    download_fails(&server, &member, "group", group, id, 406, 404).await;
    assert_eq!(
        server.file_keys(),
        2_500_000usize.div_ceil(server.chunk_size())
    );
    server
        .upload_chat_file(&member, "group", group, "new.bin", vec![2u8; 10])
        .await;
    assert_eq!(server.file_keys(), 1);
}

/// Files over a platform's body limit (Fermyon Cloud: 10 MB) are sent in parts, with the rules of
/// one-shot uploads.
#[tokio::test]
async fn temporary_files_can_be_sent_in_parts() {
    let server =
        Server::with(Options::dev_login().env("ZUDUI_CHAT_ROOM_QUOTA_BYTES", "150000000")).await;
    let (group, owner, member, outsider) = room(&server, "parts").await;
    let begin = |kind: &str, room: i64, size: u64| json!({ "type": kind, "room_id": room, "name": "录音.bin", "size": size });
    // (who, path, body, code, status)
    let refused = [
        (&outsider, chat::BEGIN, begin("group", group, 10), 407, 403),
        (&member, chat::BEGIN, begin("channel", group, 10), 410, 400),
        (
            &member,
            chat::BEGIN,
            begin("group", group + 1000, 10),
            408,
            404,
        ),
        (
            &member,
            chat::BEGIN,
            begin("group", group, (100 << 20) + 1),
            104,
            413,
        ),
        (
            &member,
            chat::BEGIN,
            json!({ "type": "group", "room_id": group, "name": "n", "size": -1 }),
            101,
            400,
        ),
        (
            &member,
            chat::STATUS,
            json!({ "upload_id": 999_999 }),
            406,
            404,
        ),
    ];
    for (who, path, body, code, status) in refused {
        server
            .fails(path, who.t(), body.clone(), code, status)
            .await;
    }

    let data: Vec<u8> = (0..9_000_000u32).map(|i| (i % 253) as u8).collect();
    let begun = server
        .begin_chat_upload(&member, begin("group", group, data.len() as u64))
        .await;
    let id = begun["upload_id"].as_i64().unwrap();
    assert_eq!(
        (begun["part_size"].as_u64(), begun["part_count"].as_u64()),
        (Some(8_000_000), Some(2))
    );
    let (first, last) = data.split_at(8_000_000);
    server
        .put_chat_upload_part(&member, id, 1, last.to_vec())
        .await;
    server
        .put_chat_upload_part(&member, id, 0, first.to_vec())
        .await;
    // Someone else's upload, or one of the group file space, is not there.
    let (status, res) = server
        .send_part(chat::PART, owner.t(), id, 0, vec![0u8; 10])
        .await;
    assert_eq!((status, &res["code"]), (404, &json!(406)), "{res}");
    no_such_upload(&server, &owner, chat::STATUS, id).await;
    server
        .fails(
            "/group/internal/files/upload/complete",
            member.t(),
            json!({ "upload_id": id }),
            341,
            404,
        )
        .await;
    let status = server.chat_upload_status(&member, id).await;
    assert_eq!(status["received"], json!([0, 1]));
    let file = server.complete_chat_upload(&member, id).await;
    let got = download(&server, &owner, "group", group, file, &[]).await;
    assert_eq!(got.status(), 200);
    assert!(got.bytes().await.unwrap() == data);

    // Uploads in progress hold their declared sizes: 9 MB stored and two of 70 MB begun leave
    // no room for a third in 150 MB.
    for _ in 0..2 {
        server
            .begin_chat_upload(&member, begin("group", group, 70_000_000))
            .await;
    }
    let third = server
        .fails(
            chat::BEGIN,
            member.t(),
            begin("group", group, 70_000_000),
            412,
            413,
        )
        .await;
    assert!(third["errorMsg"].is_string());
    // An abandoned upload gives its part back.
    let small = server
        .begin_chat_upload(&owner, begin("group", group, 100))
        .await["upload_id"]
        .as_i64()
        .unwrap();
    server
        .put_chat_upload_part(&owner, small, 0, vec![5u8; 100])
        .await;
    no_such_upload(&server, &member, chat::ABORT, small).await;
    let before = server.file_keys();
    server.abort_chat_upload(&owner, small).await;
    assert_eq!(server.file_keys(), before - 1);
    no_such_upload(&server, &owner, chat::STATUS, small).await;
}

/// Without object storage, files go through the API: there is no direct upload (102).
#[tokio::test]
async fn direct_uploads_need_object_storage() {
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let (group, owner, _, _) = room(&server, "no-s3").await;
    let chat = json!({ "type": "group", "room_id": group, "name": "a", "size": 10 });
    let files = json!({ "group_id": group, "name": "a", "size": 10 });
    for (path, body) in [
        ("/chat/files/upload/direct", chat),
        ("/group/internal/files/upload/direct", files),
    ] {
        server.fails(path, owner.t(), body, 102, 404).await;
    }
}

/// A member who leaves a group (or is removed) takes their uploads into its room with them: the
/// parts go, and the room's reservation is freed.
#[tokio::test]
async fn uploads_into_a_room_end_when_their_uploader_leaves() {
    let server = Server::start().await;
    let (group, owner, member, _) = room(&server, "leaving").await;
    let body = json!({ "type": "group", "room_id": group, "name": "a.bin", "size": 100 });
    let id = server.begin_chat_upload(&member, body).await["upload_id"]
        .as_i64()
        .unwrap();
    server
        .put_chat_upload_part(&member, id, 0, vec![1u8; 100])
        .await;
    let before = server.file_keys();
    common::remove_member(&server, &owner, group, &member).await;
    no_such_upload(&server, &member, chat::STATUS, id).await;
    let uploads: i64 = server
        .sqlite()
        .query_row("SELECT count(*) FROM file_uploads", [], |r| r.get(0))
        .unwrap();
    assert_eq!(uploads, 0);
    for _ in 0..50 {
        if server.file_keys() < before {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(server.file_keys(), before - 1);
}

/// What a user may hold in chat files counts their uploads in progress in every room: two
/// rooms' reservations together fill a user's quota.
#[tokio::test]
async fn a_users_uploads_in_progress_count_in_every_room() {
    let server =
        Server::with(Options::dev_login().env("ZUDUI_CHAT_USER_QUOTA_BYTES", "150000000")).await;
    let (first, _, member, _) = room(&server, "user-a").await;
    let (second, owner2, _, _) = room(&server, "user-b").await;
    admit(&server, &owner2, &member, second).await;
    let begin =
        |room: i64| json!({ "type": "group", "room_id": room, "name": "x", "size": 70_000_000 });
    server.begin_chat_upload(&member, begin(first)).await;
    server.begin_chat_upload(&member, begin(second)).await;
    server
        .fails(chat::BEGIN, member.t(), begin(first), 412, 413)
        .await;
    server
        .fails(chat::BEGIN, member.t(), begin(second), 412, 413)
        .await;
}
