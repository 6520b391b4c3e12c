//! The chat under faults, over real processes on loopback (issue 14): Redis killed and started
//! again, a relay killed and started again, a relay stopped (SIGSTOP) and resumed, the server
//! killed and started again on its data, while clients send, reconnect and resend with
//! `client_msg_id`. Every acknowledged message is stored once, every member's history is the
//! same, every open socket hears up to the newest message, and an idle room costs no reads. Then
//! regression tests for the failures the issue found (a gap fill without end, or without a
//! bound on its tries; a greeting failure that left a room silent; a recheck that stopped after
//! one page), and the rules of `client_msg_id` on the native server and through the relays.
//!
//! Needs `redis-server` on the PATH (CI installs it); without it the relay tests fail.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::cluster::{
    internal, post_with_secret, store_unpublished, Cluster, Relay, RELAY_SECRET,
};
use common::proxy::{Proxy, AFTER, HISTORY};
use common::ws::{
    self, ask_history, content, contents, group_path, id, ids, next_json, next_live, quiet, say,
    say_acked, send, strictly_increasing, Socket,
};
use common::{create_group, team, Options, Server, User};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// How long a frame that should come may take.
const WAIT: Duration = Duration::from_secs(10);
/// How long we listen to be sure that nothing (more) comes.
const QUIET: Duration = Duration::from_millis(500);
/// A room with nothing going on costs no read of storage over this long.
const IDLE: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A text frame with a client message id.
fn text(content: &str, client_msg_id: &str) -> Value {
    json!({ "msg_type": "text", "content": content, "client_msg_id": client_msg_id })
}

/// A text frame without one.
fn plain(content: &str) -> Value {
    json!({ "msg_type": "text", "content": content })
}

fn client_msg_id(frame: &Value) -> Option<&str> {
    frame["msg"]["client_msg_id"].as_str()
}

async fn connect(relay: &Relay, who: &User, path: &str) -> Socket {
    ws::connect(&relay.ws_base(), who, path, WAIT).await
}

async fn connect_native(server: &Server, who: &User, path: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path, WAIT).await
}

/// Sends `frame` and reads the acknowledgement: the stored message, live, to its sender.
async fn sent(socket: &mut Socket, frame: &Value) -> Value {
    send(socket, frame.clone()).await;
    let ack = next_live(socket, WAIT).await;
    assert_eq!(
        client_msg_id(&ack),
        frame["client_msg_id"].as_str(),
        "{ack}"
    );
    ack
}

/// The next `n` frames.
async fn take(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut frames = Vec::with_capacity(n);
    for _ in 0..n {
        frames.push(next_json(socket, WAIT).await);
    }
    frames
}

/// Every message of a group room as `who` pages back through it (the server's relay route,
/// 20 a page), oldest first, each as clients receive it in history.
async fn full_history(server: &Server, group: i64, who: &User) -> Vec<Value> {
    let mut messages = Vec::new();
    let mut before = None;
    loop {
        let mut body = json!({ "room": format!("group:{group}"), "user_id": who.id });
        if let Some(before) = before {
            body["before"] = json!(before);
        }
        let page = internal(server, "history", body).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|posted| {
                serde_json::from_str::<Value>(posted["frame"].as_str().expect("frame"))
                    .expect("a JSON frame")
            })
            .collect::<Vec<_>>();
        let Some(first) = page.first() else {
            return messages;
        };
        before = Some(id(first));
        messages.splice(0..0, page);
    }
}

/// A native server with the relay routes, to read whole histories.
async fn native_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_RELAY_SECRET", RELAY_SECRET)).await
}

/// A native server and a group of two on it, the owner and the member each connected.
async fn native_pair(prefix: &str) -> (Server, i64, Vec<User>, Socket, Socket) {
    let server = native_server().await;
    let (g, users) = team(&server, prefix, 2).await;
    let path = group_path(g);
    let owner = connect_native(&server, &users[0], &path).await;
    let member = connect_native(&server, &users[1], &path).await;
    (server, g, users, owner, member)
}

