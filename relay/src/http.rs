//! Outbound HTTP of the native processes (the server, the relay): reqwest with rustls.

use std::time::Duration;

use zudui_shared::outbound::HttpClient;
use zudui_shared::sendable::BoxFuture;

pub struct NativeHttp(reqwest::Client);

impl NativeHttp {
    pub fn new() -> anyhow::Result<NativeHttp> {
        Ok(NativeHttp(
            reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .connect_timeout(Duration::from_secs(5))
                .build()?,
        ))
    }
}

impl HttpClient for NativeHttp {
    fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> BoxFuture<'_, anyhow::Result<http::Response<Vec<u8>>>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                // URLs may carry credentials (WeChat's secret): errors never show them.
                .map_err(|e| e.without_url())?;
            let mut out = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                out = out.header(name, value);
            }
            let body = response.bytes().await.map_err(|e| e.without_url())?;
            Ok(out.body(body.to_vec())?)
        })
    }
}
