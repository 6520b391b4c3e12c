//! Field types of the wire formats that are more than a plain JSON type: what clients may send
//! for an id or a flag (the contract accepts a number's or a boolean's text too, since GET
//! queries and form fields only carry text), and the time format of answers.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::ids::UserId;

/// An integer id: `42` or `"42"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Id(pub i64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let bad = || serde::de::Error::custom("应为整数");
        match Value::deserialize(deserializer)? {
            Value::Number(n) => n.as_i64().map(Id).ok_or_else(bad),
            Value::String(s) => s.trim().parse().map(Id).map_err(|_| bad()),
            _ => Err(bad()),
        }
    }
}

impl JsonSchema for Id {
    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An integer id; a decimal string (`\"42\"`) is accepted too.",
            "anyOf": [
                { "type": "integer" },
                { "type": "string", "pattern": "^[0-9]{1,18}$" },
            ],
        })
    }
}

/// A user id as requests send it (an opaque string); an integer is read as its decimal string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef(pub UserId);

impl UserRef {
    /// The id of a required field: empty counts as absent (101 naming `field`), as it always
    /// did for user ids.
    pub fn required(self, field: &str) -> crate::error::Result<UserId> {
        match self.0.as_str().is_empty() {
            true => Err(crate::error::Error::param(field)),
            false => Ok(self.0),
        }
    }
}

impl<'de> Deserialize<'de> for UserRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<UserRef, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::String(s) => Ok(UserRef(s.trim().to_owned().into())),
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(UserRef(n.to_string().into())),
            _ => Err(serde::de::Error::custom("应为字符串")),
        }
    }
}

impl JsonSchema for UserRef {
    fn schema_name() -> Cow<'static, str> {
        "UserIdParam".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A user id (an opaque string); an integer is read as its decimal string. Empty means absent where the parameter is optional.",
            "anyOf": [{ "type": "string" }, { "type": "integer" }],
        })
    }
}

/// A boolean: `true`/`false`, their text, or `1`/`0` (as a number or text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Flag, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Bool(b) => Ok(Flag(b)),
            Value::String(s) if matches!(s.trim(), "true" | "1") => Ok(Flag(true)),
            Value::String(s) if matches!(s.trim(), "false" | "0") => Ok(Flag(false)),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(Flag(true)),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(Flag(false)),
            _ => Err(serde::de::Error::custom("应为布尔值")),
        }
    }
}

impl JsonSchema for Flag {
    fn schema_name() -> Cow<'static, str> {
        "Flag".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A boolean; `\"true\"`/`\"false\"`/`\"1\"`/`\"0\"` and 1/0 are accepted too.",
            "anyOf": [
                { "type": "boolean" },
                { "type": "string", "enum": ["true", "false", "1", "0"] },
                { "type": "integer", "enum": [0, 1] },
            ],
        })
    }
}

/// An optional field where `null` and an empty (or blank) text mean absent, as GET queries and
/// forms send an unset field: `#[serde(default, deserialize_with = "fields::blank_is_none")]`.
pub fn blank_is_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    match Value::deserialize(deserializer)? {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        value => T::deserialize(value)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// A moment as answers show it: `%Y/%m/%d %H:%M:%S` in the configured offset (`App::format_time`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Time(pub String);

impl JsonSchema for Time {
    fn schema_name() -> Cow<'static, str> {
        "Time".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]{4,}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
            "description": "`%Y/%m/%d %H:%M:%S` in `ZUDUI_TZ_OFFSET_HOURS` (UTC+8 by default).",
        })
    }
}

/// A user's mean rating as answers show it: one decimal, 0 without ratings (`User::star_rating`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct StarRating(pub f64);

impl JsonSchema for StarRating {
    fn schema_name() -> Cow<'static, str> {
        "StarRating".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "number",
            "minimum": 0,
            "maximum": 10,
            "description": "mean rating received, one decimal; 0 without ratings",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Deserialize, Debug)]
    struct Query {
        id: Id,
        #[serde(default, deserialize_with = "blank_is_none")]
        parent: Option<Id>,
        flag: Flag,
        user: UserRef,
    }

    fn read(value: Value) -> Result<Query, serde_json::Error> {
        serde_json::from_value(value)
    }

    #[test]
    fn a_field_that_does_not_fit_is_named() {
        let params = crate::params::Params::from_json(br#"{"id": "x", "flag": true, "user": "u"}"#);
        let err = params.unwrap().into_typed::<Query>().unwrap_err();
        assert_eq!(err.to_string(), "BadParam: 参数有误: id (应为整数)");
        let params = crate::params::Params::from_json(br#"{"flag": true, "user": "u"}"#);
        let err = params.unwrap().into_typed::<Query>().unwrap_err();
        assert_eq!(err.to_string(), "BadParam: 参数缺失或有误: id");
        // What the client sent is not repeated.
        let long = format!(
            r#"{{"id": 1, "flag": true, "user": {{"x": "{}"}}}}"#,
            "a".repeat(5000)
        );
        let err = crate::params::Params::from_json(long.as_bytes())
            .unwrap()
            .into_typed::<Query>();
        assert_eq!(
            err.unwrap_err().to_string(),
            "BadParam: 参数有误: user (应为字符串)"
        );
        let err = crate::params::Params::from_json(br#"{"id": [1], "flag": true, "user": "u"}"#);
        let err = err.unwrap().into_typed::<Query>().unwrap_err().to_string();
        assert_eq!(err, "BadParam: 参数有误: id (应为整数)");
    }

    #[test]
    fn fields_take_what_the_contract_accepts() {
        let q = read(json!({"id": "42", "parent": "", "flag": "1", "user": 7})).unwrap();
        assert_eq!(
            (q.id, q.parent, q.flag, q.user.0.as_str()),
            (Id(42), None, Flag(true), "7")
        );
        let q = read(json!({"id": 42, "parent": 3, "flag": false, "user": " u "})).unwrap();
        assert_eq!(
            (q.id, q.parent, q.flag, q.user.0.as_str()),
            (Id(42), Some(Id(3)), Flag(false), "u")
        );
        for bad in [
            json!({"id": "x", "flag": true, "user": "u"}),
            json!({"id": 1.5, "flag": true, "user": "u"}),
            json!({"id": 1, "parent": "x", "flag": true, "user": "u"}),
            json!({"id": 1, "flag": "yes", "user": "u"}),
            json!({"id": 1, "flag": 2, "user": "u"}),
            json!({"id": 1, "flag": true, "user": []}),
            json!({"flag": true, "user": "u"}),
        ] {
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }
}
