//! Every API path the tests call, once, by area: `group::DISMISS`, `files::BEGIN`, `chat::BEGIN`.
//! `tests/openapi.rs` checks that each is a route of the route table.

/// `pub const NAME: &str = PATH` for each pair, and `ALL`, every path of the module.
macro_rules! paths {
    ($($name:ident = $path:literal,)*) => {
        $(pub const $name: &str = $path;)*
        pub const ALL: &[&str] = &[$($path),*];
    };
}

/// `/auth`.
pub mod auth {
    paths! {
        LOGIN = "/auth/login",
        CHECK_LOGIN = "/auth/checkLogin",
    }
}

/// `/user/info`.
pub mod user {
    paths! {
        EDIT_INFO = "/user/info/text/editInfo",
        GET_INFO = "/user/info/text/getInfo",
        SET_NICKNAME = "/user/info/text/setNickname",
        AVATAR_ADD = "/user/info/avatar/add",
        AVATAR_GET = "/user/info/avatar/get",
        TAG_ADD = "/user/info/tag/add",
        TAG_GET = "/user/info/tag/get",
        TAG_REMOVE = "/user/info/tag/remove",
        TAG_EDIT = "/user/info/tag/edit",
        REPORT = "/user/report",
        ACCOUNT_DELETE = "/user/account/delete",
        ACCOUNT_EXPORT = "/user/account/export",
    }
}

/// `/group` (but its files).
pub mod group {
    paths! {
        CREATE = "/group/external/group/create",
        JOIN = "/group/external/group/join",
        JOIN_REQUESTS = "/group/external/joinRequest/getAll",
        PROCESS = "/group/external/joinRequest/process",
        CANCEL = "/group/external/joinRequest/cancel",
        REPORT = "/group/external/report",
        NAME_HINT = "/group/external/search/name_hint",
        TAG_HINT = "/group/external/search/tag_hint",
        SEARCH = "/group/external/search/group",
        MY_GROUPS = "/group/external/search/my_group",
        INFO_EDIT = "/group/internal/info/text/edit",
        INFO_GET = "/group/internal/info/text/get",
        SET_NAME = "/group/internal/info/text/set_name",
        AVATAR_ADD = "/group/internal/info/avatar/add",
        AVATAR_GET = "/group/internal/info/avatar/get",
        PICTURES = "/group/internal/info/picture/getAll",
        PICTURE_GET = "/group/internal/info/picture/get",
        PICTURE_ADD = "/group/internal/info/picture/add",
        PICTURE_DEL = "/group/internal/info/picture/del",
        TAGS = "/group/internal/info/tag/get",
        TAG_ADD = "/group/internal/info/tag/add",
        TAG_REMOVE = "/group/internal/info/tag/remove",
        TAG_EDIT = "/group/internal/info/tag/edit",
        MEMBERS = "/group/internal/member/get",
        REMOVE = "/group/internal/member/remove",
        NICKNAME = "/group/internal/member/setNickname",
        RATE = "/group/internal/member/rate",
        SWITCH_ADMIN = "/group/internal/member/switchAdmin",
        DISMISS = "/group/internal/setting/dismiss",
        EXIT = "/group/internal/setting/exit",
        ANNOUNCEMENTS = "/group/internal/announcement/getAll",
        ANNOUNCEMENT = "/group/internal/announcement/get",
        ANN_ADD = "/group/internal/announcement/add",
        ANN_EDIT = "/group/internal/announcement/edit",
        ANN_DELETE = "/group/internal/announcement/delete",
        ANN_SET_PIC = "/group/internal/announcement/setPic",
        ANN_DEL_PIC = "/group/internal/announcement/delPic",
        ANN_GET_PIC = "/group/internal/announcement/getPic",
    }
}

/// `/group/internal/files`.
pub mod files {
    paths! {
        GET_DIR = "/group/internal/files/get_dir",
        MK_DIR = "/group/internal/files/mk_dir",
        DOWNLOAD = "/group/internal/files/download",
        UPLOAD = "/group/internal/files/upload",
        DELETE = "/group/internal/files/delete",
        EDIT_NAME = "/group/internal/files/edit_name",
        MOVE = "/group/internal/files/move",
        SHARE = "/group/internal/files/share",
        REPORT = "/group/internal/files/report",
        BEGIN = "/group/internal/files/upload/begin",
        DIRECT = "/group/internal/files/upload/direct",
        PART = "/group/internal/files/upload/part",
        STATUS = "/group/internal/files/upload/status",
        COMPLETE = "/group/internal/files/upload/complete",
        ABORT = "/group/internal/files/upload/abort",
    }
}

/// `/chat` over HTTP.
pub mod chat {
    paths! {
        GET_CHAT = "/chat/getChat",
        UPLOAD = "/chat/files/upload",
        DOWNLOAD = "/chat/files/download",
        REPORT = "/chat/report",
        BEGIN = "/chat/files/upload/begin",
        DIRECT = "/chat/files/upload/direct",
        PART = "/chat/files/upload/part",
        STATUS = "/chat/files/upload/status",
        COMPLETE = "/chat/files/upload/complete",
        ABORT = "/chat/files/upload/abort",
    }
}

/// Every path above.
pub fn all() -> impl Iterator<Item = &'static str> {
    [auth::ALL, user::ALL, group::ALL, files::ALL, chat::ALL]
        .into_iter()
        .flatten()
        .copied()
}
