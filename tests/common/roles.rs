//! The roles of the contract around one group: its creator, an admin, an ordinary member and a
//! signed-in outsider, with things in the group to act on (a tag, a picture, an announcement
//! with a picture, a folder, a file of the creator's and one of the member's).

use serde_json::{json, Value};

use super::paths::{files, group};
use super::{admit, create_group, png, user, Server, User};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Creator,
    Admin,
    Member,
    Outsider,
}

impl Role {
    /// In the order a table of rules calls them: refusals before the writes that succeed, and the
    /// creator (who may dismiss the group) last.
    pub const CALLING_ORDER: [Role; 4] = [Role::Outsider, Role::Member, Role::Admin, Role::Creator];

    /// Its column in a rule's `[creator, admin, member, outsider]`.
    pub fn column(self) -> usize {
        match self {
            Role::Creator => 0,
            Role::Admin => 1,
            Role::Member => 2,
            Role::Outsider => 3,
        }
    }
}

pub struct Roles {
    pub group: i64,
    pub creator: User,
    pub admin: User,
    pub member: User,
    pub outsider: User,
    pub tag: i64,
    pub picture: i64,
    pub announcement: i64,
    pub folder: i64,
    pub creators_file: i64,
    pub members_file: i64,
    /// Distinguishes the users and names this fixture makes.
    label: String,
    made: std::cell::Cell<u32>,
}

impl Roles {
    /// A new active group with every role and thing; `label` keeps its users apart from others'.
    pub async fn new(server: &Server, label: &str) -> Roles {
        let creator = user(server, &format!("{label}-creator")).await;
        let admin = user(server, &format!("{label}-admin")).await;
        let member = user(server, &format!("{label}-member")).await;
        let outsider = user(server, &format!("{label}-outsider")).await;
        let group = create_group(server, &creator, &format!("{label} 组")).await;
        admit(server, &creator, &admin, group).await;
        admit(server, &creator, &member, group).await;
        let id = |res: Value, field: &str| res[field].as_i64().expect(field);
        server
            .ok(
                group::SWITCH_ADMIN,
                &creator.token,
                json!({ "group_id": group, "user_id": admin.id }),
            )
            .await;
        let at = |extra: Value| with_group(group, extra);
        let announcement = id(
            server
                .ok(
                    group::ANN_ADD,
                    &creator.token,
                    at(json!({ "title": "公告", "text": "内容" })),
                )
                .await,
            "announcement_id",
        );
        let roles = Roles {
            group,
            creator,
            admin,
            member,
            outsider,
            tag: 0,
            picture: 0,
            announcement,
            folder: 0,
            creators_file: 0,
            members_file: 0,
            label: label.to_owned(),
            made: Default::default(),
        };
        Roles {
            tag: roles.add_tag(server).await,
            picture: roles.add_picture(server).await,
            folder: roles.make_folder(server).await,
            creators_file: roles.upload_file(server, &roles.creator).await,
            members_file: roles.upload_file(server, &roles.member).await,
            ..roles
        }
        .with_announcement_picture(server)
        .await
    }

    pub fn who(&self, role: Role) -> &User {
        match role {
            Role::Creator => &self.creator,
            Role::Admin => &self.admin,
            Role::Member => &self.member,
            Role::Outsider => &self.outsider,
        }
    }

    /// `extra` with this group's `group_id`.
    pub fn at(&self, extra: Value) -> Value {
        with_group(self.group, extra)
    }

    /// A name no other call of this fixture used.
    pub fn unique(&self, what: &str) -> String {
        self.made.set(self.made.get() + 1);
        format!("{what}{}", self.made.get())
    }

    /// A further ordinary member.
    pub async fn newcomer(&self, server: &Server) -> User {
        let name = self.unique(&format!("{}-newcomer", self.label));
        let newcomer = user(server, &name).await;
        admit(server, &self.creator, &newcomer, self.group).await;
        newcomer
    }

