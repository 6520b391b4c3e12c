//! Resumable uploads.

use crate::support::*;

#[tokio::test]
async fn resumable_uploads_take_parts_in_any_order_and_complete_into_a_file() {
    let server = Server::start().await;
    let t = team(&server, "resume").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "大文件").await;
    let size = PART_SIZE + 1000;
    let content = gen_bytes(42, size as usize);
    let up = server
        .begin_upload(
            &t.member,
            json!({ "group_id": g, "parent_id": dir, "name": "视频素材.bin", "size": size }),
        )
        .await;
    let id = up["upload_id"].as_i64().expect("upload_id");
    assert_eq!(up["size"].as_u64(), Some(size));
    assert_eq!(up["part_size"].as_u64(), Some(PART_SIZE));
    assert_eq!(up["part_count"], 2);
    assert_eq!(up["received"], json!([]));
    assert!(is_time(&up["expires"]), "{up}");
    // Nothing is listed yet.
    assert!(server.list_folder(&t.member, g, Some(dir)).await.is_empty());

    // The last part first, then the first one by POST, then the last one again.
    server
        .put_upload_part(&t.member, id, 1, content[PART_SIZE as usize..].to_vec())
        .await;
    let status = server.upload_status(&t.member, id).await;
    assert_eq!(status["received"], json!([1]));
    assert_eq!(status["upload_id"], id);
    assert_eq!(status["part_count"], 2);
    assert_eq!(status["size"].as_u64(), Some(size));
    assert_eq!(status["expires"], up["expires"]);
    let (code, res) = put_part(
        &server,
        &t.member,
        id,
        0,
        content[..PART_SIZE as usize].to_vec(),
        reqwest::Method::POST,
    )
    .await;
    assert_eq!((code, &res["code"]), (200, &json!(0)), "{res}");
    server
        .put_upload_part(&t.member, id, 1, content[PART_SIZE as usize..].to_vec())
        .await;
    let status = server.upload_status(&t.member, id).await;
    assert_eq!(status["received"], json!([0, 1]));

    let file = server.complete_upload(&t.member, id).await;
    let listed = server.list_folder(&t.member, g, Some(dir)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], file);
    assert_eq!(listed[0]["name"], "视频素材.bin");
    assert_eq!(listed[0]["size"].as_u64(), Some(size));
    assert_eq!(listed[0]["parent_id"], dir);
    let res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    assert!(
        res.bytes().await.unwrap()[..] == content[..],
        "content differs"
    );

    // The upload is over; only the file's chunks remain.
    no_such_upload(&server, &t.member, files::STATUS, id).await;
    no_such_upload(&server, &t.member, files::COMPLETE, id).await;
    assert_no_uploads(&server);
    let chunks = (size as usize).div_ceil(server.chunk_size());
    assert_eq!(file_keys(&server).len(), chunks);
}

