//! Messages, history.

use crate::support::*;

#[tokio::test]
async fn a_message_reaches_every_member_once_in_its_documented_shape() {
    let server = Server::start().await;
    let (g, users) = team(&server, "shape", 3).await;
    let (owner, a, b) = (&users[0], &users[1], &users[2]);
    let mut s_owner = connect(&server, owner, &group_path(g)).await;
    let mut s_a = connect(&server, a, &group_path(g)).await;
    let mut s_b = connect_query(&server, b, &group_path(g)).await;
    // Two connections of the same user both receive it.
    let mut s_b2 = connect(&server, b, &group_path(g)).await;

    send(
        &mut s_a,
        json!({ "msg_type": "text", "content": "  你好 @b  ", "at": [b.id, owner.id, b.id] }),
    )
    .await;
    let frame = next(&mut s_a).await;
    assert_message(&frame, false);
    assert_eq!(frame["room_id"], g);
    assert_eq!(frame["user_id"], a.id.as_str());
    assert_eq!(
        frame["nickname"],
        account_nickname(&server, a).await.as_str()
    );
    assert_eq!(frame["msg"]["msg_type"], "text");
    assert_eq!(frame["msg"]["content"], "  你好 @b  ");
    let at: Vec<&str> = frame["msg"]["at"]
        .as_array()
        .expect("at array")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        at.contains(&b.id.as_str()) && at.contains(&owner.id.as_str()),
        "{frame}"
    );
    let keys = sorted_keys(&frame["msg"]);
    assert_eq!(keys, ["at", "content", "msg_type"], "{frame}");
    for socket in [&mut s_owner, &mut s_b, &mut s_b2] {
        assert_eq!(next(socket).await, frame);
    }

    // Without `at`, `msg` has no `at`.
    say(&mut s_owner, "plain").await;
    let plain = next(&mut s_owner).await;
    assert_message(&plain, false);
    assert_eq!(
        plain["msg"],
        json!({ "msg_type": "text", "content": "plain" })
    );
    assert!(id(&plain) > id(&frame));
    for socket in [&mut s_a, &mut s_b, &mut s_b2] {
        assert_eq!(next(socket).await, plain);
    }
    // Exactly once each.
    for socket in [&mut s_owner, &mut s_a, &mut s_b, &mut s_b2] {
        quiet(socket).await;
    }

    // Stored: a new connection gets both as history, identical but for `history`.
    let mut late = connect(&server, b, &group_path(g)).await;
    let page = take(&mut late, 2).await;
    for (got, live) in page.iter().zip([&frame, &plain]) {
        assert_message(got, true);
        let mut expected = live.clone();
        expected["history"] = json!(true);
        assert_eq!(got, &expected);
    }
    quiet(&mut late).await;
}

