//! Tags, pictures, announcements, ratings.

use crate::support::*;

#[tokio::test]
async fn group_tags_follow_the_profile_rules() {
    let server = admin_server().await;
    let owner = user(&server, "gt-owner").await;
    let group = server.new_group(&owner, "学习", "标签小组", 10).await;
    let other = server.new_group(&owner, "学习", "另一个组", 10).await;
    let new = |group: i64, text: &str| {
        let values = json!({ "group_id": group, "tag_text": text });
        json!({ "table": "group_tags", "values": values })
    };

    let target = write_ok(&server, "create", new(group, " 夜读 ")).await;
    assert_eq!(target, format!("group_tags:{group}"));
    assert_eq!(tag_texts(&server, &owner, group).await, ["夜读"]);
    assert_eq!(tag_hints(&server, &owner, "学习", "读").await, ["夜读"]);
    assert_eq!(search(&server, &owner, "学习", "夜读").await, [group]);
    let tag = group_view(&server, group).await["tags"][0]["id"]
        .as_i64()
        .unwrap();
    let key = json!({ "id": tag });

    write_ok(
        &server,
        "update",
        json!({ "table": "group_tags", "key": key, "values": { "tag_text": "晨读" } }),
    )
    .await;
    assert_eq!(tag_texts(&server, &owner, group).await, ["晨读"]);
    assert_eq!(tag_hints(&server, &owner, "学习", "读").await, ["晨读"]);
    assert_eq!(search(&server, &owner, "学习", "晨读").await, [group]);

    write_ok(&server, "create", new(group, "考研")).await;
    for (action, body, code, status) in [
        ("create", new(group, "   "), 362, 400),
        ("create", new(group, "考研"), 101, 400),
        ("create", new(group, &"长".repeat(21)), 101, 400),
        ("create", new(999, "考研"), 301, 404),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "tag_text": "考研" } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "tag_text": " " } }),
            362,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": key, "values": { "group_id": other } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_tags", "key": { "id": 999 }, "values": { "tag_text": "x" } }),
            361,
            404,
        ),
        ("delete", row("group_tags", 999), 361, 404),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(tag_texts(&server, &owner, group).await, ["晨读", "考研"]);

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "group_tags", "key": key }),
    )
    .await;
    assert_eq!(target, format!("group_tags:{tag}"));
    assert_eq!(tag_texts(&server, &owner, group).await, ["考研"]);
    assert!(tag_hints(&server, &owner, "学习", "读").await.is_empty());
    assert!(search(&server, &owner, "学习", "晨读").await.is_empty());
    refused(
        &server,
        "delete",
        json!({ "table": "group_tags", "key": key }),
        361,
        404,
    )
    .await;

    // Ten at most.
    for i in 0..9 {
        write_ok(&server, "create", new(group, &format!("标签{i}"))).await;
    }
    refused(&server, "create", new(group, "第十一个"), 363, 413).await;
    assert_eq!(tag_texts(&server, &owner, group).await.len(), 10);
    write_ok(&server, "create", new(other, "第十一个")).await;
}

