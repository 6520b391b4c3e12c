//! The chat over real WebSockets against the native server: handshake refusals (header and query
//! token), history on connect and on request, live delivery to every member in one order, the
//! strict client messages and their error frames, dismissed groups, in-group nicknames, private
//! rooms and `/chat/getChat`, shared group files, pings, and who may still listen to a room.

mod common;

use std::time::{Duration, Instant};

use common::paths::{chat, files, group};
use common::ws::{
    self, ask_history, contents, group_path, id, ids, next_or_closed, say, send, send_raw,
    strictly_increasing, Socket,
};
use common::{
    create_group, remove_member, share_group_file, team, upload_group_file, user, Server, User,
};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

/// How long a frame that should come may take.
const WAIT: Duration = Duration::from_secs(5);
/// How long we listen to be sure that nothing comes.
const QUIET: Duration = Duration::from_millis(400);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn private_path(other: &User) -> String {
    format!("/chat/private?user_id={}", other.id)
}

/// Connects with the token in the `token` header.
async fn connect(server: &Server, who: &User, path_and_query: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path_and_query, WAIT).await
}

/// Connects with the token as the `token` query parameter.
async fn connect_query(server: &Server, who: &User, path_and_query: &str) -> Socket {
    let base = server.ws_base();
    ws::open(&base, None, Some(&who.token), path_and_query, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{path_and_query}: handshake refused: {}", ws::describe(e)))
}

/// A handshake that must be refused with `code` and HTTP `status` and the JSON envelope;
/// `header` goes in the `token` header, `query` is appended as `&token=`.
async fn refused(
    server: &Server,
    header: Option<&str>,
    query: Option<&str>,
    path_and_query: &str,
    code: u64,
    status: u16,
) {
    let base = server.ws_base();
    ws::refused(&base, header, query, path_and_query, code, status, WAIT).await;
}

/// The next JSON text frame within [`WAIT`], skipping pings and pongs.
async fn next(socket: &mut Socket) -> Value {
    ws::next_json(socket, WAIT).await
}

/// The next `n` frames.
async fn take(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next(socket).await);
    }
    out
}

/// No text frame arrives (and the socket stays open) for [`QUIET`].
async fn quiet(socket: &mut Socket) {
    ws::quiet(socket, QUIET, "a socket that should stay quiet").await;
}

/// Everything a socket says for `wait` (pings skipped), and whether it closed.
async fn frames_for(socket: &mut Socket, wait: Duration) -> (Vec<Value>, bool) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return (frames, false),
            Ok(None | Some(Err(_)) | Some(Ok(Message::Close(_)))) => return (frames, true),
            Ok(Some(Ok(Message::Text(text)))) => {
                frames.push(serde_json::from_str(&text).expect("JSON frame"))
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Sends a text and reads its acknowledgement (the message coming back live); returns it.
async fn say_acked(socket: &mut Socket, text: &str) -> Value {
    ws::say_acked(socket, text, WAIT).await
}

/// The next frame must be the error `{"code": code, "errorMsg": ...}` and nothing else.
async fn expect_error(socket: &mut Socket, code: u64, what: &str) {
    let frame = next(socket).await;
    assert_eq!(frame["code"].as_u64(), Some(code), "{what}: {frame}");
    assert!(
        frame["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {frame}"
    );
    assert_eq!(frame.as_object().unwrap().len(), 2, "{what}: {frame}");
}

fn is_time(value: &Value) -> bool {
    value.as_str().is_some_and(|t| {
        let b = t.as_bytes();
        t.len() == 19
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'/',
                10 => *c == b' ',
                13 | 16 => *c == b':',
                _ => c.is_ascii_digit(),
            })
    })
}

/// A chat message frame with exactly the documented keys.
fn assert_message(frame: &Value, history: bool) {
    let mut keys: Vec<&str> = frame
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {frame}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["history", "id", "msg", "nickname", "room_id", "time", "user_id"],
        "{frame}"
    );
    assert!(frame["id"].as_i64().is_some_and(|i| i > 0), "{frame}");
    assert!(frame["room_id"].as_i64().is_some(), "{frame}");
    assert!(frame["user_id"].is_string(), "{frame}");
    assert!(frame["nickname"].is_string(), "{frame}");
    assert!(frame["msg"]["msg_type"].is_string(), "{frame}");
    assert!(is_time(&frame["time"]), "{frame}");
    assert_eq!(frame["history"], history, "{frame}");
}

async fn account_nickname(server: &Server, who: &User) -> String {
    server
        .ok("/user/info/text/getInfo", &who.token, json!({}))
        .await["nickname"]
        .as_str()
        .expect("nickname")
        .to_owned()
}

async fn get_chat(server: &Server, who: &User) -> Vec<Value> {
    let res = server.ok(chat::GET_CHAT, &who.token, json!({})).await;
    res["private"].as_array().expect("private").clone()
}

/// Sleeps until just after the wall clock's next whole second.
async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into = now.subsec_millis() as u64;
    tokio::time::sleep(Duration::from_millis(1000 - into + 20)).await;
}

