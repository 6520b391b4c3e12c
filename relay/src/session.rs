//! WebSocket sessions on `/chat/group?group_id=N` and `/chat/private?user_id=S`: the handshake
//! (token, room, membership), the newest page of history, then live messages, client frames and
//! pings until either side goes away. A session that falls too far behind (its channel lags, or
//! a send stalls) is closed; its client pages back with `history` when it reconnects.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message as Frame, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use http::request::Parts;
use tokio::time::{interval, timeout, Instant, MissedTickBehavior};
use zudui_shared::accounts;
use zudui_shared::chat::live::Posted;
use zudui_shared::chat::relay::Opened;
use zudui_shared::chat::{self, ClientMessage, Target};
use zudui_shared::content::Checked;
use zudui_shared::db::chat_messages::Room;
use zudui_shared::error::{Code, Error, Result};
use zudui_shared::ids::{MessageId, UserId};
use zudui_shared::metrics;
use zudui_shared::params::Params;
use zudui_shared::routes::chat::{GroupRoom, PrivateRoom, GROUP_SOCKET, PRIVATE_SOCKET};

use crate::backend::Backend;
use crate::hub::{Delivery, Hub, Listener, Origin};

/// The server pings this often; a connection silent for [`SILENCE`] is closed.
const PING: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_secs(15);
/// Largest client message a socket takes in: twice the frame limit, so that a frame a little
/// over it gets its 411 and the socket stays open, while each socket holds at most this much of
/// a message being received; larger ones close it (1009).
const MAX_FRAME: usize = 2 * chat::client::FRAME_LIMIT;
/// A send to a client that takes longer than this closes the connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What the chat routes share: the chat logic and the live rooms.
#[derive(Clone)]
pub struct Chat {
    pub backend: Arc<dyn Backend>,
    pub hub: Arc<Hub>,
}

impl Chat {
    /// The hub fills gaps from `backend`.
    pub fn new(backend: Arc<dyn Backend>, hub: Arc<Hub>) -> Chat {
        hub.fill_from(&backend);
        Chat { backend, hub }
    }

    /// [`SOCKET_PATHS`].
    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> axum::Router<S> {
        // Other methods get the contract's 103, not axum's bare 405.
        let wrong_method = || async { error_response(Error::WrongMethod { allow: "GET" }) };
        let connect = axum::routing::get(connect)
            .fallback(wrong_method)
            .with_state(self);
        axum::Router::new()
            .route(GROUP_SOCKET.path, connect.clone())
            .route(PRIVATE_SOCKET.path, connect)
    }
}

/// Where clients open their chat sockets (`zudui_shared::routes::chat::SOCKETS`).
pub const SOCKET_PATHS: [&str; 2] = [GROUP_SOCKET.path, PRIVATE_SOCKET.path];

/// The handshake. The token, the room and membership are checked before the upgrade: a refusal
/// is the contract's JSON error with its HTTP status.
async fn connect(
    State(chat): State<Chat>,
    upgrade: std::result::Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    req: Request,
) -> Response {
    // Only the head: a request body is not `Sync`, and the handshake has none.
    let (head, _) = req.into_parts();
    let (me, Opened { room, openid }) = match open(&chat, &head).await {
        Ok(opened) => opened,
        Err(err) => return error_response(err),
    };
    let Ok(upgrade) = upgrade else {
        return error_response(Error::with_message(Code::BadParam, "需要 WebSocket 连接"));
    };
    // Listening starts, and the history is read, before the handshake is answered: what was
    // stored before the client holds its socket comes as history, everything later live.
    let live = chat.hub.join(room).await;
    // Without history the live stream has no start: the handshake is refused (the client
    // retries), rather than opening a socket that would never hear the room.
    let greeting = match chat.backend.history(room, &me, None).await {
        Ok(page) => page,
        Err(err) => return error_response(err),
    };
    chat.hub.start(
        room,
        greeting.last().map_or(MessageId::BEFORE_FIRST, |m| m.id),
    );
    // Small buffers: tens of thousands of sockets are held at once, and client frames are at
    // most a few kilobytes.
    upgrade
        .read_buffer_size(4 << 10)
        .write_buffer_size(4 << 10)
        .max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_upgrade(move |socket| {
            let who = Sender { me, openid };
            session(chat, room, who, live, greeting, socket)
        })
        .into_response()
}

/// Who holds a socket: the user, and their openid for WeChat's checks of what they write.
struct Sender {
    me: UserId,
    openid: String,
}

async fn open(chat: &Chat, req: &Parts) -> Result<(UserId, Opened)> {
    let token = accounts::token_in(&req.headers, req.uri.query())
        .ok_or_else(|| Error::new(Code::TokenMissing))?;
    let me = chat.backend.authenticate(&token).await?;
    let query = Params::from_query(req.uri.query().unwrap_or_default());
    let target = match req.uri.path() {
        path if path == GROUP_SOCKET.path => Target::Group(query.typed::<GroupRoom>()?.group_id),
        // The only other route to here.
        _ => Target::Private(query.typed::<PrivateRoom>()?.user_id.required("user_id")?),
    };
    let opened = chat.backend.open(&me, &target).await?;
    Ok((me, opened))
}

fn error_response(err: Error) -> Response {
    log_internal(&err);
    let body = axum::body::Body::from(err.envelope().to_string());
    let mut res = Response::builder().status(err.status()).header(
        http::header::CONTENT_TYPE,
        "application/json; charset=utf-8",
    );
    if let Some((name, value)) = err.headers() {
        res = res.header(name, value);
    }
    res.body(body).expect("a static response")
}

