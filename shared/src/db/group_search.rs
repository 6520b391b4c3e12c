//! The `group_search` full-text index (FTS5), and the search queries over it and `groups`.

use crate::params;
use crate::search::text::{spaced, spaced_list};
use crate::storage::{Sql, Value};

use super::groups::{self, Group, COLUMNS};

/// The index token of a group type: `k` and the hex of its UTF-8, so any type name is one
/// alphanumeric token.
pub fn kind_token(kind: &str) -> String {
    format!("k{}", hex::encode_upper(kind))
}

/// Re-indexes a group from its current name, intro and tags; a dismissed or deleted group leaves
/// the index. Called in the same transaction as every write that changes those.
pub fn refresh(conn: &dyn Sql, group_id: i64) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM group_search WHERE rowid = ?",
        params![group_id],
    )?;
    let rows = conn.query(
        "SELECT name, info, type FROM groups WHERE id = ? AND dismissed_at IS NULL",
        params![group_id],
    )?;
    let Some(row) = rows.first() else {
        return Ok(());
    };
    let tags: Vec<String> = super::group_tags::list(conn, group_id)?
        .into_iter()
        .map(|t| t.tag_text)
        .collect();
    conn.execute(
        "INSERT INTO group_search (rowid, name, intro, tags, kind) VALUES (?, ?, ?, ?, ?)",
        params![
            group_id,
            spaced(&row.text(0)?),
            spaced(&row.text(1)?),
            spaced_list(&tags),
            kind_token(&row.text(2)?)
        ],
    )?;
    Ok(())
}

/// How results are ordered: an SQL expression over `g` (the group) and, for keyed searches, `rel`.
#[derive(Clone, Copy)]
pub struct Order {
    pub expr: &'static str,
    pub descending: bool,
}

/// What `search/group` asks for, already validated.
#[derive(Clone)]
pub struct Query<'a> {
    pub kind: &'a str,
    /// FTS5 expressions over one column each: the words of the key. Empty for no key.
    pub phrases: Option<String>,
    /// Tag texts a group must all carry.
    pub tags: &'a [String],
    pub order: Order,
    pub limit: i64,
    pub offset: i64,
}

/// One page of matching active groups, and the number of matches in all.
pub fn search(conn: &dyn Sql, q: &Query) -> anyhow::Result<(Vec<Group>, i64)> {
    match &q.phrases {
        Some(phrases) => search_text(conn, q, phrases),
        None => search_all(conn, q),
    }
}

/// The tag filter as SQL and its parameters.
fn tag_filter(tags: &[String], params: &mut Vec<Value>) -> String {
    if tags.is_empty() {
        return String::new();
    }
    let marks = vec!["?"; tags.len()].join(", ");
    params.extend(tags.iter().map(Value::from));
    params.push((tags.len() as i64).into());
    format!(
        " AND g.id IN (SELECT group_id FROM group_tags WHERE tag_text IN ({marks})
           GROUP BY group_id HAVING COUNT(DISTINCT tag_text) = ?)"
    )
}

fn order_by(order: Order) -> String {
    let dir = if order.descending { "DESC" } else { "ASC" };
    format!(
        " ORDER BY {} {dir}, g.id {dir} LIMIT ? OFFSET ?",
        order.expr
    )
}

/// With a key: every hit is found through the index (narrowed to the type by its token) and
/// ranked on the narrow `groups_rank` index; only the page's rows are read whole. The relevance
/// `rel` weighs the columns the key was found in: name 10, tags 5, intro 2 (each when the column
/// holds every word).
fn search_text(conn: &dyn Sql, q: &Query, phrases: &str) -> anyhow::Result<(Vec<Group>, i64)> {
    let kind = kind_token(q.kind);
    let everywhere = format!("{{name intro tags}} : ({phrases}) AND kind : {kind}");
    let mut params: Vec<Value> = Vec::new();
    let rel = if q.order.expr.contains("rel") {
        for column in ["name", "tags", "intro"] {
            params.push(format!("{column} : ({phrases}) AND kind : {kind}").into());
        }
        "10 * (g.id IN (SELECT rowid FROM group_search WHERE group_search MATCH ?))
         + 5 * (g.id IN (SELECT rowid FROM group_search WHERE group_search MATCH ?))
         + 2 * (g.id IN (SELECT rowid FROM group_search WHERE group_search MATCH ?))"
    } else {
        "0"
    };
    params.push(everywhere.clone().into());
    let mut from = String::from(
        " FROM group_search s JOIN groups g INDEXED BY groups_rank ON g.id = s.rowid
          WHERE s.group_search MATCH ?",
    );
    let mut count_params = vec![Value::from(everywhere)];
    if !q.tags.is_empty() {
        from.push_str(&tag_filter(q.tags, &mut params));
        tag_filter(q.tags, &mut count_params);
    }
    let mut sql = format!("SELECT g.id, {rel} AS rel{from}");
    sql.push_str(&order_by(q.order));
    params.push(q.limit.into());
    params.push(q.offset.into());
    let ids: Vec<i64> = conn
        .query(&sql, &params)?
        .iter()
        .map(|r| r.int(0))
        .collect::<anyhow::Result<_>>()?;
    // Dismissed groups are not in the index, and its kind token already picked the type.
    let total = conn.query(&format!("SELECT COUNT(*){from}"), &count_params)?[0].int(0)?;
    Ok((groups::by_ids(conn, &ids)?, total))
}

/// Without a key: the page comes from walking an index in order (stopping after the page), and
/// the total from counting the type's active groups.
fn search_all(conn: &dyn Sql, q: &Query) -> anyhow::Result<(Vec<Group>, i64)> {
    let mut params: Vec<Value> = vec![q.kind.into()];
    let filter = tag_filter(q.tags, &mut params);
    let count_params = params.clone();
    let mut sql = format!(
        "SELECT {COLUMNS} FROM groups g WHERE g.type = ? AND g.dismissed_at IS NULL{filter}"
    );
    sql.push_str(&order_by(q.order));
    params.push(q.limit.into());
    params.push(q.offset.into());
    let page = conn
        .query(&sql, &params)?
        .iter()
        .map(groups::from_row)
        .collect::<anyhow::Result<_>>()?;
    let total = conn.query(
        &format!(
            "SELECT COUNT(*) FROM groups g WHERE g.type = ? AND g.dismissed_at IS NULL{filter}"
        ),
        &count_params,
    )?[0]
        .int(0)?;
    Ok((page, total))
}

/// Ids of active groups of `kind` whose name contains `phrase` (an FTS5 phrase), at most `limit`.
pub fn name_matches(
    conn: &dyn Sql,
    kind: &str,
    phrase: &str,
    limit: i64,
) -> anyhow::Result<Vec<i64>> {
    conn.query(
        "SELECT rowid FROM group_search WHERE group_search MATCH ? LIMIT ?",
        params![
            format!("name : {phrase} AND kind : {}", kind_token(kind)),
            limit
        ],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}
