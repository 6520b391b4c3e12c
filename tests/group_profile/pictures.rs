//! Intro pictures.

use crate::support::*;

#[tokio::test]
async fn intro_pictures_lifecycle() {
    let s = Setup::new("pictures").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    assert!(picture_ids(server, &s.outsider, s.group).await.is_empty());

    let first = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.creator,
        "pic",
        png(1000, 500, 255),
        &fields,
    )
    .await;
    assert_eq!(first.as_object().unwrap().len(), 3, "{first}");
    let first = first["pic_id"].as_i64().expect("pic_id");
    let second = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        png(30, 60, 40),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .expect("pic_id");
    assert_ne!(first, second);
    // Upload order, the same for members and outsiders.
    assert_eq!(
        picture_ids(server, &s.outsider, s.group).await,
        [first, second]
    );
    assert_eq!(
        picture_ids(server, &s.member, s.group).await,
        [first, second]
    );

    let first_s = first.to_string();
    let second_s = second.to_string();
    let (content_type, first_etag, size) = image_of(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("pic_id", &first_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/jpeg", (512, 256)));
    let (content_type, second_etag, size) = image_of(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("pic_id", &second_s),
        ],
    )
    .await;
    assert_eq!((content_type.as_str(), size), ("image/png", (30, 60)));
    assert_ne!(first_etag, second_etag);
    // One picture's validator does not revalidate another.
    let res = fetch(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("pic_id", &second_s),
        ],
        Some(&first_etag),
    )
    .await;
    assert_eq!(res.status(), 200);

    // Managers delete; the picture is gone for everyone.
    server
        .ok(
            group::PICTURE_DEL,
            &s.admin,
            json!({ "group_id": s.group, "pic_id": first }),
        )
        .await;
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [second]);
    get_fails(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g), ("pic_id", &first_s)],
        332,
        404,
    )
    .await;
    server
        .ok(
            group::PICTURE_DEL,
            &s.creator,
            json!({ "group_id": s.g(), "pic_id": second_s }),
        )
        .await;
    assert!(picture_ids(server, &s.member, s.group).await.is_empty());
}

#[tokio::test]
async fn intro_pictures_are_limited_to_nine() {
    let s = Setup::new("pictures-full").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    let mut ids = Vec::new();
    for i in 0..9 {
        let token = if i % 2 == 0 { &s.creator } else { &s.admin };
        let res = upload_ok(
            server,
            group::PICTURE_ADD,
            token,
            "pic",
            png(10 + i, 10, 255),
            &fields,
        )
        .await;
        ids.push(res["pic_id"].as_i64().unwrap());
    }
    assert_eq!(picture_ids(server, &s.member, s.group).await, ids);
    upload_fails(
        server,
        group::PICTURE_ADD,
        Some(&s.admin),
        "pic",
        small_png(),
        &fields,
        331,
        413,
    )
    .await;
    assert_eq!(picture_ids(server, &s.member, s.group).await, ids);

    // After a deletion there is room for one more, appended at the end.
    server
        .ok(
            group::PICTURE_DEL,
            &s.creator,
            json!({ "group_id": s.group, "pic_id": ids[3] }),
        )
        .await;
    let res = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await;
    ids.remove(3);
    ids.push(res["pic_id"].as_i64().unwrap());
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, ids);
    upload_fails(
        server,
        group::PICTURE_ADD,
        Some(&s.creator),
        "pic",
        small_png(),
        &fields,
        331,
        413,
    )
    .await;
    assert_eq!(picture_ids(server, &s.outsider, s.group).await.len(), 9);
}

