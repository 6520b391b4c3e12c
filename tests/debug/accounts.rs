//! A user's account from the console: deleted (注销) and exported as the user could, audited;
//! by script or by the page (with its CSRF token), refused without a credential.

use crate::common::paths::user as paths;
use crate::support::*;

/// `POST /debug/api/user/{action} {user_id}` by a script.
async fn by_script(server: &Server, action: &str, user_id: &str) -> (u16, Value) {
    let post = reqwest::Method::POST;
    let path = format!("/debug/api/user/{action}");
    let body = Some(json!({ "user_id": user_id }));
    let (status, res, _) = call(server, post, &path, Some(ADMIN), None, None, body).await;
    (status, res)
}

/// The newest audit entry.
async fn last_audit(server: &Server) -> Value {
    let (_, res) = get(server, "/debug/api/audit", Some(ADMIN)).await;
    res["entries"][0].clone()
}

#[tokio::test]
async fn the_console_exports_and_deletes_an_account_audited() {
    let server = admin_server().await;
    let leaver = user(&server, "console-leaver").await;
    let member = user(&server, "console-member").await;
    let group = create_group(&server, &leaver, "控制台注销").await;
    admit(&server, &leaver, &member, group).await;
    server.add_personal_tag(&leaver, "控制台").await;

    let (status, export) = by_script(&server, "export", &leaver.id).await;
    assert_eq!((status, &export["code"]), (200, &json!(0)), "{export}");
    assert_eq!(export["profile"]["openid"], "console-leaver");
    assert_eq!(export["tags"], json!(["控制台"]));
    assert_eq!(export["groups"][0]["role"], "creator");
    let entry = last_audit(&server).await;
    let target = format!("users:{}", leaver.id);
    assert_eq!(
        (&entry["actor"], &entry["action"], &entry["target"]),
        (&json!("bearer"), &json!("export"), &json!(target))
    );
    assert_eq!(entry["detail"], json!({ "truncated": [] }));

    let (status, done) = by_script(&server, "delete", &leaver.id).await;
    assert_eq!((status, &done["code"]), (200, &json!(0)), "{done}");
    let handed = json!([{ "group_id": group, "creator_id": member.id }]);
    assert_eq!(done["handed_over"], handed);
    assert_eq!(
        (&done["groups_left"], &done["groups_deleted"]),
        (&json!([]), &json!([]))
    );
    let entry = last_audit(&server).await;
    assert_eq!(
        (&entry["actor"], &entry["action"], &entry["target"]),
        (&json!("bearer"), &json!("delete"), &json!(target))
    );
    assert_eq!(entry["detail"]["account"], "deleted");
    assert_eq!(entry["detail"]["groups"]["handed_over"], handed);

    // The user's token is refused at once; the group lives on with its new creator.
    server
        .fails(paths::GET_INFO, leaver.t(), json!({}), 112, 401)
        .await;
    let members = server.group_members(&member, group).await;
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["is_creator"], true);

    // Gone now: 202 for both, and nothing more is audited.
    for action in ["delete", "export"] {
        let (status, res) = by_script(&server, action, &leaver.id).await;
        assert_eq!(
            (status, &res["code"]),
            (404, &json!(202)),
            "{action}: {res}"
        );
    }
    assert_eq!(last_audit(&server).await["action"], "delete");
}

#[tokio::test]
async fn account_actions_need_the_credential_the_csrf_token_and_a_user_id() {
    let server = admin_server().await;
    let someone = user(&server, "console-kept").await;
    let post = reqwest::Method::POST;
    for action in ["delete", "export"] {
        let path = format!("/debug/api/user/{action}");
        let body = || Some(json!({ "user_id": someone.id }));
        let (status, res, _) = call(&server, post.clone(), &path, None, None, None, body()).await;
        assert_eq!(
            (status, &res["code"]),
            (401, &json!(113)),
            "{action}: {res}"
        );
        let (status, res, _) = call(
            &server,
            post.clone(),
            &path,
            Some("wrong-token-0123456789"),
            None,
            None,
            body(),
        )
        .await;
        assert_eq!(
            (status, &res["code"]),
            (401, &json!(112)),
            "{action}: {res}"
        );
        let (session, _csrf) = sign_in(&server).await;
        let (status, res, _) = call(
            &server,
            post.clone(),
            &path,
            None,
            Some(&session),
            None,
            body(),
        )
        .await;
        assert_eq!(
            (status, &res["code"]),
            (403, &json!(303)),
            "{action}: {res}"
        );
        for bad in [json!({}), json!({ "user_id": "" })] {
            let (status, res, _) = call(
                &server,
                post.clone(),
                &path,
                Some(ADMIN),
                None,
                None,
                Some(bad),
            )
            .await;
            assert_eq!(
                (status, &res["code"]),
                (400, &json!(101)),
                "{action}: {res}"
            );
        }
    }
    // Nothing happened to the user.
    assert_eq!(
        server.own_profile(&someone).await["id"],
        someone.id.as_str()
    );

    // The page's way: the session cookie and its CSRF token.
    let (session, csrf) = sign_in(&server).await;
    let body = Some(json!({ "user_id": someone.id }));
    let path = "/debug/api/user/delete";
    let (status, res, _) = call(&server, post, path, None, Some(&session), Some(&csrf), body).await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let entry = last_audit(&server).await;
    assert_eq!(
        (&entry["actor"], &entry["action"]),
        (&json!("console"), &json!("delete"))
    );
    server
        .fails(paths::GET_INFO, someone.t(), json!({}), 112, 401)
        .await;
}
