//! Private rooms and /chat/getChat; shared group files.

use crate::support::*;

#[tokio::test]
async fn private_room_is_made_on_first_contact_and_shared_by_both() {
    let server = Server::start().await;
    let [a, b, c] = users(&server, "priv", ["a", "b", "c"]).await;

    // a writes while b is away; b finds it as history, in the same room.
    let mut sa = connect(&server, &a, &private_path(&b)).await;
    quiet(&mut sa).await;
    let first = say_acked(&mut sa, "在吗").await;
    assert_message(&first, false);
    assert_eq!(first["user_id"], a.id.as_str());
    assert_eq!(
        first["nickname"],
        account_nickname(&server, &a).await.as_str()
    );
    assert_eq!(
        first["msg"],
        json!({ "msg_type": "text", "content": "在吗" })
    );
    let room = first["room_id"].as_i64().unwrap();

    let mut sb = connect_query(&server, &b, &private_path(&a)).await;
    let seen = next(&mut sb).await;
    assert_message(&seen, true);
    assert_eq!(id(&seen), id(&first));
    assert_eq!(seen["room_id"], room);
    quiet(&mut sb).await;

    // Both connected: each sees both.
    let reply = say_acked(&mut sb, "在的").await;
    assert_eq!(reply["room_id"], room);
    assert_eq!(reply["user_id"], b.id.as_str());
    assert_eq!(next(&mut sa).await, reply);
    let again = say_acked(&mut sa, "好").await;
    assert_eq!(next(&mut sb).await, again);
    assert!(id(&first) < id(&reply) && id(&reply) < id(&again));

    // Another pair has another room, and hears nothing of this one.
    let mut sc = connect(&server, &c, &private_path(&a)).await;
    quiet(&mut sc).await;
    let to_a = say_acked(&mut sc, "我是 c").await;
    assert_ne!(to_a["room_id"], room);
    quiet(&mut sa).await;
    quiet(&mut sb).await;

    // A second connection of a to b is the same room with the whole history.
    let mut sa2 = connect(&server, &a, &private_path(&b)).await;
    assert_eq!(
        ids(&take(&mut sa2, 3).await),
        [id(&first), id(&reply), id(&again)]
    );
    quiet(&mut sa2).await;
}

#[tokio::test]
async fn get_chat_lists_partners_with_messages_newest_first() {
    let server = Server::start().await;
    let [a, b, c, d] = users(&server, "gc", ["a", "b", "c", "d"]).await;
    assert!(get_chat(&server, &a).await.is_empty());
    server
        .fails(chat::GET_CHAT, None, json!({}), 113, 401)
        .await;

    let mut ab = connect(&server, &a, &private_path(&b)).await;
    let ab_room = say_acked(&mut ab, "to b").await["room_id"]
        .as_i64()
        .unwrap();
    next_second().await;
    let mut ac = connect(&server, &a, &private_path(&c)).await;
    let last_c = say_acked(&mut ac, "to c").await;
    let ac_room = last_c["room_id"].as_i64().unwrap();
    // A room without messages is not listed.
    let _ad = connect(&server, &a, &private_path(&d)).await;
    let _da = connect(&server, &d, &private_path(&a)).await;

    let list = get_chat(&server, &a).await;
    let partners: Vec<&str> = list.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(partners, [c.id.as_str(), b.id.as_str()], "{list:?}");
    let entry = &list[0];
    let keys = sorted_keys(entry);
    assert_eq!(
        keys,
        ["id", "info", "nickname", "room_id", "star_rating", "time"],
        "{entry}"
    );
    assert_eq!(entry["room_id"], ac_room);
    assert_eq!(
        entry["nickname"],
        account_nickname(&server, &c).await.as_str()
    );
    assert!(entry["info"].is_string(), "{entry}");
    assert!(entry["star_rating"].is_number(), "{entry}");
    assert!(is_time(&entry["time"]), "{entry}");
    assert_eq!(entry["time"], last_c["time"]);
    assert_eq!(list[1]["room_id"], ab_room);

    // The partner sees the conversation too; d, who only connected, sees none.
    let of_b = get_chat(&server, &b).await;
    assert_eq!(of_b.len(), 1, "{of_b:?}");
    assert_eq!(of_b[0]["id"], a.id.as_str());
    assert_eq!(of_b[0]["room_id"], ab_room);
    assert!(get_chat(&server, &d).await.is_empty());

    // A newer message moves b back to the top, whoever sent it.
    next_second().await;
    let mut ba = connect(&server, &b, &private_path(&a)).await;
    take(&mut ba, 1).await;
    let last_b = say_acked(&mut ba, "from b").await;
    next(&mut ab).await;
    let list = get_chat(&server, &a).await;
    let partners: Vec<&str> = list.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(partners, [b.id.as_str(), c.id.as_str()], "{list:?}");
    assert_eq!(list[0]["time"], last_b["time"]);
}

