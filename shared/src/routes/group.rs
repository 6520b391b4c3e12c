//! `/group` (except `/group/internal/files`): groups, join requests, search, profile, members,
//! settings and announcements.

use bytes::Bytes;
use serde_json::{json, Value};

use super::table::{user, Call};
use super::{ok, picture, success, Route};
use crate::app::App;
use crate::body::{Request, Response};
use crate::error::{Code, Error, Result};
use crate::groups::{announcements, lifecycle, members, profile};
use crate::limits::Action;
use crate::params::Params;
use crate::{costly, imaging, multipart, search};

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/external/group/create", user!(create)),
    Route::post("/group/external/group/join", user!(join)),
    Route::post("/group/external/joinRequest/getAll", user!(join_requests)),
    Route::post("/group/external/joinRequest/process", user!(process)),
    Route::post("/group/external/search/name_hint", user!(name_hint)).limited(Action::Search),
    Route::post("/group/external/search/tag_hint", user!(tag_hint)).limited(Action::Search),
    Route::post("/group/external/search/group", user!(search_group)).limited(Action::Search),
    Route::post("/group/external/search/my_group", user!(search_my_group)).limited(Action::Search),

    Route::post("/group/internal/info/text/edit", user!(edit_info)),
    Route::post("/group/internal/info/text/get", user!(get_info)),
    Route::post("/group/internal/info/text/set_name", user!(set_name)),
    Route::post("/group/internal/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload),
    Route::get("/group/internal/info/avatar/get", user!(get_avatar)),
    Route::post("/group/internal/info/picture/getAll", user!(pictures)),
    Route::get("/group/internal/info/picture/get", user!(get_picture)),
    Route::post("/group/internal/info/picture/add", user!(add_picture))
        .raw_body()
        .limited(Action::Upload),
    Route::post("/group/internal/info/picture/del", user!(delete_picture)),
    Route::post("/group/internal/info/tag/get", user!(tags)),
    Route::post("/group/internal/info/tag/add", user!(add_tag)),
    Route::post("/group/internal/info/tag/remove", user!(remove_tag)),
    Route::post("/group/internal/info/tag/edit", user!(edit_tag)),

    Route::post("/group/internal/member/get", user!(member_list)),
    Route::post("/group/internal/member/remove", user!(remove_member)),
    Route::post("/group/internal/member/setNickname", user!(set_member_nickname)),
    Route::post("/group/internal/member/rate", user!(rate)),
    Route::post("/group/internal/member/switchAdmin", user!(switch_admin)),

    Route::post("/group/internal/setting/dismiss", user!(dismiss)),
    Route::post("/group/internal/setting/exit", user!(exit)),

    Route::post("/group/internal/announcement/getAll", user!(announcement_list)),
    Route::post("/group/internal/announcement/get", user!(announcement)),
    Route::post("/group/internal/announcement/add", user!(add_announcement)),
    Route::post("/group/internal/announcement/edit", user!(edit_announcement)),
    Route::post("/group/internal/announcement/delete", user!(delete_announcement)),
    Route::post("/group/internal/announcement/setPic", user!(set_announcement_picture))
        .raw_body()
        .limited(Action::Upload),
    Route::post("/group/internal/announcement/delPic", user!(delete_announcement_picture)),
    Route::get("/group/internal/announcement/getPic", user!(get_announcement_picture)),
];

/// A `wx.uploadFile` picture upload: its form fields, and the picture in `field`.
async fn upload(req: Request, field: &str) -> Result<(Params, Bytes)> {
    let form = multipart::read_small(req, field, imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = form.file.ok_or_else(|| Error::param(field))?;
    Ok((form.fields, file.data))
}

async fn create(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let id = lifecycle::create(
        app,
        &me,
        p.str("type")?,
        p.str("name")?,
        p.id("user_limit")?,
    )?;
    Ok(ok(json!({ "group_id": id })))
}

async fn join(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let id = lifecycle::join(app, &me, p.id("group_id")?)?;
    Ok(ok(json!({ "request_id": id })))
}

async fn join_requests(app: &App, me: String, _call: Call) -> Result<Response> {
    let requests: Vec<Value> = lifecycle::inbox(app, &me)?
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "user_id": r.user_id,
                "nickname": r.nickname,
                "group_id": r.group_id,
                "group_name": r.group_name,
                "time": app.format_time(r.created_at),
            })
        })
        .collect();
    Ok(ok(json!({ "join_requests": requests })))
}

async fn process(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    lifecycle::process(app, &me, p.id("request_id")?, p.bool("action")?)?;
    Ok(success())
}

async fn name_hint(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let hints = search::name_hints(app, p.str("type")?, search::key_param(&p)?)?;
    Ok(ok(json!({ "hints": hints })))
}

async fn tag_hint(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let hints = search::tag_hints(app, p.str("type")?, search::key_param(&p)?)?;
    Ok(ok(json!({ "hints": hints })))
}

async fn search_group(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (groups, total) = costly::run(&*app.costly, || search::search_groups(app, &p))?;
    let cards: Vec<Value> = groups.iter().map(|g| search::card(app, g)).collect();
    Ok(ok(json!({ "groups": cards, "total": total })))
}

async fn search_my_group(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (groups, total, dismissed) = costly::run(&*app.costly, || search::my_groups(app, &me, &p))?;
    let cards: Vec<Value> = groups.iter().map(|g| search::card(app, g)).collect();
    let dismissed: Vec<Value> = dismissed.iter().map(|g| search::card(app, g)).collect();
    Ok(ok(
        json!({ "groups": cards, "total": total, "dismissed_groups": dismissed }),
    ))
}

