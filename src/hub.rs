//! The chat hub of the native server: WebSocket sessions on `/chat/group` and `/chat/private`,
//! one broadcast channel per room. Storing a message and publishing it happen under the room's
//! lock, so every member receives a room's messages in id order; a session that falls too far
//! behind (its channel lags, or a send stalls) is closed, and its client pages back with
//! `history` when it reconnects.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message as Frame, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::broadcast;
use tokio::time::{interval, timeout, Instant, MissedTickBehavior};
use zudui_shared::chat::live::Live;
use zudui_shared::chat::{self, ClientMessage, Target};
use zudui_shared::db::chat_messages::{Message, Room};
use zudui_shared::error::{Code, Error};
use zudui_shared::params::Params;
use zudui_shared::{accounts, routes, App, Body};

/// The server pings this often; a connection silent for [`SILENCE`] is closed.
const PING: Duration = Duration::from_secs(5);
const SILENCE: Duration = Duration::from_secs(15);
/// Live messages a session may be behind before it is closed.
const BACKLOG: usize = 1024;
/// Largest client frame, well above a 4,000-character text in escaped JSON, so that longer texts
/// get their 411 and the socket stays open; larger frames close it.
const MAX_FRAME: usize = 1 << 20;
/// A send to a client that takes longer than this closes the connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct Hub {
    rooms: Mutex<HashMap<Room, Arc<Channel>>>,
    /// Set when the server stops: every session says goodbye and ends, so that the graceful
    /// shutdown does not wait on open sockets.
    closing: tokio::sync::watch::Sender<bool>,
}

/// What a room's sessions hear.
enum Event {
    /// A stored message as every member receives it live, rendered once for all of them.
    Message { id: i64, text: Utf8Bytes },
    /// A member left the group: their sessions end.
    Left(String),
}

struct Channel {
    live: broadcast::Sender<Arc<Event>>,
    /// Held while a message is stored and published, so that publishing follows id order. No
    /// await happens under it: storing is one short transaction.
    order: Mutex<()>,
}

impl Channel {
    fn new() -> Arc<Channel> {
        Arc::new(Channel {
            live: broadcast::channel(BACKLOG).0,
            order: Mutex::new(()),
        })
    }
}

impl Hub {
    fn channel(&self, room: Room) -> Arc<Channel> {
        let mut rooms = self.rooms.lock().expect("hub lock");
        rooms.entry(room).or_insert_with(Channel::new).clone()
    }

    /// Ends every session (the server is stopping).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    /// Listens to a room. Under the map's lock, so that `release` cannot drop the channel between
    /// finding it and subscribing.
    fn subscribe(&self, room: Room) -> broadcast::Receiver<Arc<Event>> {
        let mut rooms = self.rooms.lock().expect("hub lock");
        rooms
            .entry(room)
            .or_insert_with(Channel::new)
            .live
            .subscribe()
    }

    /// Forgets a room nobody listens to any more.
    fn release(&self, room: Room) {
        let mut rooms = self.rooms.lock().expect("hub lock");
        if rooms
            .get(&room)
            .is_some_and(|c| c.live.receiver_count() == 0)
        {
            rooms.remove(&room);
        }
    }
}

impl Live for Hub {
    fn post(
        &self,
        app: &App,
        room: Room,
        store: &mut dyn FnMut() -> Result<Message, Error>,
    ) -> Result<Message, Error> {
        let channel = self.channel(room);
        let _order = channel.order.lock().expect("room order");
        let stored = store()?;
        let event = Event::Message {
            id: stored.id,
            text: chat::shaped(app, &stored, false).to_string().into(),
        };
        // No receiver is fine: the message is stored, and history will show it.
        let _ = channel.live.send(Arc::new(event));
        Ok(stored)
    }

    fn left(&self, group: i64, user: &str) {
        let channel = self
            .rooms
            .lock()
            .expect("hub lock")
            .get(&Room::Group(group))
            .cloned();
        if let Some(channel) = channel {
            let _ = channel.live.send(Arc::new(Event::Left(user.to_owned())));
        }
    }
}

