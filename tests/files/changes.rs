//! Renaming, moving and deleting; permissions.

use crate::support::*;

#[tokio::test]
async fn edit_name_and_move_change_the_tree() {
    let server = Server::start().await;
    let t = team(&server, "editmove").await;
    let g = t.group;
    let content = text_bytes(321);
    let file = server
        .upload_file_into(&t.member, g, None, "draft.txt", content.clone())
        .await;
    let dir = mkdir(&server, &t.member, g, None, "docs").await;
    let sub = mkdir(&server, &t.member, g, Some(dir), "old").await;

    server.rename_file(&t.member, g, file, "最终版.PDF").await;
    let renamed = entry_named(&server, &t.member, g, None, "最终版.PDF").await;
    assert_eq!(renamed["id"], file);
    assert_eq!(renamed["type"], ".pdf");
    assert_eq!(renamed["size"], 321);

    // Into a folder, to a subfolder, and back to the root with parent_id 0 and without one.
    let mv = |parent: Value| {
        let mut body = json!({ "group_id": g, "file_id": file });
        if !parent.is_null() {
            body["parent_id"] = parent;
        }
        body
    };
    server
        .ok(files::MOVE, &t.member.token, mv(json!(dir)))
        .await;
    assert_eq!(names(&server, &t.member, g, None).await, ["docs"]);
    assert_eq!(
        names(&server, &t.member, g, Some(dir)).await,
        ["old", "最终版.PDF"]
    );
    let moved = entry_named(&server, &t.member, g, Some(dir), "最终版.PDF").await;
    assert_eq!(moved["parent_id"], dir);
    server
        .ok(files::MOVE, &t.member.token, mv(json!(sub.to_string())))
        .await;
    assert_eq!(
        names(&server, &t.member, g, Some(sub)).await,
        ["最终版.PDF"]
    );
    server.ok(files::MOVE, &t.member.token, mv(json!(0))).await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "最终版.PDF"]
    );
    server
        .ok(files::MOVE, &t.member.token, mv(json!(dir)))
        .await;
    server
        .ok(files::MOVE, &t.member.token, mv(Value::Null))
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "最终版.PDF"]
    );

    // Folders move with what they hold, and are renamed.
    server.move_file(&t.member, g, sub, 0).await;
    server.rename_file(&t.member, g, sub, "归档").await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "归档", "最终版.PDF"]
    );
    assert!(server.list_folder(&t.member, g, Some(dir)).await.is_empty());
    // The content did not change.
    assert_eq!(download_bytes(&server, &t.member, g, file).await, content);
}

