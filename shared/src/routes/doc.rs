//! What the API description says about one route that the route table does not: its operation
//! id, tag, summary and prose, the codes only it answers, and the types it takes and gives.
//! [`super::openapi`] assembles the document from these, the table and the types' schemas;
//! methods, security, the common codes and the error responses follow from the table.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::error::Code;

/// A type's JSON Schema, inline (the types it names become `components/schemas`).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn inline<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    T::json_schema(generator)
}

/// A route's entry in the API description.
#[derive(Clone, Copy)]
pub struct Doc {
    /// `operationId`; a route taking PUT or POST gets one per method (`…Put`, `…Post`).
    pub id: &'static str,
    pub tag: Tag,
    pub summary: &'static str,
    /// The operation's description, before the generated list of its codes.
    pub about: &'static str,
    /// The codes of the group checks it makes (`groups::Access::WRITES`).
    pub checks: &'static [Code],
    /// The codes of this route besides those every route of its kind answers and its checks.
    pub codes: &'static [Code],
    pub takes: Takes,
    pub gives: Gives,
    /// An open route that reads the `token` header itself (`/auth/checkLogin`).
    pub reads_token: bool,
    /// What a success means, when more than "Success" (`Signed in`).
    pub success: &'static str,
    /// What the `Set-Cookie` header of a success does, for routes that set one.
    pub cookie: Option<&'static str>,
    /// Judges user text with WeChat before storing it (`content::text`): 105, 106, 107.
    pub judges_text: bool,
}

/// A chat socket: served by the relay (natively and in front of Spin), documented with the routes.
pub struct Socket {
    pub path: &'static str,
    pub doc: &'static Doc,
}

/// What a route takes besides its caller's credential.
#[derive(Clone, Copy)]
pub enum Takes {
    Nothing,
    /// A JSON body (POST) or the query (GET) with these fields.
    Fields(SchemaFn),
    /// `multipart/form-data` as `wx.uploadFile` sends it: `fields`, then the file in `file`.
    Form {
        fields: SchemaFn,
        file: &'static str,
    },
    /// The query's fields and the raw bytes of an upload part.
    Bytes(SchemaFn),
}

/// What a route answers on success.
#[derive(Clone, Copy)]
pub enum Gives {
    /// `{"code": 0, "msg": "success", ...fields}`.
    Fields(SchemaFn),
    /// A stored picture, with `ETag` and 304.
    Picture,
    /// A file's bytes: whole, one range, a redirect to object storage, or 304.
    File,
    /// An HTML page (the console).
    Page,
    /// A WebSocket session.
    Socket,
    /// This document.
    Document,
    /// Plain text, as described (WeChat's message push wants its `echostr` or `success`).
    Text(&'static str),
    /// A picture's or a voice's bytes, as stored.
    Media,
    /// A probe's JSON (not the envelope): 200 when well, and 503 when not if it `can_fail`.
    Probe { schema: SchemaFn, can_fail: bool },
}

/// The groups of operations in the description, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Auth,
    User,
    Group,
    Search,
    GroupInfo,
    GroupMember,
    GroupSetting,
    Announcement,
    Files,
    FilesResumable,
    Chat,
    ChatRelay,
    Wechat,
    Debug,
    Docs,
    Operations,
}

impl Tag {
    pub const ALL: [Tag; 16] = [
        Tag::Auth,
        Tag::User,
        Tag::Group,
        Tag::Search,
        Tag::GroupInfo,
        Tag::GroupMember,
        Tag::GroupSetting,
        Tag::Announcement,
        Tag::Files,
        Tag::FilesResumable,
        Tag::Chat,
        Tag::ChatRelay,
        Tag::Wechat,
        Tag::Debug,
        Tag::Docs,
        Tag::Operations,
    ];

