//! The chat logic as the hub sees it in the native server: direct calls, no HTTP hop.

use std::sync::Arc;

use zudui_relay::Backend;
use zudui_shared::chat::live::Posted;
use zudui_shared::chat::relay::Opened;
use zudui_shared::chat::{self, ClientMessage, Target};
use zudui_shared::content::{text, Checked};
use zudui_shared::db::chat_messages::Room;
use zudui_shared::db::users;
use zudui_shared::error::{Code, Error, Result};
use zudui_shared::ids::{MessageId, UserId};
use zudui_shared::sendable::BoxFuture;
use zudui_shared::{accounts, App};

pub struct InProcess(pub Arc<App>);

impl Backend for InProcess {
    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<UserId>> {
        Box::pin(async move { accounts::user_of(&self.0, token) })
    }

    fn admit(&self, me: &UserId) -> Result<()> {
        chat::admit(&self.0, me)
    }

    fn open<'a>(&'a self, me: &'a UserId, target: &'a Target) -> BoxFuture<'a, Result<Opened>> {
        Box::pin(async move {
            let room = chat::open(&self.0, me, target)?;
            let openid = self.0.db.run(|c| Ok(users::openid(c, me)?))?;
            let openid = openid.ok_or_else(|| Error::new(Code::TokenInvalid))?;
            Ok(Opened { room, openid })
        })
    }

    fn check_text<'a>(
        &'a self,
        _me: &'a UserId,
        openid: &'a str,
        content: &'a str,
    ) -> BoxFuture<'a, Result<Checked>> {
        Box::pin(text::check_chat(&self.0, openid, content))
    }

    fn history<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        before: Option<MessageId>,
    ) -> BoxFuture<'a, Result<Vec<Posted>>> {
        Box::pin(async move {
            let page = chat::history(&self.0, room, me, before)?;
            Ok(page.iter().map(|m| Posted::of(&self.0, m, true)).collect())
        })
    }

    fn post<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        _frame: &'a str,
        message: &'a ClientMessage,
        checked: Checked,
    ) -> BoxFuture<'a, Result<Posted>> {
        Box::pin(async move {
            let stored = chat::store(&self.0, room, me, message, checked)?;
            Ok(Posted::of(&self.0, &stored, false))
        })
    }

    fn after(&self, room: Room, after: MessageId) -> BoxFuture<'_, Result<Vec<Posted>>> {
        Box::pin(async move { chat::after(&self.0, room, after) })
    }
}
