//! Group search over real HTTP: Chinese substrings of every length, several words, tag filters,
//! every sort method and order, paging, hints, and the index following every write.

mod common;

use common::paths::group;
use common::Server;
use serde_json::{json, Value};

async fn create(server: &Server, token: &str, kind: &str, name: &str, limit: i64) -> i64 {
    let res = server
        .ok(
            "/group/external/group/create",
            token,
            json!({ "type": kind, "name": name, "user_limit": limit }),
        )
        .await;
    res["group_id"].as_i64().unwrap()
}

async fn set_intro(server: &Server, token: &str, group: i64, text: &str) {
    server
        .ok(
            "/group/internal/info/text/edit",
            token,
            json!({ "group_id": group, "text": text }),
        )
        .await;
}

async fn add_tag(server: &Server, token: &str, group: i64, tag: &str) {
    server
        .ok(
            "/group/internal/info/tag/add",
            token,
            json!({ "group_id": group, "tag_text": tag }),
        )
        .await;
}

/// Adds `n` new members to a group through join requests.
async fn add_members(server: &Server, owner: &str, group: i64, n: usize) {
    for i in 0..n {
        let user = server.login(&format!("member-{group}-{i}")).await;
        let req = server
            .ok(
                "/group/external/group/join",
                &user,
                json!({ "group_id": group }),
            )
            .await;
        server
            .ok(
                "/group/external/joinRequest/process",
                owner,
                json!({ "request_id": req["request_id"], "action": true }),
            )
            .await;
    }
}

