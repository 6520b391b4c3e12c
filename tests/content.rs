//! WeChat content security against the fake WeChat: every text others can read is judged by
//! `msg_sec_check` before it is stored (risky: 106, nothing stored; review: stored; pass), the
//! access token is fetched once and kept, refreshed when WeChat calls it stale, a verdict is
//! reused for the same text, and while WeChat is down texts are refused (107) or, with
//! `content_check_fail_open`, stored unchecked. Without WeChat's credentials nothing is checked.

mod common;

use std::time::Duration;

use common::paths::{files, group, user};
use common::wechat::FakeWechat;
use common::ws::{self, group_path};
use common::{admit, create_group, user as sign_in, Options, Server, User};
use serde_json::{json, Value};

/// A server checking texts with `fake`, plus `extra` settings.
async fn checked_server(fake: &FakeWechat, extra: &[(&str, &str)]) -> Server {
    let mut options = fake.options(Options::dev_login());
    for (name, value) in extra {
        options = options.env(name, value);
    }
    Server::with(options).await
}

/// Every write of a text that others read, as `(path, body with TEXT in it)`; `G` is the group,
/// `F` a file of it, `T` a tag, `A` an announcement.
fn writes() -> Vec<(&'static str, Value)> {
    vec![
        (user::SET_NICKNAME, json!({"nickname": "TEXT"})),
        (user::EDIT_INFO, json!({"text": "TEXT"})),
        (user::TAG_ADD, json!({"tag_text": "TEXT"})),
        (
            user::TAG_EDIT,
            json!({"tag_id": "T_USER", "tag_text": "TEXT"}),
        ),
        (
            group::CREATE,
            json!({"type": "学习", "name": "TEXT", "user_limit": 5}),
        ),
        (group::INFO_EDIT, json!({"group_id": "G", "text": "TEXT"})),
        (group::SET_NAME, json!({"group_id": "G", "name": "TEXT"})),
        (group::TAG_ADD, json!({"group_id": "G", "tag_text": "TEXT"})),
        (
            group::TAG_EDIT,
            json!({"group_id": "G", "tag_id": "T", "tag_text": "TEXT"}),
        ),
        (
            group::NICKNAME,
            json!({"group_id": "G", "nickname": "TEXT"}),
        ),
        (
            group::ANN_ADD,
            json!({"group_id": "G", "title": "TEXT", "text": "正文"}),
        ),
        (
            group::ANN_EDIT,
            json!({"group_id": "G", "announcement_id": "A", "title": "标题", "text": "TEXT"}),
        ),
        (files::MK_DIR, json!({"group_id": "G", "name": "TEXT"})),
        (
            files::EDIT_NAME,
            json!({"group_id": "G", "file_id": "F", "name": "TEXT"}),
        ),
        (
            files::BEGIN,
            json!({"group_id": "G", "name": "TEXT", "size": 10}),
        ),
    ]
}

