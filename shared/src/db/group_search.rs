//! The `group_search` full-text index (FTS5), and the search queries over it and `groups`.

use crate::ids::GroupId;
use crate::params;
use crate::search::text::{self, pairs, pairs_list, spaced, spaced_list, Field};
use crate::storage::{Sql, Value};

use super::groups::{self, Group, COLUMNS};

/// The prefix of every indexed token of a group type: `k` and the hex of the type's UTF-8, so
/// that any type name makes an alphanumeric prefix. Each type then has its own short lists of
/// positions, and a search reads only its type's.
pub fn kind_token(kind: &str) -> String {
    format!("k{}", hex::encode_upper(kind))
}

/// Re-indexes a group from its current name, intro and tags; a dismissed or deleted group leaves
/// the index. Called in the same transaction as every write that changes those.
pub fn refresh(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<()> {
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
    let (name, intro, kind) = (row.text(0)?, row.text(1)?, kind_token(&row.text(2)?));
    conn.execute(
        "INSERT INTO group_search (rowid, name, intro, tags, name_bi, intro_bi, tags_bi)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        params![
            group_id,
            spaced(&name, &kind),
            spaced(&intro, &kind),
            spaced_list(&tags, &kind),
            pairs(&name, &kind),
            pairs(&intro, &kind),
            pairs_list(&tags, &kind)
        ],
    )?;
    Ok(())
}

/// A column that searches sort by, each with an index over `(type, dismissed_at, column)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SortColumn {
    CreatedAt,
    UserCnt,
    Hot,
}

impl SortColumn {
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            SortColumn::CreatedAt => ("created_at", "groups_by_time"),
            SortColumn::UserCnt => ("user_cnt", "groups_by_members"),
            SortColumn::Hot => ("hot", "groups_by_hot"),
        }
    }
}

/// Ids of active groups of `kind` whose `field` holds every word of `key` (see
/// [`text::match_expression`]). Dismissed groups are not in the index.
pub fn matches(conn: &dyn Sql, kind: &str, key: &str, field: Field) -> anyhow::Result<Vec<i64>> {
    let Some(expression) = text::match_expression(key, field, &kind_token(kind)) else {
        return Ok(Vec::new());
    };
    // One text of ids rather than a row per hit: a common key has thousands.
    let rows = conn.query(
        "SELECT group_concat(rowid) FROM group_search WHERE group_search MATCH ?",
        params![expression],
    )?;
    let Some(ids) = rows.first().map(|r| r.opt_text(0)).transpose()?.flatten() else {
        return Ok(Vec::new());
    };
    ids.split(',').map(|id| Ok(id.parse::<i64>()?)).collect()
}

/// The sort keys of some groups: `(id, created_at, user_cnt, hot)`.
pub fn sort_keys(conn: &dyn Sql, ids: &[i64]) -> anyhow::Result<Vec<(i64, f64, f64, f64)>> {
    let mut out = Vec::with_capacity(ids.len());
    // Well under SQLite's limit on bound parameters.
    for chunk in ids.chunks(500) {
        let marks = vec!["?"; chunk.len()].join(", ");
        let params: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        let rows = conn.query(
            &format!(
                "SELECT id, created_at, user_cnt, hot FROM groups INDEXED BY groups_rank
                 WHERE id IN ({marks})"
            ),
            &params,
        )?;
        for r in rows {
            out.push((r.int(0)?, r.real(1)?, r.real(2)?, r.real(3)?));
        }
    }
    Ok(out)
}

/// One batch of active groups of `kind` in the order of `column` (then id, the same way), starting
/// after `after` (a previous batch's last `(value, id)`): `(id, value)` pairs.
pub fn walk(
    conn: &dyn Sql,
    kind: &str,
    column: SortColumn,
    descending: bool,
    after: Option<(f64, i64)>,
    batch: i64,
) -> anyhow::Result<Vec<(i64, f64)>> {
    let (col, index) = column.sql();
    let (dir, past) = if descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut params: Vec<Value> = vec![kind.into()];
    let mut sql = format!(
        "SELECT id, {col} FROM groups INDEXED BY {index} WHERE type = ? AND dismissed_at IS NULL"
    );
    if let Some((value, id)) = after {
        sql.push_str(&format!(
            " AND ({col} {past} ? OR ({col} = ? AND id {past} ?))"
        ));
        params.extend([value.into(), value.into(), id.into()]);
    }
    sql.push_str(&format!(" ORDER BY {col} {dir}, id {dir} LIMIT ?"));
    params.push(batch.into());
    conn.query(&sql, &params)?
        .iter()
        .map(|r| Ok((r.int(0)?, r.real(1)?)))
        .collect()
}

/// One page of active groups of `kind` without a key, in the order of `column`, and how many
/// there are.
pub fn page_all(
    conn: &dyn Sql,
    kind: &str,
    tags: &[String],
    column: SortColumn,
    descending: bool,
    limit: i64,
    offset: i64,
) -> anyhow::Result<(Vec<Group>, i64)> {
    let (col, index) = column.sql();
    let dir = if descending { "DESC" } else { "ASC" };
    let mut params: Vec<Value> = vec![kind.into()];
    let filter = tag_filter(tags, &mut params);
    let count_params = params.clone();
    params.push(limit.into());
    params.push(offset.into());
    let page = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM groups g INDEXED BY {index}
                 WHERE g.type = ? AND g.dismissed_at IS NULL{filter}
                 ORDER BY g.{col} {dir}, g.id {dir} LIMIT ? OFFSET ?"
            ),
            &params,
        )?
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

/// Ids of groups of `kind` that carry every tag of `tags`.
pub fn tagged(conn: &dyn Sql, kind: &str, tags: &[String]) -> anyhow::Result<Vec<i64>> {
    let mut params: Vec<Value> = vec![kind.into()];
    let filter = tag_filter(tags, &mut params);
    conn.query(
        &format!("SELECT g.id FROM groups g WHERE g.type = ? AND g.dismissed_at IS NULL{filter}"),
        &params,
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// The tag filter as SQL and its parameters: one `IN` per tag, each read from the tag's own
/// index entries. (Counting the matches of all tags per group sorted every row of every tag: with
/// ten popular tags that was three times slower.)
fn tag_filter(tags: &[String], params: &mut Vec<Value>) -> String {
    params.extend(tags.iter().map(Value::from));
    " AND g.id IN (SELECT group_id FROM group_tags WHERE tag_text = ?)".repeat(tags.len())
}

/// Ids of active groups of `kind` whose name contains `key`, at most `limit`.
pub fn name_matches(conn: &dyn Sql, kind: &str, key: &str, limit: i64) -> anyhow::Result<Vec<i64>> {
    let Some(expression) = text::match_expression(key, Field::Name, &kind_token(kind)) else {
        return Ok(Vec::new());
    };
    conn.query(
        "SELECT rowid FROM group_search WHERE group_search MATCH ? LIMIT ?",
        params![expression, limit],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}
