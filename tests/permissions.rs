//! Who may do what in a group, as tables of rules: for every group endpoint, the code its
//! creator, an admin, an ordinary member and a signed-in outsider get (0: it succeeds), in an
//! active group and in a dismissed one (read-only: writes are 304, reads still work, members
//! rate each other). Each rule of the active group gets a group of its own, so that one rule's
//! writes cannot decide another's outcome.

mod common;

use common::paths::{files, group};
use common::roles::{Role, Roles};
use common::{png, Server, User};
use serde_json::{json, Value};

/// A group endpoint, called the way its rule needs.
#[derive(Debug, Clone, Copy)]
enum Call {
    ProcessRequest,
    /// Withdraw someone else's join request: only its author may (see below).
    CancelRequest,
    InfoEdit,
    InfoGet,
    SetName,
    AvatarAdd,
    AvatarGet,
    Pictures,
    PictureGet,
    PictureAdd,
    PictureDel,
    Tags,
    TagAdd,
    TagRemove,
    TagEdit,
    Members,
    RemoveMember,
    RemoveAdmin,
    SetNickname,
    Rate,
    SwitchAdmin,
    Dismiss,
    Exit,
    Announcements,
    Announcement,
    AnnouncementAdd,
    AnnouncementEdit,
    AnnouncementDelete,
    AnnouncementSetPicture,
    AnnouncementDeletePicture,
    AnnouncementGetPicture,
    GetDir,
    MakeDir,
    Upload,
    Download,
    /// Rename, move and delete a file someone else (the creator) uploaded.
    RenameOthersFile,
    MoveOthersFile,
    DeleteOthersFile,
    /// The same for a file the ordinary member uploaded.
    RenameMembersFile,
    MoveMembersFile,
    DeleteMembersFile,
    Share,
    BeginUpload,
    /// Reports (moderation): anyone may report a group, members its files.
    ReportGroup,
    ReportFile,
}

use Call::*;

/// `[creator, admin, member, outsider]`: the code each gets in an active group.
#[rustfmt::skip]
const ACTIVE: &[(Call, [u16; 4])] = &[
    (ProcessRequest,            [0,   0,   303, 303]),
    (CancelRequest,             [313, 313, 313, 313]),
    (InfoEdit,                  [0,   0,   303, 303]),
    (InfoGet,                   [0,   0,   0,   0  ]),
    (SetName,                   [0,   303, 303, 303]),
    (AvatarAdd,                 [0,   0,   303, 303]),
    (AvatarGet,                 [0,   0,   0,   0  ]),
    (Pictures,                  [0,   0,   0,   0  ]),
    (PictureGet,                [0,   0,   0,   0  ]),
    (PictureAdd,                [0,   0,   303, 303]),
    (PictureDel,                [0,   0,   303, 303]),
    (Tags,                      [0,   0,   0,   0  ]),
    (TagAdd,                    [0,   0,   303, 303]),
    (TagRemove,                 [0,   0,   303, 303]),
    (TagEdit,                   [0,   0,   303, 303]),
    (Members,                   [0,   0,   0,   303]),
    (RemoveMember,              [0,   0,   303, 303]),
    (RemoveAdmin,               [0,   303, 303, 303]),
    (SetNickname,               [0,   0,   0,   303]),
    (Rate,                      [303, 303, 303, 303]),
    (SwitchAdmin,               [0,   303, 303, 303]),
    (Exit,                      [315, 0,   0,   303]),
    (Announcements,             [0,   0,   0,   303]),
    (Announcement,              [0,   0,   0,   303]),
    (AnnouncementAdd,           [0,   0,   303, 303]),
    (AnnouncementEdit,          [0,   0,   303, 303]),
    (AnnouncementDelete,        [0,   0,   303, 303]),
    (AnnouncementSetPicture,    [0,   0,   303, 303]),
    (AnnouncementDeletePicture, [0,   0,   303, 303]),
    (AnnouncementGetPicture,    [0,   0,   0,   303]),
    (GetDir,                    [0,   0,   0,   303]),
    (MakeDir,                   [0,   0,   0,   303]),
    (Upload,                    [0,   0,   0,   303]),
    (Download,                  [0,   0,   0,   303]),
    (RenameOthersFile,          [0,   0,   303, 303]),
    (MoveOthersFile,            [0,   0,   303, 303]),
    (DeleteOthersFile,          [0,   0,   303, 303]),
    (RenameMembersFile,         [0,   0,   0,   303]),
    (MoveMembersFile,           [0,   0,   0,   303]),
    (DeleteMembersFile,         [0,   0,   0,   303]),
    (Share,                     [0,   0,   0,   303]),
    (BeginUpload,               [0,   0,   0,   303]),
    (ReportGroup,               [0,   0,   0,   0  ]),
    (ReportFile,                [0,   0,   0,   303]),
    (Dismiss,                   [0,   303, 303, 303]),
];