async fn edit_info(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::edit_info(app, &me, p.id("group_id")?, p.str("text")?)?;
    Ok(success())
}

async fn get_info(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (g, role) = profile::info(app, &me, p.id("group_id")?)?;
    Ok(ok(json!({
        "id": g.id,
        "type": g.kind,
        "name": g.name,
        "user_cnt": g.user_cnt,
        "user_limit": g.user_limit,
        "info": g.info,
        "time": app.format_time(g.created_at),
        "dismissed": g.is_dismissed(),
        "my_role": role.map(|r| r.name()),
    })))
}

async fn set_name(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::set_name(app, &me, p.id("group_id")?, p.str("name")?)?;
    Ok(success())
}

async fn add_avatar(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "avatar").await?;
    profile::set_avatar(app, &me, form.id("group_id")?, data).await?;
    Ok(success())
}

async fn get_avatar(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let group_id = p.id("group_id")?;
    let (etag, stored) = profile::avatar(app, group_id)?;
    let load = profile::load_avatar(app, group_id, stored, etag.clone());
    picture(&call.req, &etag, load).await
}

async fn pictures(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let ids: Vec<Value> = profile::picture_ids(app, p.id("group_id")?)?
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    Ok(ok(json!({ "pictures": ids })))
}

async fn get_picture(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let stored = profile::picture(app, p.id("group_id")?, p.id("pic_id")?)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}

async fn add_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "pic").await?;
    let id = profile::add_picture(app, &me, form.id("group_id")?, data).await?;
    Ok(ok(json!({ "pic_id": id })))
}

async fn delete_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::delete_picture(app, &me, p.id("group_id")?, p.id("pic_id")?).await?;
    Ok(success())
}

async fn tags(app: &App, _me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let tags: Vec<Value> = profile::tags(app, p.id("group_id")?)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "tag_text": t.tag_text }))
        .collect();
    Ok(ok(json!({ "tags": tags })))
}

async fn add_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::add_tag(app, &me, p.id("group_id")?, p.str("tag_text")?)?;
    Ok(success())
}

async fn remove_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profile::remove_tag(app, &me, p.id("group_id")?, p.id("tag_id")?)?;
    Ok(success())
}

async fn edit_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (group, tag) = (p.id("group_id")?, p.id("tag_id")?);
    profile::edit_tag(app, &me, group, tag, p.str("tag_text")?)?;
    Ok(success())
}

async fn member_list(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (list, creator) = members::list(app, &me, p.id("group_id")?)?;
    let users: Vec<Value> = list
        .into_iter()
        .map(|m| {
            let is_creator = m.user_id == creator;
            json!({
                "user_id": m.user_id,
                "nickname": m.nickname,
                "is_admin": m.is_admin || is_creator,
                "is_creator": is_creator,
                "time": app.format_time(m.joined_at),
            })
        })
        .collect();
    Ok(ok(json!({ "users": users })))
}

async fn remove_member(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::remove(app, &me, p.id("group_id")?, &p.user_id("user_id")?).await?;
    Ok(success())
}

async fn set_member_nickname(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::set_nickname(app, &me, p.id("group_id")?, p.str("nickname")?)?;
    Ok(success())
}

async fn rate(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    members::rate(app, &me, p.id("group_id")?, p.array("rates")?)?;
    Ok(success())
}

async fn switch_admin(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let is_admin = members::switch_admin(app, &me, p.id("group_id")?, &p.user_id("user_id")?)?;
    Ok(ok(json!({ "is_admin": is_admin })))
}

async fn dismiss(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    lifecycle::dismiss(app, &me, p.id("group_id")?)?;
    Ok(success())
}

async fn exit(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    lifecycle::exit(app, &me, p.id("group_id")?).await?;
    Ok(success())
}

async fn announcement_list(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let list: Vec<Value> = announcements::list(app, &me, p.id("group_id")?)?
        .into_iter()
        .map(|a| {
            json!({
                "id": a.id,
                "title": a.title,
                "time": app.format_time(a.created_at),
                "has_pic": a.has_pic,
            })
        })
        .collect();
    Ok(ok(json!({ "announcements": list })))
}

async fn announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let a = announcements::get(app, &me, p.id("group_id")?, p.id("announcement_id")?)?;
    Ok(ok(json!({
        "announcement": {
            "id": a.id,
            "title": a.title,
            "text": a.text,
            "author_id": a.author_id,
            "time": app.format_time(a.created_at),
            "edit_time": app.format_time(a.updated_at),
            "has_pic": a.has_pic,
        }
    })))
}

async fn add_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let id = announcements::add(app, &me, p.id("group_id")?, p.str("title")?, p.str("text")?)?;
    Ok(ok(json!({ "announcement_id": id })))
}

async fn edit_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let (group, id) = (p.id("group_id")?, p.id("announcement_id")?);
    announcements::edit(app, &me, group, id, p.str("title")?, p.str("text")?)?;
    Ok(success())
}

async fn delete_announcement(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    announcements::delete(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn set_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let (form, data) = upload(call.req, "pic").await?;
    let (group, id) = (form.id("group_id")?, form.id("announcement_id")?);
    announcements::set_picture(app, &me, group, id, data).await?;
    Ok(success())
}

async fn delete_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    announcements::delete_picture(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn get_announcement_picture(app: &App, me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let stored = announcements::picture(app, &me, p.id("group_id")?, p.id("announcement_id")?)?;
    picture(&call.req, &stored.etag, profile::load_picture(app, &stored)).await
}
