//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::{admit, create_group, user, Options, Server};
pub use serde_json::{json, Value};

pub const ADMIN: &str = "admin-token-for-tests-0123456789";

pub async fn admin_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await
}

/// A request to `/debug/api/*` with optional bearer, cookie and CSRF token.
pub async fn call(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut req = server.client.request(method, server.url(path));
    if let Some(bearer) = bearer {
        req = req.header("authorization", format!("Bearer {bearer}"));
    }
    if let Some(cookie) = cookie {
        req = req.header("cookie", format!("zudui_admin={cookie}"));
    }
    if let Some(csrf) = csrf {
        req = req.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let (_, body) = crate::common::schema::read(res).await;
    (status, body.unwrap_or(Value::Null), set_cookie)
}

pub async fn get(server: &Server, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let (status, body, _) =
        call(server, reqwest::Method::GET, path, bearer, None, None, None).await;
    (status, body)
}

/// `POST /debug/api/login {token}`.
pub async fn login_with(server: &Server, token: &str) -> (u16, Value, Option<String>) {
    let body = json!({ "token": token });
    let login = reqwest::Method::POST;
    call(
        server,
        login,
        "/debug/api/login",
        None,
        None,
        None,
        Some(body),
    )
    .await
}

/// Signs in through the API as the page does: the session cookie and its CSRF token.
pub async fn sign_in(server: &Server) -> (String, String) {
    let (status, res, set_cookie) = login_with(server, ADMIN).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let set_cookie = set_cookie.expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/debug"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let session = set_cookie
        .strip_prefix("zudui_admin=")
        .and_then(|rest| rest.split(';').next())
        .expect("cookie value")
        .to_owned();
    (
        session,
        res["csrf"].as_str().expect("csrf token").to_owned(),
    )
}

/// `POST /debug/api/logout` by a script (`bearer`) or by the page (a session and its CSRF token).
pub async fn log_out(
    server: &Server,
    bearer: Option<&str>,
    page: Option<(&str, &str)>,
) -> (u16, Value, Option<String>) {
    let (session, csrf) = page.unzip();
    let post = reqwest::Method::POST;
    call(
        server,
        post,
        "/debug/api/logout",
        bearer,
        session,
        csrf,
        None,
    )
    .await
}

pub async fn audit_targets(server: &Server) -> Vec<String> {
    let (_, res) = get(server, "/debug/api/audit", Some(ADMIN)).await;
    res["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap()
            )
        })
        .collect()
}
