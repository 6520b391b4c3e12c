//! The group file space over real HTTP: listing, folders, uploads (plain, chunked, cut off,
//! resumable), downloads with validators and ranges, thumbnails, durations, sharing into the chat,
//! the quota, every error code and the permission rules; and what the stores hold afterwards.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::paths::{files, group};
// An upload that must succeed, returning the new file's id.
use common::upload_group_file_in as upload_ok;
use common::{admit, create_group, encode, png, user, Options, Server, User};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Bytes per part of a resumable upload.
const PART_SIZE: u64 = 8_000_000;
/// Bytes per chunk in the key-value store.
const CHUNK: usize = 1_000_000;

const MP3_3S: &[u8] = include_bytes!("fixtures/tone-3s.mp3");
const MP4_2S: &[u8] = include_bytes!("fixtures/clip-2s.mp4");
const MP4_2S_MOOV_AT_END: &[u8] = include_bytes!("fixtures/clip-2s-moov-at-end.mp4");

// ---------------------------------------------------------------------------------------------
// Users and groups
// ---------------------------------------------------------------------------------------------

/// A group with its creator, an admin, two plain members and an outsider.
struct Team {
    group: i64,
    creator: User,
    admin: User,
    member: User,
    member2: User,
    outsider: User,
}

async fn team(server: &Server, prefix: &str) -> Team {
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

/// A `wx.uploadFile` form: `group_id`, optional `parent_id`, then the file part named `name`
/// (reqwest sends file names as raw UTF-8).
fn file_form(group: i64, parent: Option<i64>, name: &str, bytes: Vec<u8>) -> Form {
    let mut form = Form::new().text("group_id", group.to_string());
    if let Some(parent) = parent {
        form = form.text("parent_id", parent.to_string());
    }
    form.part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

/// Sends a multipart upload; returns the status and the JSON answer.
async fn send_form(server: &Server, token: Option<&str>, form: Form) -> (u16, Value) {
    let mut req = server
        .client
        .post(server.url(files::UPLOAD))
        .multipart(form);
    if let Some(token) = token {
        req = req.header("token", token);
    }
    let res = req.send().await.expect("upload request");
    let status = res.status().as_u16();
    let text = res.text().await.expect("upload answer");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer: {text}"));
    (status, value)
}

async fn upload(
    server: &Server,
    who: &User,
    group: i64,
    parent: Option<i64>,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    send_form(server, who.t(), file_form(group, parent, name, bytes)).await
}

fn assert_form_ok(status: u16, res: &Value) {
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    assert_eq!(res["msg"], "success", "{res}");
    assert!(res["file_id"].as_i64().is_some_and(|id| id > 0), "{res}");
}

fn assert_fails(status: u16, res: &Value, code: u16, want_status: u16) {
    assert_eq!(res["code"], json!(code), "{res}");
    assert_eq!(status, want_status, "{res}");
    assert!(
        res["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{res}"
    );
}

/// An upload that must fail with `code` and `status`.
async fn upload_fails(
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

/// Makes a folder (the answer is exactly success); returns its id from the listing.
async fn mkdir(server: &Server, who: &User, group: i64, parent: Option<i64>, name: &str) -> i64 {
    let mut body = json!({ "group_id": group, "name": name });
    if let Some(parent) = parent {
        body["parent_id"] = json!(parent);
    }
    let res = server.ok(files::MK_DIR, &who.token, body).await;
    assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    let listed = entry_named(server, who, group, parent, name).await;
    assert_eq!(listed["type"], "dir", "{listed}");
    listed["id"].as_i64().expect("id")
}

/// The entries of a folder (`None`: the root).
async fn list(server: &Server, who: &User, group: i64, parent: Option<i64>) -> Vec<Value> {
    let mut body = json!({ "group_id": group });
    if let Some(parent) = parent {
        body["parent_id"] = json!(parent);
    }
    let res = server.ok(files::GET_DIR, &who.token, body).await;
    res["files"].as_array().expect("files").clone()
}

async fn names(server: &Server, who: &User, group: i64, parent: Option<i64>) -> Vec<String> {
    list(server, who, group, parent)
        .await
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn entry_named(
    server: &Server,
    who: &User,
    group: i64,
    parent: Option<i64>,
    name: &str,
) -> Value {
    let entries = list(server, who, group, parent).await;
    entries
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {entries:?}"))
        .clone()
}

/// A download request with extra headers.
async fn download(
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
async fn download_bytes(server: &Server, who: &User, group: i64, file: i64) -> Vec<u8> {
    let res = download(server, &who.token, group, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.bytes().await.expect("body").to_vec()
}

async fn thumbnail(server: &Server, who: &User, group: i64, file: i64) -> reqwest::Response {
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
async fn thumbnail_jpeg(
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
async fn json_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer: {text}"));
    (status, value)
}

async fn get_fails(res: reqwest::Response, code: u16, status: u16) {
    let (got, value) = json_of(res).await;
    assert_fails(got, &value, code, status);
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header: {:?}", res.headers()))
        .to_str()
        .expect("ASCII header")
        .to_owned()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn is_time(value: &Value) -> bool {
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
fn text_bytes(len: usize) -> Vec<u8> {
    (0..len).map(|i| b"plain text\n"[i % 11]).collect()
}

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random bytes: byte `i` is byte `i % 8` of splitmix64(i / 8), so any slice
// can be made on its own (for checking ranges) and a whole file streamed without keeping it.
// ---------------------------------------------------------------------------------------------

fn splitmix64(i: u64) -> u64 {
    let mut z = i
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn gen_bytes(offset: u64, len: usize) -> Vec<u8> {
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
fn generated(
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

/// A mono 16-bit PCM WAV of `seconds` seconds.
fn wav(seconds: u32, rate: u32) -> Vec<u8> {
    let data_len = seconds * rate * 2;
    let mut out = Vec::new();
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..seconds * rate {
        let sample = ((i as f64 * 0.05).sin() * 8000.0) as i16;
        out.extend_from_slice(&sample.to_le_bytes());
    }
    out
}

/// A JPEG of `w`×`h` carrying an EXIF block with orientation 6 (rotate 90° clockwise).
fn jpeg_with_orientation_6(w: u32, h: u32) -> Vec<u8> {
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
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// An MP4 whose `moov` box lies after more than the first and last megabyte that the server
/// keeps for probing begin: a `free` box of `padding` bytes goes right after `ftyp`.
fn padded_after_ftyp(mp4: &[u8], padding: usize) -> Vec<u8> {
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
fn chat_messages(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM chat_messages")
}

fn count(server: &Server, sql: &str) -> i64 {
    server
        .sqlite()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every key of a file chunk or companion (`file/...`) in the chunk store, sorted.
fn file_keys(server: &Server) -> Vec<String> {
    server.stored_files()
}

fn file_rows(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM group_files")
}

fn pending_blobs(server: &Server) -> i64 {
    count(server, "SELECT count(*) FROM blob_pending")
}

/// The blob holding file `id`'s content.
fn blob_of(server: &Server, id: i64) -> String {
    server
        .sqlite()
        .query_row("SELECT blob FROM group_files WHERE id = ?", [id], |r| {
            r.get(0)
        })
        .expect("blob of file")
}

/// A file's validator: its blob's name, which no other content ever has.
fn etag_of(server: &Server, id: i64) -> String {
    format!("\"{}\"", blob_of(server, id))
}

fn chunk_keys_of(server: &Server, blob: &str) -> Vec<String> {
    file_keys(server)
        .into_iter()
        .filter(|k| k.starts_with(&format!("file/{blob}/")))
        .collect()
}

/// Waits (up to 5 s) until `done` holds; returns whether it did.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    done()
}

fn addr(server: &Server) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// The start of a raw multipart upload request for a file part of `file_len` bytes: the request
/// head (with the Content-Length of the whole form), the `group_id` field and the file part's
/// headers, up to where the file's bytes begin.
fn raw_upload_head(server: &Server, token: &str, group: i64, file_len: usize) -> Vec<u8> {
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
async fn raw_chunked_upload(server: &Server, token: &str, group: i64, len: usize) -> (u16, Value) {
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
// Listing and folders
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_dir_lists_folders_first_then_files_by_name_with_every_field() {
    let server = Server::start().await;
    let t = team(&server, "list").await;
    let g = t.group;
    assert!(list(&server, &t.member, g, None).await.is_empty());

    let b_dir = mkdir(&server, &t.member, g, None, "b-dir").await;
    let a_dir = mkdir(&server, &t.creator, g, None, "A-dir").await;
    let txt = upload_ok(&server, &t.member, g, None, "z.TXT", text_bytes(1234)).await;
    let pic = upload_ok(&server, &t.member, g, None, "a.png", png(30, 20, 255)).await;
    let bare = upload_ok(&server, &t.admin, g, None, "noext", text_bytes(10)).await;
    let dot = upload_ok(&server, &t.admin, g, None, ".hidden", text_bytes(3)).await;
    let tgz = upload_ok(&server, &t.admin, g, None, "x.tar.GZ", text_bytes(5)).await;
    let inside = upload_ok(
        &server,
        &t.member,
        g,
        Some(b_dir),
        "inner.md",
        text_bytes(7),
    )
    .await;

    let root = list(&server, &t.member2, g, None).await;
    let order: Vec<&str> = root.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        ["A-dir", "b-dir", ".hidden", "a.png", "noext", "x.tar.GZ", "z.TXT"]
    );
    // parent_id 0 and no parent_id both mean the root.
    let zero = server
        .ok(
            files::GET_DIR,
            &t.member2.token,
            json!({ "group_id": g, "parent_id": 0 }),
        )
        .await;
    assert_eq!(zero["files"], json!(root));
    let as_string = server
        .ok(
            files::GET_DIR,
            &t.member2.token,
            json!({ "group_id": g.to_string() }),
        )
        .await;
    assert_eq!(as_string["files"], json!(root));

    let expected = [
        (a_dir, "dir", 0, "file"),
        (b_dir, "dir", 0, "file"),
        (dot, "", 3, "file"),
        (pic, ".png", png(30, 20, 255).len() as i64, "image"),
        (bare, "", 10, "file"),
        (tgz, ".gz", 5, "file"),
        (txt, ".txt", 1234, "file"),
    ];
    for (entry, (id, kind, size, file_type)) in root.iter().zip(expected) {
        let keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut keys = keys;
        keys.sort();
        assert_eq!(
            keys,
            [
                "duration",
                "file_type",
                "id",
                "name",
                "parent_id",
                "size",
                "time",
                "type"
            ],
            "{entry}"
        );
        assert_eq!(entry["id"], id, "{entry}");
        assert_eq!(entry["parent_id"], 0, "{entry}");
        assert_eq!(entry["type"], kind, "{entry}");
        assert_eq!(entry["size"], size, "{entry}");
        assert_eq!(entry["file_type"], file_type, "{entry}");
        assert_eq!(entry["duration"].as_f64(), Some(0.0), "{entry}");
        assert!(is_time(&entry["time"]), "{entry}");
    }

    let sub = list(&server, &t.member2, g, Some(b_dir)).await;
    assert_eq!(sub.len(), 1, "{sub:?}");
    assert_eq!(sub[0]["id"], inside);
    assert_eq!(sub[0]["parent_id"], b_dir);
    assert_eq!(sub[0]["name"], "inner.md");
    assert_eq!(sub[0]["type"], ".md");
    assert!(list(&server, &t.member2, g, Some(a_dir)).await.is_empty());
}

#[tokio::test]
async fn mk_dir_nests_folders() {
    let server = Server::start().await;
    let t = team(&server, "mkdir").await;
    let g = t.group;
    let top = mkdir(&server, &t.member, g, None, "课件").await;
    let mid = mkdir(&server, &t.member2, g, Some(top), "第一周").await;
    let deep = mkdir(&server, &t.member, g, Some(mid), "附件").await;
    // parent_id 0 is the root, like no parent_id.
    server
        .ok(
            files::MK_DIR,
            &t.member.token,
            json!({ "group_id": g, "parent_id": 0, "name": "根目录下" }),
        )
        .await;
    assert_eq!(
        names(&server, &t.admin, g, None).await,
        ["根目录下", "课件"]
    );
    assert_eq!(names(&server, &t.admin, g, Some(top)).await, ["第一周"]);
    let d = list(&server, &t.admin, g, Some(mid)).await;
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["id"], deep);
    assert_eq!(d[0]["parent_id"], mid);
    assert_eq!(d[0]["type"], "dir");
    assert_eq!(d[0]["size"], 0);
    // The same name may be used in another folder.
    mkdir(&server, &t.member, g, Some(deep), "课件").await;
    assert_eq!(file_rows(&server), 5);
}

#[tokio::test]
async fn bad_names_are_101() {
    let server = Server::start().await;
    let t = team(&server, "names").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "ok.txt", text_bytes(4)).await;
    let too_long = "a".repeat(256);
    let too_long_utf8 = "文".repeat(86); // 258 bytes
    let bad = [
        "",
        "   ",
        "a/b",
        "/",
        ".",
        "..",
        too_long.as_str(),
        too_long_utf8.as_str(),
    ];
    for name in bad {
        server
            .fails(
                files::MK_DIR,
                t.member.t(),
                json!({ "group_id": g, "name": name }),
                101,
                400,
            )
            .await;
        server
            .fails(
                files::EDIT_NAME,
                t.member.t(),
                json!({ "group_id": g, "file_id": file, "name": name }),
                101,
                400,
            )
            .await;
        let form = Form::new()
            .text("group_id", g.to_string())
            .text("file_name", name.to_owned())
            .part("file", Part::bytes(b"x".to_vec()).file_name("fine.txt"));
        upload_fails(&server, t.member.t(), form, 101, 400).await;
        server
            .fails(
                files::BEGIN,
                t.member.t(),
                json!({ "group_id": g, "name": name, "size": 1 }),
                101,
                400,
            )
            .await;
    }
    // A name must be given at all.
    server
        .fails(
            files::MK_DIR,
            t.member.t(),
            json!({ "group_id": g }),
            101,
            400,
        )
        .await;
    server
        .fails(
            files::EDIT_NAME,
            t.member.t(),
            json!({ "group_id": g, "file_id": file }),
            101,
            400,
        )
        .await;
    // Nothing was made or renamed.
    assert_eq!(names(&server, &t.member, g, None).await, ["ok.txt"]);
    assert_eq!(file_rows(&server), 1);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);

    // 255 bytes is the limit, inclusive.
    let longest = "文".repeat(85);
    assert_eq!(longest.len(), 255);
    mkdir(&server, &t.member, g, None, &longest).await;
    let longest_file = format!("{}.txt", "b".repeat(251));
    assert_eq!(longest_file.len(), 255);
    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": file, "name": longest_file }),
        )
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        [longest, longest_file]
    );
}

#[tokio::test]
async fn missing_ids_are_101() {
    let server = Server::start().await;
    let t = team(&server, "params").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "f.txt", text_bytes(4)).await;
    let who = t.member.t();
    let cases = [
        (files::GET_DIR, json!({})),
        (files::GET_DIR, json!({ "group_id": "abc" })),
        (files::GET_DIR, json!({ "group_id": g, "parent_id": "x" })),
        (files::MK_DIR, json!({ "name": "d" })),
        (files::DELETE, json!({ "group_id": g })),
        (files::DELETE, json!({ "file_id": file })),
        (files::EDIT_NAME, json!({ "group_id": g, "name": "n.txt" })),
        (files::MOVE, json!({ "group_id": g })),
        (files::MOVE, json!({ "file_id": file })),
        (files::SHARE, json!({ "group_id": g })),
        (files::SHARE, json!({ "file_id": file })),
        (files::BEGIN, json!({ "group_id": g, "name": "n" })),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "n", "size": -1 }),
        ),
        (files::BEGIN, json!({ "name": "n", "size": 1 })),
        (files::STATUS, json!({})),
        (files::COMPLETE, json!({})),
        (files::ABORT, json!({})),
    ];
    for (path, body) in cases {
        server.fails(path, who, body, 101, 400).await;
    }
    let token = t.member.token.as_str();
    let gs = g.to_string();
    let fs = file.to_string();
    for query in [
        vec![("token", token), ("group_id", gs.as_str())],
        vec![("token", token), ("file_id", fs.as_str())],
    ] {
        get_fails(server.get(files::DOWNLOAD, &query).await, 101, 400).await;
    }
    // An upload without group_id, and one without a file part.
    let form = Form::new().part("file", Part::bytes(b"x".to_vec()).file_name("a.txt"));
    upload_fails(&server, who, form, 101, 400).await;
    let form = Form::new().text("group_id", g.to_string());
    upload_fails(&server, who, form, 101, 400).await;
    // Fields after the file part come too late to say where it goes.
    let form = Form::new()
        .part("file", Part::bytes(b"x".to_vec()).file_name("late.txt"))
        .text("group_id", g.to_string());
    upload_fails(&server, who, form, 101, 400).await;
    assert_eq!(names(&server, &t.member, g, None).await, ["f.txt"]);
    assert!(file_keys(&server).len() == 1, "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
}

// ---------------------------------------------------------------------------------------------
// Tokens, groups and membership
// ---------------------------------------------------------------------------------------------

/// Every JSON endpoint with a body naming `group` and `file`.
fn json_endpoints(group: i64, file: i64) -> Vec<(&'static str, Value)> {
    vec![
        (files::GET_DIR, json!({ "group_id": group })),
        (
            files::MK_DIR,
            json!({ "group_id": group, "name": "新文件夹" }),
        ),
        (files::DELETE, json!({ "group_id": group, "file_id": file })),
        (
            files::EDIT_NAME,
            json!({ "group_id": group, "file_id": file, "name": "改名.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": group, "file_id": file, "parent_id": 0 }),
        ),
        (files::SHARE, json!({ "group_id": group, "file_id": file })),
        (
            files::BEGIN,
            json!({ "group_id": group, "name": "大文件.bin", "size": 10 }),
        ),
    ]
}

#[tokio::test]
async fn every_endpoint_needs_a_valid_token() {
    let server = Server::start().await;
    let t = team(&server, "token").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "f.txt", text_bytes(4)).await;
    let mut endpoints = json_endpoints(g, file);
    endpoints.push((files::STATUS, json!({ "upload_id": 1 })));
    endpoints.push((files::COMPLETE, json!({ "upload_id": 1 })));
    endpoints.push((files::ABORT, json!({ "upload_id": 1 })));
    for (path, body) in endpoints {
        server.fails(path, None, body.clone(), 113, 401).await;
        server
            .fails(path, Some("not-a-token"), body, 112, 401)
            .await;
    }
    let form = || file_form(g, None, "new.txt", b"x".to_vec());
    upload_fails(&server, None, form(), 113, 401).await;
    upload_fails(&server, Some("not-a-token"), form(), 112, 401).await;
    let gs = g.to_string();
    let fs = file.to_string();
    let query = [("group_id", gs.as_str()), ("file_id", fs.as_str())];
    get_fails(server.get(files::DOWNLOAD, &query).await, 113, 401).await;
    let mut bad = query.to_vec();
    bad.push(("token", "not-a-token"));
    get_fails(server.get(files::DOWNLOAD, &bad).await, 112, 401).await;
    let put = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", "1"), ("part", "0")])
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    get_fails(put, 113, 401).await;
    // Nothing changed.
    assert_eq!(names(&server, &t.member, g, None).await, ["f.txt"]);
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn unknown_groups_are_301() {
    let server = Server::start().await;
    let t = team(&server, "nogroup").await;
    let file = upload_ok(&server, &t.member, t.group, None, "f.txt", text_bytes(4)).await;
    let nowhere = 987_654;
    for (path, body) in json_endpoints(nowhere, file) {
        server.fails(path, t.creator.t(), body, 301, 404).await;
    }
    upload_fails(
        &server,
        t.creator.t(),
        file_form(nowhere, None, "x.txt", b"x".to_vec()),
        301,
        404,
    )
    .await;
    get_fails(
        download(&server, &t.creator.token, nowhere, file, &[]).await,
        301,
        404,
    )
    .await;
    assert_eq!(file_rows(&server), 1);
}

#[tokio::test]
async fn outsiders_are_303_everywhere() {
    let server = Server::start().await;
    let t = team(&server, "outsider").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "f.png", png(20, 20, 255)).await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    for (path, body) in json_endpoints(g, file) {
        server.fails(path, t.outsider.t(), body, 303, 403).await;
    }
    server
        .fails(
            files::GET_DIR,
            t.outsider.t(),
            json!({ "group_id": g, "parent_id": dir }),
            303,
            403,
        )
        .await;
    upload_fails(
        &server,
        t.outsider.t(),
        file_form(g, None, "x.txt", b"x".to_vec()),
        303,
        403,
    )
    .await;
    get_fails(
        download(&server, &t.outsider.token, g, file, &[]).await,
        303,
        403,
    )
    .await;
    get_fails(thumbnail(&server, &t.outsider, g, file).await, 303, 403).await;
    // Nothing changed, and nothing is left of the refused upload.
    assert_eq!(names(&server, &t.member, g, None).await, ["d", "f.png"]);
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn dismissed_groups_keep_files_readable_but_frozen() {
    let server = Server::start().await;
    let t = team(&server, "dismissed").await;
    let g = t.group;
    let content = text_bytes(500);
    let file = upload_ok(&server, &t.member, g, None, "f.txt", content.clone()).await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    server
        .ok(group::DISMISS, &t.creator.token, json!({ "group_id": g }))
        .await;

    let writes = [
        (files::MK_DIR, json!({ "group_id": g, "name": "新" })),
        (files::DELETE, json!({ "group_id": g, "file_id": file })),
        (files::DELETE, json!({ "group_id": g, "file_id": dir })),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": file, "name": "g.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": file, "parent_id": dir }),
        ),
        (files::SHARE, json!({ "group_id": g, "file_id": file })),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "big.bin", "size": 10 }),
        ),
    ];
    for who in [&t.creator, &t.admin, &t.member] {
        for (path, body) in &writes {
            server.fails(path, who.t(), body.clone(), 304, 403).await;
        }
        upload_fails(
            &server,
            who.t(),
            file_form(g, None, "new.txt", b"x".to_vec()),
            304,
            403,
        )
        .await;
    }
    // Outsiders are still told they are not members.
    server
        .fails(
            files::MK_DIR,
            t.outsider.t(),
            json!({ "group_id": g, "name": "x" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            files::GET_DIR,
            t.outsider.t(),
            json!({ "group_id": g }),
            303,
            403,
        )
        .await;

    // Reads work, and show nothing changed.
    for who in [&t.creator, &t.member2] {
        assert_eq!(names(&server, who, g, None).await, ["d", "f.txt"]);
        assert!(list(&server, who, g, Some(dir)).await.is_empty());
        assert_eq!(download_bytes(&server, who, g, file).await, content);
    }
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(chat_messages(&server), 0);
}

// ---------------------------------------------------------------------------------------------
// 341 to 346
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn unknown_files_and_files_of_other_groups_are_341() {
    let server = Server::start().await;
    let t = team(&server, "nofile").await;
    let g = t.group;
    // The creator also owns another group, with a file in it.
    let other = create_group(&server, &t.creator, "另一个组").await;
    let foreign = upload_ok(
        &server,
        &t.creator,
        other,
        None,
        "theirs.txt",
        text_bytes(9),
    )
    .await;
    let mine = upload_ok(&server, &t.creator, g, None, "mine.txt", text_bytes(9)).await;
    for file in [999_999, foreign] {
        let cases = [
            (files::DELETE, json!({ "group_id": g, "file_id": file })),
            (
                files::EDIT_NAME,
                json!({ "group_id": g, "file_id": file, "name": "x.txt" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": file, "parent_id": 0 }),
            ),
            (files::SHARE, json!({ "group_id": g, "file_id": file })),
        ];
        for (path, body) in cases {
            server.fails(path, t.creator.t(), body, 341, 404).await;
        }
        get_fails(
            download(&server, &t.creator.token, g, file, &[]).await,
            341,
            404,
        )
        .await;
        get_fails(thumbnail(&server, &t.creator, g, file).await, 341, 404).await;
    }
    // Moving another group's file is 341, and so is moving into another group's folder (342).
    let their_dir = mkdir(&server, &t.creator, other, None, "theirs").await;
    server
        .fails(
            files::MOVE,
            t.creator.t(),
            json!({ "group_id": g, "file_id": mine, "parent_id": their_dir }),
            342,
            404,
        )
        .await;
    // Both groups are untouched.
    assert_eq!(names(&server, &t.creator, g, None).await, ["mine.txt"]);
    assert_eq!(
        names(&server, &t.creator, other, None).await,
        ["theirs", "theirs.txt"]
    );
}

#[tokio::test]
async fn parents_must_be_folders_of_the_group_342() {
    let server = Server::start().await;
    let t = team(&server, "noparent").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "f.txt", text_bytes(4)).await;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    for parent in [999_999, file] {
        let cases = [
            (
                files::GET_DIR,
                json!({ "group_id": g, "parent_id": parent }),
            ),
            (
                files::MK_DIR,
                json!({ "group_id": g, "parent_id": parent, "name": "x" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": dir, "parent_id": parent }),
            ),
            (
                files::BEGIN,
                json!({ "group_id": g, "parent_id": parent, "name": "x", "size": 1 }),
            ),
        ];
        for (path, body) in cases {
            server.fails(path, t.member.t(), body, 342, 404).await;
        }
        upload_fails(
            &server,
            t.member.t(),
            file_form(g, Some(parent), "x.txt", b"x".to_vec()),
            342,
            404,
        )
        .await;
    }
    assert_eq!(names(&server, &t.member, g, None).await, ["d", "f.txt"]);
    assert!(list(&server, &t.member, g, Some(dir)).await.is_empty());
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn names_are_unique_per_folder_343() {
    let server = Server::start().await;
    let t = team(&server, "taken").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "资料").await;
    let file = upload_ok(&server, &t.member, g, None, "a.txt", text_bytes(4)).await;
    let other = upload_ok(&server, &t.member, g, None, "b.txt", text_bytes(4)).await;
    let in_dir = upload_ok(&server, &t.member, g, Some(dir), "a.txt", text_bytes(5)).await;

    let conflicts = [
        (files::MK_DIR, json!({ "group_id": g, "name": "资料" })),
        (files::MK_DIR, json!({ "group_id": g, "name": "a.txt" })),
        (
            files::MK_DIR,
            json!({ "group_id": g, "parent_id": dir, "name": "a.txt" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": other, "name": "a.txt" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": other, "name": "资料" }),
        ),
        (
            files::EDIT_NAME,
            json!({ "group_id": g, "file_id": dir, "name": "b.txt" }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": file, "parent_id": dir }),
        ),
        (
            files::MOVE,
            json!({ "group_id": g, "file_id": in_dir, "parent_id": 0 }),
        ),
        (
            files::BEGIN,
            json!({ "group_id": g, "name": "b.txt", "size": 3 }),
        ),
    ];
    for (path, body) in conflicts {
        server.fails(path, t.member.t(), body, 343, 409).await;
    }
    for (parent, name) in [(None, "a.txt"), (None, "资料"), (Some(dir), "a.txt")] {
        upload_fails(
            &server,
            t.member.t(),
            file_form(g, parent, name, b"new".to_vec()),
            343,
            409,
        )
        .await;
    }
    // Names compare exactly: another case is another name.
    upload_ok(&server, &t.member, g, None, "A.txt", text_bytes(2)).await;
    // Renaming to its own name, or moving where it already is, changes nothing and succeeds.
    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": file, "name": "a.txt" }),
        )
        .await;
    server
        .ok(
            files::MOVE,
            &t.member.token,
            json!({ "group_id": g, "file_id": in_dir, "parent_id": dir }),
        )
        .await;

    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["资料", "A.txt", "a.txt", "b.txt"]
    );
    assert_eq!(names(&server, &t.member, g, Some(dir)).await, ["a.txt"]);
    let a = entry_named(&server, &t.member, g, None, "a.txt").await;
    assert_eq!(
        (a["id"].as_i64(), a["size"].as_i64()),
        (Some(file), Some(4))
    );
    assert_eq!(file_keys(&server).len(), 4);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn folders_are_not_downloaded_or_shared_345() {
    let server = Server::start().await;
    let t = team(&server, "folderdl").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "d").await;
    get_fails(
        download(&server, &t.member.token, g, dir, &[]).await,
        345,
        400,
    )
    .await;
    get_fails(thumbnail(&server, &t.member, g, dir).await, 345, 400).await;
    server
        .fails(
            files::SHARE,
            t.member.t(),
            json!({ "group_id": g, "file_id": dir }),
            345,
            400,
        )
        .await;
    assert_eq!(chat_messages(&server), 0);
}

#[tokio::test]
async fn folders_do_not_move_into_themselves_346() {
    let server = Server::start().await;
    let t = team(&server, "cycle").await;
    let g = t.group;
    let top = mkdir(&server, &t.creator, g, None, "top").await;
    let mid = mkdir(&server, &t.creator, g, Some(top), "mid").await;
    let low = mkdir(&server, &t.creator, g, Some(mid), "low").await;
    for target in [top, mid, low] {
        server
            .fails(
                files::MOVE,
                t.creator.t(),
                json!({ "group_id": g, "file_id": top, "parent_id": target }),
                346,
                400,
            )
            .await;
    }
    server
        .fails(
            files::MOVE,
            t.creator.t(),
            json!({ "group_id": g, "file_id": mid, "parent_id": low }),
            346,
            400,
        )
        .await;
    // The tree is unchanged; and a folder may still move beside or above itself.
    assert_eq!(names(&server, &t.creator, g, None).await, ["top"]);
    assert_eq!(names(&server, &t.creator, g, Some(top)).await, ["mid"]);
    assert_eq!(names(&server, &t.creator, g, Some(mid)).await, ["low"]);
    server
        .ok(
            files::MOVE,
            &t.creator.token,
            json!({ "group_id": g, "file_id": low, "parent_id": top }),
        )
        .await;
    assert_eq!(
        names(&server, &t.creator, g, Some(top)).await,
        ["low", "mid"]
    );
}

// ---------------------------------------------------------------------------------------------
// Renaming, moving and deleting; permissions
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn edit_name_and_move_change_the_tree() {
    let server = Server::start().await;
    let t = team(&server, "editmove").await;
    let g = t.group;
    let content = text_bytes(321);
    let file = upload_ok(&server, &t.member, g, None, "draft.txt", content.clone()).await;
    let dir = mkdir(&server, &t.member, g, None, "docs").await;
    let sub = mkdir(&server, &t.member, g, Some(dir), "old").await;

    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": file, "name": "最终版.PDF" }),
        )
        .await;
    let renamed = entry_named(&server, &t.member, g, None, "最终版.PDF").await;
    assert_eq!(renamed["id"], file);
    assert_eq!(renamed["type"], ".pdf");
    assert_eq!(renamed["size"], 321);

    // Into a folder, to a subfolder, and back to the root with parent_id 0 and without one.
    let mv = |parent: Value| {
        let mut body = json!({ "group_id": g, "file_id": file });
        if !parent.is_null() {
            body["parent_id"] = parent;
        }
        body
    };
    server
        .ok(files::MOVE, &t.member.token, mv(json!(dir)))
        .await;
    assert_eq!(names(&server, &t.member, g, None).await, ["docs"]);
    assert_eq!(
        names(&server, &t.member, g, Some(dir)).await,
        ["old", "最终版.PDF"]
    );
    let moved = entry_named(&server, &t.member, g, Some(dir), "最终版.PDF").await;
    assert_eq!(moved["parent_id"], dir);
    server
        .ok(files::MOVE, &t.member.token, mv(json!(sub.to_string())))
        .await;
    assert_eq!(
        names(&server, &t.member, g, Some(sub)).await,
        ["最终版.PDF"]
    );
    server.ok(files::MOVE, &t.member.token, mv(json!(0))).await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "最终版.PDF"]
    );
    server
        .ok(files::MOVE, &t.member.token, mv(json!(dir)))
        .await;
    server
        .ok(files::MOVE, &t.member.token, mv(Value::Null))
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "最终版.PDF"]
    );

    // Folders move with what they hold, and are renamed.
    server
        .ok(
            files::MOVE,
            &t.member.token,
            json!({ "group_id": g, "file_id": sub, "parent_id": 0 }),
        )
        .await;
    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": sub, "name": "归档" }),
        )
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["docs", "归档", "最终版.PDF"]
    );
    assert!(list(&server, &t.member, g, Some(dir)).await.is_empty());
    // The content did not change.
    assert_eq!(download_bytes(&server, &t.member, g, file).await, content);
}

#[tokio::test]
async fn members_change_only_what_they_made() {
    let server = Server::start().await;
    let t = team(&server, "perm").await;
    let g = t.group;
    let theirs = upload_ok(&server, &t.member2, g, None, "theirs.txt", text_bytes(8)).await;
    let their_dir = mkdir(&server, &t.member2, g, None, "their-dir").await;
    let admins = upload_ok(&server, &t.admin, g, None, "admin.txt", text_bytes(8)).await;
    let mine = upload_ok(&server, &t.member, g, None, "mine.txt", text_bytes(8)).await;
    let my_dir = mkdir(&server, &t.member, g, None, "my-dir").await;

    for id in [theirs, their_dir, admins] {
        let cases = [
            (
                files::EDIT_NAME,
                json!({ "group_id": g, "file_id": id, "name": "taken-over" }),
            ),
            (
                files::MOVE,
                json!({ "group_id": g, "file_id": id, "parent_id": my_dir }),
            ),
            (files::DELETE, json!({ "group_id": g, "file_id": id })),
        ];
        for (path, body) in cases {
            server.fails(path, t.member.t(), body, 303, 403).await;
        }
    }
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["my-dir", "their-dir", "admin.txt", "mine.txt", "theirs.txt"]
    );

    // A member may still read and share what others made, and put things in their folders.
    server
        .ok(
            files::SHARE,
            &t.member.token,
            json!({ "group_id": g, "file_id": theirs }),
        )
        .await;
    upload_ok(
        &server,
        &t.member,
        g,
        Some(their_dir),
        "into-theirs.txt",
        text_bytes(3),
    )
    .await;

    // Their own entries, they change.
    server
        .ok(
            files::EDIT_NAME,
            &t.member.token,
            json!({ "group_id": g, "file_id": mine, "name": "mine-v2.txt" }),
        )
        .await;
    server
        .ok(
            files::MOVE,
            &t.member.token,
            json!({ "group_id": g, "file_id": mine, "parent_id": my_dir }),
        )
        .await;
    assert_eq!(
        names(&server, &t.member, g, Some(my_dir)).await,
        ["mine-v2.txt"]
    );
    server
        .ok(
            files::DELETE,
            &t.member.token,
            json!({ "group_id": g, "file_id": mine }),
        )
        .await;
    assert!(list(&server, &t.member, g, Some(my_dir)).await.is_empty());
}

