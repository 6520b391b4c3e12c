//! The review queue: adding to it (reports, WeChat's verdicts), reading it, and the console's
//! verdicts on its items (dismiss, remove the content; mutes and bans are in their modules).

use serde_json::json;

use super::{NewReview, Source, Target};
use crate::admin;
use crate::app::App;
use crate::db::chat_messages::{self, Room};
use crate::db::review_items::{self, Item};
use crate::db::{
    announcements, blob_pending, chat_files, group_files, group_pictures, groups, review_reports,
    user_tags, users,
};
use crate::error::{Code, Error, Result};
use crate::groups::lifecycle::GroupName;
use crate::groups::{announcements as notices, profile};
use crate::ids::{GroupId, MessageId, ReviewId, UserId};
use crate::leftovers::Leftovers;
use crate::storage::Sql;
use crate::time;

/// Longest reason (or WeChat label) kept, in characters.
pub const REASON_MAX: usize = 200;
/// Longest excerpt kept, in characters.
pub const EXCERPT_MAX: usize = 500;
/// How long a resolved item is kept (its verdict visible in the table), in seconds.
pub const KEEP_RESOLVED: i64 = 30 * 24 * 60 * 60;
/// Open items the console lists at once, and reports shown per item.
pub const QUEUE_PAGE: i64 = 100;
pub const REASONS_SHOWN: i64 = 10;

