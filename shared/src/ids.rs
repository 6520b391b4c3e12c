//! Identifiers: one type per kind of integer id, so that a group's id cannot be passed where a
//! file's is expected, and the opaque user id.

use std::borrow::Cow;
use std::fmt;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize};

/// Declares integer id types. On the wire each is a JSON integer, and clients may send its
/// decimal text (`fields::Id`: the description's `Id` in requests, an integer in answers); in
/// SQL an `INTEGER`.
macro_rules! int_ids {
    ($($(#[$doc:meta])* $name:ident,)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                crate::fields::Id::deserialize(deserializer).map(|id| $name(id.0))
            }
        }

        impl JsonSchema for $name {
            fn inline_schema() -> bool {
                true
            }

            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(generator: &mut SchemaGenerator) -> Schema {
                match generator.contract().is_deserialize() {
                    true => generator.subschema_for::<crate::fields::Id>(),
                    false => json_schema!({ "type": "integer" }),
                }
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }

        impl From<$name> for crate::storage::Value {
            fn from(id: $name) -> crate::storage::Value {
                crate::storage::Value::Integer(id.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

int_ids! {
    /// A group (its chat room has the same id).
    GroupId,
    /// An entry of a group's file space or a chat room's temporary file (one id space).
    FileId,
    /// A group's tag.
    TagId,
    /// One of a group's intro pictures.
    PictureId,
    /// A group's announcement.
    AnnouncementId,
    /// A request to join a group.
    RequestId,
    /// A resumable upload (`file_uploads`; its parts in `file_upload_parts`).
    UploadId,
    /// A user's personal tag (`user_tags`).
    UserTagId,
    /// A private room: one per pair of users (a group's room has the group's id).
    PrivateRoomId,
    /// A chat message, in the order messages were stored (across every room).
    MessageId,
    /// An item of the moderation queue (`review_items`).
    ReviewId,
}

impl MessageId {
    /// Before every message: where the stream of a room without messages starts.
    pub const BEFORE_FIRST: MessageId = MessageId(0);
}

/// A user: an opaque string ([`UserId::new`]), a JSON string on the wire and `TEXT` in SQL. It
/// does not deref to `str`, so that it cannot be passed where a nickname or an openid is expected
/// (`as_str` when a text is wanted); requests read it leniently through `fields::UserRef`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(String);

/// A plain string where it appears, as `String` was (no named schema, no description).
impl JsonSchema for UserId {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "UserId".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<String>()
    }
}

impl UserId {
    /// A new user's id: 16 random bytes, hex. It says nothing about the WeChat openid.
    pub fn new() -> anyhow::Result<UserId> {
        Ok(UserId(hex::encode(random_bytes::<16>()?)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An id read from where it was stored or sent (a row, a token, a request, the relay).
impl From<String> for UserId {
    fn from(id: String) -> UserId {
        UserId(id)
    }
}

impl From<&str> for UserId {
    fn from(id: &str) -> UserId {
        UserId(id.to_owned())
    }
}

impl From<&UserId> for crate::storage::Value {
    fn from(id: &UserId) -> crate::storage::Value {
        crate::storage::Value::Text(id.0.clone())
    }
}

impl From<UserId> for crate::storage::Value {
    fn from(id: UserId) -> crate::storage::Value {
        crate::storage::Value::Text(id.0)
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq<&UserId> for UserId {
    fn eq(&self, other: &&UserId) -> bool {
        self == *other
    }
}

impl PartialEq<str> for UserId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for UserId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// Cryptographically random bytes from the host.
pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn user_ids_are_random_hex() {
        let a = super::UserId::new().unwrap();
        let b = super::UserId::new().unwrap();
        assert_eq!(a.as_str().len(), 32);
        assert_ne!(a, b);
        assert!(a.as_str().chars().all(|c| c.is_ascii_hexdigit()));
        // On the wire, a plain string.
        assert_eq!(serde_json::to_value(&a).unwrap(), a.as_str());
    }
}
