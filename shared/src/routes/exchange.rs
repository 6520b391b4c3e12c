//! One request as a host answers, logs and measures it: its id (`x-request-id`, the client's
//! when it sent a sane one, else made here; echoed on every answer and written into every 100's
//! body, so a user's report finds its log line), the client's address, and, once known, the
//! route it matched and the signed-in caller. The router and the route table note the last two
//! on the [`Exchange`] they find in the request's extensions; the host reads them back for the
//! one log line and the metrics of the request.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::app::App;
use crate::body::{Request, Response};
use crate::error::Result;
use crate::ids::UserId;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's id is kept when it is at most this long and of [`sane`] characters.
const MAX_ID: usize = 64;

pub struct Exchange {
    pub id: String,
    pub client: Option<IpAddr>,
    route: OnceLock<&'static str>,
    user: OnceLock<UserId>,
}

impl Exchange {
    /// The exchange of `req`, placed in its extensions for the router and the route table.
    pub fn begin(app: &App, req: &mut Request) -> Arc<Exchange> {
        let exchange = Arc::new(Exchange {
            id: request_id(req.headers()),
            // A broken proxy setting fails the request itself later, with its own error.
            client: crate::client_addr::client_addr(app, req).ok().flatten(),
            route: OnceLock::new(),
            user: OnceLock::new(),
        });
        req.extensions_mut().insert(exchange.clone());
        exchange
    }

    /// The route's path, as the table declares it (a bounded set: never the request's own path).
    pub fn route(&self) -> Option<&'static str> {
        self.route.get().copied()
    }

    pub fn user(&self) -> Option<&UserId> {
        self.user.get()
    }

    /// The answer to send: errors in the contract's envelope (a 100's with this request's id),
    /// and the id in `x-request-id`.
    pub fn respond(&self, result: Result<Response>) -> Response {
        let mut response = super::finish_request(result, Some(&self.id));
        if let Ok(id) = HeaderValue::from_str(&self.id) {
            response.headers_mut().insert(REQUEST_ID, id);
        }
        response
    }

    /// The request's log line, once answered.
    pub fn access<'a>(
        &'a self,
        method: &'a http::Method,
        path: &'a str,
        status: u16,
        latency: Duration,
    ) -> Access<'a> {
        Access {
            method: method.as_str(),
            path,
            route: self.route(),
            status,
            latency_ms: millis(latency),
            user: self.user().map(UserId::as_str),
            client: self.client,
            request_id: &self.id,
        }
    }
}

/// A latency as the log line writes it: milliseconds to a tenth.
pub fn millis(latency: Duration) -> f64 {
    (latency.as_secs_f64() * 1e4).round() / 10.0
}

/// The fields of a request's log line (both hosts log these, by these names).
#[derive(Debug, serde::Serialize)]
pub struct Access<'a> {
    pub method: &'a str,
    /// Without the query: query strings may carry tokens.
    pub path: &'a str,
    pub route: Option<&'a str>,
    pub status: u16,
    pub latency_ms: f64,
    pub user: Option<&'a str>,
    pub client: Option<IpAddr>,
    pub request_id: &'a str,
}

/// Notes on the request's exchange what the router or the table found.
pub(crate) fn note_route(req: &Request, route: &'static str) {
    if let Some(exchange) = req.extensions().get::<Arc<Exchange>>() {
        let _ = exchange.route.set(route);
    }
}

pub(crate) fn note_user(req: &Request, user: &UserId) {
    if let Some(exchange) = req.extensions().get::<Arc<Exchange>>() {
        let _ = exchange.user.set(user.clone());
    }
}

/// The client's `x-request-id` when it is sane, else a new one.
pub fn request_id(headers: &HeaderMap) -> String {
    let given = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok());
    match given {
        Some(id) if sane(id) => id.to_owned(),
        _ => new_id(),
    }
}

/// Short and of characters that need no quoting in logs or headers: nothing a client writes
/// there can forge a log line or a header.
fn sane(id: &str) -> bool {
    (1..=MAX_ID).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// 16 random bytes in hex.
fn new_id() -> String {
    // Without randomness the id still orders and separates requests well enough for a log
    // search: the time.
    let bytes = crate::ids::random_bytes::<16>()
        .unwrap_or_else(|_| (crate::time::now_ms() as u128).to_be_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clients_id_is_kept_only_when_sane() {
        for id in ["abc", "0f8e-11:22.x_y", &"a".repeat(64)] {
            assert!(sane(id), "{id}");
        }
        for id in ["", "a b", "a\nb", "a\"b", "日本", &"a".repeat(65)] {
            assert!(!sane(id), "{id:?}");
        }
        let made = new_id();
        assert_eq!(made.len(), 32);
        assert!(sane(&made));
        assert_ne!(made, new_id());
    }
}