fn log_internal(err: &Error) {
    if let Error::Internal(cause) = err {
        log::error!("chat: internal error: {cause:#}");
    }
}

async fn session(
    chat: Chat,
    room: Room,
    who: Sender,
    mut live: Listener,
    greeting: Vec<Posted>,
    socket: WebSocket,
) {
    let _open = metrics::chat_session();
    let (mut sink, mut incoming) = socket.split();
    // Subscribed first, then the history read: a message stored in between comes both ways, and
    // the live copy of anything the history already showed is skipped.
    let mut seen = greeting.last().map_or(MessageId::BEFORE_FIRST, |m| m.id);
    let greeting: Vec<String> = greeting.into_iter().map(|m| m.frame).collect();
    metrics::chat_frames_out(greeting.len());
    let mut open = send_all(&mut sink, greeting).await;
    let mut ping = interval(PING);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    let mut closing = chat.hub.closing();
    while open && !*closing.borrow() {
        open = tokio::select! {
            _ = closing.changed() => false,
            _ = ping.tick() => {
                heard.elapsed() < SILENCE && send(&mut sink, Frame::Ping(Default::default())).await
            }
            frame = incoming.next() => match frame {
                Some(Ok(frame)) => {
                    heard = Instant::now();
                    if matches!(frame, Frame::Text(_) | Frame::Binary(_)) {
                        metrics::chat_frame_in();
                    }
                    match frame {
                        Frame::Text(text) => {
                            let replies = answer(&chat, room, &who, text.as_str(), seen).await;
                            send_all(&mut sink, replies).await
                        }
                        Frame::Binary(_) => {
                            // It costs a chat token like any message, then it is refused.
                            let refusal = match chat.backend.admit(&who.me) {
                                Err(limited) => limited,
                                Ok(()) => Error::with_message(Code::BadMessage, "消息应为 JSON 文本"),
                            };
                            send_all(&mut sink, vec![error_frame(refusal)]).await
                        }
                        Frame::Close(_) => false,
                        Frame::Ping(_) | Frame::Pong(_) => true,
                    }
                }
                _ => false,
            },
            delivery = live.recv() => match delivery.as_deref() {
                Ok(Delivery::Message { id, .. }) if *id <= seen => true,
                Ok(Delivery::Message { id, text }) => {
                    seen = *id;
                    metrics::chat_frames_out(1);
                    send(&mut sink, Frame::Text(text.clone())).await
                }
                Ok(Delivery::Left(user)) => *user != who.me,
                // Too far behind (or the room is gone): close; the client pages back on return.
                Err(_) => false,
            },
        };
    }
    let _ = sink.close().await;
}

/// The frames answering one client message: nothing for a sent message (it comes back live, once
/// stored), a page for `history`, or an error frame. A repeated send (its `client_msg_id` names
/// a stored message) that this socket was already given, live or in its greeting (`seen`), gets
/// that message again as its acknowledgement; otherwise it comes live like any other.
async fn answer(chat: &Chat, room: Room, who: &Sender, text: &str, seen: MessageId) -> Vec<String> {
    let me = &who.me;
    let parsed = chat
        .backend
        .admit(me)
        .and_then(|()| chat::client::parse(text, matches!(room, Room::Group(_))));
    let outcome = match parsed {
        Ok(ClientMessage::History { msg_id }) => chat
            .backend
            .history(room, me, Some(MessageId(msg_id)))
            .await
            .map(|page| page.into_iter().map(|m| m.frame).collect()),
        Ok(message) => match post_judged(chat, room, who, text, &message).await {
            Ok(posted) => {
                // Only a repeat has an id this socket has seen: a new message's is the largest.
                let acknowledgement = (posted.id <= seen).then(|| posted.frame.clone());
                // A repeat is published again: its first sending may have been stored but never
                // delivered (its relay died); the rooms drop what they delivered already.
                chat.hub.accept(
                    zudui_shared::chat::live::Event::Message(posted),
                    Origin::Here,
                );
                Ok(acknowledgement.into_iter().collect())
            }
            Err(err) => Err(err),
        },
        Err(err) => Err(err),
    };
    outcome.unwrap_or_else(|err| vec![error_frame(err)])
}

/// Posts a message; its text is judged with WeChat first (106 or 107 refuse it, unstored).
async fn post_judged(
    chat: &Chat,
    room: Room,
    who: &Sender,
    frame: &str,
    message: &ClientMessage,
) -> Result<Posted> {
    let checked = match message {
        ClientMessage::Send {
            content: Some(content),
            ..
        } => {
            chat.backend
                .check_text(&who.me, &who.openid, content)
                .await?
        }
        _ => Checked::PASSED,
    };
    chat.backend
        .post(room, &who.me, frame, message, checked)
        .await
}

fn error_frame(err: Error) -> String {
    log_internal(&err);
    err.envelope().to_string()
}

async fn send_all(sink: &mut SplitSink<WebSocket, Frame>, frames: Vec<String>) -> bool {
    for frame in frames {
        if !send(sink, Frame::Text(frame.into())).await {
            return false;
        }
    }
    true
}

async fn send(sink: &mut SplitSink<WebSocket, Frame>, frame: Frame) -> bool {
    matches!(timeout(SEND_TIMEOUT, sink.send(frame)).await, Ok(Ok(())))
}
