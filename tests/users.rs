//! `/user/info`: profile text, nickname, personal tags and avatars, over real HTTP.

mod common;

use common::paths::user;
use common::{encode, is_time, png, user, with_exif, Server, User};
use serde_json::{json, Value};

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
    assert!(is_time(&info["time"]), "{info}");
}

#[tokio::test]
async fn profiles_are_edited_and_read_by_others() {
    let server = Server::start().await;
    let alice = user(&server, "profile-alice").await;
    let bob = user(&server, "profile-bob").await;

    // Both trimmed.
    server
        .edit_profile_text(&alice, "  喜欢打篮球和写代码  ")
        .await;
    server.set_account_nickname(&alice, " 爱丽丝 ").await;

    let seen = server.profile_of(&bob, &alice.id).await;
    assert_eq!(seen["id"], alice.id.as_str());
    assert_eq!(seen["nickname"], "爱丽丝");
    assert_eq!(seen["info"], "喜欢打篮球和写代码");

    // The intro can be cleared.
    server.edit_profile_text(&alice, "").await;
    assert_eq!(server.own_profile(&alice).await["info"], "");
    // An empty user_id means "myself".
    let me = server.profile_of(&alice, "").await;
    assert_eq!(me["id"], alice.id.as_str());
}

/// Each `(path, body, code, status)`: `who` sends `body` to `path` and is refused so.
async fn refused<'a>(
    server: &Server,
    who: Option<&User>,
    rows: impl IntoIterator<Item = (&'a str, Value, u16, u16)>,
) {
    let token = who.map(|who| who.token.as_str());
    for (path, body, code, status) in rows {
        server.fails(path, token, body, code, status).await;
    }
}

#[tokio::test]
async fn profile_errors() {
    let server = Server::start().await;
    let me = user(&server, "profile-errors").await;
    let (info, nick) = (user::EDIT_INFO, user::SET_NICKNAME);

    let rows = [
        (user::GET_INFO, json!({ "user_id": "nobody" }), 202, 404),
        // A numeric user_id is read as its decimal string.
        (user::GET_INFO, json!({ "user_id": 12345 }), 202, 404),
        (user::GET_INFO, json!({ "user_id": [1] }), 101, 400),
        (info, json!({}), 101, 400),
        (info, json!({ "text": 3 }), 101, 400),
        (info, json!({ "text": "长".repeat(501) }), 101, 400),
        (nick, json!({ "nickname": "   " }), 201, 400),
        (nick, json!({ "nickname": "" }), 201, 400),
        (nick, json!({}), 101, 400),
        (nick, json!({ "nickname": "名".repeat(33) }), 101, 400),
    ];
    refused(&server, Some(&me), rows).await;
    let anyone = json!({ "text": "x", "nickname": "x" });
    let rows = [user::GET_INFO, info, nick].map(|path| (path, anyone.clone(), 113, 401));
    refused(&server, None, rows).await;

    // Failed writes changed nothing.
    let profile = server.own_profile(&me).await;
    assert_eq!(profile["info"], "");
    assert!(profile["nickname"].as_str().unwrap().starts_with("用户"));
}

#[tokio::test]
async fn personal_tags_lifecycle() {
    let server = Server::start().await;
    let alice = user(&server, "tags-alice").await;
    let bob = user(&server, "tags-bob").await;

    server.add_personal_tag(&alice, " 篮球 ").await;
    server.add_personal_tag(&alice, "Rust").await;
    let tags = server.own_personal_tags(&alice).await;
    assert_eq!(tags.as_array().unwrap().len(), 2);
    assert_eq!(tags[0]["tag_text"], "篮球");
    assert_eq!(tags[0]["user_id"], alice.id.as_str());
    assert!(tags[0]["id"].is_i64());
    let first = tags[0]["id"].as_i64().unwrap();

    // Others see them; ids may come as decimal strings.
    let of_alice = json!({ "user_id": alice.id });
    let seen = server.ok(user::TAG_GET, &bob.token, of_alice).await;
    assert_eq!(seen["tags"], tags);
    let edit = json!({ "tag_id": first.to_string(), "tag_text": "足球" });
    server.ok(user::TAG_EDIT, &alice.token, edit).await;
    let remove = json!({ "tag_id": tags[1]["id"] });
    server.ok(user::TAG_REMOVE, &alice.token, remove).await;
    assert_eq!(
        server.own_personal_tags(&alice).await,
        json!([{ "id": first, "user_id": alice.id, "tag_text": "足球" }])
    );
}

#[tokio::test]
async fn personal_tag_errors() {
    let server = Server::start().await;
    let alice = user(&server, "tagerr-alice").await;
    let bob = user(&server, "tagerr-bob").await;
    let (add, edit, remove) = (user::TAG_ADD, user::TAG_EDIT, user::TAG_REMOVE);

    let rows = [
        (add, json!({ "tag_text": "  " }), 212, 400),
        (add, json!({}), 101, 400),
        (add, json!({ "tag_text": "长".repeat(21) }), 101, 400),
    ];
    refused(&server, Some(&alice), rows).await;
    // Twenty at most, each once.
    server.add_personal_tag(&alice, "摄影").await;
    let again = [(add, json!({ "tag_text": "摄影" }), 101, 400)];
    refused(&server, Some(&alice), again).await;
    for i in 1..20 {
        server.add_personal_tag(&alice, &format!("标签{i}")).await;
    }
    let too_many = [(add, json!({ "tag_text": "第二十一个" }), 213, 413)];
    refused(&server, Some(&alice), too_many).await;

    let tags = server.own_personal_tags(&alice).await;
    assert_eq!(tags.as_array().unwrap().len(), 20);
    let id = tags[0]["id"].clone();

    // Bob cannot touch Alice's tags; unknown ids are 211.
    let rows = [
        (edit, json!({ "tag_id": id, "tag_text": "x" }), 211, 404),
        (remove, json!({ "tag_id": id }), 211, 404),
    ];
    refused(&server, Some(&bob), rows).await;
    let rows = [
        (remove, json!({ "tag_id": 999999 }), 211, 404),
        (remove, json!({ "tag_id": "abc" }), 101, 400),
        (remove, json!({}), 101, 400),
        (edit, json!({ "tag_id": id, "tag_text": "" }), 212, 400),
        (edit, json!({ "tag_id": id, "tag_text": "标签1" }), 101, 400),
        (edit, json!({ "tag_id": id }), 101, 400),
        (user::TAG_GET, json!({ "user_id": "ghost" }), 202, 404),
    ];
    refused(&server, Some(&alice), rows).await;
    let rows = [add, user::TAG_GET, edit, remove].map(|path| (path, json!({}), 113, 401));
    refused(&server, None, rows).await;

    // Nothing changed.
    assert_eq!(server.own_personal_tags(&alice).await, tags);
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
    with_exif(&jpeg, &tiff)
}

