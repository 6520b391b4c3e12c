//! Uploads and downloads.

use crate::support::*;

#[tokio::test]
async fn upload_names_come_from_the_part_or_the_file_name_field() {
    let server = Server::start().await;
    let t = team(&server, "upname").await;
    let g = t.group;
    // The last path component of the part's file name.
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::bytes(text_bytes(10)).file_name("wxfile://tmp/abc/notes.md"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
    let notes = res["file_id"].clone();
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::bytes(text_bytes(10)).file_name("C:\\Users\\me\\win.txt"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    // file_name overrides it; a PNG named .txt is still an image.
    let form = Form::new()
        .text("group_id", g.to_string())
        .text("file_name", "picture.txt")
        .part(
            "file",
            Part::bytes(png(40, 10, 255)).file_name("wxfile://tmp_1.png"),
        );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let picture = res["file_id"].as_i64().unwrap();

    let entries = server.list_folder(&t.member, g, None).await;
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["type"].as_str().unwrap().to_owned(),
                e["file_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        summary,
        [
            owned("notes.md", ".md", "file"),
            owned("picture.txt", ".txt", "image"),
            owned("win.txt", ".txt", "file"),
        ]
    );
    assert_eq!(entries[0]["id"], notes);
    let res = download(&server, &t.member.token, g, picture, &[]).await;
    assert_eq!(header(&res, "content-type"), "image/png");
}

#[tokio::test]
async fn download_streams_the_file_with_its_headers() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "download").await;
    let g = t.group;
    let content = gen_bytes(3, 2 * CHUNK + 777);
    let file = server
        .upload_file_into(&t.member, g, None, "data.bin", content.clone())
        .await;
    let res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), content.len().to_string());
    assert_eq!(header(&res, "content-type"), "application/octet-stream");
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    assert_eq!(header(&res, "accept-ranges"), "bytes");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"data.bin\"; filename*=UTF-8''data%2Ebin"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), content);

    // Text by its extension; an empty file is empty.
    let txt = server
        .upload_file_into(&t.member, g, None, "a.txt", text_bytes(20))
        .await;
    let res = download(&server, &t.member.token, g, txt, &[]).await;
    assert!(
        header(&res, "content-type").starts_with("text/plain"),
        "{:?}",
        res.headers()
    );
    let empty = server
        .upload_file_into(&t.member, g, None, "empty", Vec::new())
        .await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "empty").await["size"],
        0
    );
    let res = download(&server, &t.member.token, g, empty, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), "0");
    assert_eq!(header(&res, "etag"), etag_of(&server, empty));
    assert!(res.bytes().await.unwrap().is_empty());
}

/// HTML (and other types a browser would run) is served as plain bytes, whether it is
/// recognised by its name or by its content.
#[tokio::test]
async fn active_content_is_never_served_as_itself() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "active").await;
    let g = t.group;
    let cases: [(&str, &[u8]); 4] = [
        (
            "page.html",
            b"<html><body><script>alert(1)</script></body></html>",
        ),
        (
            "page.bin",
            b"<html><body><script>alert(1)</script></body></html>",
        ),
        ("plain.html", b"hello, no tags at all"),
        ("feed.xml", b"<?xml version=\"1.0\"?><a>1</a>"),
    ];
    let mut served_as_active = Vec::new();
    for (name, bytes) in cases {
        let file = server
            .upload_file_into(&t.member, g, None, name, bytes.to_vec())
            .await;
        let res = download(&server, &t.member.token, g, file, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let served = header(&res, "content-type");
        let active = [
            "text/html",
            "text/xml",
            "application/xml",
            "application/xhtml+xml",
        ];
        if active.iter().any(|a| served.starts_with(a)) {
            served_as_active.push(format!("{name} as {served}"));
        }
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    }
    assert!(
        served_as_active.is_empty(),
        "served as active content: {served_as_active:?}"
    );
}

