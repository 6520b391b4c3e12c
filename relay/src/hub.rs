//! The rooms that have connected members here: one broadcast channel per room, fed in id order
//! by the room's [`Sequencer`]. Messages come from this host (sessions' posts, the host's own
//! publishing), from other instances through the [`Bus`], and from storage when a gap is filled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, watch};
use zudui_shared::chat::live::{Event, Live, Posted};
use zudui_shared::db::chat_messages::Room;

use crate::backend::Backend;
use crate::bus::Bus;
use crate::sequencer::Sequencer;

/// Live messages a session may be behind before it is closed (it pages back on return).
pub const BACKLOG: usize = 1024;
/// How long messages wait behind a gap before storage is asked for the missing ones: enough for
/// a message published a little late by another instance to arrive by itself.
const GAP_WAIT: Duration = Duration::from_millis(200);
/// Tries to fill one gap from storage before giving up on it.
const GAP_TRIES: u32 = 5;
/// How long a session waits for the bus to confirm its room's subscription.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(3);

/// What a room's sessions hear.
pub enum Delivery {
    /// A stored message, rendered once for every member.
    Message { id: i64, text: Utf8Bytes },
    /// A member left the group: their sessions end.
    Left(String),
}

/// Where an event comes from: events of this host go to the other instances too.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Here,
    Bus,
    Storage,
}

/// A session's place in a room; the room is forgotten when its last listener goes.
pub struct Listener {
    live: Option<broadcast::Receiver<Arc<Delivery>>>,
    hub: Weak<Hub>,
    room: Room,
}

impl Listener {
    /// The next delivery; an error when the session fell too far behind.
    pub async fn recv(&mut self) -> Result<Arc<Delivery>, broadcast::error::RecvError> {
        match self.live.as_mut() {
            Some(live) => live.recv().await,
            None => Err(broadcast::error::RecvError::Closed),
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.live = None;
        if let Some(hub) = self.hub.upgrade() {
            hub.leave(self.room);
        }
    }
}

struct RoomState {
    live: broadcast::Sender<Arc<Delivery>>,
    order: Mutex<Sequencer>,
    /// A gap fill is running.
    filling: AtomicBool,
    /// The bus confirmed the room's subscription (always true without a bus).
    subscribed: watch::Sender<bool>,
}

pub struct Hub {
    me: Weak<Hub>,
    rooms: Mutex<HashMap<Room, Arc<RoomState>>>,
    bus: Option<Bus>,
    /// Where gaps are filled from. Weak: the backend (the native server's app) may own the hub.
    backend: OnceLock<Weak<dyn Backend>>,
    /// Set when the server stops: every session says goodbye and ends.
    closing: watch::Sender<bool>,
}

impl Hub {
    /// A hub on its own, or sharing rooms with other instances through Redis at `redis`. Must be
    /// called inside a tokio runtime when `redis` is given.
    pub fn new(redis: Option<redis::Client>) -> Arc<Hub> {
        Arc::new_cyclic(|hub: &Weak<Hub>| Hub {
            me: hub.clone(),
            rooms: Mutex::default(),
            bus: redis.map(|client| Bus::spawn(client, hub.clone())),
            backend: OnceLock::new(),
            closing: watch::Sender::new(false),
        })
    }

    /// Where gaps are filled from; set once.
    pub fn fill_from(&self, backend: &Arc<dyn Backend>) {
        let _ = self.backend.set(Arc::downgrade(backend));
    }

    /// Ends every session (the server is stopping).
    pub fn close_all(&self) {
        self.closing.send_replace(true);
    }

    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    /// Starts listening to `room`: live messages from now on. With a bus, returns once the
    /// room's channel is subscribed (or after a short wait when Redis does not answer), so that
    /// nothing published after the caller reads history can be missed.
    pub async fn join(&self, room: Room) -> Listener {
        let (listener, mut subscribed) = {
            let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
            let state = rooms.entry(room).or_insert_with(|| {
                let (subscribed, _) = watch::channel(self.bus.is_none());
                if let Some(bus) = &self.bus {
                    // Queued under the lock, so the bus sees subscriptions in the map's order.
                    bus.subscribe(room, subscribed.clone());
                }
                Arc::new(RoomState {
                    live: broadcast::channel(BACKLOG).0,
                    order: Mutex::default(),
                    filling: AtomicBool::new(false),
                    subscribed,
                })
            });
            (state.live.subscribe(), state.subscribed.subscribe())
        };
        let confirmed = tokio::time::timeout(SUBSCRIBE_WAIT, subscribed.wait_for(|s| *s)).await;
        if !matches!(confirmed, Ok(Ok(_))) {
            log::warn!("chat: {} is not subscribed on Redis yet", room.key());
        }
        Listener {
            live: Some(listener),
            hub: self.me.clone(),
            room,
        }
    }

    /// Starts the room's live stream after `last`, the newest message its first session read
    /// from storage. Later calls change nothing.
    pub fn start(&self, room: Room, last: i64) {
        if let Some(state) = self.room(room) {
            self.sequence(room, &state, |order| order.start(last));
        }
    }

