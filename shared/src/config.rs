//! Settings, read through one trait: environment variables natively (`ZUDUI_JWT_SECRET`), Spin
//! variables of the same name in lower case without the prefix (`jwt_secret`) in components.

use crate::error::Result;
use crate::limits::Limits;
use crate::sendable::MaybeSend;
use crate::storage::S3Settings;

/// A source of raw setting values, keyed by the lower-case name without prefix (`jwt_secret`).
pub trait Config: MaybeSend {
    fn get(&self, name: &str) -> Option<String>;
}

/// Group types of the contract, used until the database holds its own list.
pub const DEFAULT_GROUP_TYPES: [&str; 7] = ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"];

/// Shortest accepted `admin_token`, in bytes.
pub const ADMIN_TOKEN_MIN: usize = 16;

/// Every setting, parsed and checked.
#[derive(Clone)]
pub struct Settings {
    pub jwt_secret: Vec<u8>,
    pub token_ttl_hours: u64,
    pub wechat_appid: Option<String>,
    pub wechat_secret: Option<String>,
    pub wechat_api_base: String,
    pub dev_login: bool,
    pub admin_token: Option<String>,
    pub relay_url: Option<String>,
    pub relay_secret: Option<String>,
    pub tz_offset_hours: i32,
    /// Bytes a group's file space may hold (the contract's 5 GiB; tests set less).
    pub group_quota_bytes: u64,
    /// Days a temporary chat file is kept.
    pub chat_file_days: u32,
    /// Bytes of temporary files a chat room may hold at once (those not expired).
    pub chat_room_quota_bytes: u64,
    /// Bytes of temporary chat files one user may hold at once, over every room.
    pub chat_user_quota_bytes: u64,
    /// Object storage for file contents (`blob_store = s3`); `None` keeps them in the key-value
    /// store.
    pub s3: Option<S3Settings>,
    /// Rate limits (`rate_limits`: unset for the defaults, `off`, or overrides).
    pub rate_limits: Limits,
    /// A header that a trusted reverse proxy sets to the client's address (`x-forwarded-for`:
    /// its first entry); unset, the address of the connection is the client's.
    pub client_ip_header: Option<String>,
    /// `Secure` on the console's cookie even when the host cannot see TLS (a native server behind
    /// an HTTPS proxy); Spin sees it in `spin-full-url`.
    pub secure_cookie: bool,
}

impl std::fmt::Debug for Settings {
    // Hand-written so that secrets can never reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("token_ttl_hours", &self.token_ttl_hours)
            .field("wechat_appid", &self.wechat_appid)
            .field("wechat_api_base", &self.wechat_api_base)
            .field("dev_login", &self.dev_login)
            .field("admin_console", &self.admin_token.is_some())
            .field("relay_url", &self.relay_url)
            .field("tz_offset_hours", &self.tz_offset_hours)
            .field("group_quota_bytes", &self.group_quota_bytes)
            .field("chat_file_days", &self.chat_file_days)
            .field("chat_room_quota_bytes", &self.chat_room_quota_bytes)
            .field("chat_user_quota_bytes", &self.chat_user_quota_bytes)
            .field("s3", &self.s3)
            .field("rate_limits", &self.rate_limits)
            .field("client_ip_header", &self.client_ip_header)
            .field("secure_cookie", &self.secure_cookie)
            .finish_non_exhaustive()
    }
}

