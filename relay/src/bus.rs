//! Redis pub/sub between relay instances: one channel per room (`zudui:chat:group:5`), which an
//! instance subscribes to while it has members of the room connected. Events are the JSON of
//! [`Event`]. Redis may drop or delay them (a lost connection, a slow subscriber); every
//! message names its predecessor, so the hub notices what is missing and reads it from storage.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};
use zudui_shared::chat::live::Event;
use zudui_shared::db::chat_messages::Room;

use crate::hub::{Hub, Origin};

/// Events waiting to be published; past this (Redis away), events are dropped, and the other
/// instances fill the gap from storage.
const PUBLISH_QUEUE: usize = 16 * 1024;
const RECONNECT: Duration = Duration::from_secs(1);

pub struct Bus {
    commands: mpsc::UnboundedSender<Command>,
    outgoing: mpsc::Sender<Outgoing>,
}

/// An event to publish on a channel, and who waits for Redis to have it.
struct Outgoing {
    channel: String,
    payload: String,
    published: Option<oneshot::Sender<()>>,
}

enum Command {
    /// Listen to a room; `ready` turns true once Redis confirmed.
    Subscribe(String, watch::Sender<bool>),
    Unsubscribe(String),
}

fn channel(room: Room) -> String {
    format!("zudui:chat:{}", room.key())
}

impl Bus {
    /// Connects to Redis in the background (and reconnects when the connection drops).
    pub fn spawn(client: redis::Client, hub: Weak<Hub>) -> Bus {
        let (commands, command_queue) = mpsc::unbounded_channel();
        let (outgoing, outgoing_queue) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(subscriber(client.clone(), command_queue, hub));
        tokio::spawn(publisher(client, outgoing_queue));
        Bus { commands, outgoing }
    }

    pub fn subscribe(&self, room: Room, ready: watch::Sender<bool>) {
        let _ = self.commands.send(Command::Subscribe(channel(room), ready));
    }

    pub fn unsubscribe(&self, room: Room) {
        let _ = self.commands.send(Command::Unsubscribe(channel(room)));
    }

    /// Sends an event of this instance to the others.
    pub fn publish(&self, event: &Event) {
        self.send(event, None);
    }

    /// Sends an event to the others; the receiver hears once Redis has it, so that anything
    /// published after that (by any instance) reaches every subscriber after it.
    pub fn publish_confirmed(&self, event: &Event) -> oneshot::Receiver<()> {
        let (published, confirmed) = oneshot::channel();
        self.send(event, Some(published));
        confirmed
    }

    fn send(&self, event: &Event, published: Option<oneshot::Sender<()>>) {
        let room = match event {
            Event::Message(posted) => posted.room,
            Event::Left { group_id, .. } => Room::Group(*group_id),
        };
        let outgoing = Outgoing {
            channel: channel(room),
            payload: serde_json::to_string(event).expect("events serialize"),
            published,
        };
        if self.outgoing.try_send(outgoing).is_err() {
            log::warn!(
                "chat: Redis is behind; an event of {} was not published",
                room.key()
            );
        }
    }
}

/// Holds the subscriptions: the rooms the hub wants, subscribed again after each reconnect.
async fn subscriber(
    client: redis::Client,
    mut commands: mpsc::UnboundedReceiver<Command>,
    hub: Weak<Hub>,
) {
    let mut wanted: HashMap<String, watch::Sender<bool>> = HashMap::new();
    let mut reconnected = false;
    loop {
        match client.get_async_pubsub().await {
            Ok(pubsub) => {
                let (mut sink, mut stream) = pubsub.split();
                let mut healthy = true;
                for (name, ready) in &wanted {
                    healthy = sink.subscribe(name).await.is_ok();
                    if !healthy {
                        break;
                    }
                    ready.send_replace(true);
                }
                if healthy && reconnected {
                    log::info!("chat: Redis is back; checking rooms for missed messages");
                    if let Some(hub) = hub.upgrade() {
                        hub.recheck_all();
                    }
                }
                reconnected = true;
                while healthy {
                    tokio::select! {
                        command = commands.recv() => match command {
                            None => return,
                            Some(Command::Subscribe(name, ready)) => {
                                healthy = sink.subscribe(&name).await.is_ok();
                                ready.send_replace(healthy);
                                wanted.insert(name, ready);
                            }
                            Some(Command::Unsubscribe(name)) => {
                                wanted.remove(&name);
                                healthy = sink.unsubscribe(&name).await.is_ok();
                            }
                        },
                        message = stream.next() => match message {
                            Some(message) => receive(&hub, message.get_payload_bytes()),
                            None => healthy = false,
                        },
                    }
                }
                log::warn!("chat: lost the Redis connection; reconnecting");
            }
            Err(err) => log::warn!("chat: cannot reach Redis: {err}"),
        }
        for ready in wanted.values() {
            ready.send_replace(false);
        }
        // Away from Redis: keep track of what the hub wants until the next try.
        let retry = tokio::time::sleep(RECONNECT);
        tokio::pin!(retry);
        loop {
            tokio::select! {
                _ = &mut retry => break,
                command = commands.recv() => match command {
                    None => return,
                    Some(Command::Subscribe(name, ready)) => {
                        wanted.insert(name, ready);
                    }
                    Some(Command::Unsubscribe(name)) => {
                        wanted.remove(&name);
                    }
                },
            }
        }
    }
}

fn receive(hub: &Weak<Hub>, payload: &[u8]) {
    match (serde_json::from_slice::<Event>(payload), hub.upgrade()) {
        (Ok(event), Some(hub)) => hub.accept(event, Origin::Bus),
        (Err(err), _) => log::warn!("chat: an unreadable event on Redis: {err}"),
        (Ok(_), None) => {}
    }
}

/// Publishes this instance's events in order, on one connection, reconnecting when it breaks.
async fn publisher(client: redis::Client, mut queue: mpsc::Receiver<Outgoing>) {
    let mut connection = None;
    while let Some(outgoing) = queue.recv().await {
        let mut published = false;
        for _attempt in 0..2 {
            if connection.is_none() {
                match client.get_multiplexed_async_connection().await {
                    Ok(conn) => connection = Some(conn),
                    Err(err) => {
                        log::warn!("chat: cannot reach Redis to publish: {err}");
                        break;
                    }
                }
            }
            let Some(conn) = connection.as_mut() else {
                break;
            };
            let sent = redis::cmd("PUBLISH")
                .arg(&outgoing.channel)
                .arg(&outgoing.payload)
                .exec_async(conn)
                .await;
            match sent {
                Ok(()) => {
                    published = true;
                    break;
                }
                Err(err) => {
                    log::warn!("chat: publishing on Redis: {err}");
                    connection = None;
                }
            }
        }
        if let (true, Some(waiting)) = (published, outgoing.published) {
            let _ = waiting.send(());
        }
    }
}