/// `GET /chat/group?group_id=N` and `GET /chat/private?user_id=S` with a WebSocket upgrade. The
/// token, the room and membership are checked before the upgrade: a refusal is the contract's
/// JSON error with its HTTP status.
pub async fn connect(
    State((app, hub)): State<(Arc<App>, Arc<Hub>)>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    req: Request,
) -> Response {
    let (parts, _) = req.into_parts();
    let shared = http::Request::from_parts(parts, Body::empty());
    let opened = (|| {
        let me = accounts::authenticate(&app, &shared)?;
        let query = Params::from_query(shared.uri().query().unwrap_or_default());
        let target = match shared.uri().path() {
            "/chat/group" => Target::Group(query.id("group_id")?),
            _ => Target::Private(query.user_id("user_id")?),
        };
        let room = chat::open(&app, &me, &target)?;
        Ok::<_, Error>((me, room))
    })();
    let (me, room) = match opened {
        Ok(opened) => opened,
        Err(err) => return into_axum(routes::finish(Err(err))),
    };
    match upgrade {
        Ok(upgrade) => {
            // Listening starts, and the history is read, before the handshake is answered: what
            // was stored before the client holds its socket comes as history, everything later
            // live.
            let live = hub.subscribe(room);
            let greeting = chat::history(&app, room, &me, None);
            // Small buffers: tens of thousands of sockets are held at once, and client frames are
            // at most a few kilobytes.
            upgrade
                .read_buffer_size(4 << 10)
                .write_buffer_size(4 << 10)
                .max_message_size(MAX_FRAME)
                .max_frame_size(MAX_FRAME)
                .on_upgrade(move |socket| session(app, hub, room, me, live, greeting, socket))
                .into_response()
        }
        Err(_) => into_axum(routes::finish(Err(Error::with_message(
            Code::BadParam,
            "需要 WebSocket 连接",
        )))),
    }
}

fn into_axum(res: zudui_shared::Response) -> Response {
    let (parts, body) = res.into_parts();
    let bytes = body.as_full().cloned().unwrap_or_default();
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn session(
    app: Arc<App>,
    hub: Arc<Hub>,
    room: Room,
    me: String,
    mut live: broadcast::Receiver<Arc<Event>>,
    greeting: Result<Vec<Message>, Error>,
    socket: WebSocket,
) {
    let (mut sink, mut incoming) = socket.split();
    // Subscribed first, then the history read: a message stored in between comes both ways, and
    // the live copy of anything the history already showed is skipped.
    let mut seen = 0;
    let greeting = match greeting {
        Ok(page) => {
            seen = page.last().map_or(0, |m| m.id);
            page.iter().map(|m| chat::shaped(&app, m, true)).collect()
        }
        Err(err) => vec![error_frame(err)],
    };
    let mut open = send_all(&mut sink, greeting).await;
    let mut ping = interval(PING);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut heard = Instant::now();
    let mut closing = hub.closing.subscribe();
    while open && !*closing.borrow() {
        open = tokio::select! {
            _ = closing.changed() => false,
            _ = ping.tick() => {
                // A member removed (or leaving) while connected stops hearing the room here.
                heard.elapsed() < SILENCE
                    && app.db.run(|c| chat::still_in(c, room, &me)).is_ok()
                    && send(&mut sink, Frame::Ping(Default::default())).await
            }
            frame = incoming.next() => match frame {
                Some(Ok(frame)) => {
                    heard = Instant::now();
                    match frame {
                        Frame::Text(text) => {
                            let replies = answer(&app, room, &me, text.as_str()).await;
                            send_all(&mut sink, replies).await
                        }
                        Frame::Binary(_) => send_all(
                            &mut sink,
                            vec![error_frame(Error::with_message(Code::BadMessage, "消息应为 JSON 文本"))],
                        )
                        .await,
                        Frame::Close(_) => false,
                        Frame::Ping(_) | Frame::Pong(_) => true,
                    }
                }
                _ => false,
            },
            event = live.recv() => match event.as_deref() {
                Ok(Event::Message { id, .. }) if *id <= seen => true,
                Ok(Event::Message { id, text }) => {
                    seen = *id;
                    send(&mut sink, Frame::Text(text.clone())).await
                }
                Ok(Event::Left(user)) => *user != me,
                // Too far behind (or the room is gone): close; the client pages back on return.
                Err(_) => false,
            },
        };
    }
    let _ = sink.close().await;
    drop(live);
    hub.release(room);
}

/// The frames answering one client message: nothing for a sent message (it comes back live, once
/// stored), a page for `history`, or an error frame.
async fn answer(app: &App, room: Room, me: &str, text: &str) -> Vec<Value> {
    let outcome = match chat::client::parse(text, matches!(room, Room::Group(_))) {
        Ok(ClientMessage::History { msg_id }) => chat::history(app, room, me, Some(msg_id))
            .map(|page| page.iter().map(|m| chat::shaped(app, m, true)).collect()),
        Ok(message) => chat::post(app, room, me, &message).map(|_| Vec::new()),
        Err(err) => Err(err),
    };
    outcome.unwrap_or_else(|err| vec![error_frame(err)])
}

fn error_frame(err: Error) -> Value {
    if let Error::Internal(cause) = &err {
        log::error!("chat: internal error: {cause:#}");
    }
    err.envelope()
}

async fn send_all(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Frame>,
    frames: Vec<Value>,
) -> bool {
    for frame in frames {
        if !send(sink, Frame::Text(frame.to_string().into())).await {
            return false;
        }
    }
    true
}

async fn send(sink: &mut futures_util::stream::SplitSink<WebSocket, Frame>, frame: Frame) -> bool {
    matches!(timeout(SEND_TIMEOUT, sink.send(frame)).await, Ok(Ok(())))
}