/// What a group creator has for the writes above.
struct Scene {
    owner: User,
    ids: Vec<(&'static str, i64)>,
}

async fn scene(server: &Server, name: &str) -> Scene {
    let owner = sign_in(server, name).await;
    let g = create_group(server, &owner, &format!("{name} 的小组")).await;
    server.add_personal_tag(&owner, "原来的标签").await;
    let t_user = server.own_personal_tags(&owner).await[0]["id"]
        .as_i64()
        .unwrap();
    server.add_group_tag(&owner, g, "原来的").await;
    let t = server.group_tags(&owner, g).await[0]["id"]
        .as_i64()
        .unwrap();
    let a = server
        .add_group_announcement(&owner, g, "标题", "正文")
        .await;
    server.make_folder(&owner, g, None, "原来的文件夹").await;
    let f = server.list_folder(&owner, g, None).await[0]["id"]
        .as_i64()
        .unwrap();
    let ids = vec![("G", g), ("T_USER", t_user), ("T", t), ("A", a), ("F", f)];
    Scene { owner, ids }
}

/// `body` with TEXT replaced by `text` and the placeholders by the scene's ids.
fn fill(body: &Value, text: &str, scene: &Scene) -> Value {
    let mut body = body.clone();
    for value in body.as_object_mut().unwrap().values_mut() {
        if value == "TEXT" {
            *value = json!(text);
        } else if let Some((_, id)) = scene.ids.iter().find(|(k, _)| value == k) {
            *value = json!(id);
        }
    }
    body
}

/// Everything the scene's owner can read of what they wrote, to see that a refusal changed
/// nothing.
async fn readable(server: &Server, s: &Scene) -> Value {
    let g = s.ids[0].1;
    json!({
        "profile": server.own_profile(&s.owner).await,
        "tags": server.own_personal_tags(&s.owner).await,
        "group": server.group_profile(&s.owner, g).await,
        "group_tags": server.group_tags(&s.owner, g).await,
        "announcements": server.group_announcements(&s.owner, g).await,
        "files": server.ok(files::GET_DIR, &s.owner.token, json!({"group_id": g})).await,
        "members": server.ok(group::MEMBERS, &s.owner.token, json!({"group_id": g})).await,
        "groups": server.ok(group::MY_GROUPS, &s.owner.token, json!({"type": ""})).await,
    })
}

const ADMIN: &str = "admin-token-for-content-0123456789";

/// The console's review queue.
async fn review_queue(server: &Server, admin: &str) -> Value {
    let res = reqwest::Client::new()
        .get(server.url("/debug/api/review"))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    res.json().await.unwrap()
}

#[tokio::test]
async fn risky_text_is_refused_everywhere_and_nothing_is_stored() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[]).await;
    let s = scene(&server, "risky").await;
    let before = readable(&server, &s).await;
    for (n, (path, body)) in writes().into_iter().enumerate() {
        let body = fill(&body, &format!("RISKY{n}"), &s);
        let answer = server.fails(path, s.owner.t(), body, 106, 400).await;
        assert!(
            answer["errorMsg"].as_str().unwrap().contains("时政"),
            "{path}: {answer}"
        );
    }
    assert_eq!(
        readable(&server, &s).await,
        before,
        "a refused text changed something"
    );
    let checked = fake.checked_texts();
    for (n, (path, _)) in writes().into_iter().enumerate() {
        let text = format!("RISKY{n}");
        let seen = checked
            .iter()
            .any(|t| t.split('\n').any(|line| line == text));
        assert!(seen, "{path} was not checked: {checked:?}");
    }
}

#[tokio::test]
async fn passing_and_review_texts_are_stored_and_carry_the_authors_openid_and_scene() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[]).await;
    let s = scene(&server, "passing").await;
    for (n, (path, body)) in writes().into_iter().enumerate() {
        for verdict in ["好", "REVIEW"] {
            let body = fill(&body, &format!("{verdict}{n}"), &s);
            server.ok(path, &s.owner.token, body).await;
        }
    }
    let after = readable(&server, &s).await.to_string();
    assert!(
        after.contains("REVIEW5") && after.contains("REVIEW12"),
        "{after}"
    );
    let calls = fake.calls();
    assert_eq!(calls.tokens, 1, "one access token for every check");
    let scenes = |text: &str| {
        let call = calls
            .text_checks
            .iter()
            .find(|c| c["content"] == text)
            .unwrap();
        assert_eq!(call["openid"], "passing", "{call}");
        call["scene"].as_u64().unwrap()
    };
    assert_eq!(scenes("好0"), 1, "a nickname is a profile");
    assert_eq!(scenes("好5"), 3, "a group intro is a forum post");
    // The setup's texts were checked too.
    assert!(fake.checked_texts().contains(&"原来的文件夹".to_owned()));
}

