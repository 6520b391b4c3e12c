//! The one error type of the API: every failure a client can see has a [`Code`] from the contract,
//! a short Chinese message and an HTTP status. Internal failures are logged and answered as 100
//! without any detail.

use std::borrow::Cow;

use http::header::{self, HeaderName, HeaderValue};
use http::StatusCode;

/// Declares [`Code`] and the list of all its variants together, so that neither can miss one.
macro_rules! codes {
    ($($name:ident,)*) => {
        /// Every error code of `api.zh.md` and `contract.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $($name,)*
        }

        impl Code {
            /// Every code, for reading a code number back (a relay reading the chat component's
            /// errors).
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
        }
    };
}

codes! {
    Internal,
    BadParam,
    NoEndpoint,
    MethodNotAllowed,
    TooLarge,
    TooManyRequests,
    ContentRisky,
    ContentUnchecked,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    WechatLogin,
    NicknameEmpty,
    UserNotFound,
    UserTagNotFound,
    UserTagEmpty,
    UserTagsFull,
    GroupNotFound,
    GroupUserNotFound,
    NoPermission,
    GroupDismissed,
    AlreadyMember,
    AlreadyRequested,
    JoinRequestNotFound,
    GroupFull,
    CreatorCannotExit,
    RatingOutOfRange,
    AlreadyRated,
    BadRatingTarget,
    PicturesFull,
    PictureNotFound,
    BadPicture,
    FileNotFound,
    FolderNotFound,
    FileExists,
    SpaceFull,
    FolderDownload,
    MoveCycle,
    UnknownGroupType,
    UnknownSortOrder,
    UnknownSortMethod,
    GroupTagNotFound,
    GroupTagEmpty,
    GroupTagsFull,
    ChatUserNotFound,
    ChatGroupNotFound,
    NotInGroup,
    ChatGroupDismissed,
    UnknownMsgType,
    TempFileNotFound,
    NotInRoom,
    RoomNotFound,
    BadMessage,
    BadRoomType,
    MessageTooLong,
    ChatFilesFull,
    Muted,
    MessageNotFound,
}