/// Two conversations whose last messages fall in the same second: the later message's
/// conversation is the newer one and must come first.
#[tokio::test]
async fn get_chat_orders_conversations_by_their_last_message_within_one_second() {
    let server = Server::start().await;
    let [a, b, c] = users(&server, "gs", ["a", "b", "c"]).await;
    // The a–b room is made first, the a–c room second.
    let mut ab = connect(&server, &a, &private_path(&b)).await;
    let mut ac = connect(&server, &a, &private_path(&c)).await;
    next_second().await;
    let started = Instant::now();
    let to_c = say_acked(&mut ac, "先给 c").await;
    let to_b = say_acked(&mut ab, "再给 b").await;
    assert!(id(&to_c) < id(&to_b));
    let list = get_chat(&server, &a).await;
    let partners: Vec<&str> = list.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(
        partners,
        [b.id.as_str(), c.id.as_str()],
        "b's message (id {}) came after c's (id {}), {} ms apart: {list:?}",
        id(&to_b),
        id(&to_c),
        started.elapsed().as_millis()
    );
}

// ---------------------------------------------------------------------------------------------
// Shared group files
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn shared_group_files_appear_in_the_room_history() {
    let server = Server::start().await;
    let (g, users) = team(&server, "share", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let pic = server
        .upload_file_into(member, g, None, "合影.png", crate::common::png(20, 10, 255))
        .await;
    let doc = server
        .upload_file_into(
            owner,
            g,
            None,
            "notes.txt",
            b"plain text notes\n".repeat(10),
        )
        .await;
    server.share_file_in_chat(member, g, pic).await;
    server.share_file_in_chat(owner, g, doc).await;
    let listed = server.list_folder(owner, g, None).await;

    let mut s = connect(&server, owner, &group_path(g)).await;
    let page = take(&mut s, 2).await;
    quiet(&mut s).await;
    for (frame, (who, file, kind)) in page
        .iter()
        .zip([(member, pic, "image"), (owner, doc, "file")])
    {
        assert_message(frame, true);
        assert_eq!(frame["room_id"], g);
        assert_eq!(frame["user_id"], who.id.as_str(), "{frame}");
        let msg = &frame["msg"];
        assert_eq!(msg["msg_type"], kind, "{frame}");
        assert_eq!(msg["file_id"], file, "{frame}");
        assert!(msg.get("content").is_none(), "{frame}");
        let info = &msg["file_info"];
        let keys = sorted_keys(info);
        assert_eq!(
            keys,
            ["file_type", "id", "name", "size", "time", "type"],
            "{frame}"
        );
        let entry = listed
            .iter()
            .find(|e| e["id"] == file)
            .unwrap_or_else(|| panic!("file {file} not listed"));
        for key in ["id", "name", "type", "size", "time", "file_type"] {
            assert_eq!(info[key], entry[key], "{key}: {info} vs {entry}");
        }
        assert_eq!(info["file_type"], kind);
    }
    assert!(id(&page[0]) < id(&page[1]));
    assert_eq!(page[0]["msg"]["file_info"]["name"], "合影.png");
    assert_eq!(page[1]["msg"]["file_info"]["size"], 170);

    // Later text messages follow the shared files in one id order.
    let text = say_acked(&mut s, "看看文件").await;
    assert!(id(&text) > id(&page[1]));
}

/// The contract: "`share` posts a file message into the group chat" and "new messages reach every
/// connected member with `history: false`". A member who is connected when a file is shared
/// should receive that message live.
#[tokio::test]
async fn shared_group_file_reaches_connected_members_live() {
    let server = Server::start().await;
    let (g, users) = team(&server, "sharelive", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let mut watcher = connect(&server, owner, &group_path(g)).await;
    let mut sharer = connect(&server, member, &group_path(g)).await;
    let file = server
        .upload_file_into(member, g, None, "live.png", crate::common::png(4, 4, 255))
        .await;
    server.share_file_in_chat(member, g, file).await;
    let (frames, closed) = frames_for(&mut watcher, Duration::from_secs(2)).await;
    assert!(!closed);
    assert_eq!(
        frames.len(),
        1,
        "a connected member got {} frames for a file shared while connected: {frames:?}",
        frames.len()
    );
    assert_message(&frames[0], false);
    assert_eq!(frames[0]["msg"]["file_id"], file);
    // The sharer's own connection too.
    let own = next(&mut sharer).await;
    assert_eq!(own, frames[0]);
}