    /// A further admin.
    pub async fn new_admin(&self, server: &Server) -> User {
        let admin = self.newcomer(server).await;
        server
            .ok(
                group::SWITCH_ADMIN,
                &self.creator.token,
                self.at(json!({ "user_id": admin.id })),
            )
            .await;
        admin
    }

    /// A pending join request of a new user.
    pub async fn join_request(&self, server: &Server) -> i64 {
        let name = self.unique(&format!("{}-applicant", self.label));
        let applicant = user(server, &name).await;
        let res = server
            .ok(group::JOIN, &applicant.token, self.at(json!({})))
            .await;
        res["request_id"].as_i64().expect("request_id")
    }

    pub async fn add_tag(&self, server: &Server) -> i64 {
        let text = self.unique("标签");
        let manager = &self.creator.token;
        server
            .ok(
                group::TAG_ADD,
                manager,
                self.at(json!({ "tag_text": text })),
            )
            .await;
        let tags = server.ok(group::TAGS, manager, self.at(json!({}))).await;
        let tag = tags["tags"].as_array().expect("tags").iter();
        tag.filter(|t| t["tag_text"] == text.as_str())
            .find_map(|t| t["id"].as_i64())
            .expect("the new tag")
    }

    pub async fn add_picture(&self, server: &Server) -> i64 {
        let group = self.group.to_string();
        let (status, res) = server
            .upload(
                group::PICTURE_ADD,
                self.creator.t(),
                "pic",
                png(8, 8, 255),
                &[("group_id", &group)],
            )
            .await;
        assert_eq!(status, 200, "{res}");
        res["pic_id"].as_i64().expect("pic_id")
    }

    pub async fn add_announcement(&self, server: &Server) -> i64 {
        let res = server
            .ok(
                group::ANN_ADD,
                &self.creator.token,
                self.at(json!({ "title": self.unique("公告"), "text": "内容" })),
            )
            .await;
        res["announcement_id"].as_i64().expect("announcement_id")
    }

    /// Gives `announcement` a picture.
    pub async fn set_announcement_picture(&self, server: &Server, announcement: i64) {
        let (group, announcement) = (self.group.to_string(), announcement.to_string());
        let (status, res) = server
            .upload(
                group::ANN_SET_PIC,
                self.creator.t(),
                "pic",
                png(8, 8, 255),
                &[("group_id", &group), ("announcement_id", &announcement)],
            )
            .await;
        assert_eq!(status, 200, "{res}");
    }

    async fn with_announcement_picture(self, server: &Server) -> Roles {
        self.set_announcement_picture(server, self.announcement)
            .await;
        self
    }

    pub async fn make_folder(&self, server: &Server) -> i64 {
        let name = self.unique("文件夹");
        let manager = &self.creator.token;
        server
            .ok(files::MK_DIR, manager, self.at(json!({ "name": name })))
            .await;
        let listing = server.ok(files::GET_DIR, manager, self.at(json!({}))).await;
        let entries = listing["files"].as_array().expect("files").iter();
        entries
            .filter(|f| f["name"] == name.as_str())
            .find_map(|f| f["id"].as_i64())
            .expect("the new folder")
    }

    /// A small file `who` uploads to the group's root.
    pub async fn upload_file(&self, server: &Server, who: &User) -> i64 {
        let (group, name) = (self.group.to_string(), self.unique("file") + ".txt");
        let fields = [("group_id", group.as_str()), ("file_name", name.as_str())];
        let (status, res) = server
            .upload(files::UPLOAD, who.t(), "file", b"hello".to_vec(), &fields)
            .await;
        assert_eq!(status, 200, "{res}");
        res["file_id"].as_i64().expect("file_id")
    }

    /// Dismisses the group (its creator).
    pub async fn dismiss(&self, server: &Server) {
        server
            .ok(group::DISMISS, &self.creator.token, self.at(json!({})))
            .await;
    }
}

fn with_group(group: i64, mut extra: Value) -> Value {
    extra["group_id"] = json!(group);
    extra
}
