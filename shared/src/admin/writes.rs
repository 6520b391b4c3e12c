//! Writes through the console: each editable table's create, update and delete go through the
//! same rules as the API (the domain's `*_in` functions), and are recorded in the audit log in
//! the same transaction. A table or field without such a path cannot be written (101).

use serde_json::{json, Map, Value};

use super::{guard::Admin, record};
use crate::app::App;
use crate::db::user_tags;
use crate::error::{Code, Error, Result};
use crate::groups::types;
use crate::params::Params;
use crate::profiles;
use crate::storage::Sql;

/// What the console asks: `create`, `update` or `delete` of a row of `table`, named by `key`,
/// with new `values`.
pub fn apply(app: &App, admin: &Admin, action: &str, p: &Params, now: i64) -> Result<Value> {
    let table = p.str("table")?;
    let key_map = p.opt_object("key")?.cloned().unwrap_or_default();
    let values = p.opt_object("values")?.cloned().unwrap_or_default();
    let key = Params::from_map(key_map.clone());
    let fields = Params::from_map(values.clone());
    app.db.tx(|c| {
        let target = match (table, action) {
            ("users", "update") => update_user(c, &key, &fields, &values)?,
            ("user_tags", "create") => {
                let user = fields.user_id("user_id")?;
                profiles::add_tag_in(c, &user, fields.str("tag_text")?)?;
                format!("user_tags:{user}")
            }
            ("user_tags", "update") => {
                let (id, user) = tag(c, &key)?;
                profiles::edit_tag_in(c, &user, id, fields.str("tag_text")?)?;
                format!("user_tags:{id}")
            }
            ("user_tags", "delete") => {
                let (id, user) = tag(c, &key)?;
                profiles::remove_tag_in(c, &user, id)?;
                format!("user_tags:{id}")
            }
            ("group_types", "create") => {
                let position = fields.opt_id("position")?.unwrap_or(0);
                let name = types::create_in(c, fields.str("name")?, position)?;
                format!("group_types:{name}")
            }
            ("group_types", "update") => {
                let name = key.str("name")?;
                if values.keys().any(|k| k != "position") {
                    return Err(Error::param_why("name", "类型不能改名"));
                }
                types::move_in(c, name, fields.id("position")?)?;
                format!("group_types:{name}")
            }
            ("group_types", "delete") => {
                let name = key.str("name")?;
                types::delete_in(c, name)?;
                format!("group_types:{name}")
            }
            _ => {
                return Err(Error::with_message(
                    Code::BadParam,
                    format!("{table} 不能在控制台{action}"),
                ))
            }
        };
        let detail = json!({ "key": key_map, "values": values });
        record(c, now, admin.actor(), action, &target, &detail)?;
        Ok(json!({ "target": target }))
    })
}

/// `nickname` and `info` of a user, with the profile's rules; any other field is 101.
fn update_user(
    c: &dyn Sql,
    key: &Params,
    fields: &Params,
    values: &Map<String, Value>,
) -> Result<String> {
    let id = key.user_id("id")?;
    if values.is_empty() {
        return Err(Error::param("values"));
    }
    for name in values.keys() {
        match name.as_str() {
            "nickname" => profiles::set_nickname_in(c, &id, fields.str("nickname")?)?,
            "info" => profiles::edit_info_in(c, &id, fields.str("info")?)?,
            other => return Err(Error::param_why(other, "不能在控制台修改")),
        }
    }
    Ok(format!("users:{id}"))
}

/// A tag by its id, with its owner: 211 when it does not exist.
fn tag(c: &dyn Sql, key: &Params) -> Result<(i64, String)> {
    let id = key.id("id")?;
    let owner = user_tags::owner(c, id)?.ok_or_else(|| Error::new(Code::UserTagNotFound))?;
    Ok((id, owner))
}
