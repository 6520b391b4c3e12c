//! The Spin host under `spin up` (the Spin CLI from PATH; `tests/run.sh` unpacks the project's
//! copy and builds the `auth` component when they are missing): a client's address is the one
//! Spin saw, never a `spin-client-addr` header the client sent itself. Spin appends its own
//! `spin-client-addr` after the client's headers without removing a forged one.

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const WASM: &str = "target/wasm32-wasip2/release/zudui_fn_auth.wasm";
/// Sign-ins an address may make here: none come back during the test (one a minute).
const BURST: usize = 65;

/// `spin up` of the real `spin.toml`, only its `auth` component, on a free loopback port with a
/// temporary state directory (SQLite and key-value store).
struct Spin {
    base: String,
    child: Child,
    _state: tempfile::TempDir,
}

impl Spin {
    async fn up(variables: &[(&str, &str)]) -> Spin {
        let spin = which("spin").unwrap_or_else(|| {
            panic!("no `spin` on PATH: run tests/run.sh, which unpacks ../shared/tools/spin")
        });
        assert!(
            Path::new(ROOT).join(WASM).exists(),
            "{WASM} is missing: cargo build --target wasm32-wasip2 --release -p zudui-fn-auth \
             (tests/run.sh does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let state = tempfile::tempdir().expect("state dir");
        let mut command = Command::new(spin);
        command
            .current_dir(ROOT)
            .args(["up", "-f", "spin.toml", "-c", "auth", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-dir")
            .arg(state.path())
            .env("SPIN_VARIABLE_JWT_SECRET", "spin-test-secret-0123456789")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (name, value) in variables {
            command.env(format!("SPIN_VARIABLE_{}", name.to_uppercase()), value);
        }
        let child = command.spawn().expect("spin up");
        let spin = Spin {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _state: state,
        };
        // Spin compiles the component before it listens.
        let health = format!("{}/.well-known/spin/health", spin.base);
        let deadline = Instant::now() + Duration::from_secs(180);
        while !reqwest::get(&health)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "spin up did not start");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        spin
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A development sign-in from the local address `from`, with extra headers: status and body.
async fn sign_in(spin: &Spin, from: IpAddr, code: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let mut req = client
        .post(format!("{}/auth/login", spin.base))
        .json(&json!({ "code": code }));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("sign-in");
    (res.status().as_u16(), res.json().await.expect("json"))
}

#[tokio::test]
async fn a_forged_spin_client_addr_does_not_escape_the_address_limit() {
    let spin = Spin::up(&[
        ("dev_login", "1"),
        ("rate_limits", &format!("login={BURST}/1")),
    ])
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