#[tokio::test]
async fn managers_change_anything() {
    let server = Server::start().await;
    let t = team(&server, "managers").await;
    let g = t.group;
    let a = upload_ok(&server, &t.member, g, None, "a.txt", text_bytes(8)).await;
    let b = upload_ok(&server, &t.member2, g, None, "b.txt", text_bytes(8)).await;
    let dir = mkdir(&server, &t.member, g, None, "member-dir").await;
    let by_creator = upload_ok(&server, &t.creator, g, None, "creator.txt", text_bytes(8)).await;
    upload_ok(
        &server,
        &t.member2,
        g,
        Some(dir),
        "inside.txt",
        text_bytes(8),
    )
    .await;

    // The admin renames and moves members' entries, and even the creator's.
    server
        .ok(
            files::EDIT_NAME,
            &t.admin.token,
            json!({ "group_id": g, "file_id": a, "name": "a-by-admin.txt" }),
        )
        .await;
    server
        .ok(
            files::MOVE,
            &t.admin.token,
            json!({ "group_id": g, "file_id": b, "parent_id": dir }),
        )
        .await;
    server
        .ok(
            files::EDIT_NAME,
            &t.admin.token,
            json!({ "group_id": g, "file_id": by_creator, "name": "creator-renamed.txt" }),
        )
        .await;
    // The creator deletes a member's file and a folder holding two members' files.
    server
        .ok(
            files::DELETE,
            &t.creator.token,
            json!({ "group_id": g, "file_id": a }),
        )
        .await;
    assert_eq!(
        names(&server, &t.creator, g, Some(dir)).await,
        ["b.txt", "inside.txt"]
    );
    server
        .ok(
            files::DELETE,
            &t.creator.token,
            json!({ "group_id": g, "file_id": dir }),
        )
        .await;
    assert_eq!(
        names(&server, &t.member, g, None).await,
        ["creator-renamed.txt"]
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(file_keys(&server).len(), 1);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn members_delete_their_folders_only_when_everything_inside_is_theirs() {
    let server = Server::start().await;
    let t = team(&server, "deldir").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "mine").await;
    let sub = mkdir(&server, &t.member, g, Some(dir), "sub").await;
    upload_ok(
        &server,
        &t.member,
        g,
        Some(dir),
        "own.bin",
        gen_bytes(0, 1_500_000),
    )
    .await;
    let foreign = upload_ok(
        &server,
        &t.member2,
        g,
        Some(sub),
        "foreign.txt",
        text_bytes(9),
    )
    .await;
    let keys = file_keys(&server);
    let own = 1_500_000usize.div_ceil(server.chunk_size());
    assert_eq!(keys.len(), own + 1, "{keys:?}");

    server
        .fails(
            files::DELETE,
            t.member.t(),
            json!({ "group_id": g, "file_id": dir }),
            303,
            403,
        )
        .await;
    // Nothing at all was deleted.
    assert_eq!(names(&server, &t.member, g, None).await, ["mine"]);
    assert_eq!(
        names(&server, &t.member, g, Some(dir)).await,
        ["sub", "own.bin"]
    );
    assert_eq!(
        names(&server, &t.member, g, Some(sub)).await,
        ["foreign.txt"]
    );
    assert_eq!(file_keys(&server), keys);
    assert_eq!(file_rows(&server), 4);
    assert_eq!(pending_blobs(&server), 0);

    // A folder someone else made inside is also in the way.
    server
        .ok(
            files::DELETE,
            &t.member2.token,
            json!({ "group_id": g, "file_id": foreign }),
        )
        .await;
    mkdir(&server, &t.admin, g, Some(sub), "admin-made").await;
    server
        .fails(
            files::DELETE,
            t.member.t(),
            json!({ "group_id": g, "file_id": dir }),
            303,
            403,
        )
        .await;
    assert_eq!(file_rows(&server), 4);

    // Once everything inside is theirs, it goes, contents and all.
    let admin_made = entry_named(&server, &t.member, g, Some(sub), "admin-made").await;
    server
        .ok(
            files::DELETE,
            &t.admin.token,
            json!({ "group_id": g, "file_id": admin_made["id"] }),
        )
        .await;
    server
        .ok(
            files::DELETE,
            &t.member.token,
            json!({ "group_id": g, "file_id": dir }),
        )
        .await;
    assert!(list(&server, &t.member, g, None).await.is_empty());
    assert_eq!(file_rows(&server), 0);
    assert!(file_keys(&server).is_empty(), "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn deleting_a_folder_removes_every_chunk_inside() {
    let server = Server::start().await;
    let t = team(&server, "recursive").await;
    let g = t.group;
    let keep = upload_ok(
        &server,
        &t.member,
        g,
        None,
        "keep.bin",
        gen_bytes(7, 1_200_000),
    )
    .await;
    let top = mkdir(&server, &t.member, g, None, "top").await;
    let mid = mkdir(&server, &t.member, g, Some(top), "mid").await;
    let a = upload_ok(
        &server,
        &t.member,
        g,
        Some(top),
        "a.bin",
        gen_bytes(0, 2 * CHUNK + 5),
    )
    .await;
    let b = upload_ok(
        &server,
        &t.creator,
        g,
        Some(mid),
        "b.png",
        png(300, 300, 128),
    )
    .await;
    // b gets a thumbnail, a companion object that must go with it.
    thumbnail_jpeg(&server, &t.creator, g, b).await;
    let c = upload_ok(
        &server,
        &t.member,
        g,
        Some(mid),
        "c.bin",
        gen_bytes(9, CHUNK),
    )
    .await;
    let blobs: Vec<String> = [a, b, c].iter().map(|id| blob_of(&server, *id)).collect();
    let kept_blob = blob_of(&server, keep);
    let before = file_keys(&server);
    let chunks_of_a = (2 * CHUNK + 5).div_ceil(server.chunk_size());
    assert_eq!(chunk_keys_of(&server, &blobs[0]).len(), chunks_of_a);
    assert_eq!(chunk_keys_of(&server, &blobs[2]).len(), 1);
    assert!(
        before.contains(&format!("file/{}.thumb", blobs[1])),
        "{before:?}"
    );
    let chunks_of_keep = 1_200_000usize.div_ceil(server.chunk_size());
    // keep, a, b and its thumbnail, c.
    assert_eq!(
        before.len(),
        chunks_of_keep + chunks_of_a + 2 + 1,
        "{before:?}"
    );

    server
        .ok(
            files::DELETE,
            &t.creator.token,
            json!({ "group_id": g, "file_id": top }),
        )
        .await;
    let after = file_keys(&server);
    assert_eq!(after.len(), chunks_of_keep, "{after:?}");
    assert!(
        after
            .iter()
            .all(|k| k.starts_with(&format!("file/{kept_blob}/"))),
        "{after:?}"
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(names(&server, &t.member, g, None).await, ["keep.bin"]);
    for gone in [top, mid] {
        server
            .fails(
                files::GET_DIR,
                t.member.t(),
                json!({ "group_id": g, "parent_id": gone }),
                342,
                404,
            )
            .await;
    }
    for gone in [a, b, c] {
        get_fails(
            download(&server, &t.member.token, g, gone, &[]).await,
            341,
            404,
        )
        .await;
    }

    // Deleting a single file removes its chunks too.
    server
        .ok(
            files::DELETE,
            &t.member.token,
            json!({ "group_id": g, "file_id": keep }),
        )
        .await;
    assert!(file_keys(&server).is_empty());
    assert_eq!(file_rows(&server), 0);
    assert_eq!(pending_blobs(&server), 0);
}

// ---------------------------------------------------------------------------------------------
// Uploads and downloads
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn upload_names_come_from_the_part_or_the_file_name_field() {
    let server = Server::start().await;
    let t = team(&server, "upname").await;
    let g = t.group;
    // The last path component of the part's file name.
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::bytes(text_bytes(10)).file_name("wxfile://tmp/abc/notes.md"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    assert_eq!(res.as_object().unwrap().len(), 3, "{res}");
    let notes = res["file_id"].clone();
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::bytes(text_bytes(10)).file_name("C:\\Users\\me\\win.txt"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    // file_name overrides it; a PNG named .txt is still an image.
    let form = Form::new()
        .text("group_id", g.to_string())
        .text("file_name", "picture.txt")
        .part(
            "file",
            Part::bytes(png(40, 10, 255)).file_name("wxfile://tmp_1.png"),
        );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let picture = res["file_id"].as_i64().unwrap();

    let entries = list(&server, &t.member, g, None).await;
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["type"].as_str().unwrap().to_owned(),
                e["file_type"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
    assert_eq!(
        summary,
        [
            owned("notes.md", ".md", "file"),
            owned("picture.txt", ".txt", "image"),
            owned("win.txt", ".txt", "file"),
        ]
    );
    assert_eq!(entries[0]["id"], notes);
    let res = download(&server, &t.member.token, g, picture, &[]).await;
    assert_eq!(header(&res, "content-type"), "image/png");
}

#[tokio::test]
async fn download_streams_the_file_with_its_headers() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "download").await;
    let g = t.group;
    let content = gen_bytes(3, 2 * CHUNK + 777);
    let file = upload_ok(&server, &t.member, g, None, "data.bin", content.clone()).await;
    let res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), content.len().to_string());
    assert_eq!(header(&res, "content-type"), "application/octet-stream");
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    assert_eq!(header(&res, "accept-ranges"), "bytes");
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"data.bin\"; filename*=UTF-8''data%2Ebin"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), content);

    // Text by its extension; an empty file is empty.
    let txt = upload_ok(&server, &t.member, g, None, "a.txt", text_bytes(20)).await;
    let res = download(&server, &t.member.token, g, txt, &[]).await;
    assert!(
        header(&res, "content-type").starts_with("text/plain"),
        "{:?}",
        res.headers()
    );
    let empty = upload_ok(&server, &t.member, g, None, "empty", Vec::new()).await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "empty").await["size"],
        0
    );
    let res = download(&server, &t.member.token, g, empty, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), "0");
    assert_eq!(header(&res, "etag"), etag_of(&server, empty));
    assert!(res.bytes().await.unwrap().is_empty());
}