#[tokio::test]
async fn messages_stay_in_their_room() {
    let server = Server::start().await;
    let (g1, users) = team(&server, "rooms", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let g2 = create_group(&server, owner, "另一个组").await;
    let mut one = connect(&server, owner, &group_path(g1)).await;
    let mut two = connect(&server, owner, &group_path(g2)).await;
    let mut private = connect(&server, owner, &private_path(member)).await;
    let mut member_private = connect(&server, member, &private_path(owner)).await;

    say(&mut one, "in one").await;
    assert_eq!(next(&mut one).await["room_id"], g1);
    say(&mut two, "in two").await;
    assert_eq!(next(&mut two).await["room_id"], g2);
    say(&mut private, "in private").await;
    let p = next(&mut private).await;
    assert_eq!(next(&mut member_private).await, p);
    for socket in [&mut one, &mut two, &mut private, &mut member_private] {
        quiet(socket).await;
    }
    // And in each room's history only its own.
    let mut again = connect(&server, member, &group_path(g1)).await;
    assert_eq!(contents(&take(&mut again, 1).await), ["in one"]);
    quiet(&mut again).await;
    let mut again = connect(&server, owner, &group_path(g2)).await;
    assert_eq!(contents(&take(&mut again, 1).await), ["in two"]);
    quiet(&mut again).await;
}

#[tokio::test]
async fn connect_sends_the_newest_20_oldest_first() {
    let server = Server::start().await;
    let (g, users) = team(&server, "newest", 2).await;
    let mut sender = connect(&server, &users[0], &group_path(g)).await;
    let mut sent = Vec::new();
    for i in 0..25 {
        sent.push(id(&say_acked(&mut sender, &format!("m{i}")).await));
    }
    assert!(strictly_increasing(&sent), "{sent:?}");

    let mut reader = connect(&server, &users[1], &group_path(g)).await;
    let page = take(&mut reader, 20).await;
    for frame in &page {
        assert_message(frame, true);
        assert_eq!(frame["room_id"], g);
        assert_eq!(frame["user_id"], users[0].id.as_str());
    }
    assert_eq!(ids(&page), sent[5..]);
    let want: Vec<String> = (5..25).map(|i| format!("m{i}")).collect();
    assert_eq!(contents(&page), want);
    quiet(&mut reader).await;
}

#[tokio::test]
async fn reconnect_and_page_back_through_45_messages() {
    let server = Server::start().await;
    let (g, users) = team(&server, "page", 2).await;
    let mut sender = connect(&server, &users[0], &group_path(g)).await;
    let mut sent = Vec::new();
    for i in 0..45 {
        sent.push(id(&say_acked(&mut sender, &format!("第{i}条")).await));
    }
    drop(sender);

    let mut reader = connect(&server, &users[1], &group_path(g)).await;
    let newest = take(&mut reader, 20).await;
    assert_eq!(ids(&newest), sent[25..45]);
    quiet(&mut reader).await;

    ask_history(&mut reader, sent[25]).await;
    let older = take(&mut reader, 20).await;
    for frame in &older {
        assert_message(frame, true);
    }
    assert_eq!(ids(&older), sent[5..25]);
    assert_eq!(contents(&older)[0], "第5条");
    quiet(&mut reader).await;

    ask_history(&mut reader, sent[5]).await;
    let oldest = take(&mut reader, 5).await;
    assert_eq!(ids(&oldest), sent[0..5]);
    for frame in &oldest {
        assert_message(frame, true);
    }
    quiet(&mut reader).await;

    // Before the first message there is nothing; the socket stays open and usable.
    ask_history(&mut reader, sent[0]).await;
    quiet(&mut reader).await;
    ask_history(&mut reader, 0).await;
    quiet(&mut reader).await;
    ask_history(&mut reader, -5).await;
    quiet(&mut reader).await;
    // A msg_id past the newest gives the newest 20; one in the middle the 20 before it.
    ask_history(&mut reader, sent[44] + 1000).await;
    assert_eq!(ids(&take(&mut reader, 20).await), sent[25..45]);
    ask_history(&mut reader, sent[30]).await;
    assert_eq!(ids(&take(&mut reader, 20).await), sent[10..30]);
    quiet(&mut reader).await;
    say_acked(&mut reader, "still open").await;
}

#[tokio::test]
async fn history_pages_only_the_own_room() {
    let server = Server::start().await;
    let (g1, users) = team(&server, "own", 2).await;
    let owner = &users[0];
    let g2 = create_group(&server, owner, "隔壁").await;
    let mut one = connect(&server, owner, &group_path(g1)).await;
    let mut two = connect(&server, owner, &group_path(g2)).await;
    let a = id(&say_acked(&mut one, "one-a").await);
    let b = id(&say_acked(&mut two, "two-b").await);
    let c = id(&say_acked(&mut one, "one-c").await);
    assert!(a < b && b < c);
    ask_history(&mut one, c).await;
    let page = take(&mut one, 1).await;
    assert_eq!(ids(&page), [a]);
    quiet(&mut one).await;
    ask_history(&mut two, c + 1).await;
    assert_eq!(ids(&take(&mut two, 1).await), [b]);
    quiet(&mut two).await;
}

#[tokio::test]
async fn text_limit_is_4000_characters() {
    let server = Server::start().await;
    let (g, users) = team(&server, "limit", 2).await;
    let mut s = connect(&server, &users[0], &group_path(g)).await;
    let mut other = connect(&server, &users[1], &group_path(g)).await;
    let max = "字".repeat(4000);
    say(&mut s, &max).await;
    let frame = next(&mut s).await;
    assert_eq!(
        frame["msg"]["content"].as_str().map(|c| c.chars().count()),
        Some(4000)
    );
    assert_eq!(next(&mut other).await, frame);

    say(&mut s, &"字".repeat(4001)).await;
    expect_error(&mut s, 411, "4001 characters").await;
    say(&mut s, &"a".repeat(4001)).await;
    expect_error(&mut s, 411, "4001 ASCII characters").await;
    say(&mut s, &"x".repeat(10_000)).await;
    expect_error(&mut s, 411, "10,000 characters").await;

    // The largest JSON a 4,000-character text can take: characters outside the BMP, written as
    // `\uXXXX\uXXXX` escapes (12 bytes each, 48 KB in all), is accepted; one more is 411.
    let escaped = |n: usize| {
        format!(
            "{{\"msg_type\":\"text\",\"content\":\"{}\"}}",
            "\\ud83d\\ude00".repeat(n)
        )
    };
    send_raw(&mut s, &escaped(4000)).await;
    let frame = next(&mut s).await;
    assert_eq!(frame["msg"]["content"], "😀".repeat(4000));
    assert_eq!(next(&mut other).await, frame);
    send_raw(&mut s, &escaped(4001)).await;
    expect_error(&mut s, 411, "4001 escaped characters").await;

    quiet(&mut other).await;
    // The socket stays open.
    say_acked(&mut s, "短的").await;
}

#[tokio::test]
async fn strict_client_messages_answer_error_frames_and_keep_the_socket() {
    let server = Server::start().await;
    let (g, users) = team(&server, "strict", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let outsider = user(&server, "strict-outsider").await;
    let mut s = connect(&server, owner, &group_path(g)).await;
    let mut other = connect(&server, member, &group_path(g)).await;

    let cases: Vec<(String, u64)> = vec![
        // Unknown msg_type.
        (
            json!({ "msg_type": "sticker", "content": "x" }).to_string(),
            405,
        ),
        (
            json!({ "msg_type": "TEXT", "content": "x" }).to_string(),
            405,
        ),
        (json!({ "msg_type": "", "content": "x" }).to_string(), 405),
        // Extra fields.
        (
            json!({ "msg_type": "text", "content": "x", "extra": 1 }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": "x", "file_id": 1 }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "history", "msg_id": 1, "content": "x" }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "image", "file_id": 1, "content": "x" }).to_string(),
            409,
        ),
        // Missing fields.
        (json!({ "msg_type": "text" }).to_string(), 409),
        (json!({ "content": "x" }).to_string(), 409),
        (json!({ "msg_type": "history" }).to_string(), 409),
        (json!({ "msg_type": "image" }).to_string(), 409),
        // Wrong JSON types.
        (json!({ "msg_type": 1, "content": "x" }).to_string(), 409),
        (json!({ "msg_type": "text", "content": 5 }).to_string(), 409),
        (
            json!({ "msg_type": "text", "content": null }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": "x", "at": member.id }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": "x", "at": [1] }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "history", "msg_id": "3" }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "history", "msg_id": 1.5 }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "image", "file_id": "3" }).to_string(),
            409,
        ),
        // Not JSON, or not an object.
        ("hello".to_owned(), 409),
        ("{\"msg_type\":\"text\",".to_owned(), 409),
        ("[1,2]".to_owned(), 409),
        ("\"text\"".to_owned(), 409),
        ("".to_owned(), 409),
        // Empty or blank content.
        (
            json!({ "msg_type": "text", "content": "" }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": " \n\t " }).to_string(),
            409,
        ),
        // `at` naming someone outside the group, or nobody at all.
        (
            json!({ "msg_type": "text", "content": "x", "at": [outsider.id] }).to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": "x", "at": [member.id, "no-such-user"] })
                .to_string(),
            409,
        ),
        // `at` longer than the room (two members), or than any room may mention.
        (
            json!({ "msg_type": "text", "content": "x", "at": [member.id, "u1", "u2"] })
                .to_string(),
            409,
        ),
        (
            json!({ "msg_type": "text", "content": "x", "at": vec![member.id.clone(); 101] })
                .to_string(),
            409,
        ),
        // Too long: the text, or the frame itself (refused before it is parsed).
        (
            json!({ "msg_type": "text", "content": "y".repeat(4001) }).to_string(),
            411,
        ),
        (format!("{{\"pad\":\"{}\"}}", "z".repeat(64 * 1024)), 411),
    ];
    for (text, code) in &cases {
        send_raw(&mut s, text).await;
        expect_error(&mut s, *code, text).await;
    }
    // A binary frame is 409 too.
    s.send(Message::Binary(
        b"{\"msg_type\":\"text\",\"content\":\"x\"}".to_vec().into(),
    ))
    .await
    .unwrap();
    expect_error(&mut s, 409, "binary frame").await;

    // Errors go to the sender only, and nothing was stored.
    quiet(&mut other).await;
    quiet(&mut s).await;
    let ok = say_acked(&mut s, "正常消息").await;
    assert_eq!(next(&mut other).await, ok);
    let mut fresh = connect(&server, member, &group_path(g)).await;
    assert_eq!(contents(&take(&mut fresh, 1).await), ["正常消息"]);
    quiet(&mut fresh).await;
}

