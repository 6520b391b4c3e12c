//! Announcements.

use crate::support::*;

#[tokio::test]
async fn announcements_lifecycle() {
    let s = Setup::new("ann").await;
    let server = &s.server;
    let member = &s.member;

    assert_eq!(server.group_announcements(member, s.group).await, json!([]));

    let first = server
        .add_group_announcement(&s.admin, s.group, "  周会通知  ", "\n 周三 8 点开会 \n")
        .await;
    let second = server
        .add_group_announcement(&s.creator, s.group, "第二条", "第二条的正文")
        .await;
    assert_ne!(first, second);

    // Newest first, for every member.
    let list = server.group_announcements(member, s.group).await;
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
    assert_eq!(server.group_announcements(&s.creator, s.group).await, list);

    let got = server.group_announcement(member, s.group, first).await;
    assert_eq!(got["id"], first);
    assert_eq!(got["title"], "周会通知");
    assert_eq!(got["text"], "周三 8 点开会");
    assert_eq!(got["author_id"], s.admin.id.as_str());
    assert_eq!(got["has_pic"], false);
    assert_eq!(got["time"], items[1]["time"]);
    assert_time(&got["edit_time"]);
    assert!(got["edit_time"].as_str() >= got["time"].as_str(), "{got}");
    assert_eq!(got.as_object().unwrap().len(), 7, "{got}");
    // Ids may come as decimal strings.
    let body = json!({ "group_id": s.g(), "announcement_id": second.to_string() });
    let by_creator = server.ok(group::ANNOUNCEMENT, &s.creator.token, body).await;
    assert_eq!(
        by_creator["announcement"]["author_id"],
        s.creator.id.as_str()
    );
    assert_eq!(by_creator["announcement"]["text"], "第二条的正文");

    // The creator edits the admin's announcement: author and creation time stay.
    server
        .edit_group_announcement(&s.creator, s.group, first, " 改期 ", " 改到周四 ")
        .await;
    let edited = server.group_announcement(&s.admin, s.group, first).await;
    assert_eq!(edited["title"], "改期");
    assert_eq!(edited["text"], "改到周四");
    assert_eq!(edited["author_id"], s.admin.id.as_str());
    assert_eq!(edited["time"], got["time"]);
    assert!(edited["edit_time"].as_str() >= got["edit_time"].as_str());
    let list = server.group_announcements(member, s.group).await;
    assert_eq!(list[1]["title"], "改期");

    // Limits: exactly 50 and 5000 characters after trimming.
    let (title, text) = ("题".repeat(50), "文".repeat(5000));
    let (padded_title, padded_text) = (format!(" {title} "), format!("{text}\n"));
    server
        .edit_group_announcement(&s.admin, s.group, second, &padded_title, &padded_text)
        .await;
    let long = server.group_announcement(member, s.group, second).await;
    assert_eq!(long["title"], title.as_str());
    assert_eq!(long["text"], text.as_str());

    // Deleting.
    server
        .delete_group_announcement(&s.admin, s.group, second)
        .await;
    let list = server.group_announcements(member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], first);
    let body = s.at(json!({ "announcement_id": second }));
    server
        .fails(group::ANNOUNCEMENT, member.t(), body, 101, 400)
        .await;
    let body = json!({ "group_id": s.g(), "announcement_id": first.to_string() });
    server.ok(group::ANN_DELETE, &s.creator.token, body).await;
    assert_eq!(server.group_announcements(member, s.group).await, json!([]));
}

