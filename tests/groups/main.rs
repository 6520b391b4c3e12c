//! The group lifecycle over real HTTP: creating and joining groups, join requests, members,
//! admins, nicknames, leaving, dismissal and the rating round afterwards, with every error code
//! and the permission rules for outsiders, members, admins and the creator.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod joining;
mod leaving;
mod members;
