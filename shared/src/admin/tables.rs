//! The console's table browser: every table with its columns, and pages of rows sorted and
//! filtered by any column.

use crate::app::App;
use crate::db::browse::{self, Column, Query};
use crate::error::{Error, Result};
use crate::storage::Value;

/// Rows per page unless asked otherwise, and at most.
pub const PAGE: i64 = 25;
pub const MAX_PAGE: i64 = 200;

/// A table the console shows.
pub struct Table {
    pub name: &'static str,
    pub columns: Vec<Column>,
    /// How many rows it has.
    pub rows: i64,
}

/// Every table the console shows, with its columns and row count.
pub fn list(app: &App) -> Result<Vec<Table>> {
    app.db.run(|c| {
        let mut tables = Vec::new();
        for name in browse::TABLES {
            let columns = browse::columns(c, name)?;
            let (rows, _) = browse::rows(c, name, &columns, &Query::default())?;
            tables.push(Table {
                name,
                columns,
                rows,
            });
        }
        Ok(tables)
    })
}

/// Which rows of which table.
pub struct Rows<'a> {
    pub table: &'a str,
    /// A column to sort by (empty: none).
    pub sort: Option<&'a str>,
    pub descending: bool,
    /// A column whose values, as text, must contain `filter` (either empty: no filter).
    pub filter_column: Option<&'a str>,
    pub filter: Option<&'a str>,
    /// 0 unless given.
    pub offset: Option<i64>,
    /// [`PAGE`] unless given; at most [`MAX_PAGE`].
    pub limit: Option<i64>,
}

/// A page of a table's rows.
pub struct Page {
    pub table: &'static str,
    pub columns: Vec<Column>,
    /// How many rows match.
    pub total: i64,
    pub offset: i64,
    /// Each row's values, in the order of `columns`.
    pub rows: Vec<Vec<Value>>,
}

/// A page of rows; an unknown table or column is 101.
pub fn rows<'a>(app: &App, asked: &Rows<'a>) -> Result<Page> {
    let table = browse::table(asked.table).ok_or_else(|| Error::param("table"))?;
    let offset = asked.offset.unwrap_or(0);
    let limit = asked.limit.unwrap_or(PAGE);
    if offset < 0 || !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::param_why("offset/limit", "超出范围"));
    }
    app.db.run(|c| {
        let columns = browse::columns(c, table)?;
        let column = |name: &'static str, value: Option<&'a str>| -> Result<Option<&'a str>> {
            match value.filter(|v| !v.is_empty()) {
                Some(v) if columns.iter().any(|c| c.name == v) => Ok(Some(v)),
                Some(_) => Err(Error::param(name)),
                None => Ok(None),
            }
        };
        let filter = match (column("filter_column", asked.filter_column)?, asked.filter) {
            (Some(column), Some(text)) if !text.is_empty() => Some((column, text)),
            _ => None,
        };
        let query = Query {
            sort: column("sort", asked.sort)?,
            descending: asked.descending,
            filter,
            offset,
            limit,
        };
        let (total, rows) = browse::rows(c, table, &columns, &query)?;
        Ok(Page {
            table,
            columns,
            total,
            offset,
            rows,
        })
    })
}