#[tokio::test]
async fn intro_pictures_and_announcements_go_with_their_pictures() {
    let server = admin_server().await;
    let owner = user(&server, "pa-owner").await;
    let group = server.new_group(&owner, "兴趣", "摄影社", 10).await;
    let before = stored_keys(&server);
    let p1 = add_intro_picture(&server, &owner, group, png(64, 48, 255)).await;
    let p1_keys = stored_since(&server, &before);
    assert!(
        !p1_keys.is_empty()
            && p1_keys
                .iter()
                .all(|k| k.contains(&format!("picture/group/{group}/"))),
        "{p1_keys:?}"
    );
    let p2 = add_intro_picture(&server, &owner, group, png(48, 64, 255)).await;

    let target = write_ok(&server, "delete", row("group_pictures", p1)).await;
    assert_eq!(target, format!("group_pictures:{p1}"));
    let listed = server
        .ok(group::PICTURES, &owner.token, json!({ "group_id": group }))
        .await;
    assert_eq!(listed["pictures"], json!([{ "id": p2 }]));
    let (status, body) = {
        let res = public_picture(&server, &owner, group, p1).await;
        (res.status().as_u16(), res.bytes().await.unwrap())
    };
    assert_eq!(error_of(status, &body), (404, Some(332)));
    assert_eq!(
        public_picture(&server, &owner, group, p2).await.status(),
        200
    );
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&p1_keys)).await,
        "the picture's blob stays"
    );
    for (action, body, code, status) in [
        ("delete", row("group_pictures", p1), 332, 404),
        (
            "create",
            json!({ "table": "group_pictures", "values": { "group_id": group } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "group_pictures", "key": { "id": p2 }, "values": { "group_id": 1 } }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }

    // Announcements: edited with the rules of a new one, deleted with their picture.
    let before = stored_keys(&server);
    let notice = announce(&server, &owner, group, "活动通知", "周六外拍").await;
    let notice_keys = stored_since(&server, &before);
    assert!(
        !notice_keys.is_empty()
            && notice_keys
                .iter()
                .all(|k| k.contains(&format!("picture/announcement/{notice}/"))),
        "{notice_keys:?}"
    );
    let get = || {
        let (server, token) = (&server, owner.token.clone());
        async move {
            server
                .ok(
                    group::ANNOUNCEMENT,
                    &token,
                    json!({ "group_id": group, "announcement_id": notice }),
                )
                .await["announcement"]
                .clone()
        }
    };
    let key = json!({ "id": notice });
    let target = write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": { "title": " 改期通知 " } }),
    )
    .await;
    assert_eq!(target, format!("announcements:{notice}"));
    let shown = get().await;
    assert_eq!(
        (&shown["title"], &shown["text"], &shown["has_pic"]),
        (&json!("改期通知"), &json!("周六外拍"), &json!(true))
    );
    write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": { "text": "改到周日" } }),
    )
    .await;
    assert_eq!(get().await["text"], "改到周日");
    let both = json!({ "title": "定了", "text": "周日早上" });
    write_ok(
        &server,
        "update",
        json!({ "table": "announcements", "key": key, "values": both }),
    )
    .await;
    let shown = get().await;
    assert_eq!(
        (&shown["title"], &shown["text"]),
        (&json!("定了"), &json!("周日早上"))
    );

    for (action, body, code, status) in [
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "title": "  " } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "announcements", "key": key, "values": { "title": "题".repeat(51) }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "text": "" } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "announcements", "key": key, "values": { "text": "字".repeat(5001) }
            }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": { "author_id": "x" } }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": key, "values": {} }),
            101,
            400,
        ),
        (
            "update",
            json!({ "table": "announcements", "key": { "id": 999 }, "values": { "title": "x" } }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "announcements", "values": { "group_id": group, "title": "x", "text": "y" }
            }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(get().await["title"], "定了");

    let target = write_ok(
        &server,
        "delete",
        json!({ "table": "announcements", "key": key }),
    )
    .await;
    assert_eq!(target, format!("announcements:{notice}"));
    server
        .fails(
            group::ANNOUNCEMENT,
            owner.t(),
            json!({ "group_id": group, "announcement_id": notice }),
            101,
            400,
        )
        .await;
    let listed = server
        .ok(
            group::ANNOUNCEMENTS,
            &owner.token,
            json!({ "group_id": group }),
        )
        .await;
    assert_eq!(listed["announcements"], json!([]));
    assert!(
        eventually(|| stored_keys(&server).is_disjoint(&notice_keys)).await,
        "the announcement's picture stays"
    );
    read_fails(
        &server,
        "/debug/api/picture",
        &[("kind", "announcement"), ("id", &notice.to_string())],
        332,
        404,
    )
    .await;
    refused(
        &server,
        "delete",
        json!({ "table": "announcements", "key": key }),
        101,
        400,
    )
    .await;
}

