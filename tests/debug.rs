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
    let (_, body) = common::schema::read(res).await;
    (status, body.unwrap_or(Value::Null), set_cookie)
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
    let (status, res, _) = log_out(&server, Some(ADMIN), None).await;
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
    let (signed, mac) = session.rsplit_once('.').unwrap();
    let (epoch, expiry) = signed.split_once('.').unwrap();
    let later = expiry.parse::<i64>().unwrap() + 86_400;
    for forged in [
        format!("{epoch}.{later}.{mac}"),
        format!("{}.{expiry}.{mac}", "0".repeat(32)),
        format!("{signed}.{}", "0".repeat(64)),
        format!("{expiry}.{mac}"),
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

/// What a request from client address `from` gets: status, `Retry-After`, body, `Set-Cookie`.
/// `sign_in` posts it to the sign-in form; otherwise it reads the dashboard with `bearer` and
/// `cookie`.
struct Try<'a> {
    from: &'a str,
    sign_in: Option<&'a str>,
    bearer: Option<&'a str>,
    cookie: Option<&'a str>,
}

impl Try<'_> {
    async fn send(&self, server: &Server) -> (u16, Option<String>, Value, Option<String>) {
        let req = match self.sign_in {
            Some(token) => server
                .client
                .post(server.url("/debug/api/login"))
                .json(&json!({ "token": token })),
            None => server.client.get(server.url("/debug/api/stats")),
        };
        let mut req = req.header("x-forwarded-for", self.from);
        if let Some(bearer) = self.bearer {
            req = req.header("authorization", format!("Bearer {bearer}"));
        }
        if let Some(cookie) = self.cookie {
            req = req.header("cookie", format!("zudui_admin={cookie}"));
        }
        let res = req.send().await.expect("request");
        let header = |name: &str| {
            res.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (retry, set_cookie) = (header("retry-after"), header("set-cookie"));
        (
            res.status().as_u16(),
            retry,
            res.json().await.unwrap(),
            set_cookie,
        )
    }
}

fn sign_in_from<'a>(from: &'a str, token: &'a str) -> Try<'a> {
    Try {
        from,
        sign_in: Some(token),
        bearer: None,
        cookie: None,
    }
}

fn bearer_from<'a>(from: &'a str, token: &'a str) -> Try<'a> {
    Try {
        from,
        sign_in: None,
        bearer: Some(token),
        cookie: None,
    }
}

#[tokio::test]
async fn wrong_admin_tokens_are_limited_per_address() {
    // Three wrong tries per address, one more a minute; addresses from a trusted proxy header.
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN)
            .env("ZUDUI_RATE_LIMITS", "admin=3/1")
            .env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for"),
    )
    .await;
    let (a, b) = ("198.51.100.7", "198.51.100.8");
    let expect = |t: &Try, want: (u16, u64), got: &(u16, Option<String>, Value, Option<String>)| {
        let code = got.2["code"].as_u64().unwrap();
        assert_eq!(
            (got.0, code),
            want,
            "{:?}: {}",
            t.sign_in.or(t.bearer),
            got.2
        );
    };

    // The right token costs nothing: far more than three pass.
    for _ in 0..5 {
        for t in [sign_in_from(a, ADMIN), bearer_from(a, ADMIN)] {
            expect(&t, (200, 0), &t.send(&server).await);
        }
    }
    // Wrong ones, through the form or as a bearer, are 112 until three are used up...
    for t in [
        sign_in_from(a, "wrong-token-0000000001"),
        bearer_from(a, "wrong-token-0000000002"),
        sign_in_from(a, "wrong-token-0000000003"),
    ] {
        expect(&t, (401, 112), &t.send(&server).await);
    }
    // ...then every token from that address is 105 with Retry-After, the right one included, so
    // guessing cannot go on; a refused sign-in sets no cookie and is not audited.
    for t in [
        bearer_from(a, "wrong-token-0000000004"),
        sign_in_from(a, "wrong-token-0000000005"),
        bearer_from(a, ADMIN),
        sign_in_from(a, ADMIN),
    ] {
        let got = t.send(&server).await;
        expect(&t, (429, 105), &got);
        let seconds = got.2["retry_after"].as_u64().expect("retry_after");
        assert!((1..=60).contains(&seconds), "{}", got.2);
        assert_eq!(got.1, Some(seconds.to_string()));
        assert_eq!(got.3, None, "no cookie");
    }
    // Without a credential there is nothing to guess: still 113.
    let none = Try {
        from: a,
        sign_in: None,
        bearer: None,
        cookie: None,
    };
    expect(&none, (401, 113), &none.send(&server).await);

    // Another address keeps its own allowance.
    let t = bearer_from(b, ADMIN);
    expect(&t, (200, 0), &t.send(&server).await);
    let t = bearer_from(b, "wrong-token-0000000006");
    expect(&t, (401, 112), &t.send(&server).await);
    let t = sign_in_from(b, ADMIN);
    let got = t.send(&server).await;
    expect(&t, (200, 0), &got);
    // A session cookie is no guess of the token (its MAC cannot be guessed), so it works from
    // the limited address too.
    let cookie = got.3.expect("cookie");
    let session = cookie["zudui_admin=".len()..].split(';').next().unwrap();
    let t = Try {
        from: a,
        sign_in: None,
        bearer: None,
        cookie: Some(session),
    };
    expect(&t, (200, 0), &t.send(&server).await);

    let sign_ins = audit_targets(&server)
        .await
        .iter()
        .filter(|e| e.starts_with("console sign_in"))
        .count();
    assert_eq!(sign_ins, 6, "five from a, one from b");
}

