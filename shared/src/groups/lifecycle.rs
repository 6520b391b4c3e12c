//! Creating groups, joining them, processing join requests, dismissing and leaving.

use super::{Access, Role};
use crate::app::App;
use crate::chat::live::Event;
use crate::db::join_requests::{self, Inbox};
use crate::db::{group_search, group_tags, group_types, groups, members};
use crate::error::{Code, Error, Result};
use crate::params::trimmed_text;
use crate::time;

pub const NAME_MAX: usize = 30;
pub const USER_LIMIT_MIN: i64 = 2;
pub const USER_LIMIT_MAX: i64 = 500;

/// A group name: trimmed, 1 to 30 characters (101 otherwise).
pub fn group_name(name: &str) -> Result<String> {
    trimmed_text(name, "name", NAME_MAX, Code::BadParam).map_err(|e| match e.code() {
        Code::BadParam => Error::param_why("name", "应为 1 到 30 个字符"),
        _ => e,
    })
}

/// Creates a group with the caller as creator and only member; returns its id.
pub fn create(app: &App, me: &str, kind: &str, name: &str, user_limit: i64) -> Result<i64> {
    let name = group_name(name)?;
    if !(USER_LIMIT_MIN..=USER_LIMIT_MAX).contains(&user_limit) {
        return Err(Error::param_why("user_limit", "应为 2 到 500"));
    }
    app.db.tx(|c| {
        if !group_types::exists(c, kind)? {
            return Err(Error::new(Code::UnknownGroupType));
        }
        let now = time::now();
        let id = groups::insert(c, kind, &name, user_limit, me, now)?;
        members::insert(c, id, me, false, now)?;
        group_search::refresh(c, id)?;
        Ok(id)
    })
}

/// Asks to join a group; returns the request id.
pub fn join(app: &App, me: &str, group_id: i64) -> Result<i64> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        if access.group.is_dismissed() {
            return Err(Error::new(Code::GroupDismissed));
        }
        if access.role.is_some() {
            return Err(Error::new(Code::AlreadyMember));
        }
        if join_requests::pending_of(c, group_id, me)?.is_some() {
            return Err(Error::new(Code::AlreadyRequested));
        }
        if access.group.is_full() {
            return Err(Error::new(Code::GroupFull));
        }
        Ok(join_requests::insert(c, group_id, me, time::now())?)
    })
}

/// Pending requests to the active groups the caller manages.
pub fn inbox(app: &App, me: &str) -> Result<Vec<Inbox>> {
    app.db.run(|c| Ok(join_requests::inbox(c, me)?))
}

/// Approves or rejects a pending request. An approval into a full group fails with 314 and leaves
/// the request pending; the check and the insert share one write transaction, so two racing
/// approvals can never pass the limit.
pub fn process(app: &App, me: &str, request_id: i64, approve: bool) -> Result<()> {
    app.db.tx(|c| {
        let request = join_requests::get_pending(c, request_id)?
            .ok_or_else(|| Error::new(Code::JoinRequestNotFound))?;
        let access = Access::load(c, request.group_id, me)?;
        access.write(Role::Admin)?;
        let now = time::now();
        if !approve {
            join_requests::finish(c, request.id, "rejected", me, now)?;
            return Ok(());
        }
        if members::membership(c, request.group_id, &request.user_id)?.is_none() {
            if access.group.is_full() {
                return Err(Error::new(Code::GroupFull));
            }
            members::insert(c, request.group_id, &request.user_id, false, now)?;
            groups::add_members(c, request.group_id, 1)?;
        }
        join_requests::finish(c, request.id, "approved", me, now)?;
        Ok(())
    })
}

/// Dismisses a group (creator only): it becomes read-only, leaves search, and its pending requests
/// are closed. Members keep their membership, to rate each other.
pub fn dismiss(app: &App, me: &str, group_id: i64) -> Result<()> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.write(Role::Creator)?;
        let now = time::now();
        groups::dismiss(c, group_id, now)?;
        join_requests::close_all(c, group_id, now)?;
        group_search::refresh(c, group_id)?;
        for tag in group_tags::list(c, group_id)? {
            group_tags::refresh_stats(c, &access.group.kind, &tag.tag_text)?;
        }
        Ok(())
    })
}

/// Leaves a group. The creator cannot (315): they dismiss it instead.
pub fn exit(app: &App, me: &str, group_id: i64) -> Result<()> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        if access.write(Role::Member)? == Role::Creator {
            return Err(Error::new(Code::CreatorCannotExit));
        }
        members::delete(c, group_id, me)?;
        groups::add_members(c, group_id, -1)?;
        Ok(())
    })?;
    app.live.publish(Event::Left {
        group_id,
        user_id: me.to_owned(),
    });
    Ok(())
}
