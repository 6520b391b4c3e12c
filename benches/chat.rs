//! Chat benchmark of the native server: WebSocket clients on loopback, each message stamped with
//! its send time, and the send-to-receive latency of every delivery.
//!
//! ```text
//! cargo bench --bench chat -- [fanout] [rooms] [connections] [--seconds S]
//!                             [--connections N] [--hold S]
//! fanout:      one room of 1,000 members (added straight into the database: the API caps groups
//!              at 500), 10 of them sending 50 messages/s in all: 50,000 deliveries/s
//! rooms:       100 rooms of 10 members, one sender each, 500 messages/s stored in all
//! connections: N sockets (default 20,000) of 1,000 users in 100 rooms, held for S seconds
//!              (default 20: longer than the 15 s silence limit, so pings must be answered), one
//!              message sent into each room while they are held; server RSS with all open
//! ```
//!
//! A process may hold only as many descriptors as `ulimit -n` allows, so the connections are
//! held by child processes of this benchmark (`hold`), 10,000 at most each.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{login, Server};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use zudui_shared::db::{groups, members};
use zudui_shared::native::SqliteDb;
use zudui_shared::storage::Database;

mod support;

struct Scenario {
    name: &'static str,
    rooms: usize,
    members: usize,
    senders_per_room: usize,
    /// Messages per second from each sender.
    rate: f64,
}

const FANOUT: Scenario = Scenario {
    name: "fanout",
    rooms: 1,
    members: 1000,
    senders_per_room: 10,
    rate: 5.0,
};
const ROOMS: Scenario = Scenario {
    name: "rooms",
    rooms: 100,
    members: 10,
    senders_per_room: 1,
    rate: 5.0,
};

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank]) / 1000.0
}

/// A fresh server with `rooms` groups of `members` users each: users by the API, memberships
/// straight into the database. Returns the server, every user's token (room by room) and the
/// group ids.
async fn setup(rooms: usize, room_members: usize) -> (Server, Vec<String>, Vec<i64>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/chat");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let server = Server::start(&dir);
    let http = reqwest::Client::new();

    // Users by the API; rooms and memberships straight into the database.
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for n in 0..rooms * room_members {
        let token = login(&http, &server.base, &format!("chat-bench-{n}")).await;
        let info: Value = http
            .post(format!("{}/user/info/text/getInfo", server.base))
            .header("token", &token)
            .json(&json!({}))
            .send()
            .await
            .expect("getInfo")
            .json()
            .await
            .expect("getInfo json");
        ids.push(info["id"].as_str().expect("id").to_owned());
        tokens.push(token);
    }
    let mut group_ids = Vec::new();
    for room in 0..rooms {
        let owner = &tokens[room * room_members];
        let created: Value = http
            .post(format!("{}/group/external/group/create", server.base))
            .header("token", owner)
            .json(&json!({ "type": "学习", "name": format!("bench {room}"), "user_limit": 500 }))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("create json");
        group_ids.push(created["group_id"].as_i64().expect("group id"));
    }
    let db = SqliteDb::open(&dir.join("zudui.sqlite")).expect("open db");
    (&db as &dyn Database)
        .tx(|c| {
            for (room, group) in group_ids.iter().enumerate() {
                for m in 1..room_members {
                    members::insert(c, *group, &ids[room * room_members + m], false, 0)?;
                }
                groups::add_members(c, *group, room_members as i64 - 1)?;
            }
            Ok(())
        })
        .expect("members");

    (server, tokens, group_ids)
}

