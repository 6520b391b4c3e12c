//! The console's views of one group and of one user: what an operator looks for when a user
//! writes in, gathered from several tables in one read.

use serde_json::{json, Value};

use crate::app::App;
use crate::db::chat_messages::{self, Room};
use crate::db::groups::{self, Group};
use crate::db::{
    announcements, group_files, group_pictures, group_tags, join_requests, members, ratings,
    user_tags, users, StoredPicture,
};
use crate::error::{Code, Error, Result};
use crate::groups::Role;
use crate::storage::Sql;

/// Most files, chat messages and ratings a view lists.
const FILES: i64 = 200;
const CHAT: i64 = 30;
const RATINGS: i64 = 100;

/// A group with its members, pending requests, tags, pictures, announcements, files and recent
/// chat; 301 when there is no such group.
pub fn group(app: &App, group_id: i64) -> Result<Value> {
    let time = |t: i64| app.format_time(t);
    app.db.run(|c| {
        let g = groups::get(c, group_id)?.ok_or_else(|| Error::new(Code::GroupNotFound))?;
        let members: Vec<Value> = members::list(c, group_id, &g.creator_id)?
            .into_iter()
            .map(|m| {
                let role = Role::of(m.user_id == g.creator_id, m.is_admin).name();
                json!({ "user_id": m.user_id, "nickname": m.nickname, "role": role,
                        "joined": time(m.joined_at) })
            })
            .collect();
        let requests: Vec<Value> = join_requests::pending_to(c, group_id)?
            .into_iter()
            .map(|r| json!({ "id": r.id, "user_id": r.user_id, "time": time(r.created_at) }))
            .collect();
        let tags: Vec<Value> = group_tags::list(c, group_id)?
            .into_iter()
            .map(|t| json!({ "id": t.id, "tag_text": t.tag_text }))
            .collect();
        let notices: Vec<Value> = announcements::list(c, group_id)?
            .into_iter()
            .map(|a| {
                json!({ "id": a.id, "title": a.title, "text": a.text, "author_id": a.author_id,
                        "has_pic": a.has_pic, "time": time(a.updated_at) })
            })
            .collect();
        let files: Vec<Value> = group_files::of_group(c, group_id, FILES)?
            .into_iter()
            .map(|e| {
                let size = e.content.as_ref().map_or(0, |f| f.size);
                let kind = e.content.as_ref().map(|f| f.file_type.clone());
                json!({ "id": e.id, "parent_id": e.parent_id, "name": e.name,
                        "is_dir": e.is_dir(), "size": size, "file_type": kind,
                        "uploader_id": e.uploader_id })
            })
            .collect();
        let chat: Vec<Value> = chat_messages::page(c, Room::Group(group_id), None, CHAT)?
            .into_iter()
            .map(|m| {
                json!({ "id": m.id, "user_id": m.user_id, "nickname": m.nickname,
                        "msg_type": m.msg_type, "content": m.content, "time": time(m.created_at) })
            })
            .collect();
        Ok(json!({
            "group": group_json(app, &g),
            "members": members,
            "requests": requests,
            "tags": tags,
            "pictures": group_pictures::ids(c, group_id)?,
            "announcements": notices,
            "files": { "used_bytes": group_files::used_bytes(c, group_id)?, "entries": files },
            "chat": chat,
        }))
    })
}

fn group_json(app: &App, g: &Group) -> Value {
    json!({
        "id": g.id, "type": g.kind, "name": g.name, "info": g.info,
        "user_limit": g.user_limit, "user_cnt": g.user_cnt, "creator_id": g.creator_id,
        "created": app.format_time(g.created_at),
        "dismissed": g.dismissed_at.map(|t| app.format_time(t)),
    })
}

/// A user with their tags, groups (and role in each) and ratings received and given; 202 when
/// there is no such user.
pub fn user(app: &App, user_id: &str) -> Result<Value> {
    app.db.run(|c| {
        let u = users::get(c, user_id)?.ok_or_else(|| Error::new(Code::UserNotFound))?;
        let tags: Vec<Value> = user_tags::list(c, user_id)?
            .into_iter()
            .map(|t| json!({ "id": t.id, "tag_text": t.tag_text }))
            .collect();
        let mut groups_of = Vec::new();
        for g in groups::of_member(c, user_id)? {
            let membership = members::membership(c, g.id, user_id)?;
            let role = membership.map(|(admin, _)| Role::of(g.creator_id == user_id, admin).name());
            let mut entry = group_json(app, &g);
            entry["role"] = json!(role);
            groups_of.push(entry);
        }
        Ok(json!({
            "user": {
                "id": u.id, "nickname": u.nickname, "info": u.info,
                "star_rating": u.star_rating(), "rating_count": u.rating_count,
                "created": app.format_time(u.created_at),
            },
            "tags": tags,
            "groups": groups_of,
            "ratings": {
                "received": ratings_json(app, c, user_id, true)?,
                "given": ratings_json(app, c, user_id, false)?,
            },
        }))
    })
}

fn ratings_json(app: &App, c: &dyn Sql, user_id: &str, received: bool) -> Result<Vec<Value>> {
    Ok(ratings::of_user(c, user_id, received, RATINGS)?
        .into_iter()
        .map(|r| {
            json!({ "group_id": r.group_id, "rater_id": r.rater_id, "target_id": r.target_id,
                    "stars": r.stars, "time": app.format_time(r.created_at) })
        })
        .collect())
}

/// An intro picture (`group_picture`) or an announcement's picture (`announcement`) by the id
/// of its row; 332 when there is none.
pub fn stored_picture(app: &App, kind: &str, id: i64) -> Result<StoredPicture> {
    app.db.run(|c| {
        let found = match kind {
            "group_picture" => match group_pictures::group_of(c, id)? {
                Some(group_id) => group_pictures::get(c, group_id, id)?,
                None => None,
            },
            "announcement" => match announcements::group_of(c, id)? {
                Some(group_id) => announcements::picture(c, group_id, id)?,
                None => None,
            },
            _ => return Err(Error::param("kind")),
        };
        found.ok_or_else(|| Error::new(Code::PictureNotFound))
    })
}
