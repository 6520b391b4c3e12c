//! The admin console's API and its guard: disabled without `ZUDUI_ADMIN_TOKEN`, bearer tokens
//! for scripts, a signed HttpOnly cookie for the page with CSRF tokens on writes, the dashboard's
//! figures, and the audit log.

mod common;

use common::{admit, create_group, user, Options, Server};
use serde_json::{json, Value};

const ADMIN: &str = "admin-token-for-tests-0123456789";

async fn admin_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_ADMIN_TOKEN", ADMIN)).await
}

/// A request to `/debug/api/*` with optional bearer, cookie and CSRF token.
async fn call(
    server: &Server,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<Value>,
) -> (u16, Value, Option<String>) {
    let mut req = server.client.request(method, server.url(path));
    if let Some(bearer) = bearer {
        req = req.header("authorization", format!("Bearer {bearer}"));
    }
    if let Some(cookie) = cookie {
        req = req.header("cookie", format!("zudui_admin={cookie}"));
    }
    if let Some(csrf) = csrf {
        req = req.header("x-csrf-token", csrf);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let set_cookie = res
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body, set_cookie)
}

async fn get(server: &Server, path: &str, bearer: Option<&str>) -> (u16, Value) {
    let (status, body, _) =
        call(server, reqwest::Method::GET, path, bearer, None, None, None).await;
    (status, body)
}

/// `POST /debug/api/login {token}`.
async fn login_with(server: &Server, token: &str) -> (u16, Value, Option<String>) {
    let body = json!({ "token": token });
    let login = reqwest::Method::POST;
    call(
        server,
        login,
        "/debug/api/login",
        None,
        None,
        None,
        Some(body),
    )
    .await
}

/// Signs in through the API as the page does: the session cookie and its CSRF token.
async fn sign_in(server: &Server) -> (String, String) {
    let (status, res, set_cookie) = login_with(server, ADMIN).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let set_cookie = set_cookie.expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/debug"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let session = set_cookie
        .strip_prefix("zudui_admin=")
        .and_then(|rest| rest.split(';').next())
        .expect("cookie value")
        .to_owned();
    (
        session,
        res["csrf"].as_str().expect("csrf token").to_owned(),
    )
}

#[tokio::test]
async fn the_console_does_not_exist_without_an_admin_token() {
    let server = Server::start().await;
    for path in ["/debug", "/debug/api/stats", "/debug/api/login"] {
        let (status, res) = get(&server, path, Some(ADMIN)).await;
        assert_eq!((status, res["code"].as_u64()), (404, Some(102)), "{path}");
    }
    let (status, res, _) = login_with(&server, ADMIN).await;
    assert_eq!((status, res["code"].as_u64()), (404, Some(102)));
}

