//! Group search and suggestions, Chinese first.
//!
//! Relevance `r` (0 to 17) weighs where the key was found: 10 when the name holds every word of
//! it, 5 for the tags, 2 for the intro. Sort methods (`sort_order` flips any of them; the default
//! is descending; ties fall back to the group id in the same direction, so paging is stable):
//! - `RELATIVE`: relevance, then the comprehensive score. Without a key, the comprehensive order.
//! - `TIME`: creation time. `MEMBER`: member count.
//! - `COMPREHENSIVE` (default): `hot + 3·r/17`, where `hot = 2·n/(n+10) + t/30d + 0.5·room`
//!   (`n` members, `t` the creation time, `room` 1 while not full; stored as the generated column
//!   `groups.hot`). A newer group starts higher rather than older ones decaying, so the order needs
//!   no clock and searches without a key walk an index: at ten members one more member is worth
//!   about a day and a half of age, and a name hit (relevance 10) about 53 days.

pub mod rank;
pub mod text;

use std::collections::HashSet;

use crate::app::App;
use crate::db::group_search::SortColumn;
use crate::db::groups::Group;
use crate::db::{group_search, group_tags, group_types, groups};
use crate::error::{Code, Error, Result};
use crate::groups::profile;
use crate::ids::UserId;

pub const HINTS: i64 = 10;
pub const PAGE_SIZE_DEFAULT: i64 = 20;
pub const PAGE_SIZE_MAX: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortMethod {
    Comprehensive,
    Relative,
    Time,
    Member,
}

impl SortMethod {
    /// `sort_method`'s values, the first the default.
    pub const NAMES: [&str; 4] = ["COMPREHENSIVE", "RELATIVE", "TIME", "MEMBER"];
    const ALL: [SortMethod; 4] = [
        SortMethod::Comprehensive,
        SortMethod::Relative,
        SortMethod::Time,
        SortMethod::Member,
    ];

    fn parse(raw: Option<&str>) -> Result<SortMethod> {
        match raw.map(str::trim).unwrap_or("") {
            "" => Ok(SortMethod::ALL[0]),
            raw => (SortMethod::NAMES.iter().position(|name| *name == raw))
                .map(|i| SortMethod::ALL[i])
                .ok_or_else(|| Error::new(Code::UnknownSortMethod)),
        }
    }

    /// The indexed column that orders groups when there is no key (relevance is then 0 for all,
    /// so `RELATIVE` and `COMPREHENSIVE` both come down to `hot`).
    fn column(self) -> SortColumn {
        match self {
            SortMethod::Time => SortColumn::CreatedAt,
            SortMethod::Member => SortColumn::UserCnt,
            SortMethod::Relative | SortMethod::Comprehensive => SortColumn::Hot,
        }
    }

    /// The ordering score of a group with these sort keys and relevance `rel`: the one place the
    /// sort methods' formulas live.
    fn score(self, created_at: f64, user_cnt: f64, hot: f64, rel: f64) -> f64 {
        match self {
            SortMethod::Relative => rel * RELEVANCE_TIER + hot,
            SortMethod::Time => created_at,
            SortMethod::Member => user_cnt,
            SortMethod::Comprehensive => hot + MAX_BONUS * rel / MAX_RELEVANCE,
        }
    }

    /// [`SortMethod::score`] of a group, its `hot` computed here, for searches outside the index.
    fn key(self, group: &Group, rel: f64) -> f64 {
        let (created_at, user_cnt) = (group.created_at as f64, group.user_cnt as f64);
        let hot = hot(user_cnt, created_at, group.is_full());
        self.score(created_at, user_cnt, hot, rel)
    }
}

/// The most relevance a hit has: the weights of the module docs together.
const MAX_RELEVANCE: f64 = 17.0;
/// The most that relevance adds to `hot` in the comprehensive score.
const MAX_BONUS: f64 = 3.0;
/// `RELATIVE` orders by relevance first: one point of it outweighs any difference of `hot`.
const RELEVANCE_TIER: f64 = 1000.0;

/// `hot` as the indexed column `groups.hot` computes it (migration 0002, which cannot change:
/// a test keeps the two equal): up to 2 points for members, one per 30 days of creation time,
/// half a point while not full.
fn hot(user_cnt: f64, created_at: f64, full: bool) -> f64 {
    2.0 * user_cnt / (user_cnt + 10.0) + created_at / 2_592_000.0 + if full { 0.0 } else { 0.5 }
}

/// `sort_order`'s values: ascending, descending (the default).
pub const SORT_ORDERS: [&str; 2] = ["ASC", "DESC"];

/// `sort_order`: descending unless `ASC`.
fn descending(raw: Option<&str>) -> Result<bool> {
    match raw.map(str::trim).unwrap_or("") {
        "" => Ok(true),
        raw if raw == SORT_ORDERS[1] => Ok(true),
        raw if raw == SORT_ORDERS[0] => Ok(false),
        _ => Err(Error::new(Code::UnknownSortOrder)),
    }
}

