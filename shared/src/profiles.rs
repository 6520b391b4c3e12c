//! User profiles: intro, nickname, personal tags and avatar.

use bytes::Bytes;

use crate::app::App;
use crate::content::media::{self, Media};
use crate::content::text;
use crate::db::user_tags::{self, UserTag};
use crate::db::users::{self, User};
use crate::db::StoredPicture;
use crate::error::{Code, Error, Result};
use crate::ids::{UserId, UserTagId};
use crate::imaging::{self, Picture};
use crate::moderation::Target;
use crate::params::trimmed_text;
use crate::storage::Sql;
use crate::wechat::security::Scene;
use crate::{pictures, time};

pub const NICKNAME_MAX: usize = 32;
pub const INFO_MAX: usize = 500;
pub const TAG_MAX: usize = 20;
/// Personal tags one user may have (213 beyond).
pub const TAGS_PER_USER: i64 = 20;

/// A user's profile; 202 when there is no such user.
pub fn profile(app: &App, user_id: &UserId) -> Result<User> {
    app.db
        .run(|c| Ok(users::get(c, user_id)?))?
        .ok_or_else(|| Error::new(Code::UserNotFound))
}

/// 202 unless the user exists.
pub fn require_user(app: &App, user_id: &UserId) -> Result<()> {
    match app.db.run(|c| Ok(users::exists(c, user_id)?))? {
        true => Ok(()),
        false => Err(Error::new(Code::UserNotFound)),
    }
}

// A user's own edits are checked with WeChat ([`content::text`]) once their own rules pass, and
// queued for review with the user when WeChat asks for it; the console's are not checked.

pub async fn edit_info(app: &App, user_id: &UserId, text: &str) -> Result<()> {
    let text = info_text(text)?;
    let checked = text::check(app, user_id, Scene::Profile, &[text]).await?;
    app.db.tx(|c| {
        edit_info_in(c, user_id, text)?;
        Ok(checked.queue(c, Target::User(user_id.clone()), text)?)
    })
}

fn info_text(text: &str) -> Result<&str> {
    let text = text.trim();
    match text.chars().count() > INFO_MAX {
        true => Err(Error::param_why("text", &format!("最多 {INFO_MAX} 个字符"))),
        false => Ok(text),
    }
}

/// The profile rules of each edit, inside a caller's transaction (the admin console records its
/// writes in the same one): 202 for an unknown user.
pub fn edit_info_in(conn: &dyn Sql, user_id: &UserId, text: &str) -> Result<()> {
    found(
        users::set_info(conn, user_id, info_text(text)?)?,
        Code::UserNotFound,
    )
}

pub async fn set_nickname(app: &App, user_id: &UserId, nickname: &str) -> Result<()> {
    let nickname = nickname_text(nickname)?;
    let checked = text::check(app, user_id, Scene::Profile, &[&nickname]).await?;
    app.db.tx(|c| {
        set_nickname_in(c, user_id, &nickname)?;
        Ok(checked.queue(c, Target::User(user_id.clone()), &nickname)?)
    })
}

/// A nickname as stored: trimmed, 1 to 32 characters (201 when empty, 101 when longer).
pub fn nickname_text(nickname: &str) -> Result<String> {
    trimmed_text(nickname, "nickname", NICKNAME_MAX, Code::NicknameEmpty)
}

pub fn set_nickname_in(conn: &dyn Sql, user_id: &UserId, nickname: &str) -> Result<()> {
    let nickname = nickname_text(nickname)?;
    found(
        users::set_nickname(conn, user_id, &nickname)?,
        Code::UserNotFound,
    )
}

/// `code` unless a statement changed a row.
fn found(changed: u64, code: Code) -> Result<()> {
    match changed {
        0 => Err(Error::new(code)),
        _ => Ok(()),
    }
}

pub fn tags(app: &App, user_id: &UserId) -> Result<Vec<UserTag>> {
    require_user(app, user_id)?;
    app.db.run(|c| Ok(user_tags::list(c, user_id)?))
}

fn tag_text(text: &str) -> Result<String> {
    trimmed_text(text, "tag_text", TAG_MAX, Code::UserTagEmpty)
}

fn duplicate_tag() -> Error {
    Error::param_why("tag_text", "已有相同的标签")
}

