//! The quota.

use crate::support::*;

const QUOTA: u64 = 3_000_000;

async fn quota_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_GROUP_QUOTA_BYTES", &QUOTA.to_string())).await
}

/// A hosted platform's request limit (`upload_body_limit_bytes`; Fermyon Cloud: 10 MB): a
/// one-shot upload over it is 104 with the way out named, declared or not, and leaves nothing;
/// the same file goes in parts.
#[tokio::test]
async fn one_shot_uploads_over_the_platform_limit_are_104() {
    let server =
        Server::with(Options::dev_login().env("ZUDUI_UPLOAD_BODY_LIMIT_BYTES", "1000000")).await;
    let t = team(&server, "platform").await;
    let g = t.group;
    server
        .upload_file_into(&t.member, g, None, "small.bin", gen_bytes(0, 900_000))
        .await;
    let keys = file_keys(&server);
    let big = gen_bytes(1, 1_500_000);
    let res = upload_fails(
        &server,
        t.member.t(),
        file_form(g, None, "big.bin", big.clone()),
        104,
        413,
    )
    .await;
    assert!(
        res["errorMsg"].as_str().unwrap().contains("分片上传或直传"),
        "{res}"
    );
    // Without a length, it is cut off at the limit.
    let (status, res) = raw_chunked_upload(&server, &t.member.token, g, 1_500_000).await;
    assert_fails(status, &res, 104, 413);
    assert_nothing_left_but(&server, &keys).await;
    // Chat files too.
    let form = Form::new()
        .text("type", "group")
        .text("room_id", g.to_string())
        .part("file", Part::bytes(big.clone()).file_name("big.bin"));
    let (status, res) = server.send_form(chat::UPLOAD, t.member.t(), form).await;
    assert_fails(status, &res, 104, 413);
    // In parts, it goes.
    let id = begin_at_root(&server, &t.member, g, "big.bin", big.len() as u64).await;
    server.put_upload_part(&t.member, id, 0, big).await;
    server.complete_upload(&t.member, id).await;
}

#[tokio::test]
async fn uploads_over_the_quota_are_344_and_leave_nothing() {
    let server = quota_server().await;
    let t = team(&server, "quota").await;
    let g = t.group;
    let first = server
        .upload_file_into(&t.member, g, None, "first.bin", gen_bytes(0, 1_000_000))
        .await;
    let keys = file_keys(&server);
    assert_eq!(keys.len(), 1);

    // 2.5 MB when 2 MB are left: refused while it streams, after chunks were written.
    let form = file_form(g, None, "second.bin", gen_bytes(1, 2_500_000));
    upload_fails(&server, t.member.t(), form, 344, 413).await;
    assert_nothing_left_but(&server, &keys).await;
    assert_eq!(file_rows(&server), 1);
    assert_eq!(names(&server, &t.member, g, None).await, ["first.bin"]);

    // Another group has its own quota.
    let other = create_group(&server, &t.member, "另一个").await;
    server
        .upload_file_into(
            &t.member,
            other,
            None,
            "second.bin",
            gen_bytes(1, 2_500_000),
        )
        .await;

    // Deleting frees the space: the same upload now fits.
    server.delete_file(&t.member, g, first).await;
    server
        .upload_file_into(&t.member, g, None, "second.bin", gen_bytes(1, 2_500_000))
        .await;
    // Exactly what is left fits; then the group is full, even for an empty file.
    server
        .upload_file_into(&t.member, g, None, "rest.bin", gen_bytes(2, 500_000))
        .await;
    let form = file_form(g, None, "empty.bin", Vec::new());
    upload_fails(&server, t.member.t(), form, 344, 413).await;
    let used: i64 = server
        .list_folder(&t.member, g, None)
        .await
        .iter()
        .map(|e| e["size"].as_i64().unwrap())
        .sum();
    assert_eq!(used as u64, QUOTA);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn uploads_declared_over_the_quota_are_refused_before_their_body() {
    let server = quota_server().await;
    let t = team(&server, "declared").await;
    let g = t.group;
    // Only the head of the request is sent: the server answers without waiting for the rest.
    let start = raw_upload_head(&server, &t.member.token, g, 5_000_000);
    let mut socket = tokio::net::TcpStream::connect(addr(&server)).await.unwrap();
    socket.write_all(&start).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer: {}",
        String::from_utf8_lossy(&answer)
    );
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":344"), "{answer}");
    drop(socket);
    assert!(eventually(|| pending_blobs(&server) == 0).await);
    assert!(file_keys(&server).is_empty());
    assert_eq!(file_rows(&server), 0);
}

#[tokio::test]
async fn chunked_uploads_respect_the_quota() {
    let server = quota_server().await;
    let t = team(&server, "chunked").await;
    let g = t.group;
    let chunked = |name: &str, len: u64| {
        let body = reqwest::Body::wrap_stream(generated(len, None));
        Form::new()
            .text("group_id", g.to_string())
            .part("file", Part::stream(body).file_name(name.to_owned()))
    };
    // Without a Content-Length, a file that fits is stored whole...
    let (status, res) = send_form(&server, t.member.t(), chunked("fits.bin", 2_000_000)).await;
    assert_form_ok(status, &res);
    let fits = res["file_id"].as_i64().unwrap();
    assert_eq!(
        download_bytes(&server, &t.member, g, fits).await,
        gen_bytes(0, 2_000_000)
    );
    let keys = file_keys(&server);
    assert_eq!(keys.len(), 2_000_000usize.div_ceil(server.chunk_size()));

    // ...and one that does not is cut off at the quota. The server reads on for a moment after
    // refusing, so a client still sending gets the answer rather than a reset connection.
    let res = server
        .client
        .post(server.url(files::UPLOAD))
        .header("token", &t.member.token)
        .multipart(chunked("over.bin", 2_500_000))
        .send()
        .await
        .expect("the refusal is read");
    let (status, value) = json_of(res).await;
    assert_fails(status, &value, 344, 413);
    assert_nothing_left_but(&server, &keys).await;
    // The same, chunked by hand while the answer is read: it is 344.
    let (status, value) = raw_chunked_upload(&server, &t.member.token, g, 2_500_000).await;
    assert_fails(status, &value, 344, 413);
    assert_nothing_left_but(&server, &keys).await;
    assert_eq!(file_rows(&server), 1);
    assert_eq!(names(&server, &t.member, g, None).await, ["fits.bin"]);
}

#[tokio::test]
async fn resumable_uploads_reserve_their_declared_size_against_the_quota() {
    let server = quota_server().await;
    let t = team(&server, "rquota").await;
    let g = t.group;
    // Over the quota, then over what is left of it, by a byte.
    let too_big = |size: u64| json!({ "group_id": g, "name": "big.bin", "size": size });
    server
        .fails(files::BEGIN, t.member.t(), too_big(QUOTA + 1), 344, 413)
        .await;
    server
        .upload_file_into(&t.member, g, None, "a.bin", gen_bytes(0, 1_000_000))
        .await;
    server
        .fails(files::BEGIN, t.member.t(), too_big(2_000_001), 344, 413)
        .await;
    let body = json!({ "group_id": g, "name": "big.bin", "size": 2_000_000 });
    let up = server.begin_upload(&t.member, body).await;
    assert_eq!(up["part_count"], 1);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 1);
}
