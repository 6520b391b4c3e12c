//! Creating groups, joining them, processing join requests, dismissing and leaving.

use super::{Access, Role};
use crate::app::App;
use crate::chat::live::Event;
use crate::content::text;
use crate::db::chat_messages::{self, Room};
use crate::db::groups::{self, Group};
use crate::db::join_requests::{self, Inbox, JoinRequest};
use crate::db::{
    announcements, chat_files, file_uploads, group_files, group_pictures, group_search, group_tags,
    group_types, members, ratings, users,
};
use crate::error::{Code, Error, Result};
use crate::ids::{GroupId, RequestId, UserId};
use crate::leftovers::Leftovers;
use crate::moderation::Target;
use crate::params::{refuse_bidi_controls, trimmed_text};
use crate::storage::Sql;
use crate::time;
use crate::wechat::security::Scene;

pub const NAME_MAX: usize = 30;
pub const USER_LIMIT_MIN: i64 = 2;
pub const USER_LIMIT_MAX: i64 = 500;

/// A group name as stored: trimmed, 1 to 30 characters, no bidirectional controls (101
/// otherwise). Groups are created and renamed only with this type, so a name cannot be passed
/// unchecked, or where the group type goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(name: &str) -> Result<GroupName> {
        let name =
            trimmed_text(name, "name", NAME_MAX, Code::BadParam).map_err(|e| match e.code() {
                Code::BadParam => Error::param_why("name", "应为 1 到 30 个字符"),
                _ => e,
            })?;
        refuse_bidi_controls(&name, "name")?;
        Ok(GroupName(name))
    }
}

impl std::ops::Deref for GroupName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Creates a group with the caller as creator and only member; returns its id. Its name is
/// checked with WeChat first.
pub async fn create(
    app: &App,
    me: &UserId,
    kind: &str,
    name: &GroupName,
    user_limit: i64,
) -> Result<GroupId> {
    // The group's own rules first: a refused group costs no check.
    app.db.run(|c| valid_group(c, kind, user_limit))?;
    let checked = text::check(app, me, Scene::Forum, &[name]).await?;
    app.db.tx(|c| {
        let id = create_in(c, me, kind, name, user_limit)?;
        checked.queue(c, Target::Group(id), name)?;
        Ok(id)
    })
}

/// [`create`] in the caller's transaction: 101 for a bad limit, 351 for an unknown type.
pub fn create_in(
    c: &dyn Sql,
    me: &UserId,
    kind: &str,
    name: &GroupName,
    user_limit: i64,
) -> Result<GroupId> {
    valid_group(c, kind, user_limit)?;
    let now = time::now();
    let id = groups::insert(c, kind, name, user_limit, me, now)?;
    members::insert(c, id, me, false, now)?;
    group_search::refresh(c, id)?;
    Ok(id)
}

/// 101 for a bad member limit, 351 for an unknown type.
fn valid_group(c: &dyn Sql, kind: &str, user_limit: i64) -> Result<()> {
    if !(USER_LIMIT_MIN..=USER_LIMIT_MAX).contains(&user_limit) {
        return Err(Error::param_why("user_limit", "应为 2 到 500"));
    }
    if !group_types::exists(c, kind)? {
        return Err(Error::new(Code::UnknownGroupType));
    }
    Ok(())
}

