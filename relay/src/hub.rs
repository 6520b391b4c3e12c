//! The rooms that have connected members here: one broadcast channel per room, fed in id order
//! by the room's [`Sequencer`]. Messages come from this host (sessions' posts, the host's own
//! publishing), from other instances through the [`Bus`], and from storage when a gap is filled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, watch, Semaphore};
use zudui_shared::chat::live::{Event, Live, Posted};
use zudui_shared::chat::AFTER_PAGE;
use zudui_shared::db::chat_messages::Room;
use zudui_shared::ids::{MessageId, UserId};

use crate::backend::Backend;
use crate::bus::Bus;
use crate::sequencer::Sequencer;

/// Live messages a session may be behind before it is closed (it pages back on return).
pub const BACKLOG: usize = 1024;
/// How long messages wait behind a gap before storage is asked for the missing ones: enough for
/// a message published a little late by another instance to arrive by itself.
const GAP_WAIT: Duration = Duration::from_millis(200);
/// Reads of storage that do not close a gap before it is given up (about 3 s in all, each
/// wait twice the one before): storage answers, but without the missing messages.
const GAP_TRIES: u32 = 5;
/// How long a fill keeps trying while storage cannot be reached (the backend restarting), and
/// the longest wait between two tries.
const STORAGE_PATIENCE: Duration = Duration::from_secs(30);
const LONGEST_WAIT: Duration = Duration::from_secs(5);
/// Storage reads of fills under way at once: after Redis returns every room checks at once, and
/// the backend takes them a few at a time.
const CONCURRENT_READS: usize = 8;
/// How long a session waits for the bus to confirm its room's subscription.
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(3);

/// What a room's sessions hear.
pub enum Delivery {
    /// A stored message, rendered once for every member.
    Message { id: MessageId, text: Utf8Bytes },
    /// A member left the group: their sessions end.
    Left(UserId),
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
    /// Messages may have been missed (the bus was away): the next fill checks for them.
    recheck: AtomicBool,
    /// The bus confirmed the room's subscription (always true without a bus).
    subscribed: watch::Sender<bool>,
}

pub struct Hub {
    me: Weak<Hub>,
    rooms: Mutex<HashMap<Room, Arc<RoomState>>>,
    bus: Option<Bus>,
    /// Where gaps are filled from. Weak: the backend (the native server's app) may own the hub.
    backend: OnceLock<Weak<dyn Backend>>,
    /// Permits for the fills' storage reads ([`CONCURRENT_READS`]).
    reads: Arc<Semaphore>,
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
            reads: Arc::new(Semaphore::new(CONCURRENT_READS)),
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
                    recheck: AtomicBool::new(false),
                    subscribed,
                })
            });
            let listening = (state.live.subscribe(), state.subscribed.subscribe());
            zudui_shared::metrics::chat_rooms(rooms.len());
            listening
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
    pub fn start(&self, room: Room, last: MessageId) {
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
            zudui_shared::metrics::chat_rooms(rooms.len());
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
    /// unless a fill is running (with `check`, that fill checks too). With `check`, pages through
    /// the messages after the last one delivered even when no gap is known (the bus was away
    /// and may have lost some), until a page reaches the newest message. Each page goes to the
    /// state being filled; the fill ends when that state is gone (nobody here listens to the
    /// room any more). It gives the gap up after [`GAP_TRIES`] reads without progress, or when
    /// storage has not answered for [`STORAGE_PATIENCE`].
    fn fill(&self, room: Room, state: &Arc<RoomState>, check: bool) {
        let Some(backend) = self.backend.get().and_then(Weak::upgrade) else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if check {
            state.recheck.store(true, Ordering::Release);
        }
        if state.filling.swap(true, Ordering::AcqRel) {
            return;
        }
        let (state, hub, reads) = (state.clone(), self.me.clone(), self.reads.clone());
        runtime.spawn(async move {
            if !check {
                tokio::time::sleep(GAP_WAIT).await;
            }
            let mut check = false;
            // Consecutive tries without progress, and of those, the reads that answered.
            let (mut tries, mut answered) = (0, 0);
            let mut unreachable_since = None;
            loop {
                let Some(hub) = hub.upgrade().filter(|hub| hub.is_current(room, &state)) else {
                    break;
                };
                check |= state.recheck.swap(false, Ordering::AcqRel);
                let after = {
                    let order = state.order.lock().unwrap_or_else(PoisonError::into_inner);
                    if check {
                        order.last()
                    } else {
                        order.gap()
                    }
                };
                let Some(after) = after else {
                    break;
                };
                let read = {
                    let _permit = reads.acquire().await;
                    backend.after(room, after).await
                };
                let (progressed, newest) = match read {
                    Ok(page) => {
                        unreachable_since = None;
                        answered += 1;
                        let newest = page.len() < AFTER_PAGE;
                        hub.sequence(room, &state, |order| {
                            page.into_iter().flat_map(|p| order.offer(p)).collect()
                        });
                        let last = state
                            .order
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .last();
                        (last > Some(after), newest)
                    }
                    Err(err) => {
                        log::warn!("chat: reading {} after {after}: {err}", room.key());
                        unreachable_since.get_or_insert_with(tokio::time::Instant::now);
                        (false, false)
                    }
                };
                if check && newest {
                    // Checked up to the newest message; a gap left is filled as any other.
                    check = false;
                    continue;
                }
                if progressed {
                    (tries, answered) = (0, 0);
                    continue;
                }
                tries += 1;
                let impatient = unreachable_since.is_some_and(|t| t.elapsed() >= STORAGE_PATIENCE);
                if answered >= GAP_TRIES || impatient {
                    log::warn!("chat: {} skips a gap storage did not fill", room.key());
                    hub.sequence(room, &state, Sequencer::skip_gap);
                    break;
                }
                let wait = GAP_WAIT.saturating_mul(1 << (tries - 1).min(16));
                tokio::time::sleep(wait.min(LONGEST_WAIT)).await;
            }
            state.filling.store(false, Ordering::Release);
            // A gap that opened, or a recheck asked for, while this fill was finishing gets
            // its own fill.
            let Some(hub) = hub.upgrade().filter(|hub| hub.is_current(room, &state)) else {
                return;
            };
            if state.recheck.load(Ordering::Acquire) {
                hub.fill(room, &state, true);
            } else if state
                .order
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .gap()
                .is_some()
            {
                hub.fill(room, &state, false);
            }
        });
    }

    /// Whether `state` is still the room's (it is forgotten when its last listener goes, and a
    /// new one is made when someone joins again).
    fn is_current(&self, room: Room, state: &Arc<RoomState>) -> bool {
        self.room(room)
            .is_some_and(|current| Arc::ptr_eq(&current, state))
    }
}