/// HTML (and other types a browser would run) is served as plain bytes, whether it is
/// recognised by its name or by its content.
#[tokio::test]
async fn active_content_is_never_served_as_itself() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "active").await;
    let g = t.group;
    let cases: [(&str, &[u8]); 4] = [
        (
            "page.html",
            b"<html><body><script>alert(1)</script></body></html>",
        ),
        (
            "page.bin",
            b"<html><body><script>alert(1)</script></body></html>",
        ),
        ("plain.html", b"hello, no tags at all"),
        ("feed.xml", b"<?xml version=\"1.0\"?><a>1</a>"),
    ];
    let mut served_as_active = Vec::new();
    for (name, bytes) in cases {
        let file = upload_ok(&server, &t.member, g, None, name, bytes.to_vec()).await;
        let res = download(&server, &t.member.token, g, file, &[]).await;
        assert_eq!(res.status(), StatusCode::OK);
        let served = header(&res, "content-type");
        let active = [
            "text/html",
            "text/xml",
            "application/xml",
            "application/xhtml+xml",
        ];
        if active.iter().any(|a| served.starts_with(a)) {
            served_as_active.push(format!("{name} as {served}"));
        }
        assert_eq!(header(&res, "x-content-type-options"), "nosniff");
        assert_eq!(res.bytes().await.unwrap().to_vec(), bytes);
    }
    assert!(
        served_as_active.is_empty(),
        "served as active content: {served_as_active:?}"
    );
}

