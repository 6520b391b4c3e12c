//! Everything a handler needs from its host, behind traits.

use std::sync::Arc;

use crate::chat::live::{Live, Offline};
use crate::config::Settings;
use crate::costly::{Costly, InPlace};
use crate::limits::{Buckets, SqlBuckets};
use crate::outbound::HttpClient;
use crate::storage::{Blobs, ChunkStore, Database, KeyValue, KvChunks, S3Chunks};
use crate::token::Tokens;
use crate::untrusted::{self, Runner};

pub struct App {
    /// Shared, so that the rate-limit buckets can keep theirs in it.
    pub db: Arc<dyn Database>,
    pub kv: Arc<dyn KeyValue>,
    pub http: Arc<dyn HttpClient>,
    /// File contents (group files, chat files). Shared so that a download stream can outlive the
    /// handler that started it.
    pub chunks: Arc<dyn ChunkStore>,
    /// Where chat messages are delivered live (the native hub), besides being stored.
    pub live: Arc<dyn Live>,
    pub settings: Settings,
    pub tokens: Tokens,
    /// Rate-limit buckets: the database unless the host keeps them closer.
    pub buckets: Arc<dyn Buckets>,
    /// Where parsers of uploaded media run: in the request unless the host has a pool.
    pub untrusted: Arc<dyn Runner>,
    /// Where costly trusted work (searches) runs: in place unless the host lowers its priority.
    pub costly: Arc<dyn Costly>,
}

impl App {
    pub fn new(
        db: Box<dyn Database>,
        kv: Box<dyn KeyValue>,
        http: Box<dyn HttpClient>,
        settings: Settings,
    ) -> anyhow::Result<App> {
        let tokens = Tokens::new(&settings.jwt_secret, settings.token_ttl_hours);
        let kv: Arc<dyn KeyValue> = Arc::from(kv);
        let http: Arc<dyn HttpClient> = Arc::from(http);
        let chunks: Arc<dyn ChunkStore> = match settings.s3()? {
            Some(s3) => Arc::new(S3Chunks::new(s3, http.clone())?),
            None => Arc::new(KvChunks(kv.clone())),
        };
        let db: Arc<dyn Database> = Arc::from(db);
        let buckets = Arc::new(SqlBuckets(db.clone()));
        Ok(App {
            db,
            kv,
            http,
            chunks,
            live: Arc::new(Offline),
            settings,
            tokens,
            buckets,
            untrusted: Arc::new(untrusted::Inline),
            costly: Arc::new(InPlace),
        })
    }

    pub fn blobs(&self) -> Blobs<'_> {
        Blobs::new(&*self.kv)
    }

    /// A stored time as clients see it.
    pub fn format_time(&self, unix_seconds: i64) -> String {
        crate::time::format(unix_seconds, self.settings.tz_offset_hours)
    }
}