    /// Forgets a room once nobody here listens to it.
    fn leave(&self, room: Room) {
        let mut rooms = self.rooms.lock().unwrap_or_else(PoisonError::into_inner);
        if rooms
            .get(&room)
            .is_some_and(|c| c.live.receiver_count() == 0)
        {
            rooms.remove(&room);
            if let Some(bus) = &self.bus {
                bus.unsubscribe(room);
            }
        }
    }

    /// Takes an event: delivers it to this host's sessions of its room, and, when it happened
    /// here, to the other instances.
    pub fn accept(&self, event: Event, origin: Origin) {
        if origin == Origin::Here {
            if let Some(bus) = &self.bus {
                bus.publish(&event);
            }
        }
        match event {
            Event::Message(posted) => self.offer(posted),
            Event::Left { group_id, user_id } => {
                if let Some(state) = self.room(Room::Group(group_id)) {
                    let _ = state.live.send(Arc::new(Delivery::Left(user_id)));
                }
            }
        }
    }

    /// Takes an event of this host and returns once the other instances are sure to see it
    /// before anything published later (Redis has it), or after a short wait when Redis does
    /// not answer. A member removed this way is gone from every instance before the next
    /// message anyone sends.
    pub async fn accept_confirmed(&self, event: Event) {
        let confirmed = self.bus.as_ref().map(|bus| bus.publish_confirmed(&event));
        self.accept(event, Origin::Bus);
        if let Some(confirmed) = confirmed {
            if !matches!(
                tokio::time::timeout(SUBSCRIBE_WAIT, confirmed).await,
                Ok(Ok(()))
            ) {
                log::warn!("chat: Redis did not confirm an event");
            }
        }
    }

    /// Checks every room for messages missed while the bus was away.
    pub(crate) fn recheck_all(&self) {
        let rooms: Vec<(Room, Arc<RoomState>)> = self
            .rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(room, state)| (*room, state.clone()))
            .collect();
        for (room, state) in rooms {
            self.fill(room, &state, true);
        }
    }

    fn room(&self, room: Room) -> Option<Arc<RoomState>> {
        self.rooms
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&room)
            .cloned()
    }

    fn offer(&self, posted: Posted) {
        let room = posted.room;
        if let Some(state) = self.room(room) {
            self.sequence(room, &state, |order| order.offer(posted));
        }
    }

    /// Runs `step` on the room's sequencer and sends what it releases, all under the room's
    /// order lock, so that deliveries never interleave; starts a fill when a gap remains.
    fn sequence(
        &self,
        room: Room,
        state: &Arc<RoomState>,
        step: impl FnOnce(&mut Sequencer) -> Vec<Posted>,
    ) {
        let gap = {
            let mut order = state.order.lock().unwrap_or_else(PoisonError::into_inner);
            for posted in step(&mut order) {
                let delivery = Delivery::Message {
                    id: posted.id,
                    text: posted.frame.into(),
                };
                // No receiver is fine: the message is stored, and history shows it.
                let _ = state.live.send(Arc::new(delivery));
            }
            order.gap().is_some()
        };
        if gap {
            self.fill(room, state, false);
        }
    }

    /// Reads what is missing from storage, after a short wait for it to arrive by itself,
    /// unless a fill is running. With `check`, looks for messages after the last one delivered
    /// even when no gap is known (the bus was away and may have lost some).
    fn fill(&self, room: Room, state: &Arc<RoomState>, check: bool) {
        let Some(backend) = self.backend.get().and_then(Weak::upgrade) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if state.filling.swap(true, Ordering::AcqRel) {
            return;
        }
        let (state, hub) = (state.clone(), self.me.clone());
        runtime.spawn(async move {
            let mut check = check;
            if !check {
                tokio::time::sleep(GAP_WAIT).await;
            }
            let mut failures = 0;
            loop {
                let after = {
                    let order = state.order.lock().unwrap_or_else(PoisonError::into_inner);
                    if check {
                        order.last()
                    } else {
                        order.gap()
                    }
                };
                let (Some(after), Some(hub)) = (after, hub.upgrade()) else {
                    break;
                };
                match backend.after(room, after).await {
                    Ok(page) if page.is_empty() && check => break,
                    Ok(page) if !page.is_empty() => {
                        for posted in page {
                            hub.accept(Event::Message(posted), Origin::Storage);
                        }
                        check = false;
                        continue;
                    }
                    Ok(_) => log::warn!("chat: {} has a gap storage cannot fill", room.key()),
                    Err(err) => log::warn!("chat: filling a gap in {}: {err}", room.key()),
                }
                failures += 1;
                if failures >= GAP_TRIES {
                    hub.sequence(room, &state, Sequencer::skip_gap);
                    break;
                }
                tokio::time::sleep(GAP_WAIT * failures).await;
            }
            state.filling.store(false, Ordering::Release);
            // A gap that opened while this fill was finishing gets its own.
            let gap = state
                .order
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .gap()
                .is_some();
            if let (true, Some(hub)) = (gap, hub.upgrade()) {
                hub.fill(room, &state, false);
            }
        });
    }
}

/// The host's own events (a shared file, a member removed) reach the sessions through the hub.
impl Live for Hub {
    fn publish(&self, event: Event) {
        self.accept(event, Origin::Here);
    }
}