impl Settings {
    pub fn load(config: &dyn Config) -> Result<Settings> {
        let get = |name: &str| config.get(name).filter(|v| !v.trim().is_empty());
        let jwt_secret = get("jwt_secret")
            .ok_or_else(|| anyhow::anyhow!("the jwt_secret setting is required"))?
            .into_bytes();
        if jwt_secret.len() < 16 {
            return Err(anyhow::anyhow!("the jwt_secret setting must be at least 16 bytes").into());
        }
        let admin_token = get("admin_token");
        if admin_token
            .as_ref()
            .is_some_and(|t| t.len() < ADMIN_TOKEN_MIN)
        {
            // The console's whole guard is this one secret; a short one falls to guessing.
            return Err(anyhow::anyhow!(
                "the admin_token setting must be at least {ADMIN_TOKEN_MIN} bytes (unset disables /debug)"
            )
            .into());
        }
        Ok(Settings {
            jwt_secret,
            token_ttl_hours: parse(get("token_ttl_hours"), "token_ttl_hours", 168)?,
            wechat_appid: get("wechat_appid"),
            wechat_secret: get("wechat_secret"),
            wechat_api_base: get("wechat_api_base")
                .unwrap_or_else(|| "https://api.weixin.qq.com".into())
                .trim_end_matches('/')
                .to_owned(),
            dev_login: get("dev_login").is_some_and(|v| matches!(v.trim(), "1" | "true")),
            admin_token,
            relay_url: get("relay_url"),
            relay_secret: get("relay_secret"),
            tz_offset_hours: parse(get("tz_offset_hours"), "tz_offset_hours", 8)?,
            group_quota_bytes: parse(get("group_quota_bytes"), "group_quota_bytes", 5 << 30)?,
            chat_file_days: parse(get("chat_file_days"), "chat_file_days", 7)?,
            // A busy group's week of photos and videos (40% of its permanent 5 GiB); a user's
            // ten files of the 100 MiB maximum. Groups are free to create, so the per-user cap
            // is what bounds one account.
            chat_room_quota_bytes: parse(
                get("chat_room_quota_bytes"),
                "chat_room_quota_bytes",
                2 << 30,
            )?,
            chat_user_quota_bytes: parse(
                get("chat_user_quota_bytes"),
                "chat_user_quota_bytes",
                1 << 30,
            )?,
            s3: s3_settings(&get)?,
            rate_limits: Limits::parse(get("rate_limits").as_deref())?,
            client_ip_header: get("client_ip_header").map(|h| h.trim().to_ascii_lowercase()),
            secure_cookie: get("secure_cookie").is_some_and(|v| matches!(v.trim(), "1" | "true")),
        })
    }
}

/// `blob_store`: `kv` (the default) or `s3`, which needs the `s3_*` settings.
fn s3_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<S3Settings>> {
    match get("blob_store").as_deref().map(str::trim) {
        None | Some("kv") => return Ok(None),
        Some("s3") => {}
        Some(other) => {
            return Err(anyhow::anyhow!("blob_store must be kv or s3, not {other:?}").into());
        }
    }
    let required = |name: &str| {
        get(name).ok_or_else(|| anyhow::anyhow!("blob_store = s3 needs the {name} setting"))
    };
    Ok(Some(S3Settings {
        endpoint: required("s3_endpoint")?,
        bucket: required("s3_bucket")?,
        region: get("s3_region").unwrap_or_else(|| "us-east-1".into()),
        access_key: required("s3_access_key")?,
        secret_key: required("s3_secret_key")?,
        path_style: !get("s3_path_style").is_some_and(|v| matches!(v.trim(), "0" | "false")),
        prefix: get("s3_prefix").unwrap_or_default(),
    }))
}

fn parse<T: std::str::FromStr>(raw: Option<String>, name: &str, default: T) -> Result<T> {
    match raw {
        None => Ok(default),
        Some(v) => Ok(v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("the {name} setting is not a valid number: {v:?}"))?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    impl Config for HashMap<&'static str, &'static str> {
        fn get(&self, name: &str) -> Option<String> {
            HashMap::get(self, name).map(|v| v.to_string())
        }
    }

    #[test]
    fn defaults_apply_and_secret_is_required() {
        let mut cfg = HashMap::new();
        assert!(Settings::load(&cfg).is_err());
        cfg.insert("jwt_secret", "0123456789abcdef0123");
        let s = Settings::load(&cfg).unwrap();
        assert_eq!(s.token_ttl_hours, 168);
        assert_eq!(s.tz_offset_hours, 8);
        assert_eq!(s.wechat_api_base, "https://api.weixin.qq.com");
        assert!(!s.dev_login);
        assert!(!format!("{s:?}").contains("0123456789"));
        cfg.insert("tz_offset_hours", "x");
        assert!(Settings::load(&cfg).is_err());
    }

    #[test]
    fn a_short_admin_token_is_refused() {
        let mut cfg = HashMap::from([("jwt_secret", "0123456789abcdef0123")]);
        cfg.insert("admin_token", "fifteen-bytes-x");
        let err = Settings::load(&cfg).expect_err("refused").to_string();
        assert!(
            err.contains("admin_token") && err.contains("16 bytes"),
            "{err}"
        );
        cfg.insert("admin_token", "sixteen-bytes-xx");
        assert!(Settings::load(&cfg).unwrap().admin_token.is_some());
        cfg.insert("admin_token", "");
        assert!(
            Settings::load(&cfg).unwrap().admin_token.is_none(),
            "empty: off"
        );
    }
}
