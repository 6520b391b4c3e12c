//! The live side of chat, which the host provides: the native server's hub delivers to open
//! sockets; without one (a Spin component before the relay publishes) messages are only stored.

use crate::app::App;
use crate::db::chat_messages::{Message, Room};
use crate::error::Result;
use crate::sendable::MaybeSend;

pub trait Live: MaybeSend {
    /// Stores a message with `store` and delivers it to the room's connected members, so that
    /// storing and delivering happen in the room's one order.
    fn post(
        &self,
        app: &App,
        room: Room,
        store: &mut dyn FnMut() -> Result<Message>,
    ) -> Result<Message>;
    /// `user` has left group `group` (removed or exited): their open sessions there end.
    fn left(&self, group: i64, user: &str);
}

/// No sockets: messages are stored, and clients see them as history.
pub struct Offline;

impl Live for Offline {
    fn post(
        &self,
        _app: &App,
        _room: Room,
        store: &mut dyn FnMut() -> Result<Message>,
    ) -> Result<Message> {
        store()
    }

    fn left(&self, _group: i64, _user: &str) {}
}
