//! Group search and its hints.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::db::groups::Group;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{self, Id, Time};
use crate::groups::profile;
use crate::ids::{GroupId, UserId};
use crate::limits::Action;
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::typed;
use crate::routes::Route;
use crate::{costly, search};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/external/search/name_hint", typed!(name_hint))
        .limited(Action::Search)
        .doc(&NAME_HINT),
    Route::post("/group/external/search/tag_hint", typed!(tag_hint))
        .limited(Action::Search)
        .doc(&TAG_HINT),
    Route::post("/group/external/search/group", typed!(search_group))
        .limited(Action::Search)
        .doc(&SEARCH),
    Route::post("/group/external/search/my_group", typed!(search_my_group))
        .limited(Action::Search)
        .doc(&SEARCH_MINE),
];

const NAME_HINT: Doc = Doc::new("groupNameHint", Tag::Search, "群组名提示 Group name hints")
    .about("Up to 10 names of active groups of `type` containing `key`, most popular first.")
    .takes::<Hint>()
    .gives::<Hints>()
    .codes(&[UnknownGroupType]);

#[derive(Deserialize, JsonSchema)]
pub struct Hint {
    #[serde(rename = "type")]
    pub kind: String,
    /// at most 100 characters (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = search::KEY_LIMIT))]
    pub key: Option<String>,
}

#[derive(Serialize, JsonSchema)]
pub struct Hints {
    pub hints: Vec<String>,
}

async fn name_hint(app: &App, _me: UserId, Hint { kind, key }: Hint) -> Result<Hints> {
    let hints = search::name_hints(app, &kind, key.as_deref())?;
    Ok(Hints { hints })
}

const TAG_HINT: Doc = Doc::new("groupTagHint", Tag::Search, "群组标签提示 Group tag hints")
    .about("Up to 10 tag texts of groups of `type` containing `key`, most used first.")
    .takes::<Hint>()
    .gives::<Hints>()
    .codes(&[UnknownGroupType]);

async fn tag_hint(app: &App, _me: UserId, Hint { kind, key }: Hint) -> Result<Hints> {
    let hints = search::tag_hints(app, &kind, key.as_deref())?;
    Ok(Hints { hints })
}

const SEARCH: Doc = Doc::new("groupSearch", Tag::Search, "搜索群组 Search groups")
    .about("Active groups of `type` matching `key` and `tags`, paged; `total` counts every match.")
    .takes::<Search>()
    .gives::<Found>()
    .codes(&[UnknownGroupType, UnknownSortOrder, UnknownSortMethod]);

// What both searches take.
#[derive(Deserialize, JsonSchema)]
pub struct Search {
    /// a group type (`my_group`: or empty for all)
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(flatten)]
    pub filter: Filter,
}

#[derive(Deserialize, JsonSchema)]
pub struct Filter {
    /// space-separated words, each must match name, intro or tags; at most 100 characters (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", length(max = search::KEY_LIMIT))]
    pub key: Option<String>,
    /// every tag given must be on the group (whole match); at most 10 of at most 20 characters after trimming, as tags are (101 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", length(max = profile::TAGS_MAX), inner(length(max = profile::TAG_MAX)))]
    pub tags: Option<Vec<String>>,
    /// default `COMPREHENSIVE` (353 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = search::SortMethod::NAMES))]
    pub sort_method: Option<String>,
    /// default `DESC` (352 otherwise)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", extend("enum" = search::SORT_ORDERS))]
    pub sort_order: Option<String>,
    /// from 1 (default 1)
    #[serde(
        default,
        deserialize_with = "fields::blank_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 1))]
    pub page: Option<Id>,
    /// 1 to 100 (default 20)
    #[serde(
        default,
        deserialize_with = "fields::blank_is_none",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "i64", range(min = 1, max = search::PAGE_SIZE_MAX))]
    pub page_size: Option<Id>,
}

impl From<Filter> for search::Filter {
    fn from(f: Filter) -> search::Filter {
        search::Filter {
            key: f.key,
            tags: f.tags.unwrap_or_default(),
            sort_method: f.sort_method,
            sort_order: f.sort_order,
            page: f.page.map(|id| id.0),
            page_size: f.page_size.map(|id| id.0),
        }
    }
}

/// A group as search results show it.
#[derive(Serialize, JsonSchema)]
pub struct GroupCard {
    pub id: GroupId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_cnt: i64,
    pub user_limit: i64,
    pub time: Time,
}

impl GroupCard {
    fn of(app: &App, g: &Group) -> GroupCard {
        GroupCard {
            id: g.id,
            name: g.name.clone(),
            kind: g.kind.clone(),
            user_cnt: g.user_cnt,
            user_limit: g.user_limit,
            time: Time(app.format_time(g.created_at)),
        }
    }

    fn all(app: &App, groups: &[Group]) -> Vec<GroupCard> {
        groups.iter().map(|g| GroupCard::of(app, g)).collect()
    }
}

#[derive(Serialize, JsonSchema)]
pub struct Found {
    pub groups: Vec<GroupCard>,
    #[schemars(range(min = 0))]
    pub total: i64,
}

async fn search_group(app: &App, _me: UserId, Search { kind, filter }: Search) -> Result<Found> {
    let filter = filter.into();
    let (groups, total) = costly::run(&*app.costly, || search::search_groups(app, &kind, &filter))?;
    Ok(Found {
        groups: GroupCard::all(app, &groups),
        total,
    })
}

const SEARCH_MINE: Doc = Doc::new("groupSearchMine", Tag::Search, "搜索我的群组 Search my groups")
    .about("The caller's groups; `type` may be `\"\"` for every type. `total` counts active matches; `dismissed_groups` lists every matching dismissed group.")
    .takes::<Search>()
    .gives::<FoundMine>()
    .codes(&[UnknownGroupType, UnknownSortOrder, UnknownSortMethod]);

#[derive(Serialize, JsonSchema)]
pub struct FoundMine {
    pub groups: Vec<GroupCard>,
    #[schemars(range(min = 0))]
    pub total: i64,
    pub dismissed_groups: Vec<GroupCard>,
}

async fn search_my_group(
    app: &App,
    me: UserId,
    Search { kind, filter }: Search,
) -> Result<FoundMine> {
    let filter = filter.into();
    let (groups, total, dismissed) =
        costly::run(&*app.costly, || search::my_groups(app, &me, &kind, &filter))?;
    Ok(FoundMine {
        groups: GroupCard::all(app, &groups),
        total,
        dismissed_groups: GroupCard::all(app, &dismissed),
    })
}
