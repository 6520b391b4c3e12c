//! Pictures and voice: once stored, each is submitted to WeChat's `mediaCheckAsync` with a
//! signed, expiring URL (`GET /wechat/media`) from which WeChat fetches it; the verdict comes later
//! to the message-push endpoint (`routes::wechat`, [`on_verdict`]), and a `risky` one is taken
//! down. While WeChat
//! cannot be reached a submission stays queued, and later submissions retry a few queued ones.
//! Media checks need `public_url` (where WeChat reaches us) and `wechat_push_token` besides the
//! text checks' settings.

use crate::app::App;
use crate::db::chat_messages;
use crate::db::group_files::{Content, Thumbnail};
use crate::db::{admin_audit, announcements, chat_files, group_pictures, groups, media_checks};
use crate::db::{users, StoredPicture};
use crate::error::{Code, Error, Result};
use crate::files::content::{read_all, THUMBNAIL};
use crate::ids::{AnnouncementId, FileId, GroupId, PictureId, UserId};
use crate::leftovers::Leftovers;
use crate::moderation::{self, NewReview, Source, Target};
use crate::storage::ChunkKey;
use crate::storage::Sql;
use crate::time;
use crate::wechat::push::{Event, MEDIA_CHECK};
use crate::wechat::security::{self, Scene, Suggest};
use crate::wechat::{KvTokens, ServerApi};

use super::text;

/// A picture or a voice others see. Pictures are pinned by their blob: a verdict on bytes since
/// replaced takes nothing down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Media {
    Avatar {
        user: UserId,
        blob: String,
    },
    GroupAvatar {
        group: GroupId,
        blob: String,
    },
    GroupPicture {
        group: GroupId,
        picture: PictureId,
    },
    AnnouncementPicture {
        group: GroupId,
        id: AnnouncementId,
        blob: String,
    },
    /// A temporary chat file (an image or a voice).
    ChatFile {
        file: FileId,
    },
    /// The picture uploaded beside a chat video (its message shows it).
    ChatThumbnail {
        file: FileId,
    },
}

impl Media {
    /// How the row of its check names it: `avatar:<user>:<blob>`, `chat_file:<id>`…
    pub fn key(&self) -> String {
        match self {
            Media::Avatar { user, blob } => format!("avatar:{user}:{blob}"),
            Media::GroupAvatar { group, blob } => format!("group_avatar:{group}:{blob}"),
            Media::GroupPicture { group, picture } => format!("group_picture:{group}:{picture}"),
            Media::AnnouncementPicture { group, id, blob } => {
                format!("announcement_picture:{group}:{id}:{blob}")
            }
            Media::ChatFile { file } => format!("chat_file:{file}"),
            Media::ChatThumbnail { file } => format!("chat_thumbnail:{file}"),
        }
    }

    pub fn parse(key: &str) -> Option<Media> {
        let parts: Vec<&str> = key.split(':').collect();
        let int = |s: &str| s.parse::<i64>().ok();
        Some(match parts.as_slice() {
            ["avatar", user, blob] => Media::Avatar {
                user: UserId::from(*user),
                blob: blob.to_string(),
            },
            ["group_avatar", group, blob] => Media::GroupAvatar {
                group: GroupId(int(group)?),
                blob: blob.to_string(),
            },
            ["group_picture", group, picture] => Media::GroupPicture {
                group: GroupId(int(group)?),
                picture: PictureId(int(picture)?),
            },
            ["announcement_picture", group, id, blob] => Media::AnnouncementPicture {
                group: GroupId(int(group)?),
                id: AnnouncementId(int(id)?),
                blob: blob.to_string(),
            },
            ["chat_file", file] => Media::ChatFile {
                file: FileId(int(file)?),
            },
            ["chat_thumbnail", file] => Media::ChatThumbnail {
                file: FileId(int(file)?),
            },
            _ => return None,
        })
    }

    /// Where it is shown, as WeChat's scene.
    fn scene(&self) -> Scene {
        match self {
            Media::Avatar { .. } => Scene::Profile,
            Media::GroupAvatar { .. }
            | Media::GroupPicture { .. }
            | Media::AnnouncementPicture { .. } => Scene::Forum,
            Media::ChatFile { .. } | Media::ChatThumbnail { .. } => Scene::Comment,
        }
    }

