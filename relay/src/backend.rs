//! What the hub needs from the chat logic: the native server calls it in-process, the standalone
//! relay over HTTP (the `chat` component's internal routes). Nothing stored is published here:
//! the hub publishes what `post` returns.

use zudui_shared::chat::live::Posted;
use zudui_shared::chat::relay::Opened;
use zudui_shared::chat::{ClientMessage, Target};
use zudui_shared::content::Checked;
use zudui_shared::db::chat_messages::Room;
use zudui_shared::error::Result;
use zudui_shared::ids::{MessageId, UserId};
use zudui_shared::sendable::BoxFuture;

pub trait Backend: Send + Sync + 'static {
    /// The user a session token names: 111/112 for a bad token.
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<UserId>>;

    /// Takes a chat token of `me` before one of their frames is read: 105 when their bucket
    /// is empty.
    fn admit(&self, me: &UserId) -> Result<()>;

    /// The room `me` asks for, checked (401, 402, 403), and `me`'s openid.
    fn open<'a>(&'a self, me: &'a UserId, target: &'a Target) -> BoxFuture<'a, Result<Opened>>;

    /// Judges a text `me` (WeChat's `openid`) sends before it is posted: 106 when WeChat calls it
    /// risky, 107 while it cannot be asked; else what to queue with the message.
    fn check_text<'a>(
        &'a self,
        me: &'a UserId,
        openid: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Checked>>;

    /// A history page for `me` (the newest without `before`), oldest first, rendered with
    /// `history: true`.
    fn history<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        before: Option<MessageId>,
    ) -> BoxFuture<'a, Result<Vec<Posted>>>;

    /// Stores a message `me` sent (the client's `frame`, already parsed as `message`) and
    /// returns it rendered with `history: false`.
    fn post<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        frame: &'a str,
        message: &'a ClientMessage,
        checked: Checked,
    ) -> BoxFuture<'a, Result<Posted>>;

    /// The messages stored after `after`, oldest first: at most [`AFTER_PAGE`], a shorter page
    /// when it reaches the newest one. To fill a gap.
    ///
    /// [`AFTER_PAGE`]: zudui_shared::chat::AFTER_PAGE
    fn after(&self, room: Room, after: MessageId) -> BoxFuture<'_, Result<Vec<Posted>>>;
}
