//! Listing and folders.

use crate::support::*;

#[tokio::test]
async fn get_dir_lists_folders_first_then_files_by_name_with_every_field() {
    let server = Server::start().await;
    let t = team(&server, "list").await;
    let g = t.group;
    assert!(server.list_folder(&t.member, g, None).await.is_empty());

    let b_dir = mkdir(&server, &t.member, g, None, "b-dir").await;
    let a_dir = mkdir(&server, &t.creator, g, None, "A-dir").await;
    let txt = server
        .upload_file_into(&t.member, g, None, "z.TXT", text_bytes(1234))
        .await;
    let pic = server
        .upload_file_into(&t.member, g, None, "a.png", png(30, 20, 255))
        .await;
    let bare = server
        .upload_file_into(&t.admin, g, None, "noext", text_bytes(10))
        .await;
    let dot = server
        .upload_file_into(&t.admin, g, None, ".hidden", text_bytes(3))
        .await;
    let tgz = server
        .upload_file_into(&t.admin, g, None, "x.tar.GZ", text_bytes(5))
        .await;
    let inside = server
        .upload_file_into(&t.member, g, Some(b_dir), "inner.md", text_bytes(7))
        .await;

    let root = server.list_folder(&t.member2, g, None).await;
    let order: Vec<&str> = root.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        ["A-dir", "b-dir", ".hidden", "a.png", "noext", "x.tar.GZ", "z.TXT"]
    );
    // parent_id 0 and no parent_id both mean the root.
    let zero = server
        .ok(
            files::GET_DIR,
            &t.member2.token,
            json!({ "group_id": g, "parent_id": 0 }),
        )
        .await;
    assert_eq!(zero["files"], json!(root));
    let as_string = server
        .ok(
            files::GET_DIR,
            &t.member2.token,
            json!({ "group_id": g.to_string() }),
        )
        .await;
    assert_eq!(as_string["files"], json!(root));

    let expected = [
        (a_dir, "dir", 0, "file"),
        (b_dir, "dir", 0, "file"),
        (dot, "", 3, "file"),
        (pic, ".png", png(30, 20, 255).len() as i64, "image"),
        (bare, "", 10, "file"),
        (tgz, ".gz", 5, "file"),
        (txt, ".txt", 1234, "file"),
    ];
    for (entry, (id, kind, size, file_type)) in root.iter().zip(expected) {
        let keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort();
        assert_eq!(
            keys,
            [
                "duration",
                "file_type",
                "id",
                "name",
                "parent_id",
                "size",
                "time",
                "type"
            ],
            "{entry}"
        );
        assert_eq!(entry["id"], id, "{entry}");
        assert_eq!(entry["parent_id"], 0, "{entry}");
        assert_eq!(entry["type"], kind, "{entry}");
        assert_eq!(entry["size"], size, "{entry}");
        assert_eq!(entry["file_type"], file_type, "{entry}");
        assert_eq!(entry["duration"].as_f64(), Some(0.0), "{entry}");
        assert!(is_time(&entry["time"]), "{entry}");
    }

    let sub = server.list_folder(&t.member2, g, Some(b_dir)).await;
    assert_eq!(sub.len(), 1, "{sub:?}");
    assert_eq!(sub[0]["id"], inside);
    assert_eq!(sub[0]["parent_id"], b_dir);
    assert_eq!(sub[0]["name"], "inner.md");
    assert_eq!(sub[0]["type"], ".md");
    assert!(server
        .list_folder(&t.member2, g, Some(a_dir))
        .await
        .is_empty());
}

#[tokio::test]
async fn mk_dir_nests_folders() {
    let server = Server::start().await;
    let t = team(&server, "mkdir").await;
    let g = t.group;
    let top = mkdir(&server, &t.member, g, None, "课件").await;
    let mid = mkdir(&server, &t.member2, g, Some(top), "第一周").await;
    let deep = mkdir(&server, &t.member, g, Some(mid), "附件").await;
    // parent_id 0 is the root, like no parent_id.
    server
        .ok(
            files::MK_DIR,
            &t.member.token,
            json!({ "group_id": g, "parent_id": 0, "name": "根目录下" }),
        )
        .await;
    assert_eq!(
        names(&server, &t.admin, g, None).await,
        ["根目录下", "课件"]
    );
    assert_eq!(names(&server, &t.admin, g, Some(top)).await, ["第一周"]);
    let d = server.list_folder(&t.admin, g, Some(mid)).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["id"], deep);
    assert_eq!(d[0]["parent_id"], mid);
    assert_eq!(d[0]["type"], "dir");
    assert_eq!(d[0]["size"], 0);
    // The same name may be used in another folder.
    mkdir(&server, &t.member, g, Some(deep), "课件").await;
    assert_eq!(file_rows(&server), 5);
}

