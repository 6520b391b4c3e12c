//! `/chat` over HTTP: the list of private conversations and the rooms' temporary files. The WebSocket rooms (`/chat/group`,
//! `/chat/private`) are held by the host: the native server's hub, or the relay before Spin.

use serde_json::json;

use http::Method;

use super::{allow, get, ok, post};
use crate::accounts::authenticate;
use crate::app::App;
use crate::body::{Request, Response};
use crate::chat;
use crate::error::{Code, Error, Result};

pub async fn route(app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/chat/getChat" => get_chat(app, req).await,
        "/chat/files/upload" => upload(app, req).await,
        "/chat/files/download" => download(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

async fn get_chat(app: &App, req: Request) -> Result<Response> {
    let (me, _) = post(app, req).await?;
    Ok(ok(json!({ "private": chat::partners(app, &me)? })))
}

async fn upload(app: &App, req: Request) -> Result<Response> {
    allow(&req, Method::POST)?;
    let me = authenticate(app, &req)?;
    let id = chat::files::receive(app, &me, req).await?;
    Ok(ok(json!({ "file_id": id })))
}

async fn download(app: &App, req: Request) -> Result<Response> {
    let (me, p) = get(app, &req)?;
    chat::files::download(app, &me, &p, req.headers()).await
}