#[tokio::test]
async fn downloads_revalidate_with_if_none_match() {
    let server = Server::start().await;
    let t = team(&server, "etag").await;
    let g = t.group;
    let content = text_bytes(5000);
    let file = upload_ok(&server, &t.member, g, None, "f.txt", content.clone()).await;
    let etag = etag_of(&server, file);
    for value in [
        etag.clone(),
        format!("\"other\", {etag}"),
        format!("W/{etag}"),
    ] {
        let res = download(
            &server,
            &t.member.token,
            g,
            file,
            &[("If-None-Match", &value)],
        )
        .await;
        assert_eq!(res.status(), StatusCode::NOT_MODIFIED, "{value}");
        assert_eq!(header(&res, "etag"), etag);
        assert!(res.bytes().await.unwrap().is_empty());
    }
    let res = download(
        &server,
        &t.member.token,
        g,
        file,
        &[("If-None-Match", "\"stale\"")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), content);
}

#[tokio::test]
async fn downloads_serve_single_byte_ranges() {
    // The API's own streaming: with object storage, such a file is one object that downloads
    // by a redirect to the store (files_direct.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "range").await;
    let g = t.group;
    let len = 3 * CHUNK + 1000;
    let content = gen_bytes(11, len);
    let file = upload_ok(&server, &t.member, g, None, "r.bin", content.clone()).await;
    let etag = etag_of(&server, file);

    let partial = |from: usize, to: usize| (from, to);
    let cases = [
        ("bytes=0-9", partial(0, 9)),
        ("bytes=100-199", partial(100, 199)),
        // Across chunk boundaries.
        ("bytes=999000-2001000", partial(999_000, 2_001_000)),
        // The last 500 bytes, and everything from an offset.
        ("bytes=-500", partial(len - 500, len - 1)),
        ("bytes=3000500-", partial(3_000_500, len - 1)),
        // An end past the file is cut to it.
        ("bytes=10-99999999", partial(10, len - 1)),
        ("bytes=0-0", partial(0, 0)),
    ];
    for (range, (from, to)) in cases {
        let res = download(&server, &t.member.token, g, file, &[("Range", range)]).await;
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            header(&res, "content-range"),
            format!("bytes {from}-{to}/{len}")
        );
        assert_eq!(header(&res, "content-length"), (to + 1 - from).to_string());
        assert_eq!(header(&res, "etag"), etag);
        let body = res.bytes().await.unwrap();
        assert!(body[..] == content[from..=to], "{range}: wrong bytes");
    }
    // If-Range with the current validator keeps the range.
    let res = download(
        &server,
        &t.member.token,
        g,
        file,
        &[("Range", "bytes=5-6"), ("If-Range", &etag)],
    )
    .await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap()[..], content[5..=6]);

    // Whole file: several ranges, a malformed header, or an If-Range of another version.
    let whole = [
        vec![("Range", "bytes=0-1,5-9")],
        vec![("Range", "bytes=abc")],
        vec![("Range", "pages=1-2")],
        vec![("Range", "bytes=9-3")],
        vec![("Range", "bytes=0-9"), ("If-Range", "\"older-version\"")],
    ];
    for headers in whole {
        let res = download(&server, &t.member.token, g, file, &headers).await;
        assert_eq!(res.status(), StatusCode::OK, "{headers:?}");
        assert!(res.headers().get("content-range").is_none(), "{headers:?}");
        assert_eq!(header(&res, "content-length"), len.to_string());
        let body = res.bytes().await.unwrap();
        assert!(body[..] == content[..], "{headers:?}: wrong bytes");
    }

    // A range starting at or past the end cannot be served.
    for range in [
        format!("bytes={len}-"),
        format!("bytes={}-{}", len + 10, len + 20),
    ] {
        let res = download(&server, &t.member.token, g, file, &[("Range", &range)]).await;
        assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE, "{range}");
        assert_eq!(header(&res, "content-range"), format!("bytes */{len}"));
        let (status, body) = json_of(res).await;
        assert_fails(status, &body, 101, 416);
    }
}

