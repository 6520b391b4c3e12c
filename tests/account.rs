//! Deleting an account (`/user/account/delete`, 注销) and exporting one's data
//! (`/user/account/export`): who takes over the groups a user created, what goes with them
//! (blobs included) and what stays with their groups under 已注销用户, the token refused at
//! once (HTTP and chat), a fresh account for the same openid, every section of the export and
//! its bounds, and the refusals.

mod common;

use std::time::Duration;

use common::paths::{auth, chat, files, group, user as paths};
use common::ws::{self, Socket};
use common::{admit, create_group, png, user, Options, Server, User};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(5);
const DELETED: &str = "已注销用户";

/// Sleeps until just after the wall clock's next whole second: join times are in seconds.
async fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    let into = u64::from(now.subsec_millis());
    tokio::time::sleep(Duration::from_millis(1000 - into + 20)).await;
}

/// A group's public page as `who` sees it.
async fn page(server: &Server, who: &User, group: i64) -> Value {
    let body = json!({ "group_id": group });
    server.ok(group::INFO_GET, &who.token, body).await
}

/// The member ids of a group, the creator first.
async fn member_ids(server: &Server, who: &User, group: i64) -> Vec<String> {
    let members = server.group_members(who, group).await;
    let ids = members.iter().map(|m| m["user_id"].as_str().unwrap());
    ids.map(str::to_owned).collect()
}

/// A user's calls are 112 from now on: HTTP, a second deletion, `checkLogin` false.
async fn token_refused(server: &Server, who: &User) {
    for path in [
        paths::GET_INFO,
        paths::ACCOUNT_DELETE,
        paths::ACCOUNT_EXPORT,
    ] {
        server.fails(path, who.t(), json!({}), 112, 401).await;
    }
    let (_, check) = server.post(auth::CHECK_LOGIN, who.t(), json!({})).await;
    assert_eq!(check["status"], json!(false), "{check}");
}

async fn connect(server: &Server, who: &User, path: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path, WAIT).await
}

/// Every frame a socket sends until it has been quiet for a moment.
async fn drain(socket: &mut Socket) -> Vec<Value> {
    let mut frames = Vec::new();
    let quiet = Duration::from_millis(400);
    while let Ok(Some(frame)) = tokio::time::timeout(quiet, ws::next_or_closed(socket, WAIT)).await
    {
        frames.push(frame);
    }
    frames
}

/// The private rooms `/chat/getChat` lists for `who`.
async fn partners(server: &Server, who: &User) -> Vec<Value> {
    let res = server.ok(chat::GET_CHAT, &who.token, json!({})).await;
    res["private"].as_array().expect("private").clone()
}

fn private_path(other: &User) -> String {
    format!("/chat/private?user_id={}", other.id)
}

fn count(server: &Server, sql: &str, param: &str) -> i64 {
    server
        .sqlite()
        .query_row(sql, [param], |r| r.get(0))
        .expect(sql)
}

