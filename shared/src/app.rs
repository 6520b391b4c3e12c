//! Everything a handler needs from its host, behind traits.

use crate::config::Settings;
use crate::outbound::HttpClient;
use crate::storage::{Blobs, Database, KeyValue};
use crate::token::Tokens;

pub struct App {
    pub db: Box<dyn Database>,
    pub kv: Box<dyn KeyValue>,
    pub http: Box<dyn HttpClient>,
    pub settings: Settings,
    pub tokens: Tokens,
}

impl App {
    pub fn new(
        db: Box<dyn Database>,
        kv: Box<dyn KeyValue>,
        http: Box<dyn HttpClient>,
        settings: Settings,
    ) -> App {
        let tokens = Tokens::new(&settings.jwt_secret, settings.token_ttl_hours);
        App {
            db,
            kv,
            http,
            settings,
            tokens,
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
