//! Deleting a group.

use crate::support::*;

/// Every table of the console that holds rows of a group, by its group column.
const GROUP_TABLES: &[(&str, &str)] = &[
    ("groups", "id"),
    ("group_members", "group_id"),
    ("join_requests", "group_id"),
    ("group_tags", "group_id"),
    ("group_pictures", "group_id"),
    ("announcements", "group_id"),
    ("ratings", "group_id"),
    ("group_files", "group_id"),
    ("file_uploads", "group_id"),
];

/// How many rows of `group` each table of [`GROUP_TABLES`] and each chat table holds.
async fn rows_of_group(server: &Server, group: i64) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (table, column) in GROUP_TABLES {
        let n = rows_where(server, table, column, &group.to_string())
            .await
            .len();
        out.push((table.to_string(), n));
    }
    for table in ["chat_messages", "chat_files"] {
        let n = room_rows(server, table, "group", group).await.len();
        out.push((table.to_string(), n));
    }
    out
}

#[tokio::test]
async fn deleting_a_group_removes_everything_it_owns_in_one_go() {
    let server = admin_server().await;
    let owner = user(&server, "purge-owner").await;
    let admin = user(&server, "purge-admin").await;
    let member = user(&server, "purge-member").await;
    let asker = user(&server, "purge-asker").await;
    let turned_away = user(&server, "purge-turned-away").await;
    let other = user(&server, "purge-other-owner").await;

    // The doomed group comes first, so that it has the id of the first private room too: only
    // the room's kind tells their chat apart.
    let doomed = server.new_group(&owner, "学习", "要删除的读书会", 20).await;
    let kept = server.new_group(&other, "学习", "留下的读书会", 20).await;
    add_tag(&server, &other, kept, "共享标签").await;
    admit(&server, &other, &member, kept).await;
    let kept_file = server
        .upload_file_into(&other, kept, None, "留下.txt", b"kept".to_vec())
        .await;
    share_group_file(&server, &other, kept, kept_file).await;
    let kept_picture = add_intro_picture(&server, &other, kept, png(30, 30, 255)).await;
    let kept_chat_file = server
        .upload_chat_file(&other, "group", kept, "k.bin", vec![1; 100])
        .await;

    // A private conversation of two of the doomed group's members, with a file.
    let mut private = connect(
        &server,
        &owner,
        &format!("/chat/private?user_id={}", member.id),
    )
    .await;
    say(&mut private, "私聊不受影响").await;
    drop(private);
    let chats = server.ok("/chat/getChat", &owner.token, json!({})).await;
    let private_room = chats["private"][0]["room_id"].as_i64().expect("room_id");
    assert_eq!(
        private_room, doomed,
        "the private room shares the group's id"
    );
    let private_file = server
        .upload_chat_file(&owner, "private", private_room, "p.bin", vec![2; 100])
        .await;

    let before = stored_keys(&server);

    // Everything a group can own.
    admit(&server, &owner, &admin, doomed).await;
    admit(&server, &owner, &member, doomed).await;
    server.switch_group_admin(&owner, doomed, &admin).await;
    server.join_group(&asker, doomed).await;
    let refused_request = server.join_group(&turned_away, doomed).await;
    server
        .process_join_request(&owner, refused_request, false)
        .await;
    add_tag(&server, &owner, doomed, "独有标签").await;
    add_tag(&server, &owner, doomed, "共享标签").await;
    let picture = add_intro_picture(&server, &owner, doomed, png(64, 48, 255)).await;
    let g = doomed.to_string();
    upload_picture(
        &server,
        &owner,
        "/group/internal/info/avatar/add",
        "avatar",
        png(80, 80, 255),
        &[("group_id", &g)],
    )
    .await;
    let notice = announce(&server, &admin, doomed, "周会", "周三晚上").await;
    let folder = mkdir(&server, &member, doomed, None, "资料").await;
    let image = server
        .upload_file_into(&member, doomed, Some(folder), "图.png", png(300, 200, 255))
        .await;
    let notes = server
        .upload_file_into(&owner, doomed, None, "笔记.txt", b"notes".to_vec())
        .await;
    share_group_file(&server, &owner, doomed, notes).await;
    let upload = begin_upload(&server, &member, doomed, "一半.bin", 1000).await;
    let chat_file = server
        .upload_chat_file(&member, "group", doomed, "录音.bin", vec![3; 2000])
        .await;

    let mut s_owner = connect(&server, &owner, &group_path(doomed)).await;
    say(&mut s_owner, "群里的消息").await;
    let mut s_admin = connect(&server, &admin, &group_path(doomed)).await;
    let mut s_member = connect(&server, &member, &group_path(doomed)).await;

    let owned = stored_since(&server, &before);
    for prefix in [
        format!("picture/group/{doomed}/"),
        format!("avatar/group/{doomed}/"),
        format!("picture/announcement/{notice}/"),
        "file/".to_owned(),
    ] {
        assert!(
            owned.iter().any(|k| k.contains(&prefix)),
            "no {prefix} blob among {owned:?}"
        );
    }
    let view = group_view(&server, doomed).await;
    assert_eq!(view["members"].as_array().unwrap().len(), 3, "{view}");
    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(view["tags"].as_array().unwrap().len(), 2, "{view}");
    assert_eq!(view["pictures"], json!([picture]), "{view}");
    assert_eq!(view["announcements"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        view["files"]["entries"].as_array().unwrap().len(),
        3,
        "{view}"
    );
    assert_eq!(view["chat"].as_array().unwrap().len(), 2, "{view}");
    let counted = rows_of_group(&server, doomed).await;
    assert!(
        counted
            .iter()
            .all(|(table, n)| *n > 0 || table == "ratings"),
        "the group owns rows in every table: {counted:?}"
    );
    assert_eq!(
        tag_hints(&server, &owner, "学习", "标签").await,
        ["共享标签", "独有标签"]
    );
    assert_eq!(search(&server, &owner, "学习", "读书会").await.len(), 2);

    let kept_rows = rows_of_group(&server, kept).await;

    // A refused deletion changes nothing and is not logged.
    refused(&server, "delete", row("groups", 999), 301, 404).await;
    refused(
        &server,
        "delete",
        json!({ "table": "groups", "key": {} }),
        101,
        400,
    )
    .await;
    assert_eq!(rows_of_group(&server, doomed).await, counted);

    let target = write_ok(&server, "delete", row("groups", doomed)).await;
    assert_eq!(target, format!("groups:{doomed}"));
    assert_eq!(
        audit(&server).await,
        vec![entry("delete", &target)],
        "the one write, logged"
    );

    // Every member's chat session ends, and the room is gone.
    closes(&mut s_owner, "owner").await;
    closes(&mut s_admin, "admin").await;
    closes(&mut s_member, "member").await;
    ws::refused(
        &server.ws_base(),
        Some(&member.token),
        None,
        &group_path(doomed),
        402,
        404,
        WAIT,
    )
    .await;

    // No row of it is left anywhere.
    let left = rows_of_group(&server, doomed).await;
    assert!(left.iter().all(|(_, n)| *n == 0), "left behind: {left:?}");
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM group_search WHERE rowid = ?",
            [doomed]
        ),
        0,
        "the search entry"
    );
    assert_eq!(
        count(
            &server,
            "SELECT count(*) FROM tag_stats WHERE tag_text = '独有标签'",
            []
        ),
        0
    );
    assert_eq!(
        count(
            &server,
            "SELECT uses FROM tag_stats WHERE type = '学习' AND tag_text = '共享标签'",
            []
        ),
        1
    );
    assert_eq!(
        tag_hints(&server, &owner, "学习", "标签").await,
        ["共享标签"]
    );
    assert_eq!(search(&server, &owner, "学习", "读书会").await, [kept]);

    // Its blobs go, and nothing else's.
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&owned)).await,
        "blobs left behind: {:?}",
        stored_keys(&server)
            .intersection(&owned)
            .collect::<Vec<_>>()
    );
    assert!(
        stored_keys(&server).is_superset(&before),
        "another group's blobs went"
    );
    assert!(no_blob_pending(&server).await, "blobs still pending");

    // The API knows it no more.
    server
        .fails(
            group::INFO_GET,
            owner.t(),
            json!({ "group_id": doomed }),
            301,
            404,
        )
        .await;
    let (status, body) = download_file(&server, &member, doomed, image).await;
    assert_eq!(error_of(status, &body), (404, Some(301)));
    let res = public_picture(&server, &owner, doomed, picture).await;
    assert_eq!(res.status(), 404);
    let (status, body) = download_chat_file(&server, &member, "group", doomed, chat_file).await;
    assert_eq!(status, 404, "{}", String::from_utf8_lossy(&body));
    assert_upload_gone(&server, &member, upload).await;
    read_fails(&server, "/debug/api/group", &[("group_id", &g)], 301, 404).await;
    for (who, groups) in [(&owner, vec![]), (&admin, vec![]), (&member, vec![kept])] {
        let ids: Vec<i64> = user_view(&server, who).await["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, groups);
    }

    // The other group and the private conversation are whole.
    assert_eq!(rows_of_group(&server, kept).await, kept_rows);
    assert_eq!(group_view(&server, kept).await["group"]["user_cnt"], 2);
    assert_eq!(
        download_file(&server, &other, kept, kept_file).await.1,
        b"kept"
    );
    assert_eq!(
        public_picture(&server, &other, kept, kept_picture)
            .await
            .status(),
        200
    );
    let (status, _) = download_chat_file(&server, &member, "group", kept, kept_chat_file).await;
    assert_eq!(status, 200);
    assert_eq!(
        room_rows(&server, "chat_messages", "private", private_room)
            .await
            .len(),
        1
    );
    let (status, body) =
        download_chat_file(&server, &member, "private", private_room, private_file).await;
    assert_eq!((status, body), (200, vec![2; 100]));
}

