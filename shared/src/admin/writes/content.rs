//! Console deletes of stored content: group files and folders, uploads in progress, chat
//! messages and temporary chat files. Content is made by uploading and sending, not here.

use super::Write;
use crate::db::{chat_files, chat_messages, file_uploads, group_files};
use crate::error::{Code, Error, Result};
use crate::files::tree;
use crate::leftovers::Leftovers;
use crate::storage::Sql;

/// The row's `id`, for a delete (the only write these tables take).
fn deleted_id<T: From<i64>>(w: &Write) -> Result<T> {
    match w.action {
        "delete" => w.key.id("id"),
        _ => Err(w.unsupported()),
    }
}

/// A file, or a folder with everything in it; the group's space is freed.
pub fn group_file(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let id = deleted_id(w)?;
    let group_id = group_files::group_of(c, id)?.ok_or_else(|| Error::new(Code::FileNotFound))?;
    tree::delete_in(c, group_id, id, |_| Ok(()), after)?;
    Ok(format!("group_files:{id}"))
}

/// An unfinished upload (resumable or direct), with what it has.
pub fn upload(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let id = deleted_id(w)?;
    let up = file_uploads::get(c, id)?
        .ok_or_else(|| Error::with_message(Code::FileNotFound, "上传不存在或已过期"))?;
    file_uploads::delete(c, id)?;
    if let Some(parts) = up.to_discard() {
        after.content(c, parts)?;
    }
    Ok(format!("file_uploads:{id}"))
}

/// A chat message. Those who had it keep it; history no longer shows it.
pub fn message(c: &dyn Sql, w: &Write) -> Result<String> {
    let id = deleted_id(w)?;
    if !chat_messages::delete(c, id)? {
        return Err(Error::with_message(Code::BadParam, "消息不存在"));
    }
    Ok(format!("chat_messages:{id}"))
}

/// A temporary chat file, before it expires.
pub fn chat_file(c: &dyn Sql, w: &Write, after: &mut Leftovers) -> Result<String> {
    let id = deleted_id(w)?;
    let content = chat_files::delete(c, id)?.ok_or_else(|| Error::new(Code::TempFileNotFound))?;
    after.content(c, content)?;
    Ok(format!("chat_files:{id}"))
}
