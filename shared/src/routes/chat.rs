//! `/chat` over HTTP: the list of private conversations. The WebSocket rooms (`/chat/group`,
//! `/chat/private`) are held by the host: the native server's hub, or the relay before Spin.

use serde_json::json;

use super::{ok, post};
use crate::app::App;
use crate::body::{Request, Response};
use crate::chat;
use crate::error::{Code, Error, Result};

pub async fn route(app: &App, req: Request) -> Result<Response> {
    match req.uri().path() {
        "/chat/getChat" => get_chat(app, req).await,
        _ => Err(Error::new(Code::NoEndpoint)),
    }
}

async fn get_chat(app: &App, req: Request) -> Result<Response> {
    let (me, _) = post(app, req).await?;
    Ok(ok(json!({ "private": chat::partners(app, &me)? })))
}
