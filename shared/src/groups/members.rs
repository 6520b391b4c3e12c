//! Members of a group: the list, removal, in-group nicknames, admins, and the rating round after
//! a group is dismissed.

use std::collections::HashSet;

use super::{Access, Role};
use crate::app::App;
use crate::chat::live::Event;
use crate::content::text;
use crate::db::groups::{self, Group};
use crate::db::members::{self, Member};
use crate::db::{file_uploads, ratings};
use crate::error::{Code, Error, Result};
use crate::ids::{GroupId, UserId};
use crate::leftovers::Leftovers;
use crate::moderation::Target;
use crate::profiles::nickname_text;
use crate::storage::Sql;
use crate::time;
use crate::wechat::security::Scene;

/// The members (members only), creator first; the creator id comes along to mark them.
pub fn list(app: &App, me: &UserId, group_id: GroupId) -> Result<(Vec<Member>, UserId)> {
    app.db.run(|c| {
        let access = Access::load(c, group_id, me)?;
        access.read()?;
        let creator = access.group.creator_id;
        Ok((members::list(c, group_id, &creator)?, creator))
    })
}

/// The role of a member of `group`: 302 when they are not in it.
fn role_of(c: &dyn Sql, group: &Group, user_id: &UserId) -> Result<Role> {
    match members::membership(c, group.id, user_id)? {
        None => Err(Error::new(Code::GroupUserNotFound)),
        Some((is_admin, _)) => Ok(Role::of(group.creator_id == user_id, is_admin)),
    }
}

/// Removes a member. Managers remove ordinary members; only the creator removes admins; nobody
/// removes the creator or themselves (that is `exit`).
pub async fn remove(app: &App, me: &UserId, group_id: GroupId, target: &UserId) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        let access = Access::load(c, group_id, me)?;
        let my_role = access.write(Role::Admin)?;
        if target == me || role_of(c, &access.group, target)? >= my_role {
            return Err(Error::new(Code::NoPermission));
        }
        remove_in(c, &access.group, target, after)
    })
    .await
}

/// Removes a member of an active group other than its creator (303); their chat sessions in it
/// end and their unfinished uploads go (so what they reserved of the quota is free) once the
/// caller commits.
pub fn remove_in(c: &dyn Sql, group: &Group, target: &UserId, after: &mut Leftovers) -> Result<()> {
    if group.is_dismissed() {
        return Err(Error::new(Code::GroupDismissed));
    }
    if role_of(c, group, target)? == Role::Creator {
        return Err(Error::new(Code::NoPermission));
    }
    leave_in(c, group.id, target, after)
}

/// Takes `user_id` out of a group: membership, count, unfinished uploads, chat sessions.
pub fn leave_in(
    c: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    after: &mut Leftovers,
) -> Result<()> {
    members::delete(c, group_id, user_id)?;
    groups::add_members(c, group_id, -1)?;
    after.contents(c, file_uploads::delete_member(c, group_id, user_id)?)?;
    after.event(Event::Left {
        group_id,
        user_id: user_id.clone(),
    });
    Ok(())
}

pub async fn set_nickname(app: &App, me: &UserId, group_id: GroupId, nickname: &str) -> Result<()> {
    let nickname = nickname_text(nickname)?;
    Access::check(app, group_id, me, Role::Member)?;
    let checked = text::check(app, me, Scene::Profile, &[&nickname]).await?;
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.write(Role::Member)?;
        set_nickname_in(c, &access.group, me, &nickname)?;
        Ok(checked.queue(c, Target::User(me.clone()), &nickname)?)
    })
}

/// A member's in-group nickname, with the account nickname's rules (201 when empty).
pub fn set_nickname_in(c: &dyn Sql, group: &Group, user_id: &UserId, nickname: &str) -> Result<()> {
    let nickname = nickname_text(nickname)?;
    role_of(c, group, user_id)?;
    members::set_nickname(c, group.id, user_id, &nickname)?;
    Ok(())
}

/// Toggles a member's admin flag (creator only); returns the new flag.
pub fn switch_admin(app: &App, me: &UserId, group_id: GroupId, target: &UserId) -> Result<bool> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.write(Role::Creator)?;
        let admin = role_of(c, &access.group, target)? != Role::Admin;
        set_admin_in(c, &access.group, target, admin)?;
        Ok(admin)
    })
}

/// Makes a member an admin or not; the creator's role cannot change (303).
pub fn set_admin_in(c: &dyn Sql, group: &Group, target: &UserId, admin: bool) -> Result<()> {
    if role_of(c, group, target)? == Role::Creator {
        return Err(Error::new(Code::NoPermission));
    }
    members::set_admin(c, group.id, target, admin)?;
    Ok(())
}

/// One rating of a `rate` call: the member rated and the stars given, as the caller sent them.
#[derive(Debug, Clone, PartialEq)]
pub struct Rating {
    pub user_id: UserId,
    pub stars: f64,
}

/// Rates other members of a dismissed group, once. Everything is checked before anything is
/// written, so a refused call changes nothing and does not use up the one call.
pub fn rate(app: &App, me: &UserId, group_id: GroupId, rates: &[Rating]) -> Result<()> {
    if rates.is_empty() {
        return Err(Error::param_why("rates", "不能为空"));
    }
    let mut parsed = Vec::with_capacity(rates.len());
    for Rating { user_id, stars } in rates {
        if user_id.as_str().is_empty() {
            return Err(Error::param("user_id"));
        }
        if !(0.0..=10.0).contains(stars) {
            return Err(Error::new(Code::RatingOutOfRange));
        }
        parsed.push((user_id.clone(), *stars));
    }
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.read()?;
        if !access.group.is_dismissed() {
            return Err(Error::with_message(
                Code::NoPermission,
                "只能在解散后的群组中评分",
            ));
        }
        if access.has_rated {
            return Err(Error::new(Code::AlreadyRated));
        }
        let mut seen = HashSet::new();
        for (target, _) in &parsed {
            let member = members::membership(c, group_id, target)?.is_some();
            if target == me || !member || !seen.insert(target.as_str()) {
                return Err(Error::with_message(
                    Code::BadRatingTarget,
                    format!("评分对象不合法: {target}"),
                ));
            }
        }
        if members::mark_rated(c, group_id, me)? == 0 {
            return Err(Error::new(Code::AlreadyRated));
        }
        let now = time::now();
        for (target, stars) in &parsed {
            ratings::insert(c, group_id, me, target, *stars, now)?;
        }
        Ok(())
    })
}