    /// What of a chat file just stored is checked, with its type: an image or a voice up to
    /// [`MEDIA_MAX_BYTES`], the picture uploaded beside a video.
    pub fn of_chat_file(id: FileId, file: &Content) -> Option<(Media, String)> {
        match file.file_type.as_str() {
            "image" | "voice" if file.size as u64 <= MEDIA_MAX_BYTES => {
                Some((Media::ChatFile { file: id }, file.content_type.clone()))
            }
            "video" if file.thumbnail == Thumbnail::Stored => {
                Some((Media::ChatThumbnail { file: id }, "image/jpeg".into()))
            }
            _ => None,
        }
    }
}

/// WeChat's kind of a stored media.
fn kind(content_type: &str) -> security::Media {
    match content_type.starts_with("audio/") {
        true => security::Media::Audio,
        false => security::Media::Image,
    }
}

/// The largest media WeChat is asked about (its limit for pictures); larger chat files go
/// unchecked, as their message shows no preview.
pub const MEDIA_MAX_BYTES: u64 = 10 << 20;
/// How long WeChat may take to fetch a submitted media.
const URL_LIFETIME: i64 = 30 * 60;
/// Queued submissions retried by each new one.
const RETRIES: i64 = 2;
/// Submissions WeChat refused this often are given up.
const ATTEMPTS_MAX: i64 = 5;
/// Checks WeChat has not answered within this are given up.
const GIVE_UP_AFTER: i64 = 24 * 3600;

/// Where WeChat fetches media and pushes verdicts; `None` while media checks are off.
pub struct Configured<'a> {
    pub public_url: &'a str,
    pub push_token: &'a str,
}

pub fn configured(app: &App) -> Result<Option<Configured<'_>>> {
    let (wechat, content) = (app.settings.wechat()?, app.settings.content()?);
    let on = content.on(wechat);
    Ok(
        match (on, &content.public_url, &content.wechat_push_token) {
            (true, Some(public_url), Some(push_token)) => Some(Configured {
                public_url,
                push_token,
            }),
            _ => None,
        },
    )
}

/// Submits what `author` just stored for checking. Never fails the author's request: what
/// WeChat could not take stays queued.
pub async fn submit(app: &App, author: &UserId, media: Media, content_type: &str) {
    if let Err(err) = try_submit(app, author, media, content_type).await {
        log::warn!("media check not submitted: {err}");
    }
}

async fn try_submit(app: &App, author: &UserId, media: Media, content_type: &str) -> Result<()> {
    let Some(configured) = configured(app)? else {
        return Ok(());
    };
    let kind = kind(content_type) as i64;
    let now = time::now();
    let id = app.db.tx(|c| {
        media_checks::give_up(c, now - GIVE_UP_AFTER)?;
        Ok(media_checks::insert(c, &media.key(), author, kind, now)?)
    })?;
    send(app, &configured, id).await;
    for queued in app.db.run(|c| Ok(media_checks::queued(c, id, RETRIES)?))? {
        send(app, &configured, queued).await;
    }
    Ok(())
}

/// Asks WeChat to check the media of row `id`; on failure the row stays queued, until it has
/// failed [`ATTEMPTS_MAX`] times. A media gone meanwhile, or whose author is, is forgotten.
async fn send(app: &App, configured: &Configured<'_>, id: i64) {
    let result = async {
        let Some(check) = app.db.run(|c| Ok(media_checks::get(c, id)?))? else {
            return Ok(());
        };
        let openid = app.db.run(|c| Ok(users::openid(c, &check.user_id)?))?;
        let media = Media::parse(&check.target);
        let present = match &media {
            Some(media) => current(app, media)?.is_some(),
            None => false,
        };
        let (Some(openid), Some(media), true) = (openid, media, present) else {
            return app.db.run(|c| Ok(media_checks::delete(c, id)?));
        };
        if check.attempts >= ATTEMPTS_MAX {
            log::warn!(
                "media check {} given up after {ATTEMPTS_MAX} attempts",
                check.target
            );
            return app.db.run(|c| Ok(media_checks::delete(c, id)?));
        }
        if !text::within_budget(app, 1)? {
            return Err(anyhow::anyhow!("the app's budget of WeChat calls is spent").into());
        }
        let tokens = KvTokens::new(&*app.kv, &*app.db);
        let wechat = app.settings.wechat()?;
        let api = ServerApi::new(wechat, &*app.http, &tokens)
            .ok_or_else(|| anyhow::anyhow!("WeChat credentials vanished"))?;
        let kind = match check.media_type {
            1 => security::Media::Audio,
            _ => security::Media::Image,
        };
        let url = media_url(app, configured.public_url, id, time::now() + URL_LIFETIME)?;
        match security::check_media(&api, &openid, media.scene(), kind, &url).await {
            Ok(trace_id) => app.db.run(|c| Ok(media_checks::sent(c, id, &trace_id)?)),
            Err(failure) => {
                app.db.run(|c| Ok(media_checks::failed(c, id)?))?;
                Err(anyhow::anyhow!("{failure}").into())
            }
        }
    }
    .await;
    if let Err(err) = result {
        log::warn!("media check {id} stays queued: {err}");
    }
}

