//! Dismissed groups.

use crate::support::*;

#[tokio::test]
async fn dismissed_groups_are_read_only() {
    let s = Setup::new("dismissed").await;
    let server = &s.server;
    let g = s.g();
    let fields = [("group_id", g.as_str())];

    // Fill the profile and an announcement with a picture before dismissing.
    server
        .ok(
            group::INFO_EDIT,
            &s.creator,
            json!({ "group_id": s.group, "text": "旧简介" }),
        )
        .await;
    upload_ok(
        server,
        group::AVATAR_ADD,
        &s.creator,
        "avatar",
        png(100, 100, 255),
        &fields,
    )
    .await;
    let pic = upload_ok(
        server,
        group::PICTURE_ADD,
        &s.admin,
        "pic",
        small_png(),
        &fields,
    )
    .await["pic_id"]
        .as_i64()
        .unwrap();
    server
        .ok(
            group::TAG_ADD,
            &s.admin,
            json!({ "group_id": s.group, "tag_text": "旧标签" }),
        )
        .await;
    let tag_list = tags(server, &s.member, s.group).await;
    let tag = tag_list[0]["id"].clone();
    let ann = add_announcement(server, &s.admin, s.group, "旧公告").await;
    let ann_s = ann.to_string();
    let ann_fields = [
        ("group_id", g.as_str()),
        ("announcement_id", ann_s.as_str()),
    ];
    upload_ok(
        server,
        group::ANN_SET_PIC,
        &s.admin,
        "pic",
        small_png(),
        &ann_fields,
    )
    .await;
    let ann_list = announcements(server, &s.member, s.group).await;
    let (_, avatar_etag, _) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.member), ("group_id", &g)],
    )
    .await;

    s.dismiss().await;

    // Every write by a member of any role is 304; outsiders are still 303.
    let writes = [
        (
            group::INFO_EDIT,
            json!({ "group_id": s.group, "text": "新简介" }),
        ),
        (
            group::SET_NAME,
            json!({ "group_id": s.group, "name": "新名字" }),
        ),
        (
            group::PICTURE_DEL,
            json!({ "group_id": s.group, "pic_id": pic }),
        ),
        (
            group::TAG_ADD,
            json!({ "group_id": s.group, "tag_text": "新标签" }),
        ),
        (
            group::TAG_EDIT,
            json!({ "group_id": s.group, "tag_id": tag, "tag_text": "新标签" }),
        ),
        (
            group::TAG_REMOVE,
            json!({ "group_id": s.group, "tag_id": tag }),
        ),
        (
            group::ANN_ADD,
            json!({ "group_id": s.group, "title": "新", "text": "新" }),
        ),
        (
            group::ANN_EDIT,
            json!({ "group_id": s.group, "announcement_id": ann, "title": "新", "text": "新" }),
        ),
        (
            group::ANN_DELETE,
            json!({ "group_id": s.group, "announcement_id": ann }),
        ),
        (
            group::ANN_DEL_PIC,
            json!({ "group_id": s.group, "announcement_id": ann }),
        ),
    ];
    for (path, body) in &writes {
        for token in [&s.creator, &s.admin, &s.member] {
            server
                .fails(path, Some(token), body.clone(), 304, 403)
                .await;
        }
        server
            .fails(path, Some(&s.outsider), body.clone(), 303, 403)
            .await;
    }
    let uploads: [(&str, &str, Fields); 3] = [
        (group::AVATAR_ADD, "avatar", &fields),
        (group::PICTURE_ADD, "pic", &fields),
        (group::ANN_SET_PIC, "pic", &ann_fields),
    ];
    for (path, field, form) in uploads {
        for token in [&s.creator, &s.admin, &s.member] {
            upload_fails(
                server,
                path,
                Some(token),
                field,
                png(30, 30, 255),
                form,
                304,
                403,
            )
            .await;
        }
        upload_fails(
            server,
            path,
            Some(&s.outsider),
            field,
            png(30, 30, 255),
            form,
            303,
            403,
        )
        .await;
    }

    // Reads keep working, and nothing changed.
    let seen = info(server, &s.outsider, s.group).await;
    assert_eq!(seen["dismissed"], true);
    assert_eq!(seen["info"], "旧简介");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["my_role"], Value::Null);
    assert_eq!(
        info(server, &s.creator, s.group).await["my_role"],
        "creator"
    );
    assert_eq!(info(server, &s.admin, s.group).await["my_role"], "admin");
    assert_eq!(info(server, &s.member, s.group).await["my_role"], "member");
    let (_, etag, size) = image_of(
        server,
        group::AVATAR_GET,
        &[("token", &s.outsider), ("group_id", &g)],
    )
    .await;
    assert_eq!((etag, size), (avatar_etag, (100, 100)));
    assert_eq!(picture_ids(server, &s.outsider, s.group).await, [pic]);
    let pic_s = pic.to_string();
    image_of(
        server,
        group::PICTURE_GET,
        &[("token", &s.outsider), ("group_id", &g), ("pic_id", &pic_s)],
    )
    .await;
    assert_eq!(tags(server, &s.outsider, s.group).await, tag_list);
    assert_eq!(announcements(server, &s.member, s.group).await, ann_list);
    let got = server
        .ok(
            group::ANNOUNCEMENT,
            &s.member,
            json!({ "group_id": s.group, "announcement_id": ann }),
        )
        .await;
    assert_eq!(got["announcement"]["title"], "旧公告");
    assert_eq!(got["announcement"]["has_pic"], true);
    image_of(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.member),
            ("group_id", &g),
            ("announcement_id", &ann_s),
        ],
    )
    .await;
    // Announcements stay closed to outsiders.
    server
        .fails(
            group::ANNOUNCEMENTS,
            Some(&s.outsider),
            json!({ "group_id": s.group }),
            303,
            403,
        )
        .await;
    get_fails(
        server,
        group::ANN_GET_PIC,
        &[
            ("token", &s.outsider),
            ("group_id", &g),
            ("announcement_id", &ann_s),
        ],
        303,
        403,
    )
    .await;
}

