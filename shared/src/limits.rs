//! Rate limits: a token bucket per user and per client address for each kind of costly request
//! (signing in, starting uploads, chat messages, searches), and per address for wrong admin
//! credentials. A request that finds its bucket empty is refused with 105 and the seconds until a
//! token is back (`retry_after`).
//!
//! Buckets live where the host can share them: the database on Spin, whose instances keep nothing
//! between requests ([`SqlBuckets`]: a row per bucket that is not full, none in the key-value
//! store, whose keys hosted platforms count), and memory in the native server, a single process
//! ([`MemoryBuckets`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::client_addr::client_addr;
use crate::db::rate_buckets;
use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::sendable::MaybeSend;
use crate::storage::Database;

/// What is limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    Upload,
    Chat,
    Search,
    /// Reports of users, groups, messages and files.
    Report,
    /// Wrong admin credentials (`/debug` sign-in and bearer tokens), per address.
    Admin,
    /// Texts sent to WeChat's content check (`msgSecCheck`), per user: the hosted outbound
    /// budget is small.
    TextCheck,
    /// Exporting one's data and deleting one's account: whole-account work, rarely needed.
    Account,
}

impl Action {
    const ALL: [Action; 8] = [
        Action::Login,
        Action::Upload,
        Action::Chat,
        Action::Search,
        Action::Report,
        Action::Admin,
        Action::TextCheck,
        Action::Account,
    ];

    fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Upload => "upload",
            Action::Chat => "chat",
            Action::Search => "search",
            Action::Report => "report",
            Action::Admin => "admin",
            Action::TextCheck => "text_check",
            Action::Account => "account",
        }
    }
}

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rule {
    pub burst: u32,
    pub per_minute: u32,
}

/// Client addresses get this many times a user's allowance: many users can share one address
/// (a campus network, a mobile carrier's NAT).
const ADDRESS_FACTOR: u32 = 10;

/// The rules in force: per user; per address [`ADDRESS_FACTOR`] times as much. Signing in and
/// admin credentials have no user, so their rule is the address's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    rules: Option<[Rule; 8]>,
}

impl Default for Limits {
    fn default() -> Limits {
        let rule = |burst, per_minute| Rule { burst, per_minute };
        Limits {
            rules: Some([
                rule(60, 60),
                rule(20, 60),
                rule(30, 120),
                rule(30, 120),
                rule(10, 10),
                rule(10, 10),
                rule(20, 10),
                rule(5, 2),
            ]),
        }
    }
}

impl Limits {
    /// The `rate_limits` setting: unset for the defaults, `off`, or overrides such as
    /// `chat=10/60,search=5/30` (`action=burst/per_minute`).
    pub fn parse(setting: Option<&str>) -> anyhow::Result<Limits> {
        let mut limits = Limits::default();
        let Some(setting) = setting.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(limits);
        };
        if setting == "off" {
            return Ok(Limits { rules: None });
        }
        let rules = limits.rules.as_mut().expect("defaults are on");
        for item in setting.split(',') {
            let bad = || anyhow::anyhow!("rate_limits: {item:?} is not action=burst/per_minute");
            let (name, rule) = item.trim().split_once('=').ok_or_else(bad)?;
            let (burst, per_minute) = rule.split_once('/').ok_or_else(bad)?;
            let at = Action::ALL
                .iter()
                .position(|a| a.name() == name.trim())
                .ok_or_else(bad)?;
            rules[at] = Rule {
                burst: burst.trim().parse().map_err(|_| bad())?,
                per_minute: per_minute.trim().parse().map_err(|_| bad())?,
            };
        }
        Ok(limits)
    }

    fn rule(&self, action: Action) -> Option<Rule> {
        let at = Action::ALL.iter().position(|a| *a == action)?;
        self.rules.map(|rules| rules[at])
    }
}

