//! Signing in and reading.

use crate::support::*;

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
    server.join_group(&asker, kept).await;
    server.dismiss_group(&owner, gone).await;
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
