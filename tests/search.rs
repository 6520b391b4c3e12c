//! Group search over real HTTP: Chinese substrings of every length, several words, tag filters,
//! every sort method and order, paging, hints, and the index following every write.

mod common;

use common::paths::group;
use common::{admit, user, Server, User};
use serde_json::{json, Value};

async fn set_intro(server: &Server, who: &User, group: i64, text: &str) {
    let body = json!({ "group_id": group, "text": text });
    server.ok(group::INFO_EDIT, &who.token, body).await;
}

/// Adds `n` new members to a group through join requests.
async fn add_members(server: &Server, owner: &User, group: i64, n: usize) {
    for i in 0..n {
        let member = user(server, &format!("member-{group}-{i}")).await;
        admit(server, owner, &member, group).await;
    }
}

/// The ids a search finds, sorted.
async fn ids_for(server: &Server, who: &User, body: Value) -> Vec<i64> {
    let mut ids = server.search_groups(who, body).await.0;
    ids.sort();
    ids
}

/// The ids of the study groups `key` finds, sorted.
async fn study_ids(server: &Server, who: &User, key: &str) -> Vec<i64> {
    ids_for(server, who, json!({ "type": "学习", "key": key })).await
}

/// Each `(body, code, status)`: `who` searches at `path` with `body` and is refused so.
async fn refused(
    server: &Server,
    path: &str,
    who: &User,
    rows: impl IntoIterator<Item = (Value, u16, u16)>,
) {
    for (body, code, status) in rows {
        server.fails(path, who.t(), body, code, status).await;
    }
}

#[tokio::test]
async fn chinese_substrings_of_any_length_match_name_intro_and_tags() {
    let server = Server::start().await;
    let t = user(&server, "search-owner").await;
    let kaoyan = server.new_group(&t, "学习", "考研数学互助小组", 50).await;
    set_intro(&server, &t, kaoyan, "每周打卡，一起刷题").await;
    server.add_group_tag(&t, kaoyan, "考研").await;
    let gaoshu = server.new_group(&t, "学习", "高等数学期末复习", 50).await;
    server.add_group_tag(&t, gaoshu, "期末").await;
    let rust = server.new_group(&t, "学习", "Rust 学习小组", 50).await;
    set_intro(&server, &t, rust, "一起读《Rust 程序设计》").await;
    server.add_group_tag(&t, rust, "夜读").await;
    let sport = server.new_group(&t, "运动", "周末数学家羽毛球", 50).await;

    for (key, found) in [
        // One character, in the middle of a word.
        ("数", vec![kaoyan, gaoshu]),
        ("学", vec![kaoyan, gaoshu, rust]),
        // Two characters, not at a word start.
        ("互助", vec![kaoyan]),
        ("数学", vec![kaoyan, gaoshu]),
        // Three or more.
        ("期末复习", vec![gaoshu]),
        ("考研数学互助小组", vec![kaoyan]),
        // Intro and tags; Latin text ignores case.
        ("打卡", vec![kaoyan]),
        ("程序设", vec![rust]),
        ("夜", vec![rust]),
        ("RUST", vec![rust]),
        ("us", vec![rust]),
        // Not across punctuation: "打卡，一起" has a comma between 卡 and 一.
        ("卡一", vec![]),
        // Other types never appear.
        ("羽毛球", vec![]),
        ("英语", vec![]),
        // Punctuation only matches nothing.
        ("，！", vec![]),
        // Several words must all match, in any field.
        ("数学 打卡", vec![kaoyan]),
        (" 小组  学习 ", vec![rust]),
        ("数学 夜读", vec![]),
        // No key: every group of the type.
        ("", vec![kaoyan, gaoshu, rust]),
    ] {
        assert_eq!(study_ids(&server, &t, key).await, found, "{key}");
    }
    let sport_body = json!({ "type": "运动", "key": "数学" });
    assert_eq!(ids_for(&server, &t, sport_body).await, vec![sport]);
}

