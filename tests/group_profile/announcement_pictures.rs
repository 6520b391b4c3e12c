//! Announcement pictures.

use crate::support::*;

#[tokio::test]
async fn announcement_pictures() {
    let s = Setup::new("ann-pic").await;
    let server = &s.server;
    let g = s.g();
    let id = add_announcement(server, &s.creator, s.group, "有图公告").await;
    let plain = add_announcement(server, &s.creator, s.group, "无图公告").await;
    let id_s = id.to_string();
    let plain_s = plain.to_string();
    let fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];

    // No picture yet.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        332,
        404,
    )
    .await;

    // The admin sets one: has_pic everywhere, served with a validator.
    let value = upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        png(1200, 600, 255),
        &fields,
    )
    .await;
    assert_eq!(value, json!({ "code": 0, "msg": "success" }));
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[0]["id"], plain);
    assert_eq!(list[0]["has_pic"], false);
    assert_eq!(list[1]["id"], id);
    assert_eq!(list[1]["has_pic"], true);
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    assert_eq!(got["announcement"]["has_pic"], true);
    let (content_type, first_etag, size) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/jpeg", (512, 256)));

    // The creator replaces it: a new validator, the old one no longer matches.
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.creator,
        "pic",
        png(50, 40, 7),
        &fields,
    )
    .await;
    let (content_type, second_etag, size) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.admin),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/png", (50, 40)));
    assert_ne!(first_etag, second_etag);
    let res = fetch(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        Some(&first_etag),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(!res.bytes().await.unwrap().is_empty());

    // Removing it: 332 afterwards, and the second time.
    server
        .ok(
            group::ANN_DEL_PIC,
            &s.admin,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        332,
        404,
    )
    .await;
    server
        .fails(
            group::ANN_DEL_PIC,
            Some(&s.admin),
            json!({ "group_id": s.group, "announcement_id": id }),
            332,
            404,
        )
        .await;
    server
        .fails(
            group::ANN_DEL_PIC,
            Some(&s.creator),
            json!({ "group_id": s.group, "announcement_id": plain }),
            332,
            404,
        )
        .await;
    let list = announcements(server, &s.member, s.group).await;
    assert_eq!(list[1]["has_pic"], false);

    // Set again, then delete the announcement itself: the picture goes with it.
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.creator,
        "pic",
        solid(image::ImageFormat::WebP),
        &fields,
    )
    .await;
    image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    server
        .ok(
            group::ANN_DELETE,
            &s.creator,
            json!({ "group_id": s.group, "announcement_id": id }),
        )
        .await;
    // An unknown announcement is 101, as for announcement/get.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &plain_s),
        ],
        332,
        404,
    )
    .await;
}

#[tokio::test]
async fn announcement_picture_errors() {
    let s = Setup::new("ann-pic-err").await;
    let server = &s.server;
    let g = s.g();
    let id = add_announcement(server, &s.creator, s.group, "公告").await;
    let id_s = id.to_string();
    let fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await;
    let (_, etag, _) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;

    // Outsiders cannot even read the picture; members only read it.
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
        303,
        403,
    )
    .await;
    for token in s.not_managers() {
        upload_fails(
            server,
            group::ANN_SET_PIC,
            Some(token),
            "pic",
            png(30, 30, 255),
            &fields,
            303,
            403,
        )
        .await;
        server
            .fails(
                group::ANN_DEL_PIC,
                Some(token),
                json!({ "group_id": s.group, "announcement_id": id }),
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
            group::ANN_SET_PIC,
            creator,
            "pic",
            bad,
            &fields,
            333,
            400,
        )
        .await;
    }
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "avatar",
        small_png(),
        &fields,
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", &g)],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("announcement_id", &id_s)],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", &g), ("announcement_id", "999999")],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        creator,
        "pic",
        small_png(),
        &[("group_id", "999999"), ("announcement_id", &id_s)],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::ANN_SET_PIC,
        None,
        "pic",
        small_png(),
        &fields,
        113,
        401,
    )
    .await;
    server
        .fails(
            group::ANN_SET_PIC,
            creator,
            json!({ "group_id": s.group, "announcement_id": id }),
            104,
            413,
        )
        .await;

    let cases = [
        (
            json!({ "group_id": s.group, "announcement_id": 999_999 }),
            101,
            400,
        ),
        (json!({ "group_id": s.group }), 101, 400),
        (
            json!({ "group_id": 999_999, "announcement_id": id }),
            301,
            404,
        ),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::ANN_DEL_PIC, creator, body, code, status)
            .await;
    }
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", "999999"),
            ("announcement_id", &id_s),
        ],
        301,
        404,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[("token", &s.member), ("group_id", &g)],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[("group_id", &g), ("announcement_id", &id_s)],
        113,
        401,
    )
    .await;

    // The picture is unchanged.
    let (_, after, _) = image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.creator),
            ("group_id", &g),
            ("announcement_id", &id_s),
        ],
    )
    .await;
    assert_eq!(after, etag);
}