#[tokio::test]
async fn a_refused_writer_costs_no_check() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[]).await;
    let owner = sign_in(&server, "owner").await;
    let outsider = sign_in(&server, "outsider").await;
    let member = sign_in(&server, "member").await;
    let g = create_group(&server, &owner, "严格的组").await;
    admit(&server, &owner, &member, g).await;
    let refusals = [
        (
            &outsider,
            group::INFO_EDIT,
            json!({"group_id": g, "text": "RISKY 1"}),
            303,
        ),
        (
            &member,
            group::INFO_EDIT,
            json!({"group_id": g, "text": "RISKY 2"}),
            303,
        ),
        (
            &member,
            group::SET_NAME,
            json!({"group_id": g, "name": "RISKY 3"}),
            303,
        ),
        (
            &outsider,
            files::MK_DIR,
            json!({"group_id": g, "name": "RISKY 4"}),
            303,
        ),
        (
            &owner,
            group::INFO_EDIT,
            json!({"group_id": 999999, "text": "RISKY 5"}),
            301,
        ),
        (
            &owner,
            user::EDIT_INFO,
            json!({"text": "RISKY".repeat(200)}),
            101,
        ),
    ];
    for (who, path, body, code) in refusals {
        let status = if code == 101 {
            400
        } else if code == 301 {
            404
        } else {
            403
        };
        server.fails(path, who.t(), body, code, status).await;
    }
    assert_eq!(fake.checked_texts(), vec!["严格的组".to_owned()]);
}

#[tokio::test]
async fn the_access_token_is_kept_refreshed_when_stale_and_a_verdict_is_reused() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[]).await;
    let a = sign_in(&server, "a").await;
    for text in ["一", "二", "三"] {
        server.edit_profile_text(&a, text).await;
    }
    assert_eq!(fake.calls().tokens, 1);
    // The same text again within the reuse time: no second check.
    server.edit_profile_text(&a, "一").await;
    assert_eq!(fake.checked_texts(), ["一", "二", "三"]);
    // WeChat calls the token stale (40001): a fresh one, and the call made once more.
    fake.expire_token();
    server.edit_profile_text(&a, "四").await;
    assert_eq!(fake.calls().tokens, 2);
    assert_eq!(
        fake.calls().forced,
        1,
        "the refused token is replaced by force"
    );
    assert_eq!(fake.checked_texts().last().unwrap(), "四");
    server.edit_profile_text(&a, "五").await;
    assert_eq!(fake.calls().tokens, 2, "the fresh token is kept");
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_before_it_is_used() {
    let fake = FakeWechat::start().await;
    // Within the five minutes before expiry a token counts as expired.
    fake.token_seconds(299);
    let server = checked_server(&fake, &[]).await;
    let a = sign_in(&server, "a").await;
    server.edit_profile_text(&a, "一").await;
    server.edit_profile_text(&a, "二").await;
    assert_eq!(fake.calls().tokens, 2, "one token per check");
    assert_eq!(fake.calls().token_calls, 2);
    fake.token_seconds(7200);
    server.edit_profile_text(&a, "三").await;
    server.edit_profile_text(&a, "四").await;
    assert_eq!(fake.calls().token_calls, 3, "a lasting one is kept");
}

#[tokio::test]
async fn verdicts_expire_after_their_reuse_time() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[("ZUDUI_CONTENT_VERDICT_SECONDS", "1")]).await;
    let a = sign_in(&server, "a").await;
    server.edit_profile_text(&a, "同一句话").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    server.edit_profile_text(&a, "同一句话").await;
    assert_eq!(fake.checked_texts(), ["同一句话", "同一句话"]);
}

