//! The group avatar.

use crate::support::*;

#[tokio::test]
async fn group_avatars_default_then_uploaded_with_etags() {
    let s = Setup::new("avatar").await;
    let server = &s.server;
    let avatar = Image::Avatar(s.group);
    let other = create_group(server, &s.outsider, "别的群").await;
    let others = Image::Avatar(other);

    // Without an upload: a generated PNG for anyone signed in, with a working validator.
    let default = served(server, &s.outsider, avatar).await;
    assert_eq!(default.content_type, "image/png");
    assert_eq!(served(server, &s.member, avatar).await, default);
    let other_default = served(server, &s.member, others).await;
    assert_ne!(
        other_default.etag, default.etag,
        "defaults differ per group"
    );

    // The admin uploads a large opaque PNG: served as a JPEG of at most 512 px.
    server
        .set_group_avatar(&s.admin, s.group, png(1600, 800, 255))
        .await;
    let jpeg = served(server, &s.outsider, avatar).await;
    assert_eq!(
        (jpeg.content_type.as_str(), jpeg.size),
        ("image/jpeg", (512, 256))
    );
    assert_ne!(jpeg.etag, default.etag);
    // The old validator no longer matches.
    assert_stale(server, &s.member, avatar, &default.etag).await;

    // The creator uploads a transparent one: it stays PNG, and the ETag changes again.
    server
        .set_group_avatar(&s.creator, s.group, png(64, 48, 10))
        .await;
    let transparent = served(server, &s.member, avatar).await;
    let shown = (transparent.content_type.as_str(), transparent.size);
    assert_eq!(shown, ("image/png", (64, 48)));
    assert_ne!(transparent.etag, jpeg.etag);
    assert_ne!(transparent.etag, default.etag);

    // WebP, GIF and JPEG are accepted too.
    let opaque = image::RgbImage::from_pixel(40, 30, image::Rgb([9, 8, 7]));
    let jpeg = encode(
        image::DynamicImage::ImageRgb8(opaque),
        image::ImageFormat::Jpeg,
    );
    let formats = [
        ("WebP", solid(image::ImageFormat::WebP)),
        ("GIF", solid(image::ImageFormat::Gif)),
        ("JPEG", jpeg),
    ];
    for (format, bytes) in formats {
        server.set_group_avatar(&s.admin, s.group, bytes).await;
        let size = served(server, &s.member, avatar).await.size;
        assert_eq!(size, (40, 30), "{format}");
    }

    // The other group's avatar did not change.
    assert_eq!(served(server, &s.member, others).await, other_default);
}

#[tokio::test]
async fn group_avatar_errors() {
    let s = Setup::new("avatar-err").await;
    let server = &s.server;
    let avatar = Image::Avatar(s.group);
    let default = served(server, &s.creator, avatar).await;

    refuses_bad_uploads(&s, Upload::Avatar(s.group)).await;

    // Nothing was stored: the default avatar is still served.
    assert_eq!(served(server, &s.member, avatar).await, default);
    refuses_bad_reads(server, &s.member, avatar).await;
}
