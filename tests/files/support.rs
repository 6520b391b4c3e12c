//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::{chat, files, group};
pub use std::sync::{Arc, Mutex};
pub use std::time::{Duration, Instant};
// A `wx.uploadFile` form for the group file space.
pub use crate::common::group_file_form as file_form;
pub use crate::common::{
    admit, create_group, encode, mkdir, png, sorted_keys, splitmix64, upload_call_fails, user,
    with_exif, Options, Server, User,
};
pub use reqwest::multipart::{Form, Part};
pub use reqwest::StatusCode;
pub use serde_json::{json, Value};
pub use sha2::{Digest, Sha256};
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes per part of a resumable upload.
pub const PART_SIZE: u64 = 8_000_000;
/// Bytes per chunk in the key-value store.
pub const CHUNK: usize = 1_000_000;

pub const MP3_3S: &[u8] = include_bytes!("../fixtures/tone-3s.mp3");
pub const MP4_2S: &[u8] = include_bytes!("../fixtures/clip-2s.mp4");
pub const MP4_2S_MOOV_AT_END: &[u8] = include_bytes!("../fixtures/clip-2s-moov-at-end.mp4");

// ---------------------------------------------------------------------------------------------
// Users and groups
// ---------------------------------------------------------------------------------------------

/// A group with its creator, an admin, two plain members and an outsider.
pub struct Team {
    pub group: i64,
    pub creator: User,
    pub admin: User,
    pub member: User,
    pub member2: User,
    pub outsider: User,
}

pub async fn team(server: &Server, prefix: &str) -> Team {
    let creator = user(server, &format!("{prefix}-creator")).await;
    let admin = user(server, &format!("{prefix}-admin")).await;
    let member = user(server, &format!("{prefix}-member")).await;
    let member2 = user(server, &format!("{prefix}-member2")).await;
    let outsider = user(server, &format!("{prefix}-outsider")).await;
    let group = create_group(server, &creator, &format!("{prefix} 文件")).await;
    for who in [&admin, &member, &member2] {
        admit(server, &creator, who, group).await;
    }
    let res = server
        .ok(
            group::SWITCH_ADMIN,
            &creator.token,
            json!({ "group_id": group, "user_id": admin.id }),
        )
        .await;
    assert_eq!(res["is_admin"], true);
    Team {
        group,
        creator,
        admin,
        member,
        member2,
        outsider,
    }
}

// ---------------------------------------------------------------------------------------------
// Files and folders
// ---------------------------------------------------------------------------------------------

/// Sends a multipart upload; returns the status and the JSON answer.
pub async fn send_form(server: &Server, token: Option<&str>, form: Form) -> (u16, Value) {
    server.send_form(files::UPLOAD, token, form).await
}

pub fn assert_form_ok(status: u16, res: &Value) {
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    assert_eq!(res["msg"], "success", "{res}");
    assert!(res["file_id"].as_i64().is_some_and(|id| id > 0), "{res}");
}

pub fn assert_fails(status: u16, res: &Value, code: u16, want_status: u16) {
    assert_eq!(res["code"], json!(code), "{res}");
    assert_eq!(status, want_status, "{res}");
    assert!(
        res["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{res}"
    );
}

/// An upload that must fail with `code` and `status`.
pub async fn upload_fails(
    server: &Server,
    who: Option<&str>,
    form: Form,
    code: u16,
    status: u16,
) -> Value {
    let (got, res) = send_form(server, who, form).await;
    assert_fails(got, &res, code, status);
    res
}

/// `who` uploads a small text file `name` at the root; returns its id.
pub async fn text_file(server: &Server, who: &User, group: i64, name: &str) -> i64 {
    server
        .upload_file_into(who, group, None, name, text_bytes(8))
        .await
}

pub async fn names(server: &Server, who: &User, group: i64, parent: Option<i64>) -> Vec<String> {
    server
        .list_folder(who, group, parent)
        .await
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_owned())
        .collect()
}

pub async fn entry_named(
    server: &Server,
    who: &User,
    group: i64,
    parent: Option<i64>,
    name: &str,
) -> Value {
    let entries = server.list_folder(who, group, parent).await;
    entries
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {entries:?}"))
        .clone()
}

