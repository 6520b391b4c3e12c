//! Chat benchmark of the native server: WebSocket clients on loopback, each message stamped with
//! its send time, and the send-to-receive latency of every delivery.
//!
//! ```text
//! cargo bench --bench chat -- [fanout] [rooms] [connections] [--seconds S] [--baseline PATH]
//!                             [--connections N] [--hold S]
//! fanout:      one room of 1,000 members (added straight into the database: the API caps groups
//!              at 500), 10 of them sending 50 messages/s in all: 50,000 deliveries/s
//! rooms:       100 rooms of 10 members, one sender each, 500 messages/s stored in all
//! connections: N sockets (default 20,000) of 1,000 users in 100 rooms, held for S seconds
//!              (default 20: longer than the 15 s silence limit, so pings must be answered), one
//!              message sent into each room while they are held; server RSS with all open
//! ```
//!
//! `fanout` and `rooms` run against a bare broadcast server (the anchor, a child process of this
//! benchmark: `anchor`) and the server, and with `--baseline PATH` against that build of `zudui`
//! too, in the same run: the same clients, all connected at once, the targets sending in turns
//! of 2 s; one row each, with each p99 divided by the anchor's, and the CPU time each process
//! (and the clients) spent per delivery. The senders of a scenario take turns at even
//! intervals: in `fanout`, a message every 20 ms.
//!
//! A process may hold only as many descriptors as `ulimit -n` allows, so the connections are
//! held by child processes of this benchmark (`hold`), 10,000 at most each.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::common::process;
use support::{login, Server};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use zudui_shared::db::{groups, members};
use zudui_shared::ids::{GroupId, UserId};
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

/// A fresh server (the build `binary` names, or the one of [`support::start`]) on its own data
/// directory (`target/bench-data/chat-NAME`) with `rooms` groups of `members` users each: users
/// by the API, memberships straight into the database. Returns the server, every user's token
/// (room by room) and the group ids.
async fn setup(
    name: &str,
    rooms: usize,
    room_members: usize,
    binary: Option<&Path>,
) -> (Server, Vec<String>, Vec<i64>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("chat-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let server = support::start(&dir, binary).await;
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
        ids.push(UserId::from(info["id"].as_str().expect("id")));
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
                    members::insert(c, GroupId(*group), &ids[room * room_members + m], false, 0)?;
                }
                groups::add_members(c, GroupId(*group), room_members as i64 - 1)?;
            }
            Ok(())
        })
        .expect("members");

    (server, tokens, group_ids)
}

/// Each target sends in turns of this long at most (then the next target's turn), so that the
/// others' work on this shared machine falls on every target alike.
const TURN: u64 = 2;
/// A pause after each turn: the last messages of a turn arrive before the next target sends.
const PAUSE: Duration = Duration::from_millis(500);

/// What a scenario runs against.
enum Process {
    Anchor(Anchor),
    Server(Box<Server>),
}

impl Process {
    fn peak_rss_mib(&self) -> f64 {
        match self {
            Process::Anchor(anchor) => anchor.peak_rss_mib(),
            Process::Server(server) => server.peak_rss_mib(),
        }
    }

    fn cpu_seconds(&self) -> f64 {
        match self {
            Process::Anchor(anchor) => anchor.cpu_seconds(),
            Process::Server(server) => server.cpu_seconds(),
        }
    }
}

