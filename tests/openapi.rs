//! The OpenAPI document (`shared/openapi.json`, served at `/openapi.json`) against the server:
//! it is served as it is in the repository, it is well formed (OpenAPI 3.1, every `$ref`
//! resolves, every operation has responses, every listed code exists and has its status), every
//! documented operation is routed with the documented method and no other, and every path the
//! routers match is documented.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Options, Server};
use serde_json::Value;
use zudui_shared::error::Code;
use zudui_shared::routes::{self, table::Input};

const DOCUMENT: &str = include_str!("../shared/openapi.json");
const ADMIN: &str = "openapi-admin-token-0123456789";
const RELAY_SECRET: &str = "openapi-relay-secret-0123456789";

/// The HTTP methods an OpenAPI path item may list.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// The methods tried on every path to see that only the documented ones are routed.
const PROBED: [&str; 5] = ["get", "post", "put", "delete", "patch"];

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("shared/openapi.json is JSON")
}

/// `(path, method, operation)` of every documented operation.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_owned(), op.clone()));
            }
        }
    }
    out
}

/// Every `$ref` in `value`, with where it was found.
fn refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("$ref", Value::String(target)) => out.push((at.to_owned(), target.clone())),
                    _ => refs(v, &format!("{at}/{key}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_served_and_well_formed() {
    let server = Server::start().await;
    let res = server.get("/openapi.json", &[]).await;
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert_eq!(
        res.text().await.unwrap(),
        DOCUMENT,
        "GET /openapi.json is not shared/openapi.json"
    );
    let (status, body) = server
        .post("/openapi.json", None, serde_json::json!({}))
        .await;
    assert_eq!((status, &body["code"]), (405, &serde_json::json!(103)));

    let doc = document();
    let version = doc["openapi"].as_str().expect("openapi");
    assert!(version.starts_with("3.1"), "openapi is {version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());

    let mut found = Vec::new();
    refs(&doc, "#", &mut found);
    assert!(!found.is_empty());
    let unresolved: Vec<String> = found
        .iter()
        .filter(|(_, target)| {
            let pointer = target.strip_prefix('#').unwrap_or("not local");
            doc.pointer(pointer).is_none()
        })
        .map(|(at, target)| format!("{at}: {target}"))
        .collect();
    assert!(unresolved.is_empty(), "unresolved $ref: {unresolved:#?}");

    let mut ids = BTreeSet::new();
    for (path, method, op) in operations(&doc) {
        let name = format!("{} {path}", method.to_uppercase());
        let id = op["operationId"].as_str().unwrap_or_default();
        assert!(
            ids.insert(id.to_owned()),
            "{name}: operationId {id:?} twice"
        );
        let responses = op["responses"].as_object();
        assert!(
            responses.is_some_and(|r| !r.is_empty()),
            "{name} has no responses"
        );
        let responses = responses.unwrap();
        let codes = op["x-codes"].as_array();
        assert!(codes.is_some(), "{name} lists no x-codes");
        for code in codes.unwrap() {
            let number = code.as_u64().unwrap_or_default() as u16;
            let code = Code::from_number(number);
            assert!(code.is_some(), "{name}: x-codes has {number}, no such code");
            let status = code.unwrap().status().as_u16().to_string();
            assert!(
                responses.contains_key(&status),
                "{name}: code {number} answers {status}, which is not documented"
            );
        }
    }
}

/// How a probe of `path` authenticates: the relay routes exist only with their secret. Nothing
/// else is sent: a wrong method is 103 before any credential is looked at.
fn credentials(req: reqwest::RequestBuilder, path: &str) -> reqwest::RequestBuilder {
    match path.starts_with("/chat/internal/") {
        true => req.header("x-relay-secret", RELAY_SECRET),
        false => req,
    }
}

/// Sends `method path` with an empty body: the status, the raw body and its `code`, if any.
async fn probe(server: &Server, method: &str, path: &str) -> (u16, String, Option<u64>) {
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let req = server.client.request(method, server.url(path));
    let res = credentials(req, path).send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["code"].as_u64());
    (status, text, code)
}

#[tokio::test]
async fn every_documented_operation_is_routed_with_its_methods_only() {
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN)
            .env("ZUDUI_RELAY_SECRET", RELAY_SECRET),
    )
    .await;
    let doc = document();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let listed: Vec<&str> = METHODS
            .into_iter()
            .filter(|m| item.get(*m).is_some())
            .collect();
        for method in &listed {
            let (status, text, code) = probe(&server, method, path).await;
            let name = format!("{} {path}", method.to_uppercase());
            if matches!(code, Some(102 | 103)) || status == 405 {
                problems.push(format!("{name}: documented, but answers {status} {text}"));
            }
        }

        // Without the relay secret the relay's routes do not exist.
        if path.starts_with("/chat/internal/") {
            let res = server.client.post(server.url(path)).send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or_default();
            if status != 404 || body["code"] != 102 {
                problems.push(format!(
                    "POST {path} without x-relay-secret: {status} {body}, not 102"
                ));
            }
        }

        let unlisted = &item["x-unlisted-methods"];
        let want_status = unlisted["status"].as_u64().unwrap_or(405) as u16;
        let want_code = match unlisted.get("code") {
            Some(code) => code.as_u64(),
            None if unlisted.get("body").is_some() => None,
            None => Some(103),
        };
        for method in PROBED.into_iter().filter(|m| !listed.contains(m)) {
            let (status, text, code) = probe(&server, method, path).await;
            let name = format!("{} {path}", method.to_uppercase());
            if status != want_status || code != want_code {
                problems.push(format!(
                    "{name}: not documented, so {want_status} {want_code:?} expected, got {status} {text}"
                ));
            }
            if unlisted["body"] == "empty" && !text.is_empty() {
                problems.push(format!("{name}: an empty body expected, got {text}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The documented paths and methods are those of the route table (`zudui_shared::routes`), and
/// the relay's WebSocket paths.
#[test]
fn every_route_is_documented_with_its_methods_and_nothing_else() {
    let set =
        |methods: &[&str]| -> BTreeSet<String> { methods.iter().map(|m| m.to_string()).collect() };
    let mut routed: BTreeMap<String, BTreeSet<String>> = routes::table()
        .map(|found| {
            (
                found.route.path.to_owned(),
                set(found.route.methods.names()),
            )
        })
        .collect();
    assert!(routed.len() > 80, "{} routes", routed.len());
    for path in zudui_relay::session::SOCKET_PATHS {
        routed.insert(path.to_owned(), set(&["get"]));
    }

    let doc = document();
    let documented: BTreeMap<String, BTreeSet<String>> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(path, item)| {
            let methods: Vec<&str> = METHODS
                .into_iter()
                .filter(|m| item.get(*m).is_some())
                .collect();
            (path.clone(), set(&methods))
        })
        .collect();
    let mut problems = Vec::new();
    for (path, methods) in &routed {
        match documented.get(path) {
            None => problems.push(format!(
                "{path} is routed but missing from shared/openapi.json"
            )),
            Some(listed) if listed != methods => problems.push(format!(
                "{path}: routed for {methods:?}, documented for {listed:?}"
            )),
            Some(_) => {}
        }
    }
    for path in documented.keys().filter(|path| !routed.contains_key(*path)) {
        problems.push(format!("{path} is in shared/openapi.json but not routed"));
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The tests' path constants (`tests/common/paths.rs`) are routes of the table.
#[test]
fn the_tests_paths_are_routes() {
    let unrouted: Vec<&str> = common::paths::all()
        .filter(|path| routes::find(routes::COMPONENTS, path).is_none())
        .collect();
    assert!(unrouted.is_empty(), "not routed: {unrouted:?}");
    assert!(common::paths::all().count() > 60);
}

/// A JSON operation documents the 415 of a body of another media type; the others (uploads,
/// GETs) do not.
#[test]
fn json_operations_document_their_media_type_refusal() {
    let doc = document();
    for found in routes::table() {
        let route = found.route;
        let item = &doc["paths"][route.path];
        for method in route.methods.names() {
            let documented = item[*method]["responses"].get("415").is_some();
            assert_eq!(
                documented,
                route.input == Input::Json,
                "{} {}: 415 documented: {documented}, input {:?}",
                method.to_uppercase(),
                route.path,
                route.input
            );
        }
    }
}

/// A 103 names the methods its path takes in `Allow`, on every router: the shared handlers, the
/// console, the WebSocket rooms, and the upload part that takes two.
#[tokio::test]
async fn wrong_methods_name_the_right_ones() {
    let server = Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await;
    for (method, path, allow) in [
        ("GET", "/auth/login", "POST"),
        ("POST", "/user/info/avatar/get", "GET"),
        ("POST", "/debug/api/stats", "GET"),
        ("GET", "/debug/api/delete", "POST"),
        ("POST", "/chat/group", "GET"),
        ("DELETE", "/group/internal/files/upload/part", "PUT, POST"),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let res = server
            .client
            .request(method.clone(), server.url(path))
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let header = res
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_owned());
        let body: Value = res.json().await.unwrap_or_default();
        assert_eq!(
            (status, body["code"].as_u64(), header.as_deref()),
            (405, Some(103), Some(allow)),
            "{method} {path}: {body}"
        );
    }
}