#[tokio::test]
async fn created_groups_go_to_the_longest_standing_admin_then_member_and_alone_are_deleted() {
    let server = Server::start().await;
    let leaver = user(&server, "ho-leaver").await;
    let [early, late, other] = [
        user(&server, "ho-early").await,
        user(&server, "ho-late").await,
        user(&server, "ho-other").await,
    ];
    // An admin beats a member who joined before them.
    let to_admin = create_group(&server, &leaver, "交给管理员").await;
    admit(&server, &leaver, &early, to_admin).await;
    // Without admins, the member who joined first.
    let to_member = create_group(&server, &leaver, "交给老成员").await;
    admit(&server, &leaver, &early, to_member).await;
    next_second().await;
    admit(&server, &leaver, &late, to_admin).await;
    admit(&server, &leaver, &late, to_member).await;
    assert!(server.switch_group_admin(&leaver, to_admin, &late).await);
    // A dismissed group is handed over too (its members still rate each other).
    let dismissed = create_group(&server, &leaver, "已解散").await;
    admit(&server, &leaver, &late, dismissed).await;
    server.dismiss_group(&leaver, dismissed).await;
    // Alone: deleted with everything in it.
    let alone = create_group(&server, &leaver, "独自一人").await;
    server
        .upload_file_into(&leaver, alone, None, "独.txt", b"alone".to_vec())
        .await;
    // Someone else's group: left.
    let joined = create_group(&server, &other, "别人的组").await;
    admit(&server, &other, &leaver, joined).await;
    assert_eq!(page(&server, &other, joined).await["user_cnt"], 2);

    server.delete_account(&leaver).await;
    token_refused(&server, &leaver).await;

    assert_eq!(
        member_ids(&server, &late, to_admin).await,
        [late.id.as_str(), early.id.as_str()]
    );
    let members = server.group_members(&late, to_admin).await;
    assert_eq!(members[0]["is_creator"], true);
    assert_eq!(page(&server, &late, to_admin).await["my_role"], "creator");
    assert_eq!(page(&server, &late, to_admin).await["user_cnt"], 2);
    assert_eq!(
        member_ids(&server, &early, to_member).await,
        [early.id.as_str(), late.id.as_str()]
    );
    assert_eq!(page(&server, &early, to_member).await["my_role"], "creator");
    // The new creator holds the creator's rights.
    server.rename_group(&early, to_member, "新名字").await;
    server.dismiss_group(&early, to_member).await;

    let dismissed_page = page(&server, &late, dismissed).await;
    assert_eq!(
        (&dismissed_page["my_role"], &dismissed_page["dismissed"]),
        (&json!("creator"), &json!(true))
    );
    assert_eq!(dismissed_page["user_cnt"], 1);

    let body = json!({ "group_id": alone });
    server
        .fails(group::INFO_GET, other.t(), body, 301, 404)
        .await;
    let left = count(
        &server,
        "SELECT count(*) FROM group_files WHERE group_id = ?",
        &alone.to_string(),
    );
    assert_eq!(left, 0);

    assert_eq!(
        member_ids(&server, &other, joined).await,
        [other.id.as_str()]
    );
    assert_eq!(page(&server, &other, joined).await["user_cnt"], 1);
    let none = count(
        &server,
        "SELECT count(*) FROM group_members WHERE user_id = ?",
        &leaver.id,
    );
    assert_eq!(none, 0);
}

#[tokio::test]
async fn ratings_given_are_recounted_and_ratings_received_vanish() {
    let server = Server::start().await;
    let leaver = user(&server, "rt-leaver").await;
    let [a, b] = [user(&server, "rt-a").await, user(&server, "rt-b").await];
    let team = create_group(&server, &a, "评分组").await;
    admit(&server, &a, &leaver, team).await;
    admit(&server, &a, &b, team).await;
    server.dismiss_group(&a, team).await;
    let rates =
        json!([{ "user_id": a.id, "star_rating": 10 }, { "user_id": b.id, "star_rating": 2 }]);
    server.rate_group_members(&leaver, team, rates).await;
    let rates =
        json!([{ "user_id": leaver.id, "star_rating": 5 }, { "user_id": b.id, "star_rating": 8 }]);
    server.rate_group_members(&a, team, rates).await;
    assert_eq!(server.rating_of(&b, &a).await, (10.0, 1));
    assert_eq!(server.rating_of(&a, &b).await, (5.0, 2));

    server.delete_account(&leaver).await;

    assert_eq!(server.rating_of(&b, &a).await, (0.0, 0));
    assert_eq!(server.rating_of(&a, &b).await, (8.0, 1));
    let rows = count(
        &server,
        "SELECT count(*) FROM ratings WHERE rater_id = ?1 OR target_id = ?1",
        &leaver.id,
    );
    assert_eq!(rows, 0);
    // The dismissed group keeps its other members and their rating.
    assert_eq!(
        member_ids(&server, &a, team).await,
        [a.id.as_str(), b.id.as_str()]
    );
}

