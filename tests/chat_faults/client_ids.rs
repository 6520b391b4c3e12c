//! client_msg_id (issue 14, item 4).

use crate::support::*;

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
    let png = crate::common::png(4, 4, 255);
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