#[tokio::test]
async fn utf8_names_round_trip() {
    let server = Server::start().await;
    let t = team(&server, "utf8").await;
    let g = t.group;
    let name = "报告 2026.pdf";
    let file = upload_ok(&server, &t.member, g, None, name, text_bytes(64)).await;
    // Also through the file_name field.
    let form = Form::new()
        .text("group_id", g.to_string())
        .text("file_name", "会议 \"纪要\" 100%.docx")
        .part("file", Part::bytes(text_bytes(8)).file_name("tmp.docx"));
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let minutes = res["file_id"].as_i64().unwrap();

    let listed = list(&server, &t.member, g, None).await;
    assert_eq!(listed[0]["name"], "会议 \"纪要\" 100%.docx");
    assert_eq!(listed[0]["type"], ".docx");
    assert_eq!(listed[1]["name"], name);
    assert_eq!(listed[1]["type"], ".pdf");

    let res = download(&server, &t.member.token, g, file, &[]).await;
    let disposition = header(&res, "content-disposition");
    assert_eq!(
        disposition,
        "attachment; filename=\"__ 2026.pdf\"; \
         filename*=UTF-8''%E6%8A%A5%E5%91%8A%202026%2Epdf"
    );
    assert_eq!(decode_filename_star(&disposition), name);
    let res = download(&server, &t.member.token, g, minutes, &[]).await;
    let disposition = header(&res, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"__ ____ 100_.docx\"; filename*=UTF-8''"),
        "{disposition}"
    );
    assert_eq!(
        decode_filename_star(&disposition),
        "会议 \"纪要\" 100%.docx"
    );
}

/// The name in a Content-Disposition's `filename*=UTF-8''…`.
fn decode_filename_star(disposition: &str) -> String {
    let encoded = disposition
        .split("filename*=UTF-8''")
        .nth(1)
        .expect("filename*");
    assert!(!encoded.contains(['"', ' ', ';']), "{encoded}");
    percent_encoding::percent_decode_str(encoded)
        .decode_utf8()
        .expect("UTF-8 name")
        .into_owned()
}

#[tokio::test]
async fn a_cut_off_upload_leaves_nothing() {
    let server = Server::start().await;
    let t = team(&server, "cutoff").await;
    let g = t.group;
    // Five chunks announced, two and a half sent.
    let chunk = server.chunk_size();
    let start = raw_upload_head(&server, &t.member.token, g, 5 * chunk);
    let mut socket = tokio::net::TcpStream::connect(addr(&server)).await.unwrap();
    socket.write_all(&start).await.unwrap();
    socket
        .write_all(&gen_bytes(0, 5 * chunk / 2))
        .await
        .unwrap();
    socket.flush().await.unwrap();
    // The server is storing what arrived...
    assert!(
        eventually(|| !file_keys(&server).is_empty()).await,
        "chunks were not written while the upload arrived: {:?}",
        file_keys(&server)
    );
    assert_eq!(pending_blobs(&server), 1);
    // ...until the client goes away.
    drop(socket);
    assert!(
        eventually(|| file_keys(&server).is_empty() && pending_blobs(&server) == 0).await,
        "left behind: keys {:?}, pending {}",
        file_keys(&server),
        pending_blobs(&server)
    );
    assert_eq!(file_rows(&server), 0);
    assert!(list(&server, &t.member, g, None).await.is_empty());
    // The name is free for a new try.
    upload_ok(&server, &t.member, g, None, "cut.bin", gen_bytes(0, 1000)).await;
}

#[tokio::test]
async fn a_large_file_round_trips() {
    const LEN: u64 = 200 << 20;
    let server = Server::start().await;
    let t = team(&server, "large").await;
    let g = t.group;

    // Streamed from the generator, hashed on the way out; never held in memory.
    let sent = Arc::new(Mutex::new(Sha256::new()));
    let body = reqwest::Body::wrap_stream(generated(LEN, Some(sent.clone())));
    let form = Form::new().text("group_id", g.to_string()).part(
        "file",
        Part::stream_with_length(body, LEN).file_name("big.bin"),
    );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let file = res["file_id"].as_i64().unwrap();
    let sent = hex(&sent.lock().unwrap().clone().finalize());

    let listed = entry_named(&server, &t.member, g, None, "big.bin").await;
    assert_eq!(listed["size"].as_u64(), Some(LEN));
    let chunks = LEN.div_ceil(server.chunk_size() as u64) as usize;
    assert_eq!(
        chunk_keys_of(&server, &blob_of(&server, file)).len(),
        chunks
    );
    assert_eq!(pending_blobs(&server), 0);

    // Downloaded as a stream, hashed as it arrives.
    let mut res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-length"), LEN.to_string());
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    let mut received = Sha256::new();
    let mut got = 0u64;
    while let Some(piece) = res.chunk().await.expect("download chunk") {
        got += piece.len() as u64;
        received.update(&piece);
    }
    assert_eq!(got, LEN);
    assert_eq!(hex(&received.finalize()), sent);

    // A slice from the middle, across chunk boundaries.
    let from = (100 << 20) + 12_345u64;
    let len = 3 * CHUNK as u64 + 17;
    let range = format!("bytes={from}-{}", from + len - 1);
    let res = download(&server, &t.member2.token, g, file, &[("Range", &range)]).await;
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&res, "content-range"),
        format!("bytes {from}-{}/{LEN}", from + len - 1)
    );
    let body = res.bytes().await.unwrap();
    assert!(
        body[..] == gen_bytes(from, len as usize)[..],
        "the slice differs"
    );
}

// ---------------------------------------------------------------------------------------------
// The quota
// ---------------------------------------------------------------------------------------------

const QUOTA: u64 = 3_000_000;

async fn quota_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_GROUP_QUOTA_BYTES", &QUOTA.to_string())).await
}

/// A hosted platform's request limit (`upload_body_limit_bytes`; Fermyon Cloud: 10 MB): a
/// one-shot upload over it is 104 with the way out named, declared or not, and leaves nothing;
/// the same file goes in parts.
#[tokio::test]
async fn one_shot_uploads_over_the_platform_limit_are_104() {
    let server =
        Server::with(Options::dev_login().env("ZUDUI_UPLOAD_BODY_LIMIT_BYTES", "1000000")).await;
    let t = team(&server, "platform").await;
    let g = t.group;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "small.bin",
        gen_bytes(0, 900_000),
    )
    .await;
    let keys = file_keys(&server);
    let big = gen_bytes(1, 1_500_000);
    let res = upload_fails(
        &server,
        t.member.t(),
        file_form(g, None, "big.bin", big.clone()),
        104,
        413,
    )
    .await;
    assert!(
        res["errorMsg"].as_str().unwrap().contains("分片上传或直传"),
        "{res}"
    );
    // Without a length, it is cut off at the limit.
    let (status, res) = raw_chunked_upload(&server, &t.member.token, g, 1_500_000).await;
    assert_fails(status, &res, 104, 413);
    assert!(
        eventually(|| file_keys(&server) == keys && pending_blobs(&server) == 0).await,
        "left behind: {:?}",
        file_keys(&server)
    );
    // Chat files too.
    let form = Form::new()
        .text("type", "group")
        .text("room_id", g.to_string())
        .part("file", Part::bytes(big.clone()).file_name("big.bin"));
    let res = server
        .client
        .post(server.url("/chat/files/upload"))
        .header("token", &t.member.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, res) = json_of(res).await;
    assert_fails(status, &res, 104, 413);
    // In parts, it goes.
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "name": "big.bin", "size": big.len() }),
    )
    .await;
    let id = up["upload_id"].as_i64().unwrap();
    put_part_ok(&server, &t.member, id, 0, big).await;
    server
        .ok(files::COMPLETE, &t.member.token, json!({ "upload_id": id }))
        .await;
}

