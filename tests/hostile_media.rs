//! Crafted media through every path that reaches a parser (group upload, chat upload, resumable
//! complete, avatars, group and announcement pictures, a video's thumbnail part, thumbnails made
//! on download): each gets a clear, harmless answer (duration 0, no thumbnail, 333), and the
//! server answers an unrelated request within 100 ms afterwards. The files are in
//! `tests/fixtures/hostile/`, which the fuzz targets also replay (`fuzz/run.sh`).

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::{admit, create_group, png, user, Host, Server, User};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

/// More than any job's time budget: a request that takes longer hangs.
const ANSWER_WITHIN: Duration = Duration::from_secs(30);
const NEXT_REQUEST_WITHIN: Duration = Duration::from_millis(100);

fn hostile(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/hostile/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{name}: {e}"))
}

const CLIP: &[u8] = include_bytes!("fixtures/clip-2s.mp4");

/// Videos that crashed, hung or confuse a container parser; each is video with duration 0.
fn videos() -> Vec<(&'static str, Vec<u8>)> {
    let mut large_size = CLIP[..32].to_vec();
    large_size.extend_from_slice(b"\0\0\0\x01moov\xff\xff\xff\xff\xff\xff\xff\xf0");
    vec![
        // mp4 0.14 aborted the process on it (a `meta` child box of size 4).
        (
            "meta-child-size-4.mp4",
            hostile("mp4-meta-child-size-4.mp4"),
        ),
        // mp4 0.14 looped on it forever (a `moov` child box of size 0).
        (
            "moov-child-size-0.mp4",
            hostile("mp4-moov-child-size-0.mp4"),
        ),
        ("truncated.mp4", CLIP[..200].to_vec()),
        // A 64-bit box size past the end (symphonia's MP4 reader overflowed on it).
        ("large-size.mp4", large_size),
        // Found by fuzz/run.sh: symphonia's ADTS reader panics on it (`step_by(0)`); the job's
        // panic is a failure.
        ("adts-step-zero.mp4", hostile("adts-in-mp4-step-zero.mp4")),
    ]
}

/// The 11000×11000 PNG of 345 KiB that peaked at ~440 MiB as an avatar: a real picture, all
/// black, so that only a check of its header refuses it before decoding.
fn png_bomb() -> Vec<u8> {
    const SIDE: u32 = 11_000;
    let mut rows = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let row = vec![0u8; 1 + 3 * SIDE as usize];
    for _ in 0..SIDE {
        rows.write_all(&row).unwrap();
    }
    let mut ihdr = SIDE.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&SIDE.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [
        (b"IHDR", ihdr),
        (b"IDAT", rows.finish().unwrap()),
        (b"IEND", vec![]),
    ] {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(&data);
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(&data);
        out.extend_from_slice(&crc.sum().to_be_bytes());
    }
    out
}

/// Pictures that are too large to decode or do not decode, each 333 with the reason `host`
/// gives.
fn pictures(host: Host) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let mut truncated_jpeg = common::encode(
        image::DynamicImage::ImageRgb8(image::RgbImage::new(300, 200)),
        image::ImageFormat::Jpeg,
    );
    // Cut within its headers (zune-jpeg decodes a JPEG cut in its scan, as browsers do).
    truncated_jpeg.truncate(100);
    let mut garbage_png = b"\x89PNG\r\n\x1a\n".to_vec();
    garbage_png.extend(std::iter::repeat_n(0xa5, 4000));
    vec![
        ("bomb.png", png_bomb(), "11000×11000 像素，超过 4000 万像素"),
        (
            "11000x11000.png",
            hostile("png-11000x11000-header.png"),
            "超过 4000 万像素",
        ),
        (
            "20000x100.png",
            hostile("png-20000x100-header.png"),
            "边长超过",
        ),
        (
            "rgba16.png",
            hostile("png-6000x5000-rgba16-header.png"),
            "解码需要 240 MB",
        ),
        (
            "40mp-truncated.png",
            hostile("png-8000x5000-rgba-truncated.png"),
            match host {
                Host::Native => "文件已损坏",
                // A component's memory allows 80 MiB decoded (README, Limits): refused before.
                Host::Spin => "解码需要 160 MB，超过 83 MB",
            },
        ),
        ("truncated.jpg", truncated_jpeg, "图片无法解码"),
        ("garbage.png", garbage_png, "图片无法解码"),
        (
            "garbage.gif",
            b"GIF89a\xff\xff\xff\xff".to_vec(),
            "图片无法解码",
        ),
    ]
}

