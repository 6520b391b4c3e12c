//! Signing in: `jscode2session` turns the `code` of `wx.login` into the user's openid.

use serde::Deserialize;

use crate::app::App;
use crate::error::{Code, Error, Result};

#[derive(Deserialize)]
struct Session {
    openid: Option<String>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

/// `jscode2session` under `wechat_api_base`, with the query (which carries the secret).
pub fn session_url(api_base: &str, query: &str) -> String {
    format!("{api_base}/sns/jscode2session?{query}")
}

/// The openid behind a login `code`. With the development login on, the code is the openid.
pub async fn openid_for_code(app: &App, code: &str) -> Result<String> {
    let settings = app.settings.wechat()?;
    if settings.dev_login {
        return Ok(code.to_owned());
    }
    let (Some(appid), Some(secret)) = (&settings.wechat_appid, &settings.wechat_secret) else {
        log::error!(
            "WeChat login is not configured: set ZUDUI_WECHAT_APPID and ZUDUI_WECHAT_SECRET"
        );
        return Err(Error::with_message(Code::WechatLogin, "微信登录未配置"));
    };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("appid", appid)
        .append_pair("secret", secret)
        .append_pair("js_code", code)
        .append_pair("grant_type", "authorization_code")
        .finish();
    let url = session_url(&settings.wechat_api_base, &query);
    let request = http::Request::get(url)
        .body(Vec::new())
        .map_err(anyhow::Error::from)?;
    let unreachable = || Error::with_message(Code::WechatLogin, "微信服务暂时不可用");
    let response = app.http.send(request).await.map_err(|e| {
        // The request URL carries the secret: keep it out of the log.
        log::warn!(
            "WeChat jscode2session failed: {}",
            format!("{e:#}").replace(secret.as_str(), "***")
        );
        unreachable()
    })?;
    if !response.status().is_success() {
        log::warn!("WeChat jscode2session answered HTTP {}", response.status());
        return Err(unreachable());
    }
    let session: Session = serde_json::from_slice(response.body()).map_err(|_| {
        log::warn!("WeChat jscode2session answered something that is not its JSON");
        unreachable()
    })?;
    match session.openid {
        Some(openid) if session.errcode == 0 && !openid.is_empty() => Ok(openid),
        _ => {
            log::info!(
                "WeChat refused a login code: errcode {} {}",
                session.errcode,
                session.errmsg
            );
            Err(Error::with_message(
                Code::WechatLogin,
                "微信登录失败: code 无效或已使用",
            ))
        }
    }
}
