//! Announcement pictures.

use crate::support::*;

#[tokio::test]
async fn announcement_pictures() {
    let s = Setup::new("ann-pic").await;
    let server = &s.server;
    let member = &s.member;
    let id = server
        .add_group_announcement(&s.creator, s.group, "有图公告", "正文")
        .await;
    let plain = server
        .add_group_announcement(&s.creator, s.group, "无图公告", "正文")
        .await;
    let (picture, no_picture) = (
        Image::Announced(s.group, id),
        Image::Announced(s.group, plain),
    );

    // No picture yet.
    unreadable(server, Some(member), picture, 332, 404).await;

    // The admin sets one: has_pic everywhere, served with a validator.
    server
        .set_group_announcement_picture(&s.admin, s.group, id, png(1200, 600, 255))
        .await;
    let list = server.group_announcements(member, s.group).await;
    assert_eq!(list[0]["id"], plain);
    assert_eq!(list[0]["has_pic"], false);
    assert_eq!(list[1]["id"], id);
    assert_eq!(list[1]["has_pic"], true);
    let got = server.group_announcement(member, s.group, id).await;
    assert_eq!(got["has_pic"], true);
    let first = served(server, member, picture).await;
    assert_eq!(
        (first.content_type.as_str(), first.size),
        ("image/jpeg", (512, 256))
    );

    // The creator replaces it: a new validator, the old one no longer matches.
    server
        .set_group_announcement_picture(&s.creator, s.group, id, png(50, 40, 7))
        .await;
    let second = served(server, &s.admin, picture).await;
    assert_eq!(
        (second.content_type.as_str(), second.size),
        ("image/png", (50, 40))
    );
    assert_ne!(first.etag, second.etag);
    assert_stale(server, member, picture, &first.etag).await;

    // Removing it: 332 afterwards, and the second time.
    server
        .delete_group_announcement_picture(&s.admin, s.group, id)
        .await;
    unreadable(server, Some(member), picture, 332, 404).await;
    let remove = |id| s.at(json!({ "announcement_id": id }));
    let admin = s.admin.t();
    server
        .fails(group::ANN_DEL_PIC, admin, remove(id), 332, 404)
        .await;
    let creator = s.creator.t();
    server
        .fails(group::ANN_DEL_PIC, creator, remove(plain), 332, 404)
        .await;
    let list = server.group_announcements(member, s.group).await;
    assert_eq!(list[1]["has_pic"], false);

    // Set again, then delete the announcement itself: the picture goes with it.
    let webp = solid(image::ImageFormat::WebP);
    server
        .set_group_announcement_picture(&s.creator, s.group, id, webp)
        .await;
    served(server, member, picture).await;
    server
        .delete_group_announcement(&s.creator, s.group, id)
        .await;
    // An unknown announcement is 101, as for announcement/get.
    unreadable(server, Some(member), picture, 101, 400).await;
    unreadable(server, Some(member), no_picture, 332, 404).await;
}

#[tokio::test]
async fn announcement_picture_errors() {
    let s = Setup::new("ann-pic-err").await;
    let server = &s.server;
    let id = server
        .add_group_announcement(&s.creator, s.group, "公告", "正文")
        .await;
    let picture = Image::Announced(s.group, id);
    server
        .set_group_announcement_picture(&s.admin, s.group, id, small_png())
        .await;
    let before = served(server, &s.member, picture).await;

    // Outsiders cannot even read the picture; members only read it.
    unreadable(server, Some(&s.outsider), picture, 303, 403).await;
    let body = s.at(json!({ "announcement_id": id }));
    s.only_managers_may(group::ANN_DEL_PIC, body).await;
    let upload = Upload::Announced(s.group, id);
    refuses_bad_uploads(&s, upload).await;
    // An unknown announcement is 101.
    let unknown = Upload::Announced(s.group, 999_999);
    upload_fails(server, Some(&s.creator), unknown, small_png(), 101, 400).await;

    let cases = vec![
        (s.at(json!({ "announcement_id": 999_999 })), 101, 400),
        (s.at(json!({})), 101, 400),
    ];
    s.refused(group::ANN_DEL_PIC, Some(&s.creator), cases).await;
    let body = json!({ "announcement_id": id });
    s.refuses_bad_group_ids(group::ANN_DEL_PIC, body).await;
    refuses_bad_reads(server, &s.member, picture).await;

    // The picture is unchanged.
    assert_eq!(served(server, &s.creator, picture).await, before);
}
