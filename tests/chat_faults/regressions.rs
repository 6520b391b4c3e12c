//! Regressions (issue 14, items 1-3).

use crate::support::*;

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
