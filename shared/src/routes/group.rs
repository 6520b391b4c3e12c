//! `/group` (except `/group/internal/files`): groups, join requests, search, profile, members,
//! settings and announcements.

use bytes::Bytes;
use http::Method;
use serde_json::{json, Value};

use super::{allow, get, ok, picture, post, post_limited, signed_in_limited, success};
use crate::app::App;
use crate::body::{Request, Response};
use crate::error::{Code, Error, Result};
use crate::groups::{announcements, lifecycle, members, profile};
use crate::limits::Action;
use crate::params::Params;
use crate::{costly, imaging, multipart, search};

pub async fn route(app: &App, req: Request) -> Result<Response> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/group/external/group/create" => create(app, req).await,
        "/group/external/group/join" => join(app, req).await,
        "/group/external/joinRequest/getAll" => join_requests(app, req).await,
        "/group/external/joinRequest/process" => process(app, req).await,
        "/group/external/search/name_hint" => name_hint(app, req).await,
        "/group/external/search/tag_hint" => tag_hint(app, req).await,
        "/group/external/search/group" => search_group(app, req).await,
        "/group/external/search/my_group" => search_my_group(app, req).await,

        "/group/internal/info/text/edit" => edit_info(app, req).await,
        "/group/internal/info/text/get" => get_info(app, req).await,
        "/group/internal/info/text/set_name" => set_name(app, req).await,
        "/group/internal/info/avatar/add" => add_avatar(app, req).await,
        "/group/internal/info/avatar/get" => get_avatar(app, req).await,
        "/group/internal/info/picture/getAll" => pictures(app, req).await,
        "/group/internal/info/picture/get" => get_picture(app, req).await,
        "/group/internal/info/picture/add" => add_picture(app, req).await,
        "/group/internal/info/picture/del" => delete_picture(app, req).await,
        "/group/internal/info/tag/get" => tags(app, req).await,
        "/group/internal/info/tag/add" => add_tag(app, req).await,
        "/group/internal/info/tag/remove" => remove_tag(app, req).await,
        "/group/internal/info/tag/edit" => edit_tag(app, req).await,

        "/group/internal/member/get" => member_list(app, req).await,
        "/group/internal/member/remove" => remove_member(app, req).await,
        "/group/internal/member/setNickname" => set_member_nickname(app, req).await,
        "/group/internal/member/rate" => rate(app, req).await,
        "/group/internal/member/switchAdmin" => switch_admin(app, req).await,

        "/group/internal/setting/dismiss" => dismiss(app, req).await,
        "/group/internal/setting/exit" => exit(app, req).await,

        "/group/internal/announcement/getAll" => announcement_list(app, req).await,
        "/group/internal/announcement/get" => announcement(app, req).await,
        "/group/internal/announcement/add" => add_announcement(app, req).await,
        "/group/internal/announcement/edit" => edit_announcement(app, req).await,
        "/group/internal/announcement/delete" => delete_announcement(app, req).await,
        "/group/internal/announcement/setPic" => set_announcement_picture(app, req).await,
        "/group/internal/announcement/delPic" => delete_announcement_picture(app, req).await,
        "/group/internal/announcement/getPic" => get_announcement_picture(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

/// A `wx.uploadFile` picture upload: who sent it, its form fields, and the picture in `field`.
async fn upload(app: &App, req: Request, field: &str) -> Result<(String, Params, Bytes)> {
    allow(&req, Method::POST)?;
    let me = signed_in_limited(app, &req, Action::Upload)?;
    let form = multipart::read_small(req, field, imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = form.file.ok_or_else(|| Error::param(field))?;
    Ok((me, form.fields, file.data))
}

async fn create(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let id = lifecycle::create(
        app,
        &me,
        p.str("type")?,
        p.str("name")?,
        p.id("user_limit")?,
    )?;
    Ok(ok(json!({ "group_id": id })))
}

async fn join(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let id = lifecycle::join(app, &me, p.id("group_id")?)?;
    Ok(ok(json!({ "request_id": id })))
}

async fn join_requests(app: &App, req: Request) -> Result<Response> {
    let (me, _) = post(app, req).await?;
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

async fn process(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    lifecycle::process(app, &me, p.id("request_id")?, p.bool("action")?)?;
    Ok(success())
}

async fn name_hint(app: &App, req: Request) -> Result<Response> {
    let (_, p) = post_limited(app, req, Action::Search).await?;
    let hints = search::name_hints(app, p.str("type")?, search::key_param(&p)?)?;
    Ok(ok(json!({ "hints": hints })))
}

async fn tag_hint(app: &App, req: Request) -> Result<Response> {
    let (_, p) = post_limited(app, req, Action::Search).await?;
    let hints = search::tag_hints(app, p.str("type")?, search::key_param(&p)?)?;
    Ok(ok(json!({ "hints": hints })))
}

async fn search_group(app: &App, req: Request) -> Result<Response> {
    let (_, p) = post_limited(app, req, Action::Search).await?;
    let (groups, total) = costly::run(&*app.costly, || search::search_groups(app, &p))?;
    let cards: Vec<Value> = groups.iter().map(|g| search::card(app, g)).collect();
    Ok(ok(json!({ "groups": cards, "total": total })))
}

async fn search_my_group(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post_limited(app, req, Action::Search).await?;
    let (groups, total, dismissed) = costly::run(&*app.costly, || search::my_groups(app, &me, &p))?;
    let cards: Vec<Value> = groups.iter().map(|g| search::card(app, g)).collect();
    let dismissed: Vec<Value> = dismissed.iter().map(|g| search::card(app, g)).collect();
    Ok(ok(
        json!({ "groups": cards, "total": total, "dismissed_groups": dismissed }),
    ))
}

async fn edit_info(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    profile::edit_info(app, &me, p.id("group_id")?, p.str("text")?)?;
    Ok(success())
}

async fn get_info(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
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

async fn set_name(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    profile::set_name(app, &me, p.id("group_id")?, p.str("name")?)?;
    Ok(success())
}

async fn add_avatar(app: &App, req: Request) -> Result<Response> {
    let (me, form, data) = upload(app, req, "avatar").await?;
    profile::set_avatar(app, &me, form.id("group_id")?, data).await?;
    Ok(success())
}

async fn get_avatar(app: &App, req: Request) -> Result<Response> {
    let (_, p) = get(app, &req)?;
    let group_id = p.id("group_id")?;
    let (etag, stored) = profile::avatar(app, group_id)?;
    let load = profile::load_avatar(app, group_id, stored, etag.clone());
    picture(&req, &etag, load).await
}

async fn pictures(app: &App, req: Request) -> Result<Response> {
    let (_, p) = post(app, req).await?;
    let ids: Vec<Value> = profile::picture_ids(app, p.id("group_id")?)?
        .into_iter()
        .map(|id| json!({ "id": id }))
        .collect();
    Ok(ok(json!({ "pictures": ids })))
}

async fn get_picture(app: &App, req: Request) -> Result<Response> {
    let (_, p) = get(app, &req)?;
    let stored = profile::picture(app, p.id("group_id")?, p.id("pic_id")?)?;
    picture(&req, &stored.etag, profile::load_picture(app, &stored)).await
}

async fn add_picture(app: &App, req: Request) -> Result<Response> {
    let (me, form, data) = upload(app, req, "pic").await?;
    let id = profile::add_picture(app, &me, form.id("group_id")?, data).await?;
    Ok(ok(json!({ "pic_id": id })))
}

async fn delete_picture(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    profile::delete_picture(app, &me, p.id("group_id")?, p.id("pic_id")?).await?;
    Ok(success())
}

async fn tags(app: &App, req: Request) -> Result<Response> {
    let (_, p) = post(app, req).await?;
    let tags: Vec<Value> = profile::tags(app, p.id("group_id")?)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "tag_text": t.tag_text }))
        .collect();
    Ok(ok(json!({ "tags": tags })))
}

async fn add_tag(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    profile::add_tag(app, &me, p.id("group_id")?, p.str("tag_text")?)?;
    Ok(success())
}

async fn remove_tag(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    profile::remove_tag(app, &me, p.id("group_id")?, p.id("tag_id")?)?;
    Ok(success())
}

async fn edit_tag(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let (group, tag) = (p.id("group_id")?, p.id("tag_id")?);
    profile::edit_tag(app, &me, group, tag, p.str("tag_text")?)?;
    Ok(success())
}

async fn member_list(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
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

async fn remove_member(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    members::remove(app, &me, p.id("group_id")?, &p.user_id("user_id")?).await?;
    Ok(success())
}

async fn set_member_nickname(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    members::set_nickname(app, &me, p.id("group_id")?, p.str("nickname")?)?;
    Ok(success())
}

async fn rate(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    members::rate(app, &me, p.id("group_id")?, p.array("rates")?)?;
    Ok(success())
}

async fn switch_admin(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let is_admin = members::switch_admin(app, &me, p.id("group_id")?, &p.user_id("user_id")?)?;
    Ok(ok(json!({ "is_admin": is_admin })))
}

async fn dismiss(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    lifecycle::dismiss(app, &me, p.id("group_id")?)?;
    Ok(success())
}

async fn exit(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    lifecycle::exit(app, &me, p.id("group_id")?).await?;
    Ok(success())
}

async fn announcement_list(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
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

async fn announcement(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
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

async fn add_announcement(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let id = announcements::add(app, &me, p.id("group_id")?, p.str("title")?, p.str("text")?)?;
    Ok(ok(json!({ "announcement_id": id })))
}

async fn edit_announcement(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let (group, id) = (p.id("group_id")?, p.id("announcement_id")?);
    announcements::edit(app, &me, group, id, p.str("title")?, p.str("text")?)?;
    Ok(success())
}

async fn delete_announcement(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    announcements::delete(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn set_announcement_picture(app: &App, req: Request) -> Result<Response> {
    let (me, form, data) = upload(app, req, "pic").await?;
    let (group, id) = (form.id("group_id")?, form.id("announcement_id")?);
    announcements::set_picture(app, &me, group, id, data).await?;
    Ok(success())
}

async fn delete_announcement_picture(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    announcements::delete_picture(app, &me, p.id("group_id")?, p.id("announcement_id")?).await?;
    Ok(success())
}

async fn get_announcement_picture(app: &App, req: Request) -> Result<Response> {
    let (me, p) = get(app, &req)?;
    let stored = announcements::picture(app, &me, p.id("group_id")?, p.id("announcement_id")?)?;
    picture(&req, &stored.etag, profile::load_picture(app, &stored)).await
}
