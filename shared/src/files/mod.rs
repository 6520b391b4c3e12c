//! The group file space: a folder tree per group (`tree`), contents streamed into and out of the
//! chunk store (`content`, `upload`, `download`, `resumable`), recognised from their bytes
//! (`probe`), with thumbnails (`thumbnails`), and shared into the group chat (`share`).
//!
//! Members read, upload and make folders; managers change anything; a member changes what they
//! made themselves. Every check runs inside the transaction of the write it guards.

pub mod content;
pub mod download;
pub mod probe;
pub mod resumable;
pub mod share;
pub mod thumbnails;
pub mod tree;
pub mod upload;

use serde::Serialize;

use crate::app::App;
use crate::db::group_files::{self, Content, Entry};
use crate::error::{Code, Error, Result};
use crate::groups::Role;
use crate::ids::{FileId, GroupId, UserId};
use crate::storage::Sql;

/// Longest file or folder name, in bytes.
pub const NAME_LIMIT: usize = 255;

/// A file or folder name as stored: trimmed, 1 to [`NAME_LIMIT`] bytes, without `/`, `\\` or
/// control characters (bidirectional ones included), not `.` or `..` (101 otherwise). The file
/// space and the chat rooms take only this type, so an unchecked name cannot reach them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<FileName> {
        let name = raw.trim();
        crate::params::refuse_bidi_controls(name, "name")?;
        let why = if name.is_empty() {
            Some("名称为空")
        } else if name.len() > NAME_LIMIT {
            Some("名称超过 255 字节")
        } else if name.contains('/') || name.contains('\\') || name.chars().any(char::is_control) {
            Some("名称不能包含 / \\ 或控制字符")
        } else if name == "." || name == ".." {
            Some("名称不能是 . 或 ..")
        } else {
            None
        };
        match why {
            Some(why) => Err(Error::param_why("name", why)),
            None => Ok(FileName(name.to_owned())),
        }
    }

    /// A name read back from where a parsed one was stored (an upload in progress).
    pub fn stored(name: String) -> FileName {
        FileName(name)
    }
}

impl std::ops::Deref for FileName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// A folder id as clients send it: absent or 0 is the root.
pub fn folder_param(raw: Option<FileId>) -> Option<FileId> {
    raw.filter(|id| id.0 != 0)
}

/// The folder `parent` of a group (the root when `None`); 342 when it is not a folder there.
pub fn folder(conn: &dyn Sql, group_id: GroupId, parent: Option<FileId>) -> Result<Option<FileId>> {
    let Some(id) = parent else { return Ok(None) };
    match group_files::get(conn, group_id, id)? {
        Some(entry) if entry.is_dir() => Ok(Some(id)),
        _ => Err(Error::new(Code::FolderNotFound)),
    }
}

/// An entry of a group; 341 when there is none.
pub fn entry(conn: &dyn Sql, group_id: GroupId, id: FileId) -> Result<Entry> {
    group_files::get(conn, group_id, id)?.ok_or_else(|| Error::new(Code::FileNotFound))
}

/// 343 when `name` is taken in the folder.
pub fn name_free(
    conn: &dyn Sql,
    group_id: GroupId,
    parent: Option<FileId>,
    name: &str,
) -> Result<()> {
    match group_files::name_taken(conn, group_id, parent, name)? {
        true => Err(Error::new(Code::FileExists)),
        false => Ok(()),
    }
}

/// Managers change any entry; members only what they made (303 otherwise).
pub fn may_change(role: Role, entry: &Entry, me: &UserId) -> Result<()> {
    match role.is_manager() || entry.uploader_id == me {
        true => Ok(()),
        false => Err(Error::new(Code::NoPermission)),
    }
}

/// The extension with its dot (`.pdf`, lower case), `""` without one.
pub fn extension(name: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => {
            format!(".{}", ext.to_lowercase())
        }
        _ => String::new(),
    }
}

/// The kinds of file, decided from the content (`probe`): a file's `file_type`, and the
/// `msg_type` of a file message.
pub const FILE_TYPES: [&str; 4] = ["image", "voice", "video", "file"];

/// What a listing and a file message say of a file or a folder (its fields in the order of
/// their names, as the stored `file_info` texts always had them).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[schemars(
    rename = "FileInfo",
    description = "A file message's `file_info`; `duration` only for voice and video."
)]
pub struct Described {
    /// seconds, voice and video; else 0 (left out of a file message's `file_info`)
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub duration: Option<f64>,
    /// decided from the content (a folder's is `file`)
    #[schemars(extend("enum" = FILE_TYPES))]
    pub file_type: String,
    pub id: FileId,
    pub name: String,
    #[schemars(range(min = 0))]
    pub size: i64,
    /// when it was made
    #[schemars(with = "crate::fields::Time")]
    pub time: String,
    /// `dir`, the lower-case extension with its dot, or empty
    #[serde(rename = "type")]
    pub kind: String,
}

/// An entry as `get_dir` lists it, and its folder (`None`: the root).
pub fn listed(app: &App, entry: &Entry) -> (Described, Option<FileId>) {
    let mut listed = described(
        app,
        entry.id,
        &entry.name,
        entry.created_at,
        entry.content.as_ref(),
    );
    if entry.is_dir() {
        listed.kind = "dir".to_owned();
    }
    (listed, entry.parent_id)
}

/// A file as a chat message's `file_info` describes it; `duration` only for voice and video.
pub fn file_info(app: &App, id: FileId, name: &str, created_at: i64, file: &Content) -> Described {
    let mut info = described(app, id, name, created_at, Some(file));
    if !matches!(file.file_type.as_str(), "voice" | "video") {
        info.duration = None;
    }
    info
}

fn described(
    app: &App,
    id: FileId,
    name: &str,
    created_at: i64,
    content: Option<&Content>,
) -> Described {
    Described {
        duration: Some(content.map_or(0.0, |c| c.duration)),
        file_type: content.map_or("file", |c| c.file_type.as_str()).to_owned(),
        id,
        name: name.to_owned(),
        size: content.map_or(0, |c| c.size),
        time: app.format_time(created_at),
        kind: extension(name),
    }
}

impl Described {
    /// As stored in a message's `file_info` column.
    pub fn to_json_text(&self) -> String {
        serde_json::to_string(self).expect("plain fields serialize")
    }
}