/// Asks to join a group; returns the request id.
pub fn join(app: &App, me: &UserId, group_id: GroupId) -> Result<RequestId> {
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
pub fn inbox(app: &App, me: &UserId) -> Result<Vec<Inbox>> {
    app.db.run(|c| Ok(join_requests::inbox(c, me)?))
}

/// Approves or rejects a pending request. An approval into a full group fails with 314 and leaves
/// the request pending; the check and the insert share one write transaction, so two racing
/// approvals can never pass the limit.
pub fn process(app: &App, me: &UserId, request_id: RequestId, approve: bool) -> Result<()> {
    app.db.tx(|c| {
        let request = pending_request(c, request_id)?;
        let access = Access::load(c, request.group_id, me)?;
        access.write(Role::Admin)?;
        process_in(
            c,
            &request,
            &access.group,
            approve,
            me.as_str(),
            time::now(),
        )
    })
}

/// The caller withdraws their own pending request. Another user's request is as unknown to
/// them as a processed one (313), so ids cannot be probed.
pub fn withdraw(app: &App, me: &UserId, request_id: RequestId) -> Result<()> {
    // One conditional UPDATE: it checks and writes at once, no transaction needed.
    let changed = app
        .db
        .run(|c| Ok(join_requests::withdraw(c, request_id, me, time::now())?))?;
    match changed {
        0 => Err(Error::new(Code::JoinRequestNotFound)),
        _ => Ok(()),
    }
}

/// A pending request; 313 when there is none (any more).
pub fn pending_request(c: &dyn Sql, request_id: RequestId) -> Result<JoinRequest> {
    join_requests::get_pending(c, request_id)?.ok_or_else(|| Error::new(Code::JoinRequestNotFound))
}

/// [`process`] once `by` is known to manage `group`.
pub fn process_in(
    c: &dyn Sql,
    request: &JoinRequest,
    group: &Group,
    approve: bool,
    by: &str,
    now: i64,
) -> Result<()> {
    if group.is_dismissed() {
        return Err(Error::new(Code::GroupDismissed));
    }
    if approve && members::membership(c, group.id, &request.user_id)?.is_none() {
        if group.is_full() {
            return Err(Error::new(Code::GroupFull));
        }
        members::insert(c, group.id, &request.user_id, false, now)?;
        groups::add_members(c, group.id, 1)?;
    }
    let status = if approve { "approved" } else { "rejected" };
    join_requests::finish(c, request.id, status, by, now)?;
    Ok(())
}

/// Adds a user to an active group without a request (the admin console's way in), with the
/// checks an approval makes: 202, 301, 304, 311, 314. A pending request of theirs is approved.
pub fn add_member_in(
    c: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    by: &str,
    now: i64,
) -> Result<()> {
    if !users::exists(c, user_id)? {
        return Err(Error::new(Code::UserNotFound));
    }
    let group = groups::get(c, group_id)?.ok_or_else(|| Error::new(Code::GroupNotFound))?;
    if group.is_dismissed() {
        return Err(Error::new(Code::GroupDismissed));
    }
    if members::membership(c, group_id, user_id)?.is_some() {
        return Err(Error::new(Code::AlreadyMember));
    }
    if group.is_full() {
        return Err(Error::new(Code::GroupFull));
    }
    members::insert(c, group_id, user_id, false, now)?;
    groups::add_members(c, group_id, 1)?;
    if let Some(request) = join_requests::pending_of(c, group_id, user_id)? {
        join_requests::finish(c, request, "approved", by, now)?;
    }
    Ok(())
}

/// Dismisses a group (creator only): it becomes read-only, leaves search, and its pending requests
/// are closed. Members keep their membership, to rate each other.
pub fn dismiss(app: &App, me: &UserId, group_id: GroupId) -> Result<()> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.write(Role::Creator)?;
        dismiss_in(c, &access.group, time::now())
    })
}

/// [`dismiss`] once the caller may; 304 when it already is.
pub fn dismiss_in(c: &dyn Sql, group: &Group, now: i64) -> Result<()> {
    if group.is_dismissed() {
        return Err(Error::new(Code::GroupDismissed));
    }
    groups::dismiss(c, group.id, now)?;
    join_requests::close_all(c, group.id, now)?;
    group_search::refresh(c, group.id)?;
    for tag in group_tags::list(c, group.id)? {
        group_tags::refresh_stats(c, &group.kind, &tag.tag_text)?;
    }
    Ok(())
}

/// Deletes a group and everything that belongs to it, in the caller's transaction: members,
/// requests, tags (and their popularity), pictures, announcements, ratings (and the totals they
/// added to), files, uploads, chat messages and temporary files, and its search entry. Blobs go
/// and members' chat sessions end once it commits ([`Leftovers`]). 301 when there is no such
/// group.
pub fn purge_in(c: &dyn Sql, group_id: GroupId, after: &mut Leftovers) -> Result<()> {
    let group = groups::get(c, group_id)?.ok_or_else(|| Error::new(Code::GroupNotFound))?;
    let room = Room::Group(group_id);
    after.picture(groups::delete(c, group_id)?);
    for user_id in members::delete_group(c, group_id)? {
        after.event(Event::Left { group_id, user_id });
    }
    join_requests::delete_group(c, group_id)?;
    for text in group_tags::delete_group(c, group_id)? {
        group_tags::refresh_stats(c, &group.kind, &text)?;
    }
    for picture in group_pictures::delete_group(c, group_id)? {
        after.picture(Some(picture));
    }
    for picture in announcements::delete_group(c, group_id)? {
        after.picture(Some(picture));
    }
    ratings::delete_group(c, group_id)?;
    after.contents(c, group_files::delete_group(c, group_id)?)?;
    after.contents(c, file_uploads::delete_group(c, group_id)?)?;
    chat_messages::delete_room(c, room)?;
    after.contents(c, chat_files::delete_room(c, room)?)?;
    group_search::refresh(c, group_id)?;
    Ok(())
}

/// Leaves a group. The creator cannot (315): they dismiss it instead.
pub async fn exit(app: &App, me: &UserId, group_id: GroupId) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        let access = Access::load(c, group_id, me)?;
        if access.write(Role::Member)? == Role::Creator {
            return Err(Error::new(Code::CreatorCannotExit));
        }
        crate::groups::members::leave_in(c, group_id, me, after)
    })
    .await
}
