//! Settings, read through one trait: environment variables natively (`ZUDUI_JWT_SECRET`), Spin
//! variables of the same name in lower case without the prefix (`jwt_secret`) in components.

use std::sync::OnceLock;

use crate::client_addr::TrustedProxies;
use crate::error::Result;
use crate::limits::Limits;
use crate::sendable::MaybeSend;
use crate::storage::S3Settings;

/// A source of raw setting values, keyed by the lower-case name without prefix (`jwt_secret`).
pub trait Config: MaybeSend {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process's environment: setting `jwt_secret` is `ZUDUI_JWT_SECRET` (the native server, the
/// relay, the seeder).
pub struct Environment;

impl Config for Environment {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(format!("ZUDUI_{}", name.to_ascii_uppercase())).ok()
    }
}

/// Fixed values, by name (tests and tools).
impl Config for std::collections::HashMap<&'static str, &'static str> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).map(|v| v.to_string())
    }
}

/// Shortest accepted `admin_token`, in bytes.
pub const ADMIN_TOKEN_MIN: usize = 16;

/// Every setting, parsed and checked: those every request needs as fields, the others in groups
/// read on first use ([`Settings::lazy`]) or all at once ([`Settings::load`]).
pub struct Settings {
    pub jwt_secret: Vec<u8>,
    pub token_ttl_hours: u64,
    pub tz_offset_hours: i32,
    /// Where the groups are read from on first use; `None` once [`Settings::load`] read them all.
    source: Option<Box<dyn Config>>,
    wechat: OnceLock<WeChat>,
    content: OnceLock<ContentChecks>,
    relay: OnceLock<Relay>,
    quotas: OnceLock<Quotas>,
    limits: OnceLock<Limiting>,
    console: OnceLock<Console>,
    s3: OnceLock<Option<S3Settings>>,
}

/// Signing in.
pub struct WeChat {
    pub wechat_appid: Option<String>,
    pub wechat_secret: Option<String>,
    pub wechat_api_base: String,
    pub dev_login: bool,
}

/// WeChat content security: on while WeChat's credentials are set (see `content`).
pub struct ContentChecks {
    /// `content_check`: `0` turns the checks off even with WeChat's credentials set.
    pub content_check: bool,
    /// `content_check_fail_open`: `1` stores texts unchecked while WeChat cannot be reached;
    /// by default they are refused (107) until it can.
    pub fail_open: bool,
    /// Seconds a verdict on a text is reused for the same text (the hosted outbound budget).
    pub content_verdict_seconds: i64,
    /// `wechat_calls_per_hour`: the most calls to WeChat's content security the whole app makes
    /// in an hour (0: no cap). Past it texts are as if WeChat were unreachable and media wait
    /// queued; on Fermyon Cloud (500 outbound requests an hour for everything) about 300.
    pub wechat_calls_per_hour: u32,
    /// `public_url`: where WeChat reaches this server (`https://api.example.com`), to fetch
    /// media to check. Media checks need it and `wechat_push_token`.
    pub public_url: Option<String>,
    /// `wechat_push_token`: the token of message push (消息推送) in the mini-program's console,
    /// which signs the verdicts WeChat pushes to `/wechat/push`.
    pub wechat_push_token: Option<String>,
}

/// The relay that holds the chat's sockets in front of Spin.
pub struct Relay {
    pub relay_url: Option<String>,
    pub relay_secret: Option<String>,
}

#[derive(Debug)]
pub struct Quotas {
    /// Bytes a group's file space may hold (the contract's 5 GiB; tests set less).
    pub group_quota_bytes: u64,
    /// Days a temporary chat file is kept.
    pub chat_file_days: u32,
    /// Bytes of temporary files a chat room may hold at once (those not expired).
    pub chat_room_quota_bytes: u64,
    /// Bytes of temporary chat files one user may hold at once, over every room.
    pub chat_user_quota_bytes: u64,
    /// The largest one-shot upload body (`upload_body_limit_bytes`, 0 for none): a hosted
    /// platform's request limit (Fermyon Cloud: 10 MB), so that a larger file is told to go in
    /// parts or direct (104) rather than cut off by the platform.
    pub upload_body_limit_bytes: u64,
}

