//! Intro pictures.

use crate::support::*;

#[tokio::test]
async fn intro_pictures_lifecycle() {
    let s = Setup::new("pictures").await;
    let server = &s.server;
    let ids = |who| server.group_picture_ids(who, s.group);

    assert!(ids(&s.outsider).await.is_empty());

    let first = server
        .add_group_picture(&s.creator, s.group, png(1000, 500, 255))
        .await;
    let second = server
        .add_group_picture(&s.admin, s.group, png(30, 60, 40))
        .await;
    assert_ne!(first, second);
    // Upload order, the same for members and outsiders.
    assert_eq!(ids(&s.outsider).await, [first, second]);
    assert_eq!(ids(&s.member).await, [first, second]);

    let (first_image, second_image) = (
        Image::Picture(s.group, first),
        Image::Picture(s.group, second),
    );
    let large = served(server, &s.outsider, first_image).await;
    assert_eq!(
        (large.content_type.as_str(), large.size),
        ("image/jpeg", (512, 256))
    );
    let small = served(server, &s.member, second_image).await;
    assert_eq!(
        (small.content_type.as_str(), small.size),
        ("image/png", (30, 60))
    );
    assert_ne!(large.etag, small.etag);
    // One picture's validator does not revalidate another.
    assert_stale(server, &s.member, second_image, &large.etag).await;

    // Managers delete; the picture is gone for everyone.
    server.delete_group_picture(&s.admin, s.group, first).await;
    assert_eq!(ids(&s.outsider).await, [second]);
    unreadable(server, Some(&s.member), first_image, 332, 404).await;
    // Ids may come as decimal strings.
    let body = json!({ "group_id": s.g(), "pic_id": second.to_string() });
    server.ok(group::PICTURE_DEL, &s.creator.token, body).await;
    assert!(ids(&s.member).await.is_empty());
}

#[tokio::test]
async fn intro_pictures_are_limited_to_nine() {
    let s = Setup::new("pictures-full").await;
    let server = &s.server;
    let upload = Upload::Picture(s.group);

    let mut ids = Vec::new();
    for i in 0..9 {
        let who = if i % 2 == 0 { &s.creator } else { &s.admin };
        let picture = png(10 + i, 10, 255);
        ids.push(server.add_group_picture(who, s.group, picture).await);
    }
    assert_eq!(server.group_picture_ids(&s.member, s.group).await, ids);
    upload_fails(server, Some(&s.admin), upload, small_png(), 331, 413).await;
    assert_eq!(server.group_picture_ids(&s.member, s.group).await, ids);

    // After a deletion there is room for one more, appended at the end.
    server
        .delete_group_picture(&s.creator, s.group, ids[3])
        .await;
    let last = server
        .add_group_picture(&s.admin, s.group, small_png())
        .await;
    ids.remove(3);
    ids.push(last);
    assert_eq!(server.group_picture_ids(&s.outsider, s.group).await, ids);
    upload_fails(server, Some(&s.creator), upload, small_png(), 331, 413).await;
    assert_eq!(server.group_picture_ids(&s.outsider, s.group).await, ids);
}

#[tokio::test]
async fn intro_picture_errors() {
    let s = Setup::new("pictures-err").await;
    let server = &s.server;
    let other = create_group(server, &s.outsider, "别的群").await;
    let pic = server
        .add_group_picture(&s.creator, s.group, small_png())
        .await;
    let foreign = server
        .add_group_picture(&s.outsider, other, small_png())
        .await;

    refuses_bad_uploads(&s, Upload::Picture(s.group)).await;

    // Deleting: members and outsiders may not; the creator of this group is an outsider of the
    // other one.
    let delete = |group, pic| json!({ "group_id": group, "pic_id": pic });
    s.only_managers_may(group::PICTURE_DEL, delete(s.group, json!(pic)))
        .await;
    let body = delete(other, json!(foreign));
    server
        .fails(group::PICTURE_DEL, s.creator.t(), body, 303, 403)
        .await;
    // Unknown ids and another group's picture are 332; bad parameters 101.
    let cases = vec![
        (delete(s.group, json!(999_999)), 332, 404),
        (delete(s.group, json!(foreign)), 332, 404),
        (s.at(json!({})), 101, 400),
        (delete(s.group, json!("x")), 101, 400),
    ];
    s.refused(group::PICTURE_DEL, Some(&s.creator), cases).await;
    let body = json!({ "pic_id": pic });
    s.refuses_bad_group_ids(group::PICTURE_DEL, body).await;

    // Reading: unknown pictures and another group's are 332; bad parameters as for any image.
    let image = Image::Picture(s.group, pic);
    for unknown in [999_999, foreign] {
        let image = Image::Picture(s.group, unknown);
        unreadable(server, Some(&s.member), image, 332, 404).await;
    }
    refuses_bad_reads(server, &s.member, image).await;
    s.refuses_bad_group_ids(group::PICTURES, json!({})).await;

    // Nothing changed: one picture here, one in the other group.
    assert_eq!(server.group_picture_ids(&s.outsider, s.group).await, [pic]);
    assert_eq!(server.group_picture_ids(&s.member, other).await, [foreign]);
    assert_eq!(served(server, &s.member, image).await.size, (20, 20));
}