/// A download request with extra headers.
pub async fn download(
    server: &Server,
    token: &str,
    group: i64,
    file: i64,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = server.client.get(server.url(files::DOWNLOAD)).query(&[
        ("token", token),
        ("group_id", &group.to_string()),
        ("file_id", &file.to_string()),
    ]);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.expect("download")
}

/// The whole body of a successful download.
pub async fn download_bytes(server: &Server, who: &User, group: i64, file: i64) -> Vec<u8> {
    let res = download(server, &who.token, group, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.expect("body").to_vec()
}

pub async fn thumbnail(server: &Server, who: &User, group: i64, file: i64) -> reqwest::Response {
    server
        .get(
            files::DOWNLOAD,
            &[
                ("token", &who.token),
                ("group_id", &group.to_string()),
                ("file_id", &file.to_string()),
                ("thumbnail", "1"),
            ],
        )
        .await
}

/// A thumbnail that must exist: its bytes, decoded as a JPEG.
pub async fn thumbnail_jpeg(
    server: &Server,
    who: &User,
    group: i64,
    file: i64,
) -> (Vec<u8>, image::DynamicImage) {
    let res = thumbnail(server, who, group, file).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    let bytes = res.bytes().await.expect("thumbnail").to_vec();
    assert_eq!(
        image::guess_format(&bytes).expect("a picture"),
        image::ImageFormat::Jpeg
    );
    let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
        .expect("a decodable JPEG");
    (bytes, img)
}

/// A failed GET's JSON answer (status, body).
pub async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer: {text}"));
    (status, value)
}

pub async fn get_fails(res: reqwest::Response, code: u16, status: u16) {
    let (got, value) = json_of(res).await;
    assert_fails(got, &value, code, status);
}

pub fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", res.headers()))
        .to_str()
        .expect("ASCII header")
        .to_owned()
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn is_time(value: &Value) -> bool {
    let Some(t) = value.as_str() else {
        return false;
    };
    let b = t.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'/',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Bytes that no magic-byte sniffer recognises.
pub fn text_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"plain text\n"[i % 11]).collect()
}

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random bytes: byte `i` is byte `i % 8` of splitmix64(i / 8), so any slice
// can be made on its own (for checking ranges) and a whole file streamed without keeping it.
// ---------------------------------------------------------------------------------------------

pub fn gen_bytes(offset: u64, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let end = offset + len as u64;
    let mut i = offset;
    while i < end {
        let word = splitmix64(i / 8).to_le_bytes();
        let from = (i % 8) as usize;
        let take = (8 - from).min((end - i) as usize);
        out.extend_from_slice(&word[from..from + take]);
        i += take as u64;
    }
    out
}