#[tokio::test]
async fn tag_filters_require_every_tag() {
    let server = Server::start().await;
    let t = user(&server, "tags-owner").await;
    let a = server.new_group(&t, "学习", "甲组", 10).await;
    let b = server.new_group(&t, "学习", "乙组", 10).await;
    server.new_group(&t, "学习", "丙组", 10).await;
    for tag in ["考研", "数学"] {
        server.add_group_tag(&t, a, tag).await;
    }
    server.add_group_tag(&t, b, "考研").await;
    for (filter, found) in [
        (json!({ "tags": ["考研"] }), vec![a, b]),
        (json!({ "tags": ["考研", "数学"] }), vec![a]),
        (json!({ "key": "乙", "tags": ["考研"] }), vec![b]),
        // Tags match whole.
        (json!({ "tags": ["考"] }), vec![]),
    ] {
        let mut body = filter.clone();
        body["type"] = json!("学习");
        assert_eq!(ids_for(&server, &t, body).await, found, "{filter}");
    }
    // No group has more than 10 tags or a tag over 20 characters: such filters are refused
    // before any search runs.
    let ten: Vec<String> = (0..10).map(|i| format!("标签{i}")).collect();
    let ten = json!({ "type": "学习", "tags": ten });
    assert!(ids_for(&server, &t, ten).await.is_empty(), "a valid filter");
    let eleven: Vec<String> = (0..11).map(|i| format!("标签{i}")).collect();
    let long = "长".repeat(21);
    let rows = [json!("考研"), json!([1]), json!(eleven), json!([long])]
        .map(|tags| (json!({ "type": "学习", "tags": tags }), 101, 400));
    refused(&server, group::SEARCH, &t, rows).await;
}

#[tokio::test]
async fn keys_are_bounded() {
    let server = Server::start().await;
    let t = user(&server, "key-bound").await;
    let longest = "键".repeat(100);
    for path in [group::SEARCH, group::NAME_HINT, group::TAG_HINT] {
        let body = json!({ "type": "学习", "key": longest });
        server.ok(path, &t.token, body).await;
        let body = json!({ "type": "学习", "key": format!("{longest}键") });
        server.fails(path, t.t(), body, 101, 400).await;
    }
}

#[tokio::test]
async fn sort_methods_and_orders() {
    let server = Server::start().await;
    let t = user(&server, "sort-owner").await;
    // Name hits rank above intro hits.
    let in_intro = server.new_group(&t, "兴趣", "周末音乐角", 10).await;
    set_intro(&server, &t, in_intro, "偶尔弹吉他").await;
    let in_name = server.new_group(&t, "兴趣", "吉他弹唱社", 10).await;
    let in_both = server.new_group(&t, "兴趣", "吉他吉他吉他", 10).await;
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
    let (relative, total) = server.search_groups(&t, by("RELATIVE", None)).await;
    assert_eq!(total, 3);
    assert_eq!(relative, vec![in_both, in_name, in_intro]);
    // Created in this order: TIME DESC is newest first (ties by id in the same direction).
    for (method, order, found) in [
        ("RELATIVE", Some("ASC"), [in_intro, in_name, in_both]),
        ("MEMBER", Some("DESC"), [in_intro, in_name, in_both]),
        ("MEMBER", Some("ASC"), [in_both, in_name, in_intro]),
        ("TIME", None, [in_both, in_name, in_intro]),
        ("TIME", Some("ASC"), [in_intro, in_name, in_both]),
    ] {
        let (ids, _) = server.search_groups(&t, by(method, order)).await;
        assert_eq!(ids, found, "{method} {order:?}");
    }

    // COMPREHENSIVE is the default; with equal relevance, members and age, a group with room
    // ranks above a full one.
    let full = server.new_group(&t, "出行", "川西自驾", 2).await;
    let open = server.new_group(&t, "出行", "川西自驾", 10).await;
    add_members(&server, &t, full, 1).await;
    add_members(&server, &t, open, 1).await;
    let trip = json!({ "type": "出行", "key": "川西" });
    let (default, _) = server.search_groups(&t, trip).await;
    assert_eq!(default, vec![open, full]);
    let trip = json!({ "type": "出行", "key": "川西", "sort_order": "ASC" });
    let (asc, _) = server.search_groups(&t, trip).await;
    assert_eq!(asc, vec![full, open]);

    let rows = [
        (json!({ "type": "兴趣", "sort_method": "HOT" }), 353, 400),
        (json!({ "type": "兴趣", "sort_order": "UP" }), 352, 400),
        (json!({ "type": "不存在" }), 351, 400),
        (json!({}), 101, 400),
    ];
    refused(&server, group::SEARCH, &t, rows).await;
    server
        .fails(group::SEARCH, None, json!({ "type": "兴趣" }), 113, 401)
        .await;
}

