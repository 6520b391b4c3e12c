//! Outbound HTTP of the host (Spin's `send`, a native client): WeChat today, object storage and the
//! chat relay later.

use crate::sendable::{BoxFuture, MaybeSend};

pub trait HttpClient: MaybeSend {
    /// Sends a request with a complete body and returns the complete response.
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, anyhow::Result<http::Response<Vec<u8>>>>;
}
