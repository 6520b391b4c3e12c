//! The chat behind several `zudui-relay` instances sharing rooms through Redis, in front of the
//! native server (which serves the relays' internal routes and forwards its own live events, such
//! as a shared file or a removed member, to relay A): every member hears every message once and
//! in one order whichever relay holds their socket, shared files and removals cross relays,
//! handshakes are refused as the server refuses them, and gaps are filled from storage.
//!
//! Needs `redis-server` on the PATH (CI installs it); without it these tests fail.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::cluster::{post_with_secret, store_unpublished, Cluster, Relay, RELAY_SECRET};
use common::ws::{
    self, ask_history, content, contents, group_path, id, ids, next_json, next_live,
    next_or_closed, quiet, say, say_acked, send_raw, strictly_increasing, Socket,
};
use common::{remove_member, share_group_file, team, user, User};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::Barrier;

/// How long a frame that should come may take.
const WAIT: Duration = Duration::from_secs(10);
/// How long we listen to be sure that nothing (more) comes.
const QUIET: Duration = Duration::from_millis(500);

// ---------------------------------------------------------------------------------------------
// WebSocket clients
// ---------------------------------------------------------------------------------------------

/// Connects `who` to `relay`; the handshake must succeed.
async fn connect(relay: &Relay, who: &User, path_and_query: &str) -> Socket {
    ws::connect(&relay.ws_base(), who, path_and_query, WAIT).await
}

/// A handshake on `relay` with `token` (if any) in the `token` header, which must be refused
/// with HTTP `status` and the JSON error `code`.
async fn refused(relay: &Relay, token: Option<&str>, path_and_query: &str, code: u64, status: u16) {
    ws::refused(
        &relay.ws_base(),
        token,
        None,
        path_and_query,
        code,
        status,
        WAIT,
    )
    .await;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

const CLIENTS: usize = 4;
const PER_CLIENT: usize = 25;

/// One client of the burst: waits for the others, sends its texts without waiting for their
/// acknowledgements while reading, and returns every live message it heard, in arrival order.
async fn burst_client(i: usize, socket: Socket, start: Arc<Barrier>) -> (Vec<Value>, Socket) {
    let total = CLIENTS * PER_CLIENT;
    let (mut sink, mut stream) = socket.split();
    let sending = async {
        start.wait().await;
        for n in 0..PER_CLIENT {
            say(&mut sink, &format!("c{i}-{n}")).await;
        }
    };
    let receiving = async {
        let mut heard = Vec::with_capacity(total);
        while heard.len() < total {
            let frame = next_or_closed(&mut stream, WAIT).await.unwrap_or_else(|| {
                panic!(
                    "client {i}: socket closed after {} of {total} messages",
                    heard.len()
                )
            });
            assert!(
                frame.get("msg").is_some(),
                "client {i}: expected a chat message, got {frame}"
            );
            assert_eq!(frame["history"], false, "client {i}: {frame}");
            heard.push(frame);
        }
        heard
    };
    let ((), heard) = tokio::join!(sending, receiving);
    (heard, sink.reunite(stream).expect("halves of one socket"))
}

#[tokio::test]
async fn two_relays_on_one_redis_deliver_every_message_to_both_in_one_order() {
    let cluster = Cluster::start(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "burst", CLIENTS).await;
    let path = group_path(g);
    // Alternately on A and B: owner and m2 on A, m1 and m3 on B.
    let relay_of = |i: usize| &cluster.relays[i % 2];
    let mut sockets = Vec::new();
    for (i, who) in users.iter().enumerate() {
        sockets.push(connect(relay_of(i), who, &path).await);
    }
    // Everyone is connected before anything is sent: nobody has history yet.
    for (i, socket) in sockets.iter_mut().enumerate() {
        quiet(socket, QUIET, &format!("client {i} before the burst")).await;
    }

    let start = Arc::new(Barrier::new(CLIENTS));
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, socket)| tokio::spawn(burst_client(i, socket, start.clone())))
        .collect();
    let mut heard = Vec::new();
    let mut sockets = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let (frames, socket) = task
            .await
            .unwrap_or_else(|e| panic!("client {i} failed: {e}"));
        heard.push(frames);
        sockets.push(socket);
    }
    // Nothing more (no duplicate) comes after the 100 messages.
    for (i, socket) in sockets.iter_mut().enumerate() {
        quiet(socket, QUIET, &format!("client {i} after the burst")).await;
    }

    let total = CLIENTS * PER_CLIENT;
    let sent: BTreeSet<String> = (0..CLIENTS)
        .flat_map(|i| (0..PER_CLIENT).map(move |n| format!("c{i}-{n}")))
        .collect();
    let reference = ids(&heard[0]);
    for (i, frames) in heard.iter().enumerate() {
        let got = ids(frames);
        assert!(
            strictly_increasing(&got),
            "client {i} (on {}): ids not strictly increasing: {got:?}",
            relay_of(i).base
        );
        assert_eq!(
            got,
            reference,
            "client {i} (on {}) heard another order than client 0 (on {})",
            relay_of(i).base,
            a.base
        );
        let heard_contents: BTreeSet<String> =
            contents(frames).into_iter().map(str::to_owned).collect();
        assert_eq!(
            heard_contents.len(),
            total,
            "client {i}: duplicate contents"
        );
        assert_eq!(
            heard_contents, sent,
            "client {i}: not every sent text was heard"
        );
        for frame in frames {
            assert_eq!(frame["room_id"], g, "client {i}: {frame}");
            assert_eq!(frame["msg"]["msg_type"], "text", "client {i}: {frame}");
            // "c{sender}-{n}": the author is the sender.
            let sender: usize = content(frame)[1..2].parse().expect("sender index");
            assert_eq!(
                frame["user_id"],
                users[sender].id.as_str(),
                "client {i}: {frame}"
            );
        }
        // Each sender's texts are stored in the order it sent them.
        let mut next_of: HashMap<&str, usize> = HashMap::new();
        for text in contents(frames) {
            let (sender, n) = text.split_once('-').expect("c{i}-{n}");
            let n: usize = n.parse().expect("n");
            let expected = next_of.entry(sender).or_default();
            assert_eq!(n, *expected, "client {i}: {text} out of its sender's order");
            *expected += 1;
        }
    }
    // Every client saw the same frames, rendered once by the server.
    for (i, frames) in heard.iter().enumerate().skip(1) {
        assert_eq!(
            frames, &heard[0],
            "client {i}'s frames differ from client 0's"
        );
    }

    // The owner reconnects to the other relay and pages back through the whole burst.
    let owner_socket = sockets.remove(0);
    drop(owner_socket);
    let mut again = connect(b, &users[0], &path).await;
    let mut history = Vec::with_capacity(total);
    for _ in 0..20 {
        history.push(next_json(&mut again, WAIT).await);
    }
    while history.len() < total {
        ask_history(&mut again, id(&history[0])).await;
        let page_len = (total - history.len()).min(20);
        let mut page = Vec::with_capacity(page_len);
        for _ in 0..page_len {
            page.push(next_json(&mut again, WAIT).await);
        }
        page.append(&mut history);
        history = page;
    }
    // Before the first message there is nothing more.
    ask_history(&mut again, id(&history[0])).await;
    quiet(
        &mut again,
        QUIET,
        "owner after paging back to the first message",
    )
    .await;
    for frame in &history {
        assert_eq!(frame["history"], true, "a history page: {frame}");
    }
    assert_eq!(
        ids(&history),
        reference,
        "history after reconnecting to relay B differs from the live order"
    );
    assert_eq!(contents(&history), contents(&heard[0]));
}