async fn search(server: &Server, token: &str, body: Value) -> (Vec<i64>, i64) {
    let res = server.ok(group::SEARCH, token, body).await;
    let ids = res["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_i64().unwrap())
        .collect();
    (ids, res["total"].as_i64().unwrap())
}

async fn ids_for(server: &Server, token: &str, key: &str) -> Vec<i64> {
    let mut ids = search(server, token, json!({ "type": "学习", "key": key }))
        .await
        .0;
    ids.sort();
    ids
}

#[tokio::test]
async fn chinese_substrings_of_any_length_match_name_intro_and_tags() {
    let server = Server::start().await;
    let t = server.login("search-owner").await;
    let kaoyan = create(&server, &t, "学习", "考研数学互助小组", 50).await;
    set_intro(&server, &t, kaoyan, "每周打卡，一起刷题").await;
    add_tag(&server, &t, kaoyan, "考研").await;
    let gaoshu = create(&server, &t, "学习", "高等数学期末复习", 50).await;
    add_tag(&server, &t, gaoshu, "期末").await;
    let rust = create(&server, &t, "学习", "Rust 学习小组", 50).await;
    set_intro(&server, &t, rust, "一起读《Rust 程序设计》").await;
    add_tag(&server, &t, rust, "夜读").await;
    let sport = create(&server, &t, "运动", "周末数学家羽毛球", 50).await;

    // One character, in the middle of a word.
    assert_eq!(ids_for(&server, &t, "数").await, vec![kaoyan, gaoshu]);
    assert_eq!(ids_for(&server, &t, "学").await, vec![kaoyan, gaoshu, rust]);
    // Two characters, not at a word start.
    assert_eq!(ids_for(&server, &t, "互助").await, vec![kaoyan]);
    assert_eq!(ids_for(&server, &t, "数学").await, vec![kaoyan, gaoshu]);
    // Three or more.
    assert_eq!(ids_for(&server, &t, "期末复习").await, vec![gaoshu]);
    assert_eq!(ids_for(&server, &t, "考研数学互助小组").await, vec![kaoyan]);
    // Intro and tags; Latin text ignores case.
    assert_eq!(ids_for(&server, &t, "打卡").await, vec![kaoyan]);
    assert_eq!(ids_for(&server, &t, "程序设").await, vec![rust]);
    assert_eq!(ids_for(&server, &t, "夜").await, vec![rust]);
    assert_eq!(ids_for(&server, &t, "RUST").await, vec![rust]);
    assert_eq!(ids_for(&server, &t, "us").await, vec![rust]);
    // Not across punctuation: "打卡，一起" has a comma between 卡 and 一.
    assert!(ids_for(&server, &t, "卡一").await.is_empty());
    assert!(
        ids_for(&server, &t, "羽毛球").await.is_empty(),
        "other types never appear"
    );
    assert!(ids_for(&server, &t, "英语").await.is_empty());
    assert!(
        ids_for(&server, &t, "，！").await.is_empty(),
        "punctuation only matches nothing"
    );
    // Several words must all match, in any field.
    assert_eq!(ids_for(&server, &t, "数学 打卡").await, vec![kaoyan]);
    assert_eq!(ids_for(&server, &t, " 小组  学习 ").await, vec![rust]);
    assert!(ids_for(&server, &t, "数学 夜读").await.is_empty());
    // No key: every group of the type.
    assert_eq!(ids_for(&server, &t, "").await.len(), 3);
    let (sport_ids, _) = search(&server, &t, json!({ "type": "运动", "key": "数学" })).await;
    assert_eq!(sport_ids, vec![sport]);
}

#[tokio::test]
async fn tag_filters_require_every_tag() {
    let server = Server::start().await;
    let t = server.login("tags-owner").await;
    let a = create(&server, &t, "学习", "甲组", 10).await;
    let b = create(&server, &t, "学习", "乙组", 10).await;
    create(&server, &t, "学习", "丙组", 10).await;
    for tag in ["考研", "数学"] {
        add_tag(&server, &t, a, tag).await;
    }
    add_tag(&server, &t, b, "考研").await;
    let mut one = search(&server, &t, json!({ "type": "学习", "tags": ["考研"] }))
        .await
        .0;
    one.sort();
    assert_eq!(one, vec![a, b]);
    let both = search(
        &server,
        &t,
        json!({ "type": "学习", "tags": ["考研", "数学"] }),
    )
    .await
    .0;
    assert_eq!(both, vec![a]);
    let with_key = search(
        &server,
        &t,
        json!({ "type": "学习", "key": "乙", "tags": ["考研"] }),
    )
    .await
    .0;
    assert_eq!(with_key, vec![b]);
    assert!(
        search(&server, &t, json!({ "type": "学习", "tags": ["考"] }))
            .await
            .0
            .is_empty(),
        "tags match whole"
    );
    server
        .fails(
            group::SEARCH,
            Some(&t),
            json!({ "type": "学习", "tags": "考研" }),
            101,
            400,
        )
        .await;
    server
        .fails(
            group::SEARCH,
            Some(&t),
            json!({ "type": "学习", "tags": [1] }),
            101,
            400,
        )
        .await;
    // No group has more than 10 tags or a tag over 20 characters: such filters are refused
    // before any search runs.
    let ten: Vec<String> = (0..10).map(|i| format!("标签{i}")).collect();
    let (found, _) = search(&server, &t, json!({ "type": "学习", "tags": ten })).await;
    assert!(found.is_empty(), "ten tags are a valid filter");
    let eleven: Vec<String> = (0..11).map(|i| format!("标签{i}")).collect();
    let long = "长".repeat(21);
    for tags in [json!(eleven), json!([long])] {
        let body = json!({ "type": "学习", "tags": tags });
        server.fails(group::SEARCH, Some(&t), body, 101, 400).await;
    }
}

/// Keys of searches and hints hold at most 100 characters.
#[tokio::test]
async fn keys_are_bounded() {
    let server = Server::start().await;
    let t = server.login("key-bound").await;
    let longest = "键".repeat(100);
    for path in [group::SEARCH, group::NAME_HINT, group::TAG_HINT] {
        let (status, body) = server
            .post(path, Some(&t), json!({ "type": "学习", "key": longest }))
            .await;
        assert_eq!((status, &body["code"]), (200, &json!(0)), "{path}: {body}");
        let body = json!({ "type": "学习", "key": format!("{longest}键") });
        server.fails(path, Some(&t), body, 101, 400).await;
    }
}

#[tokio::test]
async fn sort_methods_and_orders() {
    let server = Server::start().await;
    let t = server.login("sort-owner").await;
    // Name hits rank above intro hits.
    let in_intro = create(&server, &t, "兴趣", "周末音乐角", 10).await;
    set_intro(&server, &t, in_intro, "偶尔弹吉他").await;
    let in_name = create(&server, &t, "兴趣", "吉他弹唱社", 10).await;
    let in_both = create(&server, &t, "兴趣", "吉他吉他吉他", 10).await;
    set_intro(&server, &t, in_both, "吉他爱好者").await;
    add_members(&server, &t, in_intro, 3).await;
    add_members(&server, &t, in_name, 1).await;

    let by = |method: &str, order: Option<&str>| {
        let mut body = json!({ "type": "兴趣", "key": "吉他", "sort_method": method });
        if let Some(order) = order {
            body["sort_order"] = json!(order);
        }
        body
    };
    let (relative, total) = search(&server, &t, by("RELATIVE", None)).await;
    assert_eq!(total, 3);
    assert_eq!(relative, vec![in_both, in_name, in_intro]);
    let (relative_asc, _) = search(&server, &t, by("RELATIVE", Some("ASC"))).await;
    assert_eq!(relative_asc, vec![in_intro, in_name, in_both]);

    let (members, _) = search(&server, &t, by("MEMBER", Some("DESC"))).await;
    assert_eq!(members, vec![in_intro, in_name, in_both]);
    let (members_asc, _) = search(&server, &t, by("MEMBER", Some("ASC"))).await;
    assert_eq!(members_asc, vec![in_both, in_name, in_intro]);

    // Created in this order: TIME DESC is newest first (ties by id in the same direction).
    let (newest, _) = search(&server, &t, by("TIME", None)).await;
    assert_eq!(newest, vec![in_both, in_name, in_intro]);
    let (oldest, _) = search(&server, &t, by("TIME", Some("ASC"))).await;
    assert_eq!(oldest, vec![in_intro, in_name, in_both]);

    // COMPREHENSIVE is the default; with equal relevance, members and age, a group with room
    // ranks above a full one.
    let full = create(&server, &t, "出行", "川西自驾", 2).await;
    let open = create(&server, &t, "出行", "川西自驾", 10).await;
    add_members(&server, &t, full, 1).await;
    add_members(&server, &t, open, 1).await;
    let (default, _) = search(&server, &t, json!({ "type": "出行", "key": "川西" })).await;
    assert_eq!(default, vec![open, full]);
    let (asc, _) = search(
        &server,
        &t,
        json!({ "type": "出行", "key": "川西", "sort_order": "ASC" }),
    )
    .await;
    assert_eq!(asc, vec![full, open]);

    server
        .fails(
            group::SEARCH,
            Some(&t),
            json!({ "type": "兴趣", "sort_method": "HOT" }),
            353,
            400,
        )
        .await;
    server
        .fails(
            group::SEARCH,
            Some(&t),
            json!({ "type": "兴趣", "sort_order": "UP" }),
            352,
            400,
        )
        .await;
    server
        .fails(
            group::SEARCH,
            Some(&t),
            json!({ "type": "不存在" }),
            351,
            400,
        )
        .await;
    server
        .fails(group::SEARCH, Some(&t), json!({}), 101, 400)
        .await;
    server
        .fails(group::SEARCH, None, json!({ "type": "兴趣" }), 113, 401)
        .await;
}

#[tokio::test]
async fn paging_returns_every_match_once() {
    let server = Server::start().await;
    let t = server.login("paging-owner").await;
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(create(&server, &t, "游戏", &format!("狼人杀{i}号房"), 10).await);
    }
    let mut seen = Vec::new();
    for page in 1..=4 {
        let body = json!({ "type": "游戏", "key": "狼人", "sort_method": "TIME", "page": page, "page_size": 2 });
        let (ids, total) = search(&server, &t, body).await;
        assert_eq!(total, 7);
        assert_eq!(ids.len(), if page == 4 { 1 } else { 2 });
        seen.extend(ids);
    }
    let expected: Vec<i64> = all.iter().rev().copied().collect();
    assert_eq!(seen, expected);
    let (past_end, total) = search(
        &server,
        &t,
        json!({ "type": "游戏", "key": "狼人", "page": 9, "page_size": 2 }),
    )
    .await;
    assert!(past_end.is_empty());
    assert_eq!(total, 7);
    let (default_page, _) = search(&server, &t, json!({ "type": "游戏", "page": "1" })).await;
    assert_eq!(default_page.len(), 7);
    for bad in [
        json!({ "page": 0 }),
        json!({ "page_size": 0 }),
        json!({ "page_size": 101 }),
        json!({ "page": "x" }),
    ] {
        let mut body = bad.clone();
        body["type"] = json!("游戏");
        server.fails(group::SEARCH, Some(&t), body, 101, 400).await;
    }
}

