//! A group's profile (`/group/internal/info`: intro, name, avatar, intro pictures, tags) and its
//! announcements (`/group/internal/announcement`), over real HTTP: success, every error code,
//! who may do what (outsider, member, admin, creator), dismissed groups, and image validators.

#[path = "../common/mod.rs"]
mod common;
mod support;

mod announcement_pictures;
mod announcements;
mod avatar;
mod dismissed;
mod pictures;
mod tags;
mod text;