/// `(limit, offset)` from `page` (from 1) and `page_size` (1 to 100, default 20).
fn paging(page: Option<i64>, page_size: Option<i64>) -> Result<(i64, i64)> {
    let page = page.unwrap_or(1);
    if page < 1 {
        return Err(Error::param_why("page", "从 1 开始"));
    }
    let size = page_size.unwrap_or(PAGE_SIZE_DEFAULT);
    if !(1..=PAGE_SIZE_MAX).contains(&size) {
        return Err(Error::param_why("page_size", "应为 1 到 100"));
    }
    Ok((size, (page - 1).saturating_mul(size)))
}

/// Longest search key, in characters (group names and intros are searched by words of it).
pub const KEY_LIMIT: usize = 100;

/// The `key` of a search or a hint (none is empty): 101 past [`KEY_LIMIT`] characters.
fn key_param(key: Option<&str>) -> Result<&str> {
    let key = key.unwrap_or("");
    if key.chars().count() > KEY_LIMIT {
        return Err(Error::param_why("key", &format!("最多 {KEY_LIMIT} 个字符")));
    }
    Ok(key)
}

/// The `tags` filter: distinct trimmed texts, at most as many as a group may have
/// ([`profile::TAGS_MAX`]), each a possible tag text; 101 otherwise, since no group could match.
fn tag_filter(given: &[String]) -> Result<Vec<String>> {
    if given.len() > profile::TAGS_MAX as usize {
        let why = format!("最多 {} 个", profile::TAGS_MAX);
        return Err(Error::param_why("tags", &why));
    }
    let mut tags = Vec::new();
    for tag in given {
        let text = tag.trim();
        if text.chars().count() > profile::TAG_MAX {
            let why = format!("每个最多 {} 个字符", profile::TAG_MAX);
            return Err(Error::param_why("tags", &why));
        }
        if !text.is_empty() && !tags.iter().any(|t| t == text) {
            tags.push(text.to_owned());
        }
    }
    Ok(tags)
}

/// 351 unless `kind` is a configured group type.
pub fn require_type(app: &App, kind: &str) -> Result<()> {
    match app.db.run(|c| Ok(group_types::exists(c, kind)?))? {
        true => Ok(()),
        false => Err(Error::new(Code::UnknownGroupType)),
    }
}

/// What a search asks besides the group type, as given: [`search_groups`] and [`my_groups`]
/// check it (101, 352, 353).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Space-separated words, each to be found in the name, the intro or the tags.
    pub key: Option<String>,
    /// Tag texts the group must all have.
    pub tags: Vec<String>,
    pub sort_method: Option<String>,
    pub sort_order: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    pub page_size: Option<i64>,
}

/// What both searches take besides the type: key, tags, order and page.
struct Criteria<'a> {
    key: &'a str,
    tags: Vec<String>,
    method: SortMethod,
    descending: bool,
    limit: i64,
    offset: i64,
}