#[tokio::test]
async fn the_index_follows_every_write() {
    let server = Server::start().await;
    let t = server.login("sync-owner").await;
    let g = create(&server, &t, "竞赛", "数学建模国赛", 10).await;
    assert_eq!(
        search(&server, &t, json!({ "type": "竞赛", "key": "建模" }))
            .await
            .0,
        vec![g]
    );

    server
        .ok(
            "/group/internal/info/text/set_name",
            &t,
            json!({ "group_id": g, "name": "蓝桥杯备赛" }),
        )
        .await;
    assert!(
        search(&server, &t, json!({ "type": "竞赛", "key": "建模" }))
            .await
            .0
            .is_empty()
    );
    assert_eq!(
        search(&server, &t, json!({ "type": "竞赛", "key": "蓝桥" }))
            .await
            .0,
        vec![g]
    );

    set_intro(&server, &t, g, "每晚刷算法题").await;
    assert_eq!(
        search(&server, &t, json!({ "type": "竞赛", "key": "算法" }))
            .await
            .0,
        vec![g]
    );
    set_intro(&server, &t, g, "").await;
    assert!(
        search(&server, &t, json!({ "type": "竞赛", "key": "算法" }))
            .await
            .0
            .is_empty()
    );

    add_tag(&server, &t, g, "省一").await;
    assert_eq!(
        search(&server, &t, json!({ "type": "竞赛", "key": "省一" }))
            .await
            .0,
        vec![g]
    );
    let tags = server
        .ok("/group/internal/info/tag/get", &t, json!({ "group_id": g }))
        .await;
    let tag_id = tags["tags"][0]["id"].clone();
    server
        .ok(
            "/group/internal/info/tag/edit",
            &t,
            json!({ "group_id": g, "tag_id": tag_id, "tag_text": "国一" }),
        )
        .await;
    assert!(
        search(&server, &t, json!({ "type": "竞赛", "key": "省一" }))
            .await
            .0
            .is_empty()
    );
    assert_eq!(
        search(&server, &t, json!({ "type": "竞赛", "tags": ["国一"] }))
            .await
            .0,
        vec![g]
    );
    server
        .ok(
            "/group/internal/info/tag/remove",
            &t,
            json!({ "group_id": g, "tag_id": tag_id }),
        )
        .await;
    assert!(
        search(&server, &t, json!({ "type": "竞赛", "key": "国一" }))
            .await
            .0
            .is_empty()
    );

    server
        .ok(
            "/group/internal/setting/dismiss",
            &t,
            json!({ "group_id": g }),
        )
        .await;
    assert!(
        search(&server, &t, json!({ "type": "竞赛", "key": "蓝桥" }))
            .await
            .0
            .is_empty()
    );
    assert_eq!(search(&server, &t, json!({ "type": "竞赛" })).await.1, 0);
}

