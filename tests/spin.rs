//! The Spin host under `spin up` (the Spin CLI from PATH; `tests/run.sh` unpacks the project's
//! copy and builds the `auth` and `debug` components): a client's address is the one Spin saw,
//! never a `spin-client-addr` header the client sent itself (Spin appends its own after the
//! client's headers without removing a forged one); the console's limits and sessions hold across
//! Spin's one-request instances, and its cookie is `Secure` over TLS.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

mod common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Sign-ins an address may make here: none come back during the test (one a minute).
const BURST: usize = 65;
const ADMIN: &str = "spin-admin-token-0123456789";

/// `spin up` of the real `spin.toml`, only `component`, on a free loopback port with a temporary
/// state directory (SQLite and key-value store), over TLS with a fresh self-signed certificate
/// when `tls`.
struct Spin {
    base: String,
    client: reqwest::Client,
    child: Child,
    _state: tempfile::TempDir,
}

impl Spin {
    async fn up(component: &str, tls: bool, variables: &[(&str, &str)]) -> Spin {
        let spin = common::host::which("spin").unwrap_or_else(|| {
            panic!("no `spin` on PATH: run tests/run.sh, which unpacks ../shared/tools/spin")
        });
        let wasm = format!("target/wasm32-wasip2/release/zudui_fn_{component}.wasm");
        assert!(
            Path::new(ROOT).join(&wasm).exists(),
            "{wasm} is missing: cargo build --target wasm32-wasip2 --release \
             -p zudui-fn-{component} (tests/run.sh does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let state = tempfile::tempdir().expect("state dir");
        let mut command = Command::new(spin);
        command
            .current_dir(ROOT)
            .args(["up", "-f", "spin.toml", "-c", component, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-dir")
            .arg(state.path())
            .env("SPIN_VARIABLE_JWT_SECRET", "spin-test-secret-0123456789")
            // `spin up` runs the app in a process of its own: a group, to stop both.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in variables {
            command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
        }
        if tls {
            let common::tls::Pair { cert, key } = common::tls::Pair::make(state.path(), "spin");
            command
                .arg("--tls-cert")
                .arg(cert)
                .arg("--tls-key")
                .arg(key);
        }
        let child = command.spawn().expect("spin up");
        let scheme = if tls { "https" } else { "http" };
        let spin = Spin {
            base: format!("{scheme}://127.0.0.1:{port}"),
            // The certificate is the one made above.
            client: reqwest::Client::builder()
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap(),
            child,
            _state: state,
        };
        // Spin compiles the component before it listens.
        let health = spin.url("/.well-known/spin/health");
        let deadline = Instant::now() + Duration::from_secs(180);
        while !spin
            .client
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "spin up did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        spin
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.child.id()) {
            // SAFETY: kill(2) with the id of the process group this test made; no memory involved.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.child.wait();
    }
}

/// A development sign-in from the local address `from`, with extra headers: status and body.
async fn sign_in(spin: &Spin, from: IpAddr, code: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let mut req = client
        .post(spin.url("/auth/login"))
        .json(&json!({ "code": code }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("sign-in");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn a_forged_spin_client_addr_does_not_escape_the_address_limit() {
    let spin = Spin::up(
        "auth",
        false,
        &[
            ("dev_login", "1"),
            ("rate_limits", &format!("login={BURST}/1")),
        ],
    )
    .await;
    let here = IpAddr::V4(Ipv4Addr::LOCALHOST);
    // The address's allowance (the rate_limits variable reaches the component: not 60/60)...
    for i in 0..BURST {
        let (status, body) = sign_in(&spin, here, &format!("spin-{i}"), &[]).await;
        assert_eq!(
            (status, &body["code"]),
            (200, &json!(0)),
            "sign-in {i}: {body}"
        );
    }
    let (status, body) = sign_in(&spin, here, "spin-over", &[]).await;
    assert_eq!((status, body["code"].as_u64()), (429, Some(105)), "{body}");
    // ...is not renewed by naming another address: each forged header is refused.
    for i in 0..30 {
        let forged = [
            format!("203.0.113.{i}:4000"),
            format!("[2001:db8::{i:x}]:443"),
            format!("10.1.2.{i}:80"),
        ];
        let forged = &forged[i % forged.len()];
        let headers = [("spin-client-addr", forged.as_str())];
        let (status, body) = sign_in(&spin, here, &format!("forged-{i}"), &headers).await;
        assert_eq!(
            (status, body["code"].as_u64()),
            (429, Some(105)),
            "{forged}: {body}"
        );
    }
    // Nor by the usual proxy headers, which count only when a proxy is configured.
    let headers = [
        ("x-forwarded-for", "198.51.100.1"),
        ("x-real-ip", "198.51.100.1"),
    ];
    let (status, body) = sign_in(&spin, here, "proxied", &headers).await;
    assert_eq!((status, body["code"].as_u64()), (429, Some(105)), "{body}");
    // A client that really is elsewhere (another loopback address) has its own allowance.
    let elsewhere = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let (status, body) = sign_in(&spin, elsewhere, "elsewhere", &[]).await;
    assert_eq!((status, &body["code"]), (200, &json!(0)), "{body}");
}

/// A console request: `path` read (the sign-out: posted) with `bearer` or a session cookie and its
/// CSRF token; status, code and `Set-Cookie`.
async fn console(
    spin: &Spin,
    path: &str,
    bearer: Option<&str>,
    cookie: Option<(&str, &str)>,
) -> (u16, Option<u64>, Option<String>) {
    let mut req = match path {
        "/debug/api/logout" => spin.client.post(spin.url(path)),
        _ => spin.client.get(spin.url(path)),
    };
    if let Some(bearer) = bearer {
        req = req.bearer_auth(bearer);
    }
    if let Some((session, csrf)) = cookie {
        req = req
            .header("cookie", format!("zudui_admin={session}"))
            .header("x-csrf-token", csrf);
    }
    answer(req).await
}

async fn answer(req: reqwest::RequestBuilder) -> (u16, Option<u64>, Option<String>) {
    let res = req.send().await.expect("request");
    let cookie = res.headers().get("set-cookie");
    let cookie = cookie.map(|v| v.to_str().unwrap().to_owned());
    let status = res.status().as_u16();
    let body: Value = res.json().await.expect("json");
    (status, body["code"].as_u64(), cookie)
}

#[tokio::test]
async fn the_console_on_spin_limits_wrong_tokens_ends_sessions_and_is_secure_over_tls() {
    let variables = [("admin_token", ADMIN), ("rate_limits", "admin=3/1")];
    let spin = Spin::up("debug", true, &variables).await;
    let sign_in = |token: &'static str| {
        let req = spin
            .client
            .post(spin.url("/debug/api/login"))
            .json(&json!({ "token": token }));
        answer(req)
    };
    // Over TLS the cookie is Secure; each request is a new instance, so the session and its
    // epoch live in the key-value store.
    let (status, code, cookie) = sign_in(ADMIN).await;
    assert_eq!((status, code), (200, Some(0)));
    let cookie = cookie.expect("a cookie");
    assert!(cookie.contains("; Secure;"), "{cookie}");
    let session = cookie["zudui_admin=".len()..].split(';').next().unwrap();
    let res = spin
        .client
        .get(spin.url("/debug/api/session"))
        .header("cookie", format!("zudui_admin={session}"))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let csrf = body["csrf"].as_str().expect("csrf").to_owned();
    let signed_in = Some((session, csrf.as_str()));
    let stats = "/debug/api/stats";
    assert_eq!(console(&spin, stats, None, signed_in).await.0, 200);
    let (status, _, cleared) = console(&spin, "/debug/api/logout", None, signed_in).await;
    assert_eq!(status, 200);
    assert!(cleared.unwrap().contains("; Secure;"));
    let (status, code, _) = console(&spin, stats, None, signed_in).await;
    assert_eq!(
        (status, code),
        (401, Some(112)),
        "signed out on every instance"
    );

    // Three wrong tokens, then the address is refused, the right token included.
    for wrong in ["wrong-token-000000001", "wrong-token-000000002"] {
        let (status, code, _) = console(&spin, stats, Some(wrong), None).await;
        assert_eq!((status, code), (401, Some(112)));
    }
    let (status, code, _) = sign_in("wrong-token-000000003").await;
    assert_eq!((status, code), (401, Some(112)));
    let (status, code, _) = console(&spin, stats, Some(ADMIN), None).await;
    assert_eq!((status, code), (429, Some(105)));
    let (status, code, cookie) = sign_in(ADMIN).await;
    assert_eq!((status, code, cookie), (429, Some(105), None));
}