async fn run(s: &Scenario, seconds: u64) {
    let (server, tokens, group_ids) = setup(s.rooms, s.members).await;
    let ws_base = server.base.replace("http://", "ws://");
    let started = Instant::now();
    let deadline = Duration::from_secs(seconds);
    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for (room, group) in group_ids.iter().enumerate() {
        for m in 0..s.members {
            let mut req = format!("{ws_base}/chat/group?group_id={group}")
                .into_client_request()
                .expect("request");
            let token = &tokens[room * s.members + m];
            req.headers_mut()
                .insert("token", token.parse().expect("token"));
            let (socket, _) = tokio_tungstenite::connect_async(req)
                .await
                .expect("connect");
            let (mut sink, mut stream) = socket.split();
            receivers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let end = started + deadline + Duration::from_secs(2);
                while let Ok(Some(Ok(frame))) =
                    tokio::time::timeout_at(end.into(), stream.next()).await
                {
                    if let Message::Text(text) = frame {
                        let Ok(message) = serde_json::from_str::<Value>(&text) else {
                            continue;
                        };
                        let sent = message["msg"]["content"]
                            .as_str()
                            .and_then(|c| c.parse::<u64>().ok());
                        if let (Some(sent), Some(false)) = (sent, message["history"].as_bool()) {
                            let now = started.elapsed().as_micros() as u64;
                            latencies.push(now.saturating_sub(sent) as u32);
                        }
                    }
                }
                latencies
            }));
            if m < s.senders_per_room {
                let rate = s.rate;
                senders.push(tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                    let mut sent = 0u64;
                    while started.elapsed() < deadline {
                        tick.tick().await;
                        let now = started.elapsed().as_micros();
                        let frame = json!({ "msg_type": "text", "content": now.to_string() });
                        if sink
                            .send(Message::Text(frame.to_string().into()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                        sent += 1;
                    }
                    sent
                }));
            }
        }
    }
    let connected = started.elapsed().as_secs_f64();
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.expect("sender");
    }
    let mut latencies = Vec::new();
    for receiver in receivers {
        latencies.extend(receiver.await.expect("receiver"));
    }
    latencies.sort_unstable();
    let window = seconds as f64 - connected.min(seconds as f64);
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
        s.name,
        s.rooms * s.members,
        sent,
        latencies.len(),
        sent as f64 / window.max(1.0),
        latencies.len() as f64 / window.max(1.0),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
        server.peak_rss_mib(),
    );
    support::summary(
        "chat",
        s.name,
        latencies.len() as f64 / window.max(1.0),
        "deliveries/s",
        Some((percentile(&latencies, 50.0), percentile(&latencies, 99.0))),
        server.peak_rss_mib(),
    );
}

/// Rooms and members of the `connections` scenario; each user holds several sockets.
const HELD_ROOMS: usize = 100;
const HELD_MEMBERS: usize = 10;
/// Sockets per holding process, well under the usual descriptor limit.
const PER_HOLDER: usize = 10_000;

