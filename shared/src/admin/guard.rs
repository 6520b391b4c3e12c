//! Who may use `/debug`: the holder of `admin_token`, as `Authorization: Bearer <token>` (scripts)
//! or as a signed session cookie set by the sign-in form (the console). Sessions are stateless
//! (an expiry signed with the admin token), so they hold on Spin's one-request instances too, and
//! changing the token ends them all. Every write by cookie needs the session's CSRF token.

use http::{header, HeaderMap, Method};

use crate::app::App;
use crate::chat::relay::secrets_match;
use crate::error::{Code, Error, Result};

pub const COOKIE: &str = "zudui_admin";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a console session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;

/// An admin request's credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admin {
    /// `Authorization: Bearer`: no ambient credential, so no CSRF check.
    Script,
    /// The console's cookie, with the CSRF token its pages send back on writes.
    Console { csrf: String },
}

impl Admin {
    /// Who the audit log names.
    pub fn actor(&self) -> &'static str {
        match self {
            Admin::Script => "bearer",
            Admin::Console { .. } => "console",
        }
    }
}

/// The admin token, or 102: without it the console does not exist.
pub fn admin_token(app: &App) -> Result<&str> {
    app.settings
        .admin_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::new(Code::NoEndpoint))
}

/// Checks a request's credential: 113 without one, 112 for a wrong or expired one; for a write
/// by cookie, 303 without the session's CSRF token.
pub fn check(app: &App, method: &Method, headers: &HeaderMap, now: i64) -> Result<Admin> {
    let token = admin_token(app)?;
    if let Some(bearer) = bearer(headers) {
        return match secrets_match(bearer, token) {
            true => Ok(Admin::Script),
            false => Err(Error::new(Code::TokenInvalid)),
        };
    }
    let session = cookie(headers, COOKIE).ok_or_else(|| Error::new(Code::TokenMissing))?;
    if !session_valid(token, session, now) {
        return Err(Error::new(Code::TokenInvalid));
    }
    let csrf = csrf_of(token, session);
    let safe = matches!(*method, Method::GET | Method::HEAD);
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !safe && !sent.is_some_and(|s| secrets_match(s, &csrf)) {
        return Err(Error::with_message(
            Code::NoPermission,
            "缺少或错误的 CSRF token",
        ));
    }
    Ok(Admin::Console { csrf })
}

/// Whether `given` is the admin token (the sign-in form), in constant time.
pub fn token_matches(app: &App, given: &str) -> Result<bool> {
    Ok(secrets_match(given, admin_token(app)?))
}

/// A new session cookie value: `<expiry>.<mac>`.
pub fn new_session(app: &App, now: i64) -> Result<String> {
    let expires = now + SESSION_SECONDS;
    Ok(format!(
        "{expires}.{}",
        mac(admin_token(app)?, &format!("session|{expires}"))
    ))
}

/// The `Set-Cookie` value for `session` (`None`: clear it).
pub fn set_cookie(session: Option<&str>) -> String {
    match session {
        Some(session) => format!(
            "{COOKIE}={session}; Path=/debug; HttpOnly; SameSite=Strict; Max-Age={SESSION_SECONDS}"
        ),
        None => format!("{COOKIE}=; Path=/debug; HttpOnly; SameSite=Strict; Max-Age=0"),
    }
}

fn session_valid(token: &str, session: &str, now: i64) -> bool {
    let Some((expires, given)) = session.split_once('.') else {
        return false;
    };
    let Ok(expiry) = expires.parse::<i64>() else {
        return false;
    };
    secrets_match(given, &mac(token, &format!("session|{expires}"))) && now < expiry
}

fn csrf_of(token: &str, session: &str) -> String {
    mac(token, &format!("csrf|{session}"))
}

fn mac(key: &str, input: &str) -> String {
    hex::encode(hmac_sha256::HMAC::mac(input.as_bytes(), key.as_bytes()))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_signed_and_expire() {
        let token = "admin-token-0123456789";
        let expires = 1_000 + SESSION_SECONDS;
        let session = format!("{expires}.{}", mac(token, &format!("session|{expires}")));
        assert!(session_valid(token, &session, 1_000));
        assert!(!session_valid(token, &session, expires), "expired");
        assert!(!session_valid("another-token-012345", &session, 1_000));
        let forged = format!(
            "{}.{}",
            expires + 1,
            &session[session.find('.').unwrap() + 1..]
        );
        assert!(!session_valid(token, &forged, 1_000), "expiry is signed");
        assert!(!session_valid(token, "garbage", 1_000));
    }

    #[test]
    fn credentials_are_read_from_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        headers.insert(header::COOKIE, "a=1; zudui_admin=x.y; b=2".parse().unwrap());
        assert_eq!(bearer(&headers), Some("abc"));
        assert_eq!(cookie(&headers, COOKIE), Some("x.y"));
        assert_eq!(cookie(&headers, "zudui"), None);
    }
}
