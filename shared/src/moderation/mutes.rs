//! Mutes: a user may not send in a group's room until a time. Checked where messages are stored
//! (`chat::store`, the file share), so both hosts and the relay's calls refuse alike (413).

use serde_json::json;

use crate::admin;
use crate::app::App;
use crate::db::{groups, mutes, users};
use crate::error::{Code, Error, Result};
use crate::ids::{GroupId, ReviewId, UserId};
use crate::storage::Sql;
use crate::time;

/// Longest mute, in seconds.
pub const LONGEST: i64 = 30 * 24 * 60 * 60;

/// 413, with when it ends, while `user` is muted in `group`.
pub fn check(app: &App, conn: &dyn Sql, group: GroupId, user: &UserId, now: i64) -> Result<()> {
    match mutes::until(conn, group, user, now)? {
        Some(until) => Err(Error::with_message(
            Code::Muted,
            format!("禁言中,{} 解除", app.format_time(until)),
        )),
        None => Ok(()),
    }
}

/// The console mutes `user` in `group` for `seconds` (1 to [`LONGEST`], else 101; 301 for an
/// unknown group, 202 for an unknown user), replacing any mute there, and resolves review item
/// `item` if given; recorded. Answers when it ends.
pub fn mute(
    app: &App,
    actor: &str,
    group: GroupId,
    user: &UserId,
    seconds: i64,
    item: Option<ReviewId>,
) -> Result<i64> {
    if !(1..=LONGEST).contains(&seconds) {
        return Err(Error::param_why("seconds", "应为 1 到 2592000 秒"));
    }
    app.db.tx(|c| {
        let now = time::now();
        if groups::get(c, group)?.is_none() {
            return Err(Error::new(Code::GroupNotFound));
        }
        if !users::exists(c, user)? {
            return Err(Error::new(Code::UserNotFound));
        }
        mutes::prune(c, now)?;
        let until = now + seconds;
        mutes::put(c, group, user, until, now)?;
        if let Some(item) = item {
            super::review::resolve_in(c, actor, item, "muted", now)?;
        }
        let detail = json!({ "seconds": seconds, "until": until });
        admin::record(
            c,
            now,
            actor,
            "mute",
            &format!("mutes:{group}/{user}"),
            &detail,
        )?;
        Ok(until)
    })
}

/// The console lifts `user`'s mute in `group`: 101 when none holds; recorded.
pub fn unmute(app: &App, actor: &str, group: GroupId, user: &UserId) -> Result<()> {
    app.db.tx(|c| {
        let now = time::now();
        if !mutes::delete(c, group, user, now)? {
            return Err(Error::with_message(
                Code::BadParam,
                "该用户未在此群组被禁言",
            ));
        }
        let target = format!("mutes:{group}/{user}");
        admin::record(c, now, actor, "unmute", &target, &serde_json::Value::Null)
    })
}