#[tokio::test]
async fn deleting_a_dismissed_group_recounts_the_ratings_given_in_it() {
    let server = admin_server().await;
    let target = user(&server, "recount-target").await;
    let rater1 = user(&server, "recount-rater1").await;
    let rater2 = user(&server, "recount-rater2").await;
    let friend = user(&server, "recount-friend").await;

    let doomed = server.new_group(&target, "运动", "解散后删除", 10).await;
    admit(&server, &target, &rater1, doomed).await;
    admit(&server, &target, &rater2, doomed).await;
    let kept = server.new_group(&target, "运动", "解散后留下", 10).await;
    admit(&server, &target, &friend, kept).await;
    server.dismiss_group(&target, doomed).await;
    server.dismiss_group(&target, kept).await;
    rate(&server, &rater1, doomed, &[(&target, 2.0)]).await;
    rate(&server, &rater2, doomed, &[(&target, 3.0)]).await;
    rate(&server, &target, doomed, &[(&rater1, 7.0)]).await;
    rate(&server, &friend, kept, &[(&target, 10.0)]).await;
    rate(&server, &target, kept, &[(&friend, 9.0)]).await;
    assert_eq!(server.rating_of(&friend, &target).await, (5.0, 3));
    assert_eq!(server.rating_of(&friend, &rater1).await, (7.0, 1));

    write_ok(&server, "delete", row("groups", doomed)).await;
    assert_eq!(server.rating_of(&friend, &target).await, (10.0, 1));
    assert_eq!(server.rating_of(&friend, &rater1).await, (0.0, 0));
    assert_eq!(server.rating_of(&target, &friend).await, (9.0, 1));
    assert!(
        rows_where(&server, "ratings", "group_id", &doomed.to_string())
            .await
            .is_empty()
    );
    assert_eq!(
        rows_where(&server, "ratings", "group_id", &kept.to_string())
            .await
            .len(),
        2
    );

    let view = user_view(&server, &target).await;
    assert_eq!(view["user"]["rating_count"], 1, "{view}");
    assert_eq!(view["user"]["star_rating"].as_f64(), Some(10.0), "{view}");
    let received = view["ratings"]["received"].as_array().unwrap();
    assert_eq!(received.len(), 1, "{view}");
    assert_eq!(
        (
            &received[0]["group_id"],
            &received[0]["rater_id"],
            received[0]["stars"].as_f64()
        ),
        (&json!(kept), &json!(friend.id), Some(10.0))
    );
    let given = view["ratings"]["given"].as_array().unwrap();
    assert_eq!(given.len(), 1, "{view}");
    assert_eq!(given[0]["target_id"], friend.id.as_str());
    let groups: Vec<i64> = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    assert_eq!(groups, [kept]);
}
