//! What every host does around the handlers, so that both answer alike: the request headers'
//! budget, and the request body lent to the handler and taken back after it, so that what a
//! refused request is still sending can be read and dropped.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use crate::body::ByteStream;
use crate::error::{Error, Result};
use crate::Code;

/// Request headers take at most this much in all (names and values); more is 104.
pub const MAX_HEADER_BYTES: usize = 32 << 10;

/// What the host reads and drops of a body its handler left unread: a client busy sending an
/// upload then reads the refusal instead of a reset connection. Bounded in bytes here and in
/// time by the host ([`LINGER_SECS`] natively; the platform's request timeout on Spin).
pub const LINGER_BYTES: usize = 64 << 20;
pub const LINGER_SECS: u64 = 10;

/// 104 when the request's headers are over [`MAX_HEADER_BYTES`].
pub fn check_headers(headers: &http::HeaderMap) -> Result<()> {
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if bytes > MAX_HEADER_BYTES {
        return Err(Error::with_message(Code::TooLarge, "请求头过大"));
    }
    Ok(())
}

/// Whether a request with `headers` may have a body, for a host that knows no better (Spin): a
/// length over 0, or no length at all (a chunked body: Spin does not show the
/// `Transfer-Encoding` header, so no length must count). What a request without one turns out
/// to hold is nothing, read at once.
pub fn may_have_body(headers: &http::HeaderMap) -> bool {
    let length = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    length.is_none_or(|n| n > 0)
}

/// A request body lent to a handler: [`Lent::stream`] is what the handler reads, and after it
/// [`Lent::unread`] gives back what it left.
pub struct Lent<S> {
    slot: Arc<Mutex<Option<S>>>,
    finished: Arc<AtomicBool>,
}

impl<S: ByteStream + Unpin + 'static> Lent<S> {
    /// A request's `body`; a handler need not read one that is not there (`may_have_body`).
    pub fn new(body: S, may_have_body: bool) -> Lent<S> {
        Lent {
            slot: Arc::new(Mutex::new(Some(body))),
            finished: Arc::new(AtomicBool::new(!may_have_body)),
        }
    }

    /// The body as the handler reads it.
    pub fn stream(&self) -> impl ByteStream + 'static {
        Borrowed {
            slot: self.slot.clone(),
            finished: self.finished.clone(),
        }
    }

    /// What the handler did not read: `None` when it read the body to its end.
    pub fn unread(self) -> Option<S> {
        if self.finished.load(Ordering::Relaxed) {
            return None;
        }
        self.slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

struct Borrowed<S> {
    slot: Arc<Mutex<Option<S>>>,
    finished: Arc<AtomicBool>,
}

impl<S: ByteStream + Unpin> Stream for Borrowed<S> {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(body) = slot.as_mut() else {
            return Poll::Ready(None);
        };
        let next = body.poll_next_unpin(cx);
        if let Poll::Ready(None) = next {
            self.finished.store(true, Ordering::Relaxed);
        }
        next
    }
}

/// Reads and drops up to [`LINGER_BYTES`] of `rest`.
pub async fn drain(mut rest: impl ByteStream + Unpin) {
    let mut drained = 0;
    while let Some(Ok(chunk)) = rest.next().await {
        drained += chunk.len();
        if drained > LINGER_BYTES {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;

    fn sized(n: usize) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::CONTENT_LENGTH, n.into());
        headers
    }

    fn body(chunks: &[&'static str]) -> impl ByteStream + Unpin + 'static {
        futures_util::stream::iter(
            chunks
                .iter()
                .map(|c| Ok(Bytes::from_static(c.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn a_body_read_to_its_end_leaves_nothing() {
        let lent = Lent::new(body(&["a", "b"]), may_have_body(&sized(2)));
        let read: Vec<_> = lent.stream().collect::<Vec<_>>().now_or_never().unwrap();
        assert_eq!(read.len(), 2);
        assert!(lent.unread().is_none());
    }

    #[test]
    fn what_a_handler_left_is_given_back() {
        let lent = Lent::new(body(&["a", "b", "c"]), may_have_body(&sized(3)));
        let mut stream = Box::pin(lent.stream());
        let first = stream.next().now_or_never().unwrap();
        assert_eq!(first.unwrap().unwrap(), "a");
        let rest = lent.unread().expect("unread");
        let rest: Vec<_> = rest.collect::<Vec<_>>().now_or_never().unwrap();
        assert_eq!(rest.len(), 2);
    }

    #[test]
    fn a_request_of_length_0_leaves_nothing_unread() {
        let lent = Lent::new(body(&[]), may_have_body(&sized(0)));
        assert!(lent.unread().is_none());
    }

    #[test]
    fn a_request_without_a_length_may_still_be_sending() {
        // Chunked: Spin shows no Transfer-Encoding, so no length is enough.
        let lent = Lent::new(body(&["a", "b"]), may_have_body(&http::HeaderMap::new()));
        let rest = lent.unread().expect("unread");
        assert_eq!(rest.collect::<Vec<_>>().now_or_never().unwrap().len(), 2);
        // Without a body, what is given back ends at once.
        let lent = Lent::new(body(&[]), may_have_body(&http::HeaderMap::new()));
        let rest = lent.unread().expect("unread");
        assert!(rest.collect::<Vec<_>>().now_or_never().unwrap().is_empty());
    }

    #[test]
    fn headers_over_the_budget_are_104() {
        let mut headers = http::HeaderMap::new();
        let fill = MAX_HEADER_BYTES - "x-pad".len();
        headers.insert("x-pad", "x".repeat(fill).parse().unwrap());
        assert!(check_headers(&headers).is_ok());
        headers.insert("x-more", "y".parse().unwrap());
        let err = check_headers(&headers).unwrap_err();
        assert_eq!(err.code(), Code::TooLarge);
    }
}