#[test]
fn a_short_admin_token_stops_the_server_at_start() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zudui"))
        .env_clear()
        .env("ZUDUI_LISTEN", "127.0.0.1:0")
        .env("ZUDUI_DATA_DIR", data.path())
        .env("ZUDUI_JWT_SECRET", common::JWT_SECRET)
        .env("ZUDUI_ADMIN_TOKEN", "fifteen-bytes-x")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start zudui");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with a 15-byte admin token");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("admin_token setting must be at least 16 bytes"),
        "{log}"
    );
}

/// `POST /debug/api/logout` by a script (`bearer`) or by the page (a session and its CSRF token).
async fn log_out(
    server: &Server,
    bearer: Option<&str>,
    page: Option<(&str, &str)>,
) -> (u16, Value, Option<String>) {
    let (session, csrf) = page.unzip();
    let post = reqwest::Method::POST;
    call(
        server,
        post,
        "/debug/api/logout",
        bearer,
        session,
        csrf,
        None,
    )
    .await
}

/// Reads the dashboard with a session cookie: its status and code.
async fn with_session(server: &Server, session: &str) -> (u16, Option<u64>) {
    let (status, res, _) = call(
        server,
        reqwest::Method::GET,
        "/debug/api/stats",
        None,
        Some(session),
        None,
        None,
    )
    .await;
    (status, res["code"].as_u64())
}

#[tokio::test]
async fn signing_out_ends_every_console_session() {
    let server = admin_server().await;
    let (first, csrf) = sign_in(&server).await;
    let (second, _) = sign_in(&server).await;
    for session in [&first, &second] {
        assert_eq!(with_session(&server, session).await, (200, Some(0)));
    }
    let (status, res, _) = log_out(&server, None, Some((&first, &csrf))).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    // A copy of the cookie kept anywhere is dead, and so is the other browser's session.
    for session in [&first, &second] {
        assert_eq!(with_session(&server, session).await, (401, Some(112)));
    }
    // Signing in again works; a script's sign-out ends the console's sessions too.
    let (third, _) = sign_in(&server).await;
    assert_eq!(with_session(&server, &third).await, (200, Some(0)));
    let (status, _, _) = log_out(&server, Some(ADMIN), None).await;
    assert_eq!(status, 200);
    assert_eq!(with_session(&server, &third).await, (401, Some(112)));
    let (status, _) = get(&server, "/debug/api/stats", Some(ADMIN)).await;
    assert_eq!(status, 200, "the bearer token is no session");
    // A script's sign-out may send any body (`curl -d ''` sends a form): it is ignored.
    let (fourth, _) = sign_in(&server).await;
    let res = server
        .client
        .post(server.url("/debug/api/logout"))
        .bearer_auth(ADMIN)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(with_session(&server, &fourth).await, (401, Some(112)));
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_server_is_reached_over_https() {
    // The native server never sees TLS: without the setting the cookie must work over plain HTTP.
    let plain = admin_server().await;
    let (_, _, set_cookie) = login_with(&plain, ADMIN).await;
    assert!(!set_cookie.unwrap().contains("Secure"));
    // Behind an HTTPS proxy, ZUDUI_SECURE_COOKIE marks it Secure, when set and when cleared.
    let secure = Server::with(
        Options::dev_login()
            .env("ZUDUI_ADMIN_TOKEN", ADMIN)
            .env("ZUDUI_SECURE_COOKIE", "1"),
    )
    .await;
    let (session, csrf) = sign_in(&secure).await;
    let (_, _, set_cookie) = login_with(&secure, ADMIN).await;
    assert!(set_cookie.unwrap().contains("; Secure;"));
    let (status, _, cleared) = log_out(&secure, None, Some((&session, &csrf))).await;
    assert_eq!(status, 200);
    let cleared = cleared.unwrap();
    assert!(
        cleared.contains("; Secure;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}