#[tokio::test]
async fn members_change_only_what_they_made() {
    let server = Server::start().await;
    let t = team(&server, "perm").await;
    let g = t.group;
    let theirs = text_file(&server, &t.member2, g, "theirs.txt").await;
    let their_dir = mkdir(&server, &t.member2, g, None, "their-dir").await;
    let admins = text_file(&server, &t.admin, g, "admin.txt").await;
    let mine = text_file(&server, &t.member, g, "mine.txt").await;
    let my_dir = mkdir(&server, &t.member, g, None, "my-dir").await;

    for id in [theirs, their_dir, admins] {
        let cases = [
            (
                files::EDIT_NAME,
                json!({ "group_id": g, "file_id": id, "name": "taken-over" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": id, "parent_id": my_dir }),
            ),
            (files::DELETE, json!({ "group_id": g, "file_id": id })),
        ];
        for (path, body) in cases {
            server.fails(path, t.member.t(), body, 303, 403).await;
        }
    }
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["my-dir", "their-dir", "admin.txt", "mine.txt", "theirs.txt"]
    );

    // A member may still read and share what others made, and put things in their folders.
    server.share_file_in_chat(&t.member, g, theirs).await;
    server
        .upload_file_into(
            &t.member,
            g,
            Some(their_dir),
            "into-theirs.txt",
            text_bytes(3),
        )
        .await;

    // Their own entries, they change.
    server.rename_file(&t.member, g, mine, "mine-v2.txt").await;
    server.move_file(&t.member, g, mine, my_dir).await;
    assert_eq!(
        names(&server, &t.member, g, Some(my_dir)).await,
        ["mine-v2.txt"]
    );
    server.delete_file(&t.member, g, mine).await;
    assert!(server
        .list_folder(&t.member, g, Some(my_dir))
        .await
        .is_empty());
}

#[tokio::test]
async fn managers_change_anything() {
    let server = Server::start().await;
    let t = team(&server, "managers").await;
    let g = t.group;
    let a = text_file(&server, &t.member, g, "a.txt").await;
    let b = text_file(&server, &t.member2, g, "b.txt").await;
    let dir = mkdir(&server, &t.member, g, None, "member-dir").await;
    let by_creator = text_file(&server, &t.creator, g, "creator.txt").await;
    server
        .upload_file_into(&t.member2, g, Some(dir), "inside.txt", text_bytes(8))
        .await;

    // The admin renames and moves members' entries, and even the creator's.
    server.rename_file(&t.admin, g, a, "a-by-admin.txt").await;
    server.move_file(&t.admin, g, b, dir).await;
    server
        .rename_file(&t.admin, g, by_creator, "creator-renamed.txt")
        .await;
    // The creator deletes a member's file and a folder holding two members' files.
    server.delete_file(&t.creator, g, a).await;
    assert_eq!(
        names(&server, &t.creator, g, Some(dir)).await,
        ["b.txt", "inside.txt"]
    );
    server.delete_file(&t.creator, g, dir).await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["creator-renamed.txt"]
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn members_delete_their_folders_only_when_everything_inside_is_theirs() {
    let server = Server::start().await;
    let t = team(&server, "deldir").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "mine").await;
    let sub = mkdir(&server, &t.member, g, Some(dir), "sub").await;
    server
        .upload_file_into(&t.member, g, Some(dir), "own.bin", gen_bytes(0, 1_500_000))
        .await;
    let foreign = server
        .upload_file_into(&t.member2, g, Some(sub), "foreign.txt", text_bytes(9))
        .await;
    let member_may_not_delete = |file| {
        let body = json!({ "group_id": g, "file_id": file });
        server.fails(files::DELETE, t.member.t(), body, 303, 403)
    };
    let keys = file_keys(&server);
    let own = 1_500_000usize.div_ceil(server.chunk_size());
    assert_eq!(keys.len(), own + 1, "{keys:?}");

    member_may_not_delete(dir).await;
    // Nothing at all was deleted.
    assert_eq!(names(&server, &t.member, g, None).await, ["mine"]);
    assert_eq!(
        names(&server, &t.member, g, Some(dir)).await,
        ["sub", "own.bin"]
    );
    assert_eq!(
        names(&server, &t.member, g, Some(sub)).await,
        ["foreign.txt"]
    );
    assert_eq!(file_keys(&server), keys);
    assert_eq!(file_rows(&server), 4);
    assert_eq!(pending_blobs(&server), 0);

    // A folder someone else made inside is also in the way.
    server.delete_file(&t.member2, g, foreign).await;
    mkdir(&server, &t.admin, g, Some(sub), "admin-made").await;
    member_may_not_delete(dir).await;
    assert_eq!(file_rows(&server), 4);

    // Once everything inside is theirs, it goes, contents and all.
    let admin_made = entry_named(&server, &t.member, g, Some(sub), "admin-made").await;
    server
        .ok(
            files::DELETE,
            &t.admin.token,
            json!({ "group_id": g, "file_id": admin_made["id"] }),
        )
        .await;
    server.delete_file(&t.member, g, dir).await;
    assert!(server.list_folder(&t.member, g, None).await.is_empty());
    assert_eq!(file_rows(&server), 0);
    assert!(file_keys(&server).is_empty(), "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn deleting_a_folder_removes_every_chunk_inside() {
    let server = Server::start().await;
    let t = team(&server, "recursive").await;
    let g = t.group;
    let keep = server
        .upload_file_into(&t.member, g, None, "keep.bin", gen_bytes(7, 1_200_000))
        .await;
    let top = mkdir(&server, &t.member, g, None, "top").await;
    let mid = mkdir(&server, &t.member, g, Some(top), "mid").await;
    let a = server
        .upload_file_into(
            &t.member,
            g,
            Some(top),
            "a.bin",
            gen_bytes(0, 2 * CHUNK + 5),
        )
        .await;
    let b = server
        .upload_file_into(&t.creator, g, Some(mid), "b.png", png(300, 300, 128))
        .await;
    // b gets a thumbnail, a companion object that must go with it.
    thumbnail_jpeg(&server, &t.creator, g, b).await;
    let c = server
        .upload_file_into(&t.member, g, Some(mid), "c.bin", gen_bytes(9, CHUNK))
        .await;
    let blobs: Vec<String> = [a, b, c].iter().map(|id| blob_of(&server, *id)).collect();
    let kept_blob = blob_of(&server, keep);
    let before = file_keys(&server);
    let chunks_of_a = (2 * CHUNK + 5).div_ceil(server.chunk_size());
    assert_eq!(chunk_keys_of(&server, &blobs[0]).len(), chunks_of_a);
    assert_eq!(chunk_keys_of(&server, &blobs[2]).len(), 1);
    assert!(
        before.contains(&format!("file/{}.thumb", blobs[1])),
        "{before:?}"
    );
    let chunks_of_keep = 1_200_000usize.div_ceil(server.chunk_size());
    // keep, a, b and its thumbnail, c.
    assert_eq!(
        before.len(),
        chunks_of_keep + chunks_of_a + 2 + 1,
        "{before:?}"
    );

    server.delete_file(&t.creator, g, top).await;
    let after = file_keys(&server);
    assert_eq!(after.len(), chunks_of_keep, "{after:?}");
    assert!(
        after
            .iter()
            .all(|k| k.starts_with(&format!("file/{kept_blob}/"))),
        "{after:?}"
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(names(&server, &t.member, g, None).await, ["keep.bin"]);
    for gone in [top, mid] {
        server
            .fails(
                files::GET_DIR,
                t.member.t(),
                json!({ "group_id": g, "parent_id": gone }),
                342,
                404,
            )
            .await;
    }
    for gone in [a, b, c] {
        get_fails(
            download(&server, &t.member.token, g, gone, &[]).await,
            341,
            404,
        )
        .await;
    }

    // Deleting a single file removes its chunks too.
    server.delete_file(&t.member, g, keep).await;
    assert!(file_keys(&server).is_empty());
    assert_eq!(file_rows(&server), 0);
    assert_eq!(pending_blobs(&server), 0);
}