/// A bucket as stored: tokens left at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Bucket {
    pub fn new(tokens: f64, at_ms: i64) -> Bucket {
        Bucket { tokens, at_ms }
    }

    pub fn tokens(&self) -> f64 {
        self.tokens
    }

    pub fn at_ms(&self) -> i64 {
        self.at_ms
    }

    /// When the bucket will have refilled completely (then it is the same as none).
    pub fn full_at_ms(&self, rule: Rule) -> i64 {
        let burst = f64::from(rule.burst.max(1));
        let per_ms = f64::from(rule.per_minute) / 60_000.0;
        if self.tokens >= burst {
            return self.at_ms;
        }
        if per_ms <= 0.0 {
            return i64::MAX;
        }
        self.at_ms
            .saturating_add(((burst - self.tokens) / per_ms).ceil() as i64)
    }

    /// Takes a token at `now_ms` (a missing bucket is full): the bucket after, and how many
    /// seconds to wait when there was none.
    pub fn take(bucket: Option<Bucket>, rule: Rule, now_ms: i64) -> (Bucket, Option<u64>) {
        let per_ms = f64::from(rule.per_minute) / 60_000.0;
        let tokens = match bucket {
            None => f64::from(rule.burst.max(1)),
            Some(b) => b.tokens_at(rule, now_ms),
        };
        let now = |tokens| Bucket {
            tokens,
            at_ms: now_ms,
        };
        if tokens >= 1.0 {
            return (now(tokens - 1.0), None);
        }
        let wait_ms = match per_ms > 0.0 {
            true => (1.0 - tokens) / per_ms,
            false => f64::from(u32::MAX),
        };
        (now(tokens), Some(((wait_ms / 1000.0).ceil() as u64).max(1)))
    }

    /// Gives back a token taken at `now_ms` (up to the burst).
    pub fn give_back(bucket: Option<Bucket>, rule: Rule, now_ms: i64) -> Bucket {
        let burst = f64::from(rule.burst.max(1));
        let tokens = bucket.map_or(burst, |b| b.tokens_at(rule, now_ms));
        Bucket {
            tokens: (tokens + 1.0).min(burst),
            at_ms: now_ms,
        }
    }

    fn tokens_at(&self, rule: Rule, now_ms: i64) -> f64 {
        let per_ms = f64::from(rule.per_minute) / 60_000.0;
        let refilled = self.tokens + (now_ms - self.at_ms).max(0) as f64 * per_ms;
        refilled.min(f64::from(rule.burst.max(1)))
    }

    /// Whether the bucket has refilled completely by `now_ms`, which is the same as having none.
    fn full_at(&self, rule: Rule, now_ms: i64) -> bool {
        self.tokens_at(rule, now_ms) >= f64::from(rule.burst.max(1))
    }
}

/// What a request does to a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Take,
    /// A token taken for an [`Attempt`] that turned out right.
    GiveBack,
}

impl Change {
    /// The bucket after the change, and for a take that found no token the seconds to wait.
    fn apply(self, bucket: Option<Bucket>, rule: Rule, now_ms: i64) -> (Bucket, Option<u64>) {
        match self {
            Change::Take => Bucket::take(bucket, rule, now_ms),
            Change::GiveBack => (Bucket::give_back(bucket, rule, now_ms), None),
        }
    }
}

/// Where the buckets are kept.
pub trait Buckets: MaybeSend {
    /// Applies `change` at `now_ms` to every bucket of `keys` (each with its rule); for a take,
    /// the longest wait among those that had no token (each is charged all the same).
    fn change(
        &self,
        keys: &[(String, Rule)],
        now_ms: i64,
        change: Change,
    ) -> anyhow::Result<Option<u64>>;
}

/// Buckets in the database (Spin), changed together in one transaction, which also deletes a few
/// rows of buckets that have refilled.
pub struct SqlBuckets(pub Arc<dyn Database>);

impl Buckets for SqlBuckets {
    fn change(
        &self,
        keys: &[(String, Rule)],
        now_ms: i64,
        change: Change,
    ) -> anyhow::Result<Option<u64>> {
        let waited = self.0.tx(|c| {
            let mut wait = None;
            for (key, rule) in keys {
                let (bucket, waits) = change.apply(rate_buckets::get(c, key)?, *rule, now_ms);
                rate_buckets::put(c, key, &bucket, bucket.full_at_ms(*rule))?;
                wait = wait.max(waits);
            }
            rate_buckets::prune(c, now_ms)?;
            Ok(wait)
        });
        Ok(waited?)
    }
}

/// Buckets in memory (the native server). Full buckets are dropped once there are many, so idle
/// users and addresses cost nothing.
#[derive(Default)]
pub struct MemoryBuckets(Mutex<HashMap<String, (Bucket, Rule)>>);

/// Buckets held before the full ones are dropped.
const PRUNE_AT: usize = 100_000;

impl Buckets for MemoryBuckets {
    fn change(
        &self,
        keys: &[(String, Rule)],
        now_ms: i64,
        change: Change,
    ) -> anyhow::Result<Option<u64>> {
        let mut buckets = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if buckets.len() >= PRUNE_AT {
            buckets.retain(|_, (b, r)| !b.full_at(*r, now_ms));
        }
        let mut wait = None;
        for (key, rule) in keys {
            let (bucket, waits) = change.apply(buckets.get(key).map(|(b, _)| *b), *rule, now_ms);
            buckets.insert(key.clone(), (bucket, *rule));
            wait = wait.max(waits);
        }
        Ok(wait)
    }
}