pub async fn add_tag(app: &App, user_id: &UserId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    let checked = text::check(app, user_id, Scene::Profile, &[&text]).await?;
    app.db.tx(|c| {
        add_tag_in(c, user_id, &text)?;
        Ok(checked.queue(c, Target::User(user_id.clone()), &text)?)
    })
}

pub fn add_tag_in(conn: &dyn Sql, user_id: &UserId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    if !users::exists(conn, user_id)? {
        return Err(Error::new(Code::UserNotFound));
    }
    if user_tags::count(conn, user_id)? >= TAGS_PER_USER {
        return Err(Error::new(Code::UserTagsFull));
    }
    if user_tags::text_taken(conn, user_id, &text, UserTagId(0))? {
        return Err(duplicate_tag());
    }
    user_tags::insert(conn, user_id, &text, time::now())?;
    Ok(())
}

pub async fn edit_tag(app: &App, user_id: &UserId, tag_id: UserTagId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    let checked = text::check(app, user_id, Scene::Profile, &[&text]).await?;
    app.db.tx(|c| {
        edit_tag_in(c, user_id, tag_id, &text)?;
        Ok(checked.queue(c, Target::User(user_id.clone()), &text)?)
    })
}

pub fn edit_tag_in(conn: &dyn Sql, user_id: &UserId, tag_id: UserTagId, text: &str) -> Result<()> {
    let text = tag_text(text)?;
    if user_tags::text_taken(conn, user_id, &text, tag_id)? {
        return Err(duplicate_tag());
    }
    found(
        user_tags::update(conn, user_id, tag_id, &text)?,
        Code::UserTagNotFound,
    )
}

pub fn remove_tag(app: &App, user_id: &UserId, tag_id: UserTagId) -> Result<()> {
    app.db.tx(|c| remove_tag_in(c, user_id, tag_id))
}

pub fn remove_tag_in(conn: &dyn Sql, user_id: &UserId, tag_id: UserTagId) -> Result<()> {
    found(
        user_tags::delete(conn, user_id, tag_id)?,
        Code::UserTagNotFound,
    )
}

/// Verifies, normalizes and stores a new avatar, then forgets the old one.
pub async fn set_avatar(app: &App, user_id: &UserId, upload: Bytes) -> Result<()> {
    // The blob goes first: a row never points at bytes that are not there.
    let avatar = pictures::store(app, &format!("avatar/user/{user_id}"), upload).await?;
    let old = app.db.tx(|c| {
        let old = users::avatar(c, user_id)?.flatten();
        users::set_avatar(c, user_id, &avatar)?;
        Ok(old)
    })?;
    pictures::discard(app, old.as_ref(), Some(&avatar)).await;
    let media = Media::Avatar {
        user: user_id.clone(),
        blob: avatar.blob.clone(),
    };
    media::submit(app, user_id, media, &avatar.content_type).await;
    Ok(())
}

/// Which avatar a user shows, known before any image bytes are read so that a revalidation
/// (`If-None-Match`) costs one indexed query.
pub struct AvatarSource {
    pub etag: String,
    stored: Option<StoredPicture>,
}

/// The avatar source of a user; 202 when there is no such user.
pub fn avatar_source(app: &App, user_id: &UserId) -> Result<AvatarSource> {
    let stored = app
        .db
        .run(|c| Ok(users::avatar(c, user_id)?))?
        .ok_or_else(|| Error::new(Code::UserNotFound))?;
    Ok(AvatarSource {
        etag: match &stored {
            Some(avatar) => avatar.etag.clone(),
            None => pictures::default_etag(user_id.as_str()),
        },
        stored,
    })
}

/// The avatar image itself: the uploaded one, or a default generated from the user id.
pub async fn load_avatar(app: &App, user_id: &UserId, source: AvatarSource) -> Result<Picture> {
    load_or_default(app, user_id.as_str(), source.stored.as_ref(), source.etag).await
}

/// A stored picture, or the identicon of `seed` when there is none (or its blob is lost).
pub async fn load_or_default(
    app: &App,
    seed: &str,
    stored: Option<&StoredPicture>,
    etag: String,
) -> Result<Picture> {
    if let Some(stored) = stored {
        match pictures::load(app, stored).await? {
            Some(picture) => return Ok(picture),
            None => {
                log::error!("picture blob {} is missing", stored.blob);
                return imaging::identicon(seed);
            }
        }
    }
    Ok(Picture {
        etag,
        ..imaging::identicon(seed)?
    })
}
