//! `multipart/form-data` as `wx.uploadFile` sends it: text fields plus one file part.

use bytes::{Bytes, BytesMut};

use crate::body::Request;
use crate::error::{Code, Error, Result};
use crate::params::Params;

/// Largest text field of a form.
pub const FIELD_LIMIT: usize = 64 * 1024;
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

/// The multipart parser over the request body; 104 when the body is not `multipart/form-data`.
pub fn parser(req: Request, max_body: u64) -> Result<multer::Multipart<'static>> {
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| Error::with_message(Code::TooLarge, "请求体应为 multipart/form-data"))?;
    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max_body));
    Ok(multer::Multipart::with_constraints(
        req.into_body().into_stream(),
        boundary,
        constraints,
    ))
}

/// Maps parser failures to the client's fault: a cut-off stream, a broken form or a body too large.
pub fn form_error(err: multer::Error) -> Error {
    match err {
        multer::Error::StreamSizeExceeded { .. } => {
            Error::with_message(Code::TooLarge, "上传内容过大")
        }
        multer::Error::StreamReadFailed(e) => {
            Error::with_message(Code::BadParam, format!("请求体读取失败: {e}"))
        }
        other => Error::with_message(Code::BadParam, format!("multipart 格式错误: {other}")),
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
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(mut field) = form.next_field().await.map_err(form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some();
        if name == file_field && file.is_none() {
            let file_name = field.file_name().map(str::to_owned);
            let data = read_field(&mut field, file_limit, too_large).await?;
            file = Some(FilePart { file_name, data });
        } else if is_file {
            while field.chunk().await.map_err(form_error)?.is_some() {}
        } else {
            fields.push((name, text_field(&mut field).await?));
        }
    }
    Ok(Upload {
        fields: Params::from_pairs(fields),
        file,
    })
}

/// A text field of the form (at most [`FIELD_LIMIT`] bytes of UTF-8).
pub async fn text_field(field: &mut multer::Field<'_>) -> Result<String> {
    let name = field.name().unwrap_or_default().to_owned();
    let value = read_field(field, FIELD_LIMIT, Code::TooLarge).await?;
    String::from_utf8(value.to_vec()).map_err(|_| Error::param(&name))
}

/// A whole part of at most `limit` bytes; a longer one is `too_large`.
pub async fn read_field(
    field: &mut multer::Field<'_>,
    limit: usize,
    too_large: Code,
) -> Result<Bytes> {
    let mut buf = BytesMut::new();
    while let Some(chunk) = field.chunk().await.map_err(form_error)? {
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
        assert_eq!(up.fields.id("group_id").unwrap(), 12);
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
}
