//! The chat's internal HTTP API for the relay that holds WebSockets in front of Spin: the relay
//! authenticates a socket itself (same JWT secret), then asks here to open the room, read
//! history and store each message; it fans out what comes back. Every call carries the shared
//! `relay_secret` in the `x-relay-secret` header; without that setting the routes do not exist.

use serde_json::{json, Value};

use super::live::Posted;
use super::{client, history, open, store, Target};
use crate::app::App;
use crate::db::chat_messages::Room;
use crate::db::users;
use crate::error::{Code, Error, Result};
use crate::params::Params;

pub const SECRET_HEADER: &str = "x-relay-secret";

/// 102 unless relaying is configured and `given` is its secret (compared in constant time).
pub fn check_secret(app: &App, given: Option<&str>) -> Result<()> {
    let Some(secret) = app.settings.relay()?.relay_secret.as_deref() else {
        return Err(Error::new(Code::NoEndpoint));
    };
    match given.is_some_and(|g| secrets_match(g, secret)) {
        true => Ok(()),
        false => Err(Error::new(Code::NoEndpoint)),
    }
}

/// Whether `given` is `secret`, compared in constant time.
pub fn secrets_match(given: &str, secret: &str) -> bool {
    let (a, b) = (given.as_bytes(), secret.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn room_of(p: &Params) -> Result<Room> {
    Room::from_key(p.str("room")?).ok_or_else(|| Error::param("room"))
}

/// `{user_id, group_id}` or `{user_id, peer_id}` → `{room}` (`group:5`, `private:7`). 112 when
/// the token's user no longer exists.
pub fn open_room(app: &App, p: &Params) -> Result<Value> {
    let me = p.user_id("user_id")?;
    if !app.db.run(|c| Ok(users::exists(c, &me)?))? {
        return Err(Error::new(Code::TokenInvalid));
    }
    let target = match p.opt_id("group_id")? {
        Some(group) => Target::Group(group),
        None => Target::Private(p.user_id("peer_id")?),
    };
    let room = open(app, &me, &target)?;
    Ok(json!({ "room": room }))
}

/// `{room, user_id, before?}` → `{messages}`: a history page for the user, oldest first, each
/// with its client frame (`history: true`).
pub fn read_history(app: &App, p: &Params) -> Result<Value> {
    let room = room_of(p)?;
    let page = history(app, room, &p.user_id("user_id")?, p.opt_id("before")?)?;
    let messages: Vec<Posted> = page.iter().map(|m| Posted::of(app, m, true)).collect();
    Ok(json!({ "messages": messages }))
}

/// `{room, user_id, frame}`: the client's frame, checked and stored → `{posted}`, which the
/// relay fans out (`history: false`).
pub fn store_frame(app: &App, p: &Params) -> Result<Value> {
    let room = room_of(p)?;
    let me = p.user_id("user_id")?;
    let message = client::parse(p.str("frame")?, matches!(room, Room::Group(_)))?;
    let stored = store(app, room, &me, &message)?;
    Ok(json!({ "posted": Posted::of(app, &stored, false) }))
}

/// `{room, after}` → `{messages}`: the live frames of the messages stored after `after`, oldest
/// first, for a relay that noticed a gap.
pub fn read_after(app: &App, p: &Params) -> Result<Value> {
    let room = room_of(p)?;
    let after = p.opt_id("after")?.unwrap_or(0).max(0);
    Ok(json!({ "messages": super::after(app, room, after)? }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_whole() {
        assert!(super::secrets_match("abc", "abc"));
        assert!(!super::secrets_match("abc", "abd"));
        assert!(!super::secrets_match("abc", "abcd"));
    }
}