#[tokio::test]
async fn while_wechat_is_down_texts_are_refused_unless_failing_open() {
    for (fail_open, expect_stored) in [("0", false), ("1", true)] {
        let fake = FakeWechat::start().await;
        let server = checked_server(&fake, &[("ZUDUI_CONTENT_CHECK_FAIL_OPEN", fail_open)]).await;
        let a = sign_in(&server, "a").await;
        server.edit_profile_text(&a, "之前").await;
        // WeChat refusing to judge is the same as WeChat unreachable.
        let broken = json!({"text": "BROKEN 文本"});
        fake.stop();
        let down = json!({"text": "WeChat 不在"});
        for body in [broken, down] {
            let text = body["text"].as_str().unwrap().to_owned();
            if expect_stored {
                server.ok(user::EDIT_INFO, &a.token, body).await;
                assert_eq!(server.own_profile(&a).await["info"], text);
            } else {
                server.fails(user::EDIT_INFO, a.t(), body, 107, 503).await;
                assert_eq!(server.own_profile(&a).await["info"], "之前");
            }
            if text.starts_with("BROKEN") {
                // Only the first is asked of WeChat: then it stops.
                continue;
            }
        }
    }
}

#[tokio::test]
async fn chat_texts_are_judged_before_they_are_posted() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[]).await;
    let owner = sign_in(&server, "owner").await;
    let member = sign_in(&server, "member").await;
    let g = create_group(&server, &owner, "聊天").await;
    admit(&server, &owner, &member, g).await;
    let wait = Duration::from_secs(10);
    let base = server.ws_base();
    let mut listener = ws::connect(&base, &member, &group_path(g), wait).await;
    let mut speaker = ws::connect(&base, &owner, &group_path(g), wait).await;
    ws::say(&mut speaker, "RISKY 的话").await;
    let refusal = ws::next_json(&mut speaker, wait).await;
    assert_eq!(refusal["code"], 106, "{refusal}");
    ws::say(&mut speaker, "你好 REVIEW").await;
    ws::say(&mut speaker, "大家好").await;
    let first = ws::next_live(&mut listener, wait).await;
    let second = ws::next_live(&mut listener, wait).await;
    assert_eq!(
        [ws::content(&first), ws::content(&second)],
        ["你好 REVIEW", "大家好"]
    );
    let texts = fake.checked_texts();
    assert!(texts.contains(&"RISKY 的话".to_owned()) && texts.contains(&"大家好".to_owned()));
    let call = fake
        .calls()
        .text_checks
        .into_iter()
        .find(|c| c["content"] == "大家好")
        .unwrap();
    assert_eq!(
        (call["openid"].as_str(), call["scene"].as_u64()),
        (Some("owner"), Some(2))
    );
    // Nothing of the risky one was stored: a new socket's history has the other two alone.
    let mut again = ws::connect(&base, &member, &group_path(g), wait).await;
    let history = [
        ws::next_json(&mut again, wait).await,
        ws::next_json(&mut again, wait).await,
    ];
    assert_eq!(
        [ws::content(&history[0]), ws::content(&history[1])],
        ["你好 REVIEW", "大家好"]
    );
    ws::quiet(&mut again, Duration::from_millis(300), "history").await;
}

#[tokio::test]
async fn each_check_costs_the_author_a_text_check_token() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[("ZUDUI_RATE_LIMITS", "text_check=2/1")]).await;
    let a = sign_in(&server, "a").await;
    server.edit_profile_text(&a, "一").await;
    server.edit_profile_text(&a, "二").await;
    server.edit_profile_text(&a, "一").await; // a kept verdict costs nothing
    let body = json!({"text": "三"});
    server.fails(user::EDIT_INFO, a.t(), body, 105, 429).await;
    assert_eq!(fake.checked_texts(), ["一", "二"]);
}

#[tokio::test]
async fn without_wechat_credentials_or_with_checks_off_nothing_is_checked() {
    let plain = Server::start().await;
    let a = sign_in(&plain, "a").await;
    plain.edit_profile_text(&a, "RISKY 但没人检查").await;
    let fake = FakeWechat::start().await;
    let off = checked_server(&fake, &[("ZUDUI_CONTENT_CHECK", "0")]).await;
    let b = sign_in(&off, "b").await;
    off.edit_profile_text(&b, "RISKY 但关掉了").await;
    assert!(fake.checked_texts().is_empty());
    assert_eq!(fake.calls().tokens, 0);
}