impl Code {
    /// The numeric code, the default message and the HTTP status of this error.
    pub const fn parts(self) -> (u16, &'static str, StatusCode) {
        use Code::*;
        const BAD: StatusCode = StatusCode::BAD_REQUEST;
        const AUTH: StatusCode = StatusCode::UNAUTHORIZED;
        const DENY: StatusCode = StatusCode::FORBIDDEN;
        const MISSING: StatusCode = StatusCode::NOT_FOUND;
        const CONFLICT: StatusCode = StatusCode::CONFLICT;
        const FULL: StatusCode = StatusCode::PAYLOAD_TOO_LARGE;
        match self {
            Internal => (100, "服务器内部错误", StatusCode::INTERNAL_SERVER_ERROR),
            BadParam => (101, "参数缺失或有误", BAD),
            NoEndpoint => (102, "接口不存在", MISSING),
            MethodNotAllowed => (103, "请求方法不被允许", StatusCode::METHOD_NOT_ALLOWED),
            TooLarge => (104, "请求体过大或类型不支持", FULL),
            TooManyRequests => (105, "请求过于频繁", StatusCode::TOO_MANY_REQUESTS),
            ContentRisky => (106, "内容含有违规信息", BAD),
            ContentUnchecked => (
                107,
                "内容安全检查暂不可用,请稍后再试",
                StatusCode::SERVICE_UNAVAILABLE,
            ),
            TokenExpired => (111, "token已过期", AUTH),
            TokenInvalid => (112, "token不合法", AUTH),
            TokenMissing => (113, "token缺失", AUTH),
            WechatLogin => (114, "微信登录失败", AUTH),
            NicknameEmpty => (201, "昵称为空", BAD),
            UserNotFound => (202, "用户不存在", MISSING),
            UserTagNotFound => (211, "个性标签不存在", MISSING),
            UserTagEmpty => (212, "个性标签为空", BAD),
            UserTagsFull => (213, "个性标签数量已达上限", FULL),
            GroupNotFound => (301, "群组不存在", MISSING),
            GroupUserNotFound => (302, "用户不存在", MISSING),
            NoPermission => (303, "用户无权限进行此操作", DENY),
            GroupDismissed => (304, "群组已解散", DENY),
            AlreadyMember => (311, "已经在群组中", CONFLICT),
            AlreadyRequested => (312, "已经发起过加入请求", CONFLICT),
            JoinRequestNotFound => (313, "加入请求不存在或已处理", MISSING),
            GroupFull => (314, "群组已满", FULL),
            CreatorCannotExit => (315, "群主不能退出群组,请解散群组", DENY),
            RatingOutOfRange => (321, "评分越界", BAD),
            AlreadyRated => (322, "已经在该群组评过分", CONFLICT),
            BadRatingTarget => (323, "评分对象不合法", BAD),
            PicturesFull => (331, "简介照片已满", FULL),
            PictureNotFound => (332, "简介照片不存在", MISSING),
            BadPicture => (333, "图片无法解码或过大", BAD),
            FileNotFound => (341, "文件不存在", MISSING),
            FolderNotFound => (342, "文件夹不存在", MISSING),
            FileExists => (343, "文件已存在", CONFLICT),
            SpaceFull => (344, "群文件已满", FULL),
            FolderDownload => (345, "文件夹不能下载", BAD),
            MoveCycle => (346, "不能将文件夹移动到自身或其子文件夹中", BAD),
            UnknownGroupType => (351, "群组类型不存在", BAD),
            UnknownSortOrder => (352, "排序顺序不存在", BAD),
            UnknownSortMethod => (353, "排序方法不存在", BAD),
            GroupTagNotFound => (361, "群组标签不存在", MISSING),
            GroupTagEmpty => (362, "群组标签为空", BAD),
            GroupTagsFull => (363, "群组标签数量已达上限", FULL),
            ChatUserNotFound => (401, "私聊用户不存在", MISSING),
            ChatGroupNotFound => (402, "群聊不存在", MISSING),
            NotInGroup => (403, "不在群组内", DENY),
            ChatGroupDismissed => (404, "群组已解散", DENY),
            UnknownMsgType => (405, "消息类型不存在", BAD),
            TempFileNotFound => (406, "临时文件不存在", MISSING),
            NotInRoom => (407, "不在房间内", DENY),
            RoomNotFound => (408, "房间号不存在", MISSING),
            BadMessage => (409, "消息格式错误", BAD),
            BadRoomType => (410, "房间类型错误", BAD),
            MessageTooLong => (411, "消息过长", BAD),
            ChatFilesFull => (412, "聊天临时文件空间已满", FULL),
            Muted => (413, "禁言中", DENY),
            MessageNotFound => (414, "消息不存在", MISSING),
        }
    }

    pub const fn number(self) -> u16 {
        self.parts().0
    }

    /// The code with this number.
    pub fn from_number(number: u16) -> Option<Code> {
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.number() == number)
    }

    pub const fn status(self) -> StatusCode {
        self.parts().2
    }

    /// The short Chinese message of the contract.
    pub const fn message(self) -> &'static str {
        self.parts().1
    }
}