#[tokio::test]
async fn resumable_parts_must_have_their_exact_size_and_index() {
    let server = Server::start().await;
    let t = team(&server, "parts").await;
    let g = t.group;
    let size = PART_SIZE + 10;
    let id = begin_at_root(&server, &t.member, g, "p.bin", size).await;
    let bad = [
        (0, 100),                    // a first part too short
        (0, PART_SIZE as usize + 1), // and too long
        (1, 9),                      // a last part too short
        (1, 11),                     // and too long
        (2, 10),                     // no such part
        (-1, 10),
    ];
    for (part, len) in bad {
        put_part_fails(&server, &t.member, id, part, vec![7u8; len], 101, 400).await;
    }
    let res = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", id.to_string())])
        .header("token", &t.member.token)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    get_fails(res, 101, 400).await;
    let status = server.upload_status(&t.member, id).await;
    assert_eq!(status["received"], json!([]));

    // Completing with a part missing is refused, and the upload stays.
    server
        .put_upload_part(&t.member, id, 1, gen_bytes(PART_SIZE, 10))
        .await;
    upload_call_fails(&server, &t.member, files::COMPLETE, id, 101, 400).await;
    let status = server.upload_status(&t.member, id).await;
    assert_eq!(status["received"], json!([1]));
    // A part that was refused may be put again correctly.
    server
        .put_upload_part(&t.member, id, 0, gen_bytes(0, PART_SIZE as usize))
        .await;
    let file = server.complete_upload(&t.member, id).await;
    let res = download(&server, &t.member.token, g, file, &[]).await;
    assert_eq!(
        sha256_hex(&res.bytes().await.unwrap()),
        sha256_hex(&gen_bytes(0, size as usize))
    );
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn resumable_uploads_belong_to_their_uploader() {
    let server = Server::start().await;
    let t = team(&server, "rowner").await;
    let g = t.group;
    let id = begin_at_root(&server, &t.member, g, "m.bin", 10).await;
    for (who, upload) in [(&t.member2, id), (&t.creator, id), (&t.member, 999_999)] {
        for path in [files::STATUS, files::COMPLETE, files::ABORT] {
            no_such_upload(&server, who, path, upload).await;
        }
        put_part_fails(&server, who, upload, 0, vec![1u8; 10], 341, 404).await;
    }
    // Still the member's, untouched.
    let status = server.upload_status(&t.member, id).await;
    assert_eq!(status["received"], json!([]));
}

/// A retried `complete` while the first still runs, or an `abort` racing it, never leaves a
/// file without its content: one call wins, the other is 341.
#[tokio::test]
async fn racing_completes_and_aborts_keep_the_file_whole() {
    let server = Server::start().await;
    let t = team(&server, "race").await;
    let g = t.group;
    for (round, second) in [
        (0, files::COMPLETE),
        (1, files::ABORT),
        (2, files::COMPLETE),
        (3, files::ABORT),
    ] {
        let content = gen_bytes(round, 1_500_000);
        let up = server
            .begin_upload(
                &t.member,
                json!({ "group_id": g, "name": format!("race{round}.bin"), "size": content.len() }),
            )
            .await;
        let id = up["upload_id"].as_i64().unwrap();
        server
            .put_upload_part(&t.member, id, 0, content.clone())
            .await;
        let body = json!({ "upload_id": id });
        let ((_, a), (_, b)) = tokio::join!(
            server.post(files::COMPLETE, t.member.t(), body.clone()),
            server.post(second, t.member.t(), body.clone())
        );
        let codes = (a["code"].as_i64(), b["code"].as_i64());
        match codes {
            (Some(0), Some(341)) | (Some(341), Some(0)) => {}
            other => panic!("round {round}: {other:?} {a} {b}"),
        }
        if let Some(file) = [&a, &b].iter().find_map(|x| x["file_id"].as_i64()) {
            assert!(download_bytes(&server, &t.member, g, file).await == content);
        }
    }
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
}

#[tokio::test]
async fn aborting_a_resumable_upload_frees_its_parts() {
    let server = Server::start().await;
    let t = team(&server, "abort").await;
    let g = t.group;
    let size = PART_SIZE + 5;
    let id = begin_at_root(&server, &t.member, g, "a.bin", size).await;
    server
        .put_upload_part(&t.member, id, 0, gen_bytes(0, PART_SIZE as usize))
        .await;
    server
        .put_upload_part(&t.member, id, 1, gen_bytes(PART_SIZE, 5))
        .await;
    let chunks = (size as usize).div_ceil(server.chunk_size());
    assert_eq!(file_keys(&server).len(), chunks);
    assert_eq!(pending_blobs(&server), 1);

    server.abort_upload(&t.member, id).await;
    assert!(file_keys(&server).is_empty(), "{:?}", file_keys(&server));
    assert_no_uploads(&server);
    no_such_upload(&server, &t.member, files::STATUS, id).await;
    put_part_fails(&server, &t.member, id, 1, gen_bytes(PART_SIZE, 5), 341, 404).await;
    assert!(server.list_folder(&t.member, g, None).await.is_empty());
    assert_eq!(file_rows(&server), 0);
}

#[tokio::test]
async fn resumable_begin_and_complete_check_the_target() {
    let server = Server::start().await;
    let t = team(&server, "rbegin").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "taken.txt", text_bytes(3))
        .await;
    // A name in use, more than the group's (default, 5 GiB) quota, an outsider.
    for (who, name, size, code, status) in [
        (&t.member, "taken.txt", 5, 343, 409),
        (&t.member, "huge.bin", 6u64 << 30, 344, 413),
        (&t.outsider, "x.bin", 5, 303, 403),
    ] {
        let body = json!({ "group_id": g, "name": name, "size": size });
        server
            .fails(files::BEGIN, who.t(), body, code, status)
            .await;
    }
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);

    // A name taken while the upload was under way is 343 at completion, and nothing remains.
    let id = begin_at_root(&server, &t.member, g, "race.txt", 5).await;
    server
        .put_upload_part(&t.member, id, 0, b"hello".to_vec())
        .await;
    server
        .upload_file_into(&t.member2, g, None, "race.txt", text_bytes(7))
        .await;
    upload_call_fails(&server, &t.member, files::COMPLETE, id, 343, 409).await;
    assert_eq!(file_keys(&server).len(), 2, "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
    let race = entry_named(&server, &t.member, g, None, "race.txt").await;
    assert_eq!(race["size"], 7);
}