#[tokio::test]
async fn texts_wechat_wants_reviewed_are_queued_with_what_they_were_stored_as() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[("ZUDUI_ADMIN_TOKEN", ADMIN)]).await;
    let owner = sign_in(&server, "owner").await;
    let g = create_group(&server, &owner, "普通的组").await;
    server.edit_profile_text(&owner, "REVIEW 简介").await;
    server.edit_group_intro(&owner, g, "REVIEW 群简介").await;
    let a = server
        .add_group_announcement(&owner, g, "REVIEW 公告", "正文")
        .await;
    server.make_folder(&owner, g, None, "REVIEW 文件夹").await;
    let f = server.list_folder(&owner, g, None).await[0]["id"]
        .as_i64()
        .unwrap();
    let wait = Duration::from_secs(10);
    let mut socket = ws::connect(&server.ws_base(), &owner, &group_path(g), wait).await;
    ws::say(&mut socket, "REVIEW 聊天").await;
    let message = ws::id(&ws::next_live(&mut socket, wait).await);
    let queue = review_queue(&server, ADMIN).await;
    let targets: Vec<&str> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["target"].as_str().unwrap())
        .collect();
    let expected = [
        format!("user:{}", owner.id),
        format!("group:{g}"),
        format!("announcement:{g}:{a}"),
        format!("file:{f}"),
        format!("message:group:{g}:{message}"),
    ];
    for target in &expected {
        assert!(
            targets.contains(&target.as_str()),
            "{target} not in {queue}"
        );
    }
    assert_eq!(targets.len(), expected.len(), "{queue}");
}

#[tokio::test]
async fn failing_open_stores_unchecked_texts_and_queues_them_for_people() {
    let fake = FakeWechat::start().await;
    let extra = [
        ("ZUDUI_ADMIN_TOKEN", ADMIN),
        ("ZUDUI_CONTENT_CHECK_FAIL_OPEN", "1"),
    ];
    let server = checked_server(&fake, &extra).await;
    let a = sign_in(&server, "a").await;
    fake.stop();
    server.edit_profile_text(&a, "没人检查的简介").await;
    let queue = review_queue(&server, ADMIN).await;
    let item = &queue["items"][0];
    assert_eq!(item["target"], format!("user:{}", a.id), "{queue}");
    assert!(queue.to_string().contains("未经微信检查"), "{queue}");
}

#[tokio::test]
async fn past_the_apps_hourly_budget_texts_are_as_if_wechat_were_down() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[("ZUDUI_WECHAT_CALLS_PER_HOUR", "2")]).await;
    let a = sign_in(&server, "a").await;
    let b = sign_in(&server, "b").await;
    server.edit_profile_text(&a, "一").await;
    server.edit_profile_text(&b, "二").await;
    let body = json!({"text": "三"});
    server.fails(user::EDIT_INFO, a.t(), body, 107, 503).await;
    // A text judged recently costs nothing, so it still goes through.
    server.edit_profile_text(&b, "一").await;
    assert_eq!(fake.checked_texts(), ["一", "二"]);
}

#[tokio::test]
async fn chat_texts_do_not_spend_the_text_check_allowance() {
    let fake = FakeWechat::start().await;
    let server = checked_server(&fake, &[("ZUDUI_RATE_LIMITS", "text_check=1/1")]).await;
    let owner = sign_in(&server, "owner").await;
    let g = create_group(&server, &owner, "聊得很多").await;
    let wait = Duration::from_secs(10);
    let mut socket = ws::connect(&server.ws_base(), &owner, &group_path(g), wait).await;
    for text in ["第一句", "第二句", "第三句"] {
        ws::say(&mut socket, text).await;
        assert_eq!(ws::content(&ws::next_live(&mut socket, wait).await), text);
    }
}
