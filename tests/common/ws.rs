//! Chat WebSocket clients, for the server and for the relays alike: handshakes (accepted, or
//! refused with a status and the JSON error envelope), reading JSON text frames with a deadline,
//! sending client messages, and reading message frames.
//!
//! Whatever is reached is named by its `ws://HOST:PORT` base (see [`ws_base`]); how long a frame
//! may take is the caller's `wait`.

use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::User;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

// ---------------------------------------------------------------------------------------------
// Handshakes
// ---------------------------------------------------------------------------------------------

/// `ws://HOST:PORT` for what listens on `http://HOST:PORT`.
pub fn ws_base(http_base: &str) -> String {
    http_base.replacen("http://", "ws://", 1)
}

pub fn group_path(group: i64) -> String {
    format!("/chat/group?group_id={group}")
}

/// Where a handshake carries a token: `header` in the `token` header, `query` appended to the
/// path as `&token=` (either, both or neither, as a client might).
#[derive(Clone, Copy, Debug, Default)]
pub struct Tokens<'a> {
    pub header: Option<&'a str>,
    pub query: Option<&'a str>,
}

/// Opens a socket on `base` (`ws://HOST:PORT`) with `tokens`. Panics when the handshake is not
/// answered within `wait`.
pub async fn open(
    base: &str,
    tokens: Tokens<'_>,
    path_and_query: &str,
    wait: Duration,
) -> Result<Socket, tungstenite::Error> {
    let mut url = format!("{base}{path_and_query}");
    if let Some(token) = tokens.query {
        url.push_str(&format!("&token={token}"));
    }
    let mut req = url.into_client_request().expect("request");
    if let Some(token) = tokens.header {
        req.headers_mut()
            .insert("token", token.parse().expect("header value"));
    }
    tokio::time::timeout(wait, tokio_tungstenite::connect_async(req))
        .await
        .unwrap_or_else(|_| panic!("{path_and_query}: no handshake answer within {wait:?}"))
        .map(|(socket, _)| socket)
}

/// Connects `who` to `base` with the token in the `token` header; the handshake must succeed.
pub async fn connect(base: &str, who: &User, path_and_query: &str, wait: Duration) -> Socket {
    let header = Some(who.token.as_str());
    open(
        base,
        Tokens {
            header,
            query: None,
        },
        path_and_query,
        wait,
    )
    .await
    .unwrap_or_else(|e| {
        panic!(
            "{base} {path_and_query}: handshake refused: {}",
            describe(e)
        )
    })
}

pub fn describe(err: tungstenite::Error) -> String {
    match err {
        tungstenite::Error::Http(res) => format!(
            "HTTP {} {}",
            res.status(),
            String::from_utf8_lossy(res.body().as_deref().unwrap_or_default())
        ),
        other => other.to_string(),
    }
}

/// A handshake on `base` that must be refused with HTTP `status` and the JSON error `code`.
pub async fn refused(
    base: &str,
    header: Option<&str>,
    query: Option<&str>,
    path_and_query: &str,
    code: u64,
    status: u16,
    wait: Duration,
) {
    match open(base, Tokens { header, query }, path_and_query, wait).await {
        Err(tungstenite::Error::Http(res)) => {
            let body = res.body().clone().unwrap_or_default();
            let value: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                panic!(
                    "{path_and_query}: non-JSON refusal {:?}",
                    String::from_utf8_lossy(&body)
                )
            });
            assert_eq!(
                (res.status().as_u16(), value["code"].as_u64()),
                (status, Some(code)),
                "{path_and_query} (header {header:?}, query {query:?}): refusal {value}"
            );
            assert!(
                value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
                "{path_and_query}: refusal without errorMsg: {value}"
            );
        }
        Err(other) => panic!("{path_and_query}: unexpected handshake error {other}"),
        Ok(_) => panic!("{path_and_query} (header {header:?}, query {query:?}) was accepted"),
    }
}

// ---------------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------------

/// What a socket (or its read half) yields next, pings and pongs skipped: a JSON text frame, or
/// `None` once it closed (a close frame, the end, or an error). Panics when nothing comes
/// within `wait`.
pub async fn next_or_closed<S>(socket: &mut S, wait: Duration) -> Option<Value>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .unwrap_or_else(|_| panic!("no frame within {wait:?}"));
        match frame {
            None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return None,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(Message::Text(text))) => {
                return Some(
                    serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON frame {text}")),
                )
            }
            Some(Ok(other)) => panic!("unexpected frame {other:?}"),
        }
    }
}

/// The next JSON text frame within `wait`; panics when the socket closes instead.
pub async fn next_json<S>(socket: &mut S, wait: Duration) -> Value
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    next_or_closed(socket, wait)
        .await
        .expect("socket closed while a frame was expected")
}

/// The next chat message, which must be live (`history: false`) and not an error frame.
pub async fn next_live<S>(socket: &mut S, wait: Duration) -> Value
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let frame = next_json(socket, wait).await;
    assert!(
        frame.get("msg").is_some(),
        "expected a chat message, got {frame}"
    );
    assert_eq!(frame["history"], false, "expected a live message: {frame}");
    frame
}

/// No text frame arrives, and the socket stays open, for `wait`; `who` names the socket when
/// something does.
pub async fn quiet(socket: &mut Socket, wait: Duration, who: &str) {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(Message::Text(text)))) => panic!("{who}: unexpected frame {text}"),
            Ok(other) => panic!("{who}: unexpected end or frame {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client messages
// ---------------------------------------------------------------------------------------------

/// Sends `text` as it is, as one text frame.
pub async fn send_raw<S>(socket: &mut S, text: &str)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    socket
        .send(Message::Text(text.to_owned().into()))
        .await
        .expect("send");
}

pub async fn send<S>(socket: &mut S, value: Value)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    send_raw(socket, &value.to_string()).await;
}

pub async fn say<S>(socket: &mut S, text: &str)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    send(socket, json!({ "msg_type": "text", "content": text })).await;
}

/// Sends a text and reads its acknowledgement (the message coming back live within `wait`);
/// returns it.
pub async fn say_acked(socket: &mut Socket, text: &str, wait: Duration) -> Value {
    say(socket, text).await;
    let echo = next_live(socket, wait).await;
    assert_eq!(echo["msg"]["content"], text, "acknowledgement: {echo}");
    echo
}

/// Asks for the page of history before message `before`.
pub async fn ask_history<S>(socket: &mut S, before: i64)
where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    send(socket, json!({ "msg_type": "history", "msg_id": before })).await;
}

// ---------------------------------------------------------------------------------------------
// Message frames
// ---------------------------------------------------------------------------------------------

pub fn id(frame: &Value) -> i64 {
    frame["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no id: {frame}"))
}

pub fn ids(frames: &[Value]) -> Vec<i64> {
    frames.iter().map(id).collect()
}

/// A message's text (empty for other kinds of message).
pub fn content(frame: &Value) -> &str {
    frame["msg"]["content"].as_str().unwrap_or_default()
}

pub fn contents(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(content).collect()
}

pub fn strictly_increasing(ids: &[i64]) -> bool {
    ids.windows(2).all(|w| w[0] < w[1])
}