#[tokio::test]
async fn paging_returns_every_match_once() {
    let server = Server::start().await;
    let t = user(&server, "paging-owner").await;
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(
            server
                .new_group(&t, "游戏", &format!("狼人杀{i}号房"), 10)
                .await,
        );
    }
    let mut seen = Vec::new();
    for page in 1..=4 {
        let body = json!({ "type": "游戏", "key": "狼人", "sort_method": "TIME", "page": page, "page_size": 2 });
        let (ids, total) = server.search_groups(&t, body).await;
        assert_eq!(total, 7);
        assert_eq!(ids.len(), if page == 4 { 1 } else { 2 });
        seen.extend(ids);
    }
    let expected: Vec<i64> = all.iter().rev().copied().collect();
    assert_eq!(seen, expected);
    let past = json!({ "type": "游戏", "key": "狼人", "page": 9, "page_size": 2 });
    assert_eq!(server.search_groups(&t, past).await, (vec![], 7));
    let first = json!({ "type": "游戏", "page": "1" });
    assert_eq!(server.search_groups(&t, first).await.0.len(), 7);
    let rows = [
        json!({ "page": 0 }),
        json!({ "page_size": 0 }),
        json!({ "page_size": 101 }),
        json!({ "page": "x" }),
    ]
    .map(|mut body| {
        body["type"] = json!("游戏");
        (body, 101, 400)
    });
    refused(&server, group::SEARCH, &t, rows).await;
}

#[tokio::test]
async fn the_index_follows_every_write() {
    let server = Server::start().await;
    let t = user(&server, "sync-owner").await;
    let g = server.new_group(&t, "竞赛", "数学建模国赛", 10).await;
    // The contest groups found by `key`.
    let found = |key: &str| {
        let body = json!({ "type": "竞赛", "key": key });
        ids_for(&server, &t, body)
    };
    assert_eq!(found("建模").await, vec![g]);

    let rename = json!({ "group_id": g, "name": "蓝桥杯备赛" });
    server.ok(group::SET_NAME, &t.token, rename).await;
    assert!(found("建模").await.is_empty());
    assert_eq!(found("蓝桥").await, vec![g]);

    set_intro(&server, &t, g, "每晚刷算法题").await;
    assert_eq!(found("算法").await, vec![g]);
    set_intro(&server, &t, g, "").await;
    assert!(found("算法").await.is_empty());

    server.add_group_tag(&t, g, "省一").await;
    assert_eq!(found("省一").await, vec![g]);
    let tags = server
        .ok(group::TAGS, &t.token, json!({ "group_id": g }))
        .await;
    let tag_id = tags["tags"][0]["id"].clone();
    let edit = json!({ "group_id": g, "tag_id": tag_id, "tag_text": "国一" });
    server.ok(group::TAG_EDIT, &t.token, edit).await;
    assert!(found("省一").await.is_empty());
    let tagged = json!({ "type": "竞赛", "tags": ["国一"] });
    assert_eq!(ids_for(&server, &t, tagged).await, vec![g]);
    let remove = json!({ "group_id": g, "tag_id": tag_id });
    server.ok(group::TAG_REMOVE, &t.token, remove).await;
    assert!(found("国一").await.is_empty());

    server.dismiss_group(&t, g).await;
    assert!(found("蓝桥").await.is_empty());
    let contests = json!({ "type": "竞赛" });
    assert_eq!(server.search_groups(&t, contests).await.1, 0);
}

