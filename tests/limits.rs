//! Rate limits (`ZUDUI_RATE_LIMITS`): signing in per address, searches, uploads and chat
//! messages per user and per address, each refused with 105, HTTP 429, `retry_after` and a
//! `Retry-After` header once its bucket is empty, and allowed again after that many seconds.

mod common;

use std::time::Duration;

use common::paths::{self, group};
use common::ws::{self, group_path};
use common::{create_group, png, user, Options, Server, User};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);

async fn limited(rules: &str) -> Server {
    Server::with(Options::dev_login().env("ZUDUI_RATE_LIMITS", rules)).await
}

/// A POST with the `token` header and extra headers: status, `Retry-After`, body.
async fn post(
    server: &Server,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> (u16, Option<String>, Value) {
    let mut req = server.client.post(server.url(path)).json(&body);
    if let Some(token) = token {
        req = req.header("token", token);
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, res.json().await.expect("json"))
}

/// Asserts a 105 refusal; returns its `retry_after`.
fn refused(status: u16, retry: Option<String>, body: &Value) -> u64 {
    assert_eq!((status, body["code"].as_u64()), (429, Some(105)), "{body}");
    let seconds = body["retry_after"]
        .as_u64()
        .unwrap_or_else(|| panic!("no retry_after: {body}"));
    assert!(seconds >= 1, "{body}");
    assert_eq!(retry, Some(seconds.to_string()), "Retry-After matches");
    seconds
}

async fn search(
    server: &Server,
    who: &User,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, Value) {
    let body = json!({ "type": "学习", "key": "", "sort": "TIME", "sort_order": "DESC" });
    post(server, group::SEARCH, who.t(), headers, body).await
}

#[tokio::test]
async fn signing_in_is_limited_per_address_and_allowed_again_after_retry_after() {
    let server = limited("login=3/60").await;
    for i in 0..3 {
        let (status, _, body) = post(
            &server,
            "/auth/login",
            None,
            &[],
            json!({ "code": format!("l{i}") }),
        )
        .await;
        assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
    }
    // Without a configured proxy header, a forwarded address is the client's claim, not a fact.
    let spoofed = [("x-forwarded-for", "203.0.113.9")];
    let (status, retry, body) = post(
        &server,
        "/auth/login",
        None,
        &spoofed,
        json!({ "code": "l3" }),
    )
    .await;
    let seconds = refused(status, retry, &body);
    assert_eq!(seconds, 1, "one token a second at 60 a minute");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, _, body) = post(&server, "/auth/login", None, &[], json!({ "code": "l3" })).await;
    assert_eq!(
        (status, &body["code"]),
        (200, &json!(0)),
        "allowed again: {body}"
    );
}

#[tokio::test]
async fn searches_are_limited_per_user_and_per_address() {
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_RATE_LIMITS", "search=2/1")
            .env("ZUDUI_CLIENT_IP_HEADER", "X-Forwarded-For"),
    )
    .await;
    let alice = user(&server, "s-alice").await;
    // The proxy appends the address it saw: the last entry. What comes before is the client's.
    let here = [("x-forwarded-for", "10.9.9.9, 198.51.100.1")];
    for _ in 0..2 {
        let (status, _, body) = search(&server, &alice, &here).await;
        assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
    }
    // Alice's own bucket is empty, wherever she searches from.
    let elsewhere = [("x-forwarded-for", "198.51.100.2")];
    let (status, retry, body) = search(&server, &alice, &elsewhere).await;
    refused(status, retry, &body);

    // An address gets ten users' worth (20 here): the 21st search from it is refused even for a
    // user with tokens left. Alice's two count; her refused one took nothing from it.
    let mut answers = Vec::new();
    for i in 0..10 {
        let who = user(&server, &format!("s-user{i}")).await;
        for _ in 0..2 {
            answers.push(search(&server, &who, &here).await);
        }
    }
    let ok = answers.iter().filter(|(s, _, _)| *s == 200).count();
    assert_eq!(ok, 18, "20 for the address, 2 of them Alice's");
    let (status, retry, body) = answers.pop().unwrap();
    refused(status, retry, &body);
    // Entries the client writes itself, or a header it leaves out, change nothing: the first
    // are not the address, and without the header the connection's peer stands in.
    let carol = user(&server, "s-carol").await;
    let forged = [("x-forwarded-for", "203.0.113.50, 198.51.100.1")];
    let (status, retry, body) = search(&server, &carol, &forged).await;
    refused(status, retry, &body);
    // Another address is not affected.
    let bob = user(&server, "s-bob").await;
    let (status, _, body) = search(&server, &bob, &elsewhere).await;
    assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
}

