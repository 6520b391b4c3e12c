//! Announcements.

use crate::support::*;

#[tokio::test]
async fn announcements_lifecycle() {
    let s = Setup::new("ann").await;
    let server = &s.server;

    assert_eq!(announcements(server, &s.member, s.group).await, json!([]));

    let res = server
        .ok(
            group::ANN_ADD,
            &s.admin,
            json!({ "group_id": s.group, "title": "  周会通知  ", "text": "\n 周三 8 点开会 \n" }),
        )
        .await;
    assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
    let first = res["announcement_id"].as_i64().expect("announcement_id");
    let second = add_announcement(server, &s.creator, s.group, "第二条").await;
    assert_ne!(first, second);

    // Newest first, for every member.
    let list = announcements(server, &s.member, s.group).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["id"], second);
    assert_eq!(items[0]["title"], "第二条");
    assert_eq!(items[1]["id"], first);
    assert_eq!(items[1]["title"], "周会通知");
    for item in items {
        assert_eq!(item["has_pic"], false);
        assert_time(&item["time"]);
        assert_eq!(item.as_object().unwrap().len(), 4, "{item}");
    }
    assert_eq!(announcements(server, &s.creator, s.group).await, list);

    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": first }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(got["id"], first);
    assert_eq!(got["title"], "周会通知");
    assert_eq!(got["text"], "周三 8 点开会");
    assert_eq!(got["author_id"], s.admin_id.as_str());
    assert_eq!(got["has_pic"], false);
    assert_eq!(got["time"], items[1]["time"]);
    assert_time(&got["edit_time"]);
    assert!(got["edit_time"].as_str() >= got["time"].as_str(), "{got}");
    assert_eq!(got.as_object().unwrap().len(), 7, "{got}");
    let by_creator = server
        .ok(
            group::ANNOUNCEMENT,
            &s.creator,
            json!({ "group_id": s.g(), "announcement_id": second.to_string() }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(by_creator["author_id"], s.creator_id.as_str());
    assert_eq!(by_creator["text"], "第二条的正文");

    // The creator edits the admin's announcement: author and creation time stay.
    server
        .ok(
            group::ANN_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "announcement_id": first, "title": " 改期 ", "text": " 改到周四 " }),
        )
        .await;
    let edited = server
        .ok(
            group::ANNOUNCEMENT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": first }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(edited["title"], "改期");
    assert_eq!(edited["text"], "改到周四");
    assert_eq!(edited["author_id"], s.admin_id.as_str());
    assert_eq!(edited["time"], got["time"]);
    assert!(edited["edit_time"].as_str() >= got["edit_time"].as_str());
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[1]["title"], "改期");

    // Limits: exactly 50 and 5000 characters after trimming.
    let title = "题".repeat(50);
    let text = "文".repeat(5000);
    server
        .ok(
            group::ANN_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": second, "title": format!(" {title} "), "text": format!("{text}\n") }),
        )
        .await;
    let long = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": second }),
        )
        .await["announcement"]
        .clone();
    assert_eq!(long["title"], title.as_str());
    assert_eq!(long["text"], text.as_str());

    // Deleting.
    server
        .ok(
            group::ANN_DELETE,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": second }),
        )
        .await;
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], first);
    server
        .fails(
            group::ANNOUNCEMENT,
            Some(&s.member),
            json!({ "group_id": s.group, "announcement_id": second }),
            101,
            400,
        )
        .await;
    server
        .ok(
            group::ANN_DELETE,
            &s.creator,
            json!({ "group_id": s.g(), "announcement_id": first.to_string() }),
        )
        .await;
    assert_eq!(announcements(server, &s.member, s.group).await, json!([]));
}

