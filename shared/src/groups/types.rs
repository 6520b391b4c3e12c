//! The list of group types, kept by operators in the admin console: a type can be added, moved
//! in the list, or removed while no group has it. A type is never renamed: groups and the search
//! index carry its name.

use crate::db::{group_types, groups};
use crate::error::{Code, Error, Result};
use crate::params::trimmed_text;
use crate::storage::Sql;

/// Longest type name, in characters.
pub const NAME_MAX: usize = 10;

pub fn create_in(conn: &dyn Sql, name: &str, position: i64) -> Result<String> {
    let name = trimmed_text(name, "name", NAME_MAX, Code::BadParam)?;
    if group_types::exists(conn, &name)? {
        return Err(Error::param_why("name", "类型已存在"));
    }
    group_types::insert(conn, &name, position)?;
    Ok(name)
}

pub fn move_in(conn: &dyn Sql, name: &str, position: i64) -> Result<()> {
    match group_types::set_position(conn, name, position)? {
        0 => Err(Error::new(Code::UnknownGroupType)),
        _ => Ok(()),
    }
}

/// 351 for an unknown type; 101 while groups have it.
pub fn delete_in(conn: &dyn Sql, name: &str) -> Result<()> {
    if !group_types::exists(conn, name)? {
        return Err(Error::new(Code::UnknownGroupType));
    }
    let used = groups::count_of_type(conn, name)?;
    if used > 0 {
        return Err(Error::param_why(
            "name",
            &format!("{used} 个群组属于此类型"),
        ));
    }
    group_types::delete(conn, name)?;
    Ok(())
}
