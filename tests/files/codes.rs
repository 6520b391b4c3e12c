//! 341 to 346.

use crate::support::*;

#[tokio::test]
async fn unknown_files_and_files_of_other_groups_are_341() {
    let server = Server::start().await;
    let t = team(&server, "nofile").await;
    let g = t.group;
    // The creator also owns another group, with a file in it.
    let other = create_group(&server, &t.creator, "另一个组").await;
    let foreign = server
        .upload_file_into(&t.creator, other, None, "theirs.txt", text_bytes(9))
        .await;
    let mine = server
        .upload_file_into(&t.creator, g, None, "mine.txt", text_bytes(9))
        .await;
    for file in [999_999, foreign] {
        let cases = [
            (files::DELETE, json!({ "group_id": g, "file_id": file })),
            (
                files::EDIT_NAME,
                json!({ "group_id": g, "file_id": file, "name": "x.txt" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": file, "parent_id": 0 }),
            ),
            (files::SHARE, json!({ "group_id": g, "file_id": file })),
        ];
        for (path, body) in cases {
            server.fails(path, t.creator.t(), body, 341, 404).await;
        }
        get_fails(
            download(&server, &t.creator.token, g, file, &[]).await,
            341,
            404,
        )
        .await;
        get_fails(thumbnail(&server, &t.creator, g, file).await, 341, 404).await;
    }
    // Moving another group's file is 341, and so is moving into another group's folder (342).
    let their_dir = mkdir(&server, &t.creator, other, None, "theirs").await;
    server
        .fails(
            files::MOVE,
            t.creator.t(),
            json!({ "group_id": g, "file_id": mine, "parent_id": their_dir }),
            342,
            404,
        )
        .await;
    // Both groups are untouched.
    assert_eq!(names(&server, &t.creator, g, None).await, ["mine.txt"]);
    assert_eq!(
        names(&server, &t.creator, other, None).await,
        ["theirs", "theirs.txt"]
    );
}

#[tokio::test]
async fn parents_must_be_folders_of_the_group_342() {
    let server = Server::start().await;
    let t = team(&server, "noparent").await;
    let g = t.group;
    let file = server
        .upload_file_into(&t.member, g, None, "f.txt", text_bytes(4))
        .await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    for parent in [999_999, file] {
        let cases = [
            (
                files::GET_DIR,
                json!({ "group_id": g, "parent_id": parent }),
            ),
            (
                files::MK_DIR,
                json!({ "group_id": g, "parent_id": parent, "name": "x" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": dir, "parent_id": parent }),
            ),
            (
                files::BEGIN,
                json!({ "group_id": g, "parent_id": parent, "name": "x", "size": 1 }),
            ),
        ];
        for (path, body) in cases {
            server.fails(path, t.member.t(), body, 342, 404).await;
        }
        upload_fails(
            &server,
            t.member.t(),
            file_form(g, Some(parent), "x.txt", b"x".to_vec()),
            342,
            404,
        )
        .await;
    }
    assert_eq!(names(&server, &t.member, g, None).await, ["d", "f.txt"]);
    assert!(server.list_folder(&t.member, g, Some(dir)).await.is_empty());
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn names_are_unique_per_folder_343() {
    let server = Server::start().await;
    let t = team(&server, "taken").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "资料").await;
    let file = server
        .upload_file_into(&t.member, g, None, "a.txt", text_bytes(4))
        .await;
    let other = server
        .upload_file_into(&t.member, g, None, "b.txt", text_bytes(4))
        .await;
    let in_dir = server
        .upload_file_into(&t.member, g, Some(dir), "a.txt", text_bytes(5))
        .await;

    let conflicts = [
        (files::MK_DIR, json!({ "group_id": g, "name": "资料" })),
        (files::MK_DIR, json!({ "group_id": g, "name": "a.txt" })),
        (
            files::MK_DIR,
            json!({ "group_id": g, "parent_id": dir, "name": "a.txt" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": other, "name": "a.txt" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": other, "name": "资料" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": dir, "name": "b.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": file, "parent_id": dir }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": in_dir, "parent_id": 0 }),
        ),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "b.txt", "size": 3 }),
        ),
    ];
    for (path, body) in conflicts {
        server.fails(path, t.member.t(), body, 343, 409).await;
    }
    for (parent, name) in [(None, "a.txt"), (None, "资料"), (Some(dir), "a.txt")] {
        upload_fails(
            &server,
            t.member.t(),
            file_form(g, parent, name, b"new".to_vec()),
            343,
            409,
        )
        .await;
    }
    // Names compare exactly: another case is another name.
    server
        .upload_file_into(&t.member, g, None, "A.txt", text_bytes(2))
        .await;
    // Renaming to its own name, or moving where it already is, changes nothing and succeeds.
    server.rename_file(&t.member, g, file, "a.txt").await;
    server.move_file(&t.member, g, in_dir, dir).await;

    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["资料", "A.txt", "a.txt", "b.txt"]
    );
    assert_eq!(names(&server, &t.member, g, Some(dir)).await, ["a.txt"]);
    let a = entry_named(&server, &t.member, g, None, "a.txt").await;
    assert_eq!(
        (a["id"].as_i64(), a["size"].as_i64()),
        (Some(file), Some(4))
    );
    assert_eq!(file_keys(&server).len(), 4);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn folders_are_not_downloaded_or_shared_345() {
    let server = Server::start().await;
    let t = team(&server, "folderdl").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    get_fails(
        download(&server, &t.member.token, g, dir, &[]).await,
        345,
        400,
    )
    .await;
    get_fails(thumbnail(&server, &t.member, g, dir).await, 345, 400).await;
    server
        .fails(
            files::SHARE,
            t.member.t(),
            json!({ "group_id": g, "file_id": dir }),
            345,
            400,
        )
        .await;
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn folders_do_not_move_into_themselves_346() {
    let server = Server::start().await;
    let t = team(&server, "cycle").await;
    let g = t.group;
    let top = mkdir(&server, &t.creator, g, None, "top").await;
    let mid = mkdir(&server, &t.creator, g, Some(top), "mid").await;
    let low = mkdir(&server, &t.creator, g, Some(mid), "low").await;
    for target in [top, mid, low] {
        server
            .fails(
                files::MOVE,
                t.creator.t(),
                json!({ "group_id": g, "file_id": top, "parent_id": target }),
                346,
                400,
            )
            .await;
    }
    server
        .fails(
            files::MOVE,
            t.creator.t(),
            json!({ "group_id": g, "file_id": mid, "parent_id": low }),
            346,
            400,
        )
        .await;
    // The tree is unchanged; and a folder may still move beside or above itself.
    assert_eq!(names(&server, &t.creator, g, None).await, ["top"]);
    assert_eq!(names(&server, &t.creator, g, Some(top)).await, ["mid"]);
    assert_eq!(names(&server, &t.creator, g, Some(mid)).await, ["low"]);
    server.move_file(&t.creator, g, low, top).await;
    assert_eq!(
        names(&server, &t.creator, g, Some(top)).await,
        ["low", "mid"]
    );
}
