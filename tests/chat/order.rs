//! Pings, order under concurrency, membership.

use crate::support::*;

#[tokio::test]
async fn server_pings_every_5_seconds() {
    let server = Server::start().await;
    let (g, users) = team(&server, "ping", 1).await;
    let mut s = connect(&server, &users[0], &group_path(g)).await;
    let start = Instant::now();
    let mut pings = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(6500);
    while pings.len() < 2 {
        match tokio::time::timeout_at(deadline, s.next()).await {
            Err(_) => break,
            Ok(Some(Ok(Message::Ping(_)))) => pings.push(start.elapsed()),
            Ok(Some(Ok(Message::Pong(_)))) => {}
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(!pings.is_empty(), "no ping within 6.5 s");
    let last = *pings.last().unwrap();
    assert!(last <= Duration::from_millis(6500), "{pings:?}");
    if pings.len() == 2 {
        let gap = pings[1] - pings[0];
        assert!(
            gap >= Duration::from_millis(4000) && gap <= Duration::from_millis(6000),
            "pings {gap:?} apart: {pings:?}"
        );
    }
    // tungstenite answered the pings; the connection is alive and works.
    say_acked(&mut s, "pong 过了").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_give_everyone_one_order() {
    const SENDERS: usize = 3;
    const EACH: usize = 30;
    const TOTAL: usize = SENDERS * EACH;
    let server = Server::start().await;
    let (g, users) = team(&server, "order", SENDERS).await;

    // Each member sends and reads on its own connection; the owner also has a listen-only one.
    let mut sockets = Vec::new();
    for u in &users {
        sockets.push(connect(&server, u, &group_path(g)).await);
    }
    let listener = connect_query(&server, &users[0], &group_path(g)).await;

    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for (n, socket) in sockets.into_iter().enumerate() {
        let (mut sink, stream) = socket.split();
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let text = json!({ "msg_type": "text", "content": format!("s{n}-{i}") });
                sink.send(Message::Text(text.to_string().into()))
                    .await
                    .expect("send");
            }
            sink
        }));
        readers.push(tokio::spawn(read_live(stream, TOTAL)));
    }
    let (_, listen_stream) = listener.split();
    readers.push(tokio::spawn(read_live(listen_stream, TOTAL)));

    let mut _sinks = Vec::new();
    for w in writers {
        _sinks.push(w.await.expect("writer"));
    }
    let mut seqs = Vec::new();
    for r in readers {
        seqs.push(r.await.expect("reader"));
    }
    let (first_ids, first_contents): (Vec<i64>, Vec<String>) = seqs[0].iter().cloned().unzip();
    assert_eq!(first_ids.len(), TOTAL);
    assert!(strictly_increasing(&first_ids), "{first_ids:?}");
    for (n, seq) in seqs.iter().enumerate() {
        let got: Vec<i64> = seq.iter().map(|(i, _)| *i).collect();
        assert_eq!(got, first_ids, "connection {n} saw another order");
    }
    // Nothing missing, and each sender's messages in the order it sent them.
    for n in 0..SENDERS {
        let own: Vec<&String> = first_contents
            .iter()
            .filter(|c| c.starts_with(&format!("s{n}-")))
            .collect();
        let want: Vec<String> = (0..EACH).map(|i| format!("s{n}-{i}")).collect();
        assert_eq!(own, want.iter().collect::<Vec<_>>(), "sender {n}");
    }

    // The stored order is the same: paging back from a new connection gives the same ids.
    let mut s = connect(&server, &users[1], &group_path(g)).await;
    let mut stored = ids(&take(&mut s, 20).await);
    while stored.len() < TOTAL {
        ask_history(&mut s, stored[0]).await;
        let page = ids(&take(&mut s, 20.min(TOTAL - stored.len())).await);
        stored.splice(0..0, page);
    }
    ask_history(&mut s, stored[0]).await;
    quiet(&mut s).await;
    assert_eq!(stored, first_ids);
}

