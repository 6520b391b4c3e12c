//! The admin console end to end in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `tests/run.sh` installs), driven over WebDriver: sign in, open a
//! table, edit a user's nickname, delete a tag, see both through the public API, sign out; and a
//! group's page with its pictures, members and the group's deletion; the review queue, where a
//! reported profile is removed and its author banned; a user's data exported and their account
//! deleted from their page. Screenshots of the dashboard
//! and of a group are kept in `target/test-artifacts/`.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{admit, create_group, png, user, Options, Server};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

const ADMIN: &str = "admin-token-for-browser-0123456789";
const WAIT: Duration = Duration::from_secs(15);

/// chromedriver on a free port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is not installed (apt-get install chromium chromium-driver)");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    driver
}

async fn browser(driver: &Driver) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900"],
        }),
    );
    // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

async fn find(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear: {e}"))
}

/// Waits until the element's text satisfies `ok`.
async fn until_text(c: &Client, css: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Ok(element) = c.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if ok(&text) {
                    return text;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} never had the expected text"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the row of the open table whose text contains `text`.
async fn click_row(c: &Client, text: &str) {
    until_text(c, "#rows tbody", |t| t.contains(text)).await;
    for row in c
        .find_all(Locator::Css("#rows tbody tr"))
        .await
        .expect("rows")
    {
        if row.text().await.unwrap_or_default().contains(text) {
            row.click().await.expect("click row");
            return;
        }
    }
    panic!("no row with {text}");
}

async fn open_table(c: &Client, table: &str) {
    find(c, "#nav-table")
        .await
        .select_by_value(table)
        .await
        .expect("select table");
    until_text(c, "#view h2", |t| t == table).await;
}

async fn sign_in(c: &Client, server: &Server) {
    c.goto(&server.url("/debug")).await.expect("open /debug");
    find(c, "#token").await.send_keys(ADMIN).await.unwrap();
    find(c, "#signin-button").await.click().await.unwrap();
    until_text(c, "#dashboard", |t| t.contains("用户")).await;
}

/// Keeps a screenshot of the page as `target/test-artifacts/<name>`.
async fn screenshot(c: &Client, name: &str) {
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(artifacts.join(name), png).unwrap();
}

/// Waits until the images under `css` number `n` and have all loaded (decoded, non-empty).
async fn images_loaded(c: &Client, css: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    let script = format!(
        "const imgs = [...document.querySelectorAll({css:?})];
         return imgs.filter((i) => i.complete && i.naturalWidth > 0).length + '/' + imgs.length;"
    );
    loop {
        let got = c.execute(&script, vec![]).await.expect("script");
        if got == json!(format!("{n}/{n}")) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "images under {css}: {got}, expected {n} loaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_operator_edits_a_user_and_deletes_a_tag_in_the_browser() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    let alice = user(&server, "browser-alice").await;
    server
        .ok(
            "/user/info/tag/add",
            &alice.token,
            json!({ "tag_text": "登山" }),
        )
        .await;
    let driver = driver().await;
    let c = browser(&driver).await;

    // Sign in: a wrong token is refused, the right one opens the dashboard.
    c.goto(&server.url("/debug")).await.expect("open /debug");
    find(&c, "#token").await.send_keys("wrong").await.unwrap();
    find(&c, "#signin-button").await.click().await.unwrap();
    until_text(&c, "#signin-message", |t| !t.is_empty()).await;
    let token = find(&c, "#token").await;
    token.clear().await.unwrap();
    token.send_keys(ADMIN).await.unwrap();
    find(&c, "#signin-button").await.click().await.unwrap();
    until_text(&c, "#dashboard", |t| t.contains("用户")).await;
    screenshot(&c, "debug-dashboard.png").await;

    // Edit the user's nickname in the users table.
    open_table(&c, "users").await;
    click_row(&c, "browser-alice").await;
    let nickname = find(&c, "#edit-nickname").await;
    nickname.clear().await.unwrap();
    nickname.send_keys("浏览器里改的").await.unwrap();
    find(&c, "#save").await.click().await.unwrap();
    until_text(&c, "#message", |t| t == "已保存").await;
    let info = server
        .ok("/user/info/text/getInfo", &alice.token, json!({}))
        .await;
    assert_eq!(info["nickname"], "浏览器里改的", "{info}");

    // Delete the tag from the user_tags table (confirming the dialog).
    open_table(&c, "user_tags").await;
    click_row(&c, "登山").await;
    find(&c, "#delete").await.click().await.unwrap();
    c.accept_alert().await.expect("the confirmation dialog");
    until_text(&c, "#message", |t| t == "已保存").await;
    let tags = server
        .ok("/user/info/tag/get", &alice.token, json!({}))
        .await;
    assert_eq!(tags["tags"], json!([]), "{tags}");

    // Both writes are in the audit log, by the console.
    find(&c, "#nav-audit").await.click().await.unwrap();
    let log = until_text(&c, "#audit tbody", |t| t.contains("delete")).await;
    assert!(log.contains(&format!("users:{}", alice.id)), "{log}");

    // Sign out: back to the sign-in form, and the old page can read nothing.
    find(&c, "#signout").await.click().await.unwrap();
    find(&c, "#signin:not(.hidden)").await;
    c.goto(&server.url("/debug")).await.unwrap();
    find(&c, "#signin:not(.hidden)").await;
    c.close().await.expect("close the browser");
}

#[tokio::test]
async fn an_operator_looks_after_a_group_in_the_browser() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    let alice = user(&server, "page-alice").await;
    let bob = user(&server, "page-bob").await;
    let group = create_group(&server, &alice, "浏览器里的群").await;
    admit(&server, &alice, &bob, group).await;
    let id = group.to_string();
    for path in [
        "/group/internal/info/avatar/add",
        "/group/internal/info/picture/add",
    ] {
        let field = if path.contains("avatar") {
            "avatar"
        } else {
            "pic"
        };
        let (status, res) = server
            .upload(
                path,
                Some(&alice.token),
                field,
                png(64, 48, 255),
                &[("group_id", &id)],
            )
            .await;
        assert_eq!(
            (status, res["code"].as_i64()),
            (200, Some(0)),
            "{path}: {res}"
        );
    }
    let driver = driver().await;
    let c = browser(&driver).await;
    sign_in(&c, &server).await;

    // The group's page, found by id: its avatar and intro picture shown as images.
    find(&c, "#find-kind")
        .await
        .select_by_value("group")
        .await
        .unwrap();
    find(&c, "#find-id").await.send_keys(&id).await.unwrap();
    find(&c, "#nav-find button").await.click().await.unwrap();
    until_text(&c, "#group-title", |t| t.contains("浏览器里的群")).await;
    images_loaded(&c, ".profile img, #group-pictures img", 2).await;
    until_text(&c, "#group-members", |t| {
        t.contains("群主") && t.contains("成员")
    })
    .await;
    screenshot(&c, "debug-group.png").await;

    // Bob is made an admin from the members list; the API sees it.
    find(&c, "#group-members tbody tr:nth-child(2) button")
        .await
        .click()
        .await
        .unwrap();
    until_text(&c, "#message", |t| t == "已保存").await;
    until_text(&c, "#group-members", |t| t.contains("管理员")).await;
    let members = server
        .ok(
            "/group/internal/member/get",
            &bob.token,
            json!({ "group_id": group }),
        )
        .await;
    assert!(members.to_string().contains(&bob.id), "{members}");
    let view = server
        .client
        .get(server.url(&format!("/debug/api/group?group_id={group}")))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(view["members"][1]["role"], "admin", "{view}");

    // From a member to their user page, and back to the group.
    find(&c, "#group-members tbody tr:nth-child(2) a.user-link")
        .await
        .click()
        .await
        .unwrap();
    until_text(&c, "#user-groups", |t| {
        t.contains("浏览器里的群") && t.contains("管理员")
    })
    .await;
    images_loaded(&c, ".profile img", 1).await;
    find(&c, "#user-groups a.group-link")
        .await
        .click()
        .await
        .unwrap();
    until_text(&c, "#group-title", |t| t.contains("浏览器里的群")).await;

    // Deleting the group (confirmed) takes it away from the API too.
    find(&c, "#group-delete").await.click().await.unwrap();
    c.accept_alert().await.expect("the confirmation dialog");
    until_text(&c, "#message", |t| t == "已删除").await;
    find(&c, "#dashboard").await;
    let (status, res) = server
        .post(
            "/group/internal/info/text/get",
            Some(&alice.token),
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(res["code"], 301, "{status} {res}");
    c.close().await.expect("close the browser");
}

#[tokio::test]
async fn an_operator_works_through_the_review_queue_in_the_browser() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    let spammer = user(&server, "queue-spammer").await;
    let reporter = user(&server, "queue-reporter").await;
    server.set_account_nickname(&spammer, "加我领红包").await;
    server.report_user(&reporter, &spammer.id, "广告骚扰").await;
    let driver = driver().await;
    let c = browser(&driver).await;
    sign_in(&c, &server).await;

    // The queue lists the report: what, who, why.
    find(&c, "#nav-review").await.click().await.unwrap();
    let queue = until_text(&c, "#review tbody", |t| t.contains("广告骚扰")).await;
    assert!(
        queue.contains("加我领红包") && queue.contains("用户"),
        "{queue}"
    );
    screenshot(&c, "debug-review.png").await;

    // Remove the profile's content (confirmed): the API shows the default nickname.
    find(&c, "#review tbody button.danger")
        .await
        .click()
        .await
        .unwrap();
    c.accept_alert().await.expect("the confirmation dialog");
    until_text(&c, "#message", |t| t == "已删除内容").await;
    find(&c, "#review-empty").await;
    let info = server
        .ok("/user/info/text/getInfo", &spammer.token, json!({}))
        .await;
    assert_ne!(info["nickname"], "加我领红包", "{info}");

    // Reported again, the author is banned for good from the queue: their token stops working.
    server.report_user(&reporter, &spammer.id, "又来了").await;
    find(&c, "#nav-review").await.click().await.unwrap();
    until_text(&c, "#review tbody", |t| t.contains("又来了")).await;
    let ban_for = find(&c, "#review tbody select[id^=review-ban-for]").await;
    ban_for.select_by_value("").await.unwrap();
    find(&c, "#review tbody button[id^=review-ban-]")
        .await
        .click()
        .await
        .unwrap();
    c.accept_alert().await.expect("the confirmation dialog");
    until_text(&c, "#message", |t| t == "已封禁").await;
    server
        .fails(
            "/user/info/text/getInfo",
            Some(&spammer.token),
            json!({}),
            112,
            401,
        )
        .await;

    // Lifted from the form below the queue; the audit log has every verdict.
    find(&c, "#review-user")
        .await
        .send_keys(&spammer.id)
        .await
        .unwrap();
    find(&c, "#review-unban").await.click().await.unwrap();
    until_text(&c, "#message", |t| t == "已解封").await;
    server
        .ok("/user/info/text/getInfo", &spammer.token, json!({}))
        .await;
    find(&c, "#nav-audit").await.click().await.unwrap();
    let log = until_text(&c, "#audit tbody", |t| t.contains("unban")).await;
    assert!(
        log.contains("review") && log.contains(&format!("users:{}", spammer.id)),
        "{log}"
    );
    c.close().await.expect("close the browser");
}

#[tokio::test]
async fn an_operator_exports_and_deletes_an_account_in_the_browser() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    let carol = user(&server, "page-carol").await;
    let dave = user(&server, "page-dave").await;
    let group = create_group(&server, &carol, "要交接的群").await;
    admit(&server, &carol, &dave, group).await;
    let driver = driver().await;
    let c = browser(&driver).await;
    sign_in(&c, &server).await;

    // Carol's page, found by id.
    find(&c, "#find-kind")
        .await
        .select_by_value("user")
        .await
        .unwrap();
    find(&c, "#find-id")
        .await
        .send_keys(&carol.id)
        .await
        .unwrap();
    find(&c, "#nav-find button").await.click().await.unwrap();
    until_text(&c, "#user-groups", |t| t.contains("要交接的群")).await;

    // Her data, exported on the page.
    find(&c, "#user-export-button").await.click().await.unwrap();
    until_text(&c, "#message", |t| t == "已导出").await;
    until_text(&c, "#user-export", |t| {
        t.contains("page-carol") && t.contains("要交接的群")
    })
    .await;

    // Her account, deleted (confirmed): her token is refused, Dave holds the group.
    find(&c, "#user-delete").await.click().await.unwrap();
    c.accept_alert().await.expect("the confirmation dialog");
    until_text(&c, "#message", |t| t == "已注销").await;
    find(&c, "#dashboard").await;
    let (status, res) = server
        .post("/user/info/text/getInfo", Some(&carol.token), json!({}))
        .await;
    assert_eq!((status, &res["code"]), (401, &json!(112)), "{res}");
    let page = server
        .ok(
            "/group/internal/info/text/get",
            &dave.token,
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(page["my_role"], "creator", "{page}");
    let audit = server
        .client
        .get(server.url("/debug/api/audit"))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let target = format!("users:{}", carol.id);
    let actions: Vec<_> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["target"] == target.as_str())
        .map(|e| (e["actor"].clone(), e["action"].clone()))
        .collect();
    assert_eq!(
        actions,
        [
            (json!("console"), json!("delete")),
            (json!("console"), json!("export"))
        ]
    );
    c.close().await.expect("close the browser");
}