#[tokio::test]
async fn group_messages_announcements_and_files_stay_under_a_deleted_name() {
    let server = Server::start().await;
    let [creator, leaver] = [
        user(&server, "gc-creator").await,
        user(&server, "gc-leaver").await,
    ];
    let team = create_group(&server, &creator, "留言组").await;
    admit(&server, &creator, &leaver, team).await;
    assert!(server.switch_group_admin(&creator, team, &leaver).await);
    server.set_group_nickname(&leaver, team, "组内昵称").await;

    let mut socket = connect(&server, &leaver, &ws::group_path(team)).await;
    drain(&mut socket).await;
    let said = ws::say_acked(&mut socket, "我的留言", WAIT).await;
    assert_eq!(said["nickname"], "组内昵称");
    let file = server
        .upload_file_into(&leaver, team, None, "共享.txt", b"shared work".to_vec())
        .await;
    let notice = server
        .add_group_announcement(&leaver, team, "通知", "明天开会")
        .await;

    server.delete_account(&leaver).await;
    // Their open socket in the group ends with the account.
    let rest = drain(&mut socket).await;
    assert!(rest.iter().all(|f| f["id"] != said["id"]), "{rest:?}");
    assert!(
        ws::next_or_closed(&mut socket, WAIT).await.is_none(),
        "the deleted user's socket stays open"
    );

    let mut reader = connect(&server, &creator, &ws::group_path(team)).await;
    let history = drain(&mut reader).await;
    let kept = history
        .iter()
        .find(|f| f["id"] == said["id"])
        .expect("kept");
    assert_eq!(kept["nickname"], DELETED, "{kept}");
    assert_eq!(kept["user_id"], leaver.id.as_str());
    assert_eq!(kept["msg"]["content"], "我的留言");
    // The id names nobody: no profile.
    let body = json!({ "user_id": leaver.id });
    server
        .fails(paths::GET_INFO, creator.t(), body, 202, 404)
        .await;

    // The file stays in the group's space, readable by its members.
    let listed = server.list_folder(&creator, team, None).await;
    assert!(listed.iter().any(|f| f["id"] == file), "{listed:?}");
    let (group_id, file_id) = (team.to_string(), file.to_string());
    let query = [
        ("token", creator.token.as_str()),
        ("group_id", &group_id),
        ("file_id", &file_id),
    ];
    let res = server.get(files::DOWNLOAD, &query).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"shared work");
    // So does the announcement.
    let kept = server.group_announcement(&creator, team, notice).await;
    assert_eq!(kept["text"], "明天开会");
    assert_eq!(page(&server, &creator, team).await["user_cnt"], 1);
}

#[tokio::test]
async fn chat_files_private_rooms_avatar_and_their_blobs_go() {
    let server = Server::start().await;
    let [leaver, friend] = [
        user(&server, "pv-leaver").await,
        user(&server, "pv-friend").await,
    ];
    let team = create_group(&server, &friend, "文件组").await;
    admit(&server, &friend, &leaver, team).await;
    let group_file = server
        .upload_file_into(&friend, team, None, "朋友的.txt", vec![7; 3000])
        .await;
    let keys_before = server.stored_keys();

    server.set_user_avatar(&leaver, png(64, 64, 255)).await;
    server.add_personal_tag(&leaver, "跑步").await;
    let mut private = connect(&server, &leaver, &private_path(&friend)).await;
    let hello = ws::say_acked(&mut private, "私聊内容", WAIT).await;
    let room = hello["room_id"].as_i64().unwrap();
    let mut reply = connect(&server, &friend, &private_path(&leaver)).await;
    drain(&mut reply).await;
    ws::say_acked(&mut reply, "回复", WAIT).await;
    server
        .upload_chat_file(&friend, "private", room, "给你的.bin", vec![1; 2000])
        .await;
    server
        .upload_chat_file(&leaver, "private", room, "我的.bin", vec![2; 2000])
        .await;
    server
        .upload_chat_file(&leaver, "group", team, "组里的.bin", vec![3; 2000])
        .await;
    // An unfinished resumable upload into the room.
    let begun = json!({ "type": "private", "room_id": room, "name": "半截.bin", "size": 10 });
    server.begin_chat_upload(&leaver, begun).await;
    assert!(server.stored_keys().len() > keys_before.len() + 3);
    assert!(!partners(&server, &friend).await.is_empty());

    server.delete_account(&leaver).await;

    // Only what was there before (the friend's group file) is left of the blobs, avatar included.
    let mut keys = server.stored_keys();
    keys.sort();
    let mut before = keys_before.clone();
    before.sort();
    assert_eq!(keys, before);
    for (sql, what) in [
        (
            "SELECT count(*) FROM private_rooms WHERE user_a = ?1 OR user_b = ?1",
            "rooms",
        ),
        (
            "SELECT count(*) FROM chat_files WHERE uploader_id = ?1",
            "chat files",
        ),
        (
            "SELECT count(*) FROM file_uploads WHERE uploader_id = ?1",
            "uploads",
        ),
        ("SELECT count(*) FROM user_tags WHERE user_id = ?1", "tags"),
        ("SELECT count(*) FROM users WHERE id = ?1", "user"),
        (
            "SELECT count(*) FROM join_requests WHERE user_id = ?1",
            "requests",
        ),
    ] {
        assert_eq!(count(&server, sql, &leaver.id), 0, "{what}");
    }
    let room_key = room.to_string();
    let sql = "SELECT count(*) FROM chat_messages WHERE room_kind = 'private' AND room_id = ?";
    assert_eq!(count(&server, sql, &room_key), 0, "private messages");
    let sql = "SELECT count(*) FROM chat_files WHERE room_kind = 'private' AND room_id = ?";
    assert_eq!(
        count(&server, sql, &room_key),
        0,
        "the friend's file in the room"
    );
    assert!(partners(&server, &friend).await.is_empty());
    let listed = server.list_folder(&friend, team, None).await;
    assert!(listed.iter().any(|f| f["id"] == group_file));

    // Sockets open on the room when it went refuse every message: the deleted user's token is
    // 112, and for the friend the room is gone (407).
    for (socket, code) in [(&mut private, 112), (&mut reply, 407)] {
        drain(socket).await;
        ws::say(socket, "还在吗").await;
        let frame = ws::next_json(socket, WAIT).await;
        assert_eq!(frame["code"], code, "{frame}");
    }
    // The chat refuses the token at once, in groups and private rooms.
    for path in [ws::group_path(team), private_path(&friend)] {
        ws::refused(&server.ws_base(), leaver.t(), None, &path, 112, 401, WAIT).await;
    }
}

