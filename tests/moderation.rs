//! Moderation as users meet it: reporting a user, a group, a message or a group file (each
//! checked as a read of its target, counted once per reporter, rate-limited), a mute refusing a
//! member's messages in one group until it ends, a ban ending a user's tokens, sockets and
//! sign-ins until it is lifted, and a withdrawn message. The console's side is in
//! `tests/debug/review.rs`.

mod common;

use std::time::Duration;

use common::paths::{auth, chat, files, group, user as users};
use common::ws::{self, group_path, next_json, say, say_acked, Socket};
use common::{admit, create_group, user, Options, Server, User};
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-for-moderation-0123456789";
const WAIT: Duration = Duration::from_secs(5);

async fn moderated(extra: &[(&str, &str)]) -> Server {
    let mut options = Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN);
    for (name, value) in extra {
        options = options.env(name, value);
    }
    Server::with(options).await
}

/// A console call by script (bearer): `(status, answer)`, the answer checked against the API
/// description.
async fn console(server: &Server, path: &str, body: Option<Value>) -> (u16, Value) {
    let req = match body {
        Some(body) => server.client.post(server.url(path)).json(&body),
        None => server.client.get(server.url(path)),
    };
    let res = req.bearer_auth(ADMIN).send().await.expect("request");
    let (status, value) = common::schema::read(res).await;
    (status, value.expect("a JSON answer"))
}

/// A console write that must succeed.
async fn console_ok(server: &Server, path: &str, body: Value) -> Value {
    let (status, res) = console(server, path, Some(body.clone())).await;
    assert_eq!(
        (status, &res["code"]),
        (200, &json!(0)),
        "{path} {body}: {res}"
    );
    res
}

/// The open items of the review queue.
async fn queue(server: &Server) -> Vec<Value> {
    let (status, res) = console(server, "/debug/api/review", None).await;
    assert_eq!(status, 200, "{res}");
    res["items"].as_array().expect("items").clone()
}

fn item<'a>(items: &'a [Value], target: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["target"] == target)
        .unwrap_or_else(|| panic!("no item for {target} in {items:?}"))
}

async fn socket(server: &Server, who: &User, group: i64) -> Socket {
    ws::connect(&server.ws_base(), who, &group_path(group), WAIT).await
}

/// `alice` creates a group with `bob` in it; `carol` stays outside.
async fn cast(server: &Server, prefix: &str) -> (User, User, User, i64) {
    let alice = user(server, &format!("{prefix}-alice")).await;
    let bob = user(server, &format!("{prefix}-bob")).await;
    let carol = user(server, &format!("{prefix}-carol")).await;
    let group = create_group(server, &alice, &format!("{prefix} 组")).await;
    admit(server, &alice, &bob, group).await;
    (alice, bob, carol, group)
}

#[tokio::test]
async fn reports_reach_the_queue_once_per_reporter() {
    let server = moderated(&[]).await;
    let (alice, bob, carol, group) = cast(&server, "report").await;
    server
        .ok(
            users::EDIT_INFO,
            &alice.token,
            json!({ "text": "加我领红包" }),
        )
        .await;
    let mut alice_socket = socket(&server, &alice, group).await;
    let said = say_acked(&mut alice_socket, "广告消息", WAIT).await;
    let msg = ws::id(&said);
    let file = server
        .upload_file_into(&alice, group, None, "盗版.txt", b"x".to_vec())
        .await;

    // Two reporters of alice, one of them twice: one item, two reports.
    for (who, reason) in [(&bob, "  广告  "), (&carol, "骚扰"), (&bob, "再次举报")] {
        let body = json!({ "user_id": alice.id, "reason": reason });
        server.ok(users::REPORT, &who.token, body).await;
    }
    let body = json!({ "group_id": group, "reason": "违规群组" });
    server.ok(group::REPORT, &carol.token, body).await;
    let body = json!({ "group_id": group, "file_id": file, "reason": "盗版" });
    server.ok(files::REPORT, &bob.token, body).await;
    let body = json!({ "type": "group", "room_id": group, "msg_id": msg, "reason": "广告" });
    server.ok(chat::REPORT, &bob.token, body.clone()).await;
    server.ok(chat::REPORT, &bob.token, body).await;

    let items = queue(&server).await;
    assert_eq!(items.len(), 4, "{items:?}");
    let reported = item(&items, &format!("user:{}", alice.id));
    assert_eq!(reported["reports"], 2, "{reported}");
    assert_eq!(reported["sources"], json!(["report"]));
    let mut reasons: Vec<&str> = reported["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        ["广告", "骚扰"],
        "the first reason of each reporter, trimmed"
    );
    assert!(reported["excerpt"].as_str().unwrap().contains("加我领红包"));
    assert_eq!(reported["user_id"], alice.id.as_str());

    let message = item(&items, &format!("message:group:{group}:{msg}"));
    assert_eq!(
        (message["reports"].as_i64(), message["excerpt"].as_str()),
        (Some(1), Some("广告消息"))
    );
    assert_eq!(
        (message["user_id"].as_str(), message["group_id"].as_i64()),
        (Some(alice.id.as_str()), Some(group))
    );
    let reported_file = item(&items, &format!("file:{file}"));
    assert_eq!(reported_file["excerpt"], "盗版.txt");
    let reported_group = item(&items, &format!("group:{group}"));
    assert_eq!(reported_group["group_id"], group);

    // A private message is reported by the pair, not by others.
    let mut private = ws::connect(
        &server.ws_base(),
        &bob,
        &format!("/chat/private?user_id={}", carol.id),
        WAIT,
    )
    .await;
    let said = say_acked(&mut private, "私聊骚扰", WAIT).await;
    let room = server.ok(chat::GET_CHAT, &carol.token, json!({})).await["private"][0]["room_id"]
        .as_i64()
        .expect("a private room");
    let body =
        json!({ "type": "private", "room_id": room, "msg_id": ws::id(&said), "reason": "骚扰" });
    server
        .fails(chat::REPORT, alice.t(), body.clone(), 407, 403)
        .await;
    server.ok(chat::REPORT, &carol.token, body).await;
    assert_eq!(queue(&server).await.len(), 5);
}

