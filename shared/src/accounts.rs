//! Sign-in and the identity behind a token; deleting an account and exporting its data in the
//! modules below.

pub mod deletion;
pub mod export;

use crate::app::App;
use crate::body::Request;
use crate::db::users;
use crate::error::{Code, Error, Result};
use crate::ids::UserId;
use crate::{time, wechat};

/// Longest `wx.login` code accepted, in bytes after trimming (WeChat's are 32 characters).
pub const CODE_MAX: usize = 256;

pub struct Login {
    pub token: String,
    pub openid: String,
    pub first_login: bool,
}

/// Exchanges a `wx.login` code for a token, creating the user on their first login.
pub async fn login(app: &App, code: &str) -> Result<Login> {
    let code = code.trim();
    if code.is_empty() || code.len() > CODE_MAX {
        return Err(Error::param("code"));
    }
    let openid = wechat::openid_for_code(app, code).await?;
    let candidate = UserId::new()?;
    let nickname = default_nickname(&candidate);
    let (user_id, first_login) = app.db.tx(|conn| {
        let created = users::insert_if_new(conn, &candidate, &openid, &nickname, time::now())?;
        let id = match created {
            true => candidate.clone(),
            false => users::id_by_openid(conn, &openid)?
                .ok_or_else(|| anyhow::anyhow!("user of an openid vanished during login"))?,
        };
        crate::moderation::bans::check(app, conn, &id, time::now())?;
        Ok((id, created))
    })?;
    Ok(Login {
        token: app.tokens.issue(&user_id)?,
        openid,
        first_login,
    })
}

/// The nickname of a new user, until they choose one.
pub fn default_nickname(user_id: &UserId) -> String {
    format!("用户{}", user_id.as_str()[..6].to_ascii_uppercase())
}

/// The token of a request: the `token` header, or the `token` query parameter (GET endpoints serve
/// `<image src>`, which cannot set headers).
pub fn token_of(req: &Request) -> Option<String> {
    token_in(req.headers(), req.uri().query())
}

/// The token of a request head: the `token` header, or the `token` query parameter.
pub fn token_in(headers: &http::HeaderMap, query: Option<&str>) -> Option<String> {
    if let Some(token) = headers.get("token").and_then(|v| v.to_str().ok()) {
        if !token.trim().is_empty() {
            return Some(token.trim().to_owned());
        }
    }
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, v)| k == "token" && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

/// The user a request acts as: 113 without a token, 111/112 for a bad one, 112 when its user no
/// longer exists or is banned.
pub fn authenticate(app: &App, req: &Request) -> Result<UserId> {
    let token = token_of(req).ok_or_else(|| Error::new(Code::TokenMissing))?;
    user_of(app, &token)
}

/// The user a token names: 111/112 for a bad token, 112 when its user no longer exists or is
/// banned (one query checks both).
pub fn user_of(app: &App, token: &str) -> Result<UserId> {
    let user_id = app.tokens.verify(token)?;
    if !app
        .db
        .run(|c| Ok(users::active(c, &user_id, time::now())?))?
    {
        return Err(Error::new(Code::TokenInvalid));
    }
    Ok(user_id)
}

/// Whether a request's token is valid now (`/auth/checkLogin`); only a missing token is an error.
pub fn check(app: &App, req: &Request) -> Result<bool> {
    match authenticate(app, req) {
        Ok(_) => Ok(true),
        Err(Error::Api {
            code: Code::TokenExpired | Code::TokenInvalid,
            ..
        }) => Ok(false),
        Err(other) => Err(other),
    }
}
