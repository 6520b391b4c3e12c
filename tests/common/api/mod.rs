//! Typed calls of the endpoints the tests make over and over, one method of [`Server`] each,
//! grouped by area: `server.add_group_tag(&owner, group, "篮球")`. Each sends one request as the
//! given user, asserts that it succeeded (HTTP 200, code 0, the answer valid against the API
//! description, as [`Server::ok`] does) and returns what a test needs next (a new id, a list).
//! A call that must fail stays `server.fails(paths::..., token, body, code, status)`: the body
//! is what that test is about.
//!
//! `tests/count_checks.py` counts a call of one of these methods as one check, as it counts a
//! call of `.ok(`, so their names must not be those of other methods (no `join`, `get`, `add`:
//! say what and where, `join_group`).
//!
//! [`Server`]: super::Server
//! [`Server::ok`]: super::Server::ok

mod chat;
mod files;
mod group_profile;
mod groups;
mod reports;
mod users;
