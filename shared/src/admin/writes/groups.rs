//! Console writes of groups and what belongs to them. The console stands in for a group's
//! creator and managers: it may do what they may, under the same rules (a full group takes
//! nobody, the creator stays, a dismissed group is read-only: 304). Beyond them, it moderates:
//! it deletes content of dismissed groups too, and deletes whole groups with everything in them.

use super::Write;
use crate::db::groups::{self as group_rows, Group};
use crate::db::{announcements, group_pictures, group_tags, ratings, users};
use crate::error::{Code, Error, Result};
use crate::groups::lifecycle::{self, GroupName};
use crate::groups::{announcements as notices, members, profile, types};
use crate::ids::GroupId;
use crate::leftovers::Leftovers;
use crate::storage::Sql;

/// A group by id; 301 when there is none.
fn load(c: &dyn Sql, id: GroupId) -> Result<Group> {
    group_rows::get(c, id)?.ok_or_else(|| Error::new(Code::GroupNotFound))
}

/// A group that may still change; 304 once dismissed.
fn active(c: &dyn Sql, id: GroupId) -> Result<Group> {
    let group = load(c, id)?;
    match group.is_dismissed() {
        true => Err(Error::new(Code::GroupDismissed)),
        false => Ok(group),
    }
}

/// Group types: added, moved, and removed while no group has them. They are never renamed:
/// groups and the search index carry the name.
pub fn group_type(c: &dyn Sql, w: &Write) -> Result<String> {
    let name = match w.action {
        "create" => {
            let position = w.fields.opt_id("position")?.unwrap_or(0);
            types::create_in(c, w.fields.str("name")?, position)?
        }
        "update" => {
            let name = w.key.str("name")?;
            if w.names.iter().any(|n| n == "name") {
                return Err(Error::param_why("name", "类型不能改名"));
            }
            w.only(&["position"])?;
            types::move_in(c, name, w.fields.id("position")?)?;
            name.to_owned()
        }
        "delete" => {
            let name = w.key.str("name")?;
            types::delete_in(c, name)?;
            name.to_owned()
        }
        _ => return Err(w.unsupported()),
    };
    Ok(format!("group_types:{name}"))
}

/// Groups: created for a user (their creator), renamed, their intro edited, dismissed
/// (`dismissed: true`), or deleted with everything that belongs to them.
pub fn group(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let id = match w.action {
        "create" => {
            // The API's sign-in guarantees a creator exists; here it is checked.
            let creator = w.fields.user_id("creator_id")?;
            if !users::exists(c, &creator)? {
                return Err(Error::new(Code::UserNotFound));
            }
            let (kind, name) = (w.fields.str("type")?, w.fields.str("name")?);
            lifecycle::create_in(
                c,
                &creator,
                kind,
                &GroupName::parse(name)?,
                w.fields.id("user_limit")?,
            )?
        }
        "update" => {
            w.only(&["name", "info", "dismissed"])?;
            let group = active(c, w.key.id("id")?)?;
            if let Some(name) = w.fields.opt_str("name")? {
                profile::set_name_in(c, group.id, &GroupName::parse(name)?)?;
            }
            if let Some(info) = w.fields.opt_str("info")? {
                profile::edit_info_in(c, group.id, info)?;
            }
            if w.names.iter().any(|n| n == "dismissed") {
                if !w.fields.bool("dismissed")? {
                    return Err(Error::param_why("dismissed", "解散后不能恢复"));
                }
                lifecycle::dismiss_in(c, &group, w.now)?;
            }
            group.id
        }
        "delete" => {
            let id = w.key.id("id")?;
            lifecycle::purge_in(c, id, after)?;
            id
        }
        _ => return Err(w.unsupported()),
    };
    Ok(format!("groups:{id}"))
}

