//! The admin console's API and its guard: disabled without `ZUDUI_ADMIN_TOKEN`, bearer tokens
//! for scripts, a signed HttpOnly cookie for the page with CSRF tokens on writes, the dashboard's
//! figures, the audit log, and a user's account deleted or exported.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod accounts;
mod reading;
mod review;
mod sessions;
mod writes;