/// Rate limiting.
pub struct Limiting {
    /// Rate limits (`rate_limits`: unset for the defaults, `off`, or overrides).
    pub rate_limits: Limits,
    /// A header that trusted reverse proxies append the client's address to
    /// (`x-forwarded-for`); unset, the address of the connection is the client's.
    pub client_ip_header: Option<String>,
    /// Whose entries in that header to believe (`trusted_proxies`).
    pub trusted_proxies: TrustedProxies,
}

/// The admin console.
pub struct Console {
    pub admin_token: Option<String>,
    /// `Secure` on the console's cookie even when the host cannot see TLS (a native server behind
    /// an HTTPS proxy); Spin sees it in `spin-full-url`.
    pub secure_cookie: bool,
}

impl std::fmt::Debug for Settings {
    // Hand-written so that secrets can never reach a log through `{:?}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Settings");
        d.field("token_ttl_hours", &self.token_ttl_hours)
            .field("tz_offset_hours", &self.tz_offset_hours);
        if let Some(w) = self.wechat.get() {
            d.field("wechat_appid", &w.wechat_appid)
                .field("wechat_api_base", &w.wechat_api_base)
                .field("dev_login", &w.dev_login);
        }
        if let Some(content) = self.content.get() {
            d.field("content_check", &content.content_check)
                .field("content_check_fail_open", &content.fail_open)
                .field("content_verdict_seconds", &content.content_verdict_seconds)
                .field("public_url", &content.public_url)
                .field("wechat_push", &content.wechat_push_token.is_some());
        }
        if let Some(relay) = self.relay.get() {
            d.field("relay_url", &relay.relay_url);
        }
        if let Some(quotas) = self.quotas.get() {
            d.field("quotas", quotas);
        }
        if let Some(limits) = self.limits.get() {
            d.field("rate_limits", &limits.rate_limits)
                .field("client_ip_header", &limits.client_ip_header)
                .field("trusted_proxies", &limits.trusted_proxies);
        }
        if let Some(console) = self.console.get() {
            d.field("admin_console", &console.admin_token.is_some())
                .field("secure_cookie", &console.secure_cookie);
        }
        if let Some(s3) = self.s3.get() {
            d.field("s3", s3);
        }
        d.finish_non_exhaustive()
    }
}

impl Settings {
    /// Every setting, read and checked now (the native server, which will not start on a bad one).
    pub fn load(config: &dyn Config) -> Result<Settings> {
        let settings = Settings::core(config)?;
        let read = Values(config);
        // Fresh cells: none of these `set`s can find a value already there.
        let _ = settings.wechat.set(WeChat::read(&read)?);
        let _ = settings.content.set(ContentChecks::read(&read)?);
        let _ = settings.relay.set(Relay::read(&read)?);
        let _ = settings.quotas.set(Quotas::read(&read)?);
        let _ = settings.limits.set(Limiting::read(&read)?);
        let _ = settings.console.set(Console::read(&read)?);
        let _ = settings.s3.set(s3_settings(&read)?);
        Ok(settings)
    }

    /// The settings every request needs, read now; each group on its first use. A Spin component
    /// reads each variable with a host call, and each request is a new instance.
    pub fn lazy(config: Box<dyn Config>) -> Result<Settings> {
        let core = Settings::core(&*config)?;
        Ok(Settings {
            source: Some(config),
            ..core
        })
    }

    fn core(config: &dyn Config) -> Result<Settings> {
        let read = Values(config);
        let jwt_secret = read
            .get("jwt_secret")
            .ok_or_else(|| anyhow::anyhow!("the jwt_secret setting is required"))?
            .into_bytes();
        if jwt_secret.len() < 16 {
            return Err(anyhow::anyhow!("the jwt_secret setting must be at least 16 bytes").into());
        }
        Ok(Settings {
            jwt_secret,
            token_ttl_hours: read.number("token_ttl_hours", 168)?,
            tz_offset_hours: read.number("tz_offset_hours", 8)?,
            source: None,
            wechat: OnceLock::new(),
            content: OnceLock::new(),
            relay: OnceLock::new(),
            quotas: OnceLock::new(),
            limits: OnceLock::new(),
            console: OnceLock::new(),
            s3: OnceLock::new(),
        })
    }

    pub fn wechat(&self) -> Result<&WeChat> {
        self.group(&self.wechat, WeChat::read)
    }

