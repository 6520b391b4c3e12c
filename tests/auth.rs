//! `/auth`: WeChat login against a fake WeChat, the development login, token checks, and the
//! envelope rules every endpoint shares.

mod common;

use common::wechat::{FakeWechat, APPID, SECRET};
use common::{Options, Server, JWT_SECRET};
use serde_json::json;
use zudui_shared::token::Tokens;

async fn wechat_server(fake: &FakeWechat) -> Server {
    Server::with(
        Options::default()
            .env("ZUDUI_WECHAT_APPID", APPID)
            .env("ZUDUI_WECHAT_SECRET", SECRET)
            .env("ZUDUI_WECHAT_API_BASE", &fake.base),
    )
    .await
}

#[tokio::test]
async fn wechat_login_creates_the_user_once() {
    let fake = FakeWechat::start().await;
    let server = wechat_server(&fake).await;

    let (status, first) = server
        .post("/auth/login", None, json!({ "code": "good-alice" }))
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["code"], 0);
    assert_eq!(first["msg"], "success");
    assert_eq!(first["openid"], "wx-alice");
    assert_eq!(first["first_login"], true);
    let token = first["token"].as_str().unwrap();

    let (_, second) = server
        .post("/auth/login", None, json!({ "code": "good-alice" }))
        .await;
    assert_eq!(second["first_login"], false);
    let again = second["token"].as_str().unwrap();

    // Both tokens name the same user, and that id is not the openid.
    let id = server.user_id(token).await;
    assert_eq!(id, server.user_id(again).await);
    assert_ne!(id, "wx-alice");
    assert!(!id.contains("alice"));

    let (_, other) = server
        .post("/auth/login", None, json!({ "code": "good-bob" }))
        .await;
    assert_eq!(other["first_login"], true);
    assert_ne!(server.user_id(other["token"].as_str().unwrap()).await, id);
}

#[tokio::test]
async fn wechat_refusals_and_outages_are_114() {
    let fake = FakeWechat::start().await;
    let server = wechat_server(&fake).await;
    for code in ["used", "nonsense", "boom", "garbage"] {
        server
            .fails("/auth/login", None, json!({ "code": code }), 114, 401)
            .await;
    }
    server.fails("/auth/login", None, json!({}), 101, 400).await;
    server
        .fails("/auth/login", None, json!({ "code": "" }), 101, 400)
        .await;
    server
        .fails("/auth/login", None, json!({ "code": 5 }), 101, 400)
        .await;

    // Wrong credentials, and a WeChat that cannot be reached.
    let wrong = Server::with(
        Options::default()
            .env("ZUDUI_WECHAT_APPID", APPID)
            .env("ZUDUI_WECHAT_SECRET", "not-the-secret")
            .env("ZUDUI_WECHAT_API_BASE", &fake.base),
    )
    .await;
    wrong
        .fails("/auth/login", None, json!({ "code": "good-a" }), 114, 401)
        .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_base = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let unreachable = Server::with(
        Options::default()
            .env("ZUDUI_WECHAT_APPID", APPID)
            .env("ZUDUI_WECHAT_SECRET", SECRET)
            .env("ZUDUI_WECHAT_API_BASE", &dead_base),
    )
    .await;
    unreachable
        .fails("/auth/login", None, json!({ "code": "good-a" }), 114, 401)
        .await;

    // Not configured and no development login: no way in.
    let unconfigured = Server::with(Options::default()).await;
    unconfigured
        .fails("/auth/login", None, json!({ "code": "anything" }), 114, 401)
        .await;
}

#[tokio::test]
async fn development_login_uses_the_code_as_openid() {
    let server = Server::start().await;
    let (status, value) = server
        .post("/auth/login", None, json!({ "code": "dev-openid-1" }))
        .await;
    assert_eq!(status, 200);
    assert_eq!(value["openid"], "dev-openid-1");
    assert_eq!(value["first_login"], true);
}

