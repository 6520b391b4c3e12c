//! Sharing into the chat.

use crate::support::*;

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
    let doc = server
        .upload_file_into(&t.member, g, None, "报告.PDF", text_bytes(77))
        .await;
    let pic = server
        .upload_file_into(&t.member, g, None, "p.png", png(10, 10, 255))
        .await;
    let voice = server
        .upload_file_into(&t.member2, g, None, "v.wav", wav(3, 8000))
        .await;
    let video = server
        .upload_file_into(&t.member2, g, None, "c.mp4", MP4_2S.to_vec())
        .await;

    for (who, file) in [
        (&t.member2, doc),
        (&t.member, pic),
        (&t.creator, voice),
        (&t.admin, video),
    ] {
        server.share_file_in_chat(who, g, file).await;
    }
    let rows = chat_rows(&server);
    assert_eq!(rows.len(), 4);
    let listed = server.list_folder(&t.member, g, None).await;
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
        let keys = sorted_keys(info);
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
    server
        .upload_file_into(&t.member, t.group, None, "big.bin", gen_bytes(5, 2_500_000))
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
