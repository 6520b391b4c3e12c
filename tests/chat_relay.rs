//! The chat's internal routes for the WebSocket relay: hidden (102) without the shared secret,
//! and with it the same rules as the native hub: rooms, strict frames, storing and history.

mod common;

use common::{admit, create_group, user, Options, Server};
use serde_json::{json, Value};

const SECRET: &str = "relay-secret-for-tests-0123456789";

async fn call(server: &Server, path: &str, secret: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = server.client.post(server.url(path)).json(&body);
    if let Some(secret) = secret {
        req = req.header("x-relay-secret", secret);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn ok(server: &Server, path: &str, body: Value) -> Value {
    let (status, res) = call(server, path, Some(SECRET), body).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{path}: {res}");
    res
}

async fn fails(server: &Server, path: &str, body: Value, code: u16, status: u16) {
    let (got, res) = call(server, path, Some(SECRET), body).await;
    assert_eq!(
        (got, res["code"].as_u64()),
        (status, Some(code.into())),
        "{path}: {res}"
    );
}

#[tokio::test]
async fn internal_routes_do_not_exist_without_the_secret() {
    let server = Server::start().await;
    let (status, res) = call(&server, "/chat/internal/open", Some(SECRET), json!({})).await;
    assert_eq!((status, res["code"].as_u64()), (404, Some(102)));
    let server = Server::with(Options::dev_login().env("ZUDUI_RELAY_SECRET", SECRET)).await;
    for secret in [
        None,
        Some("wrong"),
        Some("relay-secret-for-tests-012345678"),
    ] {
        let (status, res) = call(&server, "/chat/internal/post", secret, json!({})).await;
        assert_eq!(
            (status, res["code"].as_u64()),
            (404, Some(102)),
            "{secret:?}"
        );
    }
}

#[tokio::test]
async fn the_relay_opens_rooms_stores_frames_and_reads_history() {
    let server = Server::with(Options::dev_login().env("ZUDUI_RELAY_SECRET", SECRET)).await;
    let owner = user(&server, "relay-owner").await;
    let member = user(&server, "relay-member").await;
    let outsider = user(&server, "relay-out").await;
    let g = create_group(&server, &owner, "中继").await;
    admit(&server, &owner, &member, g).await;

    let room = ok(
        &server,
        "/chat/internal/open",
        json!({ "user_id": member.id, "group_id": g }),
    )
    .await;
    let group_room = format!("group:{g}");
    assert_eq!(room["room"], json!(group_room));
    let open = "/chat/internal/open";
    fails(
        &server,
        open,
        json!({ "user_id": outsider.id, "group_id": g }),
        403,
        403,
    )
    .await;
    fails(
        &server,
        open,
        json!({ "user_id": member.id, "group_id": g + 9 }),
        402,
        404,
    )
    .await;
    fails(
        &server,
        open,
        json!({ "user_id": member.id, "peer_id": "nobody" }),
        401,
        404,
    )
    .await;

    let frame = json!({ "msg_type": "text", "content": "经由中继", "at": [owner.id] }).to_string();
    let post = "/chat/internal/post";
    let stored = ok(
        &server,
        post,
        json!({ "room": group_room, "user_id": member.id, "frame": frame }),
    )
    .await;
    let posted = &stored["posted"];
    assert_eq!(posted["room"], json!(group_room));
    assert_eq!(posted["prev"], Value::Null, "the room's first message");
    let message: Value = serde_json::from_str(posted["frame"].as_str().unwrap()).unwrap();
    assert_eq!(posted["id"], message["id"]);
    assert_eq!(message["history"], false);
    assert_eq!(message["msg"]["content"], "经由中继");
    assert_eq!(message["msg"]["at"], json!([owner.id]));
    let bad = json!({ "msg_type": "text", "content": "x", "extra": true }).to_string();
    fails(
        &server,
        post,
        json!({ "room": group_room, "user_id": member.id, "frame": bad }),
        409,
        400,
    )
    .await;
    let unknown = json!({ "msg_type": "gif", "file_id": 1 }).to_string();
    fails(
        &server,
        post,
        json!({ "room": group_room, "user_id": member.id, "frame": unknown }),
        405,
        400,
    )
    .await;
    let frame = json!({ "msg_type": "text", "content": "x" }).to_string();
    fails(
        &server,
        post,
        json!({ "room": group_room, "user_id": outsider.id, "frame": frame }),
        403,
        403,
    )
    .await;

    let page = ok(
        &server,
        "/chat/internal/history",
        json!({ "room": group_room, "user_id": member.id }),
    )
    .await;
    let messages = page["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["id"], message["id"]);
    let shown: Value = serde_json::from_str(messages[0]["frame"].as_str().unwrap()).unwrap();
    assert_eq!(shown["history"], true);
    let before = ok(
        &server,
        "/chat/internal/history",
        json!({ "room": group_room, "user_id": member.id, "before": message["id"] }),
    )
    .await;
    assert_eq!(before["messages"], json!([]));
    fails(
        &server,
        "/chat/internal/history",
        json!({ "room": group_room, "user_id": outsider.id }),
        403,
        403,
    )
    .await;

    // A relay that noticed a gap reads what follows a message, each naming its predecessor.
    let second = json!({ "msg_type": "text", "content": "第二条" }).to_string();
    let second = ok(
        &server,
        post,
        json!({ "room": group_room, "user_id": owner.id, "frame": second }),
    )
    .await;
    assert_eq!(second["posted"]["prev"], message["id"]);
    let after = "/chat/internal/after";
    let all = ok(&server, after, json!({ "room": group_room, "after": 0 })).await;
    let ids: Vec<&Value> = all["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(ids, vec![&message["id"], &second["posted"]["id"]]);
    let rest = ok(
        &server,
        after,
        json!({ "room": group_room, "after": message["id"] }),
    )
    .await;
    assert_eq!(rest["messages"].as_array().unwrap().len(), 1);
    assert_eq!(rest["messages"][0], second["posted"]);
    fails(
        &server,
        after,
        json!({ "room": "group:x", "after": 0 }),
        101,
        400,
    )
    .await;
    fails(&server, after, json!({ "room": "room:1" }), 101, 400).await;

    // Private rooms are made on first contact and take no `at`.
    let private = ok(
        &server,
        open,
        json!({ "user_id": member.id, "peer_id": owner.id }),
    )
    .await;
    let private_room = private["room"].as_str().unwrap().to_owned();
    assert!(private_room.starts_with("private:"), "{private}");
    let again = ok(
        &server,
        open,
        json!({ "user_id": owner.id, "peer_id": member.id }),
    )
    .await;
    assert_eq!(again["room"], private["room"]);
    let hi = json!({ "msg_type": "text", "content": "hi" }).to_string();
    let body = json!({ "room": private_room, "user_id": outsider.id, "frame": hi });
    fails(&server, post, body, 407, 403).await;
    let at = json!({ "msg_type": "text", "content": "x", "at": [] }).to_string();
    fails(
        &server,
        post,
        json!({ "room": private_room, "user_id": owner.id, "frame": at }),
        409,
        400,
    )
    .await;
}