#[tokio::test]
async fn check_login_tells_valid_from_invalid_tokens() {
    let server = Server::start().await;
    let token = server.login("checker").await;
    let id = server.user_id(&token).await;

    let (status, value) = server
        .post("/auth/checkLogin", Some(&token), json!({}))
        .await;
    assert_eq!(
        (status, value),
        (200, json!({ "code": 0, "msg": "success", "status": true }))
    );

    let tokens = Tokens::new(JWT_SECRET.as_bytes(), 1);
    let now = zudui_shared::time::now() as u64;
    let expired = tokens
        .issue_between(&id.as_str().into(), now - 7200, now - 60)
        .unwrap();
    let foreign = Tokens::new(b"some-other-server-secret-123456", 1)
        .issue(&id.as_str().into())
        .unwrap();
    let unknown_user = tokens.issue(&"no-such-user".into()).unwrap();
    let mut tampered = token.clone();
    tampered.insert(tampered.len() / 2, 'x');
    for bad in [
        expired.as_str(),
        foreign.as_str(),
        unknown_user.as_str(),
        tampered.as_str(),
        "junk",
    ] {
        let (status, value) = server.post("/auth/checkLogin", Some(bad), json!({})).await;
        assert_eq!(
            (status, &value["status"]),
            (200, &json!(false)),
            "{bad}: {value}"
        );
    }
    server
        .fails("/auth/checkLogin", None, json!({}), 113, 401)
        .await;
}

/// A server's first request may be a read: on Spin, where the schema is brought up to date at the
/// first write, a read of a fresh database makes it so and answers as on a current one.
#[tokio::test]
async fn a_read_as_the_first_request_answers() {
    let server = Server::start().await;
    let stranger = Tokens::new(JWT_SECRET.as_bytes(), 1)
        .issue(&"no-such-user".into())
        .unwrap();
    let (status, value) = server
        .post("/auth/checkLogin", Some(&stranger), json!({}))
        .await;
    assert_eq!((status, &value["status"]), (200, &json!(false)), "{value}");
    server
        .fails(
            "/user/info/text/getInfo",
            Some(&stranger),
            json!({}),
            112,
            401,
        )
        .await;
    let token = server.login("first").await;
    let (status, value) = server
        .post("/auth/checkLogin", Some(&token), json!({}))
        .await;
    assert_eq!((status, &value["status"]), (200, &json!(true)), "{value}");
}

#[tokio::test]
async fn protected_endpoints_tell_token_errors_apart() {
    let server = Server::start().await;
    let token = server.login("tokens").await;
    let id = server.user_id(&token).await;
    let path = "/user/info/text/getInfo";

    server.fails(path, None, json!({}), 113, 401).await;
    server.fails(path, Some(""), json!({}), 113, 401).await;
    let tokens = Tokens::new(JWT_SECRET.as_bytes(), 1);
    let now = zudui_shared::time::now() as u64;
    let expired = tokens
        .issue_between(&id.as_str().into(), now - 7200, now - 60)
        .unwrap();
    server
        .fails(path, Some(&expired), json!({}), 111, 401)
        .await;
    let foreign = Tokens::new(b"some-other-server-secret-123456", 1)
        .issue(&id.as_str().into())
        .unwrap();
    server
        .fails(path, Some(&foreign), json!({}), 112, 401)
        .await;
    server.fails(path, Some("a.b.c"), json!({}), 112, 401).await;
    let ghost = tokens.issue(&"no-such-user".into()).unwrap();
    server.fails(path, Some(&ghost), json!({}), 112, 401).await;

    // GET endpoints read the token from the query string.
    let res = server
        .get("/user/info/avatar/get", &[("token", expired.as_str())])
        .await;
    assert_eq!(res.status(), 401);
    let value: serde_json::Value = res.json().await.unwrap();
    assert_eq!(value["code"], 111);
}