#[tokio::test]
async fn uploads_over_the_quota_are_344_and_leave_nothing() {
    let server = quota_server().await;
    let t = team(&server, "quota").await;
    let g = t.group;
    let first = upload_ok(
        &server,
        &t.member,
        g,
        None,
        "first.bin",
        gen_bytes(0, 1_000_000),
    )
    .await;
    let keys = file_keys(&server);
    assert_eq!(keys.len(), 1);

    // 2.5 MB when 2 MB are left: refused while it streams, after chunks were written.
    let (status, res) = upload(
        &server,
        &t.member,
        g,
        None,
        "second.bin",
        gen_bytes(1, 2_500_000),
    )
    .await;
    assert_fails(status, &res, 344, 413);
    assert!(
        eventually(|| file_keys(&server) == keys && pending_blobs(&server) == 0).await,
        "left behind: {:?}, pending {}",
        file_keys(&server),
        pending_blobs(&server)
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(names(&server, &t.member, g, None).await, ["first.bin"]);

    // Another group has its own quota.
    let other = create_group(&server, &t.member, "另一个").await;
    upload_ok(
        &server,
        &t.member,
        other,
        None,
        "second.bin",
        gen_bytes(1, 2_500_000),
    )
    .await;

    // Deleting frees the space: the same upload now fits.
    server
        .ok(
            files::DELETE,
            &t.member.token,
            json!({ "group_id": g, "file_id": first }),
        )
        .await;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "second.bin",
        gen_bytes(1, 2_500_000),
    )
    .await;
    // Exactly what is left fits; then the group is full, even for an empty file.
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "rest.bin",
        gen_bytes(2, 500_000),
    )
    .await;
    let (status, res) = upload(&server, &t.member, g, None, "empty.bin", Vec::new()).await;
    assert_fails(status, &res, 344, 413);
    let used: i64 = list(&server, &t.member, g, None)
        .await
        .iter()
        .map(|e| e["size"].as_i64().unwrap())
        .sum();
    assert_eq!(used as u64, QUOTA);
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn uploads_declared_over_the_quota_are_refused_before_their_body() {
    let server = quota_server().await;
    let t = team(&server, "declared").await;
    let g = t.group;
    // Only the head of the request is sent: the server answers without waiting for the rest.
    let start = raw_upload_head(&server, &t.member.token, g, 5_000_000);
    let mut socket = tokio::net::TcpStream::connect(addr(&server)).await.unwrap();
    socket.write_all(&start).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "no answer: {}",
        String::from_utf8_lossy(&answer)
    );
    let answer = String::from_utf8_lossy(&answer).to_string();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"code\":344"), "{answer}");
    drop(socket);
    assert!(eventually(|| pending_blobs(&server) == 0).await);
    assert!(file_keys(&server).is_empty());
    assert_eq!(file_rows(&server), 0);
}

#[tokio::test]
async fn chunked_uploads_respect_the_quota() {
    let server = quota_server().await;
    let t = team(&server, "chunked").await;
    let g = t.group;
    let chunked = |name: &str, len: u64| {
        let body = reqwest::Body::wrap_stream(generated(len, None));
        Form::new()
            .text("group_id", g.to_string())
            .part("file", Part::stream(body).file_name(name.to_owned()))
    };
    // Without a Content-Length, a file that fits is stored whole...
    let (status, res) = send_form(&server, t.member.t(), chunked("fits.bin", 2_000_000)).await;
    assert_form_ok(status, &res);
    let fits = res["file_id"].as_i64().unwrap();
    assert_eq!(
        download_bytes(&server, &t.member, g, fits).await,
        gen_bytes(0, 2_000_000)
    );
    let keys = file_keys(&server);
    assert_eq!(keys.len(), 2_000_000usize.div_ceil(server.chunk_size()));

    // ...and one that does not is cut off at the quota. The server reads on for a moment after
    // refusing, so a client still sending gets the answer rather than a reset connection.
    let res = server
        .client
        .post(server.url(files::UPLOAD))
        .header("token", &t.member.token)
        .multipart(chunked("over.bin", 2_500_000))
        .send()
        .await
        .expect("the refusal is read");
    let (status, value) = json_of(res).await;
    assert_fails(status, &value, 344, 413);
    assert!(
        eventually(|| file_keys(&server) == keys && pending_blobs(&server) == 0).await,
        "left behind: {:?}, pending {}",
        file_keys(&server),
        pending_blobs(&server)
    );
    // The same, chunked by hand while the answer is read: it is 344.
    let (status, value) = raw_chunked_upload(&server, &t.member.token, g, 2_500_000).await;
    assert_fails(status, &value, 344, 413);
    assert!(
        eventually(|| file_keys(&server) == keys && pending_blobs(&server) == 0).await,
        "left behind: {:?}, pending {}",
        file_keys(&server),
        pending_blobs(&server)
    );
    assert_eq!(file_rows(&server), 1);
    assert_eq!(names(&server, &t.member, g, None).await, ["fits.bin"]);
}

#[tokio::test]
async fn resumable_uploads_reserve_their_declared_size_against_the_quota() {
    let server = quota_server().await;
    let t = team(&server, "rquota").await;
    let g = t.group;
    server
        .fails(
            files::BEGIN,
            t.member.t(),
            json!({ "group_id": g, "name": "big.bin", "size": QUOTA + 1 }),
            344,
            413,
        )
        .await;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "a.bin",
        gen_bytes(0, 1_000_000),
    )
    .await;
    server
        .fails(
            files::BEGIN,
            t.member.t(),
            json!({ "group_id": g, "name": "big.bin", "size": 2_000_001 }),
            344,
            413,
        )
        .await;
    let up = server
        .ok(
            files::BEGIN,
            &t.member.token,
            json!({ "group_id": g, "name": "big.bin", "size": 2_000_000 }),
        )
        .await;
    assert_eq!(up["part_count"], 1);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 1);
}

// ---------------------------------------------------------------------------------------------
// Resumable uploads
// ---------------------------------------------------------------------------------------------

async fn put_part(
    server: &Server,
    who: &User,
    upload: i64,
    part: i64,
    bytes: Vec<u8>,
    method: reqwest::Method,
) -> (u16, Value) {
    let res = server
        .client
        .request(method, server.url(files::PART))
        .query(&[
            ("upload_id", upload.to_string()),
            ("part", part.to_string()),
        ])
        .header("token", &who.token)
        .body(bytes)
        .send()
        .await
        .expect("part");
    json_of(res).await
}

async fn put_part_ok(server: &Server, who: &User, upload: i64, part: i64, bytes: Vec<u8>) {
    let (status, res) = put_part(server, who, upload, part, bytes, reqwest::Method::PUT).await;
    assert_eq!(
        (status, &res),
        (200, &json!({ "code": 0, "msg": "success" }))
    );
}

async fn begin(server: &Server, who: &User, body: Value) -> Value {
    server.ok(files::BEGIN, &who.token, body).await
}

#[tokio::test]
async fn resumable_uploads_take_parts_in_any_order_and_complete_into_a_file() {
    let server = Server::start().await;
    let t = team(&server, "resume").await;
    let g = t.group;
    let dir = mkdir(&server, &t.member, g, None, "大文件").await;
    let size = PART_SIZE + 1000;
    let content = gen_bytes(42, size as usize);
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "parent_id": dir, "name": "视频素材.bin", "size": size }),
    )
    .await;
    let id = up["upload_id"].as_i64().expect("upload_id");
    assert_eq!(up["size"].as_u64(), Some(size));
    assert_eq!(up["part_size"].as_u64(), Some(PART_SIZE));
    assert_eq!(up["part_count"], 2);
    assert_eq!(up["received"], json!([]));
    assert!(is_time(&up["expires"]), "{up}");
    // Nothing is listed yet.
    assert!(list(&server, &t.member, g, Some(dir)).await.is_empty());

    // The last part first, then the first one by POST, then the last one again.
    put_part_ok(
        &server,
        &t.member,
        id,
        1,
        content[PART_SIZE as usize..].to_vec(),
    )
    .await;
    let status = server
        .ok(files::STATUS, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(status["received"], json!([1]));
    assert_eq!(status["upload_id"], id);
    assert_eq!(status["part_count"], 2);
    assert_eq!(status["size"].as_u64(), Some(size));
    assert_eq!(status["expires"], up["expires"]);
    let (code, res) = put_part(
        &server,
        &t.member,
        id,
        0,
        content[..PART_SIZE as usize].to_vec(),
        reqwest::Method::POST,
    )
    .await;
    assert_eq!((code, &res["code"]), (200, &json!(0)), "{res}");
    put_part_ok(
        &server,
        &t.member,
        id,
        1,
        content[PART_SIZE as usize..].to_vec(),
    )
    .await;
    let status = server
        .ok(files::STATUS, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(status["received"], json!([0, 1]));

    let done = server
        .ok(files::COMPLETE, &t.member.token, json!({ "upload_id": id }))
        .await;
    let file = done["file_id"].as_i64().expect("file_id");
    let listed = list(&server, &t.member, g, Some(dir)).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["id"], file);
    assert_eq!(listed[0]["name"], "视频素材.bin");
    assert_eq!(listed[0]["size"].as_u64(), Some(size));
    assert_eq!(listed[0]["parent_id"], dir);
    let res = download(&server, &t.member2.token, g, file, &[]).await;
    assert_eq!(header(&res, "etag"), etag_of(&server, file));
    assert!(
        res.bytes().await.unwrap()[..] == content[..],
        "content differs"
    );

    // The upload is over; only the file's chunks remain.
    server
        .fails(
            files::STATUS,
            t.member.t(),
            json!({ "upload_id": id }),
            341,
            404,
        )
        .await;
    server
        .fails(
            files::COMPLETE,
            t.member.t(),
            json!({ "upload_id": id }),
            341,
            404,
        )
        .await;
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM file_upload_parts"), 0);
    assert_eq!(pending_blobs(&server), 0);
    let chunks = (size as usize).div_ceil(server.chunk_size());
    assert_eq!(file_keys(&server).len(), chunks);
}

