//! Announcements of a group: members read them, managers write them.

use bytes::Bytes;

use super::{Access, Role};
use crate::app::App;
use crate::content::media::{self, Media};
use crate::db::announcements::{self, Announcement};
use crate::db::StoredPicture;
use crate::error::{Code, Error, Result};
use crate::ids::{AnnouncementId, GroupId, UserId};
use crate::leftovers::Leftovers;
use crate::moderation::Target;
use crate::params::trimmed_text;
use crate::storage::Sql;
use crate::{pictures, time};

pub const TITLE_MAX: usize = 50;
pub const TEXT_MAX: usize = 5000;

fn not_found() -> Error {
    Error::with_message(Code::BadParam, "公告不存在: announcement_id")
}

fn checked(title: &str, text: &str) -> Result<(String, String)> {
    let title = trimmed_text(title, "title", TITLE_MAX, Code::BadParam)
        .map_err(|_| Error::param_why("title", "应为 1 到 50 个字符"))?;
    let text = trimmed_text(text, "text", TEXT_MAX, Code::BadParam)
        .map_err(|_| Error::param_why("text", "应为 1 到 5000 个字符"))?;
    Ok((title, text))
}

pub fn list(app: &App, me: &UserId, group_id: GroupId) -> Result<Vec<Announcement>> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.read()?;
        Ok(announcements::list(c, group_id)?)
    })
}

pub fn get(app: &App, me: &UserId, group_id: GroupId, id: AnnouncementId) -> Result<Announcement> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.read()?;
        announcements::get(c, group_id, id)?.ok_or_else(not_found)
    })
}

pub async fn add(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    title: &str,
    text: &str,
) -> Result<AnnouncementId> {
    let (title, text) = checked(title, text)?;
    let verdict = Access::check_text(app, group_id, me, Role::Admin, &[&title, &text]).await?;
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        let id = announcements::insert(c, group_id, &title, &text, me, time::now())?;
        verdict.queue(
            c,
            Target::Announcement {
                group: group_id,
                id,
            },
            &title,
        )?;
        Ok(id)
    })
}

pub async fn edit(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: AnnouncementId,
    title: &str,
    text: &str,
) -> Result<()> {
    // The text's rules come before the group's (101 before 30x), as for a new one.
    let (title, text) = checked(title, text)?;
    let verdict = Access::check_text(app, group_id, me, Role::Admin, &[&title, &text]).await?;
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        edit_in(c, group_id, id, &title, &text)?;
        Ok(verdict.queue(
            c,
            Target::Announcement {
                group: group_id,
                id,
            },
            &title,
        )?)
    })
}

/// Changes an announcement's title and text, with the rules of a new one.
pub fn edit_in(
    c: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
    title: &str,
    text: &str,
) -> Result<()> {
    let (title, text) = checked(title, text)?;
    match announcements::update(c, group_id, id, &title, &text, time::now())? {
        0 => Err(not_found()),
        _ => Ok(()),
    }
}

pub async fn delete(app: &App, me: &UserId, group_id: GroupId, id: AnnouncementId) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        delete_in(c, group_id, id, after)
    })
    .await
}

/// Deletes an announcement; its picture goes after the commit.
pub fn delete_in(
    c: &dyn Sql,
    group_id: GroupId,
    id: AnnouncementId,
    after: &mut Leftovers,
) -> Result<()> {
    let picture = announcements::picture(c, group_id, id)?;
    match announcements::delete(c, group_id, id)? {
        0 => Err(not_found()),
        _ => {
            after.picture(picture);
            Ok(())
        }
    }
}

/// Sets the picture of an announcement, replacing any earlier one.
pub async fn set_picture(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: AnnouncementId,
    upload: Bytes,
) -> Result<()> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        announcements::get(c, group_id, id)?
            .ok_or_else(not_found)
            .map(drop)
    })?;
    let stored = pictures::store(app, &format!("picture/announcement/{id}"), upload).await?;
    let old = app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        let old = announcements::picture(c, group_id, id)?;
        match announcements::set_picture(c, group_id, id, Some(&stored))? {
            0 => Err(not_found()),
            _ => Ok(old),
        }
    });
    match old {
        Ok(old) => {
            pictures::discard(app, old.as_ref(), Some(&stored)).await;
            let media = Media::AnnouncementPicture {
                group: group_id,
                id,
                blob: stored.blob.clone(),
            };
            media::submit(app, me, media, &stored.content_type).await;
            Ok(())
        }
        Err(err) => {
            pictures::discard(app, Some(&stored), None).await;
            Err(err)
        }
    }
}

/// Removes the picture of an announcement; 332 when it has none.
pub async fn delete_picture(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: AnnouncementId,
) -> Result<()> {
    let old = app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        announcements::get(c, group_id, id)?.ok_or_else(not_found)?;
        let old = announcements::picture(c, group_id, id)?
            .ok_or_else(|| Error::new(Code::PictureNotFound))?;
        announcements::set_picture(c, group_id, id, None)?;
        Ok(old)
    })?;
    pictures::discard(app, Some(&old), None).await;
    Ok(())
}

/// The stored picture of an announcement (members only); 332 when it has none.
pub fn picture(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: AnnouncementId,
) -> Result<StoredPicture> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.read()?;
        announcements::get(c, group_id, id)?.ok_or_else(not_found)?;
        announcements::picture(c, group_id, id)?.ok_or_else(|| Error::new(Code::PictureNotFound))
    })
}
