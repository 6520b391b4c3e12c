//! Client messages, checked strictly as the contract asks: exactly the fields of their type,
//! each of the right JSON type. Errors are the chat codes (405 type, 409 format, 411 length).

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::{Map, Value};

use crate::error::{Code, Error, Result};
use crate::files::FILE_TYPES;
use crate::ids::{FileId, UserId};

/// Longest text message, in characters.
pub const TEXT_LIMIT: usize = 4000;
/// Longest client frame, in bytes: a text at [`TEXT_LIMIT`] with every character escaped as a
/// surrogate pair (12 bytes each) and a full `at` list fit. Longer frames are 411 unread.
pub const FRAME_LIMIT: usize = 64 * 1024;
/// Most users one message may mention (and never more than the room's members).
pub const AT_LIMIT: usize = 100;
/// Longest `client_msg_id`, in characters (each visible ASCII): room for a UUID or a
/// timestamp with a counter.
pub const CLIENT_MSG_ID_LIMIT: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// A text (`content`) or a file message (`file_id`), with the users it mentions, and the
    /// id its client gave it so that a resend is not stored twice.
    Send {
        msg_type: &'static str,
        content: Option<String>,
        file_id: Option<FileId>,
        at: Vec<UserId>,
        client_msg_id: Option<String>,
    },
    /// The messages before `msg_id`.
    History { msg_id: i64 },
}

/// The API description's `ChatClientMessage`: the frames [`ClientMessage`] reads (by hand, to
/// answer each fault with its code), with this module's limits.
impl schemars::JsonSchema for ClientMessage {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ChatClientMessage".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let at = serde_json::json!({
            "type": "array", "maxItems": AT_LIMIT, "items": { "type": "string" },
        });
        let client_msg_id = serde_json::json!({
            "type": "string",
            "minLength": 1,
            "maxLength": CLIENT_MSG_ID_LIMIT,
            "pattern": format!("^[!-~]{{1,{CLIENT_MSG_ID_LIMIT}}}$"),
            "description": "optional; the sender's own id for the message: a send repeating it in the same room within 24 hours stores nothing and answers the message stored first",
        });
        schemars::json_schema!({
            "description": format!("What a client sends on the socket, checked strictly (an extra or missing field is 409). `at` only in group rooms, at most {AT_LIMIT} entries and never more than the room's members (409); repeated ids count once. A frame over {} KiB is 411 without being parsed (over 128 KiB the socket closes with 1009), and every message (text or binary, history included) takes a token of the chat rate limit before it is parsed (105). A send may carry `client_msg_id` (1 to {CLIENT_MSG_ID_LIMIT} visible ASCII characters, else 409): a resend with the same id by the same user in the same room within 24 hours, on any relay or after reconnecting, stores nothing; the message stored first comes back instead (live once, or straight to the resending socket when it has had that message already).", FRAME_LIMIT / 1024),
            "oneOf": [
                {
                    "type": "object",
                    "required": ["msg_type", "content"],
                    "properties": {
                        "msg_type": { "const": "text" },
                        "content": { "type": "string", "minLength": 1, "maxLength": TEXT_LIMIT },
                        "at": at,
                        "client_msg_id": client_msg_id,
                    },
                    "additionalProperties": false,
                },
                {
                    "type": "object",
                    "required": ["msg_type", "file_id"],
                    "properties": {
                        "msg_type": { "type": "string", "enum": FILE_TYPES },
                        "file_id": { "type": "integer" },
                        "at": at,
                        "client_msg_id": client_msg_id,
                    },
                    "additionalProperties": false,
                },
                {
                    "type": "object",
                    "required": ["msg_type", "msg_id"],
                    "properties": {
                        "msg_type": { "const": "history" },
                        "msg_id": { "type": "integer" },
                    },
                    "additionalProperties": false,
                },
            ],
        })
    }
}

fn bad(why: &str) -> Error {
    Error::with_message(Code::BadMessage, format!("消息格式错误: {why}"))
}