/// Members: added to an active group that has room, made admins or not, given an in-group
/// nickname, or removed; the creator is neither demoted nor removed.
pub fn member(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let (group_id, user_id) = match w.action {
        "create" => (w.fields.id("group_id")?, w.fields.user_id("user_id")?),
        _ => (w.key.id("group_id")?, w.key.user_id("user_id")?),
    };
    match w.action {
        "create" => lifecycle::add_member_in(c, group_id, &user_id, w.by, w.now)?,
        "update" => {
            w.only(&["is_admin", "nickname"])?;
            let group = active(c, group_id)?;
            if w.names.iter().any(|n| n == "is_admin") {
                members::set_admin_in(c, &group, &user_id, w.fields.bool("is_admin")?)?;
            }
            if let Some(nickname) = w.fields.opt_str("nickname")? {
                members::set_nickname_in(c, &group, &user_id, nickname)?;
            }
        }
        "delete" => members::remove_in(c, &load(c, group_id)?, &user_id, after)?,
        _ => return Err(w.unsupported()),
    }
    Ok(format!("group_members:{group_id}/{user_id}"))
}

/// Pending join requests: approved (`status: approved`) or rejected, as a manager would.
pub fn join_request(c: &dyn Sql, w: &Write) -> Result<String> {
    if w.action != "update" {
        return Err(w.unsupported());
    }
    w.only(&["status"])?;
    let approve = match w.fields.str("status")? {
        "approved" => true,
        "rejected" => false,
        _ => return Err(Error::param_why("status", "应为 approved 或 rejected")),
    };
    let request = lifecycle::pending_request(c, w.key.id("id")?)?;
    let group = load(c, request.group_id)?;
    lifecycle::process_in(c, &request, &group, approve, w.by, w.now)?;
    Ok(format!("join_requests:{}", request.id))
}

/// Group tags, with the profile's rules (how many, how long, no duplicates).
pub fn tag(c: &dyn Sql, w: &Write) -> Result<String> {
    if w.action == "create" {
        let group = active(c, w.fields.id("group_id")?)?;
        profile::add_tag_in(c, &group, w.fields.str("tag_text")?)?;
        return Ok(format!("group_tags:{}", group.id));
    }
    let id = w.key.id("id")?;
    let missing = || Error::new(Code::GroupTagNotFound);
    let group = load(c, group_tags::group_of(c, id)?.ok_or_else(missing)?)?;
    match w.action {
        "update" => {
            w.only(&["tag_text"])?;
            let group = active(c, group.id)?;
            profile::edit_tag_in(c, &group, id, w.fields.str("tag_text")?)?
        }
        "delete" => profile::remove_tag_in(c, &group, id)?,
        _ => return Err(w.unsupported()),
    }
    Ok(format!("group_tags:{id}"))
}

/// Intro pictures are uploaded through the API; the console deletes them.
pub fn picture(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    if w.action != "delete" {
        return Err(w.unsupported());
    }
    let id = w.key.id("id")?;
    let group_id =
        group_pictures::group_of(c, id)?.ok_or_else(|| Error::new(Code::PictureNotFound))?;
    profile::delete_picture_in(c, group_id, id, after)?;
    Ok(format!("group_pictures:{id}"))
}

/// Announcements: their title and text edited with the API's rules, or deleted with their
/// picture. They are written by a group's managers, so the console does not make them.
pub fn announcement(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let id = w.key.id("id")?;
    let missing = || Error::with_message(Code::BadParam, "公告不存在: announcement_id");
    let group_id = announcements::group_of(c, id)?.ok_or_else(missing)?;
    match w.action {
        "update" => {
            w.only(&["title", "text"])?;
            active(c, group_id)?;
            let old = announcements::get(c, group_id, id)?.ok_or_else(missing)?;
            let title = w.fields.opt_str("title")?.unwrap_or(&old.title);
            let text = w.fields.opt_str("text")?.unwrap_or(&old.text);
            notices::edit_in(c, group_id, id, title, text)?;
        }
        "delete" => notices::delete_in(c, group_id, id, after)?,
        _ => return Err(w.unsupported()),
    }
    Ok(format!("announcements:{id}"))
}

/// Ratings are given by members; the console deletes one (an abusive one, say), and the
/// target's totals are recounted. The rater has still used their one rating of the group.
pub fn rating(c: &dyn Sql, w: &Write) -> Result<String> {
    if w.action != "delete" {
        return Err(w.unsupported());
    }
    let group_id = w.key.id("group_id")?;
    let rater = w.key.user_id("rater_id")?;
    let target = w.key.user_id("target_id")?;
    if !ratings::delete(c, group_id, &rater, &target)? {
        return Err(Error::with_message(Code::BadRatingTarget, "评分不存在"));
    }
    Ok(format!("ratings:{group_id}/{rater}/{target}"))
}
