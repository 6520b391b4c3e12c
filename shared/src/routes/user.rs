//! `/user/info`: profile text, avatar and personal tags.

use http::Method;
use serde_json::json;

use super::{allow, get, ok, picture, post, signed_in_limited, success};
use crate::app::App;
use crate::body::{Request, Response};
use crate::error::{Code, Error, Result};
use crate::limits::Action;
use crate::{imaging, multipart, profiles};

pub async fn route(app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/user/info/text/editInfo" => edit_info(app, req).await,
        "/user/info/text/getInfo" => get_info(app, req).await,
        "/user/info/text/setNickname" => set_nickname(app, req).await,
        "/user/info/avatar/add" => add_avatar(app, req).await,
        "/user/info/avatar/get" => get_avatar(app, req).await,
        "/user/info/tag/add" => add_tag(app, req).await,
        "/user/info/tag/get" => get_tags(app, req).await,
        "/user/info/tag/remove" => remove_tag(app, req).await,
        "/user/info/tag/edit" => edit_tag(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

async fn edit_info(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    profiles::edit_info(app, &me, params.str("text")?)?;
    Ok(success())
}

async fn get_info(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    let who = params.opt_user_id("user_id")?.unwrap_or(me);
    let user = profiles::profile(app, &who)?;
    Ok(ok(json!({
        "id": user.id,
        "nickname": user.nickname,
        "info": user.info,
        "star_rating": user.star_rating(),
        "rating_count": user.rating_count,
        "time": app.format_time(user.created_at),
    })))
}

async fn set_nickname(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    profiles::set_nickname(app, &me, params.str("nickname")?)?;
    Ok(success())
}

async fn add_avatar(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    let me = signed_in_limited(app, &req, Action::Upload)?;
    let upload =
        multipart::read_small(req, "avatar", imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = upload.file.ok_or_else(|| Error::param("avatar"))?;
    profiles::set_avatar(app, &me, file.data).await?;
    Ok(success())
}

async fn get_avatar(app: &App, req: Request) -> Result<Response> {
    let (me, query) = get(app, &req)?;
    let who = query.opt_user_id("user_id")?.unwrap_or(me);
    let source = profiles::avatar_source(app, &who)?;
    let etag = source.etag.clone();
    picture(&req, &etag, profiles::load_avatar(app, &who, source)).await
}

async fn add_tag(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    profiles::add_tag(app, &me, params.str("tag_text")?)?;
    Ok(success())
}

async fn get_tags(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    let who = params.opt_user_id("user_id")?.unwrap_or(me);
    let tags: Vec<_> = profiles::tags(app, &who)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "user_id": t.user_id, "tag_text": t.tag_text }))
        .collect();
    Ok(ok(json!({ "tags": tags })))
}

async fn remove_tag(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    profiles::remove_tag(app, &me, params.id("tag_id")?)?;
    Ok(success())
}

async fn edit_tag(app: &App, req: Request) -> Result<Response> {
    let (me, params) = post(app, req).await?;
    profiles::edit_tag(app, &me, params.id("tag_id")?, params.str("tag_text")?)?;
    Ok(success())
}