#[tokio::test]
async fn envelope_rules_for_bad_requests() {
    let server = Server::start().await;
    let token = server.login("envelope").await;

    // Unknown paths, wrong methods.
    server
        .fails("/no/such/path", None, json!({}), 102, 404)
        .await;
    server
        .fails("/user/info/text/nothing", Some(&token), json!({}), 102, 404)
        .await;
    let res = server.get("/auth/login", &[]).await;
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 103);
    server
        .fails("/user/info/avatar/get", Some(&token), json!({}), 103, 405)
        .await;

    // Bodies that are not JSON objects, and bodies too large.
    for body in ["{", "[1,2]", "\"text\"", "nul"] {
        let res = server
            .client
            .post(server.url("/user/info/text/setNickname"))
            .header("token", &token)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body}");
        assert_eq!(
            res.json::<serde_json::Value>().await.unwrap()["code"],
            101,
            "{body}"
        );
    }
    let huge = format!("{{\"text\": \"{}\"}}", "a".repeat(2 << 20));
    let res = server
        .client
        .post(server.url("/user/info/text/editInfo"))
        .header("token", &token)
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 104);

    // A JSON endpoint takes JSON: with no Content-Type, or application/json (parameters allowed)
    // or a +json type; any other media type is 104 with 415, and changes nothing.
    for (content_type, nickname, code, status) in [
        ("application/x-www-form-urlencoded", "表单", 104, 415),
        ("text/plain", "文本", 104, 415),
        ("multipart/form-data; boundary=x", "分段", 104, 415),
        ("application/json; charset=utf-8", "带字符集", 0, 200),
        ("Application/JSON", "大写", 0, 200),
        ("application/vnd.zudui+json", "加号", 0, 200),
    ] {
        let res = server
            .client
            .post(server.url("/user/info/text/setNickname"))
            .header("token", &token)
            .header("content-type", content_type)
            .body(json!({ "nickname": nickname }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{content_type}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["code"], code, "{content_type}: {body}");
        let (_, info) = server
            .post("/user/info/text/getInfo", Some(&token), json!({}))
            .await;
        let stored = info["nickname"] == nickname;
        assert_eq!(stored, code == 0, "{content_type}: {info}");
    }

    // checkLogin ignores its body, whatever it is.
    for (content_type, body) in [("application/x-www-form-urlencoded", "a=1"), ("", "[1")] {
        let mut req = server
            .client
            .post(server.url("/auth/checkLogin"))
            .header("token", &token)
            .body(body);
        if !content_type.is_empty() {
            req = req.header("content-type", content_type);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200, "{content_type} {body}");
        let answer: serde_json::Value = res.json().await.unwrap();
        assert_eq!(
            (&answer["code"], &answer["status"]),
            (&json!(0), &json!(true))
        );
    }

    // Unknown JSON fields are ignored.
    server
        .ok(
            "/user/info/text/setNickname",
            &token,
            json!({ "nickname": "小明", "extra": [1] }),
        )
        .await;
}

/// A JWT made by hand: HS256 over `claims`, signed with the test server's secret.
fn hand_made_jwt(claims: serde_json::Value) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signed = format!("{header}.{payload}");
    let mac = hmac_sha256::HMAC::mac(signed.as_bytes(), JWT_SECRET.as_bytes());
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(mac))
}

#[tokio::test]
async fn a_token_without_exp_is_refused() {
    let server = Server::start().await;
    let id = server.user_id(&server.login("endless").await).await;
    let now = zudui_shared::time::now();
    let path = "/user/info/text/getInfo";
    // The same hand-made token with an expiry is accepted: the signing is right.
    let claims = json!({ "iss": "zudui", "sub": id, "iat": now, "nbf": now });
    let mut with_exp = claims.clone();
    with_exp["exp"] = json!(now + 3600);
    let (status, value) = server
        .post(path, Some(&hand_made_jwt(with_exp)), json!({}))
        .await;
    assert_eq!((status, &value["id"]), (200, &json!(id)), "{value}");

    let endless = hand_made_jwt(claims);
    server
        .fails(path, Some(&endless), json!({}), 112, 401)
        .await;
    let (status, value) = server
        .post("/auth/checkLogin", Some(&endless), json!({}))
        .await;
    assert_eq!((status, &value["status"]), (200, &json!(false)), "{value}");
}