/// A target and its connected clients.
struct Target {
    name: &'static str,
    process: Process,
    /// The senders' sockets, between turns.
    sinks: Vec<SplitSink<Socket, Message>>,
    /// Every member's receiving task; each returns its latencies once stopped.
    receivers: Vec<JoinHandle<Vec<u32>>>,
    sent: u64,
    /// The process's CPU seconds when the turns began.
    cpu_before: f64,
    /// CPU seconds the clients (this process) spent in this target's turns and the pauses after.
    client_cpu: f64,
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Runs `s` against the bare anchor, the baseline build if given, and the server, all connected
/// at once and sending in turns ([`TURN`] seconds each, in rotating order) until each has sent
/// for `seconds`; prints a row for each.
async fn run(s: &Scenario, seconds: u64, baseline: Option<&Path>) {
    let started = Instant::now();
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut targets = Vec::new();

    let anchor = Anchor::start();
    // The anchor's rooms are its URLs' queries; it reads no token.
    let urls: Vec<String> = (0..s.rooms)
        .map(|room| format!("{}/chat/group?group_id={room}", anchor.base))
        .collect();
    let tokens = vec!["anchor".to_owned(); s.rooms * s.members];
    let (sinks, receivers) = connect(s, &urls, &tokens, started, &stopping).await;
    targets.push(Target {
        name: "anchor",
        process: Process::Anchor(anchor),
        sinks,
        receivers,
        sent: 0,
        cpu_before: 0.0,
        client_cpu: 0.0,
    });
    let builds = baseline
        .map(|b| ("baseline", Some(b)))
        .into_iter()
        .chain([("server", None)]);
    for (name, binary) in builds {
        let (server, tokens, group_ids) = setup(name, s.rooms, s.members, binary).await;
        let ws_base = server.base.replace("http://", "ws://");
        let urls: Vec<String> = group_ids
            .iter()
            .map(|group| format!("{ws_base}/chat/group?group_id={group}"))
            .collect();
        let (sinks, receivers) = connect(s, &urls, &tokens, started, &stopping).await;
        targets.push(Target {
            name,
            process: Process::Server(Box::new(server)),
            sinks,
            receivers,
            sent: 0,
            cpu_before: 0.0,
            client_cpu: 0.0,
        });
    }

    for target in &mut targets {
        target.cpu_before = target.process.cpu_seconds();
    }
    for turn in 0..seconds.div_ceil(TURN) {
        let length = Duration::from_secs(TURN.min(seconds - turn * TURN));
        for k in 0..targets.len() {
            let at = (turn as usize + k) % targets.len();
            let client_cpu = process::cpu_seconds(std::process::id());
            send_turn(s, &mut targets[at], started, length).await;
            tokio::time::sleep(PAUSE).await;
            targets[at].client_cpu += process::cpu_seconds(std::process::id()) - client_cpu;
        }
    }
    // Time for the last messages to arrive everywhere.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.send_replace(true);
    // What each process spent on its turns: the others' turns leave it idle but for pings.
    let cpu: Vec<f64> = targets
        .iter()
        .map(|t| t.process.cpu_seconds() - t.cpu_before)
        .collect();

    let mut anchor_p99 = None;
    for (target, cpu) in targets.into_iter().zip(cpu) {
        let mut latencies = Vec::new();
        for receiver in target.receivers {
            latencies.extend(receiver.await.expect("receiver"));
        }
        latencies.sort_unstable();
        let deliveries = latencies.len() as f64 / seconds as f64;
        let (p50, p99) = (percentile(&latencies, 50.0), percentile(&latencies, 99.0));
        let anchor_p99 = *anchor_p99.get_or_insert(p99);
        let ratio = if anchor_p99 > 0.0 {
            format!("{:.2}", p99 / anchor_p99)
        } else {
            "-".into()
        };
        let peak_rss = target.process.peak_rss_mib();
        let cpu_per_delivery = cpu * 1e6 / latencies.len().max(1) as f64;
        let client_cpu_per_delivery = target.client_cpu * 1e6 / latencies.len().max(1) as f64;
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {deliveries:.0} | {p50:.2} | {p99:.2} | {:.2} | {cpu_per_delivery:.1} | {client_cpu_per_delivery:.1} | {peak_rss:.1} | {ratio} |",
            s.name,
            target.name,
            s.rooms * s.members,
            target.sent,
            latencies.len(),
            target.sent as f64 / seconds as f64,
            percentile(&latencies, 100.0),
        );
        // The server's row under the scenario's name, the others' beside it.
        let scenario = match target.name {
            "server" => s.name.to_owned(),
            other => format!("{} {other}", s.name),
        };
        let unit = "deliveries/s";
        support::summary(
            "chat",
            &scenario,
            deliveries,
            unit,
            Some((p50, p99)),
            peak_rss,
        );
    }
}