/// The status of `who`'s own avatar asked for again with the validator `etag`.
async fn revalidated(server: &Server, who: &User, etag: &str) -> u16 {
    let request = server.client.get(server.url(user::AVATAR_GET));
    let request = request.query(&[("token", &who.token)]);
    let res = request.header("if-none-match", etag).send().await.unwrap();
    let status = res.status().as_u16();
    assert!(status != 304 || res.bytes().await.unwrap().is_empty());
    status
}

#[tokio::test]
async fn avatars_default_then_uploaded_with_etags() {
    let server = Server::start().await;
    let alice = user(&server, "avatar-alice").await;
    let bob = user(&server, "avatar-bob").await;
    let path = user::AVATAR_GET;

    // A default image, not an error, with a validator that works.
    let res = server
        .get(path, &[("token", &alice.token), ("user_id", "")])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let default = res.bytes().await.unwrap();
    assert!(image::load_from_memory(&default).is_ok());
    assert_eq!(revalidated(&server, &alice, &etag).await, 304);

    // Upload a large PNG: served as a JPEG of at most 512 px.
    server.set_user_avatar(&alice, png(1600, 800, 255)).await;
    let res = server
        .get(path, &[("token", &bob.token), ("user_id", &alice.id)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let new_etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let img = image::load_from_memory(&res.bytes().await.unwrap()).unwrap();
    assert_eq!((img.width(), img.height()), (512, 256));
    // The old validator no longer matches; the new one does.
    assert_eq!(revalidated(&server, &alice, &etag).await, 200);
    assert_eq!(revalidated(&server, &alice, &new_etag).await, 304);

    // Transparent images stay PNG; WebP and GIF are accepted.
    server.set_user_avatar(&alice, png(64, 64, 10)).await;
    let res = server.get(path, &[("token", &alice.token)]).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    for format in [image::ImageFormat::WebP, image::ImageFormat::Gif] {
        let opaque = image::RgbaImage::from_pixel(40, 30, image::Rgba([1, 2, 3, 255]));
        let img = image::DynamicImage::ImageRgba8(opaque);
        server.set_user_avatar(&bob, encode(img, format)).await;
    }
}

#[tokio::test]
async fn avatars_are_turned_upright_and_lose_their_metadata() {
    let server = Server::start().await;
    let me = user(&server, "avatar-exif").await;
    let upload = jpeg_with_exif(200, 100);
    assert!(upload.windows(10).any(|w| w == b"GPS-SECRET"));
    server.set_user_avatar(&me, upload).await;
    let served = server.get(user::AVATAR_GET, &[("token", &me.token)]).await;
    let served = served.bytes().await.unwrap();
    assert!(!served.windows(10).any(|w| w == b"GPS-SECRET"));
    assert!(!served.windows(4).any(|w| w == b"Exif"));
    let img = image::load_from_memory(&served).unwrap();
    assert_eq!((img.width(), img.height()), (100, 200));
}

#[tokio::test]
async fn avatar_errors() {
    let server = Server::start().await;
    let me = user(&server, "avatar-errors").await;
    let add = user::AVATAR_ADD;

    let (status, value) = server
        .upload(add, me.t(), "avatar", b"not an image".to_vec(), &[])
        .await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let mut truncated = png(300, 300, 255);
    truncated.truncate(truncated.len() / 2);
    let (status, value) = server.upload(add, me.t(), "avatar", truncated, &[]).await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let big = vec![0u8; 5 * 1024 * 1024 + 1];
    let (status, value) = server.upload(add, me.t(), "avatar", big, &[]).await;
    assert_eq!((status, &value["code"]), (400, &json!(333)), "{value}");
    let (status, value) = server
        .upload(add, me.t(), "picture", png(10, 10, 255), &[])
        .await;
    assert_eq!((status, &value["code"]), (400, &json!(101)), "{value}");
    let (status, value) = server
        .upload(add, None, "avatar", png(10, 10, 255), &[])
        .await;
    assert_eq!((status, &value["code"]), (401, &json!(113)), "{value}");
    server
        .fails(add, me.t(), json!({ "avatar": "x" }), 104, 413)
        .await;

    // Nothing was stored: the default avatar is still served.
    let res = server.get(user::AVATAR_GET, &[("token", &me.token)]).await;
    assert_eq!(res.headers()["content-type"], "image/png");

    let res = server
        .get(
            user::AVATAR_GET,
            &[("token", &me.token), ("user_id", "ghost")],
        )
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 202);
    let res = server.get(user::AVATAR_GET, &[]).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], 113);
}
