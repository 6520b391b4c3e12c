//! The group file space on S3-compatible object storage: the same endpoints with
//! `ZUDUI_BLOB_STORE=s3`, against a real S3 server (`s3s-fs`, which `.ci/run` installs) started
//! on loopback for each test, with its own bucket directory.

mod common;

use common::paths::files;
use common::s3::S3;
use common::{s3_group, Server, User};
use serde_json::json;
use sha2::{Digest, Sha256};

fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

async fn download(
    s: &Server,
    who: &User,
    group: i64,
    file: i64,
    range: Option<&str>,
) -> (u16, Vec<u8>) {
    let mut req = s.client.get(s.url(files::DOWNLOAD)).query(&[
        ("token", who.token.clone()),
        ("group_id", group.to_string()),
        ("file_id", file.to_string()),
    ]);
    if let Some(range) = range {
        req = req.header("range", range);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn files_round_trip_through_object_storage_in_chunks_and_leave_nothing_when_deleted() {
    let (s3, s, t, g) = s3_group("s3-owner", None).await;
    // 20 MB: three 8 MiB objects, the last one short.
    let data = bytes(20_000_000, 7);
    let file = s
        .upload_file_into(&t, g, None, "大文件.bin", data.clone())
        .await;
    let objects = s3.objects();
    assert_eq!(objects.len(), 3, "{objects:?}");
    assert!(
        objects.iter().all(|o| o.starts_with("app/file/")),
        "{objects:?}"
    );

    let (status, body) = download(&s, &t, g, file, None).await;
    assert_eq!(status, 200);
    assert_eq!(Sha256::digest(&body), Sha256::digest(&data));
    // A range across the boundary of the first and second object.
    let start = 8_000_000 - 10;
    let (status, body) = download(
        &s,
        &t,
        g,
        file,
        Some(&format!("bytes={start}-{}", start + 19)),
    )
    .await;
    assert_eq!(status, 206);
    assert_eq!(body, data[start..start + 20]);

    // An image's thumbnail is made once and kept beside its chunks.
    let png = common::png(600, 300, 255);
    let pic = s.upload_file_into(&t, g, None, "pic.png", png).await;
    let thumb = s
        .get(
            files::DOWNLOAD,
            &[
                ("token", &t.token),
                ("group_id", &g.to_string()),
                ("file_id", &pic.to_string()),
                ("thumbnail", "1"),
            ],
        )
        .await;
    assert_eq!(thumb.status(), 200);
    let img = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (256, 128));
    assert!(s3.objects().iter().any(|o| o.ends_with(".thumb")));

    for id in [file, pic] {
        s.delete_file(&t, g, id).await;
    }
    assert_eq!(s3.objects(), Vec::<String>::new());
}

#[tokio::test]
async fn resumable_uploads_assemble_parts_in_object_storage() {
    let (_s3, s, t, g) = s3_group("s3-resumable", None).await;
    let data = bytes(9 << 20, 11); // two parts: 8 MiB and 1 MiB
    let begun = s
        .begin_upload(
            &t,
            json!({ "group_id": g, "name": "part.bin", "size": data.len() }),
        )
        .await;
    let id = begun["upload_id"].as_i64().unwrap();
    let part_size = begun["part_size"].as_u64().unwrap() as usize;
    // The second part first, then the first one twice: order and repeats do not matter.
    for part in [1usize, 0, 0] {
        let end = ((part + 1) * part_size).min(data.len());
        let piece = data[part * part_size..end].to_vec();
        s.put_upload_part(&t, id, part, piece).await;
    }
    let file = s.complete_upload(&t, id).await;
    let (_, body) = download(&s, &t, g, file, None).await;
    assert_eq!(Sha256::digest(&body), Sha256::digest(&data));
}

#[tokio::test]
async fn quota_refusals_leave_no_objects_behind() {
    let (s3, s, t, g) = s3_group("s3-quota", Some("10000000")).await;
    let form = common::group_file_form(g, None, "big.bin", bytes(12_000_000, 3));
    let (status, answer) = s.send_form(files::UPLOAD, t.t(), form).await;
    assert_eq!(
        (status, answer["code"].as_i64()),
        (413, Some(344)),
        "{answer}"
    );
    assert_eq!(s3.objects(), Vec::<String>::new());
}

/// Keys the key-value store may hold with object storage, whatever the traffic: hosted Spin
/// stores allow 1,024. Pictures, files and their thumbnails are objects; rate-limit buckets are
/// rows (on Spin) or memory (native); the admin console's session epoch is the one key left.
const KV_KEYS_WITH_S3: usize = 4;

/// A workload of a busy day against `blob_store = s3` with the rate limits on: 2,000 users sign
/// in, 300 groups get an avatar and 9 intro pictures, 200 users an avatar, 60 announcements a
/// picture, members upload files (one-shot and resumable), search, and some of it is refused by
/// the limits. The key-value store holds at most [`KV_KEYS_WITH_S3`] keys all along.
#[tokio::test]
async fn the_key_value_store_stays_small_with_object_storage() {
    use futures_util::{stream, StreamExt};
    const USERS: usize = 2_000;
    const GROUPS: usize = 300;
    const PICTURES: usize = 9;
    let s3 = S3::start().await;
    let options = s3
        .options()
        // Limits on, wide enough for the workload from one address but for searches.
        .env(
            "ZUDUI_RATE_LIMITS",
            "login=3000/3000,upload=1000/6000,search=5/1",
        )
        .env("ZUDUI_GROUP_QUOTA_BYTES", "100000000");
    let s = Server::with(options).await;
    let kv_ok = |s: &Server, when: &str| {
        let keys = s.kv_keys();
        assert!(
            keys.len() <= KV_KEYS_WITH_S3,
            "{when}: {} keys: {:?}",
            keys.len(),
            &keys[..keys.len().min(20)]
        );
    };

    let tokens: Vec<String> = stream::iter(0..USERS)
        .map(|i| {
            let s = &s;
            async move { s.login(&format!("kv-user-{i}")).await }
        })
        .buffered(16)
        .collect()
        .await;
    kv_ok(&s, "after the sign-ins");

    // Each picture its own: identical ones share a blob.
    type Job = (usize, Vec<(String, String)>, Vec<u8>);
    let picture = |n: usize| common::png(16 + (n % 40) as u32, 16 + (n / 40) as u32, 255);
    let uploads = |path: &'static str, field: &'static str, jobs: Vec<Job>| {
        let (s, tokens) = (&s, &tokens);
        stream::iter(jobs)
            .map(move |(who, fields, bytes)| async move {
                let fields: Vec<(&str, &str)> = fields
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                let (status, res) = s
                    .upload(path, Some(&tokens[who]), field, bytes, &fields)
                    .await;
                assert_eq!((status, &res["code"]), (200, &json!(0)), "{path}: {res}");
                res
            })
            .buffer_unordered(8)
            .collect::<Vec<_>>()
    };
    let groups: Vec<i64> = stream::iter(0..GROUPS)
        .map(|g| {
            let (s, tokens) = (&s, &tokens);
            async move {
                let body = json!({ "type": "学习", "name": format!("键 {g}"), "user_limit": 10 });
                let created = s.ok("/group/external/group/create", &tokens[g], body).await;
                created["group_id"].as_i64().unwrap()
            }
        })
        .buffered(8)
        .collect()
        .await;
    let per_group = |n: usize| -> Vec<Job> {
        let mut jobs = Vec::new();
        for (g, id) in groups.iter().enumerate() {
            for k in 0..n {
                let fields = vec![("group_id".to_owned(), id.to_string())];
                jobs.push((g, fields, picture(g * n + k)));
            }
        }
        jobs
    };
    uploads("/group/internal/info/avatar/add", "avatar", per_group(1)).await;
    uploads(
        "/group/internal/info/picture/add",
        "pic",
        per_group(PICTURES),
    )
    .await;
    kv_ok(&s, "after the group pictures");
    let users = (0..200)
        .map(|u| (GROUPS + u, Vec::new(), picture(u)))
        .collect();
    uploads("/user/info/avatar/add", "avatar", users).await;

    let mut announced = Vec::new();
    for (g, id) in groups.iter().enumerate().take(60) {
        let body = json!({ "group_id": id, "title": "通知", "text": "正文" });
        let added = s
            .ok("/group/internal/announcement/add", &tokens[g], body)
            .await;
        let fields = vec![
            ("group_id".to_owned(), id.to_string()),
            (
                "announcement_id".to_owned(),
                added["announcement_id"].as_i64().unwrap().to_string(),
            ),
        ];
        announced.push((g, fields, picture(g)));
    }
    uploads("/group/internal/announcement/setPic", "pic", announced).await;
    kv_ok(&s, "after the avatars and announcement pictures");

    // Files: one-shot uploads, and a resumable one of two parts.
    for (g, id) in groups.iter().enumerate().take(20) {
        let fields = [
            ("group_id", id.to_string()),
            ("file_name", format!("f{g}.bin")),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, res) = s
            .upload(
                "/group/internal/files/upload",
                Some(&tokens[g]),
                "file",
                bytes(1_500_000, g as u64),
                &fields,
            )
            .await;
        assert_eq!((status, &res["code"]), (200, &json!(0)), "{res}");
    }
    let data = bytes(9_000_000, 99);
    let begun = s
        .ok(
            "/group/internal/files/upload/begin",
            &tokens[0],
            json!({ "group_id": groups[0], "name": "续传.bin", "size": data.len() }),
        )
        .await;
    let upload_id = begun["upload_id"].as_i64().unwrap();
    let part_size = begun["part_size"].as_u64().unwrap() as usize;
    for (part, piece) in data.chunks(part_size).enumerate() {
        let res = s
            .client
            .put(s.url("/group/internal/files/upload/part"))
            .header("token", &tokens[0])
            .query(&[
                ("upload_id", upload_id.to_string()),
                ("part", part.to_string()),
            ])
            .body(piece.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    s.ok(
        "/group/internal/files/upload/complete",
        &tokens[0],
        json!({ "upload_id": upload_id }),
    )
    .await;

    // Searches until the limit refuses them (105), from many users.
    let mut refused = 0;
    for t in tokens.iter().take(40) {
        for _ in 0..7 {
            let (_, res) = s
                .post(
                    "/group/external/search/group",
                    Some(t),
                    json!({ "type": "学习", "key": "键" }),
                )
                .await;
            refused += usize::from(res["code"] == 105);
        }
    }
    assert!(refused > 0, "the search limit refused nothing");
    kv_ok(&s, "at the end");
    let objects = s3.objects();
    let expected = GROUPS * (1 + PICTURES) + 200 + 60;
    assert!(
        objects.len() >= expected,
        "{} objects, expected at least {expected}",
        objects.len()
    );
}