#[tokio::test]
async fn a_share_through_the_server_reaches_members_on_both_relays() {
    let cluster = Cluster::start(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "share", 3).await;
    let (owner, on_a, on_b) = (&users[0], &users[1], &users[2]);
    let path = group_path(g);
    let mut socket_a = connect(a, on_a, &path).await;
    let mut socket_b = connect(b, on_b, &path).await;

    let file = server
        .upload_file_into(owner, g, None, "scale.png", common::png(4, 4, 255))
        .await;
    share_group_file(server, owner, g, file).await;

    let heard_a = next_live(&mut socket_a, WAIT).await;
    let heard_b = next_live(&mut socket_b, WAIT).await;
    for (relay, frame) in [("relay A", &heard_a), ("relay B", &heard_b)] {
        assert_eq!(frame["room_id"], g, "{relay}: {frame}");
        assert_eq!(frame["user_id"], owner.id.as_str(), "{relay}: {frame}");
        assert_eq!(frame["msg"]["msg_type"], "image", "{relay}: {frame}");
        assert_eq!(frame["msg"]["file_id"], file, "{relay}: {frame}");
    }
    assert_eq!(heard_a, heard_b, "both relays deliver the same frame");
    quiet(&mut socket_a, QUIET, "member on A after the share").await;
    quiet(&mut socket_b, QUIET, "member on B after the share").await;

    // Messages after the share follow it in one order on both relays.
    let text = say_acked(&mut socket_a, "看到文件了", WAIT).await;
    assert!(id(&text) > id(&heard_a), "{text} after {heard_a}");
    assert_eq!(next_live(&mut socket_b, WAIT).await, text);
}

