//! `/user/info`: profile text, nickname, personal tags and avatars, over real HTTP.

mod common;

use common::paths::user;
use common::{encode, png, Server};
use serde_json::json;

#[tokio::test]
async fn new_users_get_a_default_profile() {
    let server = Server::start().await;
    let token = server.login("profile-new").await;
    let info = server.ok(user::GET_INFO, &token, json!({})).await;
    let id = info["id"].as_str().unwrap();
    assert!(!id.is_empty());
    let nickname = info["nickname"].as_str().unwrap();
    assert!(
        nickname.starts_with("用户") && nickname.chars().count() == 8,
        "{nickname}"
    );
    assert_eq!(info["info"], "");
    assert_eq!(info["star_rating"], json!(0.0));
    assert_eq!(info["rating_count"], 0);
    let time = info["time"].as_str().unwrap();
    assert!(
        time.len() == 19 && time.as_bytes()[4] == b'/' && time.as_bytes()[13] == b':',
        "{time}"
    );
}

#[tokio::test]
async fn profiles_are_edited_and_read_by_others() {
    let server = Server::start().await;
    let alice = server.login("profile-alice").await;
    let bob = server.login("profile-bob").await;
    let alice_id = server.user_id(&alice).await;

    server
        .ok(
            "/user/info/text/editInfo",
            &alice,
            json!({ "text": "  喜欢打篮球和写代码  " }),
        )
        .await;
    server
        .ok(
            "/user/info/text/setNickname",
            &alice,
            json!({ "nickname": " 爱丽丝 " }),
        )
        .await;

    let seen = server
        .ok(user::GET_INFO, &bob, json!({ "user_id": alice_id }))
        .await;
    assert_eq!(seen["id"], alice_id.as_str());
    assert_eq!(seen["nickname"], "爱丽丝");
    assert_eq!(seen["info"], "喜欢打篮球和写代码");

    // The intro can be cleared.
    server
        .ok("/user/info/text/editInfo", &alice, json!({ "text": "" }))
        .await;
    assert_eq!(
        server.ok(user::GET_INFO, &alice, json!({})).await["info"],
        ""
    );
    // An empty user_id means "myself".
    let me = server
        .ok(user::GET_INFO, &alice, json!({ "user_id": "" }))
        .await;
    assert_eq!(me["id"], alice_id.as_str());
}

#[tokio::test]
async fn profile_errors() {
    let server = Server::start().await;
    let token = server.login("profile-errors").await;

    server
        .fails(
            user::GET_INFO,
            Some(&token),
            json!({ "user_id": "nobody" }),
            202,
            404,
        )
        .await;
    // A numeric user_id is read as its decimal string.
    server
        .fails(
            user::GET_INFO,
            Some(&token),
            json!({ "user_id": 12345 }),
            202,
            404,
        )
        .await;
    server
        .fails(
            user::GET_INFO,
            Some(&token),
            json!({ "user_id": [1] }),
            101,
            400,
        )
        .await;

    server
        .fails(
            "/user/info/text/editInfo",
            Some(&token),
            json!({}),
            101,
            400,
        )
        .await;
    server
        .fails(
            "/user/info/text/editInfo",
            Some(&token),
            json!({ "text": 3 }),
            101,
            400,
        )
        .await;
    let long = "长".repeat(501);
    server
        .fails(
            "/user/info/text/editInfo",
            Some(&token),
            json!({ "text": long }),
            101,
            400,
        )
        .await;

    let nick = "/user/info/text/setNickname";
    server
        .fails(nick, Some(&token), json!({ "nickname": "   " }), 201, 400)
        .await;
    server
        .fails(nick, Some(&token), json!({ "nickname": "" }), 201, 400)
        .await;
    server.fails(nick, Some(&token), json!({}), 101, 400).await;
    server
        .fails(
            nick,
            Some(&token),
            json!({ "nickname": "名".repeat(33) }),
            101,
            400,
        )
        .await;
    for path in [user::GET_INFO, "/user/info/text/editInfo", nick] {
        server
            .fails(
                path,
                None,
                json!({ "text": "x", "nickname": "x" }),
                113,
                401,
            )
            .await;
    }

    // Failed writes changed nothing.
    let info = server.ok(user::GET_INFO, &token, json!({})).await;
    assert_eq!(info["info"], "");
    assert!(info["nickname"].as_str().unwrap().starts_with("用户"));
}