/// Two intro pictures with the same content are two rows: deleting one must leave the other
/// showing.
#[tokio::test]
async fn deleting_one_of_two_identical_intro_pictures_keeps_the_other() {
    let server = admin_server().await;
    let owner = user(&server, "twin-owner").await;
    let group = server.new_group(&owner, "兴趣", "双胞胎照片", 10).await;
    let first = add_intro_picture(&server, &owner, group, png(40, 40, 255)).await;
    let second = add_intro_picture(&server, &owner, group, png(40, 40, 255)).await;
    assert_ne!(first, second);
    write_ok(&server, "delete", row("group_pictures", first)).await;
    let res = public_picture(&server, &owner, group, second).await;
    let status = res.status().as_u16();
    let body = res.bytes().await.unwrap();
    assert_eq!(
        status,
        200,
        "the remaining picture lost its image: {}",
        String::from_utf8_lossy(&body)
    );
    let res = call(
        &server,
        Method::GET,
        "/debug/api/picture",
        &[("kind", "group_picture"), ("id", &second.to_string())],
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn ratings_are_deleted_one_by_one_and_their_target_recounted() {
    let server = admin_server().await;
    let target = user(&server, "rd-target").await;
    let rater1 = user(&server, "rd-rater1").await;
    let rater2 = user(&server, "rd-rater2").await;
    let group = server.new_group(&target, "竞赛", "数模三人组", 5).await;
    admit(&server, &target, &rater1, group).await;
    admit(&server, &target, &rater2, group).await;
    server.dismiss_group(&target, group).await;
    rate(&server, &rater1, group, &[(&target, 2.0), (&rater2, 8.0)]).await;
    rate(&server, &rater2, group, &[(&target, 6.0)]).await;
    assert_eq!(server.rating_of(&rater1, &target).await, (4.0, 2));

    let key = |rater: &User, to: &User| {
        json!({
            "table": "ratings",
            "key": { "group_id": group, "rater_id": rater.id, "target_id": to.id }
        })
    };
    let written = write_ok(&server, "delete", key(&rater1, &target)).await;
    assert_eq!(
        written,
        format!("ratings:{group}/{}/{}", rater1.id, target.id)
    );
    assert_eq!(server.rating_of(&rater1, &target).await, (6.0, 1));
    assert_eq!(
        server.rating_of(&target, &rater2).await,
        (8.0, 1),
        "other ratings stay"
    );
    let view = user_view(&server, &target).await;
    assert_eq!(
        (
            view["user"]["star_rating"].as_f64(),
            &view["user"]["rating_count"]
        ),
        (Some(6.0), &json!(1))
    );
    assert_eq!(view["ratings"]["received"].as_array().unwrap().len(), 1);
    assert_eq!(
        view["ratings"]["received"][0]["rater_id"],
        rater2.id.as_str()
    );

    for (action, body, code, status) in [
        ("delete", key(&rater1, &target), 323, 400),
        ("delete", key(&target, &rater1), 323, 400),
        (
            "delete",
            json!({
                "table": "ratings",
                "key": { "group_id": 999, "rater_id": rater2.id, "target_id": target.id }
            }),
            323,
            400,
        ),
        (
            "delete",
            json!({ "table": "ratings", "key": { "group_id": group, "rater_id": rater2.id } }),
            101,
            400,
        ),
        (
            "update",
            json!({
                "table": "ratings",
                "key": { "group_id": group, "rater_id": rater2.id, "target_id": target.id },
                "values": { "stars": 10 }
            }),
            101,
            400,
        ),
        (
            "create",
            json!({
                "table": "ratings",
                "values": { "group_id": group, "rater_id": rater2.id, "target_id": rater1.id }
            }),
            101,
            400,
        ),
    ] {
        refused(&server, action, body, code, status).await;
    }
    assert_eq!(server.rating_of(&rater1, &target).await, (6.0, 1));

    // The rater has still used their one rating of the group.
    server
        .fails(
            group::RATE,
            rater1.t(),
            json!({ "group_id": group, "rates": [{ "user_id": target.id, "star_rating": 9 }] }),
            322,
            409,
        )
        .await;
}
