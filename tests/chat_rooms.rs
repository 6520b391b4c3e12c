//! Chat rooms over real WebSockets against the native server: the handshake's refusals, history
//! on connect and on request, live delivery in one order, strict client messages, private rooms
//! and `/chat/getChat`, file messages, and the server's pings.

mod common;

use std::time::Duration;

use common::{admit, create_group, user, Server, User};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn ws_url(server: &Server, path_and_query: &str) -> String {
    format!(
        "{}{path_and_query}",
        server.base.replace("http://", "ws://")
    )
}

/// Connects with the token in the `token` header.
async fn connect(server: &Server, who: &User, path_and_query: &str) -> Socket {
    let mut req = ws_url(server, path_and_query)
        .into_client_request()
        .unwrap();
    req.headers_mut()
        .insert("token", who.token.parse().unwrap());
    tokio_tungstenite::connect_async(req)
        .await
        .expect("handshake")
        .0
}

/// A refused handshake: its HTTP status and JSON code.
async fn refused(server: &Server, token: Option<&str>, path_and_query: &str) -> (u16, Value) {
    let mut req = ws_url(server, path_and_query)
        .into_client_request()
        .unwrap();
    if let Some(token) = token {
        req.headers_mut().insert("token", token.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => {
            let body = res.body().clone().unwrap_or_default();
            (
                res.status().as_u16(),
                serde_json::from_slice(&body).expect("JSON refusal"),
            )
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("{path_and_query} was accepted"),
    }
}

/// The next JSON text frame, skipping pings and pongs.
async fn next(socket: &mut Socket) -> Value {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a frame within 5 s")
            .expect("socket open")
            .expect("frame");
        match frame {
            Message::Text(text) => return serde_json::from_str(&text).expect("JSON frame"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame {other:?}"),
        }
    }
}

/// No text frame arrives for a moment.
async fn quiet(socket: &mut Socket) {
    if let Ok(Some(Ok(Message::Text(text)))) =
        tokio::time::timeout(Duration::from_millis(300), socket.next()).await
    {
        panic!("unexpected frame {text}");
    }
}

async fn send(socket: &mut Socket, value: Value) {
    socket
        .send(Message::Text(value.to_string().into()))
        .await
        .unwrap();
}

async fn say(socket: &mut Socket, text: &str) {
    send(socket, json!({ "msg_type": "text", "content": text })).await;
}

/// A group with its owner, two members and an outsider.
async fn group(server: &Server, prefix: &str) -> (i64, User, User, User, User) {
    let owner = user(server, &format!("{prefix}-owner")).await;
    let a = user(server, &format!("{prefix}-a")).await;
    let b = user(server, &format!("{prefix}-b")).await;
    let outsider = user(server, &format!("{prefix}-out")).await;
    let g = create_group(server, &owner, &format!("{prefix} 聊天")).await;
    admit(server, &owner, &a, g).await;
    admit(server, &owner, &b, g).await;
    (g, owner, a, b, outsider)
}

#[tokio::test]
async fn handshakes_check_token_room_and_membership() {
    let server = Server::start().await;
    let (g, owner, _, _, outsider) = group(&server, "hs").await;
    let path = format!("/chat/group?group_id={g}");
    let (status, body) = refused(&server, None, &path).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(113)), "{body}");
    let (status, body) = refused(&server, Some("not-a-token"), &path).await;
    assert_eq!((status, body["code"].as_u64()), (401, Some(112)), "{body}");
    let (status, body) = refused(&server, Some(&owner.token), "/chat/group?group_id=99999").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(402)), "{body}");
    let (status, body) = refused(&server, Some(&outsider.token), &path).await;
    assert_eq!((status, body["code"].as_u64()), (403, Some(403)), "{body}");
    let (status, body) = refused(&server, Some(&owner.token), "/chat/private?user_id=nobody").await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(401)), "{body}");
    let (status, body) = refused(
        &server,
        Some(&owner.token),
        &format!("/chat/private?user_id={}", owner.id),
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (404, Some(401)), "{body}");
    // The token may ride in the query instead.
    let url = ws_url(&server, &format!("{path}&token={}", owner.token));
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("query token");
    quiet(&mut socket).await;
    // A plain GET without an upgrade is a parameter error.
    let res = server
        .client
        .get(server.url(&path))
        .header("token", &owner.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["code"], 101);
}

