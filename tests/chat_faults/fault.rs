//! The fault test.

use crate::support::*;

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
