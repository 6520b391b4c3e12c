//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::{chat, group};
pub use crate::common::ws::{
    self, ask_history, contents, group_path, id, ids, next_or_closed, say, send, send_raw,
    strictly_increasing, Socket,
};
pub use crate::common::{create_group, remove_member, sorted_keys, team, user, Server, User};
pub use futures_util::{SinkExt, StreamExt};
pub use serde_json::{json, Value};
pub use std::time::{Duration, Instant};
pub use tokio_tungstenite::tungstenite::Message;

/// How long a frame that should come may take.
pub const WAIT: Duration = Duration::from_secs(5);
/// How long we listen to be sure that nothing comes.
pub const QUIET: Duration = Duration::from_millis(400);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Users signed in as `{prefix}-{name}`, one for each name.
pub async fn users<const N: usize>(server: &Server, prefix: &str, names: [&str; N]) -> [User; N] {
    let mut out = Vec::with_capacity(N);
    for name in names {
        out.push(user(server, &format!("{prefix}-{name}")).await);
    }
    out.try_into()
        .unwrap_or_else(|_| unreachable!("one user a name"))
}

pub fn private_path(other: &User) -> String {
    format!("/chat/private?user_id={}", other.id)
}

/// Connects with the token in the `token` header.
pub async fn connect(server: &Server, who: &User, path_and_query: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path_and_query, WAIT).await
}

/// Connects with the token as the `token` query parameter.
pub async fn connect_query(server: &Server, who: &User, path_and_query: &str) -> Socket {
    let base = server.ws_base();
    let token = ws::Tokens {
        header: None,
        query: Some(&who.token),
    };
    ws::open(&base, token, path_and_query, WAIT)
        .await
        .unwrap_or_else(|e| panic!("{path_and_query}: handshake refused: {}", ws::describe(e)))
}

/// The next JSON text frame within [`WAIT`], skipping pings and pongs.
pub async fn next(socket: &mut Socket) -> Value {
    ws::next_json(socket, WAIT).await
}

/// The next `n` frames.
pub async fn take(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(next(socket).await);
    }
    out
}

/// No text frame arrives (and the socket stays open) for [`QUIET`].
pub async fn quiet(socket: &mut Socket) {
    ws::quiet(socket, QUIET, "a socket that should stay quiet").await;
}

/// Everything a socket says for `wait` (pings skipped), and whether it closed.
pub async fn frames_for(socket: &mut Socket, wait: Duration) -> (Vec<Value>, bool) {
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
pub async fn say_acked(socket: &mut Socket, text: &str) -> Value {
    ws::say_acked(socket, text, WAIT).await
}

/// The next frame must be the error `{"code": code, "errorMsg": ...}` and nothing else.
pub async fn expect_error(socket: &mut Socket, code: u64, what: &str) {
    let frame = next(socket).await;
    assert_eq!(frame["code"].as_u64(), Some(code), "{what}: {frame}");
    assert!(
        frame["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{what}: {frame}"
    );
    assert_eq!(frame.as_object().unwrap().len(), 2, "{what}: {frame}");
}

pub fn is_time(value: &Value) -> bool {
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
pub fn assert_message(frame: &Value, history: bool) {
    let keys = sorted_keys(frame);
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

pub async fn account_nickname(server: &Server, who: &User) -> String {
    server
        .ok("/user/info/text/getInfo", &who.token, json!({}))
        .await["nickname"]
        .as_str()
        .expect("nickname")
        .to_owned()
}

pub async fn get_chat(server: &Server, who: &User) -> Vec<Value> {
    let res = server.ok(chat::GET_CHAT, &who.token, json!({})).await;
    res["private"].as_array().expect("private").clone()
}

/// Sleeps until just after the wall clock's next whole second.
pub async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into = now.subsec_millis() as u64;
    tokio::time::sleep(Duration::from_millis(1000 - into + 20)).await;
}