#[tokio::test]
async fn messages_reach_every_member_and_come_back_as_the_senders_ack() {
    let server = Server::start().await;
    let (g, owner, a, _, _) = group(&server, "live").await;
    server
        .ok(
            "/group/internal/member/setNickname",
            &a.token,
            json!({ "group_id": g, "nickname": "小甲" }),
        )
        .await;
    let path = format!("/chat/group?group_id={g}");
    let mut sa = connect(&server, &a, &path).await;
    let mut so = connect(&server, &owner, &path).await;
    say(&mut sa, "大家好").await;
    for socket in [&mut sa, &mut so] {
        let m = next(socket).await;
        assert_eq!(m["history"], false);
        assert_eq!(m["room_id"], g);
        assert_eq!(m["user_id"], a.id.as_str());
        assert_eq!(m["nickname"], "小甲");
        assert_eq!(m["msg"], json!({ "msg_type": "text", "content": "大家好" }));
        assert!(m["id"].as_i64().unwrap() > 0);
        assert_eq!(m["time"].as_str().unwrap().len(), 19);
    }
    // @ names members only, and is delivered as sent.
    send(
        &mut so,
        json!({ "msg_type": "text", "content": "@小甲", "at": [a.id] }),
    )
    .await;
    assert_eq!(next(&mut sa).await["msg"]["at"], json!([a.id]));
}

#[tokio::test]
async fn history_comes_on_connect_and_pages_back_on_request() {
    let server = Server::start().await;
    let (g, owner, a, _, _) = group(&server, "hist").await;
    let path = format!("/chat/group?group_id={g}");
    let mut so = connect(&server, &owner, &path).await;
    let mut ids = Vec::new();
    for i in 0..45 {
        say(&mut so, &format!("m{i}")).await;
        ids.push(next(&mut so).await["id"].as_i64().unwrap());
    }
    let mut sa = connect(&server, &a, &path).await;
    let mut got = Vec::new();
    for _ in 0..20 {
        let m = next(&mut sa).await;
        assert_eq!(m["history"], true);
        got.push(m["id"].as_i64().unwrap());
    }
    quiet(&mut sa).await;
    assert_eq!(got, ids[25..]);
    send(&mut sa, json!({ "msg_type": "history", "msg_id": ids[25] })).await;
    let page: Vec<i64> = {
        let mut page = Vec::new();
        for _ in 0..20 {
            page.push(next(&mut sa).await["id"].as_i64().unwrap());
        }
        page
    };
    assert_eq!(page, ids[5..25]);
    send(&mut sa, json!({ "msg_type": "history", "msg_id": ids[5] })).await;
    for id in &ids[..5] {
        let m = next(&mut sa).await;
        assert_eq!(
            (m["id"].as_i64().unwrap(), &m["history"]),
            (*id, &json!(true))
        );
    }
    quiet(&mut sa).await;
}

#[tokio::test]
async fn concurrent_senders_are_seen_in_one_order_by_everyone() {
    let server = Server::start().await;
    let (g, owner, a, b, _) = group(&server, "order").await;
    let path = format!("/chat/group?group_id={g}");
    let mut watchers = vec![
        connect(&server, &owner, &path).await,
        connect(&server, &a, &path).await,
    ];
    let senders: Vec<Socket> = vec![
        connect(&server, &a, &path).await,
        connect(&server, &b, &path).await,
        connect(&server, &owner, &path).await,
    ];
    let tasks: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(n, mut socket)| {
            tokio::spawn(async move {
                for i in 0..30 {
                    say(&mut socket, &format!("{n}-{i}")).await;
                }
                socket
            })
        })
        .collect();
    let mut sequences = Vec::new();
    for watcher in &mut watchers {
        let mut seq = Vec::new();
        for _ in 0..90 {
            seq.push(next(watcher).await["id"].as_i64().unwrap());
        }
        sequences.push(seq);
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(sequences[0], sequences[1]);
    assert!(
        sequences[0].windows(2).all(|w| w[0] < w[1]),
        "{:?}",
        sequences[0]
    );
}

