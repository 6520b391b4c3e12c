//! What an orchestrator and an operator ask of either host (issue 19): `/healthz` and `/readyz`,
//! and the request id every answer carries (`x-request-id`), which a 100's body repeats so that a
//! user's report finds the server's log line.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::paths::user;
use common::{Options, Server};
use serde_json::{json, Value};

async fn get(server: &Server, path: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let res = server.get(path, &[]).await;
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.expect("JSON"))
}

#[tokio::test]
async fn the_probes_say_alive_and_ready() {
    let server = Server::start().await;
    let (status, headers, body) = get(&server, "/healthz").await;
    assert_eq!((status, body), (200, json!({ "status": "ok" })));
    assert_eq!(headers["cache-control"], "no-store");

    let (status, _, body) = get(&server, "/readyz").await;
    assert_eq!((status, &body["status"]), (200, &json!("ready")), "{body}");
    let checks = &body["checks"];
    for part in ["settings", "database", "key_value", "file_store"] {
        assert_eq!(checks[part], true, "{part}: {body}");
    }
    // Natively nothing is relayed; in front of Spin the relay answers.
    assert_ne!(checks["relay"], false, "{body}");
    // Only GET.
    let (status, value) = server.post("/readyz", None, json!({})).await;
    assert_eq!((status, &value["code"]), (405, &json!(103)), "{value}");
}

/// An object store that answers every request with 500, counting them.
async fn broken_object_store() -> (String, Arc<AtomicUsize>) {
    let asked = Arc::new(AtomicUsize::new(0));
    let counted = asked.clone();
    let app = axum::Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down") }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, asked)
}

#[tokio::test]
async fn readiness_fails_while_object_storage_fails_and_asks_it_once_a_minute() {
    let (endpoint, asked) = broken_object_store().await;
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_BLOB_STORE", "s3")
            .env("ZUDUI_S3_ENDPOINT", &endpoint)
            .env("ZUDUI_S3_BUCKET", "zudui")
            .env("ZUDUI_S3_ACCESS_KEY", "AKIDEXAMPLE")
            .env("ZUDUI_S3_SECRET_KEY", "s3-secret-example"),
    )
    .await;
    for _ in 0..3 {
        let (status, _, body) = get(&server, "/readyz").await;
        assert_eq!(
            (status, &body["status"]),
            (503, &json!("unready")),
            "{body}"
        );
        let checks = &body["checks"];
        assert_eq!(
            (&checks["file_store"], &checks["database"]),
            (&json!(false), &json!(true)),
            "{body}"
        );
        // The cause is the log's, not the caller's.
        assert!(!body.to_string().contains("500"), "{body}");
    }
    // Each look is an outbound request (hosted Spin counts them): one for all three probes (a
    // bad answer stands a minute).
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    // Alive all the same: restarting would not mend the store.
    let (status, _, _) = get(&server, "/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let server = Server::start().await;
    let ask = |id: Option<&'static str>, path: &'static str| {
        let mut req = server.client.post(server.url(path)).json(&json!({}));
        if let Some(id) = id {
            req = req.header("x-request-id", id);
        }
        async move {
            let res = req.send().await.expect("request");
            let id = res
                .headers()
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                res.status().as_u16(),
                id.expect("x-request-id on every answer"),
            )
        }
    };
    // A sane id of the client's is kept (a proxy's, say), on successes and refusals alike.
    let (status, id) = ask(Some("edge-7f3a:1"), "/auth/checkLogin").await;
    assert_eq!((status, id.as_str()), (401, "edge-7f3a:1"));
    let (status, id) = ask(Some("edge-7f3a:2"), "/no/such/path").await;
    assert_eq!((status, id.as_str()), (404, "edge-7f3a:2"));
    // Otherwise one is made: 32 hex digits, new each time.
    let long: &'static str = Box::leak("x".repeat(65).into_boxed_str());
    let mut made = Vec::new();
    for given in [None, Some(long), Some("a\"b"), Some("")] {
        let (_, id) = ask(given, "/auth/checkLogin").await;
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{given:?} gave {id}"
        );
        made.push(id);
    }
    made.sort();
    made.dedup();
    assert_eq!(made.len(), 4, "ids are new each time");
}

#[tokio::test]
async fn an_internal_error_names_its_request() {
    let server = Server::start().await;
    let token = server.login("broken").await;
    // Storage that fails: every new personal tag is refused by the database itself.
    server
        .sqlite()
        .execute_batch(
            "CREATE TRIGGER broken BEFORE INSERT ON user_tags BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
        )
        .expect("trigger");
    let res = server
        .client
        .post(server.url(user::TAG_ADD))
        .header("token", &token)
        .header("x-request-id", "report-me-42")
        .json(&json!({ "tag_text": "篮球" }))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 500);
    assert_eq!(res.headers()["x-request-id"], "report-me-42");
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(body["code"], 100, "{body}");
    assert_eq!(body["request_id"], "report-me-42", "{body}");
    // The cause stays in the log.
    assert!(!body.to_string().contains("fire"), "{body}");
    // Other codes carry no id in their body (the header has it).
    let (_, refused) = server.post(user::TAG_ADD, Some(&token), json!({})).await;
    assert_eq!(
        (&refused["code"], &refused["request_id"]),
        (&json!(101), &Value::Null)
    );
}

/// A setting that does not parse: the native server reads every setting at start and does not
/// start; a Spin component reads each group when a request first needs it, so there `/readyz`
/// reads them all and says the instance is not ready (while `/healthz` says it runs).
#[tokio::test]
async fn a_broken_setting_is_seen_before_traffic() {
    let broken = ("ZUDUI_TRUSTED_PROXIES", "not-a-network");
    match common::Host::current() {
        common::Host::Native => {
            let data = tempfile::tempdir().unwrap();
            let out = std::process::Command::new(common::binary())
                .env_clear()
                .env("ZUDUI_DATA_DIR", data.path())
                .env("ZUDUI_LISTEN", "127.0.0.1:0")
                .env(broken.0, broken.1)
                .output()
                .expect("zudui runs");
            assert!(!out.status.success());
            let said = String::from_utf8_lossy(&out.stderr);
            assert!(said.contains("trusted_proxies"), "{said}");
        }
        common::Host::Spin => {
            let server = Server::with(Options::dev_login().env(broken.0, broken.1)).await;
            let (status, _, body) = get(&server, "/readyz").await;
            assert_eq!(
                (status, &body["checks"]["settings"]),
                (503, &json!(false)),
                "{body}"
            );
            assert_eq!(body["checks"]["database"], true, "{body}");
            let (status, _, _) = get(&server, "/healthz").await;
            assert_eq!(status, 200);
        }
    }
}