/// A JSON object whose keys all differ: with a repeated key, which value counts would depend on
/// the reader, so the frame is refused.
struct Fields(Map<String, Value>);

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = Fields;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Fields, A::Error> {
                let mut fields = Map::new();
                while let Some((key, value)) = map.next_entry::<String, Value>()? {
                    if fields.contains_key(&key) {
                        return Err(A::Error::custom(format!("repeated field {key}")));
                    }
                    fields.insert(key, value);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(Object)
    }
}

/// Parses one text frame of a client in a group room (`group`) or a private one.
pub fn parse(text: &str, group: bool) -> Result<ClientMessage> {
    if text.len() > FRAME_LIMIT {
        return Err(Error::with_message(
            Code::MessageTooLong,
            format!("消息帧超过 {FRAME_LIMIT} 字节"),
        ));
    }
    let fields = match serde_json::from_str::<Fields>(text) {
        Ok(Fields(fields)) => fields,
        Err(err) if err.is_data() => return Err(bad("应为字段不重复的 JSON 对象")),
        Err(_) => return Err(bad("不是 JSON")),
    };
    let msg_type = match fields.get("msg_type") {
        Some(Value::String(t)) => t.as_str(),
        Some(_) => return Err(bad("msg_type 应为字符串")),
        None => return Err(bad("缺少 msg_type")),
    };
    let file_type = FILE_TYPES.iter().copied().find(|kind| *kind == msg_type);
    let msg_type = match msg_type {
        "text" => "text",
        _ if file_type.is_some() => file_type.unwrap_or_default(),
        "history" => {
            only(&fields, &["msg_type", "msg_id"])?;
            return Ok(ClientMessage::History {
                msg_id: integer(&fields, "msg_id")?,
            });
        }
        _ => return Err(Error::new(Code::UnknownMsgType)),
    };
    let (content, file_id) = if msg_type == "text" {
        only(&fields, &["msg_type", "content", "at", "client_msg_id"])?;
        let content = match fields.get("content") {
            Some(Value::String(c)) => c.clone(),
            Some(_) => return Err(bad("content 应为字符串")),
            None => return Err(bad("缺少 content")),
        };
        if content.trim().is_empty() {
            return Err(bad("content 为空"));
        }
        if content.chars().count() > TEXT_LIMIT {
            return Err(Error::new(Code::MessageTooLong));
        }
        (Some(content), None)
    } else {
        only(&fields, &["msg_type", "file_id", "at", "client_msg_id"])?;
        (None, Some(FileId(integer(&fields, "file_id")?)))
    };
    let at = match fields.get("at") {
        None => Vec::new(),
        Some(_) if !group => return Err(bad("私聊不能 @")),
        Some(Value::Array(ids)) if ids.len() > AT_LIMIT => {
            return Err(bad(&format!("at 最多 {AT_LIMIT} 人")));
        }
        Some(Value::Array(ids)) => {
            let mut seen = HashSet::with_capacity(ids.len());
            let mut at = Vec::with_capacity(ids.len());
            for id in ids {
                let Value::String(id) = id else {
                    return Err(bad("at 应为用户 id 字符串的数组"));
                };
                if seen.insert(id.as_str()) {
                    at.push(UserId::from(id.as_str()));
                }
            }
            at
        }
        Some(_) => return Err(bad("at 应为数组")),
    };
    let client_msg_id = match fields.get("client_msg_id") {
        None => None,
        Some(Value::String(id))
            if (1..=CLIENT_MSG_ID_LIMIT).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Some(id.clone())
        }
        Some(_) => {
            return Err(bad(&format!(
                "client_msg_id 应为 1 到 {CLIENT_MSG_ID_LIMIT} 个可见 ASCII 字符"
            )))
        }
    };
    Ok(ClientMessage::Send {
        msg_type,
        content,
        file_id,
        at,
        client_msg_id,
    })
}

/// 409 when `fields` holds anything but `allowed`.
fn only(fields: &Map<String, Value>, allowed: &[&str]) -> Result<()> {
    match fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(extra) => Err(bad(&format!("多余字段 {extra}"))),
        None => Ok(()),
    }
}

