//! Connection timeouts and caps of the native server, over raw TCP: a request's headers must
//! arrive within `ZUDUI_HEADER_TIMEOUT_SECS` (10) of its first byte, a kept-alive connection
//! waits at most `ZUDUI_IDLE_TIMEOUT_SECS` (75) for its next request, neither cuts off a request
//! being handled or an upgraded WebSocket, and one address holds at most
//! `ZUDUI_MAX_CONNECTIONS_PER_IP` (1,000) connections.

mod common;

use std::time::{Duration, Instant};

use common::ws::{self, group_path};
use common::{create_group, user, Options, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const WAIT: Duration = Duration::from_secs(5);
/// A complete request; its answer (113, no token) ends with the JSON's `}`.
const REQUEST: &str = "POST /auth/checkLogin HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n";

async fn tcp(server: &Server) -> TcpStream {
    let addr = server.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Sends [`REQUEST`] and reads its whole answer; the status line, or `None` when the connection
/// is closed instead.
async fn exchange(stream: &mut TcpStream) -> Option<String> {
    stream.write_all(REQUEST.as_bytes()).await.ok()?;
    answer(stream, WAIT).await
}

async fn answer(stream: &mut TcpStream, wait: Duration) -> Option<String> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b"}") {
        match tokio::time::timeout(wait, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    let text = String::from_utf8_lossy(&got).to_string();
    text.lines().next().map(str::to_owned)
}

/// Waits up to `wait` for the server to close `stream` (reading and dropping anything it sends);
/// how long that took.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((start + wait).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

#[track_caller]
fn served(line: Option<String>) {
    assert!(
        line.as_deref().is_some_and(|l| l.contains(" 401 ")),
        "{line:?}"
    );
}

#[tokio::test]
async fn a_client_dripping_header_lines_is_cut_off_by_the_header_timeout() {
    // The issue's client: one header line every few seconds, never the end of the head.
    let server = Server::start().await;
    let mut stream = tcp(&server).await;
    let (mut reader, mut writer) = stream.split();
    let started = Instant::now();
    let drip = async {
        writer
            .write_all(b"POST /auth/checkLogin HTTP/1.1\r\n")
            .await?;
        for i in 0.. {
            tokio::time::sleep(Duration::from_secs(2)).await;
            writer
                .write_all(format!("x-drip-{i}: 1\r\n").as_bytes())
                .await?;
        }
        Ok::<_, std::io::Error>(())
    };
    let closed = async {
        let mut buf = [0u8; 256];
        let _ = tokio::time::timeout(Duration::from_secs(20), reader.read(&mut buf)).await;
        started.elapsed()
    };
    let after = tokio::select! {
        after = closed => after,
        _ = drip => started.elapsed(),
    };
    // Cut off at 10 s from its first byte, however often it sends.
    assert!(
        after >= Duration::from_millis(9500) && after < Duration::from_secs(13),
        "closed after {after:?}"
    );
    // Everyone else was served meanwhile and still is.
    served(exchange(&mut tcp(&server).await).await);
}

#[tokio::test]
async fn a_kept_alive_connection_is_closed_after_the_idle_timeout() {
    let server = Server::with(Options::dev_login().env("ZUDUI_IDLE_TIMEOUT_SECS", "2")).await;
    // A connection in use stays open past the timeout: each request starts its wait again.
    let mut stream = tcp(&server).await;
    for _ in 0..4 {
        served(exchange(&mut stream).await);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    // Left idle, it is closed 2 s after its last answer.
    served(exchange(&mut stream).await);
    let after = closed_within(&mut stream, Duration::from_secs(6)).await;
    assert!(
        after.is_some_and(|a| a >= Duration::from_millis(1500) && a < Duration::from_secs(4)),
        "closed after {after:?}"
    );
    // So is one that never sends anything.
    let mut silent = tcp(&server).await;
    let after = closed_within(&mut silent, Duration::from_secs(6)).await;
    assert!(
        after.is_some_and(|a| a >= Duration::from_millis(1500) && a < Duration::from_secs(4)),
        "closed after {after:?}"
    );
}

#[tokio::test]
async fn requests_being_handled_and_websockets_outlive_both_timeouts() {
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_HEADER_TIMEOUT_SECS", "2")
            .env("ZUDUI_IDLE_TIMEOUT_SECS", "2"),
    )
    .await;
    // A body that takes 4 s to arrive after a prompt head: the request is being handled.
    let body = r#"{"code":"slow-body-user"}"#;
    let head = format!(
        "POST /auth/login HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n",
        body.len()
    );
    let mut stream = tcp(&server).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    for byte in body.bytes() {
        tokio::time::sleep(Duration::from_millis(4000 / body.len() as u64)).await;
        stream.write_all(&[byte]).await.expect("still open");
    }
    let line = answer(&mut stream, WAIT).await;
    assert!(
        line.as_deref().is_some_and(|l| l.contains(" 200 ")),
        "{line:?}"
    );

    // A chat socket quiet for longer than both timeouts still carries messages.
    let alice = user(&server, "conn-alice").await;
    let group = create_group(&server, &alice, "长连接").await;
    let base = server.ws_base();
    let mut socket = ws::connect(&base, &alice, &group_path(group), WAIT).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    ws::say_acked(&mut socket, "还在", WAIT).await;
}

#[tokio::test]
async fn one_address_holds_at_most_a_thousand_connections_by_default() {
    let server = Server::start().await;
    let mut held = Vec::new();
    for _ in 0..1000 {
        let mut stream = tcp(&server).await;
        served(exchange(&mut stream).await);
        held.push(stream);
    }
    // The 1,001st from the same address is closed without an answer.
    let mut excess = tcp(&server).await;
    assert_eq!(exchange(&mut excess).await, None);
    // Once one closes, its place is free again.
    held.pop();
    tokio::time::sleep(Duration::from_millis(200)).await;
    served(exchange(&mut tcp(&server).await).await);
}

/// Behind a proxy (`ZUDUI_CLIENT_IP_HEADER` set) every connection comes from the proxy: no cap
/// per address then, or one client could fill the whole service's allowance.
#[tokio::test]
async fn behind_a_proxy_connections_are_not_capped_per_address() {
    let server =
        Server::with(Options::dev_login().env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for")).await;
    let mut held = Vec::new();
    for _ in 0..1001 {
        let mut stream = tcp(&server).await;
        served(exchange(&mut stream).await);
        held.push(stream);
    }
}