#[tokio::test]
async fn downloads_revalidate_with_if_none_match() {
    let server = Server::start().await;
    let t = team(&server, "etag").await;
    let g = t.group;
    let content = text_bytes(5000);
    let file = server
        .upload_file_into(&t.member, g, None, "f.txt", content.clone())
        .await;
    let etag = etag_of(&server, file);
    for value in [
        etag.clone(),
        format!("\"other\", {etag}"),
        format!("W/{etag}"),
    ] {
        let res = download(
            &server,
            &t.member.token,
            g,
            file,
            &[("If-None-Match", &value)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{value}");
        assert_eq!(header(&res, "etag"), etag);
        assert!(res.bytes().await.unwrap().is_empty());
    }
    let res = download(
        &server,
        &t.member.token,
        g,
        file,
        &[("If-None-Match", "\"stale\"")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), content);
}

#[tokio::test]
async fn downloads_serve_single_byte_ranges() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "range").await;
    let g = t.group;
    let len = 3 * CHUNK + 1000;
    let content = gen_bytes(11, len);
    let file = server
        .upload_file_into(&t.member, g, None, "r.bin", content.clone())
        .await;
    let etag = etag_of(&server, file);

    let partial = |from: usize, to: usize| (from, to);
    let cases = [
        ("bytes=0-9", partial(0, 9)),
        ("bytes=100-199", partial(100, 199)),
        // Across chunk boundaries.
        ("bytes=999000-2001000", partial(999_000, 2_001_000)),
        // The last 500 bytes, and everything from an offset.
        ("bytes=-500", partial(len - 500, len - 1)),
        ("bytes=3000500-", partial(3_000_500, len - 1)),
        // An end past the file is cut to it.
        ("bytes=10-99999999", partial(10, len - 1)),
        ("bytes=0-0", partial(0, 0)),
    ];
    for (range, (from, to)) in cases {
        let res = download(&server, &t.member.token, g, file, &[("Range", range)]).await;
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&res, "content-range"),
            format!("bytes {from}-{to}/{len}")
        );
        assert_eq!(header(&res, "content-length"), (to + 1 - from).to_string());
        assert_eq!(header(&res, "etag"), etag);
        let body = res.bytes().await.unwrap();
        assert!(body[..] == content[from..=to], "{range}: wrong bytes");
    }
    // If-Range with the current validator keeps the range.
    let res = download(
        &server,
        &t.member.token,
        g,
        file,
        &[("Range", "bytes=5-6"), ("If-Range", &etag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap()[..], content[5..=6]);

    // Whole file: several ranges, a malformed header, or an If-Range of another version.
    let whole = [
        vec![("Range", "bytes=0-1,5-9")],
        vec![("Range", "bytes=abc")],
        vec![("Range", "pages=1-2")],
        vec![("Range", "bytes=9-3")],
        vec![("Range", "bytes=0-9"), ("If-Range", "\"older-version\"")],
    ];
    for headers in whole {
        let res = download(&server, &t.member.token, g, file, &headers).await;
        assert_eq!(res.status(), StatusCode::OK, "{headers:?}");
        assert!(res.headers().get("content-range").is_none(), "{headers:?}");
        assert_eq!(header(&res, "content-length"), len.to_string());
        let body = res.bytes().await.unwrap();
        assert!(body[..] == content[..], "{headers:?}: wrong bytes");
    }

    // A range starting at or past the end cannot be served.
    for range in [
        format!("bytes={len}-"),
        format!("bytes={}-{}", len + 10, len + 20),
    ] {
        let res = download(&server, &t.member.token, g, file, &[("Range", &range)]).await;
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(&res, "content-range"), format!("bytes */{len}"));
        let (status, body) = json_of(res).await;
        assert_fails(status, &body, 101, 416);
    }
}

#[tokio::test]
async fn utf8_names_round_trip() {
    let server = Server::start().await;
    let t = team(&server, "utf8").await;
    let g = t.group;
    let name = "报告 2026.pdf";
    let file = server
        .upload_file_into(&t.member, g, None, name, text_bytes(64))
        .await;
    // Also through the file_name field.
    let form = Form::new()
        .text("group_id", g.to_string())
        .text("file_name", "会议 \"纪要\" 100%.docx")
        .part("file", Part::bytes(text_bytes(8)).file_name("tmp.docx"));
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let minutes = res["file_id"].as_i64().unwrap();

    let listed = server.list_folder(&t.member, g, None).await;
    assert_eq!(listed[0]["name"], "会议 \"纪要\" 100%.docx");
    assert_eq!(listed[0]["type"], ".docx");
    assert_eq!(listed[1]["name"], name);
    assert_eq!(listed[1]["type"], ".pdf");

    let res = download(&server, &t.member.token, g, file, &[]).await;
    let disposition = header(&res, "content-disposition");
    assert_eq!(
        disposition,
        "attachment; filename=\"__ 2026.pdf\"; \
         filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026%2Epdf"
    );
    assert_eq!(decode_filename_star(&disposition), name);
    let res = download(&server, &t.member.token, g, minutes, &[]).await;
    let disposition = header(&res, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"__ ____ 100_.docx\"; filename*=UTF-8''"),
        "{disposition}"
    );
    assert_eq!(
        decode_filename_star(&disposition),
        "会议 \"纪要\" 100%.docx"
    );
}