#[tokio::test]
async fn signing_in_again_starts_a_fresh_account() {
    let server = Server::start().await;
    let old = user(&server, "again").await;
    let other = user(&server, "again-other").await;
    server.add_personal_tag(&old, "旧标签").await;
    server.set_account_nickname(&old, "旧昵称").await;
    let mine = create_group(&server, &old, "旧组").await;
    admit(&server, &old, &other, mine).await;
    let theirs = create_group(&server, &other, "别人的").await;
    server.join_group(&old, theirs).await;

    server.delete_account(&old).await;

    let (status, login) = server
        .post(auth::LOGIN, None, json!({ "code": "again" }))
        .await;
    assert_eq!(
        (status, &login["first_login"]),
        (200, &json!(true)),
        "{login}"
    );
    let token = login["token"].as_str().unwrap().to_owned();
    let id = server.user_id(&token).await;
    let fresh = User { token, id };
    assert_ne!(fresh.id, old.id);
    token_refused(&server, &old).await;

    let profile = server.own_profile(&fresh).await;
    assert_ne!(profile["nickname"], "旧昵称");
    assert_eq!(profile["rating_count"], 0);
    assert_eq!(server.own_personal_tags(&fresh).await, json!([]));
    let groups = server.my_groups(&fresh, json!({ "type": "" })).await;
    assert_eq!(groups["total"], 0, "{groups}");
    let export = server.export_account(&fresh).await;
    for list in ["groups", "join_requests", "messages", "tags", "group_files"] {
        assert_eq!(export[list], json!([]), "{list}: {export}");
    }
    // The old group lives on with its other member as creator; the old request is gone.
    assert_eq!(member_ids(&server, &other, mine).await, [other.id.as_str()]);
    assert!(server.join_requests(&other).await.is_empty());
}

