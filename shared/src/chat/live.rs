//! The live side of chat, which the host provides. Handlers store messages, then publish them
//! here: the native server's hub delivers them to open sockets at once; a Spin component keeps
//! them in an [`Outbox`] that its host hands to the relay when the request is done.
//!
//! [`Event`] is also the wire format between hosts: the relay's `/internal/publish` body and the
//! payload of its Redis channels.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::relay::SECRET_HEADER;
use crate::app::App;
use crate::config::Relay;
use crate::db::chat_messages::{Message, Room};
use crate::ids::{GroupId, MessageId, UserId};
use crate::outbound::HttpClient;
use crate::sendable::MaybeSend;

/// A stored message as every member receives it live.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(description = "A stored message as the relay receives it.")]
pub struct Posted {
    pub room: Room,
    pub id: MessageId,
    /// The room's message before this one (see [`Message::prev`]).
    #[schemars(description = "the room's message before this one")]
    pub prev: Option<MessageId>,
    /// The JSON text clients receive, rendered once for all of them.
    #[schemars(description = "the ChatServerMessage as JSON text")]
    pub frame: String,
}

impl Posted {
    /// `message` rendered with `history` as given.
    pub fn of(app: &App, message: &Message, history: bool) -> Posted {
        Posted {
            room: message.room,
            id: message.id,
            prev: message.prev,
            frame: serde_json::to_string(&super::shaped(app, message, history))
                .expect("plain fields serialize"),
        }
    }
}

/// What happens live in a room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A message was stored.
    Message(Posted),
    /// `user_id` left group `group_id` (removed or exited): their open sessions there end.
    Left { group_id: GroupId, user_id: UserId },
}

pub trait Live: MaybeSend {
    /// Delivers `event` to the connected members of its room. Messages may be published in any
    /// order; hosts deliver them in id order.
    fn publish(&self, event: Event);
}

/// A stored message, published live.
pub fn publish_message(app: &App, message: &Message) {
    app.live
        .publish(Event::Message(Posted::of(app, message, false)));
}

/// No sockets: messages are stored, and clients see them as history.
pub struct Offline;

impl Live for Offline {
    fn publish(&self, _event: Event) {}
}

/// Events kept until the host can send them on (a Spin component, to the relay).
#[derive(Default)]
pub struct Outbox(Mutex<Vec<Event>>);

impl Outbox {
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Live for Outbox {
    fn publish(&self, event: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

/// Where a host without sockets (a Spin component) sends its events: the relay's
/// `/internal/publish`, with the shared secret.
#[derive(Clone)]
pub struct RelayLink {
    url: String,
    secret: String,
}

impl RelayLink {
    /// The relay of the settings, when both its URL and its secret are set.
    pub fn of(settings: &Relay) -> Option<RelayLink> {
        match (&settings.relay_url, &settings.relay_secret) {
            (Some(url), Some(secret)) if !url.is_empty() && !secret.is_empty() => Some(RelayLink {
                url: Self::publish_url(url),
                secret: secret.clone(),
            }),
            _ => None,
        }
    }

    /// Where events go on the relay at `relay_url`.
    pub fn publish_url(relay_url: &str) -> String {
        format!("{}/internal/publish", relay_url.trim_end_matches('/'))
    }

    /// Where the relay at `relay_url` says it is alive.
    pub fn health_url(relay_url: &str) -> String {
        format!("{}/healthz", relay_url.trim_end_matches('/'))
    }

    /// Sends one event. A relay that cannot be reached costs only live delivery: the message is
    /// stored, relays fill the gap when the room's next message arrives, and history has it.
    pub async fn send(&self, http: &dyn HttpClient, event: &Event) {
        let request = http::Request::post(&self.url)
            .header(SECRET_HEADER, &self.secret)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(event).expect("events serialize"))
            .expect("a valid request");
        match http.send(request).await {
            Ok(response) if response.status().is_success() => {}
            Ok(response) => log::warn!("relay refused an event: {}", response.status()),
            Err(err) => log::warn!("relay unreachable: {err:#}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PrivateRoomId;

    #[test]
    fn events_travel_as_json() {
        let event = Event::Message(Posted {
            room: Room::Private(PrivateRoomId(7)),
            id: MessageId(12),
            prev: Some(MessageId(9)),
            frame: "{\"id\":12}".into(),
        });
        let text = serde_json::to_string(&event).unwrap();
        assert_eq!(
            text,
            r#"{"event":"message","room":"private:7","id":12,"prev":9,"frame":"{\"id\":12}"}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
        let left: Event =
            serde_json::from_str(r#"{"event":"left","group_id":3,"user_id":"u"}"#).unwrap();
        assert_eq!(
            left,
            Event::Left {
                group_id: crate::ids::GroupId(3),
                user_id: "u".into()
            }
        );
        assert!(serde_json::from_str::<Event>(r#"{"event":"message","room":"x:1"}"#).is_err());
    }
}