/// Behind trusted proxies (`ZUDUI_TRUSTED_PROXIES`), the client is the right-most
/// `X-Forwarded-For` entry no trusted proxy wrote: what a client writes itself, however it is
/// placed, does not give it a fresh bucket.
#[tokio::test]
async fn forged_forwarded_entries_do_not_dodge_the_limit() {
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_RATE_LIMITS", "login=2/1")
            .env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for")
            // The test connects over loopback: that is the proxy in front.
            .env("ZUDUI_TRUSTED_PROXIES", "127.0.0.1, ::1, 10.0.0.0/8"),
    )
    .await;
    let login = |headers: &'static [(&'static str, &'static str)]| {
        post(
            &server,
            "/auth/login",
            None,
            headers,
            json!({ "code": "xff" }),
        )
    };
    for _ in 0..2 {
        let (status, _, body) = login(&[("x-forwarded-for", "203.0.113.9")]).await;
        assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
    }
    // (what the client's request carried when it reached us): each is still 203.0.113.9.
    let forgeries: [&[(&str, &str)]; 4] = [
        // an address of its choosing before the one the proxy appended;
        &[("x-forwarded-for", "198.51.100.7, 203.0.113.9")],
        // a trusted proxy's address, hoping to be skipped over;
        &[("x-forwarded-for", "10.0.0.5, 203.0.113.9")],
        // a header of its own, the proxy adding a second one;
        &[
            ("x-forwarded-for", "198.51.100.7"),
            ("x-forwarded-for", "203.0.113.9"),
        ],
        // garbage before the proxy's entry.
        &[("x-forwarded-for", "not-an-address, 203.0.113.9")],
    ];
    for headers in forgeries {
        let (status, retry, body) = login(headers).await;
        refused(status, retry, &body);
    }
    // Through a second proxy of ours, the client is still the one the outer proxy saw.
    let (status, retry, body) = login(&[("x-forwarded-for", "203.0.113.9, 10.0.0.4")]).await;
    refused(status, retry, &body);
    // Another client behind the same proxies has its own bucket.
    let (status, _, body) = login(&[("x-forwarded-for", "203.0.113.10")]).await;
    assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
}

/// A client reaching the server directly, not through a trusted proxy, is believed about
/// nothing it writes: every header it sends shares its own connection's bucket.
#[tokio::test]
async fn forwarded_entries_from_an_untrusted_peer_are_ignored() {
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_RATE_LIMITS", "login=2/1")
            .env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for")
            .env("ZUDUI_TRUSTED_PROXIES", "10.0.0.0/8"),
    )
    .await;
    let mut answers = Vec::new();
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        let headers = [("x-forwarded-for", client)];
        answers.push(
            post(
                &server,
                "/auth/login",
                None,
                &headers,
                json!({ "code": "direct" }),
            )
            .await,
        );
    }
    let (status, retry, body) = answers.pop().unwrap();
    refused(status, retry, &body);
    for (status, _, body) in answers {
        assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
    }
}