#[tokio::test]
async fn bad_client_messages_get_error_frames_and_the_socket_stays_open() {
    let server = Server::start().await;
    let (g, owner, _, _, outsider) = group(&server, "strict").await;
    let mut s = connect(&server, &owner, &format!("/chat/group?group_id={g}")).await;
    let cases = [
        (json!({ "msg_type": "sticker", "content": "x" }), 405),
        (
            json!({ "msg_type": "text", "content": "x", "extra": 1 }),
            409,
        ),
        (json!({ "msg_type": "text" }), 409),
        (json!({ "msg_type": "text", "content": 3 }), 409),
        (json!({ "msg_type": "text", "content": " " }), 409),
        (
            json!({ "msg_type": "text", "content": "x", "at": [outsider.id] }),
            409,
        ),
        (json!({ "msg_type": "image", "file_id": 12345 }), 406),
        (
            json!({ "msg_type": "text", "content": "长".repeat(4001) }),
            411,
        ),
    ];
    for (message, code) in cases {
        send(&mut s, message.clone()).await;
        let frame = next(&mut s).await;
        assert_eq!(frame["code"], code, "{message}: {frame}");
        assert!(frame["errorMsg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    s.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(next(&mut s).await["code"], 409);
    s.send(Message::Binary(vec![1, 2, 3].into())).await.unwrap();
    assert_eq!(next(&mut s).await["code"], 409);
    // Still open, and nothing was stored.
    say(&mut s, &"长".repeat(4000)).await;
    let m = next(&mut s).await;
    assert_eq!(m["msg"]["content"].as_str().unwrap().chars().count(), 4000);
    send(&mut s, json!({ "msg_type": "history", "msg_id": m["id"] })).await;
    quiet(&mut s).await;
}

#[tokio::test]
async fn dismissed_groups_show_their_history_but_take_no_messages() {
    let server = Server::start().await;
    let (g, owner, a, _, _) = group(&server, "gone").await;
    let path = format!("/chat/group?group_id={g}");
    let mut s = connect(&server, &a, &path).await;
    say(&mut s, "before").await;
    next(&mut s).await;
    server
        .ok(
            "/group/internal/setting/dismiss",
            &owner.token,
            json!({ "group_id": g }),
        )
        .await;
    let mut s = connect(&server, &a, &path).await;
    assert_eq!(next(&mut s).await["msg"]["content"], "before");
    say(&mut s, "after").await;
    assert_eq!(next(&mut s).await["code"], 404);
}

#[tokio::test]
async fn private_rooms_join_two_users_and_get_chat_lists_them() {
    let server = Server::start().await;
    let me = user(&server, "pm-me").await;
    let first = user(&server, "pm-first").await;
    let second = user(&server, "pm-second").await;
    let mut to_first = connect(&server, &me, &format!("/chat/private?user_id={}", first.id)).await;
    let mut from_first =
        connect(&server, &first, &format!("/chat/private?user_id={}", me.id)).await;
    say(&mut to_first, "你好").await;
    let mine = next(&mut to_first).await;
    let theirs = next(&mut from_first).await;
    assert_eq!(mine, theirs);
    quiet(&mut from_first).await;
    // `at` is for group rooms only.
    send(
        &mut from_first,
        json!({ "msg_type": "text", "content": "x", "at": [me.id] }),
    )
    .await;
    assert_eq!(next(&mut from_first).await["code"], 409);

    // A room without messages is not listed; the newest conversation comes first.
    let _silent = connect(
        &server,
        &me,
        &format!("/chat/private?user_id={}", second.id),
    )
    .await;
    let listed = server.ok("/chat/getChat", &me.token, json!({})).await;
    assert_eq!(listed["private"].as_array().unwrap().len(), 1);
    let entry = &listed["private"][0];
    assert_eq!(entry["id"], first.id.as_str());
    assert_eq!(entry["room_id"], mine["room_id"]);
    assert_eq!(entry["star_rating"], 0.0);
    assert!(
        entry["nickname"].is_string() && entry["info"].is_string() && entry["time"].is_string()
    );
    let mut to_second = connect(
        &server,
        &me,
        &format!("/chat/private?user_id={}", second.id),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    say(&mut to_second, "后来").await;
    next(&mut to_second).await;
    let listed = server.ok("/chat/getChat", &me.token, json!({})).await;
    let order: Vec<&str> = listed["private"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(order, [second.id.as_str(), first.id.as_str()]);
    server
        .fails("/chat/getChat", None, json!({}), 113, 401)
        .await;
}

#[tokio::test]
async fn file_messages_carry_temporary_files_of_their_room() {
    let server = Server::start().await;
    let (g, owner, a, _, _) = group(&server, "filemsg").await;
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
            common::png(40, 30, 255),
            &fields,
        )
        .await;
    let file = up["file_id"].as_i64().expect("file_id");
    let path = format!("/chat/group?group_id={g}");
    let mut s = connect(&server, &a, &path).await;
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
    let mut s = connect(&server, &a, &path).await;
    let first = next(&mut s).await;
    let second = next(&mut s).await;
    assert_eq!(first["msg"]["file_id"], file);
    assert_eq!(second["msg"]["msg_type"], "file");
    assert_eq!(second["msg"]["file_info"]["name"], "notes.txt");
    assert_eq!(second["user_id"], owner.id.as_str());
}

#[tokio::test]
async fn the_server_pings_every_five_seconds() {
    let server = Server::start().await;
    let (g, owner, _, _, _) = group(&server, "ping").await;
    let mut s = connect(&server, &owner, &format!("/chat/group?group_id={g}")).await;
    // The first tick is at once; the next one within five seconds after it.
    let mut pings = 0;
    let started = std::time::Instant::now();
    while pings < 2 {
        match tokio::time::timeout(Duration::from_secs(7), s.next()).await {
            Ok(Some(Ok(Message::Ping(_)))) => pings += 1,
            Ok(Some(Ok(_))) => {}
            other => panic!("no ping: {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(4) && elapsed < Duration::from_secs(7),
        "{elapsed:?}"
    );
}
