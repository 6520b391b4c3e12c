//! What a group shows about itself: intro, name, avatar, intro pictures and tags. Anyone signed in
//! may read it (a group's page is what people look at before asking to join); managers edit it,
//! and only the creator renames the group.

use bytes::Bytes;

use super::lifecycle::GroupName;
use super::{Access, Role};
use crate::app::App;
use crate::content::media::{self, Media};
use crate::db::group_tags::{self, GroupTag};
use crate::db::groups::{self, Group};
use crate::db::{group_pictures, group_search, StoredPicture};
use crate::error::{Code, Error, Result};
use crate::ids::{GroupId, PictureId, TagId, UserId};
use crate::imaging::Picture;
use crate::leftovers::Leftovers;
use crate::moderation::Target;
use crate::params::trimmed_text;
use crate::storage::Sql;
use crate::{pictures, profiles, time};

pub const INFO_MAX: usize = 1000;
pub const PICTURES_MAX: usize = 9;
pub const TAG_MAX: usize = 20;
pub const TAGS_MAX: i64 = 10;

/// A group and the caller's role in it (`None` for outsiders); 301 when there is no such group.
pub fn info(app: &App, me: &UserId, group_id: GroupId) -> Result<(Group, Option<Role>)> {
    let access = app.db.run(|c| Access::load(c, group_id, me))?;
    Ok((access.group, access.role))
}

pub async fn edit_info(app: &App, me: &UserId, group_id: GroupId, text: &str) -> Result<()> {
    let text = info_text(text)?;
    let checked = Access::check_text(app, group_id, me, Role::Admin, &[text]).await?;
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        edit_info_in(c, group_id, text)?;
        Ok(checked.queue(c, Target::Group(group_id), text)?)
    })
}

/// A group's intro, at most 1000 characters (101).
fn info_text(text: &str) -> Result<&str> {
    let text = text.trim();
    match text.chars().count() > INFO_MAX {
        true => Err(Error::param_why("text", "最多 1000 个字符")),
        false => Ok(text),
    }
}

pub fn edit_info_in(c: &dyn Sql, group_id: GroupId, text: &str) -> Result<()> {
    groups::set_info(c, group_id, info_text(text)?)?;
    group_search::refresh(c, group_id)?;
    Ok(())
}

pub async fn set_name(app: &App, me: &UserId, group_id: GroupId, name: &str) -> Result<()> {
    let name = GroupName::parse(name)?;
    let checked = Access::check_text(app, group_id, me, Role::Creator, &[&name]).await?;
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Creator)?;
        set_name_in(c, group_id, &name)?;
        Ok(checked.queue(c, Target::Group(group_id), &name)?)
    })
}

/// Renames a group.
pub fn set_name_in(c: &dyn Sql, group_id: GroupId, name: &GroupName) -> Result<()> {
    groups::set_name(c, group_id, name)?;
    group_search::refresh(c, group_id)?;
    Ok(())
}

/// Stores a picture, runs `write` with it in a transaction, and drops the picture if that fails.
async fn with_new_picture<T>(
    app: &App,
    prefix: &str,
    upload: Bytes,
    write: impl FnOnce(&dyn Sql, &StoredPicture) -> Result<T>,
) -> Result<T> {
    let stored = pictures::store(app, prefix, upload).await?;
    let out = app.db.tx(|c| write(c, &stored));
    if out.is_err() {
        pictures::discard(app, Some(&stored), None).await;
    }
    out
}

pub async fn set_avatar(app: &App, me: &UserId, group_id: GroupId, upload: Bytes) -> Result<()> {
    // A manager's right before the (costly) image work; the write checks again.
    Access::check(app, group_id, me, Role::Admin)?;
    let prefix = format!("avatar/group/{group_id}");
    let (old, new) = with_new_picture(app, &prefix, upload, |c, stored| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        let old = groups::avatar(c, group_id)?;
        groups::set_avatar(c, group_id, stored)?;
        Ok((old, stored.clone()))
    })
    .await?;
    pictures::discard(app, old.as_ref(), Some(&new)).await;
    let media = Media::GroupAvatar {
        group: group_id,
        blob: new.blob.clone(),
    };
    media::submit(app, me, media, &new.content_type).await;
    Ok(())
}

