//! Tokens, groups and membership.

use crate::support::*;

/// Every JSON endpoint with a body naming `group` and `file`.
fn json_endpoints(group: i64, file: i64) -> Vec<(&'static str, Value)> {
    vec![
        (files::GET_DIR, json!({ "group_id": group })),
        (
            files::MK_DIR,
            json!({ "group_id": group, "name": "新文件夹" }),
        ),
        (files::DELETE, json!({ "group_id": group, "file_id": file })),
        (
            files::EDIT_NAME,
            json!({ "group_id": group, "file_id": file, "name": "改名.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": group, "file_id": file, "parent_id": 0 }),
        ),
        (files::SHARE, json!({ "group_id": group, "file_id": file })),
        (
            files::BEGIN,
            json!({ "group_id": group, "name": "大文件.bin", "size": 10 }),
        ),
    ]
}

#[tokio::test]
async fn every_endpoint_needs_a_valid_token() {
    let server = Server::start().await;
    let t = team(&server, "token").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "f.txt", text_bytes(4))
        .await;
    let mut endpoints = json_endpoints(g, file);
    endpoints.push((files::STATUS, json!({ "upload_id": 1 })));
    endpoints.push((files::COMPLETE, json!({ "upload_id": 1 })));
    endpoints.push((files::ABORT, json!({ "upload_id": 1 })));
    for (path, body) in endpoints {
        server.fails(path, None, body.clone(), 113, 401).await;
        server
            .fails(path, Some("not-a-token"), body, 112, 401)
            .await;
    }
    let form = || file_form(g, None, "new.txt", b"x".to_vec());
    upload_fails(&server, None, form(), 113, 401).await;
    upload_fails(&server, Some("not-a-token"), form(), 112, 401).await;
    let gs = g.to_string();
    let fs = file.to_string();
    let query = [("group_id", gs.as_str()), ("file_id", fs.as_str())];
    get_fails(server.get(files::DOWNLOAD, &query).await, 113, 401).await;
    let mut bad = query.to_vec();
    bad.push(("token", "not-a-token"));
    get_fails(server.get(files::DOWNLOAD, &bad).await, 112, 401).await;
    let put = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", "1"), ("part", "0")])
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    get_fails(put, 113, 401).await;
    // Nothing changed.
    assert_eq!(names(&server, &t.member, g, None).await, ["f.txt"]);
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn unknown_groups_are_301() {
    let server = Server::start().await;
    let t = team(&server, "nogroup").await;
    let file = server
        .upload_file_into(&t.member, t.group, None, "f.txt", text_bytes(4))
        .await;
    let nowhere = 987_654;
    for (path, body) in json_endpoints(nowhere, file) {
        server.fails(path, t.creator.t(), body, 301, 404).await;
    }
    upload_fails(
        &server,
        t.creator.t(),
        file_form(nowhere, None, "x.txt", b"x".to_vec()),
        301,
        404,
    )
    .await;
    get_fails(
        download(&server, &t.creator.token, nowhere, file, &[]).await,
        301,
        404,
    )
    .await;
    assert_eq!(file_rows(&server), 1);
}

#[tokio::test]
async fn outsiders_are_303_everywhere() {
    let server = Server::start().await;
    let t = team(&server, "outsider").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "f.png", png(20, 20, 255))
        .await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    for (path, body) in json_endpoints(g, file) {
        server.fails(path, t.outsider.t(), body, 303, 403).await;
    }
    server
        .fails(
            files::GET_DIR,
            t.outsider.t(),
            json!({ "group_id": g, "parent_id": dir }),
            303,
            403,
        )
        .await;
    upload_fails(
        &server,
        t.outsider.t(),
        file_form(g, None, "x.txt", b"x".to_vec()),
        303,
        403,
    )
    .await;
    get_fails(
        download(&server, &t.outsider.token, g, file, &[]).await,
        303,
        403,
    )
    .await;
    get_fails(thumbnail(&server, &t.outsider, g, file).await, 303, 403).await;
    // Nothing changed, and nothing is left of the refused upload.
    assert_eq!(names(&server, &t.member, g, None).await, ["d", "f.png"]);
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn dismissed_groups_keep_files_readable_but_frozen() {
    let server = Server::start().await;
    let t = team(&server, "dismissed").await;
    let g = t.group;
    let content = text_bytes(500);
    let file = server
        .upload_file_into(&t.member, g, None, "f.txt", content.clone())
        .await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    server
        .ok(group::DISMISS, &t.creator.token, json!({ "group_id": g }))
        .await;

    let writes = [
        (files::MK_DIR, json!({ "group_id": g, "name": "新" })),
        (files::DELETE, json!({ "group_id": g, "file_id": file })),
        (files::DELETE, json!({ "group_id": g, "file_id": dir })),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": file, "name": "g.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": file, "parent_id": dir }),
        ),
        (files::SHARE, json!({ "group_id": g, "file_id": file })),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "big.bin", "size": 10 }),
        ),
    ];
    for who in [&t.creator, &t.admin, &t.member] {
        for (path, body) in &writes {
            server.fails(path, who.t(), body.clone(), 304, 403).await;
        }
        upload_fails(
            &server,
            who.t(),
            file_form(g, None, "new.txt", b"x".to_vec()),
            304,
            403,
        )
        .await;
    }
    // Outsiders are still told they are not members.
    server
        .fails(
            files::MK_DIR,
            t.outsider.t(),
            json!({ "group_id": g, "name": "x" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            files::GET_DIR,
            t.outsider.t(),
            json!({ "group_id": g }),
            303,
            403,
        )
        .await;

    // Reads work, and show nothing changed.
    for who in [&t.creator, &t.member2] {
        assert_eq!(names(&server, who, g, None).await, ["d", "f.txt"]);
        assert!(server.list_folder(who, g, Some(dir)).await.is_empty());
        assert_eq!(download_bytes(&server, who, g, file).await, content);
    }
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(chat_messages(&server), 0);
}