    pub fn content(&self) -> Result<&ContentChecks> {
        self.group(&self.content, ContentChecks::read)
    }

    pub fn relay(&self) -> Result<&Relay> {
        self.group(&self.relay, Relay::read)
    }

    pub fn quotas(&self) -> Result<&Quotas> {
        self.group(&self.quotas, Quotas::read)
    }

    pub fn limits(&self) -> Result<&Limiting> {
        self.group(&self.limits, Limiting::read)
    }

    pub fn console(&self) -> Result<&Console> {
        self.group(&self.console, Console::read)
    }

    /// Reads every group now: whether the settings are all valid (readiness asks, so that a
    /// component whose settings fail only when a route needs them is not ready).
    pub fn check_all(&self) -> Result<()> {
        self.wechat()?;
        self.content()?;
        self.relay()?;
        self.quotas()?;
        self.limits()?;
        self.console()?;
        self.s3()?;
        Ok(())
    }

    /// Object storage for file contents (`blob_store = s3`); `None` keeps them in the key-value
    /// store.
    pub fn s3(&self) -> Result<Option<&S3Settings>> {
        Ok(self.group(&self.s3, s3_settings)?.as_ref())
    }

    fn group<'a, T>(
        &'a self,
        cell: &'a OnceLock<T>,
        read: fn(&Values<'_>) -> Result<T>,
    ) -> Result<&'a T> {
        if let Some(value) = cell.get() {
            return Ok(value);
        }
        let source = self
            .source
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("settings loaded without their source"))?;
        let value = read(&Values(source))?;
        Ok(cell.get_or_init(|| value))
    }
}

/// The values of a [`Config`], parsed one way for every binary: an empty one is unset.
pub struct Values<'a>(pub &'a dyn Config);

impl Values<'_> {
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| matches!(v.trim(), "1" | "true"))
    }

    /// A flag that is on unless set to `0` or `false`.
    pub fn flag_on(&self, name: &str) -> bool {
        !self
            .get(name)
            .is_some_and(|v| matches!(v.trim(), "0" | "false"))
    }

    /// A number, `default` when unset; an error names the setting.
    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => Ok(v
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("the {name} setting is not a valid number: {v:?}"))?),
        }
    }
}

impl WeChat {
    pub fn read(read: &Values<'_>) -> Result<WeChat> {
        Ok(WeChat {
            wechat_appid: read.get("wechat_appid"),
            wechat_secret: read.get("wechat_secret"),
            wechat_api_base: read
                .get("wechat_api_base")
                .unwrap_or_else(|| "https://api.weixin.qq.com".into())
                .trim_end_matches('/')
                .to_owned(),
            dev_login: read.flag("dev_login"),
        })
    }
}

impl ContentChecks {
    /// Whether content is checked: with WeChat's credentials, unless `content_check = 0`.
    pub fn on(&self, wechat: &WeChat) -> bool {
        self.content_check && wechat.wechat_appid.is_some() && wechat.wechat_secret.is_some()
    }

    pub fn read(read: &Values<'_>) -> Result<ContentChecks> {
        Ok(ContentChecks {
            content_check: read.flag_on("content_check"),
            fail_open: read.flag("content_check_fail_open"),
            content_verdict_seconds: read.number("content_verdict_seconds", 600)?,
            wechat_calls_per_hour: read.number("wechat_calls_per_hour", 0)?,
            public_url: read.get("public_url"),
            wechat_push_token: read.get("wechat_push_token"),
        })
    }
}

impl Relay {
    fn read(read: &Values<'_>) -> Result<Relay> {
        Ok(Relay {
            relay_url: read.get("relay_url"),
            relay_secret: read.get("relay_secret"),
        })
    }
}

impl Quotas {
    fn read(read: &Values<'_>) -> Result<Quotas> {
        Ok(Quotas {
            group_quota_bytes: read.number("group_quota_bytes", 5 << 30)?,
            chat_file_days: read.number("chat_file_days", 7)?,
            // A busy group's week of photos and videos (40% of its permanent 5 GiB); a user's
            // ten files of the 100 MiB maximum. Groups are free to create, so the per-user cap
            // is what bounds one account.
            chat_room_quota_bytes: read.number("chat_room_quota_bytes", 2 << 30)?,
            chat_user_quota_bytes: read.number("chat_user_quota_bytes", 1 << 30)?,
            upload_body_limit_bytes: read.number("upload_body_limit_bytes", 0)?,
        })
    }
}