/// A failure of a request: either one the client caused (with its code), or an internal one.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{code:?}: {message}")]
    Api {
        code: Code,
        message: Cow<'static, str>,
    },
    /// 103: the path takes only the methods in `allow` (an `Allow` header's value).
    #[error("method not allowed; allowed: {allow}")]
    WrongMethod { allow: &'static str },
    /// 104 with HTTP 415: a JSON endpoint sent a body of another media type (a form, say).
    #[error("unsupported media type")]
    WrongMediaType,
    /// 105: too many requests; a token is back in `retry_after` seconds.
    #[error("rate limited for {retry_after} s")]
    Limited { retry_after: u64 },
    #[error("internal: {0:#}")]
    Internal(#[from] anyhow::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the code's default message.
    pub fn new(code: Code) -> Self {
        Error::Api {
            code,
            message: Cow::Borrowed(code.parts().1),
        }
    }

    /// An error with a more precise message than the code's default.
    pub fn with_message(code: Code, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Api {
            code,
            message: message.into(),
        }
    }

    /// 101 naming the parameter that is missing or wrong.
    pub fn param(name: &str) -> Self {
        Self::with_message(Code::BadParam, format!("参数缺失或有误: {name}"))
    }

    /// 101 naming the parameter and saying what is wrong with it.
    pub fn param_why(name: &str, why: &str) -> Self {
        Self::with_message(Code::BadParam, format!("参数有误: {name} ({why})"))
    }

    pub fn code(&self) -> Code {
        match self {
            Error::Api { code, .. } => *code,
            Error::WrongMethod { .. } => Code::MethodNotAllowed,
            Error::WrongMediaType => Code::TooLarge,
            Error::Limited { .. } => Code::TooManyRequests,
            Error::Internal(_) => Code::Internal,
        }
    }

    /// The HTTP status: the code's, but 415 for a body of the wrong media type (104 also
    /// answers bodies that are too large, with 413).
    pub fn status(&self) -> StatusCode {
        match self {
            Error::WrongMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => self.code().status(),
        }
    }

    /// The message a client sees; internal details never leave the server.
    pub fn client_message(&self) -> &str {
        match self {
            Error::Api { message, .. } => message,
            Error::WrongMethod { .. } => Code::MethodNotAllowed.parts().1,
            Error::WrongMediaType => "请求体须为 JSON (Content-Type: application/json)",
            Error::Limited { .. } => Code::TooManyRequests.parts().1,
            Error::Internal(_) => Code::Internal.parts().1,
        }
    }

    /// The headers a refusal carries besides its envelope, whichever host sends it: `Allow` for
    /// 103, `Retry-After` for 105.
    pub fn headers(&self) -> Option<(HeaderName, HeaderValue)> {
        match self {
            Error::WrongMethod { allow } => Some((header::ALLOW, HeaderValue::from_static(allow))),
            Error::Limited { retry_after } => {
                Some((header::RETRY_AFTER, HeaderValue::from(*retry_after)))
            }
            _ => None,
        }
    }

    /// Seconds until a rate-limited request may be tried again.
    fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Limited { retry_after } => Some(*retry_after),
            _ => None,
        }
    }

    /// The contract's failure envelope `{"code": N, "errorMsg": "..."}`, with `retry_after` for
    /// 105.
    pub fn envelope(&self) -> serde_json::Value {
        let mut body =
            serde_json::json!({ "code": self.code().number(), "errorMsg": self.client_message() });
        if let Some(seconds) = self.retry_after() {
            body["retry_after"] = seconds.into();
        }
        body
    }
}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Error::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_statuses_fit_their_family() {
        use Code::*;
        let all = Code::ALL;
        let mut numbers: Vec<u16> = all.iter().map(|c| c.number()).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), all.len());
        assert_eq!(TokenExpired.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(GroupDismissed.status(), StatusCode::FORBIDDEN);
        for &code in all {
            assert_eq!(Code::from_number(code.number()), Some(code));
        }
        assert_eq!(Code::from_number(999), None);
    }

    #[test]
    fn internal_errors_never_leak() {
        let e = Error::from(anyhow::anyhow!("disk /secret/path failed"));
        let body = e.envelope().to_string();
        assert!(!body.contains("secret"), "{body}");
        assert_eq!(e.envelope()["code"], 100);
    }

    #[test]
    fn param_errors_name_the_parameter() {
        let e = Error::param("tag_text");
        assert_eq!(e.code().number(), 101);
        assert!(e.client_message().contains("tag_text"));
    }
}