    /// Its name and description.
    pub fn parts(self) -> (&'static str, &'static str) {
        match self {
            Tag::Auth => ("auth", "授权 sign-in and token checks"),
            Tag::User => ("user", "用户信息 profiles, avatars, personal tags"),
            Tag::Group => ("group", "群组外API groups and join requests"),
            Tag::Search => ("search", "搜索 group search and hints"),
            Tag::GroupInfo => ("group-info", "群组信息 intro, name, avatar, pictures, tags"),
            Tag::GroupMember => ("group-member", "群员 members and ratings"),
            Tag::GroupSetting => ("group-setting", "群组设置 dismiss and exit"),
            Tag::Announcement => ("announcement", "群组公告 announcements"),
            Tag::Files => ("files", "群组文件 the group file space"),
            Tag::FilesResumable => ("files-resumable", "resumable uploads (our addition)"),
            Tag::Chat => (
                "chat",
                "聊天 WebSocket rooms, conversations, temporary files",
            ),
            Tag::ChatRelay => ("chat-relay", "the relay's internal API (our addition)"),
            Tag::Wechat => (
                "wechat",
                "WeChat's calls: message push and media to check (our addition)",
            ),
            Tag::Debug => ("debug", "the admin console (`ZUDUI_ADMIN_TOKEN`)"),
            Tag::Docs => ("docs", "this document"),
            Tag::Operations => ("operations", "liveness and readiness probes (our addition)"),
        }
    }
}

impl Doc {
    /// An operation that takes nothing and answers `{"code": 0, "msg": "success"}`.
    pub const fn new(id: &'static str, tag: Tag, summary: &'static str) -> Doc {
        Doc {
            id,
            tag,
            summary,
            about: "",
            checks: &[],
            codes: &[],
            takes: Takes::Nothing,
            gives: Gives::Fields(inline::<super::Done>),
            reads_token: false,
            success: "Success",
            cookie: None,
            judges_text: false,
        }
    }

    /// Stores text that others read, judged by WeChat first (`content::text::CODES`).
    pub const fn judges_text(mut self) -> Doc {
        self.judges_text = true;
        self
    }

    pub const fn about(mut self, about: &'static str) -> Doc {
        self.about = about;
        self
    }

    /// Makes the group checks that answer `codes` (`groups::Access::READS`).
    pub const fn checks(mut self, codes: &'static [Code]) -> Doc {
        self.checks = codes;
        self
    }

    pub const fn codes(mut self, codes: &'static [Code]) -> Doc {
        self.codes = codes;
        self
    }

    /// Takes the fields of `T` (the JSON body, or the query of a GET).
    pub const fn takes<T: JsonSchema>(mut self) -> Doc {
        self.takes = Takes::Fields(inline::<T>);
        self
    }

    /// Takes a form with the fields of `T` and a file named `file`.
    pub const fn form<T: JsonSchema>(mut self, file: &'static str) -> Doc {
        self.takes = Takes::Form {
            fields: inline::<T>,
            file,
        };
        self
    }

    /// Takes the bytes of a part, with the fields of `T` in the query.
    pub const fn bytes<T: JsonSchema>(mut self) -> Doc {
        self.takes = Takes::Bytes(inline::<T>);
        self
    }

    /// Answers the fields of `T` in the success envelope.
    pub const fn gives<T: JsonSchema>(mut self) -> Doc {
        self.gives = Gives::Fields(inline::<T>);
        self
    }

    /// Answers a probe's `T`: with 200, or 503 too if it `can_fail`.
    pub const fn probe<T: JsonSchema>(mut self, can_fail: bool) -> Doc {
        self.gives = Gives::Probe {
            schema: inline::<T>,
            can_fail,
        };
        self
    }

    /// Answers something else than JSON fields.
    pub const fn answers(mut self, gives: Gives) -> Doc {
        self.gives = gives;
        self
    }

    /// A success sets a cookie (`what` it does) and means `success`.
    pub const fn sets_cookie(mut self, success: &'static str, what: &'static str) -> Doc {
        self.success = success;
        self.cookie = Some(what);
        self
    }

    pub const fn reads_token(mut self) -> Doc {
        self.reads_token = true;
        self
    }
}
