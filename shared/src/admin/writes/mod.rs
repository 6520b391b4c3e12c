//! Writes through the console: each table's create, update and delete go through the same rules
//! as the API (the domain's `*_in` functions), and are recorded in the audit log in the same
//! transaction. What the API cannot do to a row, the console cannot either (101): the console
//! stands in for whoever may do it, never around the rules.

mod content;
mod groups;
mod people;

use serde_json::{json, Map, Value};

use super::{guard::Admin, record};
use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::leftovers::Leftovers;
use crate::params::Params;
use crate::storage::Sql;

/// One write the console asks for.
pub struct Write<'a> {
    pub table: &'a str,
    /// `create`, `update` or `delete`.
    pub action: &'a str,
    /// The row's primary key.
    pub key: Params,
    /// New values, by column.
    pub fields: Params,
    /// The names of the columns in `fields`, in the order given.
    pub names: Vec<String>,
    /// Who writes, as join requests and the audit log name them.
    pub by: &'a str,
    pub now: i64,
}

impl Write<'_> {
    /// 101: this table cannot be written this way.
    pub fn unsupported(&self) -> Error {
        Error::with_message(
            Code::BadParam,
            format!("{} 不能在控制台{}", self.table, self.action),
        )
    }

    /// 101 unless every field given is one of `allowed`, and at least one is.
    pub fn only(&self, allowed: &[&str]) -> Result<()> {
        if self.names.is_empty() {
            return Err(Error::param("values"));
        }
        match self.names.iter().find(|n| !allowed.contains(&n.as_str())) {
            Some(other) => Err(Error::param_why(other, "不能在控制台修改")),
            None => Ok(()),
        }
    }
}

/// What the console asks of a row.
pub struct Asked<'a> {
    pub table: &'a str,
    /// The row's primary key, by column.
    pub key: Map<String, Value>,
    /// The values to write, by column.
    pub values: Map<String, Value>,
}

/// What the console asks: `create`, `update` or `delete` of a row of `table`, named by `key`,
/// with new `values` → the audit log's name of the row. Blobs freed by the write go, and
/// members' chat sessions hear of it, once it has committed.
pub async fn apply(
    app: &App,
    admin: &Admin,
    action: &str,
    asked: Asked<'_>,
    now: i64,
) -> Result<String> {
    let Asked { table, key, values } = asked;
    let write = Write {
        table,
        action,
        key: Params::from_map(key.clone()),
        fields: Params::from_map(values.clone()),
        names: values.keys().cloned().collect(),
        by: admin.actor(),
        now,
    };
    Leftovers::tx(app, |c, after| {
        let target = dispatch(c, &write, after)?;
        let detail = json!({ "key": key, "values": values });
        record(c, now, admin.actor(), action, &target, &detail)?;
        Ok(target)
    })
    .await
}

/// The write, by table; returns the audit log's name of the row written.
fn dispatch(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    match w.table {
        "users" => people::user(c, w),
        "user_tags" => people::tag(c, w),
        "group_types" => groups::group_type(c, w),
        "groups" => groups::group(c, w, after),
        "group_members" => groups::member(c, w, after),
        "join_requests" => groups::join_request(c, w),
        "group_tags" => groups::tag(c, w),
        "group_pictures" => groups::picture(c, w, after),
        "announcements" => groups::announcement(c, w, after),
        "ratings" => groups::rating(c, w),
        "group_files" => content::group_file(c, w, after),
        "file_uploads" => content::upload(c, w, after),
        "chat_messages" => content::message(c, w),
        "chat_files" => content::chat_file(c, w, after),
        _ => Err(w.unsupported()),
    }
}
