//! The group avatar.

use crate::support::*;

#[tokio::test]
async fn group_avatars_default_then_uploaded_with_etags() {
    let s = Setup::new("avatar").await;
    let server = &s.server;
    let g = s.g();
    let other = create_group(server, &s.outsider, "别的群")
        .await
        .to_string();

    // Without an upload: a generated PNG for anyone signed in, with a working validator.
    let (content_type, default_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/png");
    let (_, member_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!(member_etag, default_etag);
    let (_, other_default, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &other)],
    )
    .await;
    assert_ne!(other_default, default_etag, "defaults differ per group");

    // The admin uploads a large opaque PNG: served as a JPEG of at most 512 px.
    let value = upload_ok(
        server,
        group::AVATAR_ADD,
        &s.admin,
        "avatar",
        png(1600, 800, 255),
        &[("group_id", &g)],
    )
    .await;
    assert_eq!(value, json!({ "code": 0, "msg": "success" }));
    let (content_type, jpeg_etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/jpeg");
    assert_eq!(size, (512, 256));
    assert_ne!(jpeg_etag, default_etag);
    // The old validator no longer matches.
    let res = fetch(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
        Some(&default_etag),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.unwrap().is_empty());

    // The creator uploads a transparent one: it stays PNG, and the ETag changes again.
    upload_ok(
        server,
        group::AVATAR_ADD,
        &s.creator,
        "avatar",
        png(64, 48, 10),
        &[("group_id", &g)],
    )
    .await;
    let (content_type, png_etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!(content_type, "image/png");
    assert_eq!(size, (64, 48));
    assert_ne!(png_etag, jpeg_etag);
    assert_ne!(png_etag, default_etag);

    // WebP, GIF and JPEG are accepted too.
    for format in [
        image::ImageFormat::WebP,
        image::ImageFormat::Gif,
        image::ImageFormat::Jpeg,
    ] {
        let img = if format == image::ImageFormat::Jpeg {
            encode(
                image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
                    40,
                    30,
                    image::Rgb([9, 8, 7]),
                )),
                format,
            )
        } else {
            solid(format)
        };
        upload_ok(
            server,
            group::AVATAR_ADD,
            &s.admin,
            "avatar",
            img,
            &[("group_id", &g)],
        )
        .await;
        let (_, _, size) = image_of(
            server,
            group::AVATAR_GET,
            &[("token", &s.member), ("group_id", &g)],
        )
        .await;
        assert_eq!(size, (40, 30), "{format:?}");
    }

    // The other group's avatar did not change.
    let (content_type, etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &other)],
    )
    .await;
    assert_eq!((content_type.as_str(), etag), ("image/png", other_default));
}

#[tokio::test]
async fn group_avatar_errors() {
    let s = Setup::new("avatar-err").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];
    let (_, default_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.creator), ("group_id", &g)],
    )
    .await;

    for token in s.not_managers() {
        upload_fails(
            server,
            group::AVATAR_ADD,
            Some(token),
            "avatar",
            small_png(),
            &fields,
            303,
            403,
        )
        .await;
    }
    let creator = Some(s.creator.as_str());
    for bad in [
        b"not an image".to_vec(),
        truncated_png(),
        vec![0u8; 5 * 1024 * 1024 + 1],
    ] {
        upload_fails(
            server,
            group::AVATAR_ADD,
            creator,
            "avatar",
            bad,
            &fields,
            333,
            400,
        )
        .await;
    }
    // A real image followed by junk past 5 MB is refused too: the size counts, not the pixels.
    let mut padded = png(64, 64, 255);
    padded.extend(std::iter::repeat_n(0u8, 5 * 1024 * 1024));
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        padded,
        &fields,
        333,
        400,
    )
    .await;
    // The file part must be named `avatar`; group_id is required and must be an integer.
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "pic",
        small_png(),
        &fields,
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[("group_id", "abc")],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        creator,
        "avatar",
        small_png(),
        &[("group_id", "999999")],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::AVATAR_ADD,
        None,
        "avatar",
        small_png(),
        &fields,
        113,
        401,
    )
    .await;
    // A JSON body is not an upload.
    server
        .fails(
            group::AVATAR_ADD,
            creator,
            json!({ "group_id": s.group, "avatar": "x" }),
            104,
            413,
        )
        .await;

    // Nothing was stored: the default avatar is still served.
    let (content_type, etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;
    assert_eq!((content_type.as_str(), etag), ("image/png", default_etag));

    get_fails(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", "999999")],
        301,
        404,
    )
    .await;
    get_fails(server, group::AVATAR_GET, &[("token", &s.member)], 101, 400).await;
    get_fails(server, group::AVATAR_GET, &[("group_id", &g)], 113, 401).await;
}