/// Reads `n` live messages (id, content) from one connection.
async fn read_live(
    mut stream: futures_util::stream::SplitStream<Socket>,
    n: usize,
) -> Vec<(i64, String)> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let frame = tokio::time::timeout(Duration::from_secs(15), stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} messages arrived", out.len()))
            .expect("socket open")
            .expect("frame");
        if let Message::Text(text) = frame {
            let v: Value = serde_json::from_str(&text).expect("JSON");
            assert_eq!(v["history"], false, "{v}");
            out.push((
                v["id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("not a message: {v}")),
                v["msg"]["content"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    out
}

/// A member removed from a group must not go on reading the group's chat through the socket they
/// opened while still a member: new messages must not reach them, `history` must not page the
/// room for them, and they cannot post.
#[tokio::test]
async fn a_removed_member_no_longer_hears_the_room() {
    let server = Server::start().await;
    let (g, users) = team(&server, "kick", 3).await;
    let (owner, stays, kicked) = (&users[0], &users[1], &users[2]);
    let mut s_stays = connect(&server, stays, &group_path(g)).await;
    let mut s_kicked = connect(&server, kicked, &group_path(g)).await;
    let before = say_acked(&mut s_stays, "踢人之前").await;
    assert_eq!(next(&mut s_kicked).await, before);

    remove_member(&server, owner, g, kicked).await;
    // Reconnecting is refused.
    let base = server.ws_base();
    ws::refused(&base, kicked.t(), None, &group_path(g), 403, 403, WAIT).await;

    let secret = say_acked(&mut s_stays, "踢人之后的秘密").await;
    let mut problems = Vec::new();
    let messages = |frames: &[Value]| -> Vec<Value> {
        frames
            .iter()
            .filter(|f| f.get("msg").is_some())
            .cloned()
            .collect()
    };
    let (frames, closed) = frames_for(&mut s_kicked, Duration::from_millis(800)).await;
    let leaked = messages(&frames);
    if !leaked.is_empty() {
        problems.push(format!(
            "a live message reached the removed member: {leaked:?}"
        ));
    }
    if !closed {
        // Still open: history must not page the room, and posting is refused.
        ask_history(&mut s_kicked, id(&secret) + 1).await;
        let (frames, _) = frames_for(&mut s_kicked, Duration::from_millis(800)).await;
        let leaked = messages(&frames);
        if !leaked.is_empty() {
            problems.push(format!(
                "`history` paged the room for the removed member: {:?}",
                contents(&leaked)
            ));
        }
        say(&mut s_kicked, "我还在吗").await;
        let (frames, _) = frames_for(&mut s_kicked, Duration::from_millis(800)).await;
        let leaked = messages(&frames);
        if !leaked.is_empty() {
            problems.push(format!("the removed member posted: {leaked:?}"));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    quiet(&mut s_stays).await;
}

/// After a removal the group's other members keep chatting, and a post by the removed member
/// through the old socket is refused (403) and never stored.
#[tokio::test]
async fn a_removed_member_cannot_post_403() {
    let server = Server::start().await;
    let (g, users) = team(&server, "kickpost", 3).await;
    let (owner, stays, kicked) = (&users[0], &users[1], &users[2]);
    let mut s_kicked = connect(&server, kicked, &group_path(g)).await;
    remove_member(&server, owner, g, kicked).await;
    let mut s_stays = connect(&server, stays, &group_path(g)).await;
    say(&mut s_kicked, "我还在吗").await;
    if let Some(frame) = next_or_closed(&mut s_kicked, WAIT).await {
        assert_eq!(frame["code"].as_u64(), Some(403), "{frame}");
    }
    quiet(&mut s_stays).await;
    // @-ing the removed member is now 409.
    send(
        &mut s_stays,
        json!({ "msg_type": "text", "content": "x", "at": [kicked.id] }),
    )
    .await;
    expect_error(&mut s_stays, 409, "at a removed member").await;
    say_acked(&mut s_stays, "继续").await;
}

#[tokio::test]
async fn file_messages_carry_temporary_files_of_their_room() {
    let server = Server::start().await;
    let (g, users) = team(&server, "filemsg", 2).await;
    let (owner, a) = (&users[0], &users[1]);
    let room = g.to_string();
    let fields = [
        ("type", "group"),
        ("room_id", room.as_str()),
        ("file_name", "pic.png"),
    ];
    let (_, up) = server
        .upload(
            "/chat/files/upload",
            Some(&a.token),
            "file",
            crate::common::png(40, 30, 255),
            &fields,
        )
        .await;
    let file = up["file_id"].as_i64().expect("file_id");
    let path = group_path(g);
    let mut s = connect(&server, a, &path).await;
    send(&mut s, json!({ "msg_type": "image", "file_id": file })).await;
    let m = next(&mut s).await;
    assert_eq!(m["msg"]["msg_type"], "image");
    assert_eq!(m["msg"]["file_id"], file);
    let info = &m["msg"]["file_info"];
    assert_eq!(
        (info["id"].as_i64(), info["name"].as_str()),
        (Some(file), Some("pic.png"))
    );
    assert_eq!(
        (info["type"].as_str(), info["file_type"].as_str()),
        (Some(".png"), Some("image"))
    );
    assert!(info.get("duration").is_none(), "{info}");
    // A group file shared into the room arrives as a file message too.
    let fields = [("group_id", room.as_str()), ("file_name", "notes.txt")];
    let (_, up) = server
        .upload(
            "/group/internal/files/upload",
            Some(&owner.token),
            "file",
            b"notes".to_vec(),
            &fields,
        )
        .await;
    let shared = up["file_id"].as_i64().unwrap();
    server
        .ok(
            "/group/internal/files/share",
            &owner.token,
            json!({ "group_id": g, "file_id": shared }),
        )
        .await;
    let mut s = connect(&server, a, &path).await;
    let first = next(&mut s).await;
    let second = next(&mut s).await;
    assert_eq!(first["msg"]["file_id"], file);
    assert_eq!(second["msg"]["msg_type"], "file");
    assert_eq!(second["msg"]["file_info"]["name"], "notes.txt");
    assert_eq!(second["user_id"], owner.id.as_str());
}