// ---------------------------------------------------------------------------------------------
// Handshake
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn handshake_refusals_are_json_errors_with_their_status() {
    let server = Server::start().await;
    let (g, users) = team(&server, "hs", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let outsider = user(&server, "hs-outsider").await;
    let path = group_path(g);

    // Token: missing or empty is 113, a bad one 112, in the header or the query.
    refused(&server, None, None, &path, 113, 401).await;
    refused(&server, Some(""), None, &path, 113, 401).await;
    refused(&server, Some("   "), None, &path, 113, 401).await;
    refused(&server, None, Some(""), &path, 113, 401).await;
    refused(&server, Some("not-a-token"), None, &path, 112, 401).await;
    refused(&server, None, Some("not-a-token"), &path, 112, 401).await;
    refused(&server, Some("a.b.c"), None, &path, 112, 401).await;
    refused(&server, None, None, &private_path(member), 113, 401).await;
    refused(
        &server,
        Some("not-a-token"),
        None,
        &private_path(member),
        112,
        401,
    )
    .await;

    // Rooms: unknown group 402 (404), not a member 403 (403), either way the token carries.
    for (header, query) in [
        (Some(owner.token.as_str()), None),
        (None, Some(owner.token.as_str())),
    ] {
        refused(
            &server,
            header,
            query,
            "/chat/group?group_id=987654",
            402,
            404,
        )
        .await;
    }
    for (header, query) in [
        (Some(outsider.token.as_str()), None),
        (None, Some(outsider.token.as_str())),
    ] {
        refused(&server, header, query, &path, 403, 403).await;
    }
    // A missing or malformed group id is a parameter error.
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/group?group_id=abc",
        101,
        400,
    )
    .await;
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/group?x=1",
        101,
        400,
    )
    .await;

    // Private: unknown user or oneself is 401 (404).
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/private?user_id=nobody-here",
        401,
        404,
    )
    .await;
    refused(
        &server,
        Some(&owner.token),
        None,
        &private_path(owner),
        401,
        404,
    )
    .await;
    refused(
        &server,
        None,
        Some(&owner.token),
        &private_path(owner),
        401,
        404,
    )
    .await;

    // And the members themselves get in, with either form of token.
    let mut a = connect(&server, owner, &path).await;
    let mut b = connect_query(&server, member, &path).await;
    let mut c = connect_query(&server, member, &private_path(owner)).await;
    quiet(&mut a).await;
    quiet(&mut b).await;
    quiet(&mut c).await;
}

#[tokio::test]
async fn plain_get_without_upgrade_is_101() {
    let server = Server::start().await;
    let (g, users) = team(&server, "get", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    for path in [group_path(g), private_path(member)] {
        let res = server
            .client
            .get(server.url(&path))
            .header("token", &owner.token)
            .send()
            .await
            .expect("get");
        let status = res.status().as_u16();
        let value: Value = res.json().await.expect("JSON answer");
        assert_eq!(
            (status, value["code"].as_u64()),
            (400, Some(101)),
            "{path}: {value}"
        );
        assert!(
            value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
            "{value}"
        );
    }
    // The token is still checked first.
    let res = server
        .client
        .get(server.url(&group_path(g)))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let value: Value = res.json().await.expect("JSON answer");
    assert_eq!(
        (status, value["code"].as_u64()),
        (401, Some(113)),
        "{value}"
    );
}

#[tokio::test]
async fn header_and_query_tokens_open_the_same_room() {
    let server = Server::start().await;
    let (g, users) = team(&server, "tok", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let mut by_header = connect(&server, owner, &group_path(g)).await;
    let mut by_query = connect_query(&server, member, &group_path(g)).await;
    // An empty room says nothing on connect.
    quiet(&mut by_header).await;
    quiet(&mut by_query).await;

    say(&mut by_query, "从查询参数来").await;
    let seen_by_sender = next(&mut by_query).await;
    let seen_by_other = next(&mut by_header).await;
    assert_eq!(seen_by_sender, seen_by_other);
    assert_eq!(seen_by_sender["user_id"], member.id.as_str());
    assert_eq!(seen_by_sender["room_id"], g);

    say(&mut by_header, "从请求头来").await;
    let a = next(&mut by_header).await;
    let b = next(&mut by_query).await;
    assert_eq!(a, b);
    assert_eq!(a["user_id"], owner.id.as_str());
    assert!(id(&a) > id(&seen_by_sender));
}

// ---------------------------------------------------------------------------------------------
// Messages, history
// ---------------------------------------------------------------------------------------------

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
    let mut keys: Vec<&str> = frame["msg"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
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
    let group_file = upload_group_file(&server, owner, g, "p.png", common::png(8, 8, 255)).await;
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

// ---------------------------------------------------------------------------------------------
// Private rooms and /chat/getChat
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn private_room_is_made_on_first_contact_and_shared_by_both() {
    let server = Server::start().await;
    let a = user(&server, "priv-a").await;
    let b = user(&server, "priv-b").await;
    let c = user(&server, "priv-c").await;

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
    let a = user(&server, "gc-a").await;
    let b = user(&server, "gc-b").await;
    let c = user(&server, "gc-c").await;
    let d = user(&server, "gc-d").await;
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
    let mut keys: Vec<&str> = entry
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
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
    let a = user(&server, "gs-a").await;
    let b = user(&server, "gs-b").await;
    let c = user(&server, "gs-c").await;
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
    let pic = upload_group_file(&server, member, g, "合影.png", common::png(20, 10, 255)).await;
    let doc = upload_group_file(
        &server,
        owner,
        g,
        "notes.txt",
        b"plain text notes\n".repeat(10),
    )
    .await;
    share_group_file(&server, member, g, pic).await;
    share_group_file(&server, owner, g, doc).await;
    let listed = server
        .ok(files::GET_DIR, &owner.token, json!({ "group_id": g }))
        .await["files"]
        .as_array()
        .expect("files")
        .clone();

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
        let mut keys: Vec<&str> = info
            .as_object()
            .expect("file_info")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
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
    let file = upload_group_file(&server, member, g, "live.png", common::png(4, 4, 255)).await;
    share_group_file(&server, member, g, file).await;
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

// ---------------------------------------------------------------------------------------------
// Pings, order under concurrency, membership
// ---------------------------------------------------------------------------------------------

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
    refused(&server, Some(&kicked.token), None, &group_path(g), 403, 403).await;

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
            common::png(40, 30, 255),
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
