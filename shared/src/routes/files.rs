//! `/group/internal/files`: the group file space, and the resumable uploads we add beside it.

use http::Method;
use serde_json::{json, Value};

use super::{allow, get, ok, post, signed_in_limited, success, uploads};
use crate::app::App;
use crate::body::{Request, Response};
use crate::db::group_files;
use crate::error::{Code, Error, Result};
use crate::files::resumable::Via;
use crate::files::upload::Target;
use crate::files::{download, entry, folder_param, listed, share, tree, upload, valid_name};
use crate::groups::Access;
use crate::limits::Action;
use crate::params::Params;

pub async fn route(app: &App, req: Request) -> Result<Response> {
    let path = req.uri().path().to_owned();
    match path.as_str() {
        "/group/internal/files/get_dir" => get_dir(app, req).await,
        "/group/internal/files/mk_dir" => mk_dir(app, req).await,
        "/group/internal/files/download" => download(app, req).await,
        "/group/internal/files/upload" => upload(app, req).await,
        "/group/internal/files/delete" => delete(app, req).await,
        "/group/internal/files/edit_name" => edit_name(app, req).await,
        "/group/internal/files/move" => move_entry(app, req).await,
        "/group/internal/files/share" => share_file(app, req).await,

        "/group/internal/files/upload/begin" => uploads::begin(app, req, target, Via::Parts).await,
        "/group/internal/files/upload/direct" => {
            uploads::begin(app, req, target, Via::Direct).await
        }
        "/group/internal/files/upload/part" => uploads::part::<Target>(app, req).await,
        "/group/internal/files/upload/status" => uploads::status::<Target>(app, req).await,
        "/group/internal/files/upload/complete" => uploads::complete::<Target>(app, req).await,
        "/group/internal/files/upload/abort" => uploads::abort::<Target>(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

fn parent(p: &Params) -> Result<Option<i64>> {
    Ok(folder_param(p.opt_id("parent_id")?))
}

async fn get_dir(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let entries = tree::list(app, &me, p.id("group_id")?, parent(&p)?)?;
    let files: Vec<Value> = entries.iter().map(|e| listed(app, e)).collect();
    Ok(ok(json!({ "files": files })))
}

async fn mk_dir(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let name = valid_name(p.str("name")?)?;
    tree::make_dir(app, &me, p.id("group_id")?, parent(&p)?, &name)?;
    Ok(success())
}

async fn download(app: &App, req: Request) -> Result<Response> {
    let (me, p) = get(app, &req)?;
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
        false => download::file(app, req.headers(), &wanted.name, file),
    }
}

async fn upload(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    let me = signed_in_limited(app, &req, Action::Upload)?;
    let id = upload::receive::<Target>(app, &me, req).await?;
    Ok(ok(json!({ "file_id": id })))
}

async fn delete(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    tree::delete(app, &me, p.id("group_id")?, p.id("file_id")?).await?;
    Ok(success())
}

async fn edit_name(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let name = valid_name(p.str("name")?)?;
    tree::rename(app, &me, p.id("group_id")?, p.id("file_id")?, &name)?;
    Ok(success())
}

async fn move_entry(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    tree::move_to(app, &me, p.id("group_id")?, p.id("file_id")?, parent(&p)?)?;
    Ok(success())
}

async fn share_file(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    share::share(app, &me, p.id("group_id")?, p.id("file_id")?)?;
    Ok(success())
}

/// Where a resumable or direct upload goes: `group_id`, optional `parent_id`, `name`.
fn target(p: &Params) -> Result<Target> {
    Ok(Target {
        group_id: p.id("group_id")?,
        parent: parent(p)?,
        name: valid_name(p.str("name")?)?,
    })
}
