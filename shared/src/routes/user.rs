//! `/user/info`: profile text, avatar and personal tags.

use serde_json::json;

use super::table::{user, Call};
use super::{ok, picture, success, Route};
use crate::app::App;
use crate::body::Response;
use crate::error::{Code, Error, Result};
use crate::limits::Action;
use crate::{imaging, multipart, profiles};

pub const ROUTES: &[Route] = &[
    Route::post("/user/info/text/editInfo", user!(edit_info)),
    Route::post("/user/info/text/getInfo", user!(get_info)),
    Route::post("/user/info/text/setNickname", user!(set_nickname)),
    Route::post("/user/info/avatar/add", user!(add_avatar))
        .raw_body()
        .limited(Action::Upload),
    Route::get("/user/info/avatar/get", user!(get_avatar)),
    Route::post("/user/info/tag/add", user!(add_tag)),
    Route::post("/user/info/tag/get", user!(get_tags)),
    Route::post("/user/info/tag/remove", user!(remove_tag)),
    Route::post("/user/info/tag/edit", user!(edit_tag)),
];

async fn edit_info(app: &App, me: String, call: Call) -> Result<Response> {
    profiles::edit_info(app, &me, call.params.str("text")?)?;
    Ok(success())
}

async fn get_info(app: &App, me: String, call: Call) -> Result<Response> {
    let who = call.params.opt_user_id("user_id")?.unwrap_or(me);
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

async fn set_nickname(app: &App, me: String, call: Call) -> Result<Response> {
    profiles::set_nickname(app, &me, call.params.str("nickname")?)?;
    Ok(success())
}

async fn add_avatar(app: &App, me: String, call: Call) -> Result<Response> {
    let upload =
        multipart::read_small(call.req, "avatar", imaging::MAX_UPLOAD, Code::BadPicture).await?;
    let file = upload.file.ok_or_else(|| Error::param("avatar"))?;
    profiles::set_avatar(app, &me, file.data).await?;
    Ok(success())
}

async fn get_avatar(app: &App, me: String, call: Call) -> Result<Response> {
    let who = call.params.opt_user_id("user_id")?.unwrap_or(me);
    let source = profiles::avatar_source(app, &who)?;
    let etag = source.etag.clone();
    picture(&call.req, &etag, profiles::load_avatar(app, &who, source)).await
}

async fn add_tag(app: &App, me: String, call: Call) -> Result<Response> {
    profiles::add_tag(app, &me, call.params.str("tag_text")?)?;
    Ok(success())
}

async fn get_tags(app: &App, me: String, call: Call) -> Result<Response> {
    let who = call.params.opt_user_id("user_id")?.unwrap_or(me);
    let tags: Vec<_> = profiles::tags(app, &who)?
        .into_iter()
        .map(|t| json!({ "id": t.id, "user_id": t.user_id, "tag_text": t.tag_text }))
        .collect();
    Ok(ok(json!({ "tags": tags })))
}

async fn remove_tag(app: &App, me: String, call: Call) -> Result<Response> {
    profiles::remove_tag(app, &me, call.params.id("tag_id")?)?;
    Ok(success())
}

async fn edit_tag(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    profiles::edit_tag(app, &me, p.id("tag_id")?, p.str("tag_text")?)?;
    Ok(success())
}
