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
    /// An `App` over a host's stores, outbound HTTP and settings; the rest defaults to what
    /// suits one request per instance (see [`Builder`]).
    pub fn builder(
        db: Arc<dyn Database>,
        kv: Arc<dyn KeyValue>,
        http: Arc<dyn HttpClient>,
        settings: Settings,
    ) -> Builder {
        Builder {
            db,
            kv,
            http,
            settings,
            local_chunks: None,
            live: Arc::new(Offline),
            buckets: None,
            untrusted: Arc::new(untrusted::Inline),
            costly: Arc::new(InPlace),
        }
    }

    pub fn blobs(&self) -> Blobs<'_> {
        Blobs::new(&*self.kv)
    }

    /// A stored time as clients see it.
    pub fn format_time(&self, unix_seconds: i64) -> String {
        crate::time::format(unix_seconds, self.settings.tz_offset_hours)
    }
}

/// What a host changes from the defaults of [`App::builder`].
pub struct Builder {
    db: Arc<dyn Database>,
    kv: Arc<dyn KeyValue>,
    http: Arc<dyn HttpClient>,
    settings: Settings,
    local_chunks: Option<Arc<dyn ChunkStore>>,
    live: Arc<dyn Live>,
    buckets: Option<Arc<dyn Buckets>>,
    untrusted: Arc<dyn Runner>,
    costly: Arc<dyn Costly>,
}

impl Builder {
    /// Where file contents go without object storage (default: the key-value store, in chunks).
    pub fn local_chunks(mut self, chunks: Arc<dyn ChunkStore>) -> Builder {
        self.local_chunks = Some(chunks);
        self
    }

    /// Where messages are delivered live (default: nowhere; clients read them as history).
    pub fn live(mut self, live: Arc<dyn Live>) -> Builder {
        self.live = live;
        self
    }

    /// Rate-limit buckets (default: rows of the database, for hosts without memory between
    /// requests).
    pub fn buckets(mut self, buckets: Arc<dyn Buckets>) -> Builder {
        self.buckets = Some(buckets);
        self
    }

    /// Where parsers of uploaded media run (default: in the request).
    pub fn untrusted(mut self, runner: Arc<dyn Runner>) -> Builder {
        self.untrusted = runner;
        self
    }

    /// Where costly trusted work runs (default: in place).
    pub fn costly(mut self, costly: Arc<dyn Costly>) -> Builder {
        self.costly = costly;
        self
    }

    /// The app; fails when the object storage settings do not make a client.
    pub fn build(self) -> anyhow::Result<App> {
        let chunks: Arc<dyn ChunkStore> = match (self.settings.s3()?, self.local_chunks) {
            (Some(s3), _) => Arc::new(S3Chunks::new(s3, self.http.clone())?),
            (None, Some(local)) => local,
            (None, None) => Arc::new(KvChunks(self.kv.clone())),
        };
        let buckets = self
            .buckets
            .unwrap_or_else(|| Arc::new(SqlBuckets(self.db.clone())));
        Ok(App {
            tokens: Tokens::new(&self.settings.jwt_secret, self.settings.token_ttl_hours),
            db: self.db,
            kv: self.kv,
            http: self.http,
            chunks,
            live: self.live,
            settings: self.settings,
            buckets,
            untrusted: self.untrusted,
            costly: self.costly,
        })
    }
}