#[tokio::test]
async fn resumable_parts_must_have_their_exact_size_and_index() {
    let server = Server::start().await;
    let t = team(&server, "parts").await;
    let g = t.group;
    let size = PART_SIZE + 10;
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "name": "p.bin", "size": size }),
    )
    .await;
    let id = up["upload_id"].as_i64().unwrap();
    let put = reqwest::Method::PUT;
    let bad = [
        (0, 100),                    // a first part too short
        (0, PART_SIZE as usize + 1), // and too long
        (1, 9),                      // a last part too short
        (1, 11),                     // and too long
        (2, 10),                     // no such part
        (-1, 10),
    ];
    for (part, len) in bad {
        let (status, res) =
            put_part(&server, &t.member, id, part, vec![7u8; len], put.clone()).await;
        assert_fails(status, &res, 101, 400);
    }
    let res = server
        .client
        .put(server.url(files::PART))
        .query(&[("upload_id", id.to_string())])
        .header("token", &t.member.token)
        .body(vec![1u8; 10])
        .send()
        .await
        .unwrap();
    get_fails(res, 101, 400).await;
    let status = server
        .ok(files::STATUS, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(status["received"], json!([]));

    // Completing with a part missing is refused, and the upload stays.
    put_part_ok(&server, &t.member, id, 1, gen_bytes(PART_SIZE, 10)).await;
    server
        .fails(
            files::COMPLETE,
            t.member.t(),
            json!({ "upload_id": id }),
            101,
            400,
        )
        .await;
    let status = server
        .ok(files::STATUS, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(status["received"], json!([1]));
    // A part that was refused may be put again correctly.
    put_part_ok(&server, &t.member, id, 0, gen_bytes(0, PART_SIZE as usize)).await;
    let file = server
        .ok(files::COMPLETE, &t.member.token, json!({ "upload_id": id }))
        .await["file_id"]
        .as_i64()
        .unwrap();
    let res = download(&server, &t.member.token, g, file, &[]).await;
    assert_eq!(
        sha256_hex(&res.bytes().await.unwrap()),
        sha256_hex(&gen_bytes(0, size as usize))
    );
    assert_eq!(pending_blobs(&server), 0);
}

#[tokio::test]
async fn resumable_uploads_belong_to_their_uploader() {
    let server = Server::start().await;
    let t = team(&server, "rowner").await;
    let g = t.group;
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "name": "m.bin", "size": 10 }),
    )
    .await;
    let id = up["upload_id"].as_i64().unwrap();
    for (who, upload) in [(&t.member2, id), (&t.creator, id), (&t.member, 999_999)] {
        for path in [files::STATUS, files::COMPLETE, files::ABORT] {
            server
                .fails(path, who.t(), json!({ "upload_id": upload }), 341, 404)
                .await;
        }
        let (status, res) =
            put_part(&server, who, upload, 0, vec![1u8; 10], reqwest::Method::PUT).await;
        assert_fails(status, &res, 341, 404);
    }
    // Still the member's, untouched.
    let status = server
        .ok(files::STATUS, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(status["received"], json!([]));
}

/// A retried `complete` while the first still runs, or an `abort` racing it, never leaves a
/// file without its content: one call wins, the other is 341.
#[tokio::test]
async fn racing_completes_and_aborts_keep_the_file_whole() {
    let server = Server::start().await;
    let t = team(&server, "race").await;
    let g = t.group;
    for (round, second) in [
        (0, files::COMPLETE),
        (1, files::ABORT),
        (2, files::COMPLETE),
        (3, files::ABORT),
    ] {
        let content = gen_bytes(round, 1_500_000);
        let up = begin(
            &server,
            &t.member,
            json!({ "group_id": g, "name": format!("race{round}.bin"), "size": content.len() }),
        )
        .await;
        let id = up["upload_id"].as_i64().unwrap();
        put_part_ok(&server, &t.member, id, 0, content.clone()).await;
        let body = json!({ "upload_id": id });
        let ((_, a), (_, b)) = tokio::join!(
            server.post(files::COMPLETE, t.member.t(), body.clone()),
            server.post(second, t.member.t(), body.clone())
        );
        let codes = (a["code"].as_i64(), b["code"].as_i64());
        match codes {
            (Some(0), Some(341)) | (Some(341), Some(0)) => {}
            other => panic!("round {round}: {other:?} {a} {b}"),
        }
        if let Some(file) = [&a, &b].iter().find_map(|x| x["file_id"].as_i64()) {
            assert!(download_bytes(&server, &t.member, g, file).await == content);
        }
    }
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
}

#[tokio::test]
async fn aborting_a_resumable_upload_frees_its_parts() {
    let server = Server::start().await;
    let t = team(&server, "abort").await;
    let g = t.group;
    let size = PART_SIZE + 5;
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "name": "a.bin", "size": size }),
    )
    .await;
    let id = up["upload_id"].as_i64().unwrap();
    put_part_ok(&server, &t.member, id, 0, gen_bytes(0, PART_SIZE as usize)).await;
    put_part_ok(&server, &t.member, id, 1, gen_bytes(PART_SIZE, 5)).await;
    let chunks = (size as usize).div_ceil(server.chunk_size());
    assert_eq!(file_keys(&server).len(), chunks);
    assert_eq!(pending_blobs(&server), 1);

    let res = server
        .ok(files::ABORT, &t.member.token, json!({ "upload_id": id }))
        .await;
    assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    assert!(file_keys(&server).is_empty(), "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM file_upload_parts"), 0);
    server
        .fails(
            files::STATUS,
            t.member.t(),
            json!({ "upload_id": id }),
            341,
            404,
        )
        .await;
    let (status, res) = put_part(
        &server,
        &t.member,
        id,
        1,
        gen_bytes(PART_SIZE, 5),
        reqwest::Method::PUT,
    )
    .await;
    assert_fails(status, &res, 341, 404);
    assert!(list(&server, &t.member, g, None).await.is_empty());
    assert_eq!(file_rows(&server), 0);
}

#[tokio::test]
async fn resumable_begin_and_complete_check_the_target() {
    let server = Server::start().await;
    let t = team(&server, "rbegin").await;
    let g = t.group;
    upload_ok(&server, &t.member, g, None, "taken.txt", text_bytes(3)).await;
    server
        .fails(
            files::BEGIN,
            t.member.t(),
            json!({ "group_id": g, "name": "taken.txt", "size": 5 }),
            343,
            409,
        )
        .await;
    // Over the group's (default, 5 GiB) quota by its declared size.
    server
        .fails(
            files::BEGIN,
            t.member.t(),
            json!({ "group_id": g, "name": "huge.bin", "size": 6u64 << 30 }),
            344,
            413,
        )
        .await;
    server
        .fails(
            files::BEGIN,
            t.outsider.t(),
            json!({ "group_id": g, "name": "x.bin", "size": 5 }),
            303,
            403,
        )
        .await;
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);

    // A name taken while the upload was under way is 343 at completion, and nothing remains.
    let up = begin(
        &server,
        &t.member,
        json!({ "group_id": g, "name": "race.txt", "size": 5 }),
    )
    .await;
    let id = up["upload_id"].as_i64().unwrap();
    put_part_ok(&server, &t.member, id, 0, b"hello".to_vec()).await;
    upload_ok(&server, &t.member2, g, None, "race.txt", text_bytes(7)).await;
    server
        .fails(
            files::COMPLETE,
            t.member.t(),
            json!({ "upload_id": id }),
            343,
            409,
        )
        .await;
    assert_eq!(file_keys(&server).len(), 2, "{:?}", file_keys(&server));
    assert_eq!(pending_blobs(&server), 0);
    assert_eq!(count(&server, "SELECT count(*) FROM file_uploads"), 0);
    let race = entry_named(&server, &t.member, g, None, "race.txt").await;
    assert_eq!(race["size"], 7);
}

// ---------------------------------------------------------------------------------------------
// Durations and kinds
// ---------------------------------------------------------------------------------------------

fn assert_duration(entry: &Value, seconds: f64) {
    let got = entry["duration"].as_f64().expect("duration");
    assert!(
        (got - seconds).abs() <= 0.1,
        "duration {got}, want {seconds}: {entry}"
    );
}

#[tokio::test]
async fn wav_files_are_voice_with_their_duration() {
    let server = Server::start().await;
    let t = team(&server, "wav").await;
    let g = t.group;
    upload_ok(&server, &t.member, g, None, "memo.wav", wav(5, 8000)).await;
    // Longer than the megabyte kept of each end: the length comes from the header.
    upload_ok(&server, &t.member, g, None, "lecture.wav", wav(45, 16_000)).await;
    let memo = entry_named(&server, &t.member, g, None, "memo.wav").await;
    assert_eq!(memo["file_type"], "voice");
    assert_eq!(memo["type"], ".wav");
    assert_eq!(memo["duration"].as_f64(), Some(5.0));
    let lecture = entry_named(&server, &t.member, g, None, "lecture.wav").await;
    assert_eq!(lecture["file_type"], "voice");
    assert_eq!(lecture["duration"].as_f64(), Some(45.0));
}

#[tokio::test]
async fn mp3_files_are_voice_with_their_duration() {
    let server = Server::start().await;
    let t = team(&server, "mp3").await;
    let g = t.group;
    upload_ok(&server, &t.member, g, None, "tone.mp3", MP3_3S.to_vec()).await;
    let tone = entry_named(&server, &t.member, g, None, "tone.mp3").await;
    assert_eq!(tone["file_type"], "voice");
    assert_duration(&tone, 3.0);
    let res = download(
        &server,
        &t.member.token,
        g,
        tone["id"].as_i64().unwrap(),
        &[],
    )
    .await;
    assert_eq!(header(&res, "content-type"), "audio/mpeg");
}

#[tokio::test]
async fn mp4_files_are_video_with_their_duration_wherever_the_index_is() {
    let server = Server::start().await;
    let t = team(&server, "mp4").await;
    let g = t.group;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "faststart.mp4",
        MP4_2S.to_vec(),
    )
    .await;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "moov-last.mp4",
        MP4_2S_MOOV_AT_END.to_vec(),
    )
    .await;
    // The index after 3 MB of other boxes: found in the file's last megabyte.
    let far = padded_after_ftyp(MP4_2S_MOOV_AT_END, 3_000_000);
    upload_ok(&server, &t.member, g, None, "moov-far.mp4", far).await;
    for name in ["faststart.mp4", "moov-last.mp4", "moov-far.mp4"] {
        let clip = entry_named(&server, &t.member, g, None, name).await;
        assert_eq!(clip["file_type"], "video", "{clip}");
        assert_eq!(clip["type"], ".mp4", "{clip}");
        assert_duration(&clip, 2.0);
    }
}

#[tokio::test]
async fn garbage_named_mp4_is_a_plain_file_without_duration() {
    let server = Server::start().await;
    let t = team(&server, "garbage").await;
    let g = t.group;
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "fake.mp4",
        gen_bytes(99, 50_000),
    )
    .await;
    let fake = entry_named(&server, &t.member, g, None, "fake.mp4").await;
    assert_eq!(fake["file_type"], "file");
    assert_eq!(fake["type"], ".mp4");
    assert_eq!(fake["duration"].as_f64(), Some(0.0));
    assert_eq!(fake["size"], 50_000);
    // A broken MP4 (right magic, truncated) is video with duration 0.
    upload_ok(
        &server,
        &t.member,
        g,
        None,
        "broken.mp4",
        MP4_2S[..200].to_vec(),
    )
    .await;
    let broken = entry_named(&server, &t.member, g, None, "broken.mp4").await;
    assert_eq!(broken["file_type"], "video");
    assert_eq!(broken["duration"].as_f64(), Some(0.0));
}

// ---------------------------------------------------------------------------------------------
// Thumbnails
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn image_thumbnails_fit_256_pixels_and_keep_the_aspect_ratio() {
    let server = Server::start().await;
    let t = team(&server, "thumb").await;
    let g = t.group;
    let wide = upload_ok(&server, &t.member, g, None, "wide.png", png(1000, 500, 255)).await;
    let tall = upload_ok(&server, &t.member, g, None, "tall.png", png(300, 900, 255)).await;
    let small = upload_ok(&server, &t.member, g, None, "small.png", png(100, 50, 255)).await;
    let jpeg = encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            512,
            512,
            image::Rgb([10, 200, 30]),
        )),
        image::ImageFormat::Jpeg,
    );
    let square = upload_ok(&server, &t.member, g, None, "square.jpg", jpeg).await;
    for (file, size) in [
        (wide, (256, 128)),
        (tall, (85, 256)),
        (small, (100, 50)),
        (square, (256, 256)),
    ] {
        let (_, img) = thumbnail_jpeg(&server, &t.member2, g, file).await;
        let (w, h) = (img.width(), img.height());
        assert!(w.max(h) <= 256);
        assert!(
            (w as i64 - size.0 as i64).abs() <= 1 && (h as i64 - size.1 as i64).abs() <= 1,
            "{w}x{h}, want {size:?}"
        );
    }
    // The picture is the image's: the square is green.
    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, square).await;
    let p = img.to_rgb8().get_pixel(128, 128).0;
    assert!(p[1] > 150 && p[0] < 60 && p[2] < 80, "{p:?}");
}

