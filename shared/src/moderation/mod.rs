//! Moderation: reports and WeChat's verdicts feed one review queue (one open item per target);
//! the console resolves items (dismiss, remove the content, mute a user in a group, ban a user).
//! Mutes are checked where chat messages are stored, bans where tokens are checked.

pub mod bans;
pub mod mutes;
pub mod reports;
pub mod review;

use crate::db::chat_messages::Room;
use crate::ids::{AnnouncementId, FileId, GroupId, MessageId, UserId};

pub use review::{enqueue, withdraw_message};

/// What an item of the queue is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    User(UserId),
    Group(GroupId),
    Message {
        room: Room,
        id: MessageId,
    },
    /// A group file.
    File(FileId),
    Announcement {
        group: GroupId,
        id: AnnouncementId,
    },
}

impl Target {
    /// The target as the queue stores it: `user:<id>`, `group:<id>`,
    /// `message:<room kind>:<room id>:<id>`, `file:<id>`, `announcement:<group id>:<id>`.
    pub fn key(&self) -> String {
        match self {
            Target::User(id) => format!("user:{id}"),
            Target::Group(id) => format!("group:{id}"),
            Target::Message { room, id } => format!("message:{}:{id}", room.key()),
            Target::File(id) => format!("file:{id}"),
            Target::Announcement { group, id } => format!("announcement:{group}:{id}"),
        }
    }

    /// The target of a [`Target::key`].
    pub fn from_key(key: &str) -> Option<Target> {
        let (kind, rest) = key.split_once(':')?;
        let id = |text: &str| text.parse::<i64>().ok().filter(|id| *id > 0);
        match kind {
            "user" if !rest.is_empty() => Some(Target::User(UserId::from(rest))),
            "group" => Some(Target::Group(GroupId(id(rest)?))),
            "message" => {
                let (room, message) = rest.rsplit_once(':')?;
                Some(Target::Message {
                    room: Room::from_key(room)?,
                    id: MessageId(id(message)?),
                })
            }
            "file" => Some(Target::File(FileId(id(rest)?))),
            "announcement" => {
                let (group, notice) = rest.split_once(':')?;
                Some(Target::Announcement {
                    group: GroupId(id(group)?),
                    id: AnnouncementId(id(notice)?),
                })
            }
            _ => None,
        }
    }

    /// `user`, `group`, `message`, `file` or `announcement`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::User(_) => "user",
            Target::Group(_) => "group",
            Target::Message { .. } => "message",
            Target::File(_) => "file",
            Target::Announcement { .. } => "announcement",
        }
    }
}

/// Who put a target in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    /// A user's report (counted once per reporter and open item).
    Report { reporter: &'a UserId },
    /// WeChat's content security answered `review` (or found risky media).
    Wechat,
}

/// A report or verdict to add to the queue.
#[derive(Debug, Clone, Copy)]
pub struct NewReview<'a> {
    pub source: Source<'a>,
    pub target: &'a Target,
    /// The report's reason, or WeChat's label.
    pub reason: &'a str,
    /// The text concerned, as it was then; may be empty.
    pub excerpt: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::PrivateRoomId;

    #[test]
    fn targets_keep_their_keys() {
        let targets = [
            Target::User("u-1:x".into()),
            Target::Group(GroupId(5)),
            Target::Message {
                room: Room::Private(PrivateRoomId(7)),
                id: MessageId(12),
            },
            Target::Message {
                room: Room::Group(GroupId(3)),
                id: MessageId(4),
            },
            Target::File(FileId(9)),
            Target::Announcement {
                group: GroupId(2),
                id: AnnouncementId(8),
            },
        ];
        for target in targets {
            assert_eq!(Target::from_key(&target.key()), Some(target.clone()));
        }
        assert_eq!(Target::key(&Target::Group(GroupId(5))), "group:5");
        for bad in [
            "",
            "user:",
            "group:x",
            "group:0",
            "message:group:3",
            "file:-1",
            "x:1",
        ] {
            assert_eq!(Target::from_key(bad), None, "{bad}");
        }
    }
}
