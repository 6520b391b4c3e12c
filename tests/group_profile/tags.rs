//! Group tags.

use crate::support::*;

#[tokio::test]
async fn group_tags_lifecycle() {
    let s = Setup::new("tags").await;
    let server = &s.server;

    assert_eq!(tags(server, &s.outsider, s.group).await, json!([]));
    server
        .ok(
            group::TAG_ADD,
            &s.creator,
            json!({ "group_id": s.group, "tag_text": "  考研  " }),
        )
        .await;
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.g(), "tag_text": "数学" }),
        )
        .await;
    let list = tags(server, &s.outsider, s.group).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["tag_text"], "考研");
    assert_eq!(items[1]["tag_text"], "数学");
    let first = items[0]["id"].as_i64().expect("id");
    let second = items[1]["id"].as_i64().expect("id");
    assert_ne!(first, second);
    for item in items {
        assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
    }
    assert_eq!(tags(server, &s.member, s.group).await, list);

    // Exactly 20 characters; edits keep the id; ids may be decimal strings.
    let longest = "标".repeat(20);
    server
        .ok(
            group::TAG_EDIT,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": first.to_string(), "tag_text": format!(" {longest} ") }),
        )
        .await;
    server
        .ok(
            group::TAG_REMOVE,
            &s.creator,
            json!({ "group_id": s.group, "tag_id": second }),
        )
        .await;
    assert_eq!(
        tags(server, &s.member, s.group).await,
        json!([{ "id": first, "tag_text": longest }])
    );
    // A removed tag's text can be used again.
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "数学" }),
        )
        .await;
    let list = tags(server, &s.outsider, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[1]["tag_text"], "数学");
    server
        .ok(
            group::TAG_REMOVE,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": list[1]["id"] }),
        )
        .await;
    server
        .ok(
            group::TAG_REMOVE,
            &s.creator,
            json!({ "group_id": s.group, "tag_id": first }),
        )
        .await;
    assert_eq!(tags(server, &s.outsider, s.group).await, json!([]));
}

#[tokio::test]
async fn group_tag_errors() {
    let s = Setup::new("tags-err").await;
    let server = &s.server;
    let creator = Some(s.creator.as_str());
    let other = create_group(server, &s.outsider, "别的群").await;
    server
        .ok(
            group::TAG_ADD,
            &s.outsider,
            json!({ "group_id": other, "tag_text": "别人的" }),
        )
        .await;
    let foreign = tags(server, &s.outsider, other).await[0]["id"].clone();

    // Adding: empty is 362, too long or a duplicate 101, missing text 101.
    server
        .ok(
            group::TAG_ADD,
            &s.creator,
            json!({ "group_id": s.group, "tag_text": "摄影" }),
        )
        .await;
    let cases = [
        (json!({ "group_id": s.group, "tag_text": "" }), 362, 400),
        (json!({ "group_id": s.group, "tag_text": "   " }), 362, 400),
        (
            json!({ "group_id": s.group, "tag_text": "标".repeat(21) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "tag_text": "摄影" }), 101, 400),
        (
            json!({ "group_id": s.group, "tag_text": " 摄影 " }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "tag_text": 1 }), 101, 400),
        (json!({ "tag_text": "x" }), 101, 400),
        (json!({ "group_id": 999_999, "tag_text": "x" }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_ADD, creator, body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::TAG_ADD,
                Some(token),
                json!({ "group_id": s.group, "tag_text": "越权" }),
                303,
                403,
            )
            .await;
    }
    // The same text in another group is fine.
    server
        .ok(
            group::TAG_ADD,
            &s.outsider,
            json!({ "group_id": other, "tag_text": "摄影" }),
        )
        .await;

    // At most ten: the eleventh is 363.
    for i in 1..10 {
        let token = if i % 2 == 0 { &s.creator } else { &s.admin };
        server
            .ok(
                group::TAG_ADD,
                token,
                json!({ "group_id": s.group, "tag_text": format!("标签{i}") }),
            )
            .await;
    }
    server
        .fails(
            group::TAG_ADD,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_text": "第十一个" }),
            363,
            413,
        )
        .await;
    let before = tags(server, &s.member, s.group).await;
    assert_eq!(before.as_array().unwrap().len(), 10, "{before}");
    assert_eq!(before[0]["tag_text"], "摄影");
    let id = before[0]["id"].clone();

    // Editing.
    let cases = [
        (
            json!({ "group_id": s.group, "tag_id": 999_999, "tag_text": "x" }),
            361,
            404,
        ),
        (
            json!({ "group_id": s.group, "tag_id": foreign, "tag_text": "x" }),
            361,
            404,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "" }),
            362,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "  " }),
            362,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "标签1" }),
            101,
            400,
        ),
        (
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "标".repeat(21) }),
            101,
            400,
        ),
        (json!({ "group_id": s.group, "tag_id": id }), 101, 400),
        (json!({ "group_id": s.group, "tag_text": "x" }), 101, 400),
        (
            json!({ "group_id": s.group, "tag_id": "abc", "tag_text": "x" }),
            101,
            400,
        ),
        (
            json!({ "group_id": 999_999, "tag_id": id, "tag_text": "x" }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_EDIT, creator, body, code, status)
            .await;
    }
    // Removing.
    let cases = [
        (json!({ "group_id": s.group, "tag_id": 999_999 }), 361, 404),
        (json!({ "group_id": s.group, "tag_id": foreign }), 361, 404),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "tag_id": "abc" }), 101, 400),
        (json!({ "group_id": 999_999, "tag_id": id }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::TAG_REMOVE, creator, body, code, status)
            .await;
    }
    for token in s.not_managers() {
        server
            .fails(
                group::TAG_EDIT,
                Some(token),
                json!({ "group_id": s.group, "tag_id": id, "tag_text": "越权" }),
                303,
                403,
            )
            .await;
        server
            .fails(
                group::TAG_REMOVE,
                Some(token),
                json!({ "group_id": s.group, "tag_id": id }),
                303,
                403,
            )
            .await;
    }
    server
        .fails(
            group::TAGS,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::TAGS, Some(&s.member), json!({}), 101, 400)
        .await;
    for path in [
        group::TAGS,
        group::TAG_ADD,
        group::TAG_EDIT,
        group::TAG_REMOVE,
    ] {
        server
            .fails(
                path,
                None,
                json!({ "group_id": s.group, "tag_id": id, "tag_text": "x" }),
                113,
                401,
            )
            .await;
    }

    // Nothing changed here, and the other group still has its two tags.
    assert_eq!(tags(server, &s.outsider, s.group).await, before);
    let theirs = tags(server, &s.member, other).await;
    assert_eq!(theirs.as_array().unwrap().len(), 2, "{theirs}");

    // A removed tag is 361 the second time; its slot is free again.
    server
        .ok(
            group::TAG_REMOVE,
            &s.admin,
            json!({ "group_id": s.group, "tag_id": id }),
        )
        .await;
    server
        .fails(
            group::TAG_REMOVE,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_id": id }),
            361,
            404,
        )
        .await;
    server
        .fails(
            group::TAG_EDIT,
            Some(&s.admin),
            json!({ "group_id": s.group, "tag_id": id, "tag_text": "复活" }),
            361,
            404,
        )
        .await;
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "第十一个" }),
        )
        .await;
    assert_eq!(
        tags(server, &s.member, s.group)
            .await
            .as_array()
            .unwrap()
            .len(),
        10
    );
}
