//! The console's views of one group and of one user: what an operator looks for when a user
//! writes in, gathered from several tables in one read.

use crate::app::App;
use crate::db::announcements::{self, Announcement};
use crate::db::chat_messages::{self, Message, Room};
use crate::db::group_files::{self, Entry};
use crate::db::group_tags::{self, GroupTag};
use crate::db::groups::{self, Group};
use crate::db::join_requests::{self, JoinRequest};
use crate::db::members::{self, Member};
use crate::db::ratings::{self, Rating};
use crate::db::user_tags::{self, UserTag};
use crate::db::users::{self, User};
use crate::db::{group_pictures, StoredPicture};
use crate::error::{Code, Error, Result};
use crate::groups::Role;
use crate::ids::{AnnouncementId, GroupId, PictureId, UserId};

/// Most files, chat messages and ratings a view lists.
const FILES: i64 = 200;
const CHAT: i64 = 30;
const RATINGS: i64 = 100;

/// A group as the console shows it.
pub struct GroupView {
    pub group: Group,
    /// Each member with their role.
    pub members: Vec<(Member, Role)>,
    /// Pending join requests.
    pub requests: Vec<JoinRequest>,
    pub tags: Vec<GroupTag>,
    /// The ids of its intro pictures.
    pub pictures: Vec<PictureId>,
    pub announcements: Vec<Announcement>,
    /// Bytes its files use.
    pub used_bytes: u64,
    /// Up to [`FILES`] of its files and folders.
    pub files: Vec<Entry>,
    /// Its last [`CHAT`] chat messages, oldest first.
    pub chat: Vec<Message>,
}

/// A group with its members, pending requests, tags, pictures, announcements, files and recent
/// chat; 301 when there is no such group.
pub fn group(app: &App, group_id: GroupId) -> Result<GroupView> {
    app.db.run(|c| {
        let group = groups::get(c, group_id)?.ok_or_else(|| Error::new(Code::GroupNotFound))?;
        let members = members::list(c, group_id, &group.creator_id)?
            .into_iter()
            .map(|m| {
                let role = Role::of(m.user_id == group.creator_id, m.is_admin);
                (m, role)
            })
            .collect();
        Ok(GroupView {
            members,
            requests: join_requests::pending_to(c, group_id)?,
            tags: group_tags::list(c, group_id)?,
            pictures: group_pictures::ids(c, group_id)?,
            announcements: announcements::list(c, group_id)?,
            used_bytes: group_files::used_bytes(c, group_id)?,
            files: group_files::of_group(c, group_id, FILES)?,
            chat: chat_messages::page(c, Room::Group(group_id), None, CHAT)?,
            group,
        })
    })
}

/// A user as the console shows them.
pub struct UserView {
    pub user: User,
    pub tags: Vec<UserTag>,
    /// The groups they belong to, with their role in each (`None` if that changed meanwhile).
    pub groups: Vec<(Group, Option<Role>)>,
    /// Up to [`RATINGS`] ratings they received, and gave; newest first.
    pub received: Vec<Rating>,
    pub given: Vec<Rating>,
}

/// A user with their tags, groups (and role in each) and ratings received and given; 202 when
/// there is no such user.
pub fn user(app: &App, user_id: &UserId) -> Result<UserView> {
    app.db.run(|c| {
        let user = users::get(c, user_id)?.ok_or_else(|| Error::new(Code::UserNotFound))?;
        let mut groups_of = Vec::new();
        for g in groups::of_member(c, user_id)? {
            let membership = members::membership(c, g.id, user_id)?;
            let role = membership.map(|(admin, _)| Role::of(g.creator_id == user_id, admin));
            groups_of.push((g, role));
        }
        Ok(UserView {
            user,
            tags: user_tags::list(c, user_id)?,
            groups: groups_of,
            received: ratings::of_user(c, user_id, true, RATINGS)?,
            given: ratings::of_user(c, user_id, false, RATINGS)?,
        })
    })
}

/// An intro picture (`group_picture`) or an announcement's picture (`announcement`) by the id
/// of its row; 332 when there is none.
pub fn stored_picture(app: &App, kind: &str, id: i64) -> Result<StoredPicture> {
    app.db.run(|c| {
        let found = match kind {
            "group_picture" => match group_pictures::group_of(c, PictureId(id))? {
                Some(group_id) => group_pictures::get(c, group_id, PictureId(id))?,
                None => None,
            },
            "announcement" => match announcements::group_of(c, AnnouncementId(id))? {
                Some(group_id) => announcements::picture(c, group_id, AnnouncementId(id))?,
                None => None,
            },
            _ => return Err(Error::param("kind")),
        };
        found.ok_or_else(|| Error::new(Code::PictureNotFound))
    })
}
