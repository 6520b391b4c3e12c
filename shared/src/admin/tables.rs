//! The console's table browser: every table with its columns, and pages of rows sorted and
//! filtered by any column.

use serde_json::{json, Value};

use crate::app::App;
use crate::db::browse::{self, Column, Query};
use crate::error::{Error, Result};
use crate::params::Params;
use crate::storage::Value as SqlValue;

/// Rows per page unless asked otherwise, and at most.
const PAGE: i64 = 25;
const MAX_PAGE: i64 = 200;

/// Every table the console shows, with its columns and row count.
pub fn list(app: &App) -> Result<Value> {
    app.db.run(|c| {
        let mut tables = Vec::new();
        for table in browse::TABLES {
            let columns = browse::columns(c, table)?;
            let (count, _) = browse::rows(c, table, &columns, &Query::default())?;
            tables.push(json!({
                "name": table,
                "columns": columns.iter().map(column_json).collect::<Vec<_>>(),
                "rows": count,
            }));
        }
        Ok(json!({ "tables": tables }))
    })
}

/// `table`, `sort`, `dir` (`asc`, `desc`), `filter_column` with `filter`, `offset`, `limit` →
/// `{table, columns, total, offset, rows}`; an unknown table or column is 101.
pub fn rows(app: &App, p: &Params) -> Result<Value> {
    let table = browse::table(p.str("table")?).ok_or_else(|| Error::param("table"))?;
    let descending = match p.opt_str("dir")? {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(Error::param_why("dir", "应为 asc 或 desc")),
    };
    let offset = p.opt_id("offset")?.unwrap_or(0);
    let limit = p.opt_id("limit")?.unwrap_or(PAGE);
    if offset < 0 || !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::param_why("offset/limit", "超出范围"));
    }
    app.db.run(|c| {
        let columns = browse::columns(c, table)?;
        let column = |name: &'static str| -> Result<Option<&str>> {
            match p.opt_str(name)?.filter(|v| !v.is_empty()) {
                Some(v) if columns.iter().any(|c| c.name == v) => Ok(Some(v)),
                Some(_) => Err(Error::param(name)),
                None => Ok(None),
            }
        };
        let filter = match (column("filter_column")?, p.opt_str("filter")?) {
            (Some(column), Some(text)) if !text.is_empty() => Some((column, text)),
            _ => None,
        };
        let query = Query {
            sort: column("sort")?,
            descending,
            filter,
            offset,
            limit,
        };
        let (total, rows) = browse::rows(c, table, &columns, &query)?;
        let rows: Vec<Vec<Value>> = rows
            .into_iter()
            .map(|row| row.into_iter().map(value_json).collect())
            .collect();
        Ok(json!({
            "table": table,
            "columns": columns.iter().map(column_json).collect::<Vec<_>>(),
            "total": total,
            "offset": offset,
            "rows": rows,
        }))
    })
}

fn column_json(c: &Column) -> Value {
    json!({ "name": c.name, "type": c.declared, "key": c.key })
}

/// A stored value as JSON; blobs (pictures) by size, the console shows them through their
/// public URLs.
fn value_json(value: SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(v) => json!(v),
        SqlValue::Real(v) => json!(v),
        SqlValue::Text(v) => json!(v),
        SqlValue::Blob(v) => json!({ "blob_bytes": v.len() }),
    }
}