/// The avatar of a group: the uploaded one or a generated default, with its validator first so
/// that a revalidation reads no image. 301 when there is no such group.
pub fn avatar(app: &App, group_id: GroupId) -> Result<(String, Option<StoredPicture>)> {
    app.db.run(|c| {
        if groups::get(c, group_id)?.is_none() {
            return Err(Error::new(Code::GroupNotFound));
        }
        let stored = groups::avatar(c, group_id)?;
        let etag = match &stored {
            Some(s) => s.etag.clone(),
            None => pictures::default_etag(&seed(group_id)),
        };
        Ok((etag, stored))
    })
}

pub async fn load_avatar(
    app: &App,
    group_id: GroupId,
    stored: Option<StoredPicture>,
    etag: String,
) -> Result<Picture> {
    profiles::load_or_default(app, &seed(group_id), stored.as_ref(), etag).await
}

fn seed(group_id: GroupId) -> String {
    format!("group:{group_id}")
}

/// 301 unless the group exists.
fn require_group(c: &dyn Sql, group_id: GroupId) -> Result<()> {
    match groups::get(c, group_id)? {
        Some(_) => Ok(()),
        None => Err(Error::new(Code::GroupNotFound)),
    }
}

pub fn picture_ids(app: &App, group_id: GroupId) -> Result<Vec<PictureId>> {
    app.db.run(|c| {
        require_group(c, group_id)?;
        Ok(group_pictures::ids(c, group_id)?)
    })
}

/// A stored intro picture; 301 or 332 when missing.
pub fn picture(app: &App, group_id: GroupId, pic_id: PictureId) -> Result<StoredPicture> {
    app.db.run(|c| {
        require_group(c, group_id)?;
        group_pictures::get(c, group_id, pic_id)?.ok_or_else(|| Error::new(Code::PictureNotFound))
    })
}

/// The bytes of a picture whose row exists; a lost blob is reported as a missing picture.
pub async fn load_picture(app: &App, stored: &StoredPicture) -> Result<Picture> {
    pictures::load(app, stored).await?.ok_or_else(|| {
        log::error!("picture blob {} is missing", stored.blob);
        Error::new(Code::PictureNotFound)
    })
}

/// Adds an intro picture (at most 9, 331); returns its id.
pub async fn add_picture(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    upload: Bytes,
) -> Result<PictureId> {
    let full = || Error::new(Code::PicturesFull);
    // A manager's right before the (costly) image work; the write checks again.
    Access::check(app, group_id, me, Role::Admin)?;
    if app.db.run(|c| Ok(group_pictures::ids(c, group_id)?))?.len() >= PICTURES_MAX {
        return Err(full());
    }
    let prefix = format!("picture/group/{group_id}");
    let (picture, content_type) = with_new_picture(app, &prefix, upload, |c, stored| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        if group_pictures::ids(c, group_id)?.len() >= PICTURES_MAX {
            return Err(full());
        }
        let id = group_pictures::insert(c, group_id, stored, time::now())?;
        Ok((id, stored.content_type.clone()))
    })
    .await?;
    let media = Media::GroupPicture {
        group: group_id,
        picture,
    };
    media::submit(app, me, media, &content_type).await;
    Ok(picture)
}

pub async fn delete_picture(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    pic_id: PictureId,
) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        Access::load(c, group_id, me)?.write(Role::Admin)?;
        delete_picture_in(c, group_id, pic_id, after)
    })
    .await
}

/// Deletes an intro picture (332 when missing); its blob goes after the commit unless another
/// intro picture has the same content.
pub fn delete_picture_in(
    c: &dyn Sql,
    group_id: GroupId,
    pic_id: PictureId,
    after: &mut Leftovers,
) -> Result<()> {
    let stored = group_pictures::get(c, group_id, pic_id)?
        .ok_or_else(|| Error::new(Code::PictureNotFound))?;
    group_pictures::delete(c, group_id, pic_id)?;
    if !group_pictures::blob_used(c, group_id, &stored.blob)? {
        after.picture(Some(stored));
    }
    Ok(())
}