#[tokio::test]
async fn personal_tags_lifecycle() {
    let server = Server::start().await;
    let alice = server.login("tags-alice").await;
    let bob = server.login("tags-bob").await;
    let alice_id = server.user_id(&alice).await;

    server
        .ok(
            "/user/info/tag/add",
            &alice,
            json!({ "tag_text": " 篮球 " }),
        )
        .await;
    server
        .ok("/user/info/tag/add", &alice, json!({ "tag_text": "Rust" }))
        .await;
    let tags = server.ok("/user/info/tag/get", &alice, json!({})).await["tags"].clone();
    assert_eq!(tags.as_array().unwrap().len(), 2);
    assert_eq!(tags[0]["tag_text"], "篮球");
    assert_eq!(tags[0]["user_id"], alice_id.as_str());
    assert!(tags[0]["id"].is_i64());
    let first = tags[0]["id"].as_i64().unwrap();

    // Others see them; ids may come as decimal strings.
    let seen = server
        .ok("/user/info/tag/get", &bob, json!({ "user_id": alice_id }))
        .await;
    assert_eq!(seen["tags"], tags);
    server
        .ok(
            "/user/info/tag/edit",
            &alice,
            json!({ "tag_id": first.to_string(), "tag_text": "足球" }),
        )
        .await;
    server
        .ok(
            "/user/info/tag/remove",
            &alice,
            json!({ "tag_id": tags[1]["id"] }),
        )
        .await;
    let now = server.ok("/user/info/tag/get", &alice, json!({})).await["tags"].clone();
    assert_eq!(
        now,
        json!([{ "id": first, "user_id": alice_id, "tag_text": "足球" }])
    );
}

#[tokio::test]
async fn personal_tag_errors() {
    let server = Server::start().await;
    let alice = server.login("tagerr-alice").await;
    let bob = server.login("tagerr-bob").await;
    let add = "/user/info/tag/add";

    server
        .fails(add, Some(&alice), json!({ "tag_text": "  " }), 212, 400)
        .await;
    server.fails(add, Some(&alice), json!({}), 101, 400).await;
    server
        .fails(
            add,
            Some(&alice),
            json!({ "tag_text": "长".repeat(21) }),
            101,
            400,
        )
        .await;
    server.ok(add, &alice, json!({ "tag_text": "摄影" })).await;
    server
        .fails(add, Some(&alice), json!({ "tag_text": "摄影" }), 101, 400)
        .await;
    for i in 1..20 {
        server
            .ok(add, &alice, json!({ "tag_text": format!("标签{i}") }))
            .await;
    }
    server
        .fails(
            add,
            Some(&alice),
            json!({ "tag_text": "第二十一个" }),
            213,
            413,
        )
        .await;

    let tags = server.ok("/user/info/tag/get", &alice, json!({})).await["tags"].clone();
    assert_eq!(tags.as_array().unwrap().len(), 20);
    let id = tags[0]["id"].clone();

    // Bob cannot touch Alice's tags; unknown ids are 211.
    server
        .fails(
            "/user/info/tag/edit",
            Some(&bob),
            json!({ "tag_id": id, "tag_text": "x" }),
            211,
            404,
        )
        .await;
    server
        .fails(
            "/user/info/tag/remove",
            Some(&bob),
            json!({ "tag_id": id }),
            211,
            404,
        )
        .await;
    server
        .fails(
            "/user/info/tag/remove",
            Some(&alice),
            json!({ "tag_id": 999999 }),
            211,
            404,
        )
        .await;
    server
        .fails(
            "/user/info/tag/remove",
            Some(&alice),
            json!({ "tag_id": "abc" }),
            101,
            400,
        )
        .await;
    server
        .fails("/user/info/tag/remove", Some(&alice), json!({}), 101, 400)
        .await;
    server
        .fails(
            "/user/info/tag/edit",
            Some(&alice),
            json!({ "tag_id": id, "tag_text": "" }),
            212,
            400,
        )
        .await;
    server
        .fails(
            "/user/info/tag/edit",
            Some(&alice),
            json!({ "tag_id": id, "tag_text": "标签1" }),
            101,
            400,
        )
        .await;
    server
        .fails(
            "/user/info/tag/edit",
            Some(&alice),
            json!({ "tag_id": id }),
            101,
            400,
        )
        .await;
    server
        .fails(
            "/user/info/tag/get",
            Some(&alice),
            json!({ "user_id": "ghost" }),
            202,
            404,
        )
        .await;
    for path in [
        add,
        "/user/info/tag/get",
        "/user/info/tag/edit",
        "/user/info/tag/remove",
    ] {
        server.fails(path, None, json!({}), 113, 401).await;
    }

    // Nothing changed.
    let after = server.ok("/user/info/tag/get", &alice, json!({})).await["tags"].clone();
    assert_eq!(after, tags);
}

/// A JPEG of `w`×`h` with an EXIF block: orientation 6 (rotate 90° clockwise) and a description
/// that must not survive re-encoding.
fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, _| image::Rgb([(x % 256) as u8, 40, 200]));
    let jpeg = encode(
        image::DynamicImage::ImageRgb8(img),
        image::ImageFormat::Jpeg,
    );
    let secret = b"GPS-SECRET-LOCATION\0";
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    // Orientation: SHORT 6.
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    // ImageDescription: ASCII at offset 38.
    tiff.extend_from_slice(&[0x01, 0x0e, 0, 2]);
    tiff.extend_from_slice(&(secret.len() as u32).to_be_bytes());
    tiff.extend_from_slice(&38u32.to_be_bytes());
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(secret);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xff, 0xe1]);
    out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[tokio::test]