/// Takes a token for `action` from the user's bucket and from the address's; 105 with
/// `retry_after` when either is empty. Both are charged, so that neither a user with many
/// addresses nor an address with many users gets around the limit.
pub fn check(app: &App, action: Action, user: Option<&UserId>, addr: Option<IpAddr>) -> Result<()> {
    check_in(
        &app.settings.limits()?.rate_limits,
        &*app.buckets,
        action,
        user,
        addr,
    )
}

/// [`check`] against given rules and buckets (the relay keeps its own).
pub fn check_in(
    limits: &Limits,
    buckets: &dyn Buckets,
    action: Action,
    user: Option<&UserId>,
    addr: Option<IpAddr>,
) -> Result<()> {
    let Some(rule) = limits.rule(action) else {
        return Ok(());
    };
    let mut keys = Vec::new();
    if let Some(user) = user {
        keys.push((format!("rate/{}/user/{user}", action.name()), rule));
    }
    if let Some(addr) = addr {
        let wider = match action {
            Action::Login | Action::Admin => rule,
            _ => Rule {
                burst: rule.burst.saturating_mul(ADDRESS_FACTOR),
                per_minute: rule.per_minute.saturating_mul(ADDRESS_FACTOR),
            },
        };
        keys.push((address_key(action, addr), wider));
    }
    if keys.is_empty() {
        return Ok(());
    }
    match buckets.change(&keys, crate::time::now_ms(), Change::Take)? {
        None => Ok(()),
        Some(retry_after) => {
            crate::metrics::rate_limited(action.name());
            Err(Error::Limited { retry_after })
        }
    }
}

/// [`check`] for an HTTP request: its user, if signed in, and its client's address.
pub fn check_request<B>(
    app: &App,
    action: Action,
    user: Option<&UserId>,
    req: &http::Request<B>,
) -> Result<()> {
    check(app, action, user, client_addr(app, req)?)
}

/// A credential check limited per address to its failures: a token is taken from the address's
/// bucket before the credential is compared (105 when there is none, so that nothing is compared
/// while the bucket is empty, a right guess included) and given back when it was right. Taking
/// first keeps concurrent guesses from all passing a check of one remaining token.
#[must_use = "give the token back when the credential was right"]
pub struct Attempt {
    taken: Vec<(String, Rule)>,
}

impl Attempt {
    /// Takes the token for an attempt from `addr` (see [`crate::client_addr`]).
    pub fn start(app: &App, action: Action, addr: Option<IpAddr>) -> Result<Attempt> {
        let (Some(rule), Some(addr)) = (app.settings.limits()?.rate_limits.rule(action), addr)
        else {
            return Ok(Attempt { taken: Vec::new() });
        };
        let taken = vec![(address_key(action, addr), rule)];
        match app
            .buckets
            .change(&taken, crate::time::now_ms(), Change::Take)?
        {
            Some(retry_after) => {
                crate::metrics::rate_limited(action.name());
                Err(Error::Limited { retry_after })
            }
            None => Ok(Attempt { taken }),
        }
    }

    /// The credential was right: the attempt costs nothing.
    pub fn succeeded(self, app: &App) -> Result<()> {
        if !self.taken.is_empty() {
            let now_ms = crate::time::now_ms();
            app.buckets.change(&self.taken, now_ms, Change::GiveBack)?;
        }
        Ok(())
    }
}

