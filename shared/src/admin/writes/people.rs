//! Console writes of users and their tags.

use super::Write;
use crate::db::user_tags;
use crate::error::{Code, Error, Result};
use crate::profiles;
use crate::storage::Sql;

/// A user's `nickname` and `info`, with the profile's rules. Accounts are made by signing in,
/// and the API has no way to delete one, so neither has the console.
pub fn user(c: &dyn Sql, w: &Write) -> Result<String> {
    if w.action != "update" {
        return Err(w.unsupported());
    }
    let id = w.key.user_id("id")?;
    w.only(&["nickname", "info"])?;
    if let Some(nickname) = w.fields.opt_str("nickname")? {
        profiles::set_nickname_in(c, &id, nickname)?;
    }
    if let Some(info) = w.fields.opt_str("info")? {
        profiles::edit_info_in(c, &id, info)?;
    }
    Ok(format!("users:{id}"))
}

/// Personal tags, with the profile's rules (how many, how long, no duplicates).
pub fn tag(c: &dyn Sql, w: &Write) -> Result<String> {
    if w.action == "create" {
        let user = w.fields.user_id("user_id")?;
        profiles::add_tag_in(c, &user, w.fields.str("tag_text")?)?;
        return Ok(format!("user_tags:{user}"));
    }
    let id = w.key.id("id")?;
    let owner = user_tags::owner(c, id)?.ok_or_else(|| Error::new(Code::UserTagNotFound))?;
    match w.action {
        "update" => {
            w.only(&["tag_text"])?;
            profiles::edit_tag_in(c, &owner, id, w.fields.str("tag_text")?)?
        }
        "delete" => profiles::remove_tag_in(c, &owner, id)?,
        _ => return Err(w.unsupported()),
    }
    Ok(format!("user_tags:{id}"))
}