impl<'a> Criteria<'a> {
    fn parse(filter: &'a Filter) -> Result<Criteria<'a>> {
        let (limit, offset) = paging(filter.page, filter.page_size)?;
        Ok(Criteria {
            key: key_param(filter.key.as_deref())?,
            tags: tag_filter(&filter.tags)?,
            method: SortMethod::parse(filter.sort_method.as_deref())?,
            descending: descending(filter.sort_order.as_deref())?,
            limit,
            offset,
        })
    }
}

/// `search/group`: one page of active groups of type `kind`, and the total.
pub fn search_groups(app: &App, kind: &str, filter: &Filter) -> Result<(Vec<Group>, i64)> {
    require_type(app, kind)?;
    let criteria = Criteria::parse(filter)?;
    let (key, method, descending) = (criteria.key, criteria.method, criteria.descending);
    let words = text::words(key).len();
    if words == 0 {
        if !key.trim().is_empty() {
            // A key of only punctuation matches nothing, rather than everything.
            return Ok((Vec::new(), 0));
        }
        let column = method.column();
        return app.db.run(|c| {
            Ok(group_search::page_all(
                c,
                kind,
                &criteria.tags,
                column,
                descending,
                criteria.limit,
                criteria.offset,
            )?)
        });
    }
    app.db.run(|c| {
        let relevance = match method {
            SortMethod::Relative | SortMethod::Comprehensive => {
                Some(rank::Relevance::load(c, kind, key)?)
            }
            SortMethod::Time | SortMethod::Member => None,
        };
        // A single word is a hit wherever it is found, so its relevance already lists the hits.
        let mut hits: HashSet<i64> = match &relevance {
            Some(rel) if words == 1 => rel.ids().collect(),
            _ => group_search::matches(c, kind, key, text::Field::All)?
                .into_iter()
                .collect(),
        };
        if !criteria.tags.is_empty() {
            let tagged: HashSet<i64> = group_search::tagged(c, kind, &criteria.tags)?
                .into_iter()
                .collect();
            hits.retain(|id| tagged.contains(id));
        }
        let ids = rank::page(
            c,
            kind,
            &hits,
            relevance.as_ref(),
            rank::Order { method, descending },
            criteria.limit as usize,
            criteria.offset as usize,
        )?;
        Ok((groups::by_ids(c, &ids)?, hits.len() as i64))
    })
}

/// `search/my_group`: the caller's active groups (one page, and the total) and their dismissed
/// groups, filtered and sorted alike. A user belongs to few groups, so this runs in memory with
/// the same normalization and blend as the index. An empty `kind` takes every type.
pub fn my_groups(
    app: &App,
    me: &UserId,
    kind: &str,
    filter: &Filter,
) -> Result<(Vec<Group>, i64, Vec<Group>)> {
    let kind = kind.trim();
    if !kind.is_empty() {
        require_type(app, kind)?;
    }
    let criteria = Criteria::parse(filter)?;
    let (key, method, descending) = (criteria.key, criteria.method, criteria.descending);
    let words = text::words(key);
    let no_words = !key.trim().is_empty() && words.is_empty();

    let mut scored = Vec::new();
    app.db.run(|c| {
        for group in groups::of_member(c, me)? {
            if no_words || (!kind.is_empty() && group.kind != kind) {
                continue;
            }
            let group_tags: Vec<String> = group_tags::list(c, group.id)?
                .into_iter()
                .map(|t| t.tag_text)
                .collect();
            if !criteria.tags.iter().all(|t| group_tags.contains(t)) {
                continue;
            }
            if let Some(rel) = relevance(&group, &group_tags, &words) {
                let sort_key = method.key(&group, rel);
                scored.push((sort_key, group));
            }
        }
        Ok(())
    })?;
    scored.sort_by(|(ka, a), (kb, b)| ka.total_cmp(kb).then(a.id.cmp(&b.id)));
    if descending {
        scored.reverse();
    }
    let (active, dismissed): (Vec<Group>, Vec<Group>) = scored
        .into_iter()
        .map(|(_, g)| g)
        .partition(|g| !g.is_dismissed());
    let total = active.len() as i64;
    let page = active
        .into_iter()
        .skip(criteria.offset as usize)
        .take(criteria.limit as usize)
        .collect();
    Ok((page, total, dismissed))
}

/// The relevance of the index (name 10, tags 5, intro 2, each when that field holds every word),
/// or `None` when some word is found nowhere.
fn relevance(group: &Group, tags: &[String], words: &[Vec<char>]) -> Option<f64> {
    let name = text::normalize(&group.name);
    let intro = text::normalize(&group.info);
    let tags: Vec<Vec<char>> = tags.iter().map(|t| text::normalize(t)).collect();
    let has = |field: &dyn Fn(&[char]) -> bool| words.iter().all(|w| field(w));
    let in_name = has(&|w| text::occurrences(&name, w) > 0);
    let in_tags = has(&|w| tags.iter().any(|t| text::occurrences(t, w) > 0));
    let in_intro = has(&|w| text::occurrences(&intro, w) > 0);
    let anywhere = words.iter().all(|w| {
        text::occurrences(&name, w) + text::occurrences(&intro, w) > 0
            || tags.iter().any(|t| text::occurrences(t, w) > 0)
    });
    anywhere.then(|| {
        10.0 * f64::from(u8::from(in_name))
            + 5.0 * f64::from(u8::from(in_tags))
            + 2.0 * f64::from(u8::from(in_intro))
    })
}

/// Rare keys are looked up in the index; a key with more name hits than this is common enough
/// that walking the groups from the largest down finds ten matches quickly.
const RARE_NAME_HITS: i64 = 200;

/// `name_hint`: names of active groups of the type containing `key`, most members first.
pub fn name_hints(app: &App, kind: &str, key: Option<&str>) -> Result<Vec<String>> {
    let key = key_param(key)?.trim();
    require_type(app, kind)?;
    let words = text::words(key);
    app.db.run(|c| {
        if words.len() == 1 {
            let ids = group_search::name_matches(c, kind, key, RARE_NAME_HITS + 1)?;
            if ids.len() as i64 <= RARE_NAME_HITS {
                return Ok(groups::names_by_size(c, &ids, HINTS)?);
            }
        }
        Ok(groups::name_hints(c, kind, key, HINTS)?)
    })
}

/// `tag_hint`: tag texts of active groups of the type containing `key`, most used first.
pub fn tag_hints(app: &App, kind: &str, key: Option<&str>) -> Result<Vec<String>> {
    let key = key_param(key)?.trim();
    require_type(app, kind)?;
    app.db.run(|c| Ok(group_tags::hints(c, kind, key, HINTS)?))
}
