//! `multipart/form-data` as `wx.uploadFile` sends it: text fields plus one file part.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::Stream;

use crate::body::{ByteStream, Request};
use crate::error::{Code, Error, Result};
use crate::params::Params;

/// Bytes all text fields of a form may hold together (names and values; what comes after the
/// file counts too): they are kept in memory while the file streams.
pub const FIELDS_LIMIT: usize = 64 * 1024;
/// Text fields a form may have.
pub const FIELDS_MAX: usize = 64;
/// Room for the form fields and part headers around the file.
pub const FORM_OVERHEAD: u64 = 1 << 20;

/// A form read into memory: for small files such as pictures.
pub struct Upload {
    pub fields: Params,
    pub file: Option<FilePart>,
}

pub struct FilePart {
    pub file_name: Option<String>,
    pub data: Bytes,
}

/// A form being read: multer's parser over the request body, metered (see [`Metered`]).
pub struct Form {
    parts: multer::Multipart<'static>,
    meter: Arc<Meter>,
}

impl Form {
    /// The next part. What comes before its data (a preamble, the boundary, the part's headers)
    /// may take at most [`FORM_OVERHEAD`] bytes: the parser holds framing in memory until it is
    /// complete, so only the parts' data may be long.
    pub async fn next_field(&mut self) -> multer::Result<Option<multer::Field<'static>>> {
        let delivered = self.meter.delivered.load(Ordering::Relaxed);
        let budget = delivered.saturating_add(FORM_OVERHEAD);
        self.meter.budget.store(budget, Ordering::Relaxed);
        let next = self.parts.next_field().await;
        self.meter.budget.store(u64::MAX, Ordering::Relaxed);
        next
    }
}

/// The multipart parser over the request body; 104 when the body is not `multipart/form-data`.
pub fn parser(req: Request, max_body: u64) -> Result<Form> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Error::with_message(Code::TooLarge, "请求体应为 multipart/form-data"))?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max_body));
    let meter = Arc::new(Meter {
        delivered: AtomicU64::new(0),
        budget: AtomicU64::new(u64::MAX),
    });
    let body = Metered {
        inner: req.into_body().into_stream(),
        meter: meter.clone(),
        just_delivered: false,
    };
    let parts = multer::Multipart::with_constraints(body, boundary, constraints);
    Ok(Form { parts, meter })
}

/// Bytes of the body handed to the parser, and how many it may have before it is refused.
struct Meter {
    delivered: AtomicU64,
    budget: AtomicU64,
}

/// The body as the parser reads it: counted against the [`Meter`]'s budget (the chunk that
/// crosses it still goes through, the next is refused with [`FramingTooLarge`]), one chunk per
/// poll. multer 3.1 reads on while the stream is ready: from a fast client, or a host that holds
/// the body (Spin), it would take megabytes into its buffer at once, past the framing budget
/// while the part it parses is small. A wake-up after each chunk makes it parse what it has
/// first; that also keeps it from giving up, while it looks for the first boundary, on a read
/// that reaches the end without searching what that read brought (rwf2/multer#70).
struct Metered {
    inner: Pin<Box<dyn ByteStream>>,
    meter: Arc<Meter>,
    just_delivered: bool,
}

impl Stream for Metered {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let meter = &self.meter;
        if meter.delivered.load(Ordering::Relaxed) > meter.budget.load(Ordering::Relaxed) {
            return Poll::Ready(Some(Err(std::io::Error::other(FramingTooLarge))));
        }
        if self.just_delivered {
            self.just_delivered = false;
            crate::wake::soon(cx);
            return Poll::Pending;
        }
        let next = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &next {
            self.meter
                .delivered
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            self.just_delivered = true;
        }
        next
    }
}

/// A form whose framing passed [`FORM_OVERHEAD`].
#[derive(Debug, thiserror::Error)]
#[error("multipart framing over {FORM_OVERHEAD} bytes")]
struct FramingTooLarge;

/// Maps parser failures to the client's fault: a cut-off stream, a broken form or a body too large.
pub fn form_error(err: multer::Error) -> Error {
    match err {
        multer::Error::StreamSizeExceeded { .. } => {
            Error::with_message(Code::TooLarge, "上传内容过大")
        }
        multer::Error::StreamReadFailed(e) if is_framing(&*e) => {
            Error::with_message(Code::TooLarge, "multipart 分段头过大")
        }
        multer::Error::StreamReadFailed(e) => {
            Error::with_message(Code::BadParam, format!("请求体读取失败: {e}"))
        }
        other => Error::with_message(Code::BadParam, format!("multipart 格式错误: {other}")),
    }
}

fn is_framing(err: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    let io = err.downcast_ref::<std::io::Error>();
    io.and_then(|io| io.get_ref())
        .is_some_and(|inner| inner.is::<FramingTooLarge>())
}

/// [`form_error`], but a body over the whole-form limit is `too_large`: in a form of one small
/// file, that is the file being too large, however its bytes arrived.
fn sized(too_large: Code) -> impl Fn(multer::Error) -> Error {
    move |err| match err {
        multer::Error::StreamSizeExceeded { .. } => Error::with_message(too_large, "上传内容过大"),
        other => form_error(other),
    }
}