#[tokio::test]
async fn intro_picture_errors() {
    let s = Setup::new("pictures-err").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];
    let other = create_group(server, &s.outsider, "别的群").await;
    let other_s = other.to_string();

    let pic = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.creator,
        "pic",
        small_png(),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    let pic_s = pic.to_string();
    let foreign = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.outsider,
        "pic",
        small_png(),
        &[("group_id", &other_s)],
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    let foreign_s = foreign.to_string();

    // Writes: members and outsiders may not add or delete.
    for token in s.not_managers() {
        upload_fails(
            server,
            group::PICTURE_ADD,
            Some(token),
            "pic",
            small_png(),
            &fields,
            303,
            403,
        )
        .await;
        server
            .fails(
                group::PICTURE_DEL,
                Some(token),
                json!({ "group_id": s.group, "pic_id": pic }),
                303,
                403,
            )
            .await;
    }
    // The creator of this group is an outsider of the other one.
    server
        .fails(
            group::PICTURE_DEL,
            Some(&s.creator),
            json!({ "group_id": other, "pic_id": foreign }),
            303,
            403,
        )
        .await;

    let creator = Some(s.creator.as_str());
    for bad in [
        b"GIF89a but not really".to_vec(),
        truncated_png(),
        vec![0u8; 5 * 1024 * 1024 + 1],
    ] {
        upload_fails(
            server,
            group::PICTURE_ADD,
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
        group::PICTURE_ADD,
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
        group::PICTURE_ADD,
        creator,
        "pic",
        small_png(),
        &[],
        101,
        400,
    )
    .await;
    upload_fails(
        server,
        group::PICTURE_ADD,
        creator,
        "pic",
        small_png(),
        &[("group_id", "999999")],
        301,
        404,
    )
    .await;
    upload_fails(
        server,
        group::PICTURE_ADD,
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
            group::PICTURE_ADD,
            creator,
            json!({ "group_id": s.group }),
            104,
            413,
        )
        .await;

    // Deleting: unknown ids and another group's picture are 332; bad parameters 101.
    let cases = [
        (json!({ "group_id": s.group, "pic_id": 999_999 }), 332, 404),
        (json!({ "group_id": s.group, "pic_id": foreign }), 332, 404),
        (json!({ "group_id": s.group }), 101, 400),
        (json!({ "group_id": s.group, "pic_id": "x" }), 101, 400),
        (json!({ "pic_id": pic }), 101, 400),
        (json!({ "group_id": 999_999, "pic_id": pic }), 301, 404),
    ];
    for (body, code, status) in cases {
        server
            .fails(group::PICTURE_DEL, creator, body, code, status)
            .await;
    }
    server
        .fails(
            group::PICTURE_DEL,
            None,
            json!({ "group_id": s.group, "pic_id": pic }),
            113,
            401,
        )
        .await;

    // Reading: unknown pictures and another group's are 332; unknown groups 301.
    for pic_id in ["999999", foreign_s.as_str()] {
        get_fails(
            server,
            group::PICTURE_GET,
            &[("token", &s.member), ("group_id", &g), ("pic_id", pic_id)],
            332,
            404,
        )
        .await;
    }
    get_fails(
        server,
        group::PICTURE_GET,
        &[
            ("token", &s.member),
            ("group_id", "999999"),
            ("pic_id", &pic_s),
        ],
        301,
        404,
    )
    .await;
    get_fails(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g)],
        101,
        400,
    )
    .await;
    get_fails(
        server,
        group::PICTURE_GET,
        &[("group_id", &g), ("pic_id", &pic_s)],
        113,
        401,
    )
    .await;
    server
        .fails(
            group::PICTURES,
            Some(&s.member),
            json!({ "group_id": 999_999 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::PICTURES, Some(&s.member), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::PICTURES,
            None,
            json!({ "group_id": s.group }),
            113,
            401,
        )
        .await;

    // Nothing changed: one picture here, one in the other group.
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [pic]);
    assert_eq!(picture_ids(server, &s.member, other).await, [foreign]);
    let (_, _, size) = image_of(
        server,
        group::PICTURE_GET,
        &[("token", &s.member), ("group_id", &g), ("pic_id", &pic_s)],
    )
    .await;
    assert_eq!(size, (20, 20));
}