/// The same in a dismissed group: every write is 304 for its members (303 for others, who learn
/// nothing more), reads work, members rate each other (once), and the join requests still
/// pending when it was dismissed are gone (313).
#[rustfmt::skip]
const DISMISSED: &[(Call, [u16; 4])] = &[
    (ProcessRequest,            [313, 313, 313, 313]),
    (CancelRequest,             [313, 313, 313, 313]),
    (InfoEdit,                  [304, 304, 304, 303]),
    (InfoGet,                   [0,   0,   0,   0  ]),
    (SetName,                   [304, 304, 304, 303]),
    (AvatarAdd,                 [304, 304, 304, 303]),
    (AvatarGet,                 [0,   0,   0,   0  ]),
    (Pictures,                  [0,   0,   0,   0  ]),
    (PictureGet,                [0,   0,   0,   0  ]),
    (PictureAdd,                [304, 304, 304, 303]),
    (PictureDel,                [304, 304, 304, 303]),
    (Tags,                      [0,   0,   0,   0  ]),
    (TagAdd,                    [304, 304, 304, 303]),
    (TagRemove,                 [304, 304, 304, 303]),
    (TagEdit,                   [304, 304, 304, 303]),
    (Members,                   [0,   0,   0,   303]),
    (RemoveMember,              [304, 304, 304, 303]),
    (RemoveAdmin,               [304, 304, 304, 303]),
    (SetNickname,               [304, 304, 304, 303]),
    (SwitchAdmin,               [304, 304, 304, 303]),
    (Dismiss,                   [304, 304, 304, 303]),
    (Exit,                      [304, 304, 304, 303]),
    (Announcements,             [0,   0,   0,   303]),
    (Announcement,              [0,   0,   0,   303]),
    (AnnouncementAdd,           [304, 304, 304, 303]),
    (AnnouncementEdit,          [304, 304, 304, 303]),
    (AnnouncementDelete,        [304, 304, 304, 303]),
    (AnnouncementSetPicture,    [304, 304, 304, 303]),
    (AnnouncementDeletePicture, [304, 304, 304, 303]),
    (AnnouncementGetPicture,    [0,   0,   0,   303]),
    (GetDir,                    [0,   0,   0,   303]),
    (MakeDir,                   [304, 304, 304, 303]),
    (Upload,                    [304, 304, 304, 303]),
    (Download,                  [0,   0,   0,   303]),
    (RenameOthersFile,          [304, 304, 304, 303]),
    (MoveOthersFile,            [304, 304, 304, 303]),
    (DeleteOthersFile,          [304, 304, 304, 303]),
    (RenameMembersFile,         [304, 304, 304, 303]),
    (MoveMembersFile,           [304, 304, 304, 303]),
    (DeleteMembersFile,         [304, 304, 304, 303]),
    (Share,                     [304, 304, 304, 303]),
    (BeginUpload,               [304, 304, 304, 303]),
    (ReportGroup,               [0,   0,   0,   0  ]),
    (ReportFile,                [0,   0,   0,   303]),
    (Rate,                      [0,   0,   0,   303]),
];

#[tokio::test]
async fn in_an_active_group_each_role_may_do_what_the_contract_says() {
    let server = Server::start().await;
    let mut broken = Broken::default();
    for (row, (call, codes)) in ACTIVE.iter().enumerate() {
        let roles = Roles::new(&server, &format!("active{row}")).await;
        for role in Role::CALLING_ORDER {
            let got = call.by(&server, &roles, role, true).await;
            broken.check(*call, role, got, codes);
        }
    }
    broken.assert_none();
}

