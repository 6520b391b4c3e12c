//! WeChat's checks of pictures and voice, against the fake WeChat: each stored avatar, group
//! picture, announcement picture and chat image is submitted to `media_check_async` with a signed
//! URL WeChat can fetch; the verdict comes to `/wechat/push` (signed; GET is the URL handshake);
//! `risky` takes the media down (audited), `review` queues it, `pass` leaves it; a verdict on
//! bytes since replaced takes nothing down; while WeChat refuses, submissions stay queued and
//! later ones retry them.

mod common;

use common::wechat::{media_verdict, push_signature, FakeWechat};
use common::{admit, create_group, png, user, Options, Server, User, JWT_SECRET};
use serde_json::{json, Value};
use zudui_shared::content::media::url_signature;

const PUBLIC: &str = "https://zudui.example";
const PUSH_TOKEN: &str = "push-token-for-tests";
const ADMIN: &str = "admin-token-for-media-0123456789";

async fn media_server(fake: &FakeWechat) -> Server {
    let options = fake
        .options(Options::dev_login())
        .env("ZUDUI_PUBLIC_URL", PUBLIC)
        .env("ZUDUI_WECHAT_PUSH_TOKEN", PUSH_TOKEN)
        .env("ZUDUI_ADMIN_TOKEN", ADMIN);
    Server::with(options).await
}

/// The `n`th media submitted (from 1): its body, and its URL as the server would be reached.
fn submitted(server: &Server, fake: &FakeWechat, n: usize) -> (Value, String) {
    let calls = fake.calls();
    let body = calls.media_checks.get(n - 1).cloned().unwrap_or_else(|| {
        panic!(
            "media check {n} was not submitted: {:?}",
            calls.media_checks
        )
    });
    let url = body["media_url"].as_str().unwrap();
    let local = server.url(url.strip_prefix(PUBLIC).expect("a URL under public_url"));
    (body, local)
}

/// Now, as a push's `timestamp`.
fn now() -> String {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_secs().to_string()
}

