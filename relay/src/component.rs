//! The chat logic of a Spin deployment, reached over HTTP: the `chat` component's internal
//! routes (`/chat/internal/*`, the calls of `zudui_shared::chat::relay`), each call carrying the
//! shared relay secret. Tokens are checked here with the same signing key, so a handshake with a
//! bad token costs no call.

use serde_json::Value;
use zudui_shared::chat::live::Posted;
use zudui_shared::chat::relay::{
    OpenRoom, Opened, ReadAfter, ReadHistory, RelayCall, StoreFrame, SECRET_HEADER,
};
use zudui_shared::chat::{ClientMessage, Target};
use zudui_shared::config::{ContentChecks, WeChat};
use zudui_shared::content::{Checked, MemoryVerdicts, TextJudge};
use zudui_shared::db::chat_messages::Room;
use zudui_shared::error::{Code, Error, Result};
use zudui_shared::ids::{MessageId, UserId};
use zudui_shared::limits::{self, Action, Limits, MemoryBuckets};
use zudui_shared::sendable::BoxFuture;
use zudui_shared::token::Tokens;
use zudui_shared::wechat::security::Scene;
use zudui_shared::wechat::MemoryTokens;

use crate::backend::Backend;
use crate::http::NativeHttp;

pub struct Component {
    client: reqwest::Client,
    /// Chat messages are counted here, before a frame is read (`ZUDUI_RATE_LIMITS`): the relay
    /// is one long-lived process, so its buckets stay in memory.
    limits: Limits,
    buckets: MemoryBuckets,
    /// The Spin application's base URL, without a trailing slash.
    base: String,
    secret: String,
    tokens: Tokens,
    texts: TextChecks,
}

/// Chat texts judged by the relay itself, with its own access token and recent verdicts in
/// memory: the relay is one long-lived native process without the hosted outbound budget.
pub struct TextChecks {
    wechat: WeChat,
    settings: ContentChecks,
    http: NativeHttp,
    tokens: MemoryTokens,
    verdicts: MemoryVerdicts,
}

impl TextChecks {
    pub fn new(wechat: WeChat, settings: ContentChecks) -> anyhow::Result<TextChecks> {
        Ok(TextChecks {
            wechat,
            settings,
            http: NativeHttp::new()?,
            tokens: MemoryTokens::default(),
            verdicts: MemoryVerdicts::default(),
        })
    }

    /// Whether the relay checks chat texts (WeChat's settings are given to it).
    fn is_on(&self) -> bool {
        self.settings.on(&self.wechat)
    }

    /// A chat text of `openid`, judged (chat tokens already paid for the frame).
    async fn check(&self, openid: &str, text: &str) -> Result<Checked> {
        let judge = TextJudge::new(
            &self.wechat,
            &self.settings,
            &self.http,
            &self.tokens,
            &self.verdicts,
        );
        judge
            .judge(openid, Scene::Comment, &[text], |_| Ok(true))
            .await
    }
}

impl Component {
    pub fn new(
        base: &str,
        secret: &str,
        jwt_secret: &[u8],
        limits: Limits,
        texts: TextChecks,
    ) -> anyhow::Result<Component> {
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Component {
            client,
            limits,
            buckets: MemoryBuckets::default(),
            base: base.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
            // Only verified here; the lifetime only matters when issuing.
            tokens: Tokens::new(jwt_secret, 1),
            texts,
        })
    }

    /// Makes one of the component's calls; its failures come back as the same errors.
    async fn call<C: RelayCall>(&self, call: C) -> Result<C::Answer> {
        let response = self
            .client
            .post(format!("{}{}", self.base, C::PATH))
            .header(SECRET_HEADER, &self.secret)
            .json(&call)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!("chat component unreachable: {e}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| anyhow::anyhow!("chat component answer cut: {e}"))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| anyhow::anyhow!("chat component answered {status} without JSON"))?;
        match value["code"].as_u64() {
            Some(0) => Ok(serde_json::from_value(value)
                .map_err(|e| anyhow::anyhow!("chat component answer unexpected: {e}"))?),
            Some(number) => {
                let code = u16::try_from(number).ok().and_then(Code::from_number);
                let message = value["errorMsg"].as_str().unwrap_or_default().to_owned();
                match code {
                    // The component's own failure: its details stay in its log.
                    Some(Code::Internal) | None => {
                        Err(anyhow::anyhow!("chat component failed ({status})").into())
                    }
                    Some(Code::TooManyRequests) => Err(Error::Limited {
                        retry_after: value["retry_after"].as_u64().unwrap_or(1),
                    }),
                    Some(code) => Err(Error::with_message(code, message)),
                }
            }
            None => Err(anyhow::anyhow!("chat component answered {status} without a code").into()),
        }
    }
}

impl Backend for Component {
    fn admit(&self, me: &UserId) -> Result<()> {
        limits::check_in(&self.limits, &self.buckets, Action::Chat, Some(me), None)
    }

    fn authenticate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<UserId>> {
        Box::pin(async move { self.tokens.verify(token) })
    }

    fn open<'a>(&'a self, me: &'a UserId, target: &'a Target) -> BoxFuture<'a, Result<Opened>> {
        Box::pin(async move {
            let call = OpenRoom {
                user_id: me.to_owned(),
                target: target.clone(),
            };
            self.call(call).await
        })
    }

    fn check_text<'a>(
        &'a self,
        _me: &'a UserId,
        openid: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Checked>> {
        Box::pin(self.texts.check(openid, text))
    }

    fn history<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        before: Option<MessageId>,
    ) -> BoxFuture<'a, Result<Vec<Posted>>> {
        Box::pin(async move {
            let call = ReadHistory {
                room,
                user_id: me.to_owned(),
                before,
            };
            Ok(self.call(call).await?.messages)
        })
    }

    fn post<'a>(
        &'a self,
        room: Room,
        me: &'a UserId,
        frame: &'a str,
        _message: &'a ClientMessage,
        checked: Checked,
    ) -> BoxFuture<'a, Result<Posted>> {
        Box::pin(async move {
            let call = StoreFrame {
                room,
                user_id: me.to_owned(),
                frame: frame.to_owned(),
                review: checked.review(),
                judged: self.texts.is_on(),
            };
            Ok(self.call(call).await?.posted)
        })
    }

    fn after(&self, room: Room, after: MessageId) -> BoxFuture<'_, Result<Vec<Posted>>> {
        Box::pin(async move {
            Ok(self
                .call(ReadAfter {
                    room,
                    after: after.0,
                })
                .await?
                .messages)
        })
    }
}
