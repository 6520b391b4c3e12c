//! Who may use `/debug`: the holder of `admin_token`, as `Authorization: Bearer <token>` (scripts)
//! or as a signed session cookie set by the sign-in form (the console). A session is the current
//! session epoch and an expiry, signed with the admin token; the epoch lives in the key-value
//! store, so signing out (a new epoch) ends every session on Spin's one-request instances too,
//! and changing the token ends them all as well. Every write by cookie needs the session's CSRF
//! token. Wrong tokens are limited per address ([`Attempt`]).

use std::net::IpAddr;

use http::{header, HeaderMap, Method};

use crate::app::App;
use crate::error::{Code, Error, Result};
use crate::ids::random_bytes;
use crate::limits::{Action, Attempt};
use crate::secrets;

pub const COOKIE: &str = "zudui_admin";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a console session lasts.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// The key-value entry holding the session epoch, which every session names.
const EPOCH_KEY: &str = "admin/session_epoch";

/// Set by a host on a request that came over TLS; the console's cookie is `Secure` then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverTls;

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
        .console()?
        .admin_token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::new(Code::NoEndpoint))
}

/// Checks a request's credential: 113 without one, 112 for a wrong, expired or signed-out one,
/// 105 while the client's address has too many wrong tokens; for a write by cookie, 303 without
/// the session's CSRF token.
pub fn check(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
    now: i64,
) -> Result<Admin> {
    let token = admin_token(app)?;
    if let Some(bearer) = bearer(headers) {
        token_matches(app, addr, bearer)?;
        return Ok(Admin::Script);
    }
    let session = cookie(headers, COOKIE).ok_or_else(|| Error::new(Code::TokenMissing))?;
    // Guessing a session's MAC is hopeless, so cookies are not counted as attempts.
    let epoch = current_epoch(app)?;
    if !epoch.is_some_and(|epoch| session_valid(token, &epoch, session, now)) {
        return Err(Error::new(Code::TokenInvalid));
    }
    let csrf = csrf_of(token, session);
    let safe = matches!(*method, Method::GET | Method::HEAD);
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if !safe && !sent.is_some_and(|s| secrets::matches(s, &csrf)) {
        return Err(Error::with_message(
            Code::NoPermission,
            "缺少或错误的 CSRF token",
        ));
    }
    Ok(Admin::Console { csrf })
}

/// Checks `given` against the admin token in constant time (the sign-in form and bearer tokens):
/// 112 when it is wrong, 105 while the client's address has used up its wrong tries.
pub fn token_matches(app: &App, addr: Option<IpAddr>, given: &str) -> Result<()> {
    let token = admin_token(app)?;
    let attempt = Attempt::start(app, Action::Admin, addr)?;
    if !secrets::matches(given, token) {
        return Err(Error::new(Code::TokenInvalid));
    }
    attempt.succeeded(app)
}

/// A new session: its cookie value `<epoch>.<expiry>.<mac>`, and what its requests are.
pub fn new_session(app: &App, now: i64) -> Result<(String, Admin)> {
    let token = admin_token(app)?;
    let epoch = match current_epoch(app)? {
        Some(epoch) => epoch,
        None => new_epoch(app)?,
    };
    let signed = format!("{epoch}.{}", now + SESSION_SECONDS);
    let session = format!("{signed}.{}", mac(token, &format!("session|{signed}")));
    let csrf = csrf_of(token, &session);
    Ok((session, Admin::Console { csrf }))
}

/// Ends every console session: a new epoch, which no existing session names.
pub fn end_sessions(app: &App) -> Result<()> {
    new_epoch(app).map(drop)
}

fn current_epoch(app: &App) -> Result<Option<String>> {
    let stored = app.kv.get(EPOCH_KEY)?;
    Ok(stored.and_then(|v| String::from_utf8(v).ok()))
}

fn new_epoch(app: &App) -> Result<String> {
    let epoch = hex::encode(random_bytes::<16>()?);
    app.kv.set(EPOCH_KEY, epoch.as_bytes())?;
    Ok(epoch)
}

/// The `Set-Cookie` value for `session` (`None`: clear it); `Secure` when the request came over
/// TLS or the `secure_cookie` setting says the server is reached over HTTPS.
pub fn set_cookie(app: &App, over_tls: bool, session: Option<&str>) -> Result<String> {
    let secure = match over_tls || app.settings.console()?.secure_cookie {
        true => "; Secure",
        false => "",
    };
    let (value, max_age) = match session {
        Some(session) => (session, SESSION_SECONDS),
        None => ("", 0),
    };
    Ok(format!(
        "{COOKIE}={value}; Path=/debug; HttpOnly; SameSite=Strict{secure}; Max-Age={max_age}"
    ))
}

fn session_valid(token: &str, epoch: &str, session: &str, now: i64) -> bool {
    let Some((signed, given)) = session.rsplit_once('.') else {
        return false;
    };
    let Some((named, expires)) = signed.split_once('.') else {
        return false;
    };
    let Ok(expiry) = expires.parse::<i64>() else {
        return false;
    };
    secrets::matches(given, &mac(token, &format!("session|{signed}")))
        && secrets::matches(named, epoch)
        && now < expiry
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
    fn sessions_are_signed_name_the_epoch_and_expire() {
        let token = "admin-token-0123456789";
        let expires = 1_000 + SESSION_SECONDS;
        let session = |epoch: &str, expires: i64| {
            let signed = format!("{epoch}.{expires}");
            format!("{signed}.{}", mac(token, &format!("session|{signed}")))
        };
        let good = session("e1", expires);
        assert!(session_valid(token, "e1", &good, 1_000));
        assert!(!session_valid(token, "e1", &good, expires), "expired");
        assert!(!session_valid(token, "e2", &good, 1_000), "signed out");
        assert!(!session_valid("another-token-012345", "e1", &good, 1_000));
        let mac_of_good = good.rsplit_once('.').unwrap().1;
        for forged in [
            format!("e1.{}.{mac_of_good}", expires + 1),
            format!("e2.{expires}.{mac_of_good}"),
        ] {
            assert!(!session_valid(token, "e1", &forged, 1_000), "{forged}");
            assert!(!session_valid(token, "e2", &forged, 1_000), "{forged}");
        }
        assert!(!session_valid(token, "e1", "garbage", 1_000));
        assert!(!session_valid(token, "e1", "e1.garbage", 1_000));
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
