//! `/group/internal/files`: the group file space, and the resumable uploads we add beside it.

use serde_json::{json, Value};

use super::table::{user, Call, Methods};
use super::{ok, success, uploads, Route};
use crate::app::App;
use crate::body::Response;
use crate::db::group_files;
use crate::error::{Code, Result};
use crate::files::resumable::Via;
use crate::files::upload::Target;
use crate::files::{download, entry, folder_param, listed, share, tree, upload, valid_name};
use crate::groups::Access;
use crate::limits::Action;
use crate::params::Params;

#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    Route::post("/group/internal/files/get_dir", user!(get_dir)),
    Route::post("/group/internal/files/mk_dir", user!(mk_dir)),
    Route::get("/group/internal/files/download", user!(download)),
    Route::post("/group/internal/files/upload", user!(upload)).raw_body().limited(Action::Upload),
    Route::post("/group/internal/files/delete", user!(delete)),
    Route::post("/group/internal/files/edit_name", user!(edit_name)),
    Route::post("/group/internal/files/move", user!(move_entry)),
    Route::post("/group/internal/files/share", user!(share_file)),

    // Resumable uploads (parts through the API) and direct ones (a form posted to object storage).
    Route::post("/group/internal/files/upload/begin", user!(begin)).limited(Action::Upload),
    Route::post("/group/internal/files/upload/direct", user!(direct)).limited(Action::Upload),
    Route::post("/group/internal/files/upload/part", user!(uploads::part::<Target>))
        .methods(Methods::PutOrPost)
        .raw_body(),
    Route::post("/group/internal/files/upload/status", user!(uploads::status::<Target>)),
    Route::post("/group/internal/files/upload/complete", user!(uploads::complete::<Target>)),
    Route::post("/group/internal/files/upload/abort", user!(uploads::abort::<Target>)),
];

fn parent(p: &Params) -> Result<Option<i64>> {
    Ok(folder_param(p.opt_id("parent_id")?))
}

async fn get_dir(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let entries = tree::list(app, &me, p.id("group_id")?, parent(&p)?)?;
    let files: Vec<Value> = entries.iter().map(|e| listed(app, e)).collect();
    Ok(ok(json!({ "files": files })))
}

async fn mk_dir(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let name = valid_name(p.str("name")?)?;
    tree::make_dir(app, &me, p.id("group_id")?, parent(&p)?, &name)?;
    Ok(success())
}

async fn download(app: &App, me: String, call: Call) -> Result<Response> {
    let p = &call.params;
    let (group_id, file_id) = (p.id("group_id")?, p.id("file_id")?);
    let wanted = app.db.run(|c| {
        Access::load(c, group_id, &me)?.read()?;
        entry(c, group_id, file_id)
    })?;
    let file = download::content_of(&wanted)?;
    match p.opt_str("thumbnail")?.is_some_and(|t| !t.is_empty()) {
        true => {
            download::thumbnail(app, file, Code::FileNotFound, |c, state| {
                group_files::set_thumbnail(c, file_id, state)
            })
            .await
        }
        false => download::file(app, call.req.headers(), &wanted.name, file),
    }
}

async fn upload(app: &App, me: String, call: Call) -> Result<Response> {
    let id = upload::receive::<Target>(app, &me, call.req).await?;
    Ok(ok(json!({ "file_id": id })))
}

async fn delete(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    tree::delete(app, &me, p.id("group_id")?, p.id("file_id")?).await?;
    Ok(success())
}

async fn edit_name(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    let name = valid_name(p.str("name")?)?;
    tree::rename(app, &me, p.id("group_id")?, p.id("file_id")?, &name)?;
    Ok(success())
}

async fn move_entry(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    tree::move_to(app, &me, p.id("group_id")?, p.id("file_id")?, parent(&p)?)?;
    Ok(success())
}

async fn share_file(app: &App, me: String, call: Call) -> Result<Response> {
    let p = call.params;
    share::share(app, &me, p.id("group_id")?, p.id("file_id")?)?;
    Ok(success())
}

async fn begin(app: &App, me: String, call: Call) -> Result<Response> {
    uploads::begin(app, me, call, target, Via::Parts).await
}

async fn direct(app: &App, me: String, call: Call) -> Result<Response> {
    uploads::begin(app, me, call, target, Via::Direct).await
}

/// Where a resumable or direct upload goes: `group_id`, optional `parent_id`, `name`.
fn target(p: &Params) -> Result<Target> {
    Ok(Target {
        group_id: p.id("group_id")?,
        parent: parent(p)?,
        name: valid_name(p.str("name")?)?,
    })
}