#[tokio::test]
async fn reports_refuse_what_is_wrong_and_change_nothing() {
    let server = moderated(&[]).await;
    let (alice, bob, carol, group) = cast(&server, "refuse").await;
    let mut alice_socket = socket(&server, &alice, group).await;
    let msg = ws::id(&say_acked(&mut alice_socket, "一条消息", WAIT).await);
    let file = server
        .upload_file_into(&alice, group, None, "a.txt", b"x".to_vec())
        .await;
    server.make_folder(&alice, group, None, "目录").await;
    let folder = server.list_folder(&alice, group, None).await;
    let folder = folder
        .iter()
        .find(|e| e["name"] == "目录")
        .and_then(|e| e["id"].as_i64())
        .expect("the folder");
    let long = "长".repeat(201);

    #[rustfmt::skip]
    let refusals: Vec<(&str, &User, Value, u16, u16)> = vec![
        (users::REPORT, &bob, json!({ "user_id": alice.id }), 101, 400),
        (users::REPORT, &bob, json!({ "user_id": alice.id, "reason": "   " }), 101, 400),
        (users::REPORT, &bob, json!({ "user_id": alice.id, "reason": long }), 101, 400),
        (users::REPORT, &bob, json!({ "user_id": alice.id, "reason": 5 }), 101, 400),
        (users::REPORT, &bob, json!({ "reason": "x" }), 101, 400),
        (users::REPORT, &bob, json!({ "user_id": bob.id, "reason": "举报自己" }), 101, 400),
        (users::REPORT, &bob, json!({ "user_id": "nobody", "reason": "x" }), 202, 404),
        (group::REPORT, &bob, json!({ "group_id": group }), 101, 400),
        (group::REPORT, &bob, json!({ "group_id": "x", "reason": "x" }), 101, 400),
        (group::REPORT, &bob, json!({ "group_id": group + 1000, "reason": "x" }), 301, 404),
        (files::REPORT, &bob, json!({ "group_id": group, "file_id": file, "reason": "" }), 101, 400),
        (files::REPORT, &carol, json!({ "group_id": group, "file_id": file, "reason": "x" }), 303, 403),
        (files::REPORT, &bob, json!({ "group_id": group + 1000, "file_id": file, "reason": "x" }), 301, 404),
        (files::REPORT, &bob, json!({ "group_id": group, "file_id": file + 1000, "reason": "x" }), 341, 404),
        (files::REPORT, &bob, json!({ "group_id": group, "file_id": folder, "reason": "x" }), 345, 400),
        (chat::REPORT, &bob, json!({ "type": "room", "room_id": group, "msg_id": msg, "reason": "x" }), 410, 400),
        (chat::REPORT, &bob, json!({ "type": "group", "room_id": group + 1000, "msg_id": msg, "reason": "x" }), 408, 404),
        (chat::REPORT, &bob, json!({ "type": "private", "room_id": 99999, "msg_id": msg, "reason": "x" }), 408, 404),
        (chat::REPORT, &carol, json!({ "type": "group", "room_id": group, "msg_id": msg, "reason": "x" }), 407, 403),
        (chat::REPORT, &bob, json!({ "type": "group", "room_id": group, "msg_id": msg + 1000, "reason": "x" }), 414, 404),
        (chat::REPORT, &bob, json!({ "type": "group", "room_id": group, "reason": "x" }), 101, 400),
        (chat::REPORT, &bob, json!({ "type": "group", "room_id": group, "msg_id": msg, "reason": long }), 101, 400),
    ];
    for (path, who, body, code, status) in refusals {
        server.fails(path, who.t(), body, code, status).await;
    }
    // A message of another room is not this room's.
    let other = create_group(&server, &bob, "另一个组").await;
    let body = json!({ "type": "group", "room_id": other, "msg_id": msg, "reason": "x" });
    server.fails(chat::REPORT, bob.t(), body, 414, 404).await;
    for path in [users::REPORT, group::REPORT, files::REPORT, chat::REPORT] {
        server.fails(path, None, json!({}), 113, 401).await;
    }
    assert_eq!(
        queue(&server).await,
        Vec::<Value>::new(),
        "refusals change nothing"
    );
}

