//! The chat's internal HTTP API for the relay that holds WebSockets in front of Spin: the relay
//! authenticates a socket itself (same JWT secret), then asks here to open the room, read
//! history and store each message; it fans out what comes back. Every call carries the shared
//! `relay_secret` in the `x-relay-secret` header; without that setting the routes do not exist.
//! Each call is a type ([`RelayCall`]) that both sides serialize.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::live::Posted;
use super::{client, history, open, store, ClientMessage, Target};
use crate::app::App;
use crate::content::{text, Checked};
use crate::db::chat_messages::Room;
use crate::db::users;
use crate::error::{Code, Error, Result};
use crate::ids::{MessageId, UserId};
use crate::params::Params;
use crate::secrets;
use crate::wechat::security::Verdict;

pub const SECRET_HEADER: &str = "x-relay-secret";

/// 102 unless relaying is configured and `given` is its secret (compared in constant time).
pub fn check_secret(app: &App, given: Option<&str>) -> Result<()> {
    let Some(secret) = app.settings.relay()?.relay_secret.as_deref() else {
        return Err(Error::new(Code::NoEndpoint));
    };
    match given.is_some_and(|g| secrets::matches(g, secret)) {
        true => Ok(()),
        false => Err(Error::new(Code::NoEndpoint)),
    }
}

/// One of the relay's calls to the `chat` component: its path, its JSON body (this type) and
/// the fields of its answer. Both sides use these types, so the wire format is written once.
pub trait RelayCall: Serialize + DeserializeOwned + JsonSchema {
    const PATH: &'static str;
    type Answer: Serialize + DeserializeOwned + JsonSchema;

    /// What the component does with the call.
    fn handle(self, app: &App) -> Result<Self::Answer>;
}

/// The `chat` component's route for `C`: the body read as a `C`, the answer's fields.
pub fn serve<C: RelayCall>(app: &App, body: Params) -> Result<Value> {
    let call: C = body.into_typed()?;
    Ok(serde_json::to_value(call.handle(app)?).map_err(anyhow::Error::from)?)
}

/// A room in the calls: `group:5`, `private:7` ([`Room::key`]).
impl JsonSchema for Room {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "RoomKey".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(group|private):[1-9][0-9]*$",
            "description": "`group:<id>` or `private:<id>`",
        })
    }
}

/// Opens the room of a socket: `{user_id, group_id}` or `{user_id, peer_id}`. 112 when the
/// token's user no longer exists or is banned.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct OpenRoom {
    pub user_id: UserId,
    #[serde(flatten)]
    pub target: Target,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Opened {
    // `group:5`, `private:7`.
    pub room: Room,
    /// The user's openid: the relay names it when it asks WeChat about their texts.
    pub openid: String,
}

impl RelayCall for OpenRoom {
    const PATH: &'static str = "/chat/internal/open";
    type Answer = Opened;

    fn handle(self, app: &App) -> Result<Opened> {
        let now = crate::time::now();
        if !app.db.run(|c| Ok(users::active(c, &self.user_id, now)?))? {
            return Err(Error::new(Code::TokenInvalid));
        }
        let room = open(app, &self.user_id, &self.target)?;
        let openid = app.db.run(|c| Ok(users::openid(c, &self.user_id)?))?;
        Ok(Opened {
            room,
            openid: openid.ok_or_else(|| Error::new(Code::TokenInvalid))?,
        })
    }
}

/// A history page for the user, oldest first, each with its client frame (`history: true`).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ReadHistory {
    pub room: Room,
    pub user_id: UserId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<MessageId>,
}

/// Messages, oldest first.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Page {
    pub messages: Vec<Posted>,
}

impl RelayCall for ReadHistory {
    const PATH: &'static str = "/chat/internal/history";
    type Answer = Page;

    fn handle(self, app: &App) -> Result<Page> {
        let page = history(app, self.room, &self.user_id, self.before)?;
        let messages = page.iter().map(|m| Posted::of(app, m, true)).collect();
        Ok(Page { messages })
    }
}

/// The client's frame, checked and stored; the relay fans out what comes back
/// (`history: false`).
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct StoreFrame {
    pub room: Room,
    pub user_id: UserId,
    /// a ChatClientMessage as JSON text
    pub frame: String,
    /// WeChat's verdict on the text when the relay judged it `review` (queued with the message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Verdict>,
    /// Whether the relay judged the text (it checks content); a text it did not is as if
    /// WeChat were unreachable when this app checks content.
    #[serde(default)]
    pub judged: bool,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Stored {
    pub posted: Posted,
}

impl RelayCall for StoreFrame {
    const PATH: &'static str = "/chat/internal/post";
    type Answer = Stored;

    fn handle(self, app: &App) -> Result<Stored> {
        let message = client::parse(&self.frame, matches!(self.room, Room::Group(_)))?;
        let checked = match (&message, self.judged) {
            (
                ClientMessage::Send {
                    content: Some(_), ..
                },
                false,
            ) => text::unjudged_chat(app)?,
            _ => Checked::judged(self.review),
        };
        let stored = store(app, self.room, &self.user_id, &message, checked)?;
        Ok(Stored {
            posted: Posted::of(app, &stored, false),
        })
    }
}

/// The live frames of the messages stored after `after`, oldest first, for a relay that
/// noticed a gap.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ReadAfter {
    pub room: Room,
    #[serde(default)]
    pub after: i64,
}

impl RelayCall for ReadAfter {
    const PATH: &'static str = "/chat/internal/after";
    type Answer = Page;

    fn handle(self, app: &App) -> Result<Page> {
        let messages = super::after(app, self.room, MessageId(self.after.max(0)))?;
        Ok(Page { messages })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PrivateRoomId;

    #[test]
    fn calls_travel_as_the_relay_sends_them() {
        let group = OpenRoom {
            user_id: "u1".into(),
            target: Target::Group(crate::ids::GroupId(5)),
        };
        let text = serde_json::to_string(&group).unwrap();
        assert_eq!(text, r#"{"user_id":"u1","group_id":5}"#);
        let private: OpenRoom = serde_json::from_str(r#"{"user_id":"u1","peer_id":"u2"}"#).unwrap();
        assert!(matches!(private.target, Target::Private(ref peer) if peer == "u2"));
        assert!(serde_json::from_str::<OpenRoom>(r#"{"user_id":"u1"}"#).is_err());

        let history = ReadHistory {
            room: Room::Group(crate::ids::GroupId(5)),
            user_id: "u1".into(),
            before: None,
        };
        let text = serde_json::to_string(&history).unwrap();
        assert_eq!(text, r#"{"room":"group:5","user_id":"u1"}"#);
        let after: ReadAfter = serde_json::from_str(r#"{"room":"private:7"}"#).unwrap();
        assert_eq!(
            (after.room, after.after),
            (Room::Private(PrivateRoomId(7)), 0)
        );
    }
}