impl Limiting {
    fn read(read: &Values<'_>) -> Result<Limiting> {
        Ok(Limiting {
            rate_limits: Limits::parse(read.get("rate_limits").as_deref())?,
            client_ip_header: read
                .get("client_ip_header")
                .map(|h| h.trim().to_ascii_lowercase()),
            trusted_proxies: TrustedProxies::parse(read.get("trusted_proxies").as_deref())?,
        })
    }
}

impl Console {
    fn read(read: &Values<'_>) -> Result<Console> {
        let admin_token = read.get("admin_token");
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
        Ok(Console {
            admin_token,
            secure_cookie: read.flag("secure_cookie"),
        })
    }
}

/// `blob_store`: `kv` (the default) or `s3`, which needs the `s3_*` settings.
fn s3_settings(read: &Values<'_>) -> Result<Option<S3Settings>> {
    match read.get("blob_store").as_deref().map(str::trim) {
        None | Some("kv") => return Ok(None),
        Some("s3") => {}
        Some(other) => {
            return Err(anyhow::anyhow!("blob_store must be kv or s3, not {other:?}").into());
        }
    }
    let required = |name: &str| {
        read.get(name)
            .ok_or_else(|| anyhow::anyhow!("blob_store = s3 needs the {name} setting"))
    };
    Ok(Some(S3Settings {
        endpoint: required("s3_endpoint")?,
        bucket: required("s3_bucket")?,
        region: read.get("s3_region").unwrap_or_else(|| "us-east-1".into()),
        access_key: required("s3_access_key")?,
        secret_key: required("s3_secret_key")?,
        path_style: read.flag_on("s3_path_style"),
        prefix: read.get("s3_prefix").unwrap_or_default(),
        direct: read.flag_on("s3_direct"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_apply_and_secret_is_required() {
        let mut cfg = HashMap::new();
        assert!(Settings::load(&cfg).is_err());
        cfg.insert("jwt_secret", "0123456789abcdef0123");
        let s = Settings::load(&cfg).unwrap();
        assert_eq!(s.token_ttl_hours, 168);
        assert_eq!(s.tz_offset_hours, 8);
        assert_eq!(
            s.wechat().unwrap().wechat_api_base,
            "https://api.weixin.qq.com"
        );
        assert!(!s.wechat().unwrap().dev_login);
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
        assert!(Settings::load(&cfg)
            .unwrap()
            .console()
            .unwrap()
            .admin_token
            .is_some());
        cfg.insert("admin_token", "");
        assert!(
            Settings::load(&cfg)
                .unwrap()
                .console()
                .unwrap()
                .admin_token
                .is_none(),
            "empty: off"
        );
    }

    /// Names read, in order.
    #[derive(Clone, Default)]
    struct Recording(std::sync::Arc<std::sync::Mutex<Vec<String>>>, &'static str);

    impl Config for Recording {
        fn get(&self, name: &str) -> Option<String> {
            self.0.lock().unwrap().push(name.to_owned());
            match name {
                "jwt_secret" => Some("0123456789abcdef0123".into()),
                "admin_token" => Some(self.1.into()),
                _ => None,
            }
        }
    }

    #[test]
    fn lazy_settings_read_a_group_on_its_first_use_and_fail_only_there() {
        let recording = Recording::default();
        let s = Settings::lazy(Box::new(recording.clone())).unwrap();
        let core = ["jwt_secret", "token_ttl_hours", "tz_offset_hours"];
        assert_eq!(*recording.0.lock().unwrap(), core);
        assert_eq!(s.quotas().unwrap().chat_file_days, 7);
        assert_eq!(s.quotas().unwrap().group_quota_bytes, 5 << 30);
        let read = recording.0.lock().unwrap().clone();
        assert_eq!(read.len(), core.len() + 5, "one read per setting: {read:?}");

        let short = Recording(Default::default(), "short");
        let s = Settings::lazy(Box::new(short)).expect("the console is not read yet");
        assert!(s.wechat().is_ok());
        let err = s.console().err().expect("a short admin_token").to_string();
        assert!(err.contains("admin_token"), "{err}");
    }
}
