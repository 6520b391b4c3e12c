//! The chat's internal HTTP API for the relay that holds WebSockets in front of Spin: the relay
//! authenticates a socket itself (same JWT secret), then asks here to open the room, read
//! history and store each message; it fans out what comes back. Every call carries the shared
//! `relay_secret` in the `x-relay-secret` header; without that setting the routes do not exist.

use serde_json::{json, Value};

use super::{client, history, open, post, shaped, Target};
use crate::app::App;
use crate::db::chat_messages::Room;
use crate::error::{Code, Error, Result};
use crate::params::Params;

pub const SECRET_HEADER: &str = "x-relay-secret";

/// 102 unless relaying is configured and `given` is its secret (compared in constant time).
pub fn check_secret(app: &App, given: Option<&str>) -> Result<()> {
    let Some(secret) = app.settings.relay_secret.as_deref() else {
        return Err(Error::new(Code::NoEndpoint));
    };
    match given.is_some_and(|g| constant_time_eq(g.as_bytes(), secret.as_bytes())) {
        true => Ok(()),
        false => Err(Error::new(Code::NoEndpoint)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn room_of(p: &Params) -> Result<Room> {
    let id = p.id("room_id")?;
    match p.str("room_kind")? {
        "group" => Ok(Room::Group(id)),
        "private" => Ok(Room::Private(id)),
        _ => Err(Error::param("room_kind")),
    }
}

/// `{user_id, group_id}` or `{user_id, peer_id}` → `{room_kind, room_id}`.
pub fn open_room(app: &App, p: &Params) -> Result<Value> {
    let me = p.user_id("user_id")?;
    let target = match p.opt_id("group_id")? {
        Some(group) => Target::Group(group),
        None => Target::Private(p.user_id("peer_id")?),
    };
    let room = open(app, &me, &target)?;
    Ok(json!({ "room_kind": room.kind(), "room_id": room.id() }))
}

/// `{room_kind, room_id, user_id, before?}` → `{messages}`, oldest first, as clients receive
/// them.
pub fn read_history(app: &App, p: &Params) -> Result<Value> {
    let room = room_of(p)?;
    let page = history(app, room, &p.user_id("user_id")?, p.opt_id("before")?)?;
    let messages: Vec<Value> = page.iter().map(|m| shaped(app, m, true)).collect();
    Ok(json!({ "messages": messages }))
}

/// `{room_kind, room_id, user_id, frame}`: the client's frame, checked and stored →
/// `{message}` to fan out (with `history: false`).
pub fn store(app: &App, p: &Params) -> Result<Value> {
    let room = room_of(p)?;
    let me = p.user_id("user_id")?;
    let message = client::parse(p.str("frame")?, matches!(room, Room::Group(_)))?;
    let stored = post(app, room, &me, &message)?;
    Ok(json!({ "message": shaped(app, &stored, false) }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_whole() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
    }
}