fn integer(fields: &Map<String, Value>, name: &str) -> Result<i64> {
    match fields.get(name) {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| bad(&format!("{name} 应为整数"))),
        Some(_) => Err(bad(&format!("{name} 应为整数"))),
        None => Err(bad(&format!("缺少 {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str, group: bool) -> u16 {
        parse(text, group).unwrap_err().code().number()
    }

    #[test]
    fn accepts_exactly_the_documented_shapes() {
        assert_eq!(
            parse(
                r#"{"msg_type":"text","content":"hi","at":["a","a","b"]}"#,
                true
            )
            .unwrap(),
            ClientMessage::Send {
                msg_type: "text",
                content: Some("hi".into()),
                file_id: None,
                at: vec!["a".into(), "b".into()],
                client_msg_id: None,
            }
        );
        assert_eq!(
            parse(
                r#"{"client_msg_id":"c-1:7","msg_type":"video","file_id":3}"#,
                false
            )
            .unwrap(),
            ClientMessage::Send {
                msg_type: "video",
                content: None,
                file_id: Some(FileId(3)),
                at: vec![],
                client_msg_id: Some("c-1:7".into()),
            }
        );
        assert_eq!(
            parse(r#"{"msg_type":"history","msg_id":7}"#, false).unwrap(),
            ClientMessage::History { msg_id: 7 }
        );
        assert!(parse(r#"{"msg_type":"image","file_id":3}"#, false).is_ok());
    }

    #[test]
    fn refuses_everything_else_with_its_code() {
        assert_eq!(code(r#"{"msg_type":"sticker","content":"x"}"#, true), 405);
        assert_eq!(
            code(r#"{"msg_type":"text","content":"x","extra":1}"#, true),
            409
        );
        assert_eq!(code(r#"{"msg_type":"text"}"#, true), 409);
        assert_eq!(code(r#"{"msg_type":"text","content":5}"#, true), 409);
        assert_eq!(code(r#"{"msg_type":"text","content":"  "}"#, true), 409);
        assert_eq!(
            code(r#"{"msg_type":"text","content":"x","at":["a"]}"#, false),
            409
        );
        assert_eq!(
            code(r#"{"msg_type":"text","content":"x","at":[1]}"#, true),
            409
        );
        assert_eq!(code(r#"{"msg_type":"image","file_id":"3"}"#, true), 409);
        assert_eq!(code(r#"{"msg_type":"image","content":"x"}"#, true), 409);
        assert_eq!(code(r#"{"msg_type":"history","msg_id":1.5}"#, true), 409);
        for client_msg_id in [r#""""#, r#""a b""#, r#""é""#, "7", "null", "[]"] {
            let frame =
                format!(r#"{{"msg_type":"text","content":"x","client_msg_id":{client_msg_id}}}"#);
            assert_eq!(code(&frame, true), 409, "{frame}");
        }
        let longest = format!(
            r#"{{"msg_type":"text","content":"x","client_msg_id":"{}"}}"#,
            "~".repeat(64)
        );
        assert!(parse(&longest, true).is_ok());
        assert_eq!(
            code(&longest.replace("~\"", "~~\""), true),
            409,
            "65 characters"
        );
        assert_eq!(
            code(
                r#"{"msg_type":"history","msg_id":1,"client_msg_id":"a"}"#,
                true
            ),
            409
        );
        assert_eq!(code(r#"[1]"#, true), 409);
        assert_eq!(code(r#"nope"#, true), 409);
        // A repeated field could be read either way: {"msg_type":"history",...,"msg_type":"text"}.
        assert_eq!(
            code(
                r#"{"msg_type":"history","msg_type":"text","content":"x"}"#,
                true
            ),
            409
        );
        let long = format!(r#"{{"msg_type":"text","content":"{}"}}"#, "字".repeat(4001));
        assert_eq!(code(&long, true), 411);
        let max = format!(r#"{{"msg_type":"text","content":"{}"}}"#, "字".repeat(4000));
        assert!(parse(&max, true).is_ok());
    }
}