/// `text` cut to `max` characters.
fn bounded(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Adds a report or a WeChat verdict to the queue, inside the caller's transaction: to the open
/// item of its target, made if there is none. A reporter counts once per item (a repeat changes
/// nothing but the excerpt). A few items resolved more than [`KEEP_RESOLVED`] ago go.
pub fn enqueue(conn: &dyn Sql, item: &NewReview<'_>) -> anyhow::Result<()> {
    let now = time::now();
    for stale in review_items::stale(conn, now - KEEP_RESOLVED)? {
        review_reports::delete_item(conn, stale)?;
        review_items::delete(conn, stale)?;
    }
    let excerpt = bounded(item.excerpt.trim(), EXCERPT_MAX);
    let reason = bounded(item.reason.trim(), REASON_MAX);
    let id = review_items::open(conn, &item.target.key(), excerpt, now)?;
    match item.source {
        Source::Report { reporter } => {
            if review_reports::insert(conn, id, reporter, reason, now)? {
                review_items::count_report(conn, id, now)?;
            }
        }
        Source::Wechat => review_items::count_wechat(conn, id, reason, now)?,
    }
    Ok(())
}

/// Removes a chat message's content for everybody: it keeps its id, sender, type and time and
/// reads `withdrawn: true`; a temporary file of the room it carried is deleted (its chunks go
/// with the sweep of pending blobs). False when the room has no such message or it was withdrawn
/// already. Inside the caller's transaction.
pub fn withdraw_message(conn: &dyn Sql, room: Room, id: MessageId) -> anyhow::Result<bool> {
    let now = time::now();
    let Some(message) = chat_messages::get(conn, room, id)? else {
        return Ok(false);
    };
    if !chat_messages::withdraw(conn, room, id, now)? {
        return Ok(false);
    }
    if let Some(file_id) = message.file_id {
        if chat_files::get(conn, room, file_id, now)?.is_some() {
            if let Some(content) = chat_files::delete(conn, file_id)? {
                blob_pending::add(conn, &content.blob, now)?;
            }
        }
    }
    Ok(true)
}

/// What a target is now: whether it still exists, the user and group it concerns (whom a mute
/// or ban would hit, and where), and its text.
#[derive(Debug, Clone, Default)]
pub struct Subject {
    pub exists: bool,
    /// The user, the sender, the uploader, the author, or a group's creator.
    pub user: Option<UserId>,
    /// The group, the group room, the file's or the announcement's group.
    pub group: Option<GroupId>,
    pub preview: String,
}

/// What `target` is now (`exists: false` when it is gone).
pub fn subject(conn: &dyn Sql, target: &Target) -> Result<Subject> {
    let found = |user, group, preview: String| Subject {
        exists: true,
        user,
        group,
        preview: bounded(&preview, EXCERPT_MAX).to_owned(),
    };
    Ok(match target {
        Target::User(id) => match users::get(conn, id)? {
            Some(u) => found(
                Some(u.id),
                None,
                format!("{} {}", u.nickname, u.info).trim().to_owned(),
            ),
            None => Subject::default(),
        },
        Target::Group(id) => match groups::get(conn, *id)? {
            Some(g) => found(
                Some(g.creator_id),
                Some(g.id),
                format!("{} {}", g.name, g.info).trim().to_owned(),
            ),
            None => Subject::default(),
        },
        Target::Message { room, id } => match chat_messages::get(conn, *room, *id)? {
            Some(m) => {
                let group = match room {
                    Room::Group(group) => Some(*group),
                    Room::Private(_) => None,
                };
                let text = match (&m.content, m.withdrawn) {
                    (_, true) => String::new(),
                    (Some(text), _) => text.clone(),
                    (None, _) => format!("[{}]", m.msg_type),
                };
                found(Some(m.user_id), group, text)
            }
            None => Subject::default(),
        },
        Target::File(id) => match group_files::group_of(conn, *id)? {
            Some(group) => match group_files::get(conn, group, *id)? {
                Some(e) => found(Some(e.uploader_id), Some(group), e.name),
                None => Subject::default(),
            },
            None => Subject::default(),
        },
        Target::Announcement { group, id } => match announcements::get(conn, *group, *id)? {
            Some(a) => found(
                Some(a.author_id),
                Some(*group),
                format!("{} {}", a.title, a.text),
            ),
            None => Subject::default(),
        },
    })
}

/// An open item as the console lists it.
pub struct Listed {
    pub item: Item,
    pub target: Option<Target>,
    pub subject: Subject,
    /// The newest reports: `(reporter, reason, when)`.
    pub reasons: Vec<(UserId, String, i64)>,
}

/// The open items (at most [`QUEUE_PAGE`], WeChat's and the most reported first) and how many
/// are open in all.
pub fn queue(app: &App) -> Result<(i64, Vec<Listed>)> {
    app.db.run(|c| {
        let mut listed = Vec::new();
        for item in review_items::open_items(c, QUEUE_PAGE)? {
            let target = Target::from_key(&item.target);
            let subject = match &target {
                Some(target) => subject(c, target)?,
                None => Subject::default(),
            };
            let reasons = review_reports::of_item(c, item.id, REASONS_SHOWN)?;
            listed.push(Listed {
                item,
                target,
                subject,
                reasons,
            });
        }
        Ok((review_items::open_count(c)?, listed))
    })
}

/// The open item `id` and its target: 101 when it is not open (unknown, or resolved already).
fn open_item(conn: &dyn Sql, id: ReviewId) -> Result<(Item, Target)> {
    let gone = || Error::with_message(Code::BadParam, "审核项不存在或已处理: item_id");
    let item = review_items::get(conn, id)?
        .filter(|i| i.resolved_at.is_none())
        .ok_or_else(gone)?;
    let target = Target::from_key(&item.target)
        .ok_or_else(|| anyhow::anyhow!("review item {id} has no target"))?;
    Ok((item, target))
}

/// Resolves open item `id` with `verdict` (`dismissed`, `removed`, `muted`, `banned`) and
/// records it, inside the console's transaction.
pub fn resolve_in(
    conn: &dyn Sql,
    actor: &str,
    id: ReviewId,
    verdict: &str,
    now: i64,
) -> Result<()> {
    let (item, _) = open_item(conn, id)?;
    review_items::resolve(conn, id, verdict, now)?;
    let detail = json!({ "target": item.target, "verdict": verdict });
    admin::record(
        conn,
        now,
        actor,
        "review",
        &format!("review_items:{id}"),
        &detail,
    )
}

/// The console leaves item `id` as it is.
pub fn dismiss(app: &App, actor: &str, id: ReviewId) -> Result<()> {
    app.db
        .tx(|c| resolve_in(c, actor, id, "dismissed", time::now()))
}

/// The console removes the content of item `id` (see [`remove_in`]) and resolves it. Content
/// gone already counts as removed.
pub async fn remove(app: &App, actor: &str, id: ReviewId) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        let now = time::now();
        let (_, target) = open_item(c, id)?;
        remove_in(c, &target, after)?;
        resolve_in(c, actor, id, "removed", now)
    })
    .await
}

