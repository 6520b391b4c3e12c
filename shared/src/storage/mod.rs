//! Storage behind traits, so that the same domain code runs on Spin (SQLite and key-value of the
//! host) and natively (rusqlite and a local key-value file).

mod blob;
mod chunks;
mod direct;
mod kv;
mod s3;
mod sql;

pub use blob::Blobs;
pub use chunks::{ChunkKey, ChunkStore, KvChunks, KV_CHUNK_SIZE};
pub use direct::{Adopted, Direct, UploadForm, STORED_TYPE};
pub use kv::KeyValue;
pub use s3::{bucket as s3_bucket, S3Chunks, S3Settings, S3_CHUNK_SIZE};
pub use sql::{Database, Row, Sql, Value};