#[tokio::test]
async fn the_export_holds_every_section() {
    let server = Server::start().await;
    let [me, friend] = [
        user(&server, "ex-me").await,
        user(&server, "ex-friend").await,
    ];
    server.set_account_nickname(&me, "导出者").await;
    server.edit_profile_text(&me, "简介").await;
    server.set_user_avatar(&me, png(32, 32, 255)).await;
    server.add_personal_tag(&me, "篮球").await;
    let mine = create_group(&server, &me, "我的组").await;
    admit(&server, &me, &friend, mine).await;
    let theirs = create_group(&server, &friend, "朋友的组").await;
    let request = server.join_group(&me, theirs).await;
    server.set_group_nickname(&me, mine, "组长").await;
    let file = server
        .upload_file_into(&me, mine, None, "作业.txt", b"homework".to_vec())
        .await;
    server.make_folder(&me, mine, None, "资料").await;
    let notice = server
        .add_group_announcement(&me, mine, "标题", "正文")
        .await;
    let mut socket = connect(&server, &me, &ws::group_path(mine)).await;
    drain(&mut socket).await;
    let said = ws::say_acked(&mut socket, "大家好", WAIT).await;
    let mut private = connect(&server, &me, &private_path(&friend)).await;
    let whisper = ws::say_acked(&mut private, "悄悄话", WAIT).await;
    let room = whisper["room_id"].as_i64().unwrap();
    let chat_file = server
        .upload_chat_file(&me, "private", room, "私.bin", vec![5; 100])
        .await;
    // A file made in a group they left is listed, without a link they could not open.
    let left = create_group(&server, &friend, "退出的组").await;
    admit(&server, &friend, &me, left).await;
    let left_file = server
        .upload_file_into(&me, left, None, "留下的.txt", b"kept".to_vec())
        .await;
    server.exit_group(&me, left).await;
    let rated = create_group(&server, &friend, "评过的组").await;
    admit(&server, &friend, &me, rated).await;
    server.dismiss_group(&friend, rated).await;
    let rates = json!([{ "user_id": friend.id, "star_rating": 9 }]);
    server.rate_group_members(&me, rated, rates).await;
    let rates = json!([{ "user_id": me.id, "star_rating": 7 }]);
    server.rate_group_members(&friend, rated, rates).await;

    let export = server.export_account(&me).await;
    let profile = &export["profile"];
    assert_eq!(profile["id"], me.id.as_str());
    assert_eq!(profile["openid"], "ex-me");
    assert_eq!(
        (&profile["nickname"], &profile["info"]),
        (&json!("导出者"), &json!("简介"))
    );
    assert_eq!(
        (&profile["star_rating"], &profile["rating_count"]),
        (&json!(7.0), &json!(1))
    );
    let avatar = profile["avatar"].as_str().expect("avatar link");
    let res = server.get(avatar, &[("token", me.token.as_str())]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(export["tags"], json!(["篮球"]));

    let groups = export["groups"].as_array().unwrap();
    let roles: Vec<_> = groups
        .iter()
        .map(|g| (g["group_id"].clone(), g["role"].clone()))
        .collect();
    assert_eq!(
        roles,
        [
            (json!(mine), json!("creator")),
            (json!(rated), json!("member"))
        ]
    );
    assert_eq!(groups[0]["nickname"], "组长");
    assert_eq!(
        (&groups[1]["dismissed"], &groups[1]["has_rated"]),
        (&json!(true), &json!(true))
    );
    let requests = export["join_requests"].as_array().unwrap();
    assert_eq!(requests.len(), 3, "{requests:?}");
    let pending = requests
        .iter()
        .find(|r| r["id"] == request)
        .expect("the request");
    assert_eq!(
        (&pending["group_id"], &pending["status"]),
        (&json!(theirs), &json!("pending"))
    );

    assert_eq!(
        export["ratings_given"],
        json!([{ "group_id": rated, "user_id": friend.id, "stars": 9.0,
                 "time": export["ratings_given"][0]["time"] }])
    );
    let received = &export["ratings_received"][0];
    assert_eq!(
        common::sorted_keys(received),
        ["group_id", "stars", "time"],
        "no rater"
    );
    assert_eq!(received["stars"], 7.0);

    let notices = export["announcements"].as_array().unwrap();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        (&notices[0]["id"], &notices[0]["text"]),
        (&json!(notice), &json!("正文"))
    );
    assert_eq!(notices[0]["picture"], Value::Null);

    let made = export["group_files"].as_array().unwrap();
    assert_eq!(made.len(), 3, "{made:?}");
    let kept = made.iter().find(|f| f["id"] == left_file).expect("left");
    assert_eq!(
        (&kept["group_id"], &kept["download"]),
        (&json!(left), &Value::Null)
    );
    let folder = made
        .iter()
        .find(|f| f["is_dir"] == true)
        .expect("the folder");
    assert_eq!(
        (&folder["name"], &folder["download"]),
        (&json!("资料"), &Value::Null)
    );
    let uploaded = made.iter().find(|f| f["id"] == file).expect("the file");
    let link = uploaded["download"].as_str().expect("a link");
    let res = server.get(link, &[("token", me.token.as_str())]).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"homework");

    let chat_files = export["chat_files"].as_array().unwrap();
    assert_eq!(chat_files.len(), 1);
    assert_eq!(
        (&chat_files[0]["id"], &chat_files[0]["type"]),
        (&json!(chat_file), &json!("private"))
    );
    let link = chat_files[0]["download"].as_str().unwrap();
    let res = server.get(link, &[("token", me.token.as_str())]).await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), &[5; 100][..]);

    let rooms = export["private_rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(
        (&rooms[0]["room_id"], &rooms[0]["user_id"]),
        (&json!(room), &json!(friend.id))
    );

    let messages = export["messages"].as_array().unwrap();
    let sent: Vec<_> = messages
        .iter()
        .map(|m| (m["id"].clone(), m["type"].clone(), m["content"].clone()))
        .collect();
    assert_eq!(
        sent,
        [
            (whisper["id"].clone(), json!("private"), json!("悄悄话")),
            (said["id"].clone(), json!("group"), json!("大家好")),
        ]
    );
    assert_eq!(export["truncated"], json!([]));
    // Nothing of the friend's own messages or data.
    assert!(!export.to_string().contains("ex-friend"));
}

