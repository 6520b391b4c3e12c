//! Downloads: the file streamed chunk by chunk with its validator, a `Content-Disposition` that
//! carries any UTF-8 name, and single byte ranges (206, or 416 when unsatisfiable). A request for
//! several ranges gets the whole file, as HTTP allows. A file that object storage holds as one
//! object is not streamed: the answer is a redirect to a short-lived signed link to it, so its
//! bytes never pass through the function.

use std::time::Duration;

use http::{header, HeaderMap, HeaderValue, StatusCode};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::json;

use crate::app::App;
use crate::body::{Body, Response};
use crate::db::group_files::{Content, Entry, Thumbnail};
use crate::error::{Code, Error, Result};
use crate::imaging::etag_matches;
use crate::storage::{ChunkKey, Sql};

use super::{content, thumbnails};

/// The content of a group entry; 345 for a folder.
pub fn content_of(entry: &Entry) -> Result<&Content> {
    entry
        .content
        .as_ref()
        .ok_or_else(|| Error::new(Code::FolderDownload))
}

/// The response for a download of file `name`, honouring `Range`, `If-Range` and
/// `If-None-Match` in `headers`.
pub fn file(app: &App, headers: &HeaderMap, name: &str, file: &Content) -> Result<Response> {
    let len = file.size as u64;
    if header_str(headers, header::IF_NONE_MATCH).is_some_and(|v| etag_matches(v, &file.etag)) {
        return Ok(described(
            Response::new(Body::empty()),
            StatusCode::NOT_MODIFIED,
            file,
            name,
        ));
    }
    if let Some(link) = direct_link(app, name, file) {
        return Ok(redirect(&link, file));
    }
    let range = match requested_range(headers, file) {
        Requested::Whole => None,
        Requested::Range(start, end) => Some((start, end)),
        Requested::Unsatisfiable => return Ok(unsatisfiable(len)),
    };
    let (start, end) = range.unwrap_or((0, len.saturating_sub(1)));
    let body = match len {
        0 => Body::empty(),
        _ => Body::stream(content::read(
            app.chunks.clone(),
            file.blob.clone(),
            file.chunk_size as u64,
            start..end + 1,
        )),
    };
    let mut res = Response::new(body);
    let status = match range {
        Some(_) => {
            res.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes {start}-{end}/{len}")),
            );
            StatusCode::PARTIAL_CONTENT
        }
        None => StatusCode::OK,
    };
    let served = if len == 0 { 0 } else { end + 1 - start };
    res.headers_mut()
        .insert(header::CONTENT_LENGTH, header_value(&served.to_string()));
    Ok(described(res, status, file, name))
}

/// How long a download link works: it is followed at once.
const LINK_LIFETIME: Duration = Duration::from_secs(300);

/// A signed link to the file in object storage, when it is one object there (an upload straight
/// to the store, or one no larger than a chunk).
fn direct_link(app: &App, name: &str, file: &Content) -> Option<String> {
    let direct = app.chunks.direct()?;
    if file.size <= 0 || file.size > file.chunk_size {
        return None;
    }
    let object = ChunkKey::Chunk(&file.blob, 0);
    let disposition = disposition(name);
    let disposition = disposition.to_str().unwrap_or("attachment");
    Some(direct.download_link(object, &file.content_type, disposition, LINK_LIFETIME))
}

/// `302 Found` to `link`, which no cache may keep (it is signed, and expires), with the file's
/// validator for the next `If-None-Match`.
fn redirect(link: &str, file: &Content) -> Response {
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::FOUND;
    let headers = res.headers_mut();
    headers.insert(header::LOCATION, header_value(link));
    headers.insert(header::ETAG, header_value(&file.etag));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The thumbnail of a file as a JPEG; `none` when it has none. `record` keeps the state of a
/// thumbnail made now in the file's row.
pub async fn thumbnail(
    app: &App,
    file: &Content,
    none: Code,
    record: impl FnOnce(&dyn Sql, Thumbnail) -> anyhow::Result<u64>,
) -> Result<Response> {
    let jpeg = thumbnails::get(app, file, none, record).await?;
    let mut res = Response::new(Body::from(jpeg));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    Ok(res)
}

enum Requested {
    Whole,
    Range(u64, u64),
    Unsatisfiable,
}

fn requested_range(headers: &HeaderMap, file: &Content) -> Requested {
    let Some(raw) = header_str(headers, header::RANGE) else {
        return Requested::Whole;
    };
    // A range against an older version of the file is answered with the current whole file.
    if header_str(headers, header::IF_RANGE).is_some_and(|v| v.trim() != file.etag) {
        return Requested::Whole;
    }
    // A malformed header is ignored, as RFC 9110 asks.
    let Ok(parsed) = http_range_header::parse_range_header(raw) else {
        return Requested::Whole;
    };
    match parsed.validate(file.size as u64) {
        Ok(ranges) if ranges.len() == 1 => Requested::Range(*ranges[0].start(), *ranges[0].end()),
        Ok(_) => Requested::Whole,
        Err(_) => Requested::Unsatisfiable,
    }
}

fn unsatisfiable(len: u64) -> Response {
    let body = json!({ "code": Code::BadParam.number(), "errorMsg": "请求的范围超出文件大小" });
    let mut res = crate::routes::json_response(StatusCode::RANGE_NOT_SATISFIABLE, &body);
    res.headers_mut().insert(
        header::CONTENT_RANGE,
        header_value(&format!("bytes */{len}")),
    );
    res
}

/// Headers every answer about a file carries. The content is never rendered in the API's origin.
fn described(mut res: Response, status: StatusCode, file: &Content, name: &str) -> Response {
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, header_value(&file.content_type));
    headers.insert(header::ETAG, header_value(&file.etag));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(header::CONTENT_DISPOSITION, disposition(name));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    // Tokens ride in the URL of downloads: shared caches must not keep them.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    res
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187).
pub fn disposition(name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' && c != '%' => c,
            _ => '_',
        })
        .collect();
    let exact = utf8_percent_encode(name, NON_ALPHANUMERIC);
    header_value(&format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}"
    ))
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Every value built here is visible ASCII; a failure would be a bug, so it degrades to empty.
fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_keeps_utf8_names_and_a_safe_fallback() {
        let v = disposition("报告 \"终\".pdf");
        let v = v.to_str().unwrap();
        assert!(v.starts_with("attachment; filename=\"__ ___.pdf\"; filename*=UTF-8''"));
        assert!(v.contains("%E6%8A%A5"));
        assert!(!v[v.find("filename*").unwrap()..].contains('"'));
    }
}
