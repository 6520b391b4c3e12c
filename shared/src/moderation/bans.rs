//! Bans: a banned user's tokens answer 112 on every call (`accounts::user_of` reads the ban in
//! the query that checks the user), their chat sockets are refused and their sends too, and
//! signing in is refused (112, saying until when and why), until the ban ends or is lifted.

use serde_json::json;

use crate::admin;
use crate::app::App;
use crate::db::users::{self, Ban};
use crate::error::{Code, Error, Result};
use crate::ids::{ReviewId, UserId};
use crate::storage::Sql;
use crate::time;

/// Longest ban with an end, in seconds (a longer one is for good: no `seconds`).
pub const LONGEST: i64 = 365 * 24 * 60 * 60;
/// Longest reason, in characters.
pub const REASON_MAX: usize = 200;

/// 112 while `user` is banned, saying until when and why (signing in).
pub fn check(app: &App, conn: &dyn Sql, user: &UserId, now: i64) -> Result<()> {
    let Some(ban) = users::ban(conn, user, now)? else {
        return Ok(());
    };
    let until = match ban.until {
        Some(until) => format!("至 {}", app.format_time(until)),
        None => "永久".to_owned(),
    };
    let why = match ban.reason.is_empty() {
        true => String::new(),
        false => format!(": {}", ban.reason),
    };
    Err(Error::with_message(
        Code::TokenInvalid,
        format!("账号已被封禁({until}){why}"),
    ))
}

/// The console bans `user` for `seconds` (1 to [`LONGEST`]; `None`: for good) with `reason`
/// (trimmed, at most [`REASON_MAX`] characters; 101 otherwise), replacing any ban, and resolves
/// review item `item` if given; recorded. 202 for an unknown user.
pub fn ban(
    app: &App,
    actor: &str,
    user: &UserId,
    reason: &str,
    seconds: Option<i64>,
    item: Option<ReviewId>,
) -> Result<()> {
    let reason = reason.trim();
    if reason.chars().count() > REASON_MAX {
        return Err(Error::param_why("reason", "最多 200 个字符"));
    }
    if seconds.is_some_and(|s| !(1..=LONGEST).contains(&s)) {
        return Err(Error::param_why(
            "seconds",
            "应为 1 到 31536000 秒,或不填(永久)",
        ));
    }
    app.db.tx(|c| {
        let now = time::now();
        let ban = Ban {
            at: now,
            until: seconds.map(|s| now + s),
            reason: reason.to_owned(),
        };
        if !users::set_ban(c, user, &ban)? {
            return Err(Error::new(Code::UserNotFound));
        }
        if let Some(item) = item {
            super::review::resolve_in(c, actor, item, "banned", now)?;
        }
        let detail = json!({ "until": ban.until, "reason": reason });
        admin::record(c, now, actor, "ban", &format!("users:{user}"), &detail)
    })
}

/// The console lifts `user`'s ban: 101 when none holds; recorded.
pub fn unban(app: &App, actor: &str, user: &UserId) -> Result<()> {
    app.db.tx(|c| {
        let now = time::now();
        if !users::clear_ban(c, user, now)? {
            return Err(Error::with_message(Code::BadParam, "该用户未被封禁"));
        }
        admin::record(
            c,
            now,
            actor,
            "unban",
            &format!("users:{user}"),
            &serde_json::Value::Null,
        )
    })
}