/// The name in a Content-Disposition's `filename*=UTF-8''…`.
fn decode_filename_star(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .expect("filename*");
    assert!(!encoded.contains(['"', ' ', ';']), "{encoded}");
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("UTF-8 name")
        .into_owned()
}

#[tokio::test]
async fn a_cut_off_upload_leaves_nothing() {
    let server = Server::start().await;
    let t = team(&server, "cutoff").await;
    let g = t.group;
    // Five chunks announced, two and a half sent.
    let chunk = server.chunk_size();
    let start = raw_upload_head(&server, &t.member.token, g, 5 * chunk);
    let mut socket = tokio::net::TcpStream::connect(addr(&server)).await.unwrap();
    socket.write_all(&start).await.unwrap();
    socket
        .write_all(&gen_bytes(0, 5 * chunk / 2))
        .await
        .unwrap();
    socket.flush().await.unwrap();
    // The server is storing what arrived...
    assert!(
        eventually(|| !file_keys(&server).is_empty()).await,
        "chunks were not written while the upload arrived: {:?}",
        file_keys(&server)
    );
    assert_eq!(pending_blobs(&server), 1);
    // ...until the client goes away.
    drop(socket);
    assert_nothing_left_but(&server, &[]).await;
    assert_eq!(file_rows(&server), 0);
    assert!(server.list_folder(&t.member, g, None).await.is_empty());
    // The name is free for a new try.
    server
        .upload_file_into(&t.member, g, None, "cut.bin", gen_bytes(0, 1000))
        .await;
}

#[tokio::test]
async fn a_large_file_round_trips() {
    const LEN: u64 = 200 << 20;
    let server = Server::start().await;
    let t = team(&server, "large").await;
    let g = t.group;

    // Streamed from the generator, hashed on the way out; never held in memory.
    let sent = Arc::new(Mutex::new(Sha256::new()));
    let body = reqwest::Body::wrap_stream(generated(LEN, Some(sent.clone())));
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::stream_with_length(body, LEN).file_name("big.bin"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let file = res["file_id"].as_i64().unwrap();
    let sent = hex(&sent.lock().unwrap().clone().finalize());

    let listed = entry_named(&server, &t.member, g, None, "big.bin").await;
    assert_eq!(listed["size"].as_u64(), Some(LEN));
    let chunks = LEN.div_ceil(server.chunk_size() as u64) as usize;
    assert_eq!(
        chunk_keys_of(&server, &blob_of(&server, file)).len(),
        chunks
    );
    assert_eq!(pending_blobs(&server), 0);

    // Downloaded as a stream, hashed as it arrives.
    let mut res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), LEN.to_string());
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    let mut received = Sha256::new();
    let mut got = 0u64;
    while let Some(piece) = res.chunk().await.expect("download chunk") {
        got += piece.len() as u64;
        received.update(&piece);
    }
    assert_eq!(got, LEN);
    assert_eq!(hex(&received.finalize()), sent);

    // A slice from the middle, across chunk boundaries.
    let from = (100 << 20) + 12_345u64;
    let len = 3 * CHUNK as u64 + 17;
    let range = format!("bytes={from}-{}", from + len - 1);
    let res = download(&server, &t.member2.token, g, file, &[("Range", &range)]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&res, "content-range"),
        format!("bytes {from}-{}/{LEN}", from + len - 1)
    );
    let body = res.bytes().await.unwrap();
    assert!(
        body[..] == gen_bytes(from, len as usize)[..],
        "the slice differs"
    );
}