/// Runs `request` (which must answer within [`ANSWER_WITHIN`]), then checks that an unrelated
/// request is answered within [`NEXT_REQUEST_WITHIN`]: the best of three, so that a busy test
/// machine does not count, while a stalled or dead server fails all three.
async fn then_answers<T>(
    server: &Server,
    who: &User,
    what: &str,
    request: impl std::future::Future<Output = T>,
) -> T {
    let out = tokio::time::timeout(ANSWER_WITHIN, request)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {ANSWER_WITHIN:?}"));
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let info = server
            .ok("/user/info/text/getInfo", &who.token, json!({}))
            .await;
        assert_eq!(info["id"], who.id.as_str());
        best = best.min(started.elapsed());
    }
    assert!(
        best < NEXT_REQUEST_WITHIN,
        "{what}: next answer took {best:?}"
    );
    out
}

struct Setup {
    server: Server,
    owner: User,
    member: User,
    group: i64,
}

async fn setup(prefix: &str) -> Setup {
    let server = Server::start().await;
    let owner = user(&server, &format!("{prefix}-owner")).await;
    let member = user(&server, &format!("{prefix}-member")).await;
    let group = create_group(&server, &owner, &format!("{prefix} 组")).await;
    admit(&server, &owner, &member, group).await;
    Setup {
        server,
        owner,
        member,
        group,
    }
}

async fn send(server: &Server, who: &User, path: &str, form: Form) -> (u16, Value) {
    let res = server
        .client
        .post(server.url(path))
        .header("token", &who.token)
        .multipart(form)
        .send()
        .await
        .expect("request");
    (res.status().as_u16(), res.json().await.expect("json"))
}

fn succeeded(status: u16, res: &Value) -> i64 {
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    res["file_id"].as_i64().expect("file_id")
}

fn refused_333(status: u16, res: &Value, what: &str, why: &str) {
    assert_eq!((status, &res["code"]), (400, &json!(333)), "{what}: {res}");
    let msg = res["errorMsg"].as_str().unwrap_or_default();
    assert!(msg.contains(why), "{what}: want {why:?}: {res}");
}

async fn group_entry(s: &Setup, name: &str) -> Value {
    let files = s.server.list_folder(&s.member, s.group, None).await;
    files
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {files:?}"))
        .clone()
}

#[tokio::test]
async fn crafted_videos_are_video_without_duration_through_every_upload_path() {
    let s = setup("video").await;
    for (name, bytes) in videos() {
        // Group upload.
        let form = Form::new()
            .text("group_id", s.group.to_string())
            .part("file", Part::bytes(bytes.clone()).file_name(name));
        let sent = send(&s.server, &s.member, "/group/internal/files/upload", form);
        let (status, res) = then_answers(&s.server, &s.owner, name, sent).await;
        succeeded(status, &res);
        let entry = group_entry(&s, name).await;
        assert_eq!(
            (&entry["file_type"], entry["duration"].as_f64()),
            (&json!("video"), Some(0.0)),
            "{entry}"
        );

        // Chat upload.
        let form = Form::new()
            .text("type", "group")
            .text("room_id", s.group.to_string())
            .part("file", Part::bytes(bytes.clone()).file_name(name));
        let sent = send(&s.server, &s.member, "/chat/files/upload", form);
        let (status, res) = then_answers(&s.server, &s.owner, name, sent).await;
        succeeded(status, &res);

        // Resumable upload: the probe runs on complete.
        let resumed = format!("resumed-{name}");
        let up = s
            .server
            .ok(
                "/group/internal/files/upload/begin",
                &s.member.token,
                json!({ "group_id": s.group, "name": resumed, "size": bytes.len() }),
            )
            .await;
        let id = up["upload_id"].as_i64().expect("upload_id");
        let part = s
            .server
            .client
            .put(s.server.url("/group/internal/files/upload/part"))
            .query(&[("upload_id", id.to_string()), ("part", "0".into())])
            .header("token", &s.member.token)
            .body(bytes.clone())
            .send()
            .await
            .expect("part");
        assert_eq!(part.status(), 200);
        let complete = s.server.post(
            "/group/internal/files/upload/complete",
            Some(&s.member.token),
            json!({ "upload_id": id }),
        );
        let (status, res) = then_answers(&s.server, &s.owner, name, complete).await;
        succeeded(status, &res);
        let entry = group_entry(&s, &resumed).await;
        assert_eq!(entry["duration"].as_f64(), Some(0.0), "{entry}");
    }
    // A sound video uploaded after them still gets its duration.
    let form = Form::new()
        .text("group_id", s.group.to_string())
        .part("file", Part::bytes(CLIP.to_vec()).file_name("sound.mp4"));
    succeeded_after(&s, form).await;
    let entry = group_entry(&s, "sound.mp4").await;
    assert_eq!(entry["duration"].as_f64(), Some(2.0), "{entry}");
}