#[tokio::test]
async fn hints_suggest_popular_names_and_tags() {
    let server = Server::start().await;
    let t = user(&server, "hint-owner").await;
    let small = server.new_group(&t, "运动", "夜跑小分队", 20).await;
    let big = server.new_group(&t, "运动", "城市夜跑俱乐部", 20).await;
    let mid = server.new_group(&t, "运动", "周末羽毛球", 20).await;
    server.new_group(&t, "学习", "夜读打卡", 20).await;
    add_members(&server, &t, big, 3).await;
    add_members(&server, &t, mid, 1).await;
    for (group, tag) in [
        (small, "夜跑"),
        (big, "夜跑"),
        (big, "减脂"),
        (mid, "新手友好"),
        (mid, "夜跑"),
    ] {
        server.add_group_tag(&t, group, tag).await;
    }

    let night = json!({ "type": "运动", "key": "夜" });
    let sport = json!({ "type": "运动" });
    let names = server.group_name_hints(&t, night.clone()).await;
    assert_eq!(names, ["城市夜跑俱乐部", "夜跑小分队"]);
    let all = server.group_name_hints(&t, sport.clone()).await;
    assert_eq!(all, ["城市夜跑俱乐部", "周末羽毛球", "夜跑小分队"]);
    let tags = server.group_tag_hints(&t, night.clone()).await;
    assert_eq!(tags, ["夜跑"]);
    let all_tags = server.group_tag_hints(&t, sport.clone()).await;
    assert_eq!(all_tags, ["夜跑", "减脂", "新手友好"]);

    // At most ten, and dismissed groups drop out of both.
    for i in 0..12 {
        let name = format!("开黑车队{i:02}");
        server.new_group(&t, "游戏", &name, 10).await;
    }
    let teams = json!({ "type": "游戏", "key": "车队" });
    assert_eq!(server.group_name_hints(&t, teams).await.len(), 10);
    server.dismiss_group(&t, big).await;
    let names = server.group_name_hints(&t, night).await;
    assert_eq!(names, ["夜跑小分队"]);
    let tags = server.group_tag_hints(&t, sport).await;
    assert_eq!(tags, ["夜跑", "新手友好"]);

    let unknown_type = [(json!({ "type": "x" }), 351, 400)];
    refused(&server, group::NAME_HINT, &t, unknown_type).await;
    refused(&server, group::TAG_HINT, &t, [(json!({}), 101, 400)]).await;
    server
        .fails(group::TAG_HINT, None, json!({ "type": "运动" }), 113, 401)
        .await;
}

#[tokio::test]
async fn my_groups_cover_every_type_and_list_dismissed_ones_apart() {
    let server = Server::start().await;
    let me = user(&server, "mine-me").await;
    let other = user(&server, "mine-other").await;
    let study = server.new_group(&me, "学习", "英语角", 10).await;
    let sport = server.new_group(&me, "运动", "英语晨跑", 10).await;
    let gone = server.new_group(&me, "游戏", "英雄联盟五排", 10).await;
    let theirs = server.new_group(&other, "学习", "英语口语", 10).await;
    let joined = server.new_group(&other, "学习", "雅思冲刺", 10).await;
    admit(&server, &other, &me, joined).await;
    server.dismiss_group(&me, gone).await;

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
    let all = server.my_groups(&me, json!({ "type": "" })).await;
    assert_eq!(ids(&all, "groups"), vec![study, sport, joined]);
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all, "dismissed_groups"), vec![gone]);
    assert!(!ids(&all, "groups").contains(&theirs));

    let english = server
        .my_groups(&me, json!({ "type": "", "key": "英" }))
        .await;
    assert_eq!(ids(&english, "groups"), vec![study, sport]);
    assert_eq!(ids(&english, "dismissed_groups"), vec![gone]);
    let study_only = server.my_groups(&me, json!({ "type": "学习" })).await;
    assert_eq!(ids(&study_only, "groups"), vec![study, joined]);
    assert!(ids(&study_only, "dismissed_groups").is_empty());
    let by_members = json!({ "type": "学习", "sort_method": "MEMBER" });
    let by_members = server.my_groups(&me, by_members).await;
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

    let rows = [
        (json!({ "type": "不存在" }), 351, 400),
        (json!({ "type": "", "sort_method": "X" }), 353, 400),
        (json!({}), 101, 400),
    ];
    refused(&server, group::MY_GROUPS, &me, rows).await;
}
