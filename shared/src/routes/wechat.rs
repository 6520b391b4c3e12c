//! What WeChat itself calls (our addition): the message push of media verdicts, and the signed
//! URLs it fetches media to check from. Both exist only with media checks configured
//! (`content::media`); otherwise they are 102.

use http::header;
use schemars::JsonSchema;
use serde::Deserialize;

use super::doc::{Doc, Gives, Tag};
use super::table::{open, Call, Methods};
use super::Route;
use crate::app::App;
use crate::body::{Body, Response};
use crate::content::media;
use crate::error::Code::*;
use crate::error::{Error, Result};
use crate::fields::Id;
use crate::time;
use crate::wechat::push as wechat_push;

pub const ROUTES: &[Route] = &[
    Route::get("/wechat/push", open!(push))
        .methods(Methods::GetOrPost)
        .raw_body()
        .doc(&PUSH),
    Route::get("/wechat/media", open!(fetch)).doc(&MEDIA),
];

const PUSH: Doc = Doc::new("wechatPush", Tag::Wechat, "Message push (消息推送)")
    .about("The URL set for message push in the mini-program's console, signed by WeChat in the query (`signature`: the SHA-1 of `wechat_push_token`, `timestamp` and `nonce`, sorted; 112 otherwise, and for a `timestamp` more than 5 minutes from now, so that a signed query seen once cannot be replayed later). GET is WeChat's check of the URL: the `echostr` comes back as it came. POST carries an event as JSON (the plain-text mode, at most 64 KiB): a `wxa_media_check` verdict with `suggest: risky` takes the media down (a picture back to the default or away, a chat file removed and its messages withdrawn; audited as `wechat`), `review` queues it for the console; other events are ignored. The POST answers `success`.")
    .takes::<Push>()
    .answers(Gives::Text("The `echostr` (GET), or `success` (POST)."))
    .codes(&[NoEndpoint, TokenInvalid]);

/// WeChat's signature of a push, and the handshake's `echostr`.
#[derive(Deserialize, JsonSchema)]
pub struct Push {
    #[schemars(length(max = 64))]
    pub signature: String,
    #[schemars(length(max = 32))]
    pub timestamp: String,
    #[schemars(length(max = 64))]
    pub nonce: String,
    #[serde(default)]
    #[schemars(length(max = 128))]
    pub echostr: Option<String>,
}

/// The largest pushed event read.
const EVENT_MAX: usize = 64 << 10;

async fn push(app: &App, call: Call) -> Result<Response> {
    let push: Push = call.fields()?;
    let configured = media::configured(app)?.ok_or_else(|| Error::new(NoEndpoint))?;
    let token = configured.push_token;
    if !wechat_push::signed(token, &push.timestamp, &push.nonce, &push.signature) {
        return Err(Error::with_message(TokenInvalid, "推送签名无效"));
    }
    if !wechat_push::recent(&push.timestamp, time::now()) {
        return Err(Error::with_message(TokenInvalid, "推送已过期"));
    }
    if call.req.method() == http::Method::GET {
        return text(push.echostr.unwrap_or_default());
    }
    let body = call.req.into_body().collect(EVENT_MAX).await?;
    let event: wechat_push::Event =
        serde_json::from_slice(&body).map_err(|_| Error::param("event"))?;
    media::on_verdict(app, &event).await?;
    text("success".into())
}

const MEDIA: Doc = Doc::new("wechatMedia", Tag::Wechat, "Media for WeChat to check")
    .about("The URL given to WeChat's `mediaCheckAsync`: the picture or voice of one check, while its signature holds (30 minutes). Anything else is 102, so URLs cannot be probed.")
    .takes::<MediaRef>()
    .answers(Gives::Media)
    .codes(&[NoEndpoint]);

#[derive(Deserialize, JsonSchema)]
pub struct MediaRef {
    pub id: Id,
    /// Unix seconds
    pub expires: Id,
    #[schemars(length(max = 64))]
    pub sig: String,
}

async fn fetch(app: &App, call: Call) -> Result<Response> {
    let MediaRef { id, expires, sig } = call.fields()?;
    let (bytes, content_type) = media::fetch(app, id.0, expires.0, &sig).await?;
    let res = http::Response::builder()
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::from(bytes::Bytes::from(bytes)))
        .map_err(anyhow::Error::from)?;
    Ok(res)
}

fn text(body: String) -> Result<Response> {
    let res = http::Response::builder()
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Body::from(bytes::Bytes::from(body)))
        .map_err(anyhow::Error::from)?;
    Ok(res)
}
