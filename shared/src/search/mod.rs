//! Group search and suggestions, Chinese first.
//!
//! Sort methods (`sort_order` flips any of them; the default is descending):
//! - `RELATIVE`: text relevance — bm25 over name (weight 10), tags (5) and intro (2).
//! - `TIME`: creation time. `MEMBER`: member count.
//! - `COMPREHENSIVE` (default): `0.5·r/(r+5) + 0.2·n/(n+10) + 0.2·1/(1+d/30) + 0.1·room`, where
//!   `r` is the relevance (0 without a key), `n` the member count, `d` the age in days and `room`
//!   1 while the group is not full. Each term lies in [0, 1].
//!
//! Ties fall back to the group id in the same direction, so paging is stable.

pub mod text;

use serde_json::{json, Value};

use crate::app::App;
use crate::db::groups::Group;
use crate::db::{group_search, group_tags, group_types, groups};
use crate::error::{Code, Error, Result};
use crate::params::Params;
use crate::time;

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
    fn parse(raw: Option<&str>) -> Result<SortMethod> {
        match raw.map(str::trim).unwrap_or("") {
            "" | "COMPREHENSIVE" => Ok(SortMethod::Comprehensive),
            "RELATIVE" => Ok(SortMethod::Relative),
            "TIME" => Ok(SortMethod::Time),
            "MEMBER" => Ok(SortMethod::Member),
            _ => Err(Error::new(Code::UnknownSortMethod)),
        }
    }

    /// The ordering expression in SQL (over `g` and `rel`); `?` is the current time.
    fn sql(self) -> &'static str {
        match self {
            SortMethod::Relative => "rel",
            SortMethod::Time => "g.created_at",
            SortMethod::Member => "g.user_cnt",
            SortMethod::Comprehensive => {
                "(0.5 * rel / (rel + 5.0) + 0.2 * g.user_cnt / (g.user_cnt + 10.0)
                  + 0.2 / (1.0 + (? - g.created_at) / 2592000.0)
                  + 0.1 * (g.user_cnt < g.user_limit))"
            }
        }
    }

    /// The same ordering key computed in Rust, for searches outside the index.
    fn key(self, group: &Group, rel: f64, now: i64) -> f64 {
        let n = group.user_cnt as f64;
        match self {
            SortMethod::Relative => rel,
            SortMethod::Time => group.created_at as f64,
            SortMethod::Member => n,
            SortMethod::Comprehensive => {
                let days = (now - group.created_at) as f64 / 86_400.0;
                0.5 * rel / (rel + 5.0)
                    + 0.2 * n / (n + 10.0)
                    + 0.2 / (1.0 + days / 30.0)
                    + if group.is_full() { 0.0 } else { 0.1 }
            }
        }
    }
}

/// `sort_order`: descending unless `ASC`.
fn descending(raw: Option<&str>) -> Result<bool> {
    match raw.map(str::trim).unwrap_or("") {
        "" | "DESC" => Ok(true),
        "ASC" => Ok(false),
        _ => Err(Error::new(Code::UnknownSortOrder)),
    }
}

/// `(limit, offset)` from `page` (from 1) and `page_size` (1 to 100, default 20).
fn paging(params: &Params) -> Result<(i64, i64)> {
    let page = params.opt_id("page")?.unwrap_or(1);
    if page < 1 {
        return Err(Error::param_why("page", "从 1 开始"));
    }
    let size = params.opt_id("page_size")?.unwrap_or(PAGE_SIZE_DEFAULT);
    if !(1..=PAGE_SIZE_MAX).contains(&size) {
        return Err(Error::param_why("page_size", "应为 1 到 100"));
    }
    Ok((size, (page - 1).saturating_mul(size)))
}

/// The `tags` filter: distinct trimmed texts.
fn tag_filter(params: &Params) -> Result<Vec<String>> {
    let mut tags = Vec::new();
    for tag in params.opt_array("tags")?.into_iter().flatten() {
        let text = tag
            .as_str()
            .ok_or_else(|| Error::param_why("tags", "应为字符串数组"))?
            .trim();
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

/// A group as search results show it.
pub fn card(app: &App, g: &Group) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "type": g.kind,
        "user_cnt": g.user_cnt,
        "user_limit": g.user_limit,
        "time": app.format_time(g.created_at),
    })
}

