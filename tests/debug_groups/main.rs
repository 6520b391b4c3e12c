//! The admin console's writes of groups and of everything they own, and its views of a group
//! and of a user, over real HTTP with the admin's bearer token: each write follows the API's
//! rules (a refused write changes nothing and is not logged), a group's deletion takes every row,
//! blob, search entry, tag count and rating total of it and ends its members' chat sessions, and
//! the views and pictures show what is stored.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod deleting;
mod files;
mod groups;
mod profile;
mod views;