/// The URL WeChat fetches the media of check `id` from, valid until `expires`.
fn media_url(app: &App, public_url: &str, id: i64, expires: i64) -> Result<String> {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("id", &id.to_string())
        .append_pair("expires", &expires.to_string())
        .append_pair("sig", &url_signature(&app.settings.jwt_secret, id, expires))
        .finish();
    Ok(format!(
        "{}/wechat/media?{query}",
        public_url.trim_end_matches('/')
    ))
}

/// What proves a media URL ours: an HMAC of the check and its expiry under a key derived from
/// the token secret (`jwt_secret`).
pub fn url_signature(secret: &[u8], id: i64, expires: i64) -> String {
    let key = hmac_sha256::HMAC::mac(b"zudui media check url", secret);
    hex::encode(hmac_sha256::HMAC::mac(format!("{id}.{expires}"), key))
}

/// The bytes and type behind a media URL: 102 for a bad or expired signature, or media no
/// longer there (the same answer, so URLs cannot be probed).
pub async fn fetch(app: &App, id: i64, expires: i64, sig: &str) -> Result<(Vec<u8>, String)> {
    let gone = || Error::new(Code::NoEndpoint);
    let expected = url_signature(&app.settings.jwt_secret, id, expires);
    let good = crate::secrets::matches(sig, &expected);
    if !good || expires < time::now() || configured(app)?.is_none() {
        return Err(gone());
    }
    let check = app
        .db
        .run(|c| Ok(media_checks::get(c, id)?))?
        .ok_or_else(gone)?;
    let media = Media::parse(&check.target).ok_or_else(gone)?;
    let stored = match current(app, &media)? {
        Some(Current::Picture(stored)) => stored,
        Some(Current::ChatFile(file)) => {
            let content = &file.content;
            let blob = &content.blob;
            let bytes = match media {
                Media::ChatThumbnail { .. } => {
                    let key = ChunkKey::Part(blob, THUMBNAIL);
                    let jpeg = app.chunks.get(key).await?.ok_or_else(gone)?;
                    return Ok((jpeg.to_vec(), "image/jpeg".into()));
                }
                _ => read_all(&*app.chunks, blob, content.size as u64).await?,
            };
            return Ok((bytes, content.content_type.clone()));
        }
        None => return Err(gone()),
    };
    let picture = crate::pictures::load(app, &stored)
        .await?
        .ok_or_else(gone)?;
    Ok((picture.bytes, picture.content_type.to_owned()))
}

/// What a media names, while it is still what was checked.
pub enum Current {
    Picture(StoredPicture),
    ChatFile(chat_files::ChatFile),
}

pub fn current(app: &App, media: &Media) -> Result<Option<Current>> {
    let pinned = |stored: Option<StoredPicture>, blob: &str| {
        stored.filter(|s| s.blob == blob).map(Current::Picture)
    };
    app.db.run(|c| {
        Ok(match media {
            Media::Avatar { user, blob } => pinned(users::avatar(c, user)?.flatten(), blob),
            Media::GroupAvatar { group, blob } => pinned(groups::avatar(c, *group)?, blob),
            Media::GroupPicture { group, picture } => {
                group_pictures::get(c, *group, *picture)?.map(Current::Picture)
            }
            Media::AnnouncementPicture { group, id, blob } => {
                pinned(crate::db::announcements::picture(c, *group, *id)?, blob)
            }
            Media::ChatFile { file } => chat_files::find(c, *file, time::now())?
                .filter(|(_, f)| (f.content.size as u64) <= MEDIA_MAX_BYTES)
                .map(|(_, f)| Current::ChatFile(f)),
            Media::ChatThumbnail { file } => chat_files::find(c, *file, time::now())?
                .filter(|(_, f)| f.content.thumbnail == Thumbnail::Stored)
                .map(|(_, f)| Current::ChatFile(f)),
        })
    })
}