/// The bucket of `action` for a client address.
fn address_key(action: Action, addr: IpAddr) -> String {
    format!("rate/{}/addr/{addr}", action.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: Rule = Rule {
        burst: 3,
        per_minute: 60,
    };

    #[test]
    fn a_bucket_allows_its_burst_then_one_per_refill() {
        let mut bucket = None;
        for _ in 0..3 {
            let (b, wait) = Bucket::take(bucket, RULE, 1_000);
            assert_eq!(wait, None);
            bucket = Some(b);
        }
        let (b, wait) = Bucket::take(bucket, RULE, 1_000);
        assert_eq!(wait, Some(1), "one token a second");
        let (_, wait) = Bucket::take(Some(b), RULE, 1_500);
        assert_eq!(wait, Some(1), "half a token is not one");
        let (b, wait) = Bucket::take(Some(b), RULE, 2_000);
        assert_eq!(wait, None);
        assert!(b.tokens < 1.0);
        let (b, _) = Bucket::take(Some(b), RULE, 1_000_000);
        assert_eq!(b.tokens, 2.0, "refills up to the burst, then takes one");
        let b = Bucket::give_back(Some(b), RULE, 1_000_000);
        assert_eq!(b.tokens, 3.0, "a token given back");
        let b = Bucket::give_back(Some(b), RULE, 1_000_000);
        assert_eq!(b.tokens, 3.0, "never past the burst");
    }

    #[test]
    fn settings_parse_overrides_and_off() {
        assert_eq!(Limits::parse(None).unwrap(), Limits::default());
        assert_eq!(Limits::parse(Some("off")).unwrap().rule(Action::Chat), None);
        let limits = Limits::parse(Some("chat=5/10, search=1/2")).unwrap();
        assert_eq!(
            limits.rule(Action::Chat),
            Some(Rule {
                burst: 5,
                per_minute: 10
            })
        );
        assert_eq!(
            limits.rule(Action::Login),
            Limits::default().rule(Action::Login)
        );
        for bad in ["chat", "chat=5", "talk=1/1", "chat=x/1"] {
            assert!(Limits::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    fn take(buckets: &dyn Buckets, key: &str, now_ms: i64) -> Option<u64> {
        let keys = [(key.to_owned(), RULE)];
        buckets.change(&keys, now_ms, Change::Take).unwrap()
    }

    #[cfg(feature = "native")]
    fn sql_buckets() -> (std::path::PathBuf, Arc<dyn Database>) {
        let name = format!(
            "zudui-buckets-{}-{}",
            std::process::id(),
            crate::time::now_ms()
        );
        let dir = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let db: Arc<dyn Database> =
            Arc::new(crate::native::SqliteDb::open(&dir.join("t.sqlite")).unwrap());
        crate::migrate::ensure(&*db).unwrap();
        (dir, db)
    }

    #[cfg(feature = "native")]
    #[test]
    fn sql_buckets_keep_their_state_between_instances() {
        let (dir, db) = sql_buckets();
        // Each Spin request makes its own buckets over its own connection; the bucket outlives them.
        for _ in 0..3 {
            assert_eq!(take(&SqlBuckets(db.clone()), "rate/chat/user/u", 0), None);
        }
        let fresh = SqlBuckets(db.clone());
        assert_eq!(take(&fresh, "rate/chat/user/u", 0), Some(1));
        assert_eq!(take(&fresh, "rate/chat/user/v", 0), None, "per key");
        // A right credential gives its token back.
        let keys = [("rate/chat/user/u".to_owned(), RULE)];
        fresh.change(&keys, 0, Change::GiveBack).unwrap();
        assert_eq!(take(&fresh, "rate/chat/user/u", 0), None);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[cfg(feature = "native")]
    #[test]
    fn sql_buckets_keep_rows_only_until_they_refill() {
        let (dir, db) = sql_buckets();
        let buckets = SqlBuckets(db.clone());
        let rows = || db.run(|c| Ok(rate_buckets::count(c)?)).unwrap();
        for i in 0..40 {
            take(&buckets, &format!("k{i}"), 0);
        }
        assert_eq!(rows(), 40);
        // One token a second: a bucket of 3 that gave one is full a second later. Each change
        // deletes a batch of those.
        let batches = 40 / rate_buckets::PRUNE_BATCH + 1;
        for n in 0..batches {
            take(&buckets, &format!("late{n}"), 1_000);
        }
        assert_eq!(rows(), batches, "only the buckets taken at 1 s are left");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn full_at_is_when_a_bucket_has_refilled() {
        let (bucket, _) = Bucket::take(None, RULE, 1_000);
        assert_eq!(bucket.full_at_ms(RULE), 2_000);
        assert!(bucket.full_at(RULE, bucket.full_at_ms(RULE)));
        assert!(!bucket.full_at(RULE, bucket.full_at_ms(RULE) - 1));
        let still = Rule {
            burst: 3,
            per_minute: 0,
        };
        assert_eq!(Bucket::take(None, still, 0).0.full_at_ms(still), i64::MAX);
    }

    #[test]
    fn memory_buckets_drop_full_ones_when_many() {
        let buckets = MemoryBuckets::default();
        for i in 0..PRUNE_AT {
            take(&buckets, &format!("k{i}"), 0);
        }
        take(&buckets, "last", 60_000);
        assert_eq!(
            buckets.0.lock().unwrap().len(),
            1,
            "all but the newest had refilled"
        );
    }
}