#[tokio::test]
async fn a_dismissed_group_is_read_only_but_for_ratings() {
    let server = Server::start().await;
    let roles = Roles::new(&server, "dismissed").await;
    let request = roles.join_request(&server).await;
    roles.dismiss(&server).await;
    let mut broken = Broken::default();
    for (call, codes) in DISMISSED {
        for role in Role::CALLING_ORDER {
            let got = match call {
                ProcessRequest => process(&server, roles.who(role), request).await,
                CancelRequest => cancel(&server, roles.who(role), request).await,
                _ => call.by(&server, &roles, role, false).await,
            };
            broken.check(*call, role, got, codes);
        }
    }
    broken.assert_none();
}

/// The rules a run broke, one line each, reported together at the end.
#[derive(Default)]
struct Broken(Vec<String>);

impl Broken {
    fn check(&mut self, call: Call, role: Role, got: u16, codes: &[u16; 4]) {
        let want = codes[role.column()];
        if got != want {
            self.0
                .push(format!("{call:?} by {role:?}: {got}, not {want}"));
        }
    }

    fn assert_none(self) {
        assert!(self.0.is_empty(), "{}", self.0.join("\n"));
    }
}

/// A join request is its author's to withdraw, once, while it is pending; then they may ask
/// again, and the managers no longer see it.
#[tokio::test]
async fn the_author_of_a_join_request_withdraws_it() {
    let server = Server::start().await;
    let roles = Roles::new(&server, "withdraw").await;
    let applicant = common::user(&server, "withdraw-applicant").await;
    let ask = || server.post(group::JOIN, applicant.t(), roles.at(json!({})));
    let (_, asked) = ask().await;
    let request = asked["request_id"].as_i64().expect("request_id");
    assert_eq!(
        code(ask().await),
        312,
        "one pending request per user and group"
    );

    assert_eq!(cancel(&server, &applicant, request).await, 0);
    assert_eq!(
        cancel(&server, &applicant, request).await,
        313,
        "withdrawn once"
    );
    assert_eq!(
        process(&server, &roles.creator, request).await,
        313,
        "gone for the managers"
    );
    let inbox = server
        .ok(group::JOIN_REQUESTS, &roles.creator.token, json!({}))
        .await;
    assert!(
        inbox["join_requests"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|r| r["id"] != request),
        "{inbox}"
    );
    let (_, again) = ask().await;
    assert!(
        again["request_id"].as_i64().is_some_and(|id| id > request),
        "{again}"
    );

    for (body, want) in [
        (json!({}), 101),
        (json!({ "request_id": "x" }), 101),
        (json!({ "request_id": request + 1000 }), 313),
    ] {
        assert_eq!(
            code(
                server
                    .post(group::CANCEL, applicant.t(), body.clone())
                    .await
            ),
            want,
            "{body}"
        );
    }
    assert_eq!(
        code(
            server
                .post(group::CANCEL, None, json!({ "request_id": request }))
                .await
        ),
        113
    );
}

/// Every rule is in both tables.
#[test]
fn the_tables_have_the_same_rules() {
    let names = |table: &[(Call, [u16; 4])]| {
        let mut names: Vec<String> = table.iter().map(|(c, _)| format!("{c:?}")).collect();
        names.sort();
        names
    };
    assert_eq!(names(ACTIVE), names(DISMISSED));
}