/// Reads a whole form whose file part is named `file_field` and holds at most `file_limit` bytes;
/// a larger file is `too_large`. Other file parts are skipped.
pub async fn read_small(
    req: Request,
    file_field: &str,
    file_limit: usize,
    too_large: Code,
) -> Result<Upload> {
    let mut form = parser(req, file_limit as u64 + FORM_OVERHEAD)?;
    let mut fields = TextFields::default();
    let mut file = None;
    while let Some(mut field) = form.next_field().await.map_err(sized(too_large))? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        if name == file_field && file.is_none() {
            let file_name = field.file_name().map(str::to_owned);
            let data = read_field(&mut field, file_limit, too_large).await?;
            file = Some(FilePart { file_name, data });
        } else if is_file {
            while field.chunk().await.map_err(sized(too_large))?.is_some() {}
        } else {
            fields.read(&mut field).await?;
        }
    }
    Ok(Upload {
        fields: Params::from_pairs(fields.pairs),
        file,
    })
}

/// The text fields of a form, read within [`FIELDS_LIMIT`] bytes and [`FIELDS_MAX`] fields in
/// all (104 past either).
#[derive(Default)]
pub struct TextFields {
    pub pairs: Vec<(String, String)>,
    bytes: usize,
    count: usize,
}

impl TextFields {
    /// Fields known before the form (query parameters), kept without counting.
    pub fn starting_with(pairs: Vec<(String, String)>) -> TextFields {
        TextFields {
            pairs,
            ..TextFields::default()
        }
    }

    /// Reads one text field and keeps it.
    pub async fn read(&mut self, field: &mut multer::Field<'_>) -> Result<()> {
        let (name, value) = self.read_only(field).await?;
        self.pairs.push((name, value));
        Ok(())
    }

    /// Reads one text field, counting it against the form's allowance, without keeping it.
    pub async fn read_only(&mut self, field: &mut multer::Field<'_>) -> Result<(String, String)> {
        let name = field.name().unwrap_or_default().to_owned();
        self.count += 1;
        self.bytes += name.len();
        if self.count > FIELDS_MAX || self.bytes > FIELDS_LIMIT {
            return Err(self.too_many());
        }
        let left = FIELDS_LIMIT - self.bytes;
        let value = read_field(field, left, Code::TooLarge)
            .await
            .map_err(|err| match err.code() {
                Code::TooLarge => self.too_many(),
                _ => err,
            })?;
        self.bytes += value.len();
        let value = String::from_utf8(value.to_vec()).map_err(|_| Error::param(&name))?;
        Ok((name, value))
    }

    fn too_many(&self) -> Error {
        Error::with_message(
            Code::TooLarge,
            format!("表单文本字段最多 {FIELDS_MAX} 个、共 {FIELDS_LIMIT} 字节"),
        )
    }
}

/// A whole part of at most `limit` bytes; a longer one is `too_large`.
pub async fn read_field(
    field: &mut multer::Field<'_>,
    limit: usize,
    too_large: Code,
) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(sized(too_large))? {
        if buf.len() + chunk.len() > limit {
            return Err(Error::with_message(
                too_large,
                format!("{} 超过 {} 字节", field.name().unwrap_or("字段"), limit),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::Body;

    fn form(parts: &[(&str, Option<&str>, &[u8])]) -> Request {
        let mut body = Vec::new();
        for (name, file_name, data) in parts {
            body.extend_from_slice(b"--XyZ\r\n");
            match file_name {
                Some(f) => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                ),
                None => body.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                ),
            }
            body.extend_from_slice(data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"--XyZ--\r\n");
        http::Request::builder()
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(Body::from(body))
            .unwrap()
    }

    #[tokio::test]
    async fn reads_fields_and_the_named_file() {
        let req = form(&[
            ("group_id", None, b"12"),
            ("other", Some("x.bin"), b"ignored"),
            ("pic", Some("a.png"), b"PNGDATA"),
        ]);
        let up = read_small(req, "pic", 100, Code::BadPicture).await.unwrap();
        assert_eq!(up.fields.id::<i64>("group_id").unwrap(), 12);
        let file = up.file.unwrap();
        assert_eq!(&file.data[..], b"PNGDATA");
        assert_eq!(file.file_name.as_deref(), Some("a.png"));
    }

    #[tokio::test]
    async fn refuses_large_files_and_non_multipart_bodies() {
        let req = form(&[("pic", Some("a.png"), &[0u8; 200])]);
        let err = read_small(req, "pic", 100, Code::BadPicture)
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), Code::BadPicture);

        let req = http::Request::builder()
            .header("content-type", "application/json")
            .body(Body::from(b"{}".to_vec()))
            .unwrap();
        let err = read_small(req, "pic", 100, Code::BadPicture)
            .await
            .err()
            .unwrap();
        assert_eq!(err.code(), Code::TooLarge);
    }

    /// A body that is all there at once (a fast client; Spin holds the request's body): the
    /// parser must not take the file's megabytes as the framing of the part before it.
    #[tokio::test]
    async fn a_body_ready_at_once_is_read_part_by_part() {
        let file = vec![7u8; FORM_OVERHEAD as usize * 2];
        let whole = form(&[("group_id", None, b"12"), ("pic", Some("a.bin"), &file)]);
        let bytes = whole.into_body().into_stream();
        let chunks: Vec<_> = futures_util::StreamExt::collect::<Vec<_>>(bytes).await;
        let joined: Vec<u8> = chunks.into_iter().flat_map(|c| c.unwrap()).collect();
        let ready = futures_util::stream::iter(
            joined
                .chunks(16 << 10)
                .map(|c| Ok(Bytes::copy_from_slice(c)))
                .collect::<Vec<_>>(),
        );
        let req = http::Request::builder()
            .header("content-type", "multipart/form-data; boundary=XyZ")
            .body(Body::stream(ready))
            .unwrap();
        let up = read_small(req, "pic", file.len(), Code::BadPicture)
            .await
            .unwrap();
        assert_eq!(up.fields.id::<i64>("group_id").unwrap(), 12);
        assert_eq!(up.file.unwrap().data.len(), file.len());
    }
}
