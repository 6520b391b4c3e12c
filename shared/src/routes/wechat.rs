//! What WeChat itself calls (our addition): the message push of media verdicts, and the signed
//! URLs it fetches media to check from. Both exist only with media checks configured
//! (`content::media`); otherwise they are 102.

use http::header;
use schemars::JsonSchema;
use serde::Deserialize;

use super::doc::{Doc, Gives, Tag};
use super::table::{open, Call};
use super::Route;
use crate::app::App;
use crate::body::{Body, Response};
use crate::content::media;
use crate::error::Code::*;
use crate::error::{Error, Result};
use crate::params::Params;
use crate::wechat::push;

pub const ROUTES: &[Route] = &[
    Route::get("/wechat/push", open!(handshake)).doc(&HANDSHAKE),
    Route::post("/wechat/push", open!(pushed)).doc(&PUSHED),
    Route::get("/wechat/media", open!(fetch)).doc(&MEDIA),
];

const HANDSHAKE: Doc = Doc::new("wechatPushHandshake", Tag::Wechat, "Message push: verify the URL")
    .about("WeChat's check of the push URL set in the mini-program's console: with a good signature (`sha1` of `wechat_push_token`, `timestamp` and `nonce`, sorted), the `echostr` comes back as it came. A bad signature is 112.")
    .takes::<Handshake>()
    .answers(Gives::Text("The `echostr`, unchanged."))
    .codes(&[NoEndpoint, TokenInvalid]);

/// WeChat's signature of a push.
#[derive(Deserialize, JsonSchema)]
pub struct Signed {
    #[schemars(length(max = 64))]
    pub signature: String,
    #[schemars(length(max = 32))]
    pub timestamp: String,
    #[schemars(length(max = 64))]
    pub nonce: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct Handshake {
    #[serde(flatten)]
    pub signed: Signed,
    #[schemars(length(max = 128))]
    pub echostr: String,
}

/// 102 without media checks, 112 unless WeChat signed the call.
fn verify(app: &App, signed: &Signed) -> Result<()> {
    let configured = media::configured(app)?.ok_or_else(|| Error::new(NoEndpoint))?;
    match push::signed(
        configured.push_token,
        &signed.timestamp,
        &signed.nonce,
        &signed.signature,
    ) {
        true => Ok(()),
        false => Err(Error::with_message(TokenInvalid, "推送签名无效")),
    }
}

async fn handshake(app: &App, call: Call) -> Result<Response> {
    let Handshake { signed, echostr } = call.fields()?;
    verify(app, &signed)?;
    text(echostr)
}

const PUSHED: Doc = Doc::new("wechatPush", Tag::Wechat, "Message push: a media check's verdict")
    .about("WeChat posts events as JSON (the plain-text mode), signed in the query as for the handshake (112 otherwise). A `wxa_media_check` event with `suggest: risky` takes the media down (a picture back to the default or away, a chat file removed and its messages withdrawn; audited as `wechat`), `review` queues it for the console; other events are ignored. Answers `success`.")
    .takes::<Signed>()
    .answers(Gives::Text("`success`"))
    .codes(&[NoEndpoint, TokenInvalid]);

async fn pushed(app: &App, call: Call) -> Result<Response> {
    let signed: Signed = Params::from_query(call.req.uri().query().unwrap_or_default()).typed()?;
    verify(app, &signed)?;
    let event: push::Event = call
        .params
        .into_typed()
        .map_err(|_| Error::param("event"))?;
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
    pub id: i64,
    pub expires: i64,
    #[schemars(length(max = 64))]
    pub sig: String,
}

async fn fetch(app: &App, call: Call) -> Result<Response> {
    let MediaRef { id, expires, sig } = call.fields()?;
    let (bytes, content_type) = media::fetch(app, id, expires, &sig).await?;
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
