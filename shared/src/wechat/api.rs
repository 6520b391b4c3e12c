//! Calls of WeChat's server API that carry the mini-program's access token.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::access_token::{self, Cached, TokenStore};
use crate::config::WeChat;
use crate::outbound::HttpClient;

/// The mini-program's side of WeChat's server API: its credentials, where its access token is
/// kept, and how to reach WeChat.
pub struct ServerApi<'a> {
    http: &'a dyn HttpClient,
    base: &'a str,
    appid: &'a str,
    secret: &'a str,
    pub(super) tokens: &'a dyn TokenStore,
}

/// Why a call gave no answer.
#[derive(Debug)]
pub enum Failure {
    /// WeChat could not be asked, or gave no answer we understand.
    Unreachable(String),
    /// WeChat answered with an error code.
    Refused { errcode: i64, errmsg: String },
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Unreachable(why) => write!(f, "WeChat unreachable: {why}"),
            Failure::Refused { errcode, errmsg } => write!(f, "WeChat errcode {errcode} {errmsg}"),
        }
    }
}

/// Error codes that mean the access token a call carried is no longer valid (40001 invalid
/// credential, 42001 expired): the call is made once more with a fresh token.
const STALE_TOKEN: [i64; 2] = [40001, 42001];

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Deserialize)]
struct StableToken {
    access_token: String,
    expires_in: i64,
}

impl<'a> ServerApi<'a> {
    /// The API of the configured mini-program; `None` without its appid and secret.
    pub fn new(
        settings: &'a WeChat,
        http: &'a dyn HttpClient,
        tokens: &'a dyn TokenStore,
    ) -> Option<ServerApi<'a>> {
        Some(ServerApi {
            http,
            base: &settings.wechat_api_base,
            appid: settings.wechat_appid.as_deref()?,
            secret: settings.wechat_secret.as_deref()?,
            tokens,
        })
    }

    /// POSTs `body` to `path` with the access token and reads the answer as a `T`; asks once more
    /// with a fresh token when WeChat says the token went stale.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, Failure> {
        let token = access_token::current(self, None).await?;
        match self.post_with(path, &token, body).await {
            Err(Failure::Refused { errcode, .. }) if STALE_TOKEN.contains(&errcode) => {
                log::info!("WeChat says the access token is stale (errcode {errcode}): refreshing");
                let fresh = access_token::current(self, Some(&token)).await?;
                self.post_with(path, &fresh, body).await
            }
            answer => answer,
        }
    }

    async fn post_with<T: DeserializeOwned>(
        &self,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Result<T, Failure> {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("access_token", token)
            .finish();
        self.send(&format!("{}{path}?{query}", self.base), body)
            .await
    }

    /// An access token from `stable_token`, which hands every caller the same token until it
    /// expires (so that one refresh cannot invalidate another's), or with `force` a new one
    /// (WeChat allows a few a day: only for a token it refused).
    pub(super) async fn fetch_token(&self, force: bool) -> Result<Cached, Failure> {
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": self.appid,
            "secret": self.secret,
            "force_refresh": force,
        });
        let answer: StableToken = self
            .send(&format!("{}/cgi-bin/stable_token", self.base), &body)
            .await?;
        Ok(Cached::expiring_in(answer.access_token, answer.expires_in))
    }

    /// POSTs JSON to `url` and reads WeChat's answer. Nothing here logs the URL or the body:
    /// they carry the token or the secret.
    async fn send<T: DeserializeOwned>(&self, url: &str, body: &Value) -> Result<T, Failure> {
        let request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default())
            .map_err(|e| Failure::Unreachable(format!("bad request: {e}")))?;
        let response = self.http.send(request).await.map_err(|e| {
            let why = format!("{e:#}").replace(self.secret, "***");
            Failure::Unreachable(why)
        })?;
        if !response.status().is_success() {
            return Err(Failure::Unreachable(format!("HTTP {}", response.status())));
        }
        let envelope: Envelope = serde_json::from_slice(response.body())
            .map_err(|_| Failure::Unreachable("an answer that is not WeChat's JSON".into()))?;
        if envelope.errcode != 0 {
            return Err(Failure::Refused {
                errcode: envelope.errcode,
                errmsg: envelope.errmsg,
            });
        }
        serde_json::from_slice(response.body())
            .map_err(|e| Failure::Unreachable(format!("an answer without its fields: {e}")))
    }
}