#[tokio::test]
async fn scripts_use_the_bearer_token() {
    let server = admin_server().await;
    let (status, res) = get(&server, "/debug/api/stats", None).await;
    assert_eq!((status, res["code"].as_u64()), (401, Some(113)), "{res}");
    for wrong in [
        "wrong",
        "admin-token-for-tests-012345678",
        "admin-token-for-tests-01234567890",
    ] {
        let (status, res) = get(&server, "/debug/api/stats", Some(wrong)).await;
        assert_eq!(
            (status, res["code"].as_u64()),
            (401, Some(112)),
            "{wrong}: {res}"
        );
    }
    let (status, res) = get(&server, "/debug/api/stats", Some(ADMIN)).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    // A user's session token is not an admin credential.
    let someone = user(&server, "not-an-admin").await;
    let (status, res) = get(&server, "/debug/api/stats", Some(&someone.token)).await;
    assert_eq!((status, res["code"].as_u64()), (401, Some(112)), "{res}");
    // Scripts need no CSRF token: they carry no ambient credential.
    let (status, res, _) = call(
        &server,
        reqwest::Method::POST,
        "/debug/api/logout",
        Some(ADMIN),
        None,
        None,
        None,
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
}

#[tokio::test]
async fn the_page_signs_in_with_a_cookie_and_writes_with_its_csrf_token() {
    let server = admin_server().await;
    let (status, res, set_cookie) = login_with(&server, "wrong").await;
    assert_eq!((status, res["code"].as_u64()), (401, Some(112)), "{res}");
    assert!(set_cookie.is_none());

    let (session, csrf) = sign_in(&server).await;
    let get_with_cookie = |path: &'static str, cookie: String| {
        let server = &server;
        async move {
            call(
                server,
                reqwest::Method::GET,
                path,
                None,
                Some(&cookie),
                None,
                None,
            )
            .await
        }
    };
    let (status, res, _) = get_with_cookie("/debug/api/session", session.clone()).await;
    assert_eq!((status, &res["csrf"]), (200, &json!(csrf)), "{res}");
    let (status, _, _) = get_with_cookie("/debug/api/stats", session.clone()).await;
    assert_eq!(status, 200);

    // A forged or altered cookie is refused.
    let (expiry, mac) = session.split_once('.').unwrap();
    let later = expiry.parse::<i64>().unwrap() + 86_400;
    for forged in [
        format!("{later}.{mac}"),
        format!("{expiry}.{}", "0".repeat(64)),
        "x".into(),
    ] {
        let (status, res, _) = get_with_cookie("/debug/api/stats", forged.clone()).await;
        assert_eq!((status, res["code"].as_u64()), (401, Some(112)), "{forged}");
    }

    // Writes by cookie need the session's CSRF token.
    let logout = |csrf: Option<String>| {
        let (server, session) = (&server, session.clone());
        async move {
            call(
                server,
                reqwest::Method::POST,
                "/debug/api/logout",
                None,
                Some(&session),
                csrf.as_deref(),
                None,
            )
            .await
        }
    };
    let (status, res, _) = logout(None).await;
    assert_eq!((status, res["code"].as_u64()), (403, Some(303)), "{res}");
    let (status, res, _) = logout(Some("0".repeat(64))).await;
    assert_eq!((status, res["code"].as_u64()), (403, Some(303)), "{res}");
    let (status, res, set_cookie) = logout(Some(csrf.clone())).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    assert!(
        set_cookie.unwrap().contains("Max-Age=0"),
        "the cookie is cleared"
    );

    // Both sign-ins and the sign-out are in the audit log, newest first.
    let (status, res) = get(&server, "/debug/api/audit", Some(ADMIN)).await;
    assert_eq!(status, 200, "{res}");
    let actions: Vec<(&str, &str)> = res["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["actor"].as_str().unwrap(), e["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        vec![("console", "sign_out"), ("console", "sign_in")]
    );
}

#[tokio::test]
async fn the_dashboard_counts_what_is_stored() {
    let server = admin_server().await;
    let (_, empty) = get(&server, "/debug/api/stats", Some(ADMIN)).await;
    assert_eq!(empty["users"], 0, "{empty}");
    let owner = user(&server, "dash-owner").await;
    let member = user(&server, "dash-member").await;
    let asker = user(&server, "dash-asker").await;
    let kept = create_group(&server, &owner, "留下的").await;
    let gone = create_group(&server, &owner, "解散的").await;
    admit(&server, &owner, &member, kept).await;
    server
        .ok(
            "/group/external/group/join",
            &asker.token,
            json!({ "group_id": kept }),
        )
        .await;
    server
        .ok(
            "/group/internal/setting/dismiss",
            &owner.token,
            json!({ "group_id": gone }),
        )
        .await;
    let (status, stats) = get(&server, "/debug/api/stats", Some(ADMIN)).await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["users"], 3, "{stats}");
    assert_eq!(
        stats["groups"],
        json!({ "active": 1, "dismissed": 1 }),
        "{stats}"
    );
    assert_eq!(stats["members"], 3, "two creators and one member: {stats}");
    assert_eq!(stats["join_requests_pending"], 1, "{stats}");
    assert_eq!(stats["messages_today"], 0, "{stats}");
    assert_eq!(stats["storage"]["total_bytes"], 0, "{stats}");
}