/// Connects every member (`urls[room]`, with `tokens[room * members + m]`) and starts its
/// receiving task, which records the send-to-receive latency of every live delivery until
/// `stopping`. Returns the senders' sockets and the receiving tasks.
async fn connect(
    s: &Scenario,
    urls: &[String],
    tokens: &[String],
    started: Instant,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> (Vec<SplitSink<Socket, Message>>, Vec<JoinHandle<Vec<u32>>>) {
    let mut receivers = Vec::new();
    let mut sinks = Vec::new();
    for (room, url) in urls.iter().enumerate() {
        for m in 0..s.members {
            let mut req = url.as_str().into_client_request().expect("request");
            let token = &tokens[room * s.members + m];
            req.headers_mut()
                .insert("token", token.parse().expect("token"));
            // tungstenite zeroes its whole read buffer before every read, even one that finds
            // nothing: the default 128 KiB made the clients the machine's busiest process.
            let config = WebSocketConfig::default().read_buffer_size(4 << 10);
            // No Nagle delay on the clients' side either (the servers set TCP_NODELAY too).
            let (socket, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
                .await
                .expect("connect");
            let (sink, mut stream) = socket.split();
            if m < s.senders_per_room {
                sinks.push(sink);
            }
            let mut stopping = stopping.clone();
            receivers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let frame = tokio::select! {
                        frame = stream.next() => frame,
                        _ = stopping.wait_for(|stop| *stop) => break,
                    };
                    let Some(Ok(frame)) = frame else { break };
                    if let Some(sent) = live_stamp(&frame) {
                        let now = started.elapsed().as_micros() as u64;
                        latencies.push(now.saturating_sub(sent) as u32);
                    }
                }
                latencies
            }));
        }
    }
    (sinks, receivers)
}

/// One turn of `target`'s senders, `length` long: they take turns at even intervals (sender `i`
/// of `n` starts `i / n` of a period after the first), the same schedule for every target,
/// each message stamped with its send time.
async fn send_turn(s: &Scenario, target: &mut Target, started: Instant, length: Duration) {
    let period = Duration::from_secs_f64(1.0 / s.rate);
    let first = tokio::time::Instant::now() + Duration::from_millis(10);
    let end = first + length;
    let turns = target.sinks.len() as u32;
    let mut senders = Vec::new();
    for (i, mut sink) in target.sinks.drain(..).enumerate() {
        let mut tick = tokio::time::interval_at(first + period * i as u32 / turns, period);
        senders.push(tokio::spawn(async move {
            let mut sent = 0u64;
            while tick.tick().await < end {
                let now = started.elapsed().as_micros();
                let frame = json!({ "msg_type": "text", "content": now.to_string() });
                let frame = Message::Text(frame.to_string().into());
                if sink.send(frame).await.is_err() {
                    break;
                }
                sent += 1;
            }
            (sink, sent)
        }));
    }
    for sender in senders {
        let (sink, sent) = sender.await.expect("sender");
        target.sinks.push(sink);
        target.sent += sent;
    }
}

/// The send time stamped in a live delivery (`msg.content`, with `history: false`).
fn live_stamp(frame: &Message) -> Option<u64> {
    let Message::Text(text) = frame else {
        return None;
    };
    let message: Value = serde_json::from_str(text).ok()?;
    if message["history"] != false {
        return None;
    }
    message["msg"]["content"].as_str()?.parse().ok()
}

/// A fanout message as the server sends it (182 bytes), with the client's frame for `MSG`.
const ENVELOPE: &str = concat!(
    r#"{"history":false,"id":1,"msg":MSG,"nickname":"用户62158D","room_id":1,"#,
    r#""time":"2026/12/05 08:24:21","user_id":"62158d59f1c36d1a93cb54aeee254669"}"#
);

/// The bare broadcast anchor, a child process of this benchmark (`anchor`).
struct Anchor {
    /// `ws://127.0.0.1:PORT`
    base: String,
    child: Child,
}

impl Anchor {
    fn start() -> Anchor {
        let mut child = Command::new(std::env::current_exe().expect("this benchmark"))
            .arg("anchor")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the anchor");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the anchor's address");
        let base = line
            .strip_prefix("listening on ")
            .expect("the anchor's address")
            .trim()
            .to_owned();
        Anchor { base, child }
    }

    fn peak_rss_mib(&self) -> f64 {
        process::status_mib(self.child.id(), "VmHWM:")
    }

    fn cpu_seconds(&self) -> f64 {
        process::cpu_seconds(self.child.id())
    }
}