async fn avatars_default_then_uploaded_with_etags() {
    let server = Server::start().await;
    let alice = server.login("avatar-alice").await;
    let bob = server.login("avatar-bob").await;
    let alice_id = server.user_id(&alice).await;
    let path = "/user/info/avatar/get";

    // A default image, not an error, with a validator that works.
    let res = server
        .get(path, &[("token", &alice), ("user_id", "")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let default = res.bytes().await.unwrap();
    assert!(image::load_from_memory(&default).is_ok());
    let res = server
        .client
        .get(server.url(path))
        .query(&[("token", &alice)])
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    assert!(res.bytes().await.unwrap().is_empty());

    // Upload a large PNG: served as a JPEG of at most 512 px.
    let (status, value) = server
        .upload(
            "/user/info/avatar/add",
            Some(&alice),
            "avatar",
            png(1600, 800, 255),
            &[],
        )
        .await;
    assert_eq!(
        (status, &value),
        (200, &json!({ "code": 0, "msg": "success" }))
    );
    let res = server
        .get(path, &[("token", &bob), ("user_id", &alice_id)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (512, 256));
    // The old validator no longer matches; the new one does.
    let res = server
        .client
        .get(server.url(path))
        .query(&[("token", &alice)])
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = server
        .client
        .get(server.url(path))
        .query(&[("token", &alice)])
        .header("if-none-match", &new_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);

    // Transparent images stay PNG; WebP and GIF are accepted.
    let (status, _) = server
        .upload(
            "/user/info/avatar/add",
            Some(&alice),
            "avatar",
            png(64, 64, 10),
            &[],
        )
        .await;
    assert_eq!(status, 200);
    let res = server.get(path, &[("token", &alice)]).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    for format in [image::ImageFormat::WebP, image::ImageFormat::Gif] {
        let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            40,
            30,
            image::Rgba([1, 2, 3, 255]),
        ));
        let (status, value) = server
            .upload(
                "/user/info/avatar/add",
                Some(&bob),
                "avatar",
                encode(img, format),
                &[],
            )
            .await;
        assert_eq!(status, 200, "{format:?}: {value}");
    }
}

#[tokio::test]
async fn avatars_are_turned_upright_and_lose_their_metadata() {
    let server = Server::start().await;
    let token = server.login("avatar-exif").await;
    let upload = jpeg_with_exif(200, 100);
    assert!(upload.windows(10).any(|w| w == b"GPS-SECRET"));
    let (status, value) = server
        .upload("/user/info/avatar/add", Some(&token), "avatar", upload, &[])
        .await;
    assert_eq!(status, 200, "{value}");
    let served = server
        .get("/user/info/avatar/get", &[("token", &token)])
        .await
        .bytes()
        .await
        .unwrap();
    assert!(!served.windows(10).any(|w| w == b"GPS-SECRET"));
    assert!(!served.windows(4).any(|w| w == b"Exif"));
    let img = image::load_from_memory(&served).unwrap();
    assert_eq!((img.width(), img.height()), (100, 200));
}

#[tokio::test]
async fn avatar_errors() {
    let server = Server::start().await;
    let token = server.login("avatar-errors").await;
    let add = "/user/info/avatar/add";

    let (status, value) = server
        .upload(add, Some(&token), "avatar", b"not an image".to_vec(), &[])
        .await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let mut truncated = png(300, 300, 255);
    truncated.truncate(truncated.len() / 2);
    let (status, value) = server
        .upload(add, Some(&token), "avatar", truncated, &[])
        .await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let (status, value) = server.upload(add, Some(&token), "avatar", big, &[]).await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let (status, value) = server
        .upload(add, Some(&token), "picture", png(10, 10, 255), &[])
        .await;
    assert_eq!((status, &value["code"]), (400, &json!(101)), "{value}");
    let (status, value) = server
        .upload(add, None, "avatar", png(10, 10, 255), &[])
        .await;
    assert_eq!((status, &value["code"]), (401, &json!(113)), "{value}");
    server
        .fails(add, Some(&token), json!({ "avatar": "x" }), 104, 413)
        .await;

    // Nothing was stored: the default avatar is still served.
    let res = server
        .get("/user/info/avatar/get", &[("token", &token)])
        .await;
    assert_eq!(res.headers()["content-type"], "image/png");

    let res = server
        .get(
            "/user/info/avatar/get",
            &[("token", &token), ("user_id", "ghost")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 202);
    let res = server.get("/user/info/avatar/get", &[]).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 113);
}