/// Acts on a verdict WeChat pushed: `risky` media is taken down (audited), `review` media is
/// queued for people, and the check is forgotten. A push for no check of ours is ignored.
pub async fn on_verdict(app: &App, event: &Event) -> Result<()> {
    if event.event != MEDIA_CHECK {
        return Ok(());
    }
    let Some(check) = app
        .db
        .run(|c| Ok(media_checks::by_trace(c, &event.trace_id)?))?
    else {
        return Ok(());
    };
    let verdict = match (event.errcode, event.result) {
        (0, Some(verdict)) => verdict,
        _ => {
            // WeChat could not judge it: the check stays until it is given up.
            log::warn!(
                "WeChat could not check media {}: errcode {}",
                check.target,
                event.errcode
            );
            return Ok(());
        }
    };
    let media = Media::parse(&check.target);
    Leftovers::tx(app, |c, after| {
        media_checks::delete(c, check.id)?;
        let Some(media) = &media else {
            return Ok(());
        };
        match verdict.suggest {
            Suggest::Pass => {}
            Suggest::Review => {
                let target = review_target(c, media, &check.user_id)?;
                moderation::enqueue(
                    c,
                    &NewReview {
                        source: Source::Wechat,
                        target: &target,
                        reason: verdict.label_name(),
                        excerpt: "",
                    },
                )?;
            }
            Suggest::Risky => {
                if take_down(c, media, after)? {
                    let detail = format!("WeChat: {} ({})", verdict.label_name(), verdict.label);
                    let now = time::now();
                    admin_audit::insert(
                        c,
                        now,
                        "wechat",
                        "take_down",
                        &check.target,
                        Some(&detail),
                    )?;
                }
            }
        }
        Ok(())
    })
    .await
}

/// Removes `media` if it is still what was checked: a picture goes back to the default or
/// away, a chat file goes and the messages that carried it are withdrawn. Whether it was there.
fn take_down(c: &dyn Sql, media: &Media, after: &mut Leftovers) -> Result<bool> {
    Ok(match media {
        Media::Avatar { user, blob } => taken(users::clear_avatar(c, user, blob)?, after),
        Media::GroupAvatar { group, blob } => {
            taken(groups::clear_avatar(c, *group, Some(blob))?, after)
        }
        Media::GroupPicture { group, picture } => match group_pictures::get(c, *group, *picture)? {
            Some(_) => {
                crate::groups::profile::delete_picture_in(c, *group, *picture, after)?;
                true
            }
            None => false,
        },
        Media::AnnouncementPicture { group, id, blob } => {
            match announcements::picture(c, *group, *id)? {
                Some(stored) if stored.blob == *blob => {
                    announcements::set_picture(c, *group, *id, None)?;
                    after.picture(Some(stored));
                    true
                }
                _ => false,
            }
        }
        Media::ChatFile { file } | Media::ChatThumbnail { file } => {
            match chat_files::find(c, *file, time::now())? {
                Some((room, _)) => {
                    for message in chat_messages::with_file(c, room, *file)? {
                        moderation::withdraw_message(c, room, message)?;
                    }
                    if let Some(content) = chat_files::delete(c, *file)? {
                        after.content(c, content)?;
                    }
                    true
                }
                None => false,
            }
        }
    })
}

/// Whether a picture was taken away; its blob goes after the commit.
fn taken(old: Option<StoredPicture>, after: &mut Leftovers) -> bool {
    let gone = old.is_some();
    after.picture(old);
    gone
}

/// What a media to review is shown as in the queue.
fn review_target(c: &dyn Sql, media: &Media, author: &UserId) -> Result<Target> {
    Ok(match media {
        Media::Avatar { user, .. } => Target::User(user.clone()),
        Media::GroupAvatar { group, .. } | Media::GroupPicture { group, .. } => {
            Target::Group(*group)
        }
        Media::AnnouncementPicture { group, id, .. } => Target::Announcement {
            group: *group,
            id: *id,
        },
        Media::ChatFile { file } | Media::ChatThumbnail { file } => {
            match chat_files::find(c, *file, time::now())? {
                Some((room, _)) => match chat_messages::with_file(c, room, *file)?.first() {
                    Some(id) => Target::Message { room, id: *id },
                    None => Target::User(author.clone()),
                },
                None => Target::User(author.clone()),
            }
        }
    })
}
