//! Chunks as objects in S3-compatible storage (AWS S3, Tencent COS, Cloudflare R2, MinIO), for
//! deployments whose key-value store is too small for files. Requests are signed here (rusty-s3,
//! sans-IO, so it works in wasm) and sent through the host's outbound HTTP.

use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use percent_encoding::utf8_percent_encode;
use rusty_s3::actions::{DeleteObjectsResponse, ObjectIdentifier};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use super::chunks::slice;
use super::direct::{Adopted, Policy, UploadForm};
use super::{ChunkKey, ChunkStore, Direct};
use crate::outbound::HttpClient;
use crate::sendable::BoxFuture;

/// Larger objects mean fewer requests; a resumable upload's part is a whole number of them.
pub const S3_CHUNK_SIZE: usize = 8_000_000;
/// Signed URLs are used at once; a short life keeps a leaked one useless.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(300);

/// Where the objects go.
#[derive(Clone)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
    /// `https://endpoint/bucket/key` (MinIO, most self-hosted servers) rather than
    /// `https://bucket.endpoint/key` (AWS, COS, R2 all accept the latter).
    pub path_style: bool,
    /// Prepended to every object key, so that one bucket can serve several deployments.
    pub prefix: String,
    /// Whether clients reach the bucket themselves: direct uploads and download links (the
    /// bucket's host must then be among the mini-program's uploadFile and downloadFile domains).
    pub direct: bool,
}

impl std::fmt::Debug for S3Settings {
    // The secret key never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .field("direct", &self.direct)
            .finish_non_exhaustive()
    }
}

pub struct S3Chunks {
    client: Arc<Client>,
    /// [`S3Settings::direct`].
    direct: bool,
}

struct Client {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    http: Arc<dyn HttpClient>,
}

impl S3Chunks {
    pub fn new(settings: &S3Settings, http: Arc<dyn HttpClient>) -> anyhow::Result<S3Chunks> {
        Ok(S3Chunks {
            client: Arc::new(Client {
                bucket: bucket(settings)?,
                credentials: Credentials::new(&settings.access_key, &settings.secret_key),
                prefix: settings.prefix.clone(),
                http,
            }),
            direct: settings.direct,
        })
    }

    /// The client and the object key, for a request's future to own.
    fn object(&self, key: ChunkKey<'_>) -> (Arc<Client>, String) {
        (
            self.client.clone(),
            format!("{}{}", self.client.prefix, key.path()),
        )
    }
}

/// The bucket of the settings, whose URLs every request uses: `https://endpoint/bucket/` in path
/// style, `https://bucket.endpoint/` otherwise (what `allowed_outbound_hosts` must list).
pub fn bucket(settings: &S3Settings) -> anyhow::Result<Bucket> {
    let endpoint = settings
        .endpoint
        .parse()
        .map_err(|e| anyhow::anyhow!("s3_endpoint is not a URL: {e}"))?;
    let style = match settings.path_style {
        true => UrlStyle::Path,
        false => UrlStyle::VirtualHost,
    };
    Bucket::new(
        endpoint,
        style,
        settings.bucket.clone(),
        settings.region.clone(),
    )
    .map_err(|e| anyhow::anyhow!("s3 bucket settings: {e}"))
}

/// Objects one DeleteObjects request may name (S3's limit).
const DELETE_BATCH: usize = 1000;

