//! SQL, one module per table. Nothing else in the crate writes SQL for these tables.

pub mod user_tags;
pub mod users;