#[tokio::test]
async fn every_table_can_be_paged_sorted_and_filtered() {
    let server = admin_server().await;
    for n in 0..5 {
        user(&server, &format!("browse-{n}")).await;
    }
    let (status, res) = get(&server, "/debug/api/tables", Some(ADMIN)).await;
    assert_eq!(status, 200, "{res}");
    let tables = res["tables"].as_array().unwrap();
    let users = tables.iter().find(|t| t["name"] == "users").expect("users");
    assert_eq!(users["rows"], 5);
    assert!(users["columns"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "nickname"));
    // Every listed table reads.
    for table in tables {
        let name = table["name"].as_str().unwrap();
        let (status, page) = get(
            &server,
            &format!("/debug/api/rows?table={name}"),
            Some(ADMIN),
        )
        .await;
        assert_eq!(status, 200, "{name}: {page}");
        assert_eq!(page["total"], table["rows"], "{name}");
    }

    let rows = |query: &str| format!("/debug/api/rows?table=users&{query}");
    let (_, page) = get(&server, &rows("sort=openid&dir=desc&limit=2"), Some(ADMIN)).await;
    assert_eq!(page["total"], 5);
    let openid = page["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["name"] == "openid")
        .expect("an openid column");
    let openids = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r[openid].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(openids(&page), ["browse-4", "browse-3"]);
    let next = rows("sort=openid&dir=desc&limit=2&offset=2");
    let (_, next) = get(&server, &next, Some(ADMIN)).await;
    assert_eq!(openids(&next), ["browse-2", "browse-1"]);
    let (_, found) = get(
        &server,
        &rows("filter_column=openid&filter=-3"),
        Some(ADMIN),
    )
    .await;
    assert_eq!(
        (found["total"].as_i64(), found["rows"][0][openid].as_str()),
        (Some(1), Some("browse-3"))
    );
    // LIKE's wildcards are taken literally.
    let (_, none) = get(
        &server,
        &rows("filter_column=openid&filter=%25"),
        Some(ADMIN),
    )
    .await;
    assert_eq!(none["total"], 0, "{none}");

    for bad in [
        "/debug/api/rows?table=sqlite_master",
        "/debug/api/rows?table=users;drop",
        "/debug/api/rows",
        "/debug/api/rows?table=users&sort=password",
        "/debug/api/rows?table=users&sort=openid%20desc",
        "/debug/api/rows?table=users&filter_column=nope&filter=x",
        "/debug/api/rows?table=users&dir=sideways",
        "/debug/api/rows?table=users&limit=0",
        "/debug/api/rows?table=users&limit=10000",
        "/debug/api/rows?table=users&offset=-1",
    ] {
        let (status, res) = get(&server, bad, Some(ADMIN)).await;
        assert_eq!(
            (status, res["code"].as_u64()),
            (400, Some(101)),
            "{bad}: {res}"
        );
    }
    let (status, res) = get(&server, &rows(""), None).await;
    assert_eq!((status, res["code"].as_u64()), (401, Some(113)), "{res}");
}

/// A console write by bearer: `(status, body)`.
async fn write(server: &Server, action: &str, body: Value) -> (u16, Value) {
    let path = format!("/debug/api/{action}");
    let (status, res, _) = call(
        server,
        reqwest::Method::POST,
        &path,
        Some(ADMIN),
        None,
        None,
        Some(body),
    )
    .await;
    (status, res)
}

/// An update the console must refuse with `code` and `status`.
async fn refused_update(server: &Server, body: Value, code: u64, status: u16) {
    let (got, res) = write(server, "update", body.clone()).await;
    assert_eq!(
        (got, res["code"].as_u64()),
        (status, Some(code)),
        "{body}: {res}"
    );
}

async fn audit_targets(server: &Server) -> Vec<String> {
    let (_, res) = get(server, "/debug/api/audit", Some(ADMIN)).await;
    res["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn writes_follow_the_api_rules_and_are_audited() {
    let server = admin_server().await;
    let alice = user(&server, "console-alice").await;
    let profile = |who: &common::User| {
        let (server, token) = (&server, who.token.clone());
        async move {
            server
                .ok("/user/info/text/getInfo", &token, json!({}))
                .await
        }
    };

    let (status, res) = write(
        &server,
        "update",
        json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "  控制台改名 ", "info": "简介" } }),
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let shown = profile(&alice).await;
    assert_eq!(
        (shown["nickname"].as_str(), shown["info"].as_str()),
        (Some("控制台改名"), Some("简介")),
        "{shown}"
    );

    // Refused writes change nothing and are not logged.
    for (body, code, status) in [
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "   " } }),
            201,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "x".repeat(33) } }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "新名", "openid": "stolen" } }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": alice.id }, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": { "id": "nobody" }, "values": { "nickname": "谁" } }),
            202,
            404,
        ),
        (
            json!({ "table": "private_rooms", "key": { "id": 1 }, "values": { "user_a": "x" } }),
            101,
            400,
        ),
        (
            json!({ "table": "sqlite_master", "key": {}, "values": {} }),
            101,
            400,
        ),
        (
            json!({ "table": "users", "key": "alice", "values": {} }),
            101,
            400,
        ),
    ] {
        refused_update(&server, body, code, status).await;
    }
    let shown = profile(&alice).await;
    assert_eq!(
        shown["nickname"], "控制台改名",
        "a refused write with a valid field changed nothing"
    );

    // Tags: create, rename, delete, with the API's rules (212 empty, 211 unknown).
    let (status, res) = write(
        &server,
        "create",
        json!({ "table": "user_tags", "values": { "user_id": alice.id, "tag_text": "羽毛球" } }),
    )
    .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let (status, res) = write(
        &server,
        "create",
        json!({ "table": "user_tags", "values": { "user_id": alice.id, "tag_text": " " } }),
    )
    .await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(212)), "{res}");
    let tags = server
        .ok("/user/info/tag/get", &alice.token, json!({}))
        .await["tags"]
        .clone();
    assert_eq!(tags.as_array().unwrap().len(), 1, "{tags}");
    let tag_id = tags[0]["id"].clone();
    let (status, _) = write(
        &server,
        "update",
        json!({ "table": "user_tags", "key": { "id": tag_id }, "values": { "tag_text": "网球" } }),
    )
    .await;
    assert_eq!(status, 200);
    let tags = server
        .ok("/user/info/tag/get", &alice.token, json!({}))
        .await["tags"]
        .clone();
    assert_eq!(tags[0]["tag_text"], "网球");
    let (status, _) = write(
        &server,
        "delete",
        json!({ "table": "user_tags", "key": { "id": tag_id } }),
    )
    .await;
    assert_eq!(status, 200);
    let tags = server
        .ok("/user/info/tag/get", &alice.token, json!({}))
        .await["tags"]
        .clone();
    assert_eq!(tags, json!([]));
    let (status, res) = write(
        &server,
        "delete",
        json!({ "table": "user_tags", "key": { "id": tag_id } }),
    )
    .await;
    assert_eq!((status, res["code"].as_u64()), (404, Some(211)), "{res}");

    let tag = tag_id.as_i64().unwrap();
    assert_eq!(
        audit_targets(&server).await,
        vec![
            format!("bearer delete user_tags:{tag}"),
            format!("bearer update user_tags:{tag}"),
            format!("bearer create user_tags:{}", alice.id),
            format!("bearer update users:{}", alice.id),
        ]
    );

    // A cookie write needs the CSRF token.
    let (session, csrf) = sign_in(&server).await;
    let body =
        json!({ "table": "users", "key": { "id": alice.id }, "values": { "nickname": "跨站" } });
    for token in [None, Some(csrf.as_str())] {
        let (status, res, _) = call(
            &server,
            reqwest::Method::POST,
            "/debug/api/update",
            None,
            Some(&session),
            token,
            Some(body.clone()),
        )
        .await;
        match token {
            None => assert_eq!((status, res["code"].as_u64()), (403, Some(303)), "{res}"),
            Some(_) => assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}"),
        }
    }
    assert_eq!(profile(&alice).await["nickname"], "跨站");
}

