//! Identifiers: one type per kind of integer id, so that a group's id cannot be passed where a
//! file's is expected, and the opaque user ids.

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
}

/// A new opaque user id: 16 random bytes, hex. It says nothing about the WeChat openid.
pub fn new_user_id() -> anyhow::Result<String> {
    Ok(hex::encode(random_bytes::<16>()?))
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
        let a = super::new_user_id().unwrap();
        let b = super::new_user_id().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
