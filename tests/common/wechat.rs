//! A fake of WeChat's server API on loopback.
//!
//! `jscode2session`: `good-X` signs in openid `wx-X`; `used` and anything else are refused with
//! WeChat's error codes; `boom` answers HTTP 500; `garbage` answers something that is not JSON.
//!
//! `stable_token` hands out `token-N` (N counts the tokens made): in the normal mode the current
//! one while it lasts (more than 300 s), a new one with `force_refresh`;
//! [`FakeWechat::expire_token`] makes the current one stale (WeChat's 40001 on the next call that
//! carries it, and the normal mode still hands it out).
//!
//! `msg_sec_check` (version 2): a text containing `RISKY` is `risky` (label 20001), `REVIEW` is
//! `review` (10001), `BROKEN` gets errcode 61010; anything else passes. Each check is recorded.
//!
//! `media_check_async` records each submission and answers trace id `media-N`; while
//! [`FakeWechat::refuse_media`] is on it answers errcode 45009 instead. Verdicts are pushed by
//! the test itself ([`push`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Json;
use serde_json::{json, Value};

pub const APPID: &str = "wx-test-appid";
pub const SECRET: &str = "wx-test-secret-do-not-log";

pub struct FakeWechat {
    pub base: String,
    state: Arc<Mutex<Calls>>,
    task: tokio::task::JoinHandle<()>,
}

/// What the fake was asked.
#[derive(Default, Clone, Debug)]
pub struct Calls {
    /// Tokens handed out by `stable_token`.
    pub tokens: usize,
    /// Whether the newest token was made stale.
    pub stale: bool,
    /// Every `msg_sec_check` body, in order.
    pub text_checks: Vec<Value>,
    /// Every `media_check_async` body taken, in order.
    pub media_checks: Vec<Value>,
    /// Whether `media_check_async` refuses (errcode 45009, over its quota).
    pub refuse_media: bool,
    /// `expires_in` of the tokens handed out (WeChat's is 7200).
    pub token_seconds: Option<i64>,
    /// `stable_token` calls, and those with `force_refresh`.
    pub token_calls: usize,
    pub forced: usize,
}