#[tokio::test]
async fn group_types_are_kept_in_the_console() {
    let server = admin_server().await;
    let owner = user(&server, "types-owner").await;
    let create = |group_type: &'static str| {
        let (server, token) = (&server, owner.token.clone());
        async move {
            let body = json!({ "type": group_type, "name": "新类型的群", "user_limit": 10 });
            server
                .post("/group/external/group/create", Some(&token), body)
                .await
        }
    };
    let (status, res) = create("桌游").await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(351)), "{res}");

    let new_type =
        json!({ "table": "group_types", "values": { "name": " 桌游 ", "position": "8" } });
    let (status, res) = write(&server, "create", new_type.clone()).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let (status, res) = write(&server, "create", new_type).await;
    assert_eq!(
        (status, res["code"].as_u64()),
        (400, Some(101)),
        "a duplicate: {res}"
    );
    let (status, res) = create("桌游").await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");

    let key = json!({ "name": "桌游" });
    for (body, code, status) in [
        (
            json!({ "table": "group_types", "key": key, "values": { "name": "棋牌" } }),
            101,
            400,
        ),
        (
            json!({ "table": "group_types", "key": { "name": "没有" }, "values": { "position": 3 } }),
            351,
            400,
        ),
    ] {
        refused_update(&server, body, code, status).await;
    }
    let (status, _) = write(
        &server,
        "update",
        json!({ "table": "group_types", "key": key, "values": { "position": 0 } }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, res) = write(
        &server,
        "delete",
        json!({ "table": "group_types", "key": key }),
    )
    .await;
    assert_eq!(
        (status, res["code"].as_u64()),
        (400, Some(101)),
        "a type in use stays: {res}"
    );

    let spare = json!({ "table": "group_types", "values": { "name": "空的" } });
    assert_eq!(write(&server, "create", spare).await.0, 200);
    let (status, _) = write(
        &server,
        "delete",
        json!({ "table": "group_types", "key": { "name": "空的" } }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, res) = create("空的").await;
    assert_eq!((status, res["code"].as_u64()), (400, Some(351)), "{res}");
    let (_, page) = get(
        &server,
        "/debug/api/rows?table=group_types&sort=position",
        Some(ADMIN),
    )
    .await;
    assert_eq!(page["rows"][0], json!(["桌游", 0]), "{page}");
}