#[tokio::test]
async fn announcement_errors_and_permissions() {
    let s = Setup::new("ann-err").await;
    let server = &s.server;
    let creator = Some(s.creator.as_str());
    let id = add_announcement(server, &s.creator, s.group, "公告").await;
    let other = create_group(server, &s.outsider, "别的群").await;
    let foreign = add_announcement(server, &s.outsider, other, "别人的公告").await;

    // Outsiders read nothing, not even the list.
    server
        .fails(
            group::ANNOUNCEMENTS,
            Some(&s.outsider),
            json!({ "group_id": s.group }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::ANNOUNCEMENT,
            Some(&s.outsider),
            json!({ "group_id": s.group, "announcement_id": id }),
            303,
            403,
        )
        .await;
    // Members read but do not write; outsiders neither.
    for token in s.not_managers() {
        let cases = [
            (
                group::ANN_ADD,
                json!({ "group_id": s.group, "title": "t", "text": "x" }),
            ),
            (
                group::ANN_EDIT,
                json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "x" }),
            ),
            (
                group::ANN_DELETE,
                json!({ "group_id": s.group, "announcement_id": id }),
            ),
        ];
        for (path, body) in cases {
            server.fails(path, Some(token), body, 303, 403).await;
        }
    }

    // Adding: title 1..=50, text 1..=5000 after trimming.
    let cases = [
        (
            json!({ "group_id": s.group, "title": "题".repeat(51), "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "   ", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "文".repeat(5001) }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": " \n " }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "" }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "text": "x" }), 101, 400),
        (json!({ "group_id": s.group, "title": "t" }), 101, 400),
        (
            json!({ "group_id": s.group, "title": 1, "text": "x" }),
            101,
            400,
        ),
        (json!({ "title": "t", "text": "x" }), 101, 400),
        (
            json!({ "group_id": 999_999, "title": "t", "text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_ADD, creator, body, code, status)
            .await;
    }
    // Editing.
    let cases = [
        (
            json!({ "group_id": s.group, "announcement_id": 999_999, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": foreign, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "题".repeat(51), "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "文".repeat(5001) }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "  " }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "announcement_id": id, "title": "t" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "title": "t", "text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": 999_999, "announcement_id": id, "title": "t", "text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_EDIT, creator, body, code, status)
            .await;
    }
    // Deleting and reading unknown ones.
    for path in [group::ANN_DELETE, group::ANNOUNCEMENT] {
        let cases = [
            (
                json!({ "group_id": s.group, "announcement_id": 999_999 }),
                101,
                400,
            ),
            (
                json!({ "group_id": s.group, "announcement_id": foreign }),
                101,
                400,
            ),
            (json!({ "group_id": s.group }), 101, 400),
            (
                json!({ "group_id": s.group, "announcement_id": "x" }),
                101,
                400,
            ),
            (
                json!({ "group_id": 999_999, "announcement_id": id }),
                301,
                404,
            ),
        ];
        for (body, code, status) in cases {
            server.fails(path, creator, body, code, status).await;
        }
    }
    server
        .fails(
            group::ANNOUNCEMENTS,
            creator,
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::ANNOUNCEMENTS, creator, json!({}), 101, 400)
        .await;
    for path in [
        group::ANNOUNCEMENTS,
        group::ANNOUNCEMENT,
        group::ANN_ADD,
        group::ANN_EDIT,
        group::ANN_DELETE,
        group::ANN_DEL_PIC,
    ] {
        server
            .fails(
                path,
                None,
                json!({ "group_id": s.group, "announcement_id": id, "title": "t", "text": "x" }),
                113,
                401,
            )
            .await;
    }

    // Nothing changed, here or in the other group.
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["title"], "公告");
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    assert_eq!(got["announcement"]["text"], "公告的正文");
    let theirs = announcements(server, &s.outsider, other).await;
    assert_eq!(theirs[0]["id"], foreign);

    // A demoted admin can no longer write.
    server
        .ok(
            "/group/internal/member/switchAdmin",
            &s.creator,
            json!({ "group_id": s.group, "user_id": s.admin_id }),
        )
        .await;
    server
        .fails(
            group::ANN_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "title": "t", "text": "x" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::TAG_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_text": "x" }),
            303,
            403,
        )
        .await;
}