impl Calls {
    /// WeChat's 40001 for a call that carries no current token (or a stale one).
    fn refuse_token(&self, query: &HashMap<String, String>) -> Option<axum::response::Response> {
        let current = format!("token-{}", self.tokens);
        let carried = query.get("access_token");
        let refused = self.tokens == 0 || carried != Some(&current) || self.stale;
        refused.then(|| json(r#"{"errcode":40001,"errmsg":"invalid credential"}"#))
    }
}

impl FakeWechat {
    pub async fn start() -> FakeWechat {
        let state = Arc::new(Mutex::new(Calls::default()));
        let app = axum::Router::new()
            .route("/sns/jscode2session", get(session))
            .route("/cgi-bin/stable_token", post(stable_token))
            .route("/wxa/msg_sec_check", post(msg_sec_check))
            .route("/wxa/media_check_async", post(media_check_async))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeWechat { base, state, task }
    }

    /// The settings that point a server at this fake with the test credentials.
    pub fn options(&self, options: super::Options) -> super::Options {
        options
            .env("ZUDUI_WECHAT_APPID", APPID)
            .env("ZUDUI_WECHAT_SECRET", SECRET)
            .env("ZUDUI_WECHAT_API_BASE", &self.base)
    }

    pub fn calls(&self) -> Calls {
        self.state.lock().unwrap().clone()
    }

    /// The texts checked so far.
    pub fn checked_texts(&self) -> Vec<String> {
        let calls = self.calls();
        let content = |c: &Value| c["content"].as_str().unwrap_or_default().to_owned();
        calls.text_checks.iter().map(content).collect()
    }

    /// Hands out tokens that expire in `seconds`.
    pub fn token_seconds(&self, seconds: i64) {
        self.state.lock().unwrap().token_seconds = Some(seconds);
    }

    /// Makes `media_check_async` refuse (or take again) what it is given.
    pub fn refuse_media(&self, refuse: bool) {
        self.state.lock().unwrap().refuse_media = refuse;
    }

    /// Makes the current access token stale: the next call carrying it gets errcode 40001.
    pub fn expire_token(&self) {
        self.state.lock().unwrap().stale = true;
    }

    /// Stops answering: WeChat is unreachable from now on.
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for FakeWechat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn stable_token(
    State(state): State<Arc<Mutex<Calls>>>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    if body["appid"] != APPID || body["secret"] != SECRET {
        return json(r#"{"errcode":40013,"errmsg":"invalid appid"}"#);
    }
    if body["grant_type"] != "client_credential" {
        return json(r#"{"errcode":40002,"errmsg":"invalid grant_type"}"#);
    }
    let mut calls = state.lock().unwrap();
    // The normal mode hands out the current token while it lasts, even one made stale; a forced
    // refresh (or an expiring token) makes a new one.
    let expires_in = calls.token_seconds.unwrap_or(7200);
    let lasts = calls.tokens > 0 && expires_in > 300;
    calls.token_calls += 1;
    calls.forced += usize::from(body["force_refresh"] == true);
    if !lasts || body["force_refresh"] == true {
        calls.tokens += 1;
        calls.stale = false;
    }
    Json(json!({"access_token": format!("token-{}", calls.tokens), "expires_in": expires_in}))
        .into_response()
}

async fn media_check_async(
    State(state): State<Arc<Mutex<Calls>>>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let mut calls = state.lock().unwrap();
    if let Some(refused) = calls.refuse_token(&q) {
        return refused;
    }
    if body["version"] != 2 || !body["media_url"].is_string() || !body["media_type"].is_u64() {
        return json(r#"{"errcode":40003,"errmsg":"invalid args"}"#);
    }
    if calls.refuse_media {
        return json(r#"{"errcode":45009,"errmsg":"reach max api daily quota limit"}"#);
    }
    calls.media_checks.push(body);
    let trace_id = format!("media-{}", calls.media_checks.len());
    Json(json!({"errcode": 0, "errmsg": "ok", "trace_id": trace_id})).into_response()
}

async fn msg_sec_check(
    State(state): State<Arc<Mutex<Calls>>>,
    Query(q): Query<HashMap<String, String>>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let mut calls = state.lock().unwrap();
    if let Some(refused) = calls.refuse_token(&q) {
        return refused;
    }
    if body["version"] != 2 || !body["openid"].is_string() || !body["scene"].is_u64() {
        return json(r#"{"errcode":40003,"errmsg":"invalid args"}"#);
    }
    calls.text_checks.push(body.clone());
    let content = body["content"].as_str().unwrap_or_default();
    let (suggest, label) = if content.contains("BROKEN") {
        return json(r#"{"errcode":61010,"errmsg":"user not access in 2 hours"}"#);
    } else if content.contains("RISKY") {
        ("risky", 20001)
    } else if content.contains("REVIEW") {
        ("review", 10001)
    } else {
        ("pass", 100)
    };
    Json(json!({
        "errcode": 0,
        "errmsg": "ok",
        "trace_id": format!("trace-{}", calls.text_checks.len()),
        "result": {"suggest": suggest, "label": label},
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
    }))
    .into_response()
}

async fn session(Query(q): Query<HashMap<String, String>>) -> axum::response::Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    if get("appid") != APPID || get("secret") != SECRET {
        return json(r#"{"errcode":40013,"errmsg":"invalid appid"}"#);
    }
    if get("grant_type") != "authorization_code" {
        return json(r#"{"errcode":40002,"errmsg":"invalid grant_type"}"#);
    }
    match get("js_code") {
        "boom" => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        "garbage" => "<html>not json</html>".into_response(),
        "used" => json(r#"{"errcode":40163,"errmsg":"code been used"}"#),
        code => match code.strip_prefix("good-") {
            Some(id) => json(&format!(
                r#"{{"openid":"wx-{id}","session_key":"sk","unionid":"u-{id}"}}"#
            )),
            None => json(r#"{"errcode":40029,"errmsg":"invalid code"}"#),
        },
    }
}

fn json(body: &str) -> axum::response::Response {
    ([("content-type", "application/json")], body.to_owned()).into_response()
}

/// The query that signs a push with `token`, as WeChat makes it.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    use sha1::{Digest, Sha1};
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    let digest = hex::encode(Sha1::digest(parts.concat().as_bytes()));
    format!("signature={digest}&timestamp={timestamp}&nonce={nonce}")
}

/// WeChat's push of a media check's verdict.
pub fn media_verdict(trace_id: &str, suggest: &str, label: i64) -> Value {
    json!({
        "ToUserName": "gh_test",
        "FromUserName": "o-system",
        "CreateTime": 1_700_000_000,
        "MsgType": "event",
        "Event": "wxa_media_check",
        "appid": APPID,
        "trace_id": trace_id,
        "version": 2,
        "detail": [{"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label}],
        "errcode": 0,
        "errmsg": "ok",
        "result": {"suggest": suggest, "label": label},
    })
}