/// Waits until the proxy's count of `path` has held still for [`IDLE`] (at most `within`);
/// returns it. Panics when the calls never stop.
async fn settled(proxy: &Proxy, path: &str, within: Duration) -> u64 {
    let started = Instant::now();
    let mut count = proxy.count(path);
    let mut still_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = proxy.count(path);
        if now != count {
            (count, still_since) = (now, Instant::now());
        } else if still_since.elapsed() >= IDLE {
            return count;
        }
        assert!(
            started.elapsed() < within,
            "{path} is still being called after {within:?}: {count} calls so far"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The fault test
// ---------------------------------------------------------------------------------------------

/// A client makes a message this often while sending …
const SEND_EVERY: Duration = Duration::from_millis(60);
/// … with at most this many unacknowledged at once.
const WINDOW: usize = 4;
/// A socket with a message unacknowledged this long is given up for the other relay.
const STALL: Duration = Duration::from_secs(2);
/// A handshake that takes longer is given up (a stopped relay accepts and never answers).
const HANDSHAKE: Duration = Duration::from_secs(2);
/// Between failed handshakes.
const RETRY: Duration = Duration::from_millis(200);

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Make new messages, and resend.
    Sending,
    /// Only resend what is unacknowledged.
    Draining,
    /// Close the socket and end.
    Done,
}

/// What one client of the fault test did, read by the test.
#[derive(Default)]
struct Ledger {
    /// Messages made so far: `c{i}-{n}` for every n below it.
    made: usize,
    /// The stored id of each acknowledged message, by client message id.
    acked: HashMap<String, i64>,
    /// Whether a socket is open, and the newest message id it heard (history or live).
    connected: bool,
    heard: i64,
    /// Sockets opened, and handshakes that failed or timed out.
    connections: usize,
    failed_handshakes: usize,
    /// Messages sent again on a new socket, and acknowledged messages heard again live (the
    /// answer to a resend of a message the new socket's history showed).
    resent: usize,
    acked_again: usize,
    /// Error frames, by code.
    errors: BTreeMap<u64, usize>,
    /// What must never happen on a socket: a frame out of order, a duplicate, a stored message
    /// acknowledged with two ids.
    violations: Vec<String>,
}

impl Ledger {
    fn pending(&self) -> usize {
        self.made - self.acked.len()
    }
}

type Shared = Arc<Mutex<Ledger>>;

fn lock(ledger: &Shared) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A handshake that fails (rather than panics) when refused or unanswered within [`HANDSHAKE`].
async fn try_connect(base: &str, who: &User, path: &str) -> Option<Socket> {
    let mut req = format!("{base}{path}")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("token", who.token.parse().expect("header value"));
    match tokio::time::timeout(HANDSHAKE, tokio_tungstenite::connect_async(req)).await {
        Ok(Ok((socket, _))) => Some(socket),
        _ => None,
    }
}

/// One member: sends texts `c{i}-{n} …` with client message ids `c{i}-{n}`, keeps every
/// unacknowledged one, and when its socket closes or stalls reconnects to the other relay and
/// resends them all. A message is acknowledged when it comes back with its id, live or in the
/// history of a new socket.
async fn fault_client(
    i: usize,
    who: User,
    path: String,
    bases: [String; 2],
    ledger: Shared,
    phase: watch::Receiver<Phase>,
) {
    // client message id → when it was last sent.
    let mut unacked: BTreeMap<String, Instant> = BTreeMap::new();
    let mut relay = i % 2;
    while *phase.borrow() != Phase::Done {
        let Some(socket) = try_connect(&bases[relay], &who, &path).await else {
            lock(&ledger).failed_handshakes += 1;
            relay = 1 - relay;
            tokio::time::sleep(RETRY).await;
            continue;
        };
        {
            let mut ledger = lock(&ledger);
            ledger.connections += 1;
            ledger.connected = true;
            ledger.heard = 0;
        }
        let (mut sink, mut stream) = socket.split();
        // Resent on this socket: their stored message may come back although the socket heard
        // it already.
        let resent: HashSet<String> = unacked.keys().cloned().collect();
        lock(&ledger).resent += resent.len();
        let mut open = true;
        for (cmid, at) in unacked.iter_mut() {
            let frame = text(&format!("{cmid} 故障中的消息"), cmid).to_string();
            open = open && sink.send(Message::Text(frame.into())).await.is_ok();
            *at = Instant::now();
        }
        let mut next_message = Instant::now();
        while open {
            let now = *phase.borrow();
            if now == Phase::Done {
                let _ = sink.close().await;
                break;
            }
            if now == Phase::Sending && unacked.len() < WINDOW && Instant::now() >= next_message {
                let cmid = {
                    let mut ledger = lock(&ledger);
                    ledger.made += 1;
                    format!("c{i}-{}", ledger.made - 1)
                };
                let frame = text(&format!("{cmid} 故障中的消息"), &cmid).to_string();
                unacked.insert(cmid, Instant::now());
                next_message = Instant::now() + SEND_EVERY;
                open = sink.send(Message::Text(frame.into())).await.is_ok();
            }
            if unacked.values().any(|at| at.elapsed() > STALL) {
                break;
            }
            match tokio::time::timeout(Duration::from_millis(20), stream.next()).await {
                Err(_) => {}
                Ok(Some(Ok(Message::Text(frame)))) => {
                    let frame: Value = serde_json::from_str(&frame).expect("a JSON frame");
                    heard(&who, &frame, &resent, &mut unacked, &mut lock(&ledger));
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                Ok(_) => open = false,
            }
        }
        lock(&ledger).connected = false;
        relay = 1 - relay;
    }
}

/// Takes one frame a fault client heard.
fn heard(
    me: &User,
    frame: &Value,
    resent: &HashSet<String>,
    unacked: &mut BTreeMap<String, Instant>,
    ledger: &mut Ledger,
) {
    if frame.get("msg").is_none() {
        let code = frame["code"].as_u64().expect("an error frame's code");
        *ledger.errors.entry(code).or_default() += 1;
        return;
    }
    let (id, history) = (id(frame), frame["history"] == true);
    let own = frame["user_id"] == me.id.as_str();
    let cmid = client_msg_id(frame);
    if own {
        let Some(cmid) = cmid else {
            ledger
                .violations
                .push(format!("own message without client_msg_id: {frame}"));
            return;
        };
        if unacked.remove(cmid).is_none() && !history {
            ledger.acked_again += 1;
        }
        let acked = *ledger.acked.entry(cmid.to_owned()).or_insert(id);
        if acked != id {
            ledger
                .violations
                .push(format!("{cmid} acknowledged as {acked} and as {id}"));
        }
    }
    if !history && id <= ledger.heard {
        // Only the sender's own resend may bring back a message its socket heard.
        let again = own && cmid.is_some_and(|c| resent.contains(c));
        if !again {
            ledger
                .violations
                .push(format!("{id} live after {}: {frame}", ledger.heard));
        }
    }
    ledger.heard = ledger.heard.max(id);
}

/// Polls `done` on the ledgers every 50 ms until it holds, or panics after `within` with
/// `what` and the ledgers' state.
async fn until(ledgers: &[Shared], within: Duration, what: &str, done: impl Fn(&Ledger) -> bool) {
    let started = Instant::now();
    while !ledgers.iter().all(|l| done(&lock(l))) {
        if started.elapsed() > within {
            let state: Vec<String> = ledgers.iter().map(|l| summary(&lock(l))).collect();
            panic!("{what} not within {within:?}:\n{}", state.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn summary(l: &Ledger) -> String {
    format!(
        "made {}, acked {}, connected {}, heard up to {}, {} sockets, {} failed handshakes, \
         {} resent, {} acknowledged again, errors {:?}, violations {:?}",
        l.made,
        l.acked.len(),
        l.connected,
        l.heard,
        l.connections,
        l.failed_handshakes,
        l.resent,
        l.acked_again,
        l.errors,
        l.violations
    )
}

/// Two relays, Redis and the server, six members (three on each relay) sending without pause
/// with clients that reconnect and resend. Once each, mid-stream: Redis killed and back after
/// 3 s; relay B killed and back after 2 s; relay A stopped for 5 s; the server killed and
/// started again on its data after 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_message_is_stored_once_and_heard_everywhere_through_faults() {
    let mut cluster = Cluster::behind_proxy(2).await;
    let (g, users) = team(&cluster.server, "faults", 6).await;
    let bases = [cluster.relays[0].ws_base(), cluster.relays[1].ws_base()];
    let (set_phase, phase) = watch::channel(Phase::Sending);
    let ledgers: Vec<Shared> = (0..users.len()).map(|_| Shared::default()).collect();
    let clients: Vec<_> = users
        .iter()
        .enumerate()
        .map(|(i, who)| {
            tokio::spawn(fault_client(
                i,
                User {
                    token: who.token.clone(),
                    id: who.id.clone(),
                },
                group_path(g),
                bases.clone(),
                ledgers[i].clone(),
                phase.clone(),
            ))
        })
        .collect();
    let started = Instant::now();
    let pause = |d: u64| tokio::time::sleep(Duration::from_millis(d));
    let log = |what: &str| eprintln!("fault test at {:?}: {what}", started.elapsed());

    pause(2000).await;
    log("Redis killed");
    cluster.redis.kill();
    pause(3000).await;
    cluster.redis.start_again().await;
    log("Redis back");
    pause(2000).await;
    log("relay B killed");
    cluster.relays[1].kill();
    pause(2000).await;
    cluster.relays[1].start_again().await;
    log("relay B back");
    pause(2000).await;
    log("relay A stopped");
    cluster.relays[0].stop();
    pause(5000).await;
    cluster.relays[0].resume();
    log("relay A resumed");
    pause(2000).await;
    log("server killed");
    cluster.server.kill();
    pause(1000).await;
    cluster.server.start_again().await;
    log("server back");
    pause(2000).await;

    set_phase.send_replace(Phase::Draining);
    log("draining");
    until(
        &ledgers,
        Duration::from_secs(30),
        "every message acknowledged",
        |l| l.pending() == 0,
    )
    .await;
    log("every message acknowledged");

    // Stored exactly once, the same for everyone.
    let server = &cluster.server;
    let reference = full_history(server, g, &users[0]).await;
    for who in &users[1..] {
        assert!(
            full_history(server, g, who).await == reference,
            "{}'s history differs from the owner's",
            who.id
        );
    }
    let mut stored: HashMap<(String, String), i64> = HashMap::new();
    for frame in &reference {
        let cmid = client_msg_id(frame).unwrap_or_else(|| panic!("no client_msg_id: {frame}"));
        let key = (
            frame["user_id"].as_str().expect("user_id").to_owned(),
            cmid.to_owned(),
        );
        if let Some(first) = stored.insert(key, id(frame)) {
            panic!("{cmid} stored twice: {first} and {}", id(frame));
        }
        assert_eq!(content(frame), format!("{cmid} 故障中的消息"), "{frame}");
    }
    let mut made = 0;
    for (who, ledger) in users.iter().zip(&ledgers) {
        let ledger = lock(ledger);
        made += ledger.made;
        for (cmid, acked) in &ledger.acked {
            let found = stored.get(&(who.id.clone(), cmid.clone()));
            assert_eq!(found, Some(acked), "{cmid} acknowledged as {acked}");
        }
        assert!(ledger.violations.is_empty(), "{}", summary(&ledger));
        // The server's own failure while it was away; nothing else.
        assert!(
            ledger.errors.keys().all(|code| *code == 100),
            "{}",
            summary(&ledger)
        );
    }
    assert_eq!(reference.len(), made, "messages stored and messages made");
    // The faults were felt: sockets were lost and messages sent again.
    let (sockets, resent) = ledgers.iter().fold((0, 0), |(sockets, resent), l| {
        let l = lock(l);
        (sockets + l.connections, resent + l.resent)
    });
    assert!(
        sockets > users.len() && resent > 0,
        "{sockets} sockets, {resent} resent"
    );
    assert!(strictly_increasing(&ids(&reference)));

    // Every open socket hears up to the newest message.
    let newest = id(reference.last().expect("messages"));
    until(
        &ledgers,
        Duration::from_secs(10),
        "every socket heard the newest message",
        |l| l.connected && l.heard >= newest,
    )
    .await;

    // An idle room costs no reads of storage.
    let proxy = cluster.proxy();
    let after = proxy.count(AFTER);
    tokio::time::sleep(2 * IDLE).await;
    assert_eq!(
        proxy.count(AFTER),
        after,
        "after calls while the room is idle"
    );

    set_phase.send_replace(Phase::Done);
    for client in clients {
        client.await.expect("a client");
    }
    for (i, ledger) in ledgers.iter().enumerate() {
        eprintln!("client {i}: {}", summary(&lock(ledger)));
    }
    eprintln!(
        "fault test: {made} messages, {} after calls, {:?} in all",
        after,
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Regressions (issue 14, items 1-3)
// ---------------------------------------------------------------------------------------------

/// Item 1: a message stored behind the relay's back, then the room's only member on the relay
/// sends and leaves at once. The gap fill read for a room nobody listens to any more ends after
/// a few reads, and it ends too when the member comes right back (a new state for the room).
#[tokio::test]
async fn a_gap_fill_ends_when_its_room_is_gone() {
    let cluster = Cluster::behind_proxy(1).await;
    let (server, relay, proxy) = (&cluster.server, &cluster.relays[0], cluster.proxy());
    for comes_back in [false, true] {
        let (g, users) = team(server, &format!("fill-{comes_back}"), 1).await;
        let (me, path) = (&users[0], group_path(g));
        let mut socket = connect(relay, me, &path).await;
        // Stored after the socket read its history: the next message names it as its
        // predecessor, a gap the relay fills from storage.
        let hidden = store_unpublished(server, g, &me.id, &plain("hidden")).await;
        let before = proxy.count(AFTER);
        say(&mut socket, "last words").await;
        socket.close(None).await.expect("close");
        drop(socket);
        if comes_back {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let mut again = connect(relay, me, &path).await;
            let greeting = take(&mut again, 2).await;
            assert_eq!(contents(&greeting), ["hidden", "last words"]);
            assert_eq!(id(&greeting[0]), id(&hidden));
            let back = say_acked(&mut again, "back", WAIT).await;
            assert!(id(&back) > id(&greeting[1]));
            let calls = settled(proxy, AFTER, Duration::from_secs(8)).await - before;
            assert!(calls <= 10, "{calls} after calls for one gap");
            eprintln!("comes back: {comes_back}: {calls} after calls");
            quiet(&mut again, QUIET, "the member back in the room").await;
        } else {
            let calls = settled(proxy, AFTER, Duration::from_secs(8)).await - before;
            assert!(calls <= 10, "{calls} after calls for one gap");
            eprintln!("comes back: {comes_back}: {calls} after calls");
        }
    }
}

/// Relay A behind a proxy, a group of two connected to it, and a message stored behind the
/// relay's back (returned): the next message names it as its predecessor, a gap the relay
/// fills from storage.
async fn a_hidden_message(prefix: &str) -> (Cluster, Vec<User>, Socket, Socket, Value) {
    let cluster = Cluster::behind_proxy(1).await;
    let (g, users) = team(&cluster.server, prefix, 2).await;
    let path = group_path(g);
    let owner = connect(&cluster.relays[0], &users[0], &path).await;
    let member = connect(&cluster.relays[0], &users[1], &path).await;
    let hidden = store_unpublished(&cluster.server, g, &users[0].id, &plain("hidden")).await;
    (cluster, users, owner, member, hidden)
}

/// Item 1: a gap storage answers without (the missing message is gone) is read five times with
/// growing waits (about 3 s in all), then given up: the message behind it is delivered, and
/// storage is not read again.
#[tokio::test]
async fn a_gap_storage_cannot_fill_is_given_up_after_five_reads() {
    let (cluster, _, mut owner, mut member, _) = a_hidden_message("give-up").await;
    let proxy = cluster.proxy();
    let nothing = json!({ "code": 0, "msg": "success", "messages": [] });
    proxy.answer(AFTER, usize::MAX, 200, nothing);
    let before = proxy.count(AFTER);

    let sent = Instant::now();
    say(&mut owner, "behind the gap").await;
    for (who, socket) in [("owner", &mut owner), ("member", &mut member)] {
        let heard = next_live(socket, WAIT).await;
        assert_eq!(content(&heard), "behind the gap", "{who}");
    }
    let waited = sent.elapsed();
    assert!(
        (Duration::from_secs(2)..Duration::from_secs(8)).contains(&waited),
        "the gap was given up after {waited:?}"
    );
    let reads = settled(proxy, AFTER, Duration::from_secs(8)).await - before;
    assert_eq!(reads, 5, "reads for a gap that cannot be filled");

    // The room goes on, with no more reads.
    proxy.pass(AFTER);
    let next = say_acked(&mut owner, "gap given up", WAIT).await;
    assert_eq!(next_live(&mut member, WAIT).await, next);
    let idle = settled(proxy, AFTER, Duration::from_secs(8)).await - before;
    assert_eq!(idle, 5);
    eprintln!("a gap given up after {waited:?} and {reads} reads");
}

/// Item 1: a gap fill outlasts a server restart: reads that fail (the server away for 4 s,
/// longer than five reads take) do not give the gap up, and once the server is back the
/// members hear the missing message, then the one behind it.
#[tokio::test]
async fn a_gap_fill_outlasts_a_server_restart() {
    let (mut cluster, _, mut owner, mut member, hidden) = a_hidden_message("restart").await;
    // The fill's reads are held off until the server is down.
    cluster.proxy().fail(AFTER, usize::MAX);
    say(&mut owner, "behind the gap").await;
    let started = Instant::now();
    while cluster.proxy().count(AFTER) == 0 {
        assert!(started.elapsed() < WAIT, "no gap fill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cluster.server.kill();
    cluster.proxy().pass(AFTER);
    tokio::time::sleep(Duration::from_secs(4)).await;
    cluster.server.start_again().await;

    for (who, socket) in [("owner", &mut owner), ("member", &mut member)] {
        let first = next_live(socket, Duration::from_secs(15)).await;
        let second = next_live(socket, WAIT).await;
        assert_eq!(
            (id(&first), content(&second)),
            (id(&hidden), "behind the gap"),
            "{who}"
        );
        quiet(socket, QUIET, who).await;
    }
    eprintln!(
        "the gap was filled {:?} after the fill began",
        started.elapsed()
    );
}

/// Item 2: the server fails to read the history while the room's first member on relay A
/// connects. The handshake is refused like other refusals (500, code 100, no socket); the next
/// one works and hears everything live, others' messages and its own.
#[tokio::test]
async fn a_handshake_whose_history_fails_is_refused_and_the_next_hears_everything() {
    let cluster = Cluster::behind_proxy(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "greeting", 2).await;
    let (first, other, path) = (&users[0], &users[1], group_path(g));
    let mut s_other = connect(b, other, &path).await;

    cluster.proxy().fail(HISTORY, 1);
    ws::refused(
        &a.ws_base(),
        Some(&first.token),
        None,
        &path,
        100,
        500,
        WAIT,
    )
    .await;
    let meanwhile = say_acked(&mut s_other, "你不在的时候", WAIT).await;

    let mut s_first = connect(a, first, &path).await;
    let greeting = next_json(&mut s_first, WAIT).await;
    assert_eq!(
        (id(&greeting), &greeting["history"]),
        (id(&meanwhile), &json!(true))
    );
    let hello = say_acked(&mut s_other, "欢迎", WAIT).await;
    assert_eq!(next_live(&mut s_first, WAIT).await, hello);
    let mine = say_acked(&mut s_first, "我来了", WAIT).await;
    assert_eq!(next_live(&mut s_other, WAIT).await, mine);
    quiet(&mut s_first, QUIET, "the member on relay A").await;
    quiet(&mut s_other, QUIET, "the member on relay B").await;
}

/// Item 3: 260 messages stored while Redis is away (never published). Once Redis is back, each
/// relay pages through storage (200 a page) and its members hear all 260 live, without waiting
/// for another message.
#[tokio::test]
async fn after_redis_returns_each_relay_delivers_everything_stored_meanwhile() {
    const STORED: usize = 260;
    let mut cluster = Cluster::start(2).await;
    let (g, users) = team(&cluster.server, "recheck", 2).await;
    let path = group_path(g);
    let mut on_a = connect(&cluster.relays[0], &users[0], &path).await;
    let mut on_b = connect(&cluster.relays[1], &users[1], &path).await;
    let before = say_acked(&mut on_a, "之前", WAIT).await;
    assert_eq!(next_live(&mut on_b, WAIT).await, before);

    cluster.redis.kill();
    let texts: Vec<String> = (0..STORED).map(|n| format!("离线 {n}")).collect();
    for content in &texts {
        store_unpublished(&cluster.server, g, &users[1].id, &plain(content)).await;
    }
    cluster.redis.start_again().await;
    let back = Instant::now();
    for (relay, socket) in [("relay A", &mut on_a), ("relay B", &mut on_b)] {
        let mut heard = Vec::with_capacity(STORED);
        while heard.len() < STORED {
            let wait = Duration::from_secs(5).saturating_sub(back.elapsed());
            let frame = tokio::time::timeout(wait, next_live(socket, WAIT))
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "{relay}: {} of {STORED} messages within 5 s of Redis' return",
                        heard.len()
                    )
                });
            heard.push(frame);
        }
        assert_eq!(contents(&heard), texts, "{relay}");
        assert!(strictly_increasing(&ids(&heard)), "{relay}");
        assert!(id(&heard[0]) > id(&before), "{relay}");
        quiet(socket, QUIET, relay).await;
        eprintln!("{relay}: all {STORED} within {:?}", back.elapsed());
    }
}

// ---------------------------------------------------------------------------------------------
// client_msg_id (issue 14, item 4)
// ---------------------------------------------------------------------------------------------

/// A repeat (same sender, room and id) stores nothing; its sender gets the stored message back
/// live as the acknowledgement, whatever the repeat's content; the others hear nothing more.
/// Texts and file messages alike.
#[tokio::test]
async fn a_repeated_client_msg_id_stores_nothing_and_acknowledges_the_stored_message() {
    let (server, g, users, mut owner, mut member) = native_pair("once").await;

    let first = sent(&mut owner, &text("只发一次", "m-1")).await;
    assert_eq!(content(&first), "只发一次");
    assert_eq!(next_live(&mut member, WAIT).await, first);
    for repeat in [text("只发一次", "m-1"), text("内容不同也是重发", "m-1")] {
        send(&mut owner, repeat).await;
        assert_eq!(
            next_live(&mut owner, WAIT).await,
            first,
            "the stored message"
        );
        quiet(&mut member, QUIET, "the other member after a repeat").await;
    }

    // A file message is a send like a text.
    let room = g.to_string();
    let fields = [("type", "group"), ("room_id", room.as_str())];
    let png = common::png(4, 4, 255);
    let (status, upload) = server
        .upload("/chat/files/upload", users[0].t(), "file", png, &fields)
        .await;
    assert_eq!((status, &upload["code"]), (200, &json!(0)), "{upload}");
    let image =
        json!({ "msg_type": "image", "file_id": upload["file_id"], "client_msg_id": "m-2" });
    let picture = sent(&mut owner, &image).await;
    assert_eq!(next_live(&mut member, WAIT).await, picture);
    send(&mut owner, image).await;
    assert_eq!(next_live(&mut owner, WAIT).await, picture);
    quiet(
        &mut member,
        QUIET,
        "the other member after a repeated picture",
    )
    .await;

    assert_eq!(
        ids(&full_history(&server, g, &users[1]).await),
        [id(&first), id(&picture)]
    );
}

/// A repeat from a new socket (the client reconnected without knowing whether its message was
/// stored): the stored message comes back live.
#[tokio::test]
async fn a_repeat_after_reconnecting_gets_the_stored_message() {
    let (server, g, users, mut owner, mut member) = native_pair("reconnect").await;
    let path = group_path(g);
    let first = sent(&mut owner, &text("断线前", "r-1")).await;
    assert_eq!(next_live(&mut member, WAIT).await, first);
    drop(owner);

    let mut owner = connect_native(&server, &users[0], &path).await;
    let greeting = next_json(&mut owner, WAIT).await;
    assert_eq!(
        (id(&greeting), client_msg_id(&greeting)),
        (id(&first), Some("r-1"))
    );
    send(&mut owner, text("断线前", "r-1")).await;
    assert_eq!(next_live(&mut owner, WAIT).await, first);
    quiet(&mut member, QUIET, "the other member").await;
    assert_eq!(full_history(&server, g, &users[0]).await.len(), 1);
}

/// Moves message `id` back in time by `seconds`, as if it had been stored that much earlier.
fn age(server: &Server, id: i64, seconds: i64) {
    let db = server.sqlite();
    db.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    let changed = db
        .execute(
            "UPDATE chat_messages SET created_at = created_at - ?1 WHERE id = ?2",
            (seconds, id),
        )
        .expect("update");
    assert_eq!(changed, 1);
}

/// An id names its message for a day: a repeat a minute short of a day is still a repeat; past
/// the day it is a new message, which the id names from then on.
#[tokio::test]
async fn past_a_day_the_same_client_msg_id_is_a_new_message() {
    const DAY: i64 = 24 * 60 * 60;
    let (server, _, _, mut owner, mut member) = native_pair("day").await;
    let recent = sent(&mut owner, &text("快一天了", "day-1")).await;
    assert_eq!(next_live(&mut member, WAIT).await, recent);
    age(&server, id(&recent), DAY - 60);
    send(&mut owner, text("快一天了", "day-1")).await;
    assert_eq!(id(&next_live(&mut owner, WAIT).await), id(&recent));
    quiet(
        &mut member,
        QUIET,
        "the other member a minute short of a day",
    )
    .await;

    age(&server, id(&recent), 61);
    let new = sent(&mut owner, &text("过了一天", "day-1")).await;
    assert!(id(&new) > id(&recent), "{new}");
    assert_eq!(content(&new), "过了一天");
    assert_eq!(next_live(&mut member, WAIT).await, new);
    send(&mut owner, text("过了一天", "day-1")).await;
    assert_eq!(next_live(&mut owner, WAIT).await, new);
    quiet(
        &mut member,
        QUIET,
        "the other member after the new message's repeat",
    )
    .await;
}

/// Message frames carry `client_msg_id` when the sender gave one — live, in the greeting and in
/// history pages — and no such field otherwise.
#[tokio::test]
async fn message_frames_carry_the_client_msg_id_they_were_sent_with() {
    let server = native_server().await;
    let (g, users) = team(&server, "carry", 1).await;
    let path = group_path(g);
    let mut socket = connect_native(&server, &users[0], &path).await;
    let with = sent(&mut socket, &text("有", "carry-1")).await;
    let without = say_acked(&mut socket, "无", WAIT).await;
    assert_eq!(with["msg"]["client_msg_id"], "carry-1");
    assert!(without["msg"].get("client_msg_id").is_none(), "{without}");

    let mut again = connect_native(&server, &users[0], &path).await;
    let greeting = take(&mut again, 2).await;
    assert_eq!(greeting[0]["msg"]["client_msg_id"], "carry-1");
    assert!(greeting[1]["msg"].get("client_msg_id").is_none());
    ask_history(&mut again, id(&without)).await;
    let page = next_json(&mut again, WAIT).await;
    assert_eq!((id(&page), &page["history"]), (id(&with), &json!(true)));
    assert_eq!(page["msg"]["client_msg_id"], "carry-1");
}

/// `client_msg_id` is a string of 1 to 64 visible ASCII characters (0x21-0x7E), in send frames
/// only; anything else is 409 and stores nothing.
#[tokio::test]
async fn each_invalid_client_msg_id_is_409_and_stores_nothing() {
    let server = native_server().await;
    let (g, users) = team(&server, "invalid", 1).await;
    let mut socket = connect_native(&server, &users[0], &group_path(g)).await;
    let refused: [(&str, Value); 14] = [
        ("a number", json!(7)),
        ("null", Value::Null),
        ("a boolean", json!(true)),
        ("an array", json!(["a"])),
        ("an object", json!({ "id": "a" })),
        ("empty", json!("")),
        ("65 characters", json!("x".repeat(65))),
        ("a space", json!("a b")),
        ("a tab", json!("a\tb")),
        ("a newline", json!("a\n")),
        ("DEL", json!("a\u{7f}")),
        ("Chinese", json!("编号")),
        ("Latin-1", json!("café")),
        ("a NUL", json!("a\u{0}")),
    ];
    for (what, value) in refused {
        send(
            &mut socket,
            json!({ "msg_type": "text", "content": "x", "client_msg_id": value }),
        )
        .await;
        let frame = next_json(&mut socket, WAIT).await;
        assert_eq!(frame["code"], 409, "{what}: {frame}");
    }
    // Not in a history request.
    send(
        &mut socket,
        json!({ "msg_type": "history", "msg_id": 1, "client_msg_id": "h-1" }),
    )
    .await;
    assert_eq!(next_json(&mut socket, WAIT).await["code"], 409);
    quiet(&mut socket, QUIET, "after the refusals").await;
    assert!(full_history(&server, g, &users[0]).await.is_empty());

    // The edges that are allowed.
    let allowed = ["!", "~", &"z".repeat(64), "A-z_0.9:/@#{}"];
    for cmid in allowed {
        sent(&mut socket, &text("可以", cmid)).await;
    }
    let stored = full_history(&server, g, &users[0]).await;
    let stored_ids: Vec<_> = stored.iter().filter_map(client_msg_id).collect();
    assert_eq!(stored_ids, allowed);
}

/// The id is the sender's, in one room: another member's message, or the same member's in
/// another group or a private room, with the same id is a new message.
#[tokio::test]
async fn the_same_client_msg_id_from_another_user_or_room_is_a_new_message() {
    let (server, g, users, mut owner, mut member) = native_pair("same").await;
    let other_group = create_group(&server, &users[0], "same 另一个组").await;
    let mut elsewhere = connect_native(&server, &users[0], &group_path(other_group)).await;

    let mine = sent(&mut owner, &text("我的", "same")).await;
    assert_eq!(next_live(&mut member, WAIT).await, mine);
    let theirs = sent(&mut member, &text("他的", "same")).await;
    assert_eq!(next_live(&mut owner, WAIT).await, theirs);
    let there = sent(&mut elsewhere, &text("另一个房间", "same")).await;
    let private = format!("/chat/private?user_id={}", users[1].id);
    let mut private = connect_native(&server, &users[0], &private).await;
    let whispered = sent(&mut private, &text("私聊", "same")).await;
    assert_eq!(content(&whispered), "私聊");
    assert_ne!(id(&mine), id(&theirs));
    assert_eq!(
        (content(&theirs), theirs["user_id"].as_str()),
        ("他的", Some(users[1].id.as_str()))
    );
    assert_eq!(
        (content(&there), &there["room_id"]),
        ("另一个房间", &json!(other_group))
    );
    assert_eq!(full_history(&server, g, &users[0]).await.len(), 2);
    assert_eq!(full_history(&server, other_group, &users[0]).await.len(), 1);
}

/// A message stored and never published (its relay, or the server, died between the two): the
/// sender's resend publishes the stored message, and everyone hears it once.
#[tokio::test]
async fn a_message_stored_but_never_delivered_comes_with_its_resend() {
    let (server, g, users, mut owner, mut member) = native_pair("lost").await;
    let frame = text("存了没发", "lost-1");
    let stored = store_unpublished(&server, g, &users[0].id, &frame).await;
    quiet(&mut member, QUIET, "before the resend").await;

    send(&mut owner, frame).await;
    for (who, socket) in [("owner", &mut owner), ("member", &mut member)] {
        let heard = next_live(socket, WAIT).await;
        assert_eq!(
            (id(&heard), client_msg_id(&heard)),
            (id(&stored), Some("lost-1"))
        );
        quiet(socket, QUIET, who).await;
    }
    assert_eq!(full_history(&server, g, &users[1]).await.len(), 1);
}

/// The relays' route follows the same rules: `/chat/internal/post` with a repeat answers the
/// stored message, and an invalid id is 409 there too; either way nothing more is stored.
#[tokio::test]
async fn the_relay_route_answers_a_repeat_with_the_stored_message() {
    let server = native_server().await;
    let (g, users) = team(&server, "route", 1).await;
    let me = &users[0].id;
    let first = store_unpublished(&server, g, me, &text("经由接口", "route-1")).await;
    assert_eq!(client_msg_id(&first), Some("route-1"));
    let again = store_unpublished(&server, g, me, &text("重发", "route-1")).await;
    assert_eq!(again, first);

    let body = json!({
        "room": format!("group:{g}"),
        "user_id": me,
        "frame": text("x", "a b").to_string(),
    });
    let url = server.url("/chat/internal/post");
    let (_, answer) = post_with_secret(&url, Some(RELAY_SECRET), body).await;
    let answer: Value = serde_json::from_str(&answer).expect("JSON");
    assert_eq!(answer["code"], 409, "{answer}");
    assert_eq!(
        ids(&full_history(&server, g, &users[0]).await),
        [id(&first)]
    );
}

/// Through the relays: a client acknowledged on relay A resends on relay B and gets the stored
/// message back; a message stored behind the relays' backs is delivered by its resend, on both
/// relays, once.
#[tokio::test]
async fn through_the_relays_a_resend_returns_or_delivers_the_stored_message() {
    let cluster = Cluster::start(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "relayed", 2).await;
    let path = group_path(g);
    let mut owner = connect(a, &users[0], &path).await;
    let mut member = connect(b, &users[1], &path).await;

    let first = sent(&mut owner, &text("经过中继", "relay-1")).await;
    assert_eq!(next_live(&mut member, WAIT).await, first);
    drop(owner);
    let mut owner = connect(b, &users[0], &path).await;
    assert_eq!(id(&next_json(&mut owner, WAIT).await), id(&first));
    send(&mut owner, text("经过中继", "relay-1")).await;
    assert_eq!(next_live(&mut owner, WAIT).await, first);
    quiet(&mut member, QUIET, "the member after a resend on relay B").await;

    let mut owner_a = connect(a, &users[0], &path).await;
    assert_eq!(id(&next_json(&mut owner_a, WAIT).await), id(&first));
    let lost = text("中继没发出去", "relay-2");
    let stored = store_unpublished(server, g, &users[0].id, &lost).await;
    send(&mut owner_a, lost).await;
    for (who, socket) in [
        ("the sender on A", &mut owner_a),
        ("the sender's other socket on B", &mut owner),
        ("the member on B", &mut member),
    ] {
        let heard = next_live(socket, WAIT).await;
        assert_eq!(
            (id(&heard), client_msg_id(&heard)),
            (id(&stored), Some("relay-2")),
            "{who}"
        );
        quiet(socket, QUIET, who).await;
    }
    assert_eq!(full_history(server, g, &users[1]).await.len(), 2);
}

/// The same id sent at once through both relays (a client that failed over while its first
/// relay resumes): one message is stored, and both sockets hear it, always with that one id
/// (live, and maybe again as the answer to their own send).
#[tokio::test]
async fn the_same_id_at_once_through_both_relays_is_stored_once() {
    const SENDS: usize = 20;
    let cluster = Cluster::start(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "race", 1).await;
    let path = group_path(g);
    let mut on_a = connect(a, &users[0], &path).await;
    let mut on_b = connect(b, &users[0], &path).await;
    for n in 0..SENDS {
        let frame = text(&format!("同时 {n}"), &format!("race-{n}"));
        tokio::join!(send(&mut on_a, frame.clone()), send(&mut on_b, frame));
    }

    // What each socket hears: client message id → the ids it came with.
    let mut heard: [HashMap<String, HashSet<i64>>; 2] = Default::default();
    for (socket, heard) in [&mut on_a, &mut on_b].into_iter().zip(&mut heard) {
        while let Ok(frame) = tokio::time::timeout(QUIET, next_live(socket, WAIT)).await {
            let cmid = client_msg_id(&frame).expect("client_msg_id").to_owned();
            heard.entry(cmid).or_default().insert(id(&frame));
        }
    }
    let history = full_history(server, g, &users[0]).await;
    assert_eq!(history.len(), SENDS, "stored once each");
    let stored: HashMap<String, HashSet<i64>> = history
        .iter()
        .map(|frame| {
            let cmid = client_msg_id(frame).expect("client_msg_id").to_owned();
            (cmid, HashSet::from([id(frame)]))
        })
        .collect();
    assert_eq!(stored.len(), SENDS, "{stored:?}");
    assert_eq!(heard[0], stored, "relay A");
    assert_eq!(heard[1], stored, "relay B");
}