#[tokio::test]
async fn reports_are_rate_limited() {
    let server = moderated(&[("ZUDUI_RATE_LIMITS", "report=2/1")]).await;
    let (alice, bob, _carol, group) = cast(&server, "limit").await;
    let body = json!({ "user_id": alice.id, "reason": "x" });
    server.ok(users::REPORT, &bob.token, body.clone()).await;
    let body2 = json!({ "group_id": group, "reason": "x" });
    server.ok(group::REPORT, &bob.token, body2.clone()).await;
    let refused = server.fails(group::REPORT, bob.t(), body2, 105, 429).await;
    assert!(
        refused["retry_after"].as_u64().is_some_and(|s| s >= 1),
        "{refused}"
    );
    // Others are not held back by bob's bucket.
    server
        .ok(
            users::REPORT,
            &alice.token,
            json!({ "user_id": bob.id, "reason": "x" }),
        )
        .await;
}

#[tokio::test]
async fn a_muted_member_cannot_send_in_that_group_until_it_ends() {
    let server = moderated(&[]).await;
    let (alice, bob, _carol, group) = cast(&server, "mute").await;
    let file = server
        .upload_file_into(&bob, group, None, "b.txt", b"x".to_vec())
        .await;
    let mut bob_socket = socket(&server, &bob, group).await;
    let res = console_ok(
        &server,
        "/debug/api/review/mute",
        json!({ "group_id": group, "user_id": bob.id, "seconds": 2 }),
    )
    .await;
    assert!(common::is_time(&res["until"]), "{res}");

    // The socket answers an error frame and stays open; sharing a file is refused too.
    say(&mut bob_socket, "我被禁言了吗").await;
    let refusal = next_json(&mut bob_socket, WAIT).await;
    assert_eq!(refusal["code"], 413, "{refusal}");
    assert!(
        refusal["errorMsg"].as_str().unwrap().contains("解除"),
        "{refusal}"
    );
    let share = json!({ "group_id": group, "file_id": file });
    server
        .fails(files::SHARE, bob.t(), share.clone(), 413, 403)
        .await;
    // A new socket is let in (it may read), and refused the same way.
    let mut again = socket(&server, &bob, group).await;
    say(&mut again, "再试").await;
    assert_eq!(next_json(&mut again, WAIT).await["code"], 413);
    // Others still talk.
    let mut alice_socket = socket(&server, &alice, group).await;
    say_acked(&mut alice_socket, "我可以说话", WAIT).await;
    let heard = ws::next_live(&mut bob_socket, WAIT).await;
    assert_eq!(
        ws::content(&heard),
        "我可以说话",
        "a muted member still reads"
    );

    // The mute ends by itself.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    say_acked(&mut bob_socket, "解除了", WAIT).await;
    server.ok(files::SHARE, &bob.token, share).await;

    // An ended mute is gone once another is set; lifting one that holds works once.
    let other = user(&server, "mute-dave").await;
    admit(&server, &alice, &other, group).await;
    let body = json!({ "group_id": group, "user_id": other.id, "seconds": 600 });
    console_ok(&server, "/debug/api/review/mute", body).await;
    let (_, tables) = console(&server, "/debug/api/tables", None).await;
    let mutes = tables["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mutes")
        .expect("the mutes table")["rows"]
        .clone();
    assert_eq!(mutes, 1, "the ended mute was pruned: {tables}");
    let lift = json!({ "group_id": group, "user_id": other.id });
    console_ok(&server, "/debug/api/review/unmute", lift.clone()).await;
    let (status, res) = console(&server, "/debug/api/review/unmute", Some(lift)).await;
    assert_eq!((status, res["code"].as_i64()), (400, Some(101)), "{res}");
}

