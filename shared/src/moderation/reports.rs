//! Users report a user, a group, a chat message or a group file with a reason. Each report is
//! checked as a read of its target by the reporter (what they cannot see they cannot report),
//! then added to the review queue in the same transaction.

use super::{review, NewReview, Source, Target};
use crate::app::App;
use crate::chat::files::enter;
use crate::db::chat_messages::Room;
use crate::db::{chat_messages, users};
use crate::error::{Code, Error, Result};
use crate::files::entry;
use crate::groups::Access;
use crate::ids::{FileId, GroupId, MessageId, UserId};
use crate::storage::Sql;

/// Longest reason, in characters after trimming.
pub const REASON_MAX: usize = review::REASON_MAX;

/// A reason: trimmed, 1 to [`REASON_MAX`] characters (101 otherwise).
pub struct Reason(String);

impl Reason {
    pub fn parse(text: &str) -> Result<Reason> {
        let text = text.trim();
        match text.chars().count() {
            0 => Err(Error::param_why("reason", "不能为空")),
            n if n > REASON_MAX => Err(Error::param_why("reason", "最多 200 个字符")),
            _ => Ok(Reason(text.to_owned())),
        }
    }
}

/// Adds `me`'s report of `target` (checked by the caller) to the queue, with what it shows now.
fn file(conn: &dyn Sql, me: &UserId, target: &Target, reason: &Reason) -> Result<()> {
    let excerpt = review::subject(conn, target)?.preview;
    review::enqueue(
        conn,
        &NewReview {
            source: Source::Report { reporter: me },
            target,
            reason: &reason.0,
            excerpt: &excerpt,
        },
    )?;
    Ok(())
}

/// Reports a user: 202 when there is none; reporting oneself is 101.
pub fn user(app: &App, me: &UserId, user: &UserId, reason: &Reason) -> Result<()> {
    if user == me {
        return Err(Error::param_why("user_id", "不能举报自己"));
    }
    app.db.tx(|c| {
        if !users::exists(c, user)? {
            return Err(Error::new(Code::UserNotFound));
        }
        file(c, me, &Target::User(user.clone()), reason)
    })
}

/// Reports a group, which anyone can see: 301 when there is none.
pub fn group(app: &App, me: &UserId, group: GroupId, reason: &Reason) -> Result<()> {
    app.db.tx(|c| {
        Access::load(c, group, me)?;
        file(c, me, &Target::Group(group), reason)
    })
}

/// Reports a message of a room `me` is in: 408 for an unknown room, 407 when not in it, 414
/// when the room has no such message.
pub fn message(app: &App, me: &UserId, room: Room, id: MessageId, reason: &Reason) -> Result<()> {
    app.db.tx(|c| {
        enter(c, room, me)?;
        if chat_messages::get(c, room, id)?.is_none() {
            return Err(Error::new(Code::MessageNotFound));
        }
        file(c, me, &Target::Message { room, id }, reason)
    })
}

/// Reports a file of a group `me` is a member of: 301 unknown group, 303 not a member, 341 no
/// such file there (a folder is reported as its files are: 345).
pub fn group_file(
    app: &App,
    me: &UserId,
    group: GroupId,
    id: FileId,
    reason: &Reason,
) -> Result<()> {
    app.db.tx(|c| {
        Access::load(c, group, me)?.read()?;
        if entry(c, group, id)?.is_dir() {
            return Err(Error::new(Code::FolderDownload));
        }
        file(c, me, &Target::File(id), reason)
    })
}