#[tokio::test]
async fn a_removed_member_is_disconnected_on_the_other_relay() {
    let cluster = Cluster::start(2).await;
    let (server, a, b) = (&cluster.server, &cluster.relays[0], &cluster.relays[1]);
    let (g, users) = team(server, "kick", 3).await;
    let (owner, stays, kicked) = (&users[0], &users[1], &users[2]);
    let path = group_path(g);
    let mut s_owner = connect(a, owner, &path).await;
    let mut s_stays = connect(b, stays, &path).await;
    let mut s_kicked = connect(b, kicked, &path).await;
    let before = say_acked(&mut s_owner, "踢人之前", WAIT).await;
    assert_eq!(next_live(&mut s_stays, WAIT).await, before);
    assert_eq!(next_live(&mut s_kicked, WAIT).await, before);

    remove_member(server, owner, g, kicked).await;
    // Sent as soon as the removal is answered.
    let secret = say_acked(&mut s_owner, "踢人之后的秘密", WAIT).await;
    assert_eq!(next_live(&mut s_stays, WAIT).await, secret);

    // The removed member's socket on B ends, without hearing anything after the removal.
    let started = Instant::now();
    let mut leaked = Vec::new();
    while let Some(frame) = next_or_closed(&mut s_kicked, WAIT).await {
        leaked.push(frame);
    }
    assert!(
        leaked.is_empty(),
        "the removed member heard, before their socket closed: {leaked:?}"
    );
    eprintln!(
        "the removed member's socket closed {:?} after the secret was acknowledged",
        started.elapsed()
    );
    // Reconnecting is refused on either relay.
    refused(b, Some(&kicked.token), &path, 403, 403).await;
    refused(a, Some(&kicked.token), &path, 403, 403).await;
    quiet(&mut s_stays, QUIET, "the member who stays").await;
}

#[tokio::test]
async fn relay_refuses_like_the_server() {
    let cluster = Cluster::start(1).await;
    let (server, relay) = (&cluster.server, &cluster.relays[0]);
    let (g, users) = team(server, "refuse", 2).await;
    let outsider = user(server, "refuse-outsider").await;
    let path = group_path(g);

    refused(relay, None, &path, 113, 401).await;
    refused(relay, Some("not-a-token"), &path, 112, 401).await;
    refused(relay, Some(&outsider.token), &path, 403, 403).await;
    refused(
        relay,
        Some(&users[0].token),
        "/chat/group?group_id=987654",
        402,
        404,
    )
    .await;
    // The members themselves are let in.
    let mut member = connect(relay, &users[1], &path).await;
    quiet(&mut member, QUIET, "a member of an empty group").await;

    // The relay's publishing route is hidden without its secret.
    let publish = relay.url("/internal/publish");
    let left = json!({ "event": "left", "group_id": g, "user_id": users[1].id });
    for secret in [None, Some("wrong"), Some(&RELAY_SECRET[1..])] {
        let (status, body) = post_with_secret(&publish, secret, left.clone()).await;
        assert_eq!(status, 404, "publish with secret {secret:?}: {body}");
    }
    // Nothing was delivered: the member is still connected and hears the room.
    quiet(&mut member, QUIET, "the member after refused publishes").await;
    let mut owner = connect(relay, &users[0], &path).await;
    let hello = say_acked(&mut owner, "还在吗", WAIT).await;
    assert_eq!(next_live(&mut member, WAIT).await, hello);
    // With the secret the route exists (and checks its body).
    let (status, body) = post_with_secret(&publish, Some(RELAY_SECRET), json!({})).await;
    assert_eq!(
        status, 400,
        "publish with the secret and a bad body: {body}"
    );
}

/// The relay takes a chat token for every frame before reading it (its own buckets, by
/// `ZUDUI_RATE_LIMITS`): once the bucket is empty, even a frame that is not JSON is 105, and the
/// socket stays open.
#[tokio::test]
async fn a_relay_counts_frames_before_reading_them() {
    let cluster = Cluster::limited(1, "chat=2/60").await;
    let (server, relay) = (&cluster.server, &cluster.relays[0]);
    let (g, users) = team(server, "limited", 1).await;
    let mut socket = connect(relay, &users[0], &group_path(g)).await;
    say_acked(&mut socket, "一", WAIT).await;
    send_raw(&mut socket, "not json").await;
    assert_eq!(next_json(&mut socket, WAIT).await["code"], 409);
    send_raw(&mut socket, "not json").await;
    let frame = next_json(&mut socket, WAIT).await;
    assert_eq!(frame["code"], 105, "{frame}");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    say_acked(&mut socket, "二", WAIT).await;
}

#[tokio::test]
async fn a_relay_fills_gaps_from_storage() {
    let cluster = Cluster::start(1).await;
    let (server, relay) = (&cluster.server, &cluster.relays[0]);
    let (g, users) = team(server, "gap", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let path = group_path(g);
    let mut s_owner = connect(relay, owner, &path).await;
    let mut s_member = connect(relay, member, &path).await;

    // Stored behind the relay's back: nothing is published.
    let text = json!({ "msg_type": "text", "content": "quiet" });
    let quiet_id = id(&store_unpublished(server, g, &owner.id, &text).await);
    quiet(&mut s_member, QUIET, "the member before the gap shows").await;

    // The next message names "quiet" as its predecessor: the relay reads it from storage.
    say(&mut s_owner, "loud").await;
    for (who, socket) in [("member", &mut s_member), ("owner", &mut s_owner)] {
        let first = next_live(socket, WAIT).await;
        let second = next_live(socket, WAIT).await;
        assert_eq!(
            (content(&first), content(&second)),
            ("quiet", "loud"),
            "{who}: {first} then {second}"
        );
        assert_eq!(id(&first), quiet_id, "{who}: {first}");
        assert!(id(&second) > quiet_id, "{who}: {second}");
        assert_eq!(first["user_id"], owner.id.as_str(), "{who}: {first}");
        quiet(socket, QUIET, who).await;
    }
}
