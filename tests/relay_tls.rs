//! `zudui-relay` over TLS, as a mini-program reaches it (`https://` and `wss://` only): the real
//! binary with a self-signed certificate made here, in front of the native server. Health and
//! chat over TLS, rooms shared through a Redis that speaks TLS itself (`rediss://`), plain HTTP
//! refused on the TLS port, a renewed certificate served without a restart (and a broken one
//! not), and a client that never says hello losing its place after the handshake timeout.
//!
//! Needs `openssl` (the certificates) and `redis-server` built with TLS (Debian's is).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::process::{reserve_port, Process};
use common::tls::{self, Pair, TlsSocket};
use common::ws::{self, content, group_path, next_live, say};
use common::{team, Options, Server, JWT_SECRET};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

const RELAY_SECRET: &str = "relay-secret-for-tls-tests-0123456789";
/// How long a frame or an answer that should come may take.
const WAIT: Duration = Duration::from_secs(10);
/// The relays' `ZUDUI_HEADER_TIMEOUT_SECS`, which bounds the TLS handshake too.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(1);
/// Tries to start a process before giving up: a reserved port may be taken in the moment between
/// its release and the process binding it.
const START_TRIES: usize = 5;

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

/// An HTTPS client that trusts `cert_pem` alone, and opens a new connection for each request.
fn trusting(cert_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem).expect("a PEM certificate"))
        .pool_max_idle_per_host(0)
        .timeout(WAIT)
        .build()
        .expect("client")
}

/// `GET {base}/health` with `client`: the body, or why it failed.
async fn health(client: &reqwest::Client, base: &str) -> Result<String, String> {
    let res = client
        .get(format!("{base}/health"))
        .send()
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = res.status();
    let text = res.text().await.map_err(|e| format!("{e:?}"))?;
    if status != 200 {
        return Err(format!("{status}: {text}"));
    }
    Ok(text)
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/// A Redis that speaks TLS only, with a certificate of its own.
struct TlsRedis {
    url: String,
    /// Its certificate, which the relays are told to trust (`ZUDUI_REDIS_CA_CERT`).
    ca: PathBuf,
    _process: Process,
}

impl TlsRedis {
    async fn spawn(dir: &Path) -> TlsRedis {
        let pair = Pair::make(dir, "redis");
        for _ in 0..START_TRIES {
            let (reserved, port) = reserve_port();
            drop(reserved);
            let mut command = Command::new("redis-server");
            command
                .args(["--port", "0", "--tls-port", &port.to_string()])
                .arg("--tls-cert-file")
                .arg(&pair.cert)
                .arg("--tls-key-file")
                .arg(&pair.key)
                .args(["--tls-auth-clients", "no"])
                .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]);
            let mut process = Process::spawn("redis", command);
            if process
                .wait_for_line("Ready to accept connections")
                .await
                .is_ok()
            {
                return TlsRedis {
                    url: format!("rediss://127.0.0.1:{port}/"),
                    ca: pair.cert,
                    _process: process,
                };
            }
        }
        panic!("redis-server with TLS did not start");
    }
}

/// A `zudui-relay` serving HTTPS/WSS with `pair`, in front of `server`.
struct TlsRelay {
    /// `https://127.0.0.1:PORT`
    base: String,
    addr: String,
    process: Process,
}

impl TlsRelay {
    async fn spawn(
        name: &'static str,
        server: &Server,
        pair: &Pair,
        redis: Option<&TlsRedis>,
        extra: &[(&str, &str)],
    ) -> TlsRelay {
        for _ in 0..START_TRIES {
            let (reserved, port) = reserve_port();
            let addr = format!("127.0.0.1:{port}");
            let mut command = Command::new(env!("CARGO_BIN_EXE_zudui-relay"));
            command
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("RUST_LOG", "info")
                .env("ZUDUI_RELAY_LISTEN", &addr)
                .env("ZUDUI_CHAT_URL", &server.base)
                .env("ZUDUI_RELAY_SECRET", RELAY_SECRET)
                .env("ZUDUI_JWT_SECRET", JWT_SECRET)
                .env("ZUDUI_RATE_LIMITS", "off")
                .env("ZUDUI_RELAY_TLS_CERT", &pair.cert)
                .env("ZUDUI_RELAY_TLS_KEY", &pair.key)
                .env(
                    "ZUDUI_HEADER_TIMEOUT_SECS",
                    HANDSHAKE_TIMEOUT.as_secs().to_string(),
                )
                .envs(extra.iter().copied());
            if let Some(redis) = redis {
                command
                    .env("ZUDUI_REDIS_URL", &redis.url)
                    .env("ZUDUI_REDIS_CA_CERT", &redis.ca);
            }
            drop(reserved);
            let mut process = Process::spawn(name, command);
            let base = format!("https://{addr}");
            if process
                .wait_for_line(&format!("zudui-relay listening on {base}"))
                .await
                .is_ok()
            {
                return TlsRelay {
                    base,
                    addr,
                    process,
                };
            }
        }
        panic!("{name} did not start");
    }
}