/// The host's own events (a shared file, a member removed) reach the sessions through the hub.
impl Live for Hub {
    fn publish(&self, event: Event) {
        self.accept(event, Origin::Here);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use zudui_shared::chat::relay::Opened;
    use zudui_shared::chat::{ClientMessage, Target};
    use zudui_shared::content::Checked;
    use zudui_shared::error::Result;
    use zudui_shared::ids::GroupId;
    use zudui_shared::sendable::BoxFuture;

    use super::*;

    const ROOM: Room = Room::Group(GroupId(1));

    /// Storage holding messages 1..=`stored` of [`ROOM`], counting the `after` reads, which
    /// fail until `unreachable_until`.
    struct Stored {
        stored: i64,
        reads: AtomicUsize,
        unreachable_until: Mutex<tokio::time::Instant>,
        /// Reads under way, and the most there were at once; each takes a second.
        in_flight: Arc<AtomicUsize>,
        most_in_flight: Arc<AtomicUsize>,
    }

    fn posted(id: i64) -> Posted {
        posted_in(ROOM, id)
    }

    fn posted_in(room: Room, id: i64) -> Posted {
        Posted {
            room,
            id: MessageId(id),
            prev: (id > 1).then_some(MessageId(id - 1)),
            frame: format!("m{id}"),
        }
    }

    impl Backend for Stored {
        fn authenticate<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<UserId>> {
            unreachable!()
        }
        fn admit(&self, _: &UserId) -> Result<()> {
            unreachable!()
        }
        fn open<'a>(&'a self, _: &'a UserId, _: &'a Target) -> BoxFuture<'a, Result<Opened>> {
            unreachable!()
        }
        fn check_text<'a>(
            &'a self,
            _: &'a UserId,
            _: &'a str,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Checked>> {
            unreachable!()
        }
        fn history<'a>(
            &'a self,
            _: Room,
            _: &'a UserId,
            _: Option<MessageId>,
        ) -> BoxFuture<'a, Result<Vec<Posted>>> {
            unreachable!()
        }
        fn post<'a>(
            &'a self,
            _: Room,
            _: &'a UserId,
            _: &'a str,
            _: &'a ClientMessage,
            _: Checked,
        ) -> BoxFuture<'a, Result<Posted>> {
            unreachable!()
        }
        fn after(&self, room: Room, after: MessageId) -> BoxFuture<'_, Result<Vec<Posted>>> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            if tokio::time::Instant::now() < *self.unreachable_until.lock().unwrap() {
                return Box::pin(async { Err(anyhow::anyhow!("storage unreachable").into()) });
            }
            let page = ((after.0 + 1)..=self.stored)
                .take(AFTER_PAGE)
                .map(|id| posted_in(room, id))
                .collect();
            let (in_flight, most) = (self.in_flight.clone(), self.most_in_flight.clone());
            Box::pin(async move {
                most.fetch_max(
                    in_flight.fetch_add(1, Ordering::AcqRel) + 1,
                    Ordering::AcqRel,
                );
                tokio::time::sleep(Duration::from_secs(1)).await;
                in_flight.fetch_sub(1, Ordering::AcqRel);
                Ok(page)
            })
        }
    }

    /// A hub without a bus over storage holding `stored` messages, and a listener of [`ROOM`]
    /// whose stream starts after message `start`.
    async fn hub(stored: i64, start: i64) -> (Arc<Hub>, Arc<Stored>, Listener) {
        let storage = Arc::new(Stored {
            stored,
            reads: AtomicUsize::new(0),
            unreachable_until: Mutex::new(tokio::time::Instant::now()),
            in_flight: Arc::default(),
            most_in_flight: Arc::default(),
        });
        let hub = Hub::new(None);
        hub.fill_from(&(storage.clone() as Arc<dyn Backend>));
        let listener = hub.join(ROOM).await;
        hub.start(ROOM, MessageId(start));
        (hub, storage, listener)
    }

    /// The ids delivered to `listener` until nothing more comes for a while.
    async fn heard(listener: &mut Listener) -> Vec<i64> {
        let mut ids = Vec::new();
        while let Ok(Ok(delivery)) =
            tokio::time::timeout(Duration::from_secs(120), listener.recv()).await
        {
            if let Delivery::Message { id, .. } = *delivery {
                ids.push(id.0);
            }
        }
        ids
    }

    fn reads(storage: &Stored) -> usize {
        storage.reads.load(Ordering::Relaxed)
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_is_filled_from_storage_with_one_read() {
        let (hub, storage, mut listener) = hub(5, 2).await;
        hub.accept(Event::Message(posted(5)), Origin::Bus);
        assert_eq!(heard(&mut listener).await, vec![3, 4, 5]);
        assert_eq!(reads(&storage), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_recheck_pages_up_to_the_newest_message() {
        // 260 stored while the bus was away: a full page, then a shorter one ends the check.
        let (hub, storage, mut listener) = hub(260, 0).await;
        hub.recheck_all();
        assert_eq!(heard(&mut listener).await, (1..=260).collect::<Vec<_>>());
        assert_eq!(reads(&storage), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn rooms_rechecked_at_once_read_storage_a_few_at_a_time() {
        let (hub, storage, mut first) = hub(3, 0).await;
        let mut listeners = Vec::new();
        for group in 2..=40 {
            listeners.push(hub.join(Room::Group(GroupId(group))).await);
            hub.start(Room::Group(GroupId(group)), MessageId(0));
        }
        hub.recheck_all();
        assert_eq!(heard(&mut first).await, vec![1, 2, 3]);
        for listener in &mut listeners {
            assert_eq!(heard(listener).await, vec![1, 2, 3]);
        }
        assert_eq!(
            storage.most_in_flight.load(Ordering::Acquire),
            CONCURRENT_READS
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_gap_storage_cannot_fill_is_given_up_after_a_few_tries() {
        // Message 9 names 8 before it, which storage does not have.
        let (hub, storage, mut listener) = hub(5, 5).await;
        let mut orphan = posted(9);
        orphan.prev = Some(MessageId(8));
        hub.accept(Event::Message(orphan), Origin::Bus);
        assert_eq!(heard(&mut listener).await, vec![9]);
        assert_eq!(reads(&storage), GAP_TRIES as usize);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fill_waits_for_storage_that_restarts_and_gives_up_on_storage_that_does_not() {
        for (away, heard_ids, most_reads) in [
            (Duration::from_secs(10), vec![6, 7, 8, 9], 7),
            (Duration::from_secs(3600), vec![9], 12),
        ] {
            let (hub, storage, mut listener) = hub(9, 5).await;
            *storage.unreachable_until.lock().unwrap() = tokio::time::Instant::now() + away;
            hub.accept(Event::Message(posted(9)), Origin::Bus);
            assert_eq!(
                heard(&mut listener).await,
                heard_ids,
                "storage away {away:?}"
            );
            assert!(reads(&storage) <= most_reads, "{} reads", reads(&storage));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_fill_ends_when_its_room_is_forgotten_or_made_again() {
        // Storage has the whole gap (6 to 8), so only the room's state can end the fill.
        for rejoin in [false, true] {
            let (hub, storage, listener) = hub(9, 5).await;
            hub.accept(Event::Message(posted(9)), Origin::Bus);
            // The room's last listener goes before the fill's first read.
            drop(listener);
            let _again = if rejoin {
                Some(hub.join(ROOM).await)
            } else {
                None
            };
            tokio::time::sleep(Duration::from_secs(60)).await;
            assert_eq!(reads(&storage), 0, "rejoined: {rejoin}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_room_reads_nothing() {
        let (hub, storage, mut listener) = hub(5, 5).await;
        hub.accept(Event::Message(posted(6)), Origin::Bus);
        assert_eq!(heard(&mut listener).await, vec![6]);
        assert_eq!(reads(&storage), 0);
    }
}