/// The stored chunks of pictures under `prefix` (`file/<kind>/<owner>/<etag>/<n>`), by etag.
fn stored_pictures(server: &Server, prefix: &str) -> Vec<String> {
    let mut etags: Vec<String> = server
        .stored_files()
        .iter()
        .filter_map(|k| k.strip_prefix(&format!("file/{prefix}/")))
        .filter_map(|rest| rest.split('/').next().map(str::to_owned))
        .collect();
    etags.dedup();
    etags
}

/// A picture replaced or deleted leaves no bytes behind; one still shown keeps its own.
#[tokio::test]
async fn pictures_that_go_leave_no_bytes_behind() {
    let server = Server::start().await;
    let owner = server.login("pictures-owner").await;
    let group = create_group(&server, &owner, "图片清理").await;
    let g = group.to_string();
    let fields = [("group_id", g.as_str())];
    let avatars = format!("avatar/group/{group}");
    for side in [40, 50] {
        upload_ok(
            &server,
            group::AVATAR_ADD,
            &owner,
            "avatar",
            png(side, side, 255),
            &fields,
        )
        .await;
        assert_eq!(
            stored_pictures(&server, &avatars).len(),
            1,
            "only the avatar shown"
        );
    }

    let intro = format!("picture/group/{group}");
    let first = upload_ok(
        &server,
        group::PICTURE_ADD,
        &owner,
        "pic",
        png(30, 20, 255),
        &fields,
    )
    .await;
    upload_ok(
        &server,
        group::PICTURE_ADD,
        &owner,
        "pic",
        png(20, 30, 255),
        &fields,
    )
    .await;
    assert_eq!(stored_pictures(&server, &intro).len(), 2);
    let pic_id = first["pic_id"].as_i64().unwrap();
    server
        .ok(
            group::PICTURE_DEL,
            &owner,
            json!({ "group_id": group, "pic_id": pic_id }),
        )
        .await;
    assert_eq!(stored_pictures(&server, &intro).len(), 1);

    let id = add_announcement(&server, &owner, group, "通知").await;
    let id_s = id.to_string();
    let ann_fields = [("group_id", g.as_str()), ("announcement_id", id_s.as_str())];
    upload_ok(
        &server,
        group::ANN_SET_PIC,
        &owner,
        "pic",
        png(25, 25, 255),
        &ann_fields,
    )
    .await;
    let announced = format!("picture/announcement/{id}");
    assert_eq!(stored_pictures(&server, &announced).len(), 1);
    server
        .ok(
            group::ANN_DELETE,
            &owner,
            json!({ "group_id": group, "announcement_id": id }),
        )
        .await;
    assert!(stored_pictures(&server, &announced).is_empty());
}