impl Client {
    /// Sends a signed request; the URL (which carries the signature) never appears in errors.
    async fn send(
        &self,
        method: http::Method,
        url: url::Url,
        object: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<http::Response<Vec<u8>>> {
        self.send_with(method, url, object, &[], body).await
    }

    /// [`send`](Client::send) with extra headers.
    async fn send_with(
        &self,
        method: http::Method,
        url: url::Url,
        object: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> anyhow::Result<http::Response<Vec<u8>>> {
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        // Spin's outbound HTTP streams a body without its length unless told, which S3 refuses
        // for some requests (DeleteObjects: 411).
        let request = request
            .header(http::header::CONTENT_LENGTH, body.len())
            .body(body)?;
        self.http
            .send(request)
            .await
            .map_err(|e| anyhow::anyhow!("s3 {method} {object}: {e:#}"))
    }
}

/// What a HEAD tells of an object.
struct Head {
    size: u64,
    etag: Option<String>,
}

impl Client {
    /// The object's size and validator; `None` when it does not exist.
    async fn head(&self, object: &str) -> anyhow::Result<Option<Head>> {
        let url = self
            .bucket
            .head_object(Some(&self.credentials), object)
            .sign(SIGNATURE_LIFETIME);
        let res = self
            .send(http::Method::HEAD, url, object, Vec::new())
            .await?;
        let header = |name| res.headers().get(name).and_then(|v| v.to_str().ok());
        match res.status() {
            s if s.is_success() => Ok(Some(Head {
                size: header(http::header::CONTENT_LENGTH)
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("s3 HEAD {object}: no Content-Length"))?,
                etag: header(http::header::ETAG).map(str::to_owned),
            })),
            http::StatusCode::NOT_FOUND => Ok(None),
            _ => Err(failed("HEAD", object, &res)),
        }
    }

    /// CopyObject of `source` to `target`, only while `source` has validator `etag`.
    async fn copy(
        &self,
        source: &str,
        etag: Option<&str>,
        target: &str,
    ) -> anyhow::Result<Adopted> {
        let from = format!("/{}/{}", self.bucket.name(), source);
        let from = utf8_percent_encode(&from, KEY_ENCODE).to_string();
        let mut headers = vec![("x-amz-copy-source", from)];
        headers.extend(etag.map(|e| ("x-amz-copy-source-if-match", e.to_owned())));
        let mut action = self.bucket.put_object(Some(&self.credentials), target);
        for (name, value) in &headers {
            action.headers_mut().insert(*name, value.as_str());
        }
        let url = action.sign(SIGNATURE_LIFETIME);
        let res = self
            .send_with(http::Method::PUT, url, target, &headers, Vec::new())
            .await?;
        // A copy that fails after it began answers 200 with an error document.
        let error = String::from_utf8_lossy(res.body()).contains("<Error>");
        match res.status() {
            s if s.is_success() && !error => Ok(Adopted::Copied),
            http::StatusCode::PRECONDITION_FAILED => Ok(Adopted::Changed),
            http::StatusCode::NOT_FOUND => Ok(Adopted::Missing),
            _ => Err(failed("CopyObject", target, &res)),
        }
    }
}

/// What a copy source's key keeps as it is: the rest is percent-encoded.
const KEY_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn failed(method: &str, object: &str, res: &http::Response<Vec<u8>>) -> anyhow::Error {
    let detail = String::from_utf8_lossy(&res.body()[..res.body().len().min(300)]).into_owned();
    anyhow::anyhow!("s3 {method} {object}: HTTP {}: {detail}", res.status())
}

impl S3Chunks {
    /// A GET of the object, or of a non-empty `range` of it.
    fn read(
        &self,
        key: ChunkKey<'_>,
        range: Option<Range<u64>>,
    ) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        let (client, object) = self.object(key);
        Box::pin(async move {
            let url = client
                .bucket
                .get_object(Some(&client.credentials), &object)
                .sign(SIGNATURE_LIFETIME);
            let wanted: Vec<_> = range
                .iter()
                .map(|r| ("range", format!("bytes={}-{}", r.start, r.end - 1)))
                .collect();
            let res = client
                .send_with(http::Method::GET, url, &object, &wanted, Vec::new())
                .await?;
            match (res.status(), range) {
                (http::StatusCode::PARTIAL_CONTENT, _) => Ok(Some(Bytes::from(res.into_body()))),
                // A server that ignores ranges sends it all.
                (s, Some(range)) if s.is_success() => {
                    Ok(Some(slice(&Bytes::from(res.into_body()), range)))
                }
                (s, None) if s.is_success() => Ok(Some(Bytes::from(res.into_body()))),
                // The object ends before the range starts.
                (http::StatusCode::RANGE_NOT_SATISFIABLE, _) => Ok(Some(Bytes::new())),
                (http::StatusCode::NOT_FOUND, _) => Ok(None),
                _ => Err(failed("GET", &object, &res)),
            }
        })
    }
}

impl ChunkStore for S3Chunks {
    fn chunk_size(&self) -> usize {
        S3_CHUNK_SIZE
    }

    fn put(&self, key: ChunkKey<'_>, data: Bytes) -> BoxFuture<'static, anyhow::Result<()>> {
        let (client, object) = self.object(key);
        Box::pin(async move {
            let url = client
                .bucket
                .put_object(Some(&client.credentials), &object)
                .sign(SIGNATURE_LIFETIME);
            let res = client
                .send(http::Method::PUT, url, &object, data.to_vec())
                .await?;
            match res.status().is_success() {
                true => Ok(()),
                false => Err(failed("PUT", &object, &res)),
            }
        })
    }

    fn get(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        self.read(key, None)
    }

    /// A ranged GET: a download of a file stored as one object reads only what it sends.
    fn get_range(
        &self,
        key: ChunkKey<'_>,
        range: Range<u64>,
    ) -> BoxFuture<'static, anyhow::Result<Option<Bytes>>> {
        if range.is_empty() {
            // No range names no bytes; reading one tells whether the object is there.
            let probe = self.read(key, Some(range.start..range.start + 1));
            return Box::pin(async move { Ok(probe.await?.map(|_| Bytes::new())) });
        }
        self.read(key, Some(range))
    }