impl Call {
    /// Calls the endpoint as `role`; answers the code (0 for a success). `fresh`: what the call
    /// removes or changes is made for it (an active group), else the group's standing things.
    async fn by(self, server: &Server, roles: &Roles, role: Role, fresh: bool) -> u16 {
        let who = roles.who(role);
        let post = |path: &'static str, body: Value| async move {
            code(server.post(path, who.t(), roles.at(body)).await)
        };
        match self {
            ProcessRequest => process(server, who, roles.join_request(server).await).await,
            CancelRequest => cancel(server, who, roles.join_request(server).await).await,
            InfoEdit => post(group::INFO_EDIT, json!({ "text": "简介" })).await,
            InfoGet => post(group::INFO_GET, json!({})).await,
            SetName => post(group::SET_NAME, json!({ "name": roles.unique("名") })).await,
            AvatarAdd => picture(server, roles, who, group::AVATAR_ADD, "avatar", &[]).await,
            AvatarGet => get(server, roles, who, group::AVATAR_GET, &[]).await,
            Pictures => post(group::PICTURES, json!({})).await,
            PictureGet => {
                let picture = roles.picture.to_string();
                get(
                    server,
                    roles,
                    who,
                    group::PICTURE_GET,
                    &[("pic_id", &picture)],
                )
                .await
            }
            PictureAdd => picture(server, roles, who, group::PICTURE_ADD, "pic", &[]).await,
            PictureDel => {
                let picture = match fresh {
                    true => roles.add_picture(server).await,
                    false => roles.picture,
                };
                post(group::PICTURE_DEL, json!({ "pic_id": picture })).await
            }
            Tags => post(group::TAGS, json!({})).await,
            TagAdd => post(group::TAG_ADD, json!({ "tag_text": roles.unique("标签") })).await,
            TagRemove => {
                let tag = match fresh {
                    true => roles.add_tag(server).await,
                    false => roles.tag,
                };
                post(group::TAG_REMOVE, json!({ "tag_id": tag })).await
            }
            TagEdit => {
                let body = json!({ "tag_id": roles.tag, "tag_text": roles.unique("改") });
                post(group::TAG_EDIT, body).await
            }
            Members => post(group::MEMBERS, json!({})).await,
            RemoveMember => {
                let target = match fresh {
                    true => roles.newcomer(server).await.id,
                    false => roles.member.id.clone(),
                };
                post(group::REMOVE, json!({ "user_id": target })).await
            }
            RemoveAdmin => {
                let target = match fresh {
                    true => roles.new_admin(server).await.id,
                    false => roles.admin.id.clone(),
                };
                post(group::REMOVE, json!({ "user_id": target })).await
            }
            SetNickname => post(group::NICKNAME, json!({ "nickname": "昵称" })).await,
            Rate => {
                let target = match role {
                    Role::Member => &roles.creator,
                    _ => &roles.member,
                };
                let rates = json!([{ "user_id": target.id, "star_rating": 8 }]);
                post(group::RATE, json!({ "rates": rates })).await
            }
            SwitchAdmin => {
                let target = match fresh {
                    true => roles.newcomer(server).await.id,
                    false => roles.member.id.clone(),
                };
                post(group::SWITCH_ADMIN, json!({ "user_id": target })).await
            }
            Dismiss => post(group::DISMISS, json!({})).await,
            Exit => post(group::EXIT, json!({})).await,
            Announcements => post(group::ANNOUNCEMENTS, json!({})).await,
            Announcement => {
                let body = json!({ "announcement_id": roles.announcement });
                post(group::ANNOUNCEMENT, body).await
            }
            AnnouncementAdd => {
                let body = json!({ "title": roles.unique("公告"), "text": "内容" });
                post(group::ANN_ADD, body).await
            }
            AnnouncementEdit => {
                let body = json!({
                    "announcement_id": roles.announcement,
                    "title": roles.unique("新"),
                    "text": "新内容",
                });
                post(group::ANN_EDIT, body).await
            }
            AnnouncementDelete => {
                let announcement = match fresh {
                    true => roles.add_announcement(server).await,
                    false => roles.announcement,
                };
                let body = json!({ "announcement_id": announcement });
                post(group::ANN_DELETE, body).await
            }
            AnnouncementSetPicture => {
                let announcement = roles.announcement.to_string();
                let fields = [("announcement_id", announcement.as_str())];
                picture(server, roles, who, group::ANN_SET_PIC, "pic", &fields).await
            }
            AnnouncementDeletePicture => {
                let announcement = match fresh {
                    true => {
                        let announcement = roles.add_announcement(server).await;
                        roles.set_announcement_picture(server, announcement).await;
                        announcement
                    }
                    false => roles.announcement,
                };
                let body = json!({ "announcement_id": announcement });
                post(group::ANN_DEL_PIC, body).await
            }
            AnnouncementGetPicture => {
                let announcement = roles.announcement.to_string();
                let query = [("announcement_id", announcement.as_str())];
                get(server, roles, who, group::ANN_GET_PIC, &query).await
            }
            GetDir => post(files::GET_DIR, json!({})).await,
            MakeDir => post(files::MK_DIR, json!({ "name": roles.unique("夹") })).await,
            Upload => {
                let (group, name) = (roles.group.to_string(), roles.unique("up") + ".txt");
                let fields = [("group_id", group.as_str()), ("file_name", name.as_str())];
                let form = server.upload(files::UPLOAD, who.t(), "file", b"hi".to_vec(), &fields);
                code(form.await)
            }
            Download => {
                let file = roles.creators_file.to_string();
                get(server, roles, who, files::DOWNLOAD, &[("file_id", &file)]).await
            }
            RenameOthersFile | RenameMembersFile => {
                let file = self.file(server, roles, false).await;
                let body = json!({ "file_id": file, "name": roles.unique("名") + ".txt" });
                post(files::EDIT_NAME, body).await
            }
            MoveOthersFile | MoveMembersFile => {
                let file = self.file(server, roles, fresh).await;
                let body = json!({ "file_id": file, "parent_id": roles.folder });
                post(files::MOVE, body).await
            }
            DeleteOthersFile | DeleteMembersFile => {
                let file = self.file(server, roles, fresh).await;
                post(files::DELETE, json!({ "file_id": file })).await
            }
            Share => post(files::SHARE, json!({ "file_id": roles.creators_file })).await,
            ReportGroup => post(group::REPORT, json!({ "reason": "广告" })).await,
            ReportFile => {
                let body = json!({ "file_id": roles.creators_file, "reason": "盗版" });
                post(files::REPORT, body).await
            }
            BeginUpload => {
                let body = json!({ "name": roles.unique("big") + ".bin", "size": 10 });
                post(files::BEGIN, body).await
            }
        }
    }

    /// The file a file rule acts on: the creator's or the member's, new when `fresh`.
    async fn file(self, server: &Server, roles: &Roles, fresh: bool) -> i64 {
        let members = matches!(
            self,
            RenameMembersFile | MoveMembersFile | DeleteMembersFile
        );
        match (members, fresh) {
            (false, true) => roles.upload_file(server, &roles.creator).await,
            (true, true) => roles.upload_file(server, &roles.member).await,
            (false, false) => roles.creators_file,
            (true, false) => roles.members_file,
        }
    }
}