#[tokio::test]
async fn announcement_errors_and_permissions() {
    let s = Setup::new("ann-err").await;
    let server = &s.server;
    let creator = Some(&s.creator);
    let id = server
        .add_group_announcement(&s.creator, s.group, "公告", "公告的正文")
        .await;
    let other = create_group(server, &s.outsider, "别的群").await;
    let foreign = server
        .add_group_announcement(&s.outsider, other, "别人的公告", "别人的正文")
        .await;
    let ann = |id: Value| s.at(json!({ "announcement_id": id }));
    let post = |title: &str, text: &str| s.at(json!({ "title": title, "text": text }));
    let edit = |id: i64, title: &str, text: &str| {
        s.at(json!({ "announcement_id": id, "title": title, "text": text }))
    };

    // Outsiders read nothing, not even the list.
    let outsider = s.outsider.t();
    server
        .fails(group::ANNOUNCEMENTS, outsider, s.at(json!({})), 303, 403)
        .await;
    let body = ann(json!(id));
    server
        .fails(group::ANNOUNCEMENT, outsider, body, 303, 403)
        .await;
    // Members read but do not write; outsiders neither.
    s.only_managers_may(group::ANN_ADD, post("t", "x")).await;
    let body = edit(id, "t", "x");
    s.only_managers_may(group::ANN_EDIT, body).await;
    s.only_managers_may(group::ANN_DELETE, ann(json!(id))).await;

    // Adding: title 1..=50, text 1..=5000 after trimming.
    let cases = vec![
        (post(&"题".repeat(51), "x"), 101, 400),
        (post("   ", "x"), 101, 400),
        (post("", "x"), 101, 400),
        (post("t", &"文".repeat(5001)), 101, 400),
        (post("t", " \n "), 101, 400),
        (post("t", ""), 101, 400),
        (s.at(json!({ "text": "x" })), 101, 400),
        (s.at(json!({ "title": "t" })), 101, 400),
        (s.at(json!({ "title": 1, "text": "x" })), 101, 400),
    ];
    s.refused(group::ANN_ADD, creator, cases).await;
    let body = json!({ "title": "t", "text": "x" });
    s.refuses_bad_group_ids(group::ANN_ADD, body).await;
    // Editing: unknown announcements and another group's are 101.
    let cases = vec![
        (edit(999_999, "t", "x"), 101, 400),
        (edit(foreign, "t", "x"), 101, 400),
        (edit(id, &"题".repeat(51), "x"), 101, 400),
        (edit(id, "t", &"文".repeat(5001)), 101, 400),
        (edit(id, "", "x"), 101, 400),
        (edit(id, "t", "  "), 101, 400),
        (
            s.at(json!({ "announcement_id": id, "title": "t" })),
            101,
            400,
        ),
        (post("t", "x"), 101, 400),
    ];
    s.refused(group::ANN_EDIT, creator, cases).await;
    let body = json!({ "announcement_id": id, "title": "t", "text": "x" });
    s.refuses_bad_group_ids(group::ANN_EDIT, body).await;
    // Deleting and reading unknown ones.
    for path in [group::ANN_DELETE, group::ANNOUNCEMENT] {
        let cases = vec![
            (ann(json!(999_999)), 101, 400),
            (ann(json!(foreign)), 101, 400),
            (s.at(json!({})), 101, 400),
            (ann(json!("x")), 101, 400),
        ];
        s.refused(path, creator, cases).await;
        s.refuses_bad_group_ids(path, json!({ "announcement_id": id }))
            .await;
    }
    s.refuses_bad_group_ids(group::ANNOUNCEMENTS, json!({}))
        .await;

    // Nothing changed, here or in the other group.
    let list = server.group_announcements(&s.member, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["title"], "公告");
    let got = server.group_announcement(&s.admin, s.group, id).await;
    assert_eq!(got["text"], "公告的正文");
    let theirs = server.group_announcements(&s.outsider, other).await;
    assert_eq!(theirs[0]["id"], foreign);

    // A demoted admin can no longer write.
    assert!(!s.switch_admin().await);
    let admin = s.admin.t();
    let body = post("t", "x");
    server.fails(group::ANN_ADD, admin, body, 303, 403).await;
    let body = s.at(json!({ "tag_text": "x" }));
    server.fails(group::TAG_ADD, admin, body, 303, 403).await;
}
