//! Views.

use crate::support::*;

#[tokio::test]
async fn the_group_view_gathers_a_group() {
    let server = admin_server().await;
    let owner = user(&server, "gv-owner").await;
    let admin = user(&server, "gv-admin").await;
    let member = user(&server, "gv-member").await;
    let asker = user(&server, "gv-asker").await;
    let group = server.new_group(&owner, "学习", "考研互助", 30).await;
    admit(&server, &owner, &admin, group).await;
    admit(&server, &owner, &member, group).await;
    server.switch_group_admin(&owner, group, &admin).await;
    server.set_group_nickname(&member, group, "小明").await;
    server
        .ok(
            "/group/internal/info/text/edit",
            &owner.token,
            json!({ "group_id": group, "text": "每天打卡" }),
        )
        .await;
    let request = server.join_group(&asker, group).await;
    add_tag(&server, &owner, group, "考研").await;
    add_tag(&server, &owner, group, "数学").await;
    let picture = add_intro_picture(&server, &owner, group, png(60, 40, 255)).await;
    let notice = announce(&server, &admin, group, "打卡规则", "每晚十点前").await;
    let folder = mkdir(&server, &member, group, None, "真题").await;
    let file = server
        .upload_file_into(&member, group, Some(folder), "2024.pdf", vec![9; 1234])
        .await;
    let mut s = connect(&server, &member, &group_path(group)).await;
    let message = say(&mut s, "大家好").await;

    let view = group_view(&server, group).await;
    let g = &view["group"];
    assert_eq!(
        (
            &g["id"],
            &g["type"],
            &g["name"],
            &g["info"],
            &g["user_limit"],
            &g["user_cnt"],
            &g["creator_id"],
            &g["dismissed"]
        ),
        (
            &json!(group),
            &json!("学习"),
            &json!("考研互助"),
            &json!("每天打卡"),
            &json!(30),
            &json!(3),
            &json!(owner.id),
            &Value::Null
        ),
        "{view}"
    );
    assert!(is_time(&g["created"]), "{view}");

    let members = view["members"].as_array().unwrap();
    assert_eq!(
        members[0]["user_id"],
        owner.id.as_str(),
        "the creator first: {view}"
    );
    let role_of = |who: &User| {
        let m = members
            .iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap_or_else(|| panic!("{} not listed: {view}", who.id));
        assert!(is_time(&m["joined"]), "{m}");
        (
            m["role"].as_str().unwrap().to_owned(),
            m["nickname"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(role_of(&owner).0, "creator");
    assert_eq!(role_of(&admin).0, "admin");
    assert_eq!(role_of(&member), ("member".to_owned(), "小明".to_owned()));
    assert_eq!(members.len(), 3);

    assert_eq!(view["requests"].as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (&view["requests"][0]["id"], &view["requests"][0]["user_id"]),
        (&json!(request), &json!(asker.id))
    );
    assert!(is_time(&view["requests"][0]["time"]));
    let tags: Vec<&str> = view["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tag_text"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["考研", "数学"]);
    assert_eq!(view["pictures"], json!([picture]));
    let a = &view["announcements"][0];
    assert_eq!(
        (
            &a["id"],
            &a["title"],
            &a["text"],
            &a["author_id"],
            &a["has_pic"]
        ),
        (
            &json!(notice),
            &json!("打卡规则"),
            &json!("每晚十点前"),
            &json!(admin.id),
            &json!(true)
        ),
        "{view}"
    );
    assert_eq!(view["files"]["used_bytes"], 1234, "{view}");
    let entries = view["files"]["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{view}");
    assert_eq!(
        (
            &entries[0]["id"],
            &entries[0]["parent_id"],
            &entries[0]["name"],
            &entries[0]["is_dir"]
        ),
        (&json!(folder), &Value::Null, &json!("真题"), &json!(true))
    );
    assert_eq!(
        (
            &entries[1]["id"],
            &entries[1]["parent_id"],
            &entries[1]["name"],
            &entries[1]["is_dir"],
            &entries[1]["size"],
            &entries[1]["uploader_id"]
        ),
        (
            &json!(file),
            &json!(folder),
            &json!("2024.pdf"),
            &json!(false),
            &json!(1234),
            &json!(member.id)
        )
    );
    let chat = view["chat"].as_array().unwrap();
    assert_eq!(chat.len(), 1, "{view}");
    assert_eq!(
        (
            &chat[0]["id"],
            &chat[0]["user_id"],
            &chat[0]["nickname"],
            &chat[0]["msg_type"],
            &chat[0]["content"]
        ),
        (
            &json!(message),
            &json!(member.id),
            &json!("小明"),
            &json!("text"),
            &json!("大家好")
        )
    );

    // The last 30 messages, oldest first.
    let mut ids = vec![message];
    for i in 0..31 {
        ids.push(say(&mut s, &format!("消息{i}")).await);
    }
    let chat = group_view(&server, group).await["chat"].clone();
    let shown: Vec<i64> = chat
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(shown, ids[ids.len() - 30..]);

    read_fails(
        &server,
        "/debug/api/group",
        &[("group_id", "999")],
        301,
        404,
    )
    .await;
    read_fails(&server, "/debug/api/group", &[], 101, 400).await;
    read_fails(
        &server,
        "/debug/api/group",
        &[("group_id", "abc")],
        101,
        400,
    )
    .await;
}

#[tokio::test]
async fn the_user_view_gathers_a_user() {
    let server = admin_server().await;
    let alice = user(&server, "uv-alice").await;
    let bob = user(&server, "uv-bob").await;
    server.set_account_nickname(&alice, "爱丽丝").await;
    server.edit_profile_text(&alice, "喜欢爬山").await;
    server.add_personal_tag(&alice, "爬山").await;
    let own = server.new_group(&alice, "出行", "爬山队", 10).await;
    let theirs = server.new_group(&bob, "运动", "羽毛球", 10).await;
    admit(&server, &bob, &alice, theirs).await;
    server.switch_group_admin(&bob, theirs, &alice).await;
    let rated = server.new_group(&bob, "竞赛", "比赛队", 10).await;
    admit(&server, &bob, &alice, rated).await;
    server.dismiss_group(&bob, rated).await;
    rate(&server, &bob, rated, &[(&alice, 7.0)]).await;
    rate(&server, &alice, rated, &[(&bob, 9.0)]).await;

    let view = user_view(&server, &alice).await;
    let u = &view["user"];
    assert_eq!(
        (&u["id"], &u["nickname"], &u["info"], &u["rating_count"]),
        (
            &json!(alice.id),
            &json!("爱丽丝"),
            &json!("喜欢爬山"),
            &json!(1)
        ),
        "{view}"
    );
    assert_eq!(u["star_rating"].as_f64(), Some(7.0));
    assert!(is_time(&u["created"]), "{view}");
    assert_eq!(view["tags"].as_array().unwrap().len(), 1);
    assert_eq!(view["tags"][0]["tag_text"], "爬山");
    assert!(view["tags"][0]["id"].as_i64().is_some());

    let mut groups: Vec<(i64, String, bool)> = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                g["role"].as_str().unwrap().to_owned(),
                g["dismissed"].is_string(),
            )
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        [
            (own, "creator".to_owned(), false),
            (theirs, "admin".to_owned(), false),
            (rated, "member".to_owned(), true),
        ],
        "{view}"
    );
    let theirs_entry = view["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == theirs)
        .unwrap();
    assert_eq!(
        (
            &theirs_entry["name"],
            &theirs_entry["type"],
            &theirs_entry["user_cnt"],
            &theirs_entry["creator_id"]
        ),
        (&json!("羽毛球"), &json!("运动"), &json!(2), &json!(bob.id))
    );

    let received = &view["ratings"]["received"];
    assert_eq!(received.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (
            &received[0]["group_id"],
            &received[0]["rater_id"],
            &received[0]["target_id"],
            received[0]["stars"].as_f64()
        ),
        (&json!(rated), &json!(bob.id), &json!(alice.id), Some(7.0))
    );
    assert!(is_time(&received[0]["time"]));
    let given = &view["ratings"]["given"];
    assert_eq!(given.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(
        (
            &given[0]["group_id"],
            &given[0]["rater_id"],
            &given[0]["target_id"],
            given[0]["stars"].as_f64()
        ),
        (&json!(rated), &json!(alice.id), &json!(bob.id), Some(9.0))
    );

    read_fails(
        &server,
        "/debug/api/user",
        &[("user_id", "nobody")],
        202,
        404,
    )
    .await;
    read_fails(&server, "/debug/api/user", &[], 101, 400).await;
}

/// `GET /debug/api/picture`: `(status, content type, etag, body)`.
async fn console_picture(
    server: &Server,
    kind: &str,
    id: &str,
    if_none_match: Option<&str>,
) -> (u16, String, Option<String>, Vec<u8>) {
    let mut req = server
        .client
        .get(server.url("/debug/api/picture"))
        .query(&[("kind", kind), ("id", id)])
        .header("authorization", format!("Bearer {ADMIN}"));
    if let Some(etag) = if_none_match {
        req = req.header("if-none-match", etag);
    }
    let res = req.send().await.expect("picture");
    let header = |name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (kind, etag) = (header("content-type").unwrap_or_default(), header("etag"));
    (
        res.status().as_u16(),
        kind,
        etag,
        res.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn pictures_are_served_by_kind_with_validators() {
    let server = admin_server().await;
    let owner = user(&server, "pic-owner").await;
    let plain = user(&server, "pic-plain").await;
    let group = server.new_group(&owner, "兴趣", "画画", 10).await;
    let bare = server.new_group(&plain, "兴趣", "没有头像", 10).await;
    upload_picture(
        &server,
        &owner,
        "/user/info/avatar/add",
        "avatar",
        png(90, 90, 255),
        &[],
    )
    .await;
    let g = group.to_string();
    upload_picture(
        &server,
        &owner,
        "/group/internal/info/avatar/add",
        "avatar",
        png(70, 70, 255),
        &[("group_id", &g)],
    )
    .await;
    let picture = add_intro_picture(&server, &owner, group, png(64, 32, 255)).await;
    let notice = announce(&server, &owner, group, "展览", "周末").await;
    let no_pic = server
        .ok(
            "/group/internal/announcement/add",
            &owner.token,
            json!({ "group_id": group, "title": "无图", "text": "文字" }),
        )
        .await["announcement_id"]
        .as_i64()
        .unwrap();

    for (kind, id) in [
        ("user", owner.id.clone()),
        ("user", plain.id.clone()),
        ("group", g.clone()),
        ("group", bare.to_string()),
        ("group_picture", picture.to_string()),
        ("announcement", notice.to_string()),
    ] {
        let (status, content_type, etag, body) = console_picture(&server, kind, &id, None).await;
        assert_eq!(
            status,
            200,
            "{kind} {id}: {}",
            String::from_utf8_lossy(&body)
        );
        assert!(
            content_type.starts_with("image/"),
            "{kind} {id}: {content_type}"
        );
        assert!(
            image::load_from_memory(&body).is_ok(),
            "{kind} {id}: not an image"
        );
        let etag = etag.unwrap_or_else(|| panic!("{kind} {id}: no etag"));
        let (status, _, again, body) = console_picture(&server, kind, &id, Some(&etag)).await;
        assert_eq!(status, 304, "{kind} {id}");
        assert!(body.is_empty());
        assert_eq!(again.as_deref(), Some(etag.as_str()));
    }
    // The uploaded pictures are the ones served.
    let (_, _, etag, _) =
        console_picture(&server, "group_picture", &picture.to_string(), None).await;
    let res = public_picture(&server, &owner, group, picture).await;
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag.unwrap());

    for (kind, id, code, status) in [
        ("group_picture", "999".to_owned(), 332, 404),
        ("announcement", no_pic.to_string(), 332, 404),
        ("announcement", "999".to_owned(), 332, 404),
        ("group", "999".to_owned(), 301, 404),
        ("user", "nobody".to_owned(), 202, 404),
        ("sticker", picture.to_string(), 101, 400),
        ("group_picture", "abc".to_owned(), 101, 400),
    ] {
        let query = [("kind", kind), ("id", id.as_str())];
        read_fails(&server, "/debug/api/picture", &query, code, status).await;
    }
}

#[tokio::test]
async fn views_and_writes_need_the_admin_credential() {
    let server = admin_server().await;
    let owner = user(&server, "cred-owner").await;
    let group = server.new_group(&owner, "其他", "谁能看", 10).await;
    let picture = add_intro_picture(&server, &owner, group, png(20, 20, 255)).await;
    let (g, p) = (group.to_string(), picture.to_string());
    let gets: [(&str, Vec<(&str, &str)>); 3] = [
        ("/debug/api/group", vec![("group_id", &g)]),
        ("/debug/api/user", vec![("user_id", &owner.id)]),
        (
            "/debug/api/picture",
            vec![("kind", "group_picture"), ("id", &p)],
        ),
    ];
    let delete = row("groups", group);
    for (bearer, code) in [
        (None, 113),
        (Some("wrong"), 112),
        (Some(owner.token.as_str()), 112),
    ] {
        for (path, query) in &gets {
            let res = call(&server, Method::GET, path, query, bearer, None).await;
            let (status, value) = json_of(res).await;
            assert_eq!(
                (status, value["code"].as_u64()),
                (401, Some(code)),
                "{path} {bearer:?}: {value}"
            );
        }
        for action in ["create", "update", "delete"] {
            let path = format!("/debug/api/{action}");
            let res = call(
                &server,
                Method::POST,
                &path,
                &[],
                bearer,
                Some(delete.clone()),
            )
            .await;
            let (status, value) = json_of(res).await;
            assert_eq!(
                (status, value["code"].as_u64()),
                (401, Some(code)),
                "{path} {bearer:?}: {value}"
            );
        }
    }
    // Nothing was written or logged.
    assert!(audit(&server).await.is_empty());
    assert_eq!(group_view(&server, group).await["group"]["id"], group);
}

/// A dismissed group is read-only for the console as for its managers (304), but the console
/// still removes its content: moderation does not end with the group.
#[tokio::test]
async fn a_dismissed_group_is_read_only_but_its_content_can_still_be_removed() {
    let server = admin_server().await;
    let alice = user(&server, "ro-alice").await;
    let bob = user(&server, "ro-bob").await;
    let carol = user(&server, "ro-carol").await;
    let group = server.new_group(&alice, "学习", "只读的群", 10).await;
    admit(&server, &alice, &bob, group).await;
    add_tag(&server, &alice, group, "读书").await;
    let notice = announce(&server, &alice, group, "公告", "内容").await;
    let picture = add_intro_picture(&server, &alice, group, png(30, 30, 255)).await;
    let tag = group_view(&server, group).await["tags"][0]["id"]
        .as_i64()
        .expect("tag id");
    server.dismiss_group(&alice, group).await;

    for (action, body) in [
        (
            "update",
            json!({ "table": "groups", "key": { "id": group }, "values": { "name": "改名" } }),
        ),
        (
            "update",
            json!({ "table": "groups", "key": { "id": group }, "values": { "info": "新简介" } }),
        ),
        (
            "create",
            json!({ "table": "group_members", "values": { "group_id": group, "user_id": carol.id } }),
        ),
        (
            "update",
            json!({ "table": "group_members", "key": { "group_id": group, "user_id": bob.id }, "values": { "is_admin": true } }),
        ),
        (
            "delete",
            json!({ "table": "group_members", "key": { "group_id": group, "user_id": bob.id } }),
        ),
        (
            "create",
            json!({ "table": "group_tags", "values": { "group_id": group, "tag_text": "新标签" } }),
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": { "id": tag }, "values": { "tag_text": "改过" } }),
        ),
        (
            "update",
            json!({ "table": "announcements", "key": { "id": notice }, "values": { "title": "改过" } }),
        ),
    ] {
        refused(&server, action, body, 304, 403).await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["group"]["name"], "只读的群", "{view}");
    assert_eq!(view["members"].as_array().map(Vec::len), Some(2), "{view}");

    for (table, id) in [
        ("group_tags", tag),
        ("announcements", notice),
        ("group_pictures", picture),
    ] {
        write_ok(&server, "delete", row(table, id)).await;
    }
    let view = group_view(&server, group).await;
    assert_eq!(view["tags"], json!([]), "{view}");
    assert_eq!(view["announcements"], json!([]), "{view}");
    assert_eq!(view["pictures"], json!([]), "{view}");
}