/// Removes what `target` shows: a user's nickname (back to the default), intro, personal tags
/// and avatar; a group's name (back to `群组<id>`), intro, avatar and intro pictures; a
/// message's content (withdrawn); a group file (deleted); an announcement (deleted).
pub fn remove_in(conn: &dyn Sql, target: &Target, after: &mut Leftovers) -> Result<()> {
    match target {
        Target::User(id) => {
            let nickname = crate::accounts::default_nickname(id);
            if let Some(old) = users::reset_profile(conn, id, &nickname)? {
                after.picture(old);
                for tag in user_tags::list(conn, id)? {
                    user_tags::delete(conn, id, tag.id)?;
                }
            }
        }
        Target::Group(id) => {
            if groups::get(conn, *id)?.is_some() {
                profile::set_name_in(conn, *id, &GroupName::parse(&format!("群组{id}"))?)?;
                profile::edit_info_in(conn, *id, "")?;
                after.picture(groups::clear_avatar(conn, *id, None)?);
                for picture in group_pictures::ids(conn, *id)? {
                    profile::delete_picture_in(conn, *id, picture, after)?;
                }
            }
        }
        Target::Message { room, id } => {
            withdraw_message(conn, *room, *id)?;
        }
        Target::File(id) => {
            if let Some(group) = group_files::group_of(conn, *id)? {
                crate::files::tree::delete_in(conn, group, *id, |_| Ok(()), after)?;
            }
        }
        Target::Announcement { group, id } => {
            if announcements::get(conn, *group, *id)?.is_some() {
                notices::delete_in(conn, *group, *id, after)?;
            }
        }
    }
    Ok(())
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::db::chat_messages::NewMessage;
    use crate::ids::AnnouncementId;
    use crate::storage::Database;

    fn database() -> (std::path::PathBuf, Arc<dyn Database>) {
        let name = format!("zudui-review-{}-{}", std::process::id(), time::now_ms());
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let db: Arc<dyn Database> =
            Arc::new(crate::native::SqliteDb::open(&dir.join("t.sqlite")).unwrap());
        crate::migrate::ensure(&*db).unwrap();
        (dir, db)
    }

    /// The lead's side of the queue: WeChat's verdicts join reports on one open item.
    #[test]
    fn verdicts_and_reports_share_one_open_item_and_old_ones_go() {
        let (dir, db) = database();
        let target = Target::Announcement {
            group: GroupId(3),
            id: AnnouncementId(4),
        };
        let (ann, bob) = (UserId::from("ann"), UserId::from("bob"));
        let add = |source, reason: &str| {
            let item = NewReview {
                source,
                target: &target,
                reason,
                excerpt: "公告正文",
            };
            db.tx(|c| Ok(enqueue(c, &item)?)).unwrap();
        };
        add(Source::Wechat, "porn");
        add(Source::Report { reporter: &ann }, "色情");
        add(Source::Report { reporter: &ann }, "again");
        add(Source::Report { reporter: &bob }, &"长".repeat(300));
        add(Source::Wechat, "ad");
        let open = db.run(|c| Ok(review_items::open_items(c, 10)?)).unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        let item = &open[0];
        assert_eq!(item.target, "announcement:3:4");
        assert_eq!((item.reports, item.wechat), (2, 2));
        assert_eq!(item.wechat_label.as_deref(), Some("ad"));
        let reasons = db
            .run(|c| Ok(review_reports::of_item(c, item.id, 10)?))
            .unwrap();
        let longest = reasons.iter().map(|r| r.1.chars().count()).max();
        assert_eq!(longest, Some(REASON_MAX), "reasons are bounded");

        // Resolved long ago: the next report deletes it (and opens a new item).
        db.tx(|c| Ok(review_items::resolve(c, item.id, "dismissed", 1)?))
            .unwrap();
        add(Source::Wechat, "ad");
        let gone = db.run(|c| Ok(review_items::get(c, item.id)?)).unwrap();
        assert_eq!(gone, None);
        let left = db
            .run(|c| Ok(review_reports::of_item(c, item.id, 10)?))
            .unwrap();
        assert!(left.is_empty());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_message_is_withdrawn_once() {
        let (dir, db) = database();
        let room = Room::Group(GroupId(5));
        let sender = UserId::from("sender");
        let id = db
            .tx(|c| {
                Ok(chat_messages::insert(
                    c,
                    &NewMessage {
                        room,
                        user_id: &sender,
                        msg_type: "text",
                        content: Some("违规"),
                        file_id: None,
                        file_info: None,
                        at: Some("[\"x\"]".into()),
                        client_msg_id: None,
                        created_at: 1,
                    },
                )?)
            })
            .unwrap();
        let withdraw = |room| db.tx(|c| Ok(withdraw_message(c, room, id)?)).unwrap();
        assert!(!withdraw(Room::Group(GroupId(6))), "not that room's");
        assert!(withdraw(room));
        assert!(!withdraw(room), "once");
        let m = db
            .run(|c| Ok(chat_messages::get(c, room, id)?))
            .unwrap()
            .unwrap();
        assert!(m.withdrawn && m.content.is_none() && m.at.is_none());
        assert_eq!((m.user_id, m.msg_type.as_str()), (sender, "text"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
