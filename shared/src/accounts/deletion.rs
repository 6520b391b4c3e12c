//! Deleting an account (注销, PIPL art. 47): everything that is the user's goes, in one
//! transaction; what belongs to their groups' shared work stays, without them.
//!
//! - Groups they created go to the longest-standing admin, else the longest-standing member,
//!   active or dismissed alike (a dismissed group's members still rate each other). A group
//!   where they are alone is deleted with everything in it, as the console deletes a group:
//!   nobody is left to read it, and it holds no ratings, since a dismissed group's members can
//!   no longer leave and every rating with a deleted user goes with them.
//! - They leave every other group (dismissed ones too), their unfinished uploads with them.
//! - Their avatar, tags, join requests, ratings given (the rated users' totals recounted) and
//!   received, temporary chat files, uploads to chat rooms, and private rooms with their
//!   messages and files go.
//! - What they gave their groups stays: messages in group rooms (shown as
//!   [`DELETED_NICKNAME`](crate::db::users::DELETED_NICKNAME)), announcements and group files,
//!   under their id, which names nobody any more.
//!
//! The `users` row goes last, so their tokens are 112 at once, and their openid signs in as a
//! new user. Blobs go and their group chat sessions end once it commits ([`Leftovers`]).

use serde::Serialize;

use crate::app::App;
use crate::db::chat_messages::{self, Room};
use crate::db::{
    chat_files, file_uploads, groups, join_requests, members, private_rooms, ratings, user_tags,
    users,
};
use crate::error::Result;
use crate::groups::{lifecycle, members as membership};
use crate::ids::{GroupId, UserId};
use crate::leftovers::Leftovers;
use crate::storage::Sql;

/// What deleting an account did to the user's groups (the console's answer and audit entry).
#[derive(Debug, Default, Serialize, schemars::JsonSchema)]
pub struct Deleted {
    /// Groups they created, and who created them now.
    pub handed_over: Vec<HandedOver>,
    /// Groups they created and were alone in, deleted.
    pub groups_deleted: Vec<GroupId>,
    /// Other groups they left.
    pub groups_left: Vec<GroupId>,
    /// Private rooms deleted with their messages and files.
    #[schemars(range(min = 0))]
    pub private_rooms: usize,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct HandedOver {
    pub group_id: GroupId,
    pub creator_id: UserId,
}

/// Deletes the account of `user_id`; `None` when there is none (any more).
pub async fn delete(app: &App, user_id: &UserId) -> Result<Option<Deleted>> {
    Leftovers::tx(app, |c, after| delete_in(c, user_id, after)).await
}

/// [`delete`] in the caller's transaction (the console's adds its audit entry).
pub fn delete_in(c: &dyn Sql, user_id: &UserId, after: &mut Leftovers) -> Result<Option<Deleted>> {
    let Some(avatar) = users::avatar(c, user_id)? else {
        return Ok(None);
    };
    let mut done = Deleted::default();
    for group in groups::of_member(c, user_id)? {
        if group.creator_id != *user_id {
            membership::leave_in(c, group.id, user_id, after)?;
            done.groups_left.push(group.id);
            continue;
        }
        match members::heir(c, group.id, user_id)? {
            Some(heir) => {
                groups::set_creator(c, group.id, &heir)?;
                // The creator's role holds every admin right; the flag would outlive it.
                members::set_admin(c, group.id, &heir, false)?;
                membership::leave_in(c, group.id, user_id, after)?;
                done.handed_over.push(HandedOver {
                    group_id: group.id,
                    creator_id: heir,
                });
            }
            None => {
                lifecycle::purge_in(c, group.id, after)?;
                done.groups_deleted.push(group.id);
            }
        }
    }
    ratings::delete_user(c, user_id)?;
    join_requests::delete_user(c, user_id)?;
    user_tags::delete_user(c, user_id)?;
    after.contents(c, chat_files::delete_uploader(c, user_id)?)?;
    after.contents(c, file_uploads::delete_to_rooms(c, user_id)?)?;
    for id in private_rooms::delete_user(c, user_id)? {
        let room = Room::Private(id);
        chat_messages::delete_room(c, room)?;
        after.contents(c, chat_files::delete_room(c, room)?)?;
        after.contents(c, file_uploads::delete_room(c, room)?)?;
        done.private_rooms += 1;
    }
    after.picture(avatar);
    users::delete(c, user_id)?;
    Ok(Some(done))
}
