//! `/group/internal/files`: the group file space, and the resumable uploads we add beside it.

use http::Method;
use serde_json::{json, Value};

use super::{allow, get, ok, post, post_limited, signed_in_limited, success};
use crate::accounts::authenticate;
use crate::app::App;
use crate::body::{Request, Response};
use crate::db::group_files;
use crate::error::{Code, Error, Result};
use crate::files::upload::Target;
use crate::files::{
    download, entry, folder_param, listed, resumable, share, tree, upload, valid_name,
};
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

        "/group/internal/files/upload/begin" => begin_upload(app, req).await,
        "/group/internal/files/upload/part" => put_part(app, req).await,
        "/group/internal/files/upload/status" => upload_status(app, req).await,
        "/group/internal/files/upload/complete" => complete_upload(app, req).await,
        "/group/internal/files/upload/abort" => abort_upload(app, req).await,
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

/// An upload as `begin` and `status` describe it.
fn upload_state(app: &App, up: &crate::db::file_uploads::Upload, parts: &[i64]) -> Value {
    json!({
        "upload_id": up.id,
        "size": up.size,
        "part_size": up.part_size,
        "part_count": resumable::part_count(up),
        "received": parts,
        "expires": app.format_time(up.expires_at),
    })
}

async fn begin_upload(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post_limited(app, req, Action::Upload).await?;
    let target = Target {
        group_id: p.id("group_id")?,
        parent: parent(&p)?,
        name: valid_name(p.str("name")?)?,
    };
    let size = p.id("size")?;
    let size = u64::try_from(size).map_err(|_| Error::param_why("size", "不能为负"))?;
    let up = resumable::begin(app, &me, &target, size).await?;
    Ok(ok(upload_state(app, &up, &[])))
}

async fn put_part(app: &App, req: Request) -> Result<Response> {
    if ![Method::PUT, Method::POST].contains(req.method()) {
        return Err(Error::WrongMethod { allow: "PUT, POST" });
    }
    let me = authenticate(app, &req)?;
    let p = super::query_params(&req);
    let (id, part) = (p.id("upload_id")?, p.id("part")?);
    resumable::put_part(app, &me, id, part, req.into_body()).await?;
    Ok(success())
}

async fn upload_status(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let (up, parts) = resumable::get(app, &me, p.id("upload_id")?)?;
    Ok(ok(upload_state(app, &up, &parts)))
}

async fn complete_upload(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    let id = resumable::complete(app, &me, p.id("upload_id")?).await?;
    Ok(ok(json!({ "file_id": id })))
}

async fn abort_upload(app: &App, req: Request) -> Result<Response> {
    let (me, p) = post(app, req).await?;
    resumable::abort(app, &me, p.id("upload_id")?).await?;
    Ok(success())
}