#[tokio::test]
async fn transparent_png_thumbnails_lie_on_white() {
    let server = Server::start().await;
    let t = team(&server, "alpha").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "clear.png", png(1000, 500, 0)).await;
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, file).await;
    assert_eq!((img.width(), img.height()), (256, 128));
    let rgb = img.to_rgb8();
    assert!(
        rgb.pixels().all(|p| p.0.iter().all(|c| *c >= 245)),
        "a transparent picture must come out white"
    );
}

#[tokio::test]
async fn jpeg_thumbnails_follow_the_exif_orientation() {
    let server = Server::start().await;
    let t = team(&server, "exif").await;
    let g = t.group;
    let big = upload_ok(
        &server,
        &t.member,
        g,
        None,
        "rotated.jpg",
        jpeg_with_orientation_6(600, 300),
    )
    .await;
    let small = upload_ok(
        &server,
        &t.member,
        g,
        None,
        "rot-small.jpg",
        jpeg_with_orientation_6(100, 50),
    )
    .await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "rotated.jpg").await["file_type"],
        "image"
    );
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, big).await;
    assert_eq!((img.width(), img.height()), (128, 256));
    let (_, img) = thumbnail_jpeg(&server, &t.member, g, small).await;
    assert_eq!((img.width(), img.height()), (50, 100));
}

#[tokio::test]
async fn image_thumbnails_are_made_once_and_kept() {
    let server = Server::start().await;
    let t = team(&server, "keepthumb").await;
    let g = t.group;
    let file = upload_ok(&server, &t.member, g, None, "p.png", png(800, 600, 200)).await;
    let key = format!("file/{}.thumb", blob_of(&server, file));
    assert!(
        !file_keys(&server).contains(&key),
        "made before it was asked for"
    );
    let (first, img) = thumbnail_jpeg(&server, &t.member, g, file).await;
    assert_eq!((img.width(), img.height()), (256, 192));
    assert!(file_keys(&server).contains(&key));
    assert_eq!(server.stored_file(&key).expect("stored thumbnail"), first);
    let (second, _) = thumbnail_jpeg(&server, &t.member2, g, file).await;
    assert_eq!(second, first);
    // The file itself is unchanged.
    assert_eq!(
        download_bytes(&server, &t.member, g, file).await,
        png(800, 600, 200)
    );
}

#[tokio::test]
async fn files_without_a_picture_have_no_thumbnail() {
    let server = Server::start().await;
    let t = team(&server, "nothumb").await;
    let g = t.group;
    let text = upload_ok(&server, &t.member, g, None, "a.txt", text_bytes(100)).await;
    let voice = upload_ok(&server, &t.member, g, None, "v.wav", wav(1, 8000)).await;
    // PNG magic, but no picture behind it.
    let mut broken = png(50, 50, 255)[..40].to_vec();
    broken.extend_from_slice(&[0u8; 100]);
    let bad = upload_ok(&server, &t.member, g, None, "bad.png", broken).await;
    assert_eq!(
        entry_named(&server, &t.member, g, None, "bad.png").await["file_type"],
        "image"
    );
    for file in [text, voice, bad, bad] {
        get_fails(thumbnail(&server, &t.member, g, file).await, 341, 404).await;
    }
    assert!(!file_keys(&server).iter().any(|k| k.ends_with(".thumb")));
    // Without thumbnail=1 (or with it empty) the file itself comes.
    let res = server
        .get(
            files::DOWNLOAD,
            &[
                ("token", t.member.token.as_str()),
                ("group_id", &g.to_string()),
                ("file_id", &text.to_string()),
                ("thumbnail", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.bytes().await.unwrap().to_vec(), text_bytes(100));
}

#[tokio::test]
async fn videos_have_the_thumbnail_uploaded_with_them() {
    let server = Server::start().await;
    let t = team(&server, "vthumb").await;
    let g = t.group;
    // The thumbnail part after the file part...
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip.mp4"))
        .part(
            "thumbnail",
            Part::bytes(png(400, 300, 255)).file_name("cover.png"),
        );
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let with_after = res["file_id"].as_i64().unwrap();
    // ...or before it.
    let cover = encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            100,
            200,
            image::Rgb([220, 20, 20]),
        )),
        image::ImageFormat::Jpeg,
    );
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("thumbnail", Part::bytes(cover).file_name("cover.jpg"))
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip2.mp4"));
    let (status, res) = send_form(&server, t.member.t(), form).await;
    assert_form_ok(status, &res);
    let with_before = res["file_id"].as_i64().unwrap();
    let without = upload_ok(&server, &t.member, g, None, "bare.mp4", MP4_2S.to_vec()).await;

    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, with_after).await;
    assert_eq!((img.width(), img.height()), (256, 192));
    let (_, img) = thumbnail_jpeg(&server, &t.member2, g, with_before).await;
    assert_eq!((img.width(), img.height()), (100, 200));
    let p = img.to_rgb8().get_pixel(50, 100).0;
    assert!(p[0] > 180 && p[1] < 70 && p[2] < 70, "{p:?}");
    assert!(file_keys(&server).contains(&format!("file/{}.thumb", blob_of(&server, with_after))));
    get_fails(thumbnail(&server, &t.member2, g, without).await, 341, 404).await;
    // The videos themselves are unchanged.
    assert_eq!(
        download_bytes(&server, &t.member, g, with_after).await,
        MP4_2S
    );
    // A thumbnail that is not a picture refuses the upload (333), leaving nothing.
    let form = Form::new()
        .text("group_id", g.to_string())
        .part("file", Part::bytes(MP4_2S.to_vec()).file_name("clip3.mp4"))
        .part(
            "thumbnail",
            Part::bytes(text_bytes(50)).file_name("cover.png"),
        );
    upload_fails(&server, t.member.t(), form, 333, 400).await;
    assert_eq!(file_rows(&server), 3);
    assert!(eventually(|| pending_blobs(&server) == 0).await);
    assert_eq!(file_keys(&server).len(), 5, "{:?}", file_keys(&server));
}

// ---------------------------------------------------------------------------------------------
// Sharing into the chat
// ---------------------------------------------------------------------------------------------

/// (room_kind, room_id, user_id, msg_type, file_id, file_info) of every chat message.
fn chat_rows(server: &Server) -> Vec<(String, i64, String, String, i64, Value)> {
    let conn = server.sqlite();
    let mut stmt = conn
        .prepare(
            "SELECT room_kind, room_id, user_id, msg_type, file_id, file_info
             FROM chat_messages ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            let info: String = r.get(5)?;
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                serde_json::from_str(&info).expect("file_info is JSON"),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    rows
}

#[tokio::test]
async fn sharing_posts_a_file_message_into_the_group_chat() {
    let server = Server::start().await;
    let t = team(&server, "share").await;
    let g = t.group;
    let doc = upload_ok(&server, &t.member, g, None, "报告.PDF", text_bytes(77)).await;
    let pic = upload_ok(&server, &t.member, g, None, "p.png", png(10, 10, 255)).await;
    let voice = upload_ok(&server, &t.member2, g, None, "v.wav", wav(3, 8000)).await;
    let video = upload_ok(&server, &t.member2, g, None, "c.mp4", MP4_2S.to_vec()).await;

    for (who, file) in [
        (&t.member2, doc),
        (&t.member, pic),
        (&t.creator, voice),
        (&t.admin, video),
    ] {
        let res = server
            .ok(
                files::SHARE,
                &who.token,
                json!({ "group_id": g, "file_id": file }),
            )
            .await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
    }
    let rows = chat_rows(&server);
    assert_eq!(rows.len(), 4);
    let listed = list(&server, &t.member, g, None).await;
    let expected = [
        (&t.member2, doc, "file"),
        (&t.member, pic, "image"),
        (&t.creator, voice, "voice"),
        (&t.admin, video, "video"),
    ];
    for (row, (who, file, kind)) in rows.iter().zip(expected) {
        let (room_kind, room_id, user_id, msg_type, file_id, info) = row;
        assert_eq!(room_kind, "group");
        assert_eq!(*room_id, g);
        assert_eq!(user_id, &who.id);
        assert_eq!(msg_type, kind);
        assert_eq!(*file_id, file);
        let entry = listed.iter().find(|e| e["id"] == file).unwrap();
        let mut keys: Vec<&str> = info
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        let timed = matches!(kind, "voice" | "video");
        let want: Vec<&str> = if timed {
            vec![
                "duration",
                "file_type",
                "id",
                "name",
                "size",
                "time",
                "type",
            ]
        } else {
            vec!["file_type", "id", "name", "size", "time", "type"]
        };
        assert_eq!(keys, want, "{info}");
        for key in ["id", "name", "type", "size", "time", "file_type"] {
            assert_eq!(info[key], entry[key], "{key}: {info} vs {entry}");
        }
        if timed {
            assert!(info["duration"].as_f64().unwrap() > 1.5, "{info}");
            assert_eq!(info["duration"], entry["duration"]);
        }
    }
    assert_eq!(rows[0].5["name"], "报告.PDF");
    assert_eq!(rows[0].5["type"], ".pdf");
    assert_eq!(rows[0].5["size"], 77);
    assert_eq!(rows[2].5["duration"].as_f64(), Some(3.0));
}

/// Hosted Spin key-value stores take values of at most 1 MB: with the key-value store as the
/// blob store, no value is over 10^6 bytes, a file's chunks and a picture's alike (a noisy,
/// translucent picture stays a PNG of about 1 MB at 512 pixels a side).
#[tokio::test]
async fn key_value_values_fit_hosted_stores() {
    // Files in the key-value store; with object storage, it holds none (files_s3.rs).
    let server = Server::with(Options::dev_login().env("ZUDUI_BLOB_STORE", "kv")).await;
    let t = team(&server, "values").await;
    upload_ok(
        &server,
        &t.member,
        t.group,
        None,
        "big.bin",
        gen_bytes(5, 2_500_000),
    )
    .await;
    let mut x = 0x9e37_79b9_u32;
    let noise = image::RgbaImage::from_fn(512, 512, |_, _| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        image::Rgba([
            x as u8,
            (x >> 8) as u8,
            (x >> 16) as u8,
            100 + (x >> 24) as u8 % 100,
        ])
    });
    let noise = encode(
        image::DynamicImage::ImageRgba8(noise),
        image::ImageFormat::Png,
    );
    let (status, res) = server
        .upload(
            "/user/info/avatar/add",
            Some(&t.member.token),
            "avatar",
            noise,
            &[],
        )
        .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    let avatar = server
        .client
        .get(server.url("/user/info/avatar/get"))
        .query(&[("token", &t.member.token)])
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.status(), 200);
    let served = avatar.bytes().await.unwrap().len();
    assert!(
        served > 1_000_000,
        "the picture spans two values: {served} bytes"
    );

    let keys = server.kv_keys();
    assert!(keys.len() >= 5, "{keys:?}");
    for key in keys {
        let len = server.kv_get(&key).map_or(0, |v| v.len());
        assert!(len <= 1_000_000, "{key}: {len} bytes");
    }
}