#[tokio::test]
async fn file_messages_need_a_temporary_file_of_the_room_406() {
    let server = Server::start().await;
    let (g, users) = team(&server, "file406", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let group_file = server
        .upload_file_into(owner, g, None, "p.png", crate::common::png(8, 8, 255))
        .await;
    let mut s = connect(&server, owner, &group_path(g)).await;
    let mut p = connect(&server, owner, &private_path(member)).await;
    let mut other = connect(&server, member, &group_path(g)).await;
    for kind in ["image", "voice", "video", "file"] {
        for file_id in [987_654_i64, group_file, 0, -1] {
            send(&mut s, json!({ "msg_type": kind, "file_id": file_id })).await;
            expect_error(&mut s, 406, &format!("group {kind} {file_id}")).await;
            send(&mut p, json!({ "msg_type": kind, "file_id": file_id })).await;
            expect_error(&mut p, 406, &format!("private {kind} {file_id}")).await;
        }
        send(
            &mut s,
            json!({ "msg_type": kind, "file_id": group_file, "at": [member.id] }),
        )
        .await;
        expect_error(&mut s, 406, &format!("{kind} with at")).await;
    }
    quiet(&mut other).await;
    say_acked(&mut s, "still open").await;
    say_acked(&mut p, "still open").await;
}

#[tokio::test]
async fn private_rooms_refuse_at_409() {
    let server = Server::start().await;
    let a = user(&server, "pat-a").await;
    let b = user(&server, "pat-b").await;
    let mut s = connect(&server, &a, &private_path(&b)).await;
    for at in [json!([b.id]), json!([]), json!([a.id])] {
        send(
            &mut s,
            json!({ "msg_type": "text", "content": "hi", "at": at }),
        )
        .await;
        expect_error(&mut s, 409, &format!("private at {at}")).await;
    }
    send(
        &mut s,
        json!({ "msg_type": "image", "file_id": 1, "at": [b.id] }),
    )
    .await;
    let frame = next(&mut s).await;
    assert!(matches!(frame["code"].as_u64(), Some(409 | 406)), "{frame}");
    // Nothing was stored: the room is still not listed.
    assert!(get_chat(&server, &a).await.is_empty());
    say_acked(&mut s, "hi").await;
}

#[tokio::test]
async fn dismissed_group_shows_history_and_refuses_messages_404() {
    let server = Server::start().await;
    let (g, users) = team(&server, "dismiss", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let mut s = connect(&server, member, &group_path(g)).await;
    let first = say_acked(&mut s, "解散前 1").await;
    let second = say_acked(&mut s, "解散前 2").await;
    server
        .ok(group::DISMISS, &owner.token, json!({ "group_id": g }))
        .await;

    // An open socket: sending is 404, the socket stays, history still answers.
    say(&mut s, "解散后").await;
    expect_error(&mut s, 404, "text after dismissal").await;
    send(
        &mut s,
        json!({ "msg_type": "text", "content": "x", "at": [owner.id] }),
    )
    .await;
    expect_error(&mut s, 404, "text with at after dismissal").await;
    ask_history(&mut s, id(&second)).await;
    assert_eq!(ids(&take(&mut s, 1).await), [id(&first)]);

    // A new connection still works and shows the history.
    let mut late = connect(&server, owner, &group_path(g)).await;
    let page = take(&mut late, 2).await;
    assert_eq!(ids(&page), [id(&first), id(&second)]);
    assert_eq!(contents(&page), ["解散前 1", "解散前 2"]);
    quiet(&mut late).await;
    say(&mut late, "也不行").await;
    expect_error(&mut late, 404, "owner after dismissal").await;
    quiet(&mut s).await;

    // Nothing new was stored.
    let mut again = connect_query(&server, member, &group_path(g)).await;
    assert_eq!(ids(&take(&mut again, 2).await), [id(&first), id(&second)]);
    quiet(&mut again).await;
}

#[tokio::test]
async fn in_group_nickname_names_the_sender_in_group_rooms_only() {
    let server = Server::start().await;
    let (g, users) = team(&server, "nick", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let account = account_nickname(&server, member).await;
    let mut s = connect(&server, member, &group_path(g)).await;
    let before = say_acked(&mut s, "改名前").await;
    assert_eq!(before["nickname"], account.as_str());

    server
        .ok(
            group::NICKNAME,
            &member.token,
            json!({ "group_id": g, "nickname": "组内昵称" }),
        )
        .await;
    assert_ne!(account, "组内昵称");
    let mut watcher = connect(&server, owner, &group_path(g)).await;
    take(&mut watcher, 1).await;
    let after = say_acked(&mut s, "改名后").await;
    assert_eq!(after["nickname"], "组内昵称");
    assert_eq!(next(&mut watcher).await["nickname"], "组内昵称");
    // The owner, without an in-group nickname, keeps the account's.
    let owners = say_acked(&mut watcher, "群主").await;
    assert_eq!(
        owners["nickname"],
        account_nickname(&server, owner).await.as_str()
    );

    // History shows the in-group nickname for the new message.
    let mut fresh = connect(&server, owner, &group_path(g)).await;
    let page = take(&mut fresh, 3).await;
    assert_eq!(page[1]["nickname"], "组内昵称");

    // A private room uses the account's nickname.
    let mut p = connect(&server, member, &private_path(owner)).await;
    let private = say_acked(&mut p, "私聊").await;
    assert_eq!(private["nickname"], account.as_str());
}