#[tokio::test]
async fn bad_names_are_101() {
    let server = Server::start().await;
    let t = team(&server, "names").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "ok.txt", text_bytes(4))
        .await;
    let too_long = "a".repeat(256);
    let too_long_utf8 = "文".repeat(86); // 258 bytes
    let bad = [
        "",
        "   ",
        "a/b",
        "/",
        ".",
        "..",
        too_long.as_str(),
        too_long_utf8.as_str(),
    ];
    let bad_request = |path, body| server.fails(path, t.member.t(), body, 101, 400);
    for name in bad {
        bad_request(files::MK_DIR, json!({ "group_id": g, "name": name })).await;
        let rename = json!({ "group_id": g, "file_id": file, "name": name });
        bad_request(files::EDIT_NAME, rename).await;
        let form = Form::new()
            .text("group_id", g.to_string())
            .text("file_name", name.to_owned())
            .part("file", Part::bytes(b"x".to_vec()).file_name("fine.txt"));
        upload_fails(&server, t.member.t(), form, 101, 400).await;
        bad_request(
            files::BEGIN,
            json!({ "group_id": g, "name": name, "size": 1 }),
        )
        .await;
    }
    // A name must be given at all.
    bad_request(files::MK_DIR, json!({ "group_id": g })).await;
    bad_request(files::EDIT_NAME, json!({ "group_id": g, "file_id": file })).await;
    // Nothing was made or renamed.
    assert_eq!(names(&server, &t.member, g, None).await, ["ok.txt"]);
    assert_eq!(file_rows(&server), 1);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);

    // 255 bytes is the limit, inclusive.
    let longest = "文".repeat(85);
    assert_eq!(longest.len(), 255);
    mkdir(&server, &t.member, g, None, &longest).await;
    let longest_file = format!("{}.txt", "b".repeat(251));
    assert_eq!(longest_file.len(), 255);
    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": file, "name": longest_file }),
        )
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        [longest, longest_file]
    );
}

#[tokio::test]
async fn missing_ids_are_101() {
    let server = Server::start().await;
    let t = team(&server, "params").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "f.txt", text_bytes(4))
        .await;
    let who = t.member.t();
    let cases = [
        (files::GET_DIR, json!({})),
        (files::GET_DIR, json!({ "group_id": "abc" })),
        (files::GET_DIR, json!({ "group_id": g, "parent_id": "x" })),
        (files::MK_DIR, json!({ "name": "d" })),
        (files::DELETE, json!({ "group_id": g })),
        (files::DELETE, json!({ "file_id": file })),
        (files::EDIT_NAME, json!({ "group_id": g, "name": "n.txt" })),
        (files::MOVE, json!({ "group_id": g })),
        (files::MOVE, json!({ "file_id": file })),
        (files::SHARE, json!({ "group_id": g })),
        (files::SHARE, json!({ "file_id": file })),
        (files::BEGIN, json!({ "group_id": g, "name": "n" })),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "n", "size": -1 }),
        ),
        (files::BEGIN, json!({ "name": "n", "size": 1 })),
        (files::STATUS, json!({})),
        (files::COMPLETE, json!({})),
        (files::ABORT, json!({})),
    ];
    for (path, body) in cases {
        server.fails(path, who, body, 101, 400).await;
    }
    let token = t.member.token.as_str();
    let gs = g.to_string();
    let fs = file.to_string();
    for query in [
        vec![("token", token), ("group_id", gs.as_str())],
        vec![("token", token), ("file_id", fs.as_str())],
    ] {
        get_fails(server.get(files::DOWNLOAD, &query).await, 101, 400).await;
    }
    // An upload without group_id, and one without a file part.
    let form = Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    upload_fails(&server, who, form, 101, 400).await;
    let form = Form::new().text("group_id", g.to_string());
    upload_fails(&server, who, form, 101, 400).await;
    // Fields after the file part come too late to say where it goes.
    let form = Form::new()
        .part("file", Part::bytes(b"x".to_vec()).file_name("late.txt"))
        .text("group_id", g.to_string());
    upload_fails(&server, who, form, 101, 400).await;
    assert_eq!(names(&server, &t.member, g, None).await, ["f.txt"]);
    assert!(file_keys(&server).len() == 1, "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
}