/// The code of an answer; 0 is a success with HTTP 200.
fn code((status, answer): (u16, Value)) -> u16 {
    let code = answer["code"].as_u64().expect("a code") as u16;
    assert_eq!(code == 0, status == 200, "{status}: {answer}");
    code
}

async fn process(server: &Server, who: &User, request: i64) -> u16 {
    let body = json!({ "request_id": request, "action": false });
    code(server.post(group::PROCESS, who.t(), body).await)
}

async fn cancel(server: &Server, who: &User, request: i64) -> u16 {
    code(
        server
            .post(group::CANCEL, who.t(), json!({ "request_id": request }))
            .await,
    )
}

/// Uploads a picture as `field` with the group's id and `fields`.
async fn picture(
    server: &Server,
    roles: &Roles,
    who: &User,
    path: &str,
    field: &str,
    fields: &[(&str, &str)],
) -> u16 {
    let group = roles.group.to_string();
    let mut all = vec![("group_id", group.as_str())];
    all.extend_from_slice(fields);
    code(
        server
            .upload(path, who.t(), field, png(8, 8, 255), &all)
            .await,
    )
}

/// A GET with the group's id, `query` and the token; 0 for an answer with its bytes.
async fn get(
    server: &Server,
    roles: &Roles,
    who: &User,
    path: &str,
    query: &[(&str, &str)],
) -> u16 {
    let group = roles.group.to_string();
    let mut all = vec![("group_id", group.as_str()), ("token", who.token.as_str())];
    all.extend_from_slice(query);
    let res = server.get(path, &all).await;
    let status = res.status().as_u16();
    let bytes = res.bytes().await.expect("body");
    match status {
        200 => {
            assert!(!bytes.is_empty(), "{path}: an empty answer");
            0
        }
        _ => {
            let answer: Value = serde_json::from_slice(&bytes).expect("a JSON error");
            code((status, answer))
        }
    }
}