/// A native server that serves the relays' internal routes.
async fn server() -> Server {
    Server::with(
        Options::dev_login()
            .env("ZUDUI_JWT_SECRET", JWT_SECRET)
            .env("ZUDUI_RELAY_SECRET", RELAY_SECRET),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// WSS
// ---------------------------------------------------------------------------------------------

/// Opens `wss://{relay}{path_and_query}` as `token`, trusting `cert_pem` alone.
async fn wss(relay: &TlsRelay, cert_pem: &[u8], token: &str, path_and_query: &str) -> TlsSocket {
    tls::wss(&relay.addr, cert_pem, token, path_and_query, WAIT)
        .await
        .unwrap_or_else(|e| panic!("WebSocket handshake: {}", ws::describe(e)))
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn https_and_wss_through_relays_sharing_a_tls_redis() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pair = Pair::make(dir.path(), "relay");
    let pem = pair.cert_pem();
    let redis = TlsRedis::spawn(dir.path()).await;
    let server = server().await;
    let a = TlsRelay::spawn("relay A", &server, &pair, Some(&redis), &[]).await;
    let b = TlsRelay::spawn("relay B", &server, &pair, Some(&redis), &[]).await;

    assert_eq!(health(&trusting(&pem), &a.base).await.as_deref(), Ok("ok"));
    let stranger = Pair::make(dir.path(), "stranger");
    let untrusting = trusting(&stranger.cert_pem());
    assert!(
        health(&untrusting, &a.base).await.is_err(),
        "a client that does not trust the certificate is refused"
    );
    let plain = format!("http://{}", a.addr);
    let answer = health(&trusting(&pem), &plain).await;
    assert!(answer.is_err(), "plain HTTP on the TLS port: {answer:?}");

    // One member on each relay: a message said over WSS on A reaches B through Redis over TLS.
    let (group, users) = team(&server, "tls", 2).await;
    let mut on_a = wss(&a, &pem, &users[0].token, &group_path(group)).await;
    let mut on_b = wss(&b, &pem, &users[1].token, &group_path(group)).await;
    // Both rooms are listening on Redis once a message said on B reaches A.
    say(&mut on_b, "ready").await;
    assert_eq!(content(&next_live(&mut on_b, WAIT).await), "ready");
    assert_eq!(content(&next_live(&mut on_a, WAIT).await), "ready");

    say(&mut on_a, "hello over wss").await;
    let echo = next_live(&mut on_a, WAIT).await;
    assert_eq!(content(&echo), "hello over wss", "{echo}");
    let heard = next_live(&mut on_b, WAIT).await;
    assert_eq!(heard["id"], echo["id"], "{heard}");
    assert_eq!(content(&heard), "hello over wss");
    let stored: i64 = server
        .sqlite()
        .query_row(
            "SELECT COUNT(*) FROM chat_messages WHERE room_id = ?1 AND content = 'hello over wss'",
            [group],
            |row| row.get(0),
        )
        .expect("query");
    assert_eq!(stored, 1, "the message is stored once");
}

#[tokio::test]
async fn a_renewed_certificate_is_served_without_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Pair::make(dir.path(), "first");
    let live = Pair {
        cert: dir.path().join("live.crt"),
        key: dir.path().join("live.key"),
    };
    std::fs::copy(&first.cert, &live.cert).expect("copy");
    std::fs::copy(&first.key, &live.key).expect("copy");
    let server = server().await;
    let mut relay = TlsRelay::spawn("relay", &server, &live, None, &[]).await;
    let (old, new) = (first.cert_pem(), Pair::make(dir.path(), "second"));
    assert_eq!(
        health(&trusting(&old), &relay.base).await.as_deref(),
        Ok("ok")
    );

    // The new certificate without its key (a renewal half written): kept out, the old one served.
    std::fs::copy(&new.cert, &live.cert).expect("copy");
    relay
        .process
        .wait_for_line_within("TLS certificate not reloaded", WAIT)
        .await
        .expect("a refused pair is logged");
    assert_eq!(
        health(&trusting(&old), &relay.base).await.as_deref(),
        Ok("ok"),
        "the old pair stays after a bad one"
    );

    // Its key follows: the next connections get the new certificate.
    std::fs::copy(&new.key, &live.key).expect("copy");
    relay
        .process
        .wait_for_line_within("TLS certificate reloaded", WAIT)
        .await
        .expect("the new pair is loaded");
    assert_eq!(
        health(&trusting(&new.cert_pem()), &relay.base)
            .await
            .as_deref(),
        Ok("ok")
    );
    assert!(
        health(&trusting(&old), &relay.base).await.is_err(),
        "the old certificate is no longer served"
    );
}

#[tokio::test]
async fn a_client_that_never_says_hello_loses_its_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pair = Pair::make(dir.path(), "relay");
    let pem = pair.cert_pem();
    let server = server().await;
    // One connection per address: the silent one holds the only place.
    let relay = TlsRelay::spawn(
        "relay",
        &server,
        &pair,
        None,
        &[("ZUDUI_MAX_CONNECTIONS_PER_IP", "1")],
    )
    .await;

    let opened = Instant::now();
    let mut silent = TcpStream::connect(&relay.addr).await.expect("connect");
    assert!(
        health(&trusting(&pem), &relay.base).await.is_err(),
        "the address has its one connection"
    );
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(WAIT, silent.read(&mut buf))
        .await
        .expect("the silent connection is closed");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed without an answer: {read:?}"
    );
    let closed = opened.elapsed();
    assert!(
        closed >= HANDSHAKE_TIMEOUT - Duration::from_millis(100) && closed < WAIT,
        "closed after {closed:?}, the timeout being {HANDSHAKE_TIMEOUT:?}"
    );
    assert_eq!(
        health(&trusting(&pem), &relay.base).await.as_deref(),
        Ok("ok"),
        "its place is free again"
    );
}
