//! A fake of WeChat's `jscode2session` on loopback.
//!
//! Codes: `good-X` signs in openid `wx-X`; `used` and anything else are refused with WeChat's
//! error codes; `boom` answers HTTP 500; `garbage` answers something that is not JSON.

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use std::collections::HashMap;

pub const APPID: &str = "wx-test-appid";
pub const SECRET: &str = "wx-test-secret-do-not-log";

pub struct FakeWechat {
    pub base: String,
    _task: tokio::task::JoinHandle<()>,
}

impl FakeWechat {
    pub async fn start() -> FakeWechat {
        let app = axum::Router::new().route("/sns/jscode2session", get(session));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeWechat { base, _task: task }
    }
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