#[tokio::test]
async fn the_export_keeps_the_newest_thousand_messages_and_says_so() {
    let server = Server::start().await;
    let me = user(&server, "bound-me").await;
    let team = create_group(&server, &me, "很多消息").await;
    {
        let db = server.sqlite();
        let mut insert = db
            .prepare(
                "INSERT INTO chat_messages (room_kind, room_id, user_id, msg_type, content, created_at)
                 VALUES ('group', ?, ?, 'text', ?, 1700000000)",
            )
            .unwrap();
        for i in 0..1005 {
            insert
                .execute(rusqlite::params![team, me.id, format!("第{i}条")])
                .unwrap();
        }
    }
    let export = server.export_account(&me).await;
    let messages = export["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1000);
    assert_eq!(messages[0]["content"], "第1004条");
    assert_eq!(messages[999]["content"], "第5条");
    assert_eq!(export["truncated"], json!(["messages"]));
}

#[tokio::test]
async fn refusals_and_the_rate_limit() {
    let server = Server::with(Options::dev_login().env("ZUDUI_RATE_LIMITS", "account=3/1")).await;
    for path in [paths::ACCOUNT_DELETE, paths::ACCOUNT_EXPORT] {
        server.fails(path, None, json!({}), 113, 401).await;
        server
            .fails(path, Some("not-a-token"), json!({}), 112, 401)
            .await;
    }
    let me = user(&server, "limited").await;
    for _ in 0..3 {
        server.export_account(&me).await;
    }
    let refused = server
        .fails(paths::ACCOUNT_EXPORT, me.t(), json!({}), 105, 429)
        .await;
    assert!(
        refused["retry_after"].as_u64().is_some_and(|s| s > 0),
        "{refused}"
    );
    // A refused deletion changes nothing.
    server
        .fails(paths::ACCOUNT_DELETE, me.t(), json!({}), 105, 429)
        .await;
    assert_eq!(server.own_profile(&me).await["id"], me.id.as_str());

    // Two deletions at once: one deletes, the other finds the token naming nobody (112).
    let both = user(&server, "twice").await;
    let body = || json!({});
    let (first, second) = tokio::join!(
        server.post(paths::ACCOUNT_DELETE, both.t(), body()),
        server.post(paths::ACCOUNT_DELETE, both.t(), body()),
    );
    let mut codes = [first.1["code"].as_u64(), second.1["code"].as_u64()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(112)], "{first:?} {second:?}");
}