/// `len` generated bytes as a stream of 256 KiB pieces, fed to `hasher` as they go.
pub fn generated(
    len: u64,
    hasher: Option<Arc<Mutex<Sha256>>>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
    const STEP: u64 = 256 * 1024;
    futures_util::stream::unfold(0u64, move |pos| {
        let hasher = hasher.clone();
        async move {
            if pos >= len {
                return None;
            }
            let n = STEP.min(len - pos);
            let piece = gen_bytes(pos, n as usize);
            if let Some(h) = hasher {
                h.lock().unwrap().update(&piece);
            }
            Some((Ok(piece), pos + n))
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Media
// ---------------------------------------------------------------------------------------------

/// A mono 16-bit PCM WAV of `seconds` seconds: a tone at `rate` samples a second.
pub fn wav(seconds: u32, rate: u32) -> Vec<u8> {
    let data_len = seconds * rate * 2;
    // The RIFF header, the 16-byte `fmt ` chunk, then the `data` chunk's head.
    let header: [&[u8]; 12] = [
        b"RIFF",
        &(36 + data_len).to_le_bytes(),
        b"WAVEfmt ",
        &16u32.to_le_bytes(),
        &1u16.to_le_bytes(),       // PCM
        &1u16.to_le_bytes(),       // mono
        &rate.to_le_bytes(),       // frames a second
        &(rate * 2).to_le_bytes(), // bytes a second
        &2u16.to_le_bytes(),       // bytes a frame
        &16u16.to_le_bytes(),      // bits a sample
        b"data",
        &data_len.to_le_bytes(),
    ];
    let mut out = header.concat();
    for i in 0..seconds * rate {
        let sample = ((i as f64 * 0.05).sin() * 8000.0) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A JPEG of `w`×`h` carrying an EXIF block with orientation 6 (rotate 90° clockwise).
pub fn jpeg_with_orientation_6(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200]));
    let jpeg = encode(
        image::DynamicImage::ImageRgb8(img),
        image::ImageFormat::Jpeg,
    );
    // Big-endian TIFF, one IFD entry: Orientation (0x0112), SHORT, count 1, value 6.
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes());
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    with_exif(&jpeg, &tiff)
}

/// An MP4 whose `moov` box lies after more than the first and last megabyte that the server
/// keeps for probing begin: a `free` box of `padding` bytes goes right after `ftyp`.
pub fn padded_after_ftyp(mp4: &[u8], padding: usize) -> Vec<u8> {
    assert_eq!(&mp4[4..8], b"ftyp");
    let ftyp_len = u32::from_be_bytes(mp4[..4].try_into().unwrap()) as usize;
    let mut out = mp4[..ftyp_len].to_vec();
    out.extend_from_slice(&((padding + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"free");
    out.resize(out.len() + padding, 0);
    out.extend_from_slice(&mp4[ftyp_len..]);
    out
}

// ---------------------------------------------------------------------------------------------
// The stores
// ---------------------------------------------------------------------------------------------

/// Messages stored in every chat room.
pub fn chat_messages(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM chat_messages")
}

pub fn count(server: &Server, sql: &str) -> i64 {
    server
        .sqlite()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every key of a file chunk or companion (`file/...`) in the chunk store, sorted.
pub fn file_keys(server: &Server) -> Vec<String> {
    server.stored_files()
}

pub fn file_rows(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM group_files")
}

pub fn pending_blobs(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM blob_pending")
}

/// The blob holding file `id`'s content.
pub fn blob_of(server: &Server, id: i64) -> String {
    server
        .sqlite()
        .query_row("SELECT blob FROM group_files WHERE id = ?", [id], |r| {
            r.get(0)
        })
        .expect("blob of file")
}

/// A file's validator: its blob's name, which no other content ever has.
pub fn etag_of(server: &Server, id: i64) -> String {
    format!("\"{}\"", blob_of(server, id))
}

pub fn chunk_keys_of(server: &Server, blob: &str) -> Vec<String> {
    file_keys(server)
        .into_iter()
        .filter(|k| k.starts_with(&format!("file/{blob}/")))
        .collect()
}

/// Waits (up to 5 s) until `done` holds; returns whether it did.
pub async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

/// Waits (up to 5 s) until the chunk store holds `keys` again and no blob is pending: nothing of
/// a refused upload is left.
pub async fn assert_nothing_left_but(server: &Server, keys: &[String]) {
    assert!(
        eventually(|| file_keys(server) == keys && pending_blobs(server) == 0).await,
        "left behind: {:?}, pending {}",
        file_keys(server),
        pending_blobs(server)
    );
}

pub fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// The start of a raw multipart upload request for a file part of `file_len` bytes: the request
/// head (with the Content-Length of the whole form), the `group_id` field and the file part's
/// headers, up to where the file's bytes begin.
pub fn raw_upload_head(server: &Server, token: &str, group: i64, file_len: usize) -> Vec<u8> {
    let boundary = "zudui-raw-boundary-7f3a";
    let before = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"group_id\"\r\n\r\n{group}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let after = format!("\r\n--{boundary}--\r\n");
    let total = before.len() + file_len + after.len();
    let head = format!(
        "POST {upload} HTTP/1.1\r\nHost: {}\r\ntoken: {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {total}\r\n\r\n",
        addr(server),
        upload = files::UPLOAD,
    );
    let mut start = head.into_bytes();
    start.extend_from_slice(before.as_bytes());
    start
}

/// Uploads `len` generated bytes as `over.bin` in a multipart body sent with chunked transfer
/// encoding (no Content-Length), reading the answer while the body is still being sent; returns
/// the answer's status and JSON.
pub async fn raw_chunked_upload(
    server: &Server,
    token: &str,
    group: i64,
    len: usize,
) -> (u16, Value) {
    let boundary = "zudui-chunked-boundary-19c4";
    let head = format!(
        "POST {upload} HTTP/1.1\r\nHost: {}\r\ntoken: {token}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        addr(server),
        upload = files::UPLOAD,
    );
    let before = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"group_id\"\r\n\r\n{group}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"over.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let after = format!("\r\n--{boundary}--\r\n");
    let socket = tokio::net::TcpStream::connect(addr(server)).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let sending = tokio::spawn(async move {
        let chunk = |data: &[u8]| {
            let mut framed = format!("{:x}\r\n", data.len()).into_bytes();
            framed.extend_from_slice(data);
            framed.extend_from_slice(b"\r\n");
            framed
        };
        writer.write_all(head.as_bytes()).await?;
        writer.write_all(&chunk(before.as_bytes())).await?;
        let mut pos = 0;
        while pos < len {
            let n = (64 * 1024).min(len - pos);
            writer.write_all(&chunk(&gen_bytes(pos as u64, n))).await?;
            pos += n;
        }
        writer.write_all(&chunk(after.as_bytes())).await?;
        writer.write_all(b"0\r\n\r\n").await?;
        writer.flush().await?;
        // Keep the write side open until the answer is read.
        tokio::time::sleep(Duration::from_secs(10)).await;
        Ok::<_, std::io::Error>(writer)
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&answer[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .expect("content-length in the answer");
                if answer.len() >= end + 4 + length {
                    return (end, length);
                }
            }
            let n = reader.read(&mut buf).await.expect("reading the answer");
            assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&answer));
            answer.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    sending.abort();
    let (end, length) = read.expect("no answer in time");
    let status_line = String::from_utf8_lossy(&answer[..end]).to_string();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad answer: {status_line}"));
    let body = &answer[end + 4..end + 4 + length];
    (status, serde_json::from_slice(body).expect("JSON answer"))
}

// ---------------------------------------------------------------------------------------------
// Resumable uploads
// ---------------------------------------------------------------------------------------------

pub async fn put_part(
    server: &Server,
    who: &User,
    upload: i64,
    part: i64,
    bytes: Vec<u8>,
    method: reqwest::Method,
) -> (u16, Value) {
    server
        .send_part_by(method, files::PART, who.t(), (upload, part), bytes)
        .await
}

/// A part that must be refused with `code` and `status`.
pub async fn put_part_fails(
    server: &Server,
    who: &User,
    upload: i64,
    part: i64,
    bytes: Vec<u8>,
    code: u16,
    status: u16,
) {
    let (got, res) = put_part(server, who, upload, part, bytes, reqwest::Method::PUT).await;
    assert_fails(got, &res, code, status);
}

/// Begins a resumable upload of `size` bytes as `name` at the root; returns its id.
pub async fn begin_at_root(server: &Server, who: &User, group: i64, name: &str, size: u64) -> i64 {
    let body = json!({ "group_id": group, "name": name, "size": size });
    let up = server.begin_upload(who, body).await;
    up["upload_id"].as_i64().expect("upload_id")
}

/// `path` on an upload that is over or not `who`'s: 341, as if there were none.
pub async fn no_such_upload(server: &Server, who: &User, path: &str, upload: i64) {
    upload_call_fails(server, who, path, upload, 341, 404).await;
}

/// No resumable upload is under way: no upload or part rows, no blob waiting for one.
pub fn assert_no_uploads(server: &Server) {
    assert_eq!(count(server, "SELECT count(*) FROM file_uploads"), 0);
    assert_eq!(count(server, "SELECT count(*) FROM file_upload_parts"), 0);
    assert_eq!(pending_blobs(server), 0);
}
