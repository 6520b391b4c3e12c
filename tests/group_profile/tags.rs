//! Group tags.

use crate::support::*;

/// The tags' ids.
fn ids(tags: &Value) -> Vec<i64> {
    let tags = tags.as_array().unwrap_or_else(|| panic!("{tags}"));
    tags.iter().map(|t| t["id"].as_i64().expect("id")).collect()
}

#[tokio::test]
async fn group_tags_lifecycle() {
    let s = Setup::new("tags").await;
    let server = &s.server;

    assert_eq!(server.group_tags(&s.outsider, s.group).await, json!([]));
    server.add_group_tag(&s.creator, s.group, "  考研  ").await;
    // Ids may come as decimal strings.
    let body = json!({ "group_id": s.g(), "tag_text": "数学" });
    server.ok(group::TAG_ADD, &s.admin.token, body).await;
    let list = server.group_tags(&s.outsider, s.group).await;
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(items[0]["tag_text"], "考研");
    assert_eq!(items[1]["tag_text"], "数学");
    let [first, second] = ids(&list)[..] else {
        panic!("{list}")
    };
    assert_ne!(first, second);
    for item in items {
        assert_eq!(item.as_object().unwrap().len(), 2, "{item}");
    }
    assert_eq!(server.group_tags(&s.member, s.group).await, list);

    // Exactly 20 characters; edits keep the id.
    let longest = "标".repeat(20);
    let body = s.at(json!({ "tag_id": first.to_string(), "tag_text": format!(" {longest} ") }));
    server.ok(group::TAG_EDIT, &s.admin.token, body).await;
    server.remove_group_tag(&s.creator, s.group, second).await;
    assert_eq!(
        server.group_tags(&s.member, s.group).await,
        json!([{ "id": first, "tag_text": longest }])
    );
    // A removed tag's text can be used again.
    server.add_group_tag(&s.admin, s.group, "数学").await;
    let list = server.group_tags(&s.outsider, s.group).await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["id"], first);
    assert_eq!(list[1]["tag_text"], "数学");
    server
        .remove_group_tag(&s.admin, s.group, ids(&list)[1])
        .await;
    server.remove_group_tag(&s.creator, s.group, first).await;
    assert_eq!(server.group_tags(&s.outsider, s.group).await, json!([]));
}

#[tokio::test]
async fn group_tag_errors() {
    let s = Setup::new("tags-err").await;
    let server = &s.server;
    let creator = Some(&s.creator);
    let other = create_group(server, &s.outsider, "别的群").await;
    server.add_group_tag(&s.outsider, other, "别人的").await;
    let foreign = ids(&server.group_tags(&s.outsider, other).await)[0];

    // Adding: empty is 362, too long or a duplicate 101, missing text 101.
    server.add_group_tag(&s.creator, s.group, "摄影").await;
    let text = |text: Value| s.at(json!({ "tag_text": text }));
    let cases = vec![
        (text(json!("")), 362, 400),
        (text(json!("   ")), 362, 400),
        (text(json!("标".repeat(21))), 101, 400),
        (text(json!("摄影")), 101, 400),
        (text(json!(" 摄影 ")), 101, 400),
        (s.at(json!({})), 101, 400),
        (text(json!(1)), 101, 400),
    ];
    s.refused(group::TAG_ADD, creator, cases).await;
    s.refuses_bad_group_ids(group::TAG_ADD, json!({ "tag_text": "x" }))
        .await;
    s.only_managers_may(group::TAG_ADD, text(json!("越权")))
        .await;
    // The same text in another group is fine.
    server.add_group_tag(&s.outsider, other, "摄影").await;

    // At most ten: the eleventh is 363.
    for i in 1..10 {
        let who = if i % 2 == 0 { &s.creator } else { &s.admin };
        server
            .add_group_tag(who, s.group, &format!("标签{i}"))
            .await;
    }
    let body = text(json!("第十一个"));
    server
        .fails(group::TAG_ADD, s.admin.t(), body, 363, 413)
        .await;
    let before = server.group_tags(&s.member, s.group).await;
    assert_eq!(before.as_array().unwrap().len(), 10, "{before}");
    assert_eq!(before[0]["tag_text"], "摄影");
    let id = ids(&before)[0];

    // Editing: unknown tags and another group's are 361.
    let edit = |tag: Value, text: Value| s.at(json!({ "tag_id": tag, "tag_text": text }));
    let cases = vec![
        (edit(json!(999_999), json!("x")), 361, 404),
        (edit(json!(foreign), json!("x")), 361, 404),
        (edit(json!(id), json!("")), 362, 400),
        (edit(json!(id), json!("  ")), 362, 400),
        (edit(json!(id), json!("标签1")), 101, 400),
        (edit(json!(id), json!("标".repeat(21))), 101, 400),
        (s.at(json!({ "tag_id": id })), 101, 400),
        (text(json!("x")), 101, 400),
        (edit(json!("abc"), json!("x")), 101, 400),
    ];
    s.refused(group::TAG_EDIT, creator, cases).await;
    let body = json!({ "tag_id": id, "tag_text": "x" });
    s.refuses_bad_group_ids(group::TAG_EDIT, body).await;
    s.only_managers_may(group::TAG_EDIT, edit(json!(id), json!("越权")))
        .await;
    // Removing.
    let remove = |tag: Value| s.at(json!({ "tag_id": tag }));
    let cases = vec![
        (remove(json!(999_999)), 361, 404),
        (remove(json!(foreign)), 361, 404),
        (s.at(json!({})), 101, 400),
        (remove(json!("abc")), 101, 400),
    ];
    s.refused(group::TAG_REMOVE, creator, cases).await;
    let body = json!({ "tag_id": id });
    s.refuses_bad_group_ids(group::TAG_REMOVE, body).await;
    s.only_managers_may(group::TAG_REMOVE, remove(json!(id)))
        .await;
    s.refuses_bad_group_ids(group::TAGS, json!({})).await;

    // Nothing changed here, and the other group still has its two tags.
    assert_eq!(server.group_tags(&s.outsider, s.group).await, before);
    let theirs = server.group_tags(&s.member, other).await;
    assert_eq!(theirs.as_array().unwrap().len(), 2, "{theirs}");

    // A removed tag is 361 the second time; its slot is free again.
    server.remove_group_tag(&s.admin, s.group, id).await;
    let admin = s.admin.t();
    server
        .fails(group::TAG_REMOVE, admin, remove(json!(id)), 361, 404)
        .await;
    let body = edit(json!(id), json!("复活"));
    server.fails(group::TAG_EDIT, admin, body, 361, 404).await;
    server.add_group_tag(&s.admin, s.group, "第十一个").await;
    let after = server.group_tags(&s.member, s.group).await;
    assert_eq!(after.as_array().unwrap().len(), 10, "{after}");
}