impl Drop for Anchor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The anchor process: a bare tokio-tungstenite server that broadcasts every text it receives
/// to every socket of the same room (the URL's query), through a `tokio::sync::broadcast`
/// channel per room as the server's hub does, and nothing else: no storage, no authentication,
/// no pings. Its socket buffers are the server's (4 KiB), and it sets TCP_NODELAY on accepted
/// sockets: the best a broadcast over WebSockets does on this machine, the mark for the server.
///
/// Each text goes out in [`ENVELOPE`], so that the clients get frames of the server's shape and
/// size and do the same work for both (the bare 40-byte frames cost them more, not less: 15.6 µs
/// per delivery instead of 13.5 when they read with 128 KiB buffers).
async fn anchor() {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};
    use tokio::sync::broadcast;
    use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
    use tokio_tungstenite::tungstenite::Utf8Bytes;

    type Rooms = Arc<Mutex<HashMap<String, broadcast::Sender<Utf8Bytes>>>>;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    println!(
        "listening on ws://{}",
        listener.local_addr().expect("address")
    );
    let _ = std::io::stdout().flush();
    let rooms = Rooms::default();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let rooms = rooms.clone();
        tokio::spawn(async move {
            let mut room = String::new();
            // tungstenite's handshake callback fixes the (large) error type.
            #[allow(clippy::result_large_err)]
            let find_room = |req: &Request, res: Response| {
                room = req.uri().query().unwrap_or_default().to_owned();
                Ok(res)
            };
            let config = WebSocketConfig::default()
                .read_buffer_size(4 << 10)
                .write_buffer_size(4 << 10);
            let Ok(socket) =
                tokio_tungstenite::accept_hdr_async_with_config(stream, find_room, Some(config))
                    .await
            else {
                return;
            };
            // As many messages behind as the server allows (`zudui_relay::hub::BACKLOG`).
            let channel = rooms
                .lock()
                .expect("rooms")
                .entry(room)
                .or_insert_with(|| broadcast::channel(1024).0)
                .clone();
            let mut live = channel.subscribe();
            let (mut sink, mut incoming) = socket.split();
            loop {
                tokio::select! {
                    frame = incoming.next() => match frame {
                        Some(Ok(Message::Text(text))) => {
                            // Rendered once per message, as the server does.
                            let _ = channel.send(ENVELOPE.replace("MSG", &text).into());
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    text = live.recv() => match text {
                        Ok(text) => {
                            if sink.send(Message::Text(text)).await.is_err() {
                                break;
                            }
                        }
                        // Too far behind: closed, as the server does.
                        Err(_) => break,
                    },
                }
            }
        });
    }
}

/// Rooms and members of the `connections` scenario; each user holds several sockets.
const HELD_ROOMS: usize = 100;
const HELD_MEMBERS: usize = 10;
/// Sockets per holding process, well under the usual descriptor limit.
const PER_HOLDER: usize = 10_000;

async fn connections(total: usize, hold_seconds: u64) {
    let (server, tokens, group_ids) = setup("server", HELD_ROOMS, HELD_MEMBERS, None).await;
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
    let mut baseline = None;
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
            "--baseline" => baseline = Some(PathBuf::from(args.next().expect("--baseline PATH"))),
            "hold" => return hold().await,
            "anchor" => return anchor().await,
            "--bench" => {}
            other => names.push(other.to_owned()),
        }
    }
    if names.is_empty() {
        names = vec!["fanout".into(), "rooms".into()];
    }
    println!("| scenario | target | connections | messages sent | deliveries | messages/s | deliveries/s | p50 ms | p99 ms | max ms | CPU µs per delivery | clients' CPU µs per delivery | peak RSS MiB | p99 / anchor's |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for name in names {
        match name.as_str() {
            "fanout" => run(&FANOUT, seconds, baseline.as_deref()).await,
            "rooms" => run(&ROOMS, seconds, baseline.as_deref()).await,
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
