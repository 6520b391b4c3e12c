//! Generic reads of any table for the admin console's table browser. Table and column names
//! cannot be SQL parameters, so they are only ever taken from [`TABLES`] and from the table's own
//! `PRAGMA table_info`; every value is a parameter. Writes never happen here: the console writes
//! through each table's own module and the domain's rules.

use crate::params;
use crate::storage::{Sql, Value};

/// The tables the console shows, in the order it lists them.
pub const TABLES: &[&str] = &[
    "users",
    "user_tags",
    "group_types",
    "groups",
    "group_members",
    "join_requests",
    "group_tags",
    "group_pictures",
    "announcements",
    "ratings",
    "group_files",
    "file_uploads",
    "private_rooms",
    "chat_messages",
    "chat_files",
    "review_items",
    "review_reports",
    "mutes",
    "admin_audit",
];

/// A column as SQLite declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub declared: String,
    /// Position in the primary key (1-based), 0 when not part of it.
    pub key: i64,
}

/// The table named `name`, if the console shows it.
pub fn table(name: &str) -> Option<&'static str> {
    TABLES.iter().copied().find(|t| *t == name)
}

pub fn columns(conn: &dyn Sql, table: &'static str) -> anyhow::Result<Vec<Column>> {
    conn.query(&format!("PRAGMA table_info({table})"), params![])?
        .iter()
        .map(|r| {
            Ok(Column {
                name: r.text(1)?,
                declared: r.text(2)?,
                key: r.int(5)?,
            })
        })
        .collect()
}

/// What to read: a page, in an order, with rows whose column contains a text.
#[derive(Debug, Clone, Default)]
pub struct Query<'a> {
    /// A column of the table (checked by the caller against [`columns`]).
    pub sort: Option<&'a str>,
    pub descending: bool,
    /// `(column, text)`: rows whose value, as text, contains `text`.
    pub filter: Option<(&'a str, &'a str)>,
    pub offset: i64,
    pub limit: i64,
}

/// The matching rows' count and one page of them, each with every column of `columns`.
pub fn rows(
    conn: &dyn Sql,
    table: &'static str,
    columns: &[Column],
    q: &Query<'_>,
) -> anyhow::Result<(i64, Vec<Vec<Value>>)> {
    let known = |name: &str| columns.iter().any(|c| c.name == name);
    let mut filter_sql = String::new();
    let mut args = Vec::new();
    if let Some((column, text)) = q.filter {
        anyhow::ensure!(known(column), "no column {column} in {table}");
        filter_sql = format!(" WHERE CAST(\"{column}\" AS TEXT) LIKE ? ESCAPE '\\'");
        args.push(Value::Text(format!("%{}%", escape_like(text))));
    }
    let count =
        conn.query(&format!("SELECT count(*) FROM {table}{filter_sql}"), &args)?[0].int(0)?;
    // The primary key breaks ties, so that pages neither repeat nor skip rows.
    let mut keys: Vec<&Column> = columns.iter().filter(|c| c.key > 0).collect();
    keys.sort_by_key(|c| c.key);
    let mut order: Vec<String> = keys.iter().map(|c| format!("\"{}\"", c.name)).collect();
    if let Some(column) = q.sort {
        anyhow::ensure!(known(column), "no column {column} in {table}");
        let dir = if q.descending { "DESC" } else { "ASC" };
        order.insert(0, format!("\"{column}\" {dir}"));
    }
    let order = match order.is_empty() {
        true => String::new(),
        false => format!(" ORDER BY {}", order.join(", ")),
    };
    let list = columns
        .iter()
        .map(|c| format!("\"{}\"", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    args.push(Value::Integer(q.limit));
    args.push(Value::Integer(q.offset));
    let rows = conn.query(
        &format!("SELECT {list} FROM {table}{filter_sql}{order} LIMIT ? OFFSET ?"),
        &args,
    )?;
    Ok((count, rows.into_iter().map(|r| r.0).collect()))
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
