//! SQL, one module per table. Nothing else in the crate writes SQL for these tables.

pub mod admin_audit;
pub mod announcements;
pub mod blob_pending;
pub mod browse;
pub mod chat_files;
pub mod chat_messages;
pub mod file_uploads;
pub mod group_files;
pub mod group_pictures;
pub mod group_search;
pub mod group_tags;
pub mod group_types;
pub mod groups;
pub mod join_requests;
pub mod leases;
pub mod media_checks;
pub mod members;
pub mod mutes;
pub mod private_rooms;
pub mod rate_buckets;
pub mod ratings;
pub mod review_items;
pub mod review_reports;
pub mod text_verdicts;
pub mod user_tags;
pub mod users;

use crate::storage::Row;

/// A chunked content (a group file, a chat file, an upload) whose row was deleted.
#[derive(Debug, Clone)]
pub struct Chunked {
    pub blob: String,
    pub size: i64,
    /// `None` for uploads, whose chunks have the chunk store's size.
    pub chunk_size: Option<i64>,
}

impl Chunked {
    /// Reads `(blob, size, chunk_size)` from the first three columns.
    pub fn from_row(row: &Row) -> anyhow::Result<Chunked> {
        Ok(Chunked {
            blob: row.text(0)?,
            size: row.int(1)?,
            chunk_size: Some(row.int(2)?),
        })
    }

    /// How many chunks it has, written `store_chunk_size` at a time unless it knows its own.
    pub fn chunks(&self, store_chunk_size: usize) -> u64 {
        let chunk_size = self.chunk_size.unwrap_or(store_chunk_size as i64).max(1);
        (self.size.max(0) as u64).div_ceil(chunk_size as u64)
    }

    /// Its blob and chunk count, as `content::discard_all` takes them.
    pub fn to_discard(&self, store_chunk_size: usize) -> (String, Option<i64>) {
        let chunks = self.chunks(store_chunk_size) as i64;
        (self.blob.clone(), Some(chunks))
    }
}

/// A picture kept in the blob store, as a row points at it.
#[derive(Debug, Clone)]
pub struct StoredPicture {
    pub blob: String,
    pub content_type: String,
    pub etag: String,
}

impl StoredPicture {
    /// Reads `(blob, content type, etag)` from the first three columns.
    pub fn from_row(row: &Row) -> anyhow::Result<StoredPicture> {
        Ok(StoredPicture {
            blob: row.text(0)?,
            content_type: row.text(1)?,
            etag: row.text(2)?,
        })
    }
}
