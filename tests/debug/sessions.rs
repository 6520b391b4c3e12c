//! Rate limits and sessions.

use crate::support::*;

/// What a request from client address `from` gets: status, `Retry-After`, body, `Set-Cookie`.
/// `sign_in` posts it to the sign-in form; otherwise it reads the dashboard with `bearer` and
/// `cookie`.
struct Try<'a> {
    from: &'a str,
    sign_in: Option<&'a str>,
    bearer: Option<&'a str>,
    cookie: Option<&'a str>,
}

impl Try<'_> {
    async fn send(&self, server: &Server) -> (u16, Option<String>, Value, Option<String>) {
        let req = match self.sign_in {
            Some(token) => server
                .client
                .post(server.url("/debug/api/login"))
                .json(&json!({ "token": token })),
            None => server.client.get(server.url("/debug/api/stats")),
        };
        let mut req = req.header("x-forwarded-for", self.from);
        if let Some(bearer) = self.bearer {
            req = req.header("authorization", format!("Bearer {bearer}"));
        }
        if let Some(cookie) = self.cookie {
            req = req.header("cookie", format!("zudui_admin={cookie}"));
        }
        let res = req.send().await.expect("request");
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (retry, set_cookie) = (header("retry-after"), header("set-cookie"));
        (
            res.status().as_u16(),
            retry,
            res.json().await.unwrap(),
            set_cookie,
        )
    }
}

fn sign_in_from<'a>(from: &'a str, token: &'a str) -> Try<'a> {
    Try {
        from,
        sign_in: Some(token),
        bearer: None,
        cookie: None,
    }
}

fn bearer_from<'a>(from: &'a str, token: &'a str) -> Try<'a> {
    Try {
        from,
        sign_in: None,
        bearer: Some(token),
        cookie: None,
    }
}

#[tokio::test]
async fn wrong_admin_tokens_are_limited_per_address() {
    // Three wrong tries per address, one more a minute; addresses from a trusted proxy header.
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN)
            .env("ZUDUI_RATE_LIMITS", "admin=3/1")
            .env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for"),
    )
    .await;
    let (a, b) = ("198.51.100.7", "198.51.100.8");
    let expect = |t: &Try, want: (u16, u64), got: &(u16, Option<String>, Value, Option<String>)| {
        let code = got.2["code"].as_u64().unwrap();
        assert_eq!(
            (got.0, code),
            want,
            "{:?}: {}",
            t.sign_in.or(t.bearer),
            got.2
        );
    };

    // The right token costs nothing: far more than three pass.
    for _ in 0..5 {
        for t in [sign_in_from(a, ADMIN), bearer_from(a, ADMIN)] {
            expect(&t, (200, 0), &t.send(&server).await);
        }
    }
    // Wrong ones, through the form or as a bearer, are 112 until three are used up...
    for t in [
        sign_in_from(a, "wrong-token-0000000001"),
        bearer_from(a, "wrong-token-0000000002"),
        sign_in_from(a, "wrong-token-0000000003"),
    ] {
        expect(&t, (401, 112), &t.send(&server).await);
    }
    // ...then every token from that address is 105 with Retry-After, the right one included, so
    // guessing cannot go on; a refused sign-in sets no cookie and is not audited.
    for t in [
        bearer_from(a, "wrong-token-0000000004"),
        sign_in_from(a, "wrong-token-0000000005"),
        bearer_from(a, ADMIN),
        sign_in_from(a, ADMIN),
    ] {
        let got = t.send(&server).await;
        expect(&t, (429, 105), &got);
        let seconds = got.2["retry_after"].as_u64().expect("retry_after");
        assert!((1..=60).contains(&seconds), "{}", got.2);
        assert_eq!(got.1, Some(seconds.to_string()));
        assert_eq!(got.3, None, "no cookie");
    }
    // Without a credential there is nothing to guess: still 113.
    let none = Try {
        from: a,
        sign_in: None,
        bearer: None,
        cookie: None,
    };
    expect(&none, (401, 113), &none.send(&server).await);

    // Another address keeps its own allowance.
    let t = bearer_from(b, ADMIN);
    expect(&t, (200, 0), &t.send(&server).await);
    let t = bearer_from(b, "wrong-token-0000000006");
    expect(&t, (401, 112), &t.send(&server).await);
    let t = sign_in_from(b, ADMIN);
    let got = t.send(&server).await;
    expect(&t, (200, 0), &got);
    // A session cookie is no guess of the token (its MAC cannot be guessed), so it works from
    // the limited address too.
    let cookie = got.3.expect("cookie");
    let session = cookie["zudui_admin=".len()..].split(';').next().unwrap();
    let t = Try {
        from: a,
        sign_in: None,
        bearer: None,
        cookie: Some(session),
    };
    expect(&t, (200, 0), &t.send(&server).await);

    let sign_ins = audit_targets(&server)
        .await
        .iter()
        .filter(|e| e.starts_with("console sign_in"))
        .count();
    assert_eq!(sign_ins, 6, "five from a, one from b");
}