#[tokio::test]
async fn hints_suggest_popular_names_and_tags() {
    let server = Server::start().await;
    let t = server.login("hint-owner").await;
    let small = create(&server, &t, "运动", "夜跑小分队", 20).await;
    let big = create(&server, &t, "运动", "城市夜跑俱乐部", 20).await;
    let mid = create(&server, &t, "运动", "周末羽毛球", 20).await;
    create(&server, &t, "学习", "夜读打卡", 20).await;
    add_members(&server, &t, big, 3).await;
    add_members(&server, &t, mid, 1).await;
    for (group, tag) in [
        (small, "夜跑"),
        (big, "夜跑"),
        (big, "减脂"),
        (mid, "新手友好"),
        (mid, "夜跑"),
    ] {
        add_tag(&server, &t, group, tag).await;
    }

    let hints = |key: Option<&str>| {
        let mut body = json!({ "type": "运动" });
        if let Some(key) = key {
            body["key"] = json!(key);
        }
        body
    };
    let names = server
        .ok("/group/external/search/name_hint", &t, hints(Some("夜")))
        .await;
    assert_eq!(names["hints"], json!(["城市夜跑俱乐部", "夜跑小分队"]));
    let all = server
        .ok("/group/external/search/name_hint", &t, hints(None))
        .await;
    assert_eq!(
        all["hints"],
        json!(["城市夜跑俱乐部", "周末羽毛球", "夜跑小分队"])
    );
    let tags = server
        .ok("/group/external/search/tag_hint", &t, hints(Some("夜")))
        .await;
    assert_eq!(tags["hints"], json!(["夜跑"]));
    let all_tags = server
        .ok("/group/external/search/tag_hint", &t, hints(None))
        .await;
    assert_eq!(all_tags["hints"], json!(["夜跑", "减脂", "新手友好"]));

    // At most ten, and dismissed groups drop out of both.
    for i in 0..12 {
        create(&server, &t, "游戏", &format!("开黑车队{i:02}"), 10).await;
    }
    let many = server
        .ok(
            "/group/external/search/name_hint",
            &t,
            json!({ "type": "游戏", "key": "车队" }),
        )
        .await;
    assert_eq!(many["hints"].as_array().unwrap().len(), 10);
    server
        .ok(
            "/group/internal/setting/dismiss",
            &t,
            json!({ "group_id": big }),
        )
        .await;
    let names = server
        .ok("/group/external/search/name_hint", &t, hints(Some("夜")))
        .await;
    assert_eq!(names["hints"], json!(["夜跑小分队"]));
    let tags = server
        .ok("/group/external/search/tag_hint", &t, hints(None))
        .await;
    assert_eq!(tags["hints"], json!(["夜跑", "新手友好"]));

    server
        .fails(
            "/group/external/search/name_hint",
            Some(&t),
            json!({ "type": "x" }),
            351,
            400,
        )
        .await;
    server
        .fails(
            "/group/external/search/tag_hint",
            Some(&t),
            json!({}),
            101,
            400,
        )
        .await;
    server
        .fails(
            "/group/external/search/tag_hint",
            None,
            json!({ "type": "运动" }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn my_groups_cover_every_type_and_list_dismissed_ones_apart() {
    let server = Server::start().await;
    let me = server.login("mine-me").await;
    let other = server.login("mine-other").await;
    let study = create(&server, &me, "学习", "英语角", 10).await;
    let sport = create(&server, &me, "运动", "英语晨跑", 10).await;
    let gone = create(&server, &me, "游戏", "英雄联盟五排", 10).await;
    let theirs = create(&server, &other, "学习", "英语口语", 10).await;
    let joined = create(&server, &other, "学习", "雅思冲刺", 10).await;
    let req = server
        .ok(
            "/group/external/group/join",
            &me,
            json!({ "group_id": joined }),
        )
        .await;
    server
        .ok(
            "/group/external/joinRequest/process",
            &other,
            json!({ "request_id": req["request_id"], "action": true }),
        )
        .await;
    server
        .ok(
            "/group/internal/setting/dismiss",
            &me,
            json!({ "group_id": gone }),
        )
        .await;

    let path = "/group/external/search/my_group";
    let ids = |v: &Value, field: &str| -> Vec<i64> {
        let mut ids: Vec<i64> = v[field]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    let all = server.ok(path, &me, json!({ "type": "" })).await;
    assert_eq!(ids(&all, "groups"), vec![study, sport, joined]);
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all, "dismissed_groups"), vec![gone]);
    assert!(!ids(&all, "groups").contains(&theirs));

    let english = server
        .ok(path, &me, json!({ "type": "", "key": "英" }))
        .await;
    assert_eq!(ids(&english, "groups"), vec![study, sport]);
    assert_eq!(ids(&english, "dismissed_groups"), vec![gone]);
    let study_only = server.ok(path, &me, json!({ "type": "学习" })).await;
    assert_eq!(ids(&study_only, "groups"), vec![study, joined]);
    assert!(ids(&study_only, "dismissed_groups").is_empty());
    let by_members = server
        .ok(
            path,
            &me,
            json!({ "type": "学习", "sort_method": "MEMBER" }),
        )
        .await;
    assert_eq!(by_members["groups"][0]["id"], joined);
    let first = &by_members["groups"][0];
    assert_eq!(
        (
            first["name"].as_str(),
            first["user_cnt"].as_i64(),
            first["user_limit"].as_i64()
        ),
        (Some("雅思冲刺"), Some(2), Some(10))
    );
    assert_eq!(first["type"], "学习");

    server
        .fails(path, Some(&me), json!({ "type": "不存在" }), 351, 400)
        .await;
    server
        .fails(
            path,
            Some(&me),
            json!({ "type": "", "sort_method": "X" }),
            353,
            400,
        )
        .await;
    server.fails(path, Some(&me), json!({}), 101, 400).await;
}