#[tokio::test]
async fn uploads_are_limited_per_user_across_kinds() {
    let server = limited("upload=2/1").await;
    let alice = user(&server, "u-alice").await;
    let bob = user(&server, "u-bob").await;
    let group = create_group(&server, &alice, "上传组").await;
    let g = group.to_string();
    let (anywhere, in_group): (&[(&str, &str)], _) = (&[], &[("group_id", g.as_str())]);
    // (path, file field, fields, status, code): two uploads of any kind go; a third, a
    // resumable one's start included, is refused.
    let uploads = [
        (paths::user::AVATAR_ADD, "avatar", anywhere, 200, 0),
        (group::PICTURE_ADD, "pic", in_group, 200, 0),
        (group::AVATAR_ADD, "avatar", in_group, 429, 105),
    ];
    for (path, field, fields, status, code) in uploads {
        let picture = png(20, 20, 255);
        let (got, body) = server.upload(path, alice.t(), field, picture, fields).await;
        assert_eq!(
            (got, body["code"].as_u64()),
            (status, Some(code)),
            "{path}: {body}"
        );
    }
    let begin = json!({ "group_id": group, "name": "big.bin", "size": 10 });
    let (status, retry, body) = post(
        &server,
        "/group/internal/files/upload/begin",
        alice.t(),
        &[],
        begin,
    )
    .await;
    refused(status, retry, &body);
    // Nothing was stored by the refused ones; Bob has his own bucket.
    let pictures = server
        .ok(
            "/group/internal/info/picture/getAll",
            &alice.token,
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(
        pictures["pictures"].as_array().map(Vec::len),
        Some(1),
        "{pictures}"
    );
    let (status, body) = server
        .upload(
            "/user/info/avatar/add",
            bob.t(),
            "avatar",
            png(20, 20, 255),
            &[],
        )
        .await;
    assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
}

#[tokio::test]
async fn chat_messages_are_limited_per_user_with_an_error_frame() {
    let server = limited("chat=2/60").await;
    let alice = user(&server, "c-alice").await;
    let group = create_group(&server, &alice, "聊天限流").await;
    let mut socket = ws::connect(&server.ws_base(), &alice, &group_path(group), WAIT).await;
    ws::say_acked(&mut socket, "一", WAIT).await;
    ws::say_acked(&mut socket, "二", WAIT).await;
    ws::say(&mut socket, "三").await;
    let frame = ws::next_json(&mut socket, WAIT).await;
    assert_eq!(frame["code"], 105, "{frame}");
    assert!(
        frame["retry_after"].as_u64().is_some_and(|s| s >= 1),
        "{frame}"
    );
    // The socket stays open, and after the wait a message goes through; the refused one was
    // never stored.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let echo = ws::say_acked(&mut socket, "四", WAIT).await;
    drop(socket);
    let mut again = ws::connect(&server.ws_base(), &alice, &group_path(group), WAIT).await;
    let mut texts = Vec::new();
    for _ in 0..3 {
        let frame = ws::next_json(&mut again, WAIT).await;
        texts.push(
            frame["msg"]["content"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(texts, ["一", "二", "四"], "history after {echo}");
    ws::quiet(&mut again, Duration::from_millis(300), "history").await;
}

/// Opens a raw connection to the server.
async fn tcp(server: &Server) -> tokio::net::TcpStream {
    let addr = server.base.trim_start_matches("http://");
    tokio::net::TcpStream::connect(addr).await.expect("connect")
}

/// Sends a plain HTTP request on `stream`; the status line read back within `wait`, if any.
async fn status_line(stream: &mut tokio::net::TcpStream, wait: Duration) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let request = "POST /auth/checkLogin HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n";
    if stream.write_all(request.as_bytes()).await.is_err() {
        return None;
    }
    let mut buf = vec![0; 1024];
    match tokio::time::timeout(wait, stream.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => Some(
            String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()?
                .to_owned(),
        ),
        _ => None,
    }
}

#[tokio::test]
async fn connections_are_limited_per_address_and_in_all() {
    let server = Server::with(Options::dev_login().env("ZUDUI_MAX_CONNECTIONS_PER_IP", "2")).await;
    let mut held = vec![tcp(&server).await, tcp(&server).await];
    for stream in &mut held {
        let line = status_line(stream, WAIT).await;
        assert!(line.is_some_and(|l| l.contains(" 401 ")), "served");
    }
    // A third from the same address is closed without an answer.
    let mut third = tcp(&server).await;
    assert_eq!(status_line(&mut third, WAIT).await, None);
    // Once one closes, its place is free again.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut again = tcp(&server).await;
    let line = status_line(&mut again, WAIT).await;
    assert!(line.is_some_and(|l| l.contains(" 401 ")), "served again");

    // In all: the next connection waits until one closes, then it is served.
    let server = Server::with(Options::dev_login().env("ZUDUI_MAX_CONNECTIONS", "2")).await;
    let mut held = vec![tcp(&server).await, tcp(&server).await];
    for stream in &mut held {
        assert!(status_line(stream, WAIT).await.is_some(), "served");
    }
    let mut waiting = tcp(&server).await;
    assert_eq!(
        status_line(&mut waiting, Duration::from_millis(500)).await,
        None,
        "not served while two are open"
    );
    held.pop();
    use tokio::io::AsyncReadExt;
    let mut buf = vec![0; 1024];
    let n = tokio::time::timeout(WAIT, waiting.read(&mut buf))
        .await
        .expect("served once a place is free")
        .expect("read");
    assert!(
        String::from_utf8_lossy(&buf[..n]).contains(" 401 "),
        "answered"
    );
}

#[tokio::test]
async fn oversized_headers_and_deeply_nested_json_are_refused() {
    let server = Server::start().await;
    let alice = user(&server, "h-alice").await;
    let big = "x".repeat(40 << 10);
    let (status, _, body) = post(
        &server,
        "/user/info/text/getInfo",
        alice.t(),
        &[("x-padding", &big)],
        json!({}),
    )
    .await;
    assert_eq!((status, body["code"].as_u64()), (413, Some(104)), "{body}");
    // Within the body limit, but nested past serde_json's 128 levels: refused, no stack overflow.
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let res = server
        .client
        .post(server.url("/user/info/text/editInfo"))
        .header("token", &alice.token)
        .header("content-type", "application/json")
        .body(format!("{{\"text\": {nested}}}"))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    assert_eq!((status, body["code"].as_u64()), (400, Some(101)), "{body}");
    // The server is still there.
    let info = server
        .ok("/user/info/text/getInfo", &alice.token, json!({}))
        .await;
    assert_eq!(info["id"], alice.id.as_str());
}
