//! Dismissed groups.

use crate::support::*;

#[tokio::test]
async fn dismissed_groups_are_read_only() {
    let s = Setup::new("dismissed").await;
    let server = &s.server;

    // Fill the profile and an announcement with a picture before dismissing.
    server.edit_group_intro(&s.creator, s.group, "旧简介").await;
    let avatar = png(100, 100, 255);
    server.set_group_avatar(&s.creator, s.group, avatar).await;
    let pic = server
        .add_group_picture(&s.admin, s.group, small_png())
        .await;
    server.add_group_tag(&s.admin, s.group, "旧标签").await;
    let tag_list = server.group_tags(&s.member, s.group).await;
    let tag = tag_list[0]["id"].clone();
    let ann = server
        .add_group_announcement(&s.admin, s.group, "旧公告", "旧正文")
        .await;
    server
        .set_group_announcement_picture(&s.admin, s.group, ann, small_png())
        .await;
    let ann_list = server.group_announcements(&s.member, s.group).await;
    let avatar = Image::Avatar(s.group);
    let avatar_before = served(server, &s.member, avatar).await;

    s.dismiss().await;

    // Every write by a member of any role is 304; outsiders are still 303.
    let writes = [
        (group::INFO_EDIT, json!({ "text": "新简介" })),
        (group::SET_NAME, json!({ "name": "新名字" })),
        (group::PICTURE_DEL, json!({ "pic_id": pic })),
        (group::TAG_ADD, json!({ "tag_text": "新标签" })),
        (
            group::TAG_EDIT,
            json!({ "tag_id": tag, "tag_text": "新标签" }),
        ),
        (group::TAG_REMOVE, json!({ "tag_id": tag })),
        (group::ANN_ADD, json!({ "title": "新", "text": "新" })),
        (
            group::ANN_EDIT,
            json!({ "announcement_id": ann, "title": "新", "text": "新" }),
        ),
        (group::ANN_DELETE, json!({ "announcement_id": ann })),
        (group::ANN_DEL_PIC, json!({ "announcement_id": ann })),
    ];
    for (path, body) in writes {
        let body = s.at(body);
        for who in s.members() {
            server.fails(path, who.t(), body.clone(), 304, 403).await;
        }
        server.fails(path, s.outsider.t(), body, 303, 403).await;
    }
    let uploads = [
        Upload::Avatar(s.group),
        Upload::Picture(s.group),
        Upload::Announced(s.group, ann),
    ];
    for upload in uploads {
        for who in s.members() {
            upload_fails(server, Some(who), upload, small_png(), 304, 403).await;
        }
        upload_fails(server, Some(&s.outsider), upload, small_png(), 303, 403).await;
    }

    // Reads keep working, and nothing changed.
    let seen = server.group_profile(&s.outsider, s.group).await;
    assert_eq!(seen["dismissed"], true);
    assert_eq!(seen["info"], "旧简介");
    assert_eq!(seen["name"], "学习小组");
    assert_eq!(seen["my_role"], Value::Null);
    for (who, role) in s.members().into_iter().zip(["creator", "admin", "member"]) {
        let mine = server.group_profile(who, s.group).await;
        assert_eq!(mine["my_role"], role);
    }
    let avatar_after = served(server, &s.outsider, avatar).await;
    assert_eq!(avatar_after, avatar_before);
    assert_eq!(avatar_after.size, (100, 100));
    let pictures = server.group_picture_ids(&s.outsider, s.group).await;
    assert_eq!(pictures, [pic]);
    served(server, &s.outsider, Image::Picture(s.group, pic)).await;
    assert_eq!(server.group_tags(&s.outsider, s.group).await, tag_list);
    let announcements = server.group_announcements(&s.member, s.group).await;
    assert_eq!(announcements, ann_list);
    let got = server.group_announcement(&s.member, s.group, ann).await;
    assert_eq!(got["title"], "旧公告");
    assert_eq!(got["has_pic"], true);
    let ann_picture = Image::Announced(s.group, ann);
    served(server, &s.member, ann_picture).await;
    // Announcements stay closed to outsiders.
    let body = s.at(json!({}));
    server
        .fails(group::ANNOUNCEMENTS, s.outsider.t(), body, 303, 403)
        .await;
    unreadable(server, Some(&s.outsider), ann_picture, 303, 403).await;
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
    let owner = user(&server, "pictures-owner").await;
    let team = create_group(&server, &owner, "图片清理").await;
    let avatars = format!("avatar/group/{team}");
    for side in [40, 50] {
        let avatar = png(side, side, 255);
        server.set_group_avatar(&owner, team, avatar).await;
        let stored = stored_pictures(&server, &avatars);
        assert_eq!(stored.len(), 1, "only the avatar shown");
    }

    let intro = format!("picture/group/{team}");
    let first = server
        .add_group_picture(&owner, team, png(30, 20, 255))
        .await;
    server
        .add_group_picture(&owner, team, png(20, 30, 255))
        .await;
    assert_eq!(stored_pictures(&server, &intro).len(), 2);
    server.delete_group_picture(&owner, team, first).await;
    assert_eq!(stored_pictures(&server, &intro).len(), 1);

    let id = server
        .add_group_announcement(&owner, team, "通知", "正文")
        .await;
    server
        .set_group_announcement_picture(&owner, team, id, png(25, 25, 255))
        .await;
    let announced = format!("picture/announcement/{id}");
    assert_eq!(stored_pictures(&server, &announced).len(), 1);
    server.delete_group_announcement(&owner, team, id).await;
    assert!(stored_pictures(&server, &announced).is_empty());
}
