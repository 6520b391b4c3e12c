//! Files, uploads, chat messages and chat files.

use crate::support::*;

#[tokio::test]
async fn files_folders_and_uploads_are_deleted_and_free_their_space() {
    let server = admin_server().await;
    let owner = user(&server, "fd-owner").await;
    let member = user(&server, "fd-member").await;
    let group = create_group(&server, &owner, "文件组").await;
    admit(&server, &owner, &member, group).await;

    let folder = mkdir(&server, &member, group, None, "资料").await;
    let sub = mkdir(&server, &member, group, Some(folder), "子目录").await;
    let before = stored_keys(&server);
    let a = server
        .upload_file_into(&member, group, Some(folder), "a.bin", vec![1; 1000])
        .await;
    let b = server
        .upload_file_into(&owner, group, Some(sub), "b.bin", vec![2; 2000])
        .await;
    let folder_keys = stored_since(&server, &before);
    assert_eq!(folder_keys.len(), 2, "{folder_keys:?}");
    let c = server
        .upload_file_into(&member, group, None, "c.bin", vec![3; 500])
        .await;
    let view = group_view(&server, group).await;
    assert_eq!(view["files"]["used_bytes"], 3500, "{view}");

    let target = write_ok(&server, "delete", row("group_files", folder)).await;
    assert_eq!(target, format!("group_files:{folder}"));
    let view = group_view(&server, group).await;
    assert_eq!(view["files"]["used_bytes"], 500, "{view}");
    let entries: Vec<i64> = view["files"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(entries, [c]);
    for file in [a, b] {
        let (status, body) = download_file(&server, &member, group, file).await;
        assert_eq!(error_of(status, &body), (404, Some(341)));
    }
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&folder_keys)).await,
        "the folder's blobs stay"
    );
    for id in [folder, sub] {
        refused(&server, "delete", row("group_files", id), 341, 404).await;
    }
    for (action, body) in [
        (
            "create",
            json!({
                "table": "group_files", "values": { "group_id": group, "name": "x", "is_dir": true }
            }),
        ),
        (
            "update",
            json!({ "table": "group_files", "key": { "id": c }, "values": { "name": "d.bin" } }),
        ),
    ] {
        refused(&server, action, body, 101, 400).await;
    }
    assert_eq!(
        download_file(&server, &member, group, c).await,
        (200, vec![3; 500])
    );
    write_ok(&server, "delete", row("group_files", c)).await;
    assert_eq!(group_view(&server, group).await["files"]["used_bytes"], 0);

    // An upload in progress, with the part it has.
    let before = stored_keys(&server);
    let upload = begin_upload(&server, &member, group, "大文件.bin", 1000).await;
    let upload_keys = stored_since(&server, &before);
    assert!(!upload_keys.is_empty());
    let target = write_ok(&server, "delete", row("file_uploads", upload)).await;
    assert_eq!(target, format!("file_uploads:{upload}"));
    assert_upload_gone(&server, &member, upload).await;
    assert!(
        rows_where(&server, "file_uploads", "id", &upload.to_string())
            .await
            .is_empty()
    );
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&upload_keys)).await,
        "the upload's part stays"
    );
    assert!(no_blob_pending(&server).await, "blobs still pending");
    refused(&server, "delete", row("file_uploads", upload), 341, 404).await;
    refused(
        &server,
        "create",
        json!({ "table": "file_uploads", "values": { "group_id": group } }),
        101,
        400,
    )
    .await;
}

#[tokio::test]
async fn chat_messages_and_temporary_chat_files_are_deleted() {
    let server = admin_server().await;
    let owner = user(&server, "cd-owner").await;
    let member = user(&server, "cd-member").await;
    let group = create_group(&server, &owner, "聊天组").await;
    admit(&server, &owner, &member, group).await;

    let mut s_owner = connect(&server, &owner, &group_path(group)).await;
    let first = say(&mut s_owner, "第一条").await;
    let second = say(&mut s_owner, "第二条（要删）").await;
    let third = say(&mut s_owner, "第三条").await;

    let target = write_ok(&server, "delete", row("chat_messages", second)).await;
    assert_eq!(target, format!("chat_messages:{second}"));
    let chat = group_view(&server, group).await["chat"].clone();
    let ids: Vec<i64> = chat
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first, third], "{chat}");
    // The history a member gets on connecting skips it.
    let mut s_member = connect(&server, &member, &group_path(group)).await;
    let history = [
        ws::next_json(&mut s_member, WAIT).await,
        ws::next_json(&mut s_member, WAIT).await,
    ];
    assert_eq!(ws::ids(&history), [first, third]);
    assert_eq!(ws::contents(&history), ["第一条", "第三条"]);
    ws::quiet(&mut s_member, QUIET, "history after the deletion").await;
    for (action, body) in [
        ("delete", row("chat_messages", second)),
        ("delete", row("chat_messages", 999)),
        (
            "create",
            json!({ "table": "chat_messages", "values": { "room_id": group, "content": "x" } }),
        ),
        (
            "update",
            json!({
                "table": "chat_messages", "key": { "id": first }, "values": { "content": "改" }
            }),
        ),
    ] {
        refused(&server, action, body, 101, 400).await;
    }
    // Messages go on after the gap.
    // Live delivery goes on after the gap, also when the room's newest message goes.
    let fourth = say(&mut s_member, "第四条").await;
    assert!(fourth > third);
    assert_eq!(ws::id(&ws::next_live(&mut s_owner, WAIT).await), fourth);
    write_ok(&server, "delete", row("chat_messages", fourth)).await;
    let fifth = say(&mut s_member, "第五条").await;
    let heard = ws::next_live(&mut s_owner, WAIT).await;
    assert_eq!((ws::id(&heard), ws::content(&heard)), (fifth, "第五条"));

    // A temporary chat file, before it expires.
    let before = stored_keys(&server);
    let bytes = vec![5; 3000];
    let file = server
        .upload_chat_file(&member, "group", group, "录音.bin", bytes)
        .await;
    let file_keys = stored_since(&server, &before);
    assert!(!file_keys.is_empty());
    assert_eq!(
        download_chat_file(&server, &owner, "group", group, file).await,
        (200, vec![5; 3000])
    );
    let target = write_ok(&server, "delete", row("chat_files", file)).await;
    assert_eq!(target, format!("chat_files:{file}"));
    let (status, body) = download_chat_file(&server, &owner, "group", group, file).await;
    assert_eq!(error_of(status, &body), (404, Some(406)));
    assert!(rows_where(&server, "chat_files", "id", &file.to_string())
        .await
        .is_empty());
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&file_keys)).await,
        "the file's blob stays"
    );
    refused(&server, "delete", row("chat_files", file), 406, 404).await;
    refused(
        &server,
        "create",
        json!({ "table": "chat_files", "values": { "room_id": group } }),
        101,
        400,
    )
    .await;
}
