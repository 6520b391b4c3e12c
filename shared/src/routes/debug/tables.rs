//! The table browser: every table, and a page of rows.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::admin::{guard::Admin, tables};
use crate::app::App;
use crate::body::Response;
use crate::db::browse::Column;
use crate::error::Code::*;
use crate::error::Result;
use crate::fields::{self, Id};
use crate::routes::doc::{Doc, Tag};
use crate::routes::table::{console, Call};
use crate::routes::{ok, Route};
use crate::storage::Value as SqlValue;

pub const ROUTES: &[Route] = &[
    Route::get("/debug/api/tables", console!(list_tables)).doc(&TABLES),
    Route::get("/debug/api/rows", console!(rows)).doc(&ROWS),
];

const TABLES: Doc = Doc::new("debugTables", Tag::Debug, "Every table")
    .about(about!("Each table with its columns and row count."))
    .gives::<Tables>();

#[derive(Serialize, JsonSchema)]
pub struct Tables {
    pub tables: Vec<TableSummary>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TableSummary {
    pub name: String,
    pub columns: Vec<TableColumn>,
    pub rows: i64,
}

#[derive(Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TableColumn {
    pub name: String,
    /// declared SQLite type
    #[serde(rename = "type")]
    pub declared: String,
    /// position in the primary key, 0 if none
    #[schemars(range(min = 0))]
    pub key: i64,
}

impl TableColumn {
    fn of(column: Column) -> TableColumn {
        TableColumn {
            name: column.name,
            declared: column.declared,
            key: column.key,
        }
    }
}

fn columns(columns: Vec<Column>) -> Vec<TableColumn> {
    columns.into_iter().map(TableColumn::of).collect()
}

async fn list_tables(app: &App, _admin: Admin, _call: Call) -> Result<Response> {
    let tables = tables::list(app)?
        .into_iter()
        .map(|t| TableSummary {
            name: t.name.to_owned(),
            columns: columns(t.columns),
            rows: t.rows,
        })
        .collect();
    Ok(ok(Tables { tables }))
}

const ROWS: Doc = Doc::new("debugRows", Tag::Debug, "A page of rows")
    .about(about!("Sorted by any column (the primary key breaks ties), filtered by \"contains\" on any column. An unknown table or column is 101. Blobs show as `{blob_bytes}`."))
    .takes::<RowsQuery>()
    .gives::<RowsPage>()
    .codes(&[BadParam]);

#[derive(Deserialize, JsonSchema)]
pub struct RowsQuery {
    pub table: String,
    /// a column
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub sort: Option<String>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Direction")]
    pub dir: Option<Direction>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub filter_column: Option<String>,
    #[schemars(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub filter: Option<String>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(with = "i64", range(min = 0))]
    pub offset: Option<Id>,
    #[serde(default, deserialize_with = "fields::blank_is_none")]
    #[schemars(
        with = "i64",
        range(min = 1, max = tables::MAX_PAGE),
        extend("default" = tables::PAGE)
    )]
    pub limit: Option<Id>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Direction {
    Asc,
    Desc,
}

#[derive(Serialize, JsonSchema)]
pub struct RowsPage {
    pub table: String,
    pub columns: Vec<TableColumn>,
    pub total: i64,
    pub offset: i64,
    pub rows: Vec<Vec<Cell>>,
}

/// A stored value; blobs (pictures) by size, the console shows them through their public URLs.
#[derive(Serialize)]
#[serde(untagged)]
pub enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob { blob_bytes: usize },
}

impl Cell {
    fn of(value: SqlValue) -> Cell {
        match value {
            SqlValue::Null => Cell::Null,
            SqlValue::Integer(v) => Cell::Integer(v),
            SqlValue::Real(v) => Cell::Real(v),
            SqlValue::Text(v) => Cell::Text(v),
            SqlValue::Blob(v) => Cell::Blob {
                blob_bytes: v.len(),
            },
        }
    }
}

impl JsonSchema for Cell {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cell".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "description": "a cell: null, number, text or {blob_bytes}" })
    }
}

async fn rows(app: &App, _admin: Admin, call: Call) -> Result<Response> {
    let q: RowsQuery = call.fields()?;
    let page = tables::rows(
        app,
        &tables::Rows {
            table: &q.table,
            sort: q.sort.as_deref(),
            descending: matches!(q.dir, Some(Direction::Desc)),
            filter_column: q.filter_column.as_deref(),
            filter: q.filter.as_deref(),
            offset: q.offset.map(|id| id.0),
            limit: q.limit.map(|id| id.0),
        },
    )?;
    Ok(ok(RowsPage {
        table: page.table.to_owned(),
        columns: columns(page.columns),
        total: page.total,
        offset: page.offset,
        rows: page
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(Cell::of).collect())
            .collect(),
    }))
}