async fn succeeded_after(s: &Setup, form: Form) {
    let (status, res) = send(&s.server, &s.member, "/group/internal/files/upload", form).await;
    succeeded(status, &res);
}

/// A form's text fields.
type Fields<'a> = Vec<(&'a str, &'a str)>;

#[tokio::test]
async fn crafted_pictures_are_333_with_their_reason_on_every_picture_path() {
    let s = setup("picture").await;
    let announcement = s
        .server
        .ok(
            "/group/internal/announcement/add",
            &s.owner.token,
            json!({ "group_id": s.group, "title": "通知", "text": "正文" }),
        )
        .await["announcement_id"]
        .as_i64()
        .expect("announcement_id");
    let group = s.group.to_string();
    let announcement = announcement.to_string();
    for (name, bytes, why) in pictures(s.server.host) {
        let paths: [(&str, &str, Fields); 4] = [
            ("/user/info/avatar/add", "avatar", vec![]),
            (
                "/group/internal/info/avatar/add",
                "avatar",
                vec![("group_id", &group)],
            ),
            (
                "/group/internal/info/picture/add",
                "pic",
                vec![("group_id", &group)],
            ),
            (
                "/group/internal/announcement/setPic",
                "pic",
                vec![("group_id", &group), ("announcement_id", &announcement)],
            ),
        ];
        for (path, field, fields) in paths {
            let sent = s
                .server
                .upload(path, s.owner.t(), field, bytes.clone(), &fields);
            let (status, res) = then_answers(&s.server, &s.member, path, sent).await;
            refused_333(status, &res, &format!("{name} at {path}"), why);
        }
        // As the thumbnail part of a video upload: the upload is refused and stores nothing.
        let form = Form::new()
            .text("group_id", group.clone())
            .part("thumbnail", Part::bytes(bytes.clone()).file_name(name))
            .part("file", Part::bytes(CLIP.to_vec()).file_name("v.mp4"));
        let sent = send(&s.server, &s.member, "/group/internal/files/upload", form);
        let (status, res) = then_answers(&s.server, &s.owner, name, sent).await;
        refused_333(status, &res, name, why);
    }
    let pictures = s
        .server
        .ok(
            "/group/internal/info/picture/getAll",
            &s.member.token,
            json!({ "group_id": s.group }),
        )
        .await;
    assert_eq!(pictures["pictures"], json!([]));
    // A sound picture after them is taken.
    let (status, res) = s
        .server
        .upload(
            "/user/info/avatar/add",
            s.owner.t(),
            "avatar",
            png(600, 400, 255),
            &[],
        )
        .await;
    assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
}

#[tokio::test]
async fn crafted_pictures_stored_as_files_have_no_thumbnail() {
    let s = setup("thumb").await;
    for (name, bytes, _) in pictures(s.server.host) {
        let form = Form::new()
            .text("group_id", s.group.to_string())
            .part("file", Part::bytes(bytes).file_name(name));
        succeeded_after(&s, form).await;
        let id = group_entry(&s, name).await["id"].as_i64().expect("id");
        let thumbnail = || async {
            let res = s
                .server
                .get(
                    "/group/internal/files/download",
                    &[
                        ("token", s.member.token.as_str()),
                        ("group_id", &s.group.to_string()),
                        ("file_id", &id.to_string()),
                        ("thumbnail", "1"),
                    ],
                )
                .await;
            (
                res.status().as_u16(),
                res.json::<Value>().await.expect("json"),
            )
        };
        // Made (and failed) on the first request, remembered for the second.
        for _ in 0..2 {
            let (status, res) = then_answers(&s.server, &s.owner, name, thumbnail()).await;
            assert_eq!((status, &res["code"]), (404, &json!(341)), "{name}: {res}");
        }
    }
}