    fn direct(&self) -> Option<&dyn Direct> {
        self.direct.then_some(self as &dyn Direct)
    }

    fn delete(&self, key: ChunkKey<'_>) -> BoxFuture<'static, anyhow::Result<()>> {
        let (client, object) = self.object(key);
        Box::pin(async move {
            let url = client
                .bucket
                .delete_object(Some(&client.credentials), &object)
                .sign(SIGNATURE_LIFETIME);
            let res = client
                .send(http::Method::DELETE, url, &object, Vec::new())
                .await?;
            match res.status() {
                s if s.is_success() || s == http::StatusCode::NOT_FOUND => Ok(()),
                _ => Err(failed("DELETE", &object, &res)),
            }
        })
    }

    /// One DeleteObjects request per thousand objects: a sweep of many chunks costs the
    /// platform's outbound-request budget (Fermyon Cloud: 500 an hour) one request, not one per
    /// object.
    fn delete_all(&self, keys: &[ChunkKey<'_>]) -> BoxFuture<'static, anyhow::Result<()>> {
        let client = self.client.clone();
        let objects: Vec<ObjectIdentifier> = keys
            .iter()
            .map(|key| ObjectIdentifier::new(format!("{}{}", client.prefix, key.path())))
            .collect();
        Box::pin(async move {
            for batch in objects.chunks(DELETE_BATCH) {
                let mut action = client
                    .bucket
                    .delete_objects(Some(&client.credentials), batch.iter());
                action.set_quiet(true);
                let url = action.sign(SIGNATURE_LIFETIME);
                let (body, md5) = action.body_with_md5();
                let what = format!("{} objects from {}", batch.len(), batch[0].key);
                let headers = [("content-md5", md5)];
                let res = client
                    .send_with(http::Method::POST, url, &what, &headers, body.into_bytes())
                    .await?;
                if !res.status().is_success() {
                    return Err(failed("DeleteObjects", &what, &res));
                }
                let answer = String::from_utf8_lossy(res.body());
                let answer = DeleteObjectsResponse::parse(&answer)
                    .map_err(|e| anyhow::anyhow!("s3 DeleteObjects {what}: {e}"))?;
                // A missing object is deleted already.
                if let Some(err) = answer.errors.iter().find(|e| e.code != "NoSuchKey") {
                    anyhow::bail!("s3 DeleteObjects {}: {} {}", err.key, err.code, err.message);
                }
            }
            Ok(())
        })
    }
}

impl Direct for S3Chunks {
    fn adopt(
        &self,
        posted: ChunkKey<'_>,
        to: ChunkKey<'_>,
        size: u64,
    ) -> BoxFuture<'static, anyhow::Result<Adopted>> {
        let (client, source) = self.object(posted);
        let (_, target) = self.object(to);
        Box::pin(async move {
            let Some(head) = client.head(&source).await? else {
                return Ok(Adopted::Missing);
            };
            if head.size != size {
                return Ok(Adopted::Size(head.size));
            }
            client.copy(&source, head.etag.as_deref(), &target).await
        })
    }

    fn upload_form(&self, key: ChunkKey<'_>, size: u64, lifetime: Duration) -> UploadForm {
        let (client, object) = self.object(key);
        let now = chrono::DateTime::from_timestamp(crate::time::now(), 0).unwrap_or_default();
        Policy {
            url: client.bucket.base_url().as_str(),
            bucket: client.bucket.name(),
            region: client.bucket.region(),
            access_key: client.credentials.key(),
            secret_key: client.credentials.secret(),
            key: &object,
            size,
            now,
            lifetime,
        }
        .form()
    }

    fn download_link(
        &self,
        key: ChunkKey<'_>,
        content_type: &str,
        disposition: &str,
        lifetime: Duration,
    ) -> String {
        let (client, object) = self.object(key);
        let mut action = client.bucket.get_object(Some(&client.credentials), &object);
        // Objects are stored untyped (or, written through the API, with no type at all): the
        // link names what the server found.
        let query = action.query_mut();
        query.insert("response-content-type", content_type);
        query.insert("response-content-disposition", disposition);
        action.sign(lifetime).to_string()
    }
}
