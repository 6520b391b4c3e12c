//! HTTP bodies that both hosts can produce and consume: a complete buffer or a stream of chunks.

use std::pin::Pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};

use crate::error::{Code, Error, Result};

/// A stream of body chunks. Errors are I/O errors of the transport (a client that went away).
/// Always `Send`, as the multipart parser requires; the Spin host wraps its single-threaded streams.
pub trait ByteStream: Stream<Item = std::io::Result<Bytes>> + Send {}
impl<T: Stream<Item = std::io::Result<Bytes>> + Send> ByteStream for T {}

pub struct Body(Inner);

enum Inner {
    Full(Bytes),
    Stream(Pin<Box<dyn ByteStream>>),
}

pub type Request = http::Request<Body>;
pub type Response = http::Response<Body>;

impl Body {
    pub fn empty() -> Self {
        Body(Inner::Full(Bytes::new()))
    }

    pub fn stream(stream: impl ByteStream + 'static) -> Self {
        Body(Inner::Stream(Box::pin(stream)))
    }

    /// The whole body when it is already in memory.
    pub fn as_full(&self) -> Option<&Bytes> {
        match &self.0 {
            Inner::Full(bytes) => Some(bytes),
            Inner::Stream(_) => None,
        }
    }

    /// The body as a stream of chunks, whatever it holds.
    pub fn into_stream(self) -> Pin<Box<dyn ByteStream>> {
        match self.0 {
            Inner::Stream(s) => s,
            Inner::Full(bytes) => Box::pin(futures_util::stream::iter(
                (!bytes.is_empty()).then_some(Ok(bytes)),
            )),
        }
    }

    /// Reads the whole body, refusing (104) one longer than `limit` bytes as soon as it is.
    pub async fn collect(self, limit: usize) -> Result<Bytes> {
        let too_large = || Error::with_message(Code::TooLarge, format!("请求体超过 {limit} 字节"));
        match self.0 {
            Inner::Full(bytes) if bytes.len() > limit => Err(too_large()),
            Inner::Full(bytes) => Ok(bytes),
            Inner::Stream(mut stream) => {
                let mut buf = BytesMut::new();
                while let Some(chunk) = stream.next().await {
                    let chunk = chunk.map_err(read_error)?;
                    if buf.len() + chunk.len() > limit {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&chunk);
                }
                Ok(buf.freeze())
            }
        }
    }
}

/// A body that could not be read to its end: the client is gone or sent a broken stream.
pub fn read_error(err: std::io::Error) -> Error {
    Error::with_message(Code::BadParam, format!("请求体读取失败: {err}"))
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body(Inner::Full(bytes))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body(Inner::Full(bytes.into()))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body(Inner::Full(text.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn collect_stops_at_the_limit() {
        let chunks = (0..10).map(|_| Ok(Bytes::from_static(&[7u8; 100])));
        let body = Body::stream(futures_util::stream::iter(chunks));
        let err = body.collect(550).await.unwrap_err();
        assert_eq!(err.code(), Code::TooLarge);

        let chunks = (0..5).map(|_| Ok(Bytes::from_static(&[7u8; 100])));
        let body = Body::stream(futures_util::stream::iter(chunks));
        assert_eq!(body.collect(500).await.unwrap().len(), 500);
    }
}