/// What WeChat would fetch at `url`: the status and the bytes.
async fn fetch(url: &str) -> (u16, Vec<u8>) {
    let res = reqwest::get(url).await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

/// WeChat pushes `body`, signed with `token`: the status and the answer's text.
async fn push(server: &Server, token: &str, body: &Value) -> (u16, String) {
    let query = push_signature(token, &now(), "nonce-1");
    let res = reqwest::Client::new()
        .post(server.url(&format!("/wechat/push?{query}")))
        .json(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn verdict(server: &Server, n: usize, suggest: &str) {
    let answer = push(
        server,
        PUSH_TOKEN,
        &media_verdict(&format!("media-{n}"), suggest, 20002),
    )
    .await;
    assert_eq!(answer, (200, "success".to_owned()));
}

/// The bytes of `who`'s avatar as anyone sees it.
async fn avatar(server: &Server, viewer: &User, who: &User) -> Vec<u8> {
    let query = [
        ("user_id", who.id.as_str()),
        ("token", viewer.token.as_str()),
    ];
    let res = server.get("/user/info/avatar/get", &query).await;
    assert_eq!(res.status(), 200);
    res.bytes().await.unwrap().to_vec()
}

/// The status of downloading chat file `file` of group `g`'s room as `who`.
async fn chat_file_status(server: &Server, who: &User, g: i64, file: i64) -> u16 {
    let (room, file) = (g.to_string(), file.to_string());
    let query = [
        ("type", "group"),
        ("room_id", room.as_str()),
        ("file_id", file.as_str()),
        ("token", who.token.as_str()),
    ];
    server
        .get("/chat/files/download", &query)
        .await
        .status()
        .as_u16()
}

async fn console(server: &Server, path: &str) -> Value {
    let res = reqwest::Client::new()
        .get(server.url(path))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    res.json().await.unwrap()
}

async fn audited(server: &Server) -> Vec<String> {
    let log = console(server, "/debug/api/audit").await;
    let entries = log["entries"].as_array().unwrap().iter();
    entries
        .map(|e| format!("{} {} {}", e["actor"], e["action"], e["target"]).replace('"', ""))
        .collect()
}

#[tokio::test]
async fn a_risky_avatar_is_taken_down_after_wechat_fetched_it_and_the_takedown_is_audited() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let alice = user(&server, "alice").await;
    let bob = user(&server, "bob").await;
    let default = avatar(&server, &bob, &alice).await;
    server.set_user_avatar(&alice, png(40, 30, 255)).await;
    let shown = avatar(&server, &bob, &alice).await;
    assert_ne!(shown, default);
    let (body, url) = submitted(&server, &fake, 1);
    assert_eq!(
        (body["media_type"].as_u64(), body["openid"].as_str()),
        (Some(2), Some("alice"))
    );
    assert_eq!(body["version"], 2);
    // WeChat fetches what everyone sees.
    assert_eq!(fetch(&url).await, (200, shown.clone()));
    // A tampered signature or expiry fetches nothing, nor does a well-signed expired URL.
    for (from, to) in [("sig=", "sig=0"), ("expires=", "expires=9")] {
        assert_eq!(fetch(&url.replacen(from, to, 1)).await.0, 404, "{from}");
    }
    let id = url.split("id=").nth(1).unwrap().split('&').next().unwrap();
    let past = 1_700_000_000;
    let sig = url_signature(JWT_SECRET.as_bytes(), id.parse().unwrap(), past);
    let expired = server.url(&format!("/wechat/media?id={id}&expires={past}&sig={sig}"));
    assert_eq!(fetch(&expired).await.0, 404, "expired");
    verdict(&server, 1, "risky").await;
    assert_eq!(
        avatar(&server, &bob, &alice).await,
        default,
        "back to the default"
    );
    assert_eq!(fetch(&url).await.0, 404, "gone for WeChat too");
    let log = audited(&server).await;
    assert!(
        log.iter()
            .any(|e| e.starts_with("wechat take_down avatar:")),
        "{log:?}"
    );
    // The same verdict again finds no check: nothing more happens.
    verdict(&server, 1, "risky").await;
    assert_eq!(audited(&server).await.len(), log.len());
}

#[tokio::test]
async fn a_verdict_on_a_replaced_picture_takes_nothing_down() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let alice = user(&server, "alice").await;
    server.set_user_avatar(&alice, png(40, 30, 255)).await;
    server.set_user_avatar(&alice, png(50, 30, 255)).await;
    let newer = avatar(&server, &alice, &alice).await;
    verdict(&server, 1, "risky").await;
    assert_eq!(avatar(&server, &alice, &alice).await, newer);
    assert!(!audited(&server)
        .await
        .iter()
        .any(|e| e.contains("take_down")));
}

#[tokio::test]
async fn group_pictures_announcement_pictures_and_chat_images_are_taken_down() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let owner = user(&server, "owner").await;
    let member = user(&server, "member").await;
    let g = create_group(&server, &owner, "图片组").await;
    admit(&server, &owner, &member, g).await;
    server.set_group_avatar(&owner, g, png(30, 30, 255)).await;
    let picture = server.add_group_picture(&owner, g, png(31, 30, 255)).await;
    let keep = server.add_group_picture(&owner, g, png(32, 30, 255)).await;
    let announcement = server
        .add_group_announcement(&owner, g, "通知", "正文")
        .await;
    server
        .set_group_announcement_picture(&owner, g, announcement, png(33, 30, 255))
        .await;
    let image = server
        .upload_chat_file(&member, "group", g, "照片.png", png(34, 30, 255))
        .await;
    server
        .upload_chat_file(&member, "group", g, "说明.txt", b"plain text".to_vec())
        .await;
    // Five media; the text file is not one.
    assert_eq!(fake.calls().media_checks.len(), 5);
    for n in [1, 2, 4, 5] {
        verdict(&server, n, "risky").await;
    }
    verdict(&server, 3, "pass").await;
    assert_eq!(server.group_picture_ids(&owner, g).await, [keep]);
    let info = server.group_announcement(&owner, g, announcement).await;
    assert_eq!(info["has_pic"], json!(false), "{info}");
    assert_eq!(
        chat_file_status(&server, &member, g, image).await,
        404,
        "the image is gone"
    );
    let log = audited(&server).await.join("\n");
    for target in [
        format!("group_avatar:{g}:"),
        format!("group_picture:{g}:{picture}"),
        format!("announcement_picture:{g}:{announcement}:"),
        format!("chat_file:{image}"),
    ] {
        assert!(
            log.contains(&format!("wechat take_down {target}")),
            "{target}: {log}"
        );
    }
}