async fn connections(total: usize, hold_seconds: u64) {
    let (server, tokens, group_ids) = setup(HELD_ROOMS, HELD_MEMBERS).await;
    let ws_base = server.base.replace("http://", "ws://");
    let users = HELD_ROOMS * HELD_MEMBERS;
    let baseline = server.rss_mib();
    // A sender per room, connected first: they count among the server's connections, and the
    // server may have no descriptor left for them later.
    let mut senders = Vec::new();
    for (room, group) in group_ids.iter().enumerate() {
        let mut req = format!("{ws_base}/chat/group?group_id={group}")
            .into_client_request()
            .expect("request");
        let token = &tokens[room * HELD_MEMBERS];
        req.headers_mut()
            .insert("token", token.parse().expect("token"));
        senders.push(
            tokio_tungstenite::connect_async(req)
                .await
                .expect("sender")
                .0,
        );
    }
    let started = Instant::now();
    let mut holders = Vec::new();
    let targets: Vec<String> = (0..total.saturating_sub(senders.len()))
        .map(|k| {
            let user = k % users;
            let group = group_ids[user / HELD_MEMBERS];
            format!("{ws_base}/chat/group?group_id={group} {}", tokens[user])
        })
        .collect();
    for chunk in targets.chunks(PER_HOLDER) {
        let mut child = Command::new(std::env::current_exe().expect("this benchmark"))
            .arg("hold")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("a holding process");
        let mut input = child.stdin.take().expect("stdin");
        for target in chunk {
            writeln!(input, "{target}").expect("targets");
        }
        writeln!(input).expect("end of targets");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        holders.push((child, input, output));
    }
    let mut opened = 0;
    let mut refused = 0;
    for (_, _, output) in &mut holders {
        let counts = report(output);
        opened += counts[0];
        refused += counts[1];
    }
    let connect_seconds = started.elapsed().as_secs_f64();
    let rss_open = server.rss_mib();

    // One message into each room while everything is held; each held socket should get it.
    for (room, socket) in senders.iter_mut().enumerate() {
        let frame = json!({ "msg_type": "text", "content": format!("to room {room}") });
        socket
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
        while let Some(Ok(frame)) = socket.next().await {
            if matches!(&frame, Message::Text(t) if t.contains("\"history\":false")) {
                break;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(hold_seconds)).await;
    let (mut still_open, mut live) = (0, 0);
    for (child, input, output) in &mut holders {
        writeln!(input, "report").expect("report");
        let counts = report(output);
        still_open += counts[0];
        live += counts[1];
        let _ = child.wait();
    }
    let connections = opened + senders.len();
    let per_connection = (rss_open - baseline) * 1024.0 / connections as f64;
    println!(
        "| connections | {total} | {connections} | {refused} | {connect_seconds:.1} | {} after {hold_seconds} s | {live} of {opened} | {baseline:.1} | {rss_open:.1} | {:.1} | {per_connection:.1} |",
        still_open + senders.len(),
        server.peak_rss_mib(),
    );
    let held = (still_open + senders.len()) as f64;
    let rss = server.peak_rss_mib();
    support::summary("chat", "connections", held, "held", None, rss);
}

/// The numbers of a holder's next report line (`connected 10000 0`, `open 10000 200`).
fn report(output: &mut impl BufRead) -> Vec<usize> {
    let mut line = String::new();
    output.read_line(&mut line).expect("a holder's report");
    assert!(!line.is_empty(), "a holding process ended early");
    line.split_whitespace()
        .filter_map(|word| word.parse().ok())
        .collect()
}

/// A holding process: opens the sockets listed on stdin (`url token` lines, then an empty
/// line), answers pings, counts live messages; prints `connected OPENED REFUSED`, then on
/// `report` prints `open STILL_OPEN live MESSAGES` and ends.
async fn hold() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    let stdin = std::io::stdin();
    let mut targets = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.expect("stdin");
        let Some((url, token)) = line.split_once(' ') else {
            break;
        };
        targets.push((url.to_owned(), token.to_owned()));
    }
    let open = Arc::new(AtomicUsize::new(0));
    let live = Arc::new(AtomicUsize::new(0));
    let connecting = Arc::new(tokio::sync::Semaphore::new(128));
    let (done, mut results) = tokio::sync::mpsc::unbounded_channel();
    for (url, token) in targets.iter().cloned() {
        let (open, live, connecting, done) =
            (open.clone(), live.clone(), connecting.clone(), done.clone());
        tokio::spawn(async move {
            let permit = connecting.acquire_owned().await.expect("semaphore");
            let mut req = url.into_client_request().expect("request");
            req.headers_mut()
                .insert("token", token.parse().expect("token"));
            let config = WebSocketConfig::default()
                .read_buffer_size(4 << 10)
                .write_buffer_size(0);
            let connected = tokio::time::timeout(
                Duration::from_secs(30),
                tokio_tungstenite::connect_async_with_config(req, Some(config), false),
            )
            .await;
            drop(permit);
            let Ok(Ok((mut socket, _))) = connected else {
                let _ = done.send(false);
                return;
            };
            open.fetch_add(1, Ordering::Relaxed);
            let _ = done.send(true);
            while let Some(Ok(frame)) = socket.next().await {
                if matches!(&frame, Message::Text(t) if t.contains("\"history\":false")) {
                    live.fetch_add(1, Ordering::Relaxed);
                }
            }
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    drop(done);
    let (mut opened, mut refused) = (0, 0);
    // Every task reports once; the held ones keep their sender, so count rather than wait for
    // the channel to close.
    for _ in 0..targets.len() {
        match results.recv().await {
            Some(true) => opened += 1,
            _ => refused += 1,
        }
    }
    println!("connected {opened} {refused}");
    let _ = std::io::stdout().flush();
    let _ = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
    })
    .await;
    println!(
        "open {} live {}",
        open.load(Ordering::Relaxed),
        live.load(Ordering::Relaxed)
    );
    let _ = std::io::stdout().flush();
}

#[tokio::main]
async fn main() {
    let mut seconds = 10;
    let mut total = 20_000;
    let mut hold_seconds = 20;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds S")
            }
            "--connections" => {
                total = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--connections N")
            }
            "--hold" => hold_seconds = args.next().and_then(|v| v.parse().ok()).expect("--hold S"),
            "hold" => return hold().await,
            "--bench" => {}
            other => names.push(other.to_owned()),
        }
    }
    if names.is_empty() {
        names = vec!["fanout".into(), "rooms".into()];
    }
    println!("| scenario | connections | messages sent | deliveries | messages/s | deliveries/s | p50 ms | p99 ms | max ms | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for name in names {
        match name.as_str() {
            "fanout" => run(&FANOUT, seconds).await,
            "rooms" => run(&ROOMS, seconds).await,
            "connections" => {
                println!();
                println!("| scenario | asked | opened | refused | connect s | held | live messages | server RSS idle MiB | RSS all open MiB | peak RSS MiB | KiB per connection |");
                println!("|---|---|---|---|---|---|---|---|---|---|---|");
                connections(total, hold_seconds).await
            }
            other => panic!("unknown scenario {other:?} (known: fanout, rooms, connections)"),
        }
    }
}