#[tokio::test]
async fn a_banned_user_is_refused_everywhere_until_unbanned() {
    let server = moderated(&[]).await;
    let (alice, bob, _carol, group) = cast(&server, "ban").await;
    let mut open_socket = socket(&server, &bob, group).await;
    let body = json!({ "user_id": bob.id, "reason": "多次发广告" });
    console_ok(&server, "/debug/api/review/ban", body).await;

    // Every call with the old token, at once.
    server
        .fails(users::GET_INFO, bob.t(), json!({}), 112, 401)
        .await;
    server
        .fails(
            group::INFO_GET,
            bob.t(),
            json!({ "group_id": group }),
            112,
            401,
        )
        .await;
    let check = server.ok(auth::CHECK_LOGIN, &bob.token, json!({})).await;
    assert_eq!(check["status"], false, "{check}");
    // New sockets are refused; an open one is refused at its next message.
    ws::refused(
        &server.ws_base(),
        bob.t(),
        None,
        &group_path(group),
        112,
        401,
        WAIT,
    )
    .await;
    say(&mut open_socket, "还能说话吗").await;
    assert_eq!(next_json(&mut open_socket, WAIT).await["code"], 112);
    // Signing in again gives no session, and says why.
    let refused = server
        .fails(auth::LOGIN, None, json!({ "code": "ban-bob" }), 112, 401)
        .await;
    let why = refused["errorMsg"].as_str().unwrap();
    assert!(why.contains("永久") && why.contains("多次发广告"), "{why}");
    // Others are untouched.
    server.ok(users::GET_INFO, &alice.token, json!({})).await;

    // Lifted: the old token works again, and signing in too; lifting twice is 101.
    console_ok(
        &server,
        "/debug/api/review/unban",
        json!({ "user_id": bob.id }),
    )
    .await;
    server.ok(users::GET_INFO, &bob.token, json!({})).await;
    say_acked(&mut socket(&server, &bob, group).await, "回来了", WAIT).await;
    let (_, login) = server
        .post(auth::LOGIN, None, json!({ "code": "ban-bob" }))
        .await;
    assert_eq!(login["code"], 0, "{login}");
    let (status, res) = console(
        &server,
        "/debug/api/review/unban",
        Some(json!({ "user_id": bob.id })),
    )
    .await;
    assert_eq!((status, res["code"].as_i64()), (400, Some(101)), "{res}");

    // A ban with an end ends by itself.
    let body = json!({ "user_id": bob.id, "seconds": 1 });
    console_ok(&server, "/debug/api/review/ban", body).await;
    let refused = server
        .fails(auth::LOGIN, None, json!({ "code": "ban-bob" }), 112, 401)
        .await;
    assert!(
        refused["errorMsg"].as_str().unwrap().contains("至"),
        "{refused}"
    );
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    server.ok(users::GET_INFO, &bob.token, json!({})).await;
}

#[tokio::test]
async fn a_withdrawn_message_keeps_its_place_without_its_content() {
    let server = moderated(&[]).await;
    let (alice, bob, _carol, group) = cast(&server, "withdraw").await;
    let mut alice_socket = socket(&server, &alice, group).await;
    let bad = ws::id(&say_acked(&mut alice_socket, "违规内容", WAIT).await);
    say_acked(&mut alice_socket, "正常内容", WAIT).await;
    let body = json!({ "type": "group", "room_id": group, "msg_id": bad, "reason": "违规" });
    server.ok(chat::REPORT, &bob.token, body).await;
    let items = queue(&server).await;
    let id = item(&items, &format!("message:group:{group}:{bad}"))["id"].clone();
    console_ok(
        &server,
        "/debug/api/review/remove",
        json!({ "item_id": id }),
    )
    .await;
    assert_eq!(queue(&server).await, Vec::<Value>::new(), "resolved");

    // A new socket's history: the message is there, withdrawn, without its text.
    let mut bob_socket = socket(&server, &bob, group).await;
    let first = next_json(&mut bob_socket, WAIT).await;
    let second = next_json(&mut bob_socket, WAIT).await;
    assert_eq!(ws::id(&first), bad);
    assert_eq!(
        first["msg"],
        json!({ "msg_type": "text", "withdrawn": true }),
        "{first}"
    );
    assert_eq!(first["user_id"], alice.id.as_str());
    assert_eq!(ws::content(&second), "正常内容");
    assert_eq!(second["msg"].get("withdrawn"), None, "{second}");
    // The console's group view shows it withdrawn.
    let (_, view) = console(&server, &format!("/debug/api/group?group_id={group}"), None).await;
    let shown = &view["chat"][0];
    assert_eq!(
        (shown["id"].as_i64(), &shown["withdrawn"]),
        (Some(bad), &json!(true)),
        "{view}"
    );
    assert_eq!(view["chat"][1]["withdrawn"], false, "{view}");
    // It can still be reported (an item of its own).
    let body = json!({ "type": "group", "room_id": group, "msg_id": bad, "reason": "再次" });
    server.ok(chat::REPORT, &bob.token, body).await;
    let items = queue(&server).await;
    assert_eq!(items[0]["excerpt"], "", "{items:?}");
}