#[tokio::test]
async fn a_review_verdict_queues_the_media_for_the_console() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let alice = user(&server, "alice").await;
    server.set_user_avatar(&alice, png(40, 30, 255)).await;
    let shown = avatar(&server, &alice, &alice).await;
    verdict(&server, 1, "review").await;
    assert_eq!(
        avatar(&server, &alice, &alice).await,
        shown,
        "kept until people decide"
    );
    let queue = console(&server, "/debug/api/review").await;
    let target = format!("user:{}", alice.id);
    let items = queue["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["target"] == target), "{queue}");
}

#[tokio::test]
async fn pushes_must_be_signed_and_the_url_handshake_echoes() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let query = push_signature(PUSH_TOKEN, &now(), "n2");
    let res = reqwest::get(server.url(&format!("/wechat/push?{query}&echostr=hello-42")))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "hello-42");
    let forged = push(
        &server,
        "not-the-token",
        &media_verdict("media-1", "risky", 1),
    )
    .await;
    assert_eq!(forged.0, 401, "{forged:?}");
    assert!(forged.1.contains("112"), "{forged:?}");
    let unsigned = reqwest::get(server.url("/wechat/push?echostr=x"))
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 400);
    // Other events are ignored; a body that is not an event is 101.
    let other = json!({"MsgType": "event", "Event": "user_enter_tempsession"});
    assert_eq!(
        push(&server, PUSH_TOKEN, &other).await,
        (200, "success".to_owned())
    );
    let res = reqwest::Client::new()
        .post(server.url(&format!("/wechat/push?{query}")))
        .body("<xml>not json</xml>")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn without_public_url_or_push_token_media_are_not_checked_and_push_does_not_exist() {
    let fake = FakeWechat::start().await;
    let server = Server::with(fake.options(Options::dev_login())).await;
    let alice = user(&server, "alice").await;
    server.set_user_avatar(&alice, png(40, 30, 255)).await;
    assert!(fake.calls().media_checks.is_empty());
    let query = push_signature(PUSH_TOKEN, &now(), "n");
    let res = reqwest::get(server.url(&format!("/wechat/push?{query}&echostr=x")))
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn while_wechat_refuses_submissions_stay_queued_and_later_ones_retry_them() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let alice = user(&server, "alice").await;
    fake.refuse_media(true);
    server.set_user_avatar(&alice, png(40, 30, 255)).await;
    assert!(fake.calls().media_checks.is_empty(), "refused");
    fake.refuse_media(false);
    let g = create_group(&server, &alice, "重试").await;
    server.set_group_avatar(&alice, g, png(41, 30, 255)).await;
    let checks = fake.calls().media_checks;
    assert_eq!(
        checks.len(),
        2,
        "the new one and the queued one: {checks:?}"
    );
    // Both verdicts take their media down, the queued one's too.
    verdict(&server, 1, "risky").await;
    verdict(&server, 2, "risky").await;
    let log = audited(&server).await.join("\n");
    assert!(
        log.contains("take_down avatar:") && log.contains("take_down group_avatar:"),
        "{log}"
    );
}

#[tokio::test]
async fn the_picture_beside_a_chat_video_is_checked_and_takes_the_video_down() {
    let fake = FakeWechat::start().await;
    let server = media_server(&fake).await;
    let owner = user(&server, "owner").await;
    let g = create_group(&server, &owner, "视频组").await;
    let clip = include_bytes!("fixtures/clip-2s.mp4").to_vec();
    let form = reqwest::multipart::Form::new()
        .text("type", "group")
        .text("room_id", g.to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(clip).file_name("clip.mp4"),
        )
        .part(
            "thumbnail",
            reqwest::multipart::Part::bytes(png(64, 48, 255)).file_name("thumb.png"),
        );
    let (status, res) = server
        .send_form("/chat/files/upload", owner.t(), form)
        .await;
    assert_eq!(status, 200, "{res}");
    let video = res["file_id"].as_i64().unwrap();
    let (body, url) = submitted(&server, &fake, 1);
    assert_eq!(
        (body["media_type"].as_u64(), body["scene"].as_u64()),
        (Some(2), Some(2))
    );
    let (status, bytes) = fetch(&url).await;
    assert_eq!(status, 200);
    let thumb = image::load_from_memory(&bytes).expect("the thumbnail, a picture");
    assert!(thumb.width() <= 256);
    verdict(&server, 1, "risky").await;
    let log = audited(&server).await.join("\n");
    assert!(
        log.contains(&format!("wechat take_down chat_thumbnail:{video}")),
        "{log}"
    );
    assert_eq!(
        chat_file_status(&server, &owner, g, video).await,
        404,
        "the video went too"
    );
}
