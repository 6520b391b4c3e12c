//! The `group_search` full-text index (FTS5), and the search queries over it.

use crate::params;
use crate::search::text::{spaced, spaced_list};
use crate::storage::{Sql, Value};

use super::groups::{self, Group, COLUMNS};

/// Re-indexes a group from its current name, intro and tags; a dismissed or deleted group leaves
/// the index. Called in the same transaction as every write that changes those.
pub fn refresh(conn: &dyn Sql, group_id: i64) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM group_search WHERE rowid = ?",
        params![group_id],
    )?;
    let rows = conn.query(
        "SELECT name, info FROM groups WHERE id = ? AND dismissed_at IS NULL",
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
        "INSERT INTO group_search (rowid, name, intro, tags) VALUES (?, ?, ?, ?)",
        params![
            group_id,
            spaced(&row.text(0)?),
            spaced(&row.text(1)?),
            spaced_list(&tags)
        ],
    )?;
    Ok(())
}

/// What `search/group` asks for, already validated.
#[derive(Clone)]
pub struct Query<'a> {
    pub kind: &'a str,
    /// An FTS5 match expression, or `None` for every group.
    pub matching: Option<String>,
    /// Tag texts a group must all carry.
    pub tags: &'a [String],
    /// An SQL ordering expression over `g` and `rel` (relevance), from a fixed list; a `?` in it
    /// stands for `now`.
    pub order_by: &'static str,
    pub descending: bool,
    pub now: i64,
    pub limit: i64,
    pub offset: i64,
}

/// One page of matching active groups with their relevance, and the number of matches in all.
pub fn search(conn: &dyn Sql, q: &Query) -> anyhow::Result<(Vec<(Group, f64)>, i64)> {
    let mut params: Vec<Value> = Vec::new();
    let mut sql = String::new();
    match &q.matching {
        Some(matching) => {
            // bm25 is lower for better matches; negate it so that higher is more relevant.
            // Weights: name 10, intro 2, tags 5.
            sql.push_str(
                "WITH hits AS (SELECT rowid AS id, -bm25(group_search, 10.0, 2.0, 5.0) AS rel
                 FROM group_search WHERE group_search MATCH ?)
                 SELECT {cols}, h.rel, COUNT(*) OVER () FROM hits h JOIN groups g ON g.id = h.id",
            );
            params.push(matching.clone().into());
        }
        None => sql.push_str("SELECT {cols}, 0.0 AS rel, COUNT(*) OVER () FROM groups g"),
    }
    sql = sql.replace("{cols}", COLUMNS);
    sql.push_str(" WHERE g.type = ? AND g.dismissed_at IS NULL");
    params.push(q.kind.into());
    if !q.tags.is_empty() {
        let marks = vec!["?"; q.tags.len()].join(", ");
        sql.push_str(&format!(
            " AND g.id IN (SELECT group_id FROM group_tags WHERE tag_text IN ({marks})
               GROUP BY group_id HAVING COUNT(DISTINCT tag_text) = ?)"
        ));
        params.extend(q.tags.iter().map(Value::from));
        params.push((q.tags.len() as i64).into());
    }
    let dir = if q.descending { "DESC" } else { "ASC" };
    sql.push_str(&format!(
        " ORDER BY {} {dir}, g.id {dir} LIMIT ? OFFSET ?",
        q.order_by
    ));
    if q.order_by.contains('?') {
        params.push(q.now.into());
    }
    params.push(q.limit.into());
    params.push(q.offset.into());

    let rows = conn.query(&sql, &params)?;
    let total = match rows.first() {
        Some(row) => row.int(COLUMN_COUNT + 1)?,
        None if q.offset > 0 => count(conn, q)?,
        None => 0,
    };
    let page = rows
        .iter()
        .map(|r| Ok((groups::from_row(r)?, r.real(COLUMN_COUNT)?)))
        .collect::<anyhow::Result<_>>()?;
    Ok((page, total))
}

/// Columns of [`COLUMNS`].
const COLUMN_COUNT: usize = 9;

/// The number of matches when the requested page is past the end.
fn count(conn: &dyn Sql, q: &Query) -> anyhow::Result<i64> {
    let everything = Query {
        limit: 1,
        offset: 0,
        ..q.clone()
    };
    Ok(search(conn, &everything)?.1)
}