/// `search/group`: one page of active groups of a type, and the total.
pub fn search_groups(app: &App, params: &Params) -> Result<(Vec<Group>, i64)> {
    let kind = params.str("type")?;
    require_type(app, kind)?;
    let key = params.opt_str("key")?.unwrap_or("");
    let tags = tag_filter(params)?;
    let method = SortMethod::parse(params.opt_str("sort_method")?)?;
    let descending = descending(params.opt_str("sort_order")?)?;
    let (limit, offset) = paging(params)?;
    let words = text::words(key);
    if !key.trim().is_empty() && words.is_empty() {
        // A key of only punctuation matches nothing, rather than everything.
        return Ok((Vec::new(), 0));
    }
    let query = group_search::Query {
        kind,
        matching: text::match_expression(key),
        tags: &tags,
        order_by: method.sql(),
        descending,
        now: time::now(),
        limit,
        offset,
    };
    let (page, total) = app.db.run(|c| Ok(group_search::search(c, &query)?))?;
    Ok((page.into_iter().map(|(g, _)| g).collect(), total))
}

/// `search/my_group`: the caller's active groups (one page, and the total) and their dismissed
/// groups, filtered and sorted alike. A user belongs to few groups, so this runs in memory with
/// the same normalization and blend as the index.
pub fn my_groups(app: &App, me: &str, params: &Params) -> Result<(Vec<Group>, i64, Vec<Group>)> {
    let kind = params.str("type")?.trim();
    if !kind.is_empty() {
        require_type(app, kind)?;
    }
    let key = params.opt_str("key")?.unwrap_or("");
    let tags = tag_filter(params)?;
    let method = SortMethod::parse(params.opt_str("sort_method")?)?;
    let descending = descending(params.opt_str("sort_order")?)?;
    let (limit, offset) = paging(params)?;
    let words = text::words(key);
    let no_words = !key.trim().is_empty() && words.is_empty();
    let now = time::now();

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
            if !tags.iter().all(|t| group_tags.contains(t)) {
                continue;
            }
            if let Some(rel) = relevance(&group, &group_tags, &words) {
                let sort_key = method.key(&group, rel, now);
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
        .skip(offset as usize)
        .take(limit as usize)
        .collect();
    Ok((page, total, dismissed))
}

/// A term-count relevance (name 10, tags 5, intro 2 per hit), or `None` when a word is missing.
fn relevance(group: &Group, tags: &[String], words: &[Vec<char>]) -> Option<f64> {
    let name = text::normalize(&group.name);
    let intro = text::normalize(&group.info);
    let tags: Vec<Vec<char>> = tags.iter().map(|t| text::normalize(t)).collect();
    let mut score = 0.0;
    for word in words {
        let in_name = text::occurrences(&name, word);
        let in_intro = text::occurrences(&intro, word);
        let in_tags: usize = tags.iter().map(|t| text::occurrences(t, word)).sum();
        if in_name + in_intro + in_tags == 0 {
            return None;
        }
        score += 10.0 * in_name as f64 + 5.0 * in_tags as f64 + 2.0 * in_intro as f64;
    }
    Some(score)
}

/// `name_hint`: names of active groups of the type containing `key`, most members first.
pub fn name_hints(app: &App, kind: &str, key: Option<&str>) -> Result<Vec<String>> {
    require_type(app, kind)?;
    let key = key.map(str::trim).unwrap_or("");
    app.db.run(|c| Ok(groups::name_hints(c, kind, key, HINTS)?))
}

/// `tag_hint`: tag texts of active groups of the type containing `key`, most used first.
pub fn tag_hints(app: &App, kind: &str, key: Option<&str>) -> Result<Vec<String>> {
    require_type(app, kind)?;
    let key = key.map(str::trim).unwrap_or("");
    app.db.run(|c| Ok(group_tags::hints(c, kind, key, HINTS)?))
}
