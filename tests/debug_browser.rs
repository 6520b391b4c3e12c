//! The admin console end to end in real headless Chromium (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs), driven over WebDriver: sign in, open a table,
//! edit a user's nickname, delete a tag, see both through the public API, sign out. The
//! dashboard's screenshot is kept in `target/test-artifacts/`.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{user, Options, Server};
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
    let artifacts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let png = c.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(artifacts.join("debug-dashboard.png"), png).unwrap();

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