pub fn tags(app: &App, group_id: GroupId) -> Result<Vec<GroupTag>> {
    app.db.run(|c| {
        require_group(c, group_id)?;
        Ok(group_tags::list(c, group_id)?)
    })
}

fn tag_text(text: &str) -> Result<String> {
    trimmed_text(text, "tag_text", TAG_MAX, Code::GroupTagEmpty)
}

fn duplicate_tag() -> Error {
    Error::param_why("tag_text", "已有相同的标签")
}

/// Runs a tag change of a manager (see the `*_in` functions).
fn change_tags<T>(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    change: impl FnOnce(&dyn Sql, &Group) -> Result<T>,
) -> Result<T> {
    app.db.tx(|c| {
        let access = Access::load(c, group_id, me)?;
        access.write(Role::Admin)?;
        change(c, &access.group)
    })
}

/// Brings the search index and tag popularity up to date after a tag change of `group` that
/// touched `texts`.
fn tags_changed(c: &dyn Sql, group: &Group, texts: &[&str]) -> Result<()> {
    for text in texts {
        group_tags::refresh_stats(c, &group.kind, text)?;
    }
    group_search::refresh(c, group.id)?;
    Ok(())
}

pub async fn add_tag(app: &App, me: &UserId, group_id: GroupId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    let checked = Access::check_text(app, group_id, me, Role::Admin, &[&text]).await?;
    change_tags(app, me, group_id, |c, group| {
        add_tag_in(c, group, &text)?;
        Ok(checked.queue(c, Target::Group(group_id), &text)?)
    })
}

/// Adds a tag: 362 when empty, 363 past ten, 101 for a duplicate.
pub fn add_tag_in(c: &dyn Sql, group: &Group, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    if group_tags::count(c, group.id)? >= TAGS_MAX {
        return Err(Error::new(Code::GroupTagsFull));
    }
    if group_tags::text_taken(c, group.id, &text, TagId(0))? {
        return Err(duplicate_tag());
    }
    group_tags::insert(c, group.id, &text, time::now())?;
    tags_changed(c, group, &[&text])
}

pub async fn edit_tag(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    tag_id: TagId,
    text: &str,
) -> Result<()> {
    let text = tag_text(text)?;
    let checked = Access::check_text(app, group_id, me, Role::Admin, &[&text]).await?;
    change_tags(app, me, group_id, |c, group| {
        edit_tag_in(c, group, tag_id, &text)?;
        Ok(checked.queue(c, Target::Group(group_id), &text)?)
    })
}

/// Changes a tag's text: 361 when it is not the group's, then as [`add_tag_in`].
pub fn edit_tag_in(c: &dyn Sql, group: &Group, tag_id: TagId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    let old = group_tags::text_of(c, group.id, tag_id)?
        .ok_or_else(|| Error::new(Code::GroupTagNotFound))?;
    if group_tags::text_taken(c, group.id, &text, tag_id)? {
        return Err(duplicate_tag());
    }
    group_tags::update(c, group.id, tag_id, &text)?;
    tags_changed(c, group, &[&old, &text])
}

pub fn remove_tag(app: &App, me: &UserId, group_id: GroupId, tag_id: TagId) -> Result<()> {
    change_tags(app, me, group_id, |c, group| {
        remove_tag_in(c, group, tag_id)
    })
}

/// Removes a tag; 361 when it is not the group's.
pub fn remove_tag_in(c: &dyn Sql, group: &Group, tag_id: TagId) -> Result<()> {
    let old = group_tags::text_of(c, group.id, tag_id)?
        .ok_or_else(|| Error::new(Code::GroupTagNotFound))?;
    group_tags::delete(c, group.id, tag_id)?;
    tags_changed(c, group, &[&old])
}