#[test]
fn a_short_admin_token_stops_the_server_at_start() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zudui"))
        .env_clear()
        .env("ZUDUI_LISTEN", "127.0.0.1:0")
        .env("ZUDUI_DATA_DIR", data.path())
        .env("ZUDUI_JWT_SECRET", crate::common::JWT_SECRET)
        .env("ZUDUI_ADMIN_TOKEN", "fifteen-bytes-x")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start zudui");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with a 15-byte admin token");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("admin_token setting must be at least 16 bytes"),
        "{log}"
    );
}

/// Reads the dashboard with a session cookie: its status and code.
async fn with_session(server: &Server, session: &str) -> (u16, Option<u64>) {
    let (status, res, _) = call(
        server,
        reqwest::Method::GET,
        "/debug/api/stats",
        None,
        Some(session),
        None,
        None,
    )
    .await;
    (status, res["code"].as_u64())
}

#[tokio::test]
async fn signing_out_ends_every_console_session() {
    let server = admin_server().await;
    let (first, csrf) = sign_in(&server).await;
    let (second, _) = sign_in(&server).await;
    for session in [&first, &second] {
        assert_eq!(with_session(&server, session).await, (200, Some(0)));
    }
    let (status, res, _) = log_out(&server, None, Some((&first, &csrf))).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    // A copy of the cookie kept anywhere is dead, and so is the other browser's session.
    for session in [&first, &second] {
        assert_eq!(with_session(&server, session).await, (401, Some(112)));
    }
    // Signing in again works; a script's sign-out ends the console's sessions too.
    let (third, _) = sign_in(&server).await;
    assert_eq!(with_session(&server, &third).await, (200, Some(0)));
    let (status, _, _) = log_out(&server, Some(ADMIN), None).await;
    assert_eq!(status, 200);
    assert_eq!(with_session(&server, &third).await, (401, Some(112)));
    let (status, _) = get(&server, "/debug/api/stats", Some(ADMIN)).await;
    assert_eq!(status, 200, "the bearer token is no session");
    // A script's sign-out may send any body (`curl -d ''` sends a form): it is ignored.
    let (fourth, _) = sign_in(&server).await;
    let res = server
        .client
        .post(server.url("/debug/api/logout"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(with_session(&server, &fourth).await, (401, Some(112)));
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_server_is_reached_over_https() {
    // The native server never sees TLS: without the setting the cookie must work over plain HTTP.
    let plain = admin_server().await;
    let (_, _, set_cookie) = login_with(&plain, ADMIN).await;
    assert!(!set_cookie.unwrap().contains("Secure"));
    // Behind an HTTPS proxy, ZUDUI_SECURE_COOKIE marks it Secure, when set and when cleared.
    let secure = Server::with(
        Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN)
            .env("ZUDUI_SECURE_COOKIE", "1"),
    )
    .await;
    let (session, csrf) = sign_in(&secure).await;
    let (_, _, set_cookie) = login_with(&secure, ADMIN).await;
    assert!(set_cookie.unwrap().contains("; Secure;"));
    let (status, _, cleared) = log_out(&secure, None, Some((&session, &csrf))).await;
    assert_eq!(status, 200);
    let cleared = cleared.unwrap();
    assert!(
        cleared.contains("; Secure;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}
