//! The two hosts the integration tests run against: the native `zudui` binary (the default), or
//! `spin up` of the repository's `spin.toml` with a `zudui-relay` in front for WebSockets
//! (`ZUDUI_TEST_HOST=spin`; `tests/run.sh` runs the suite both ways).
//!
//! A test names its settings as the native server's `ZUDUI_*` variables; under Spin each becomes
//! the Spin variable of the same name (`SPIN_VARIABLE_*`), and the relay gets those it reads too.
//! A setting Spin does not have (the native server's own listener and data directory) makes the
//! test fail under Spin: such tests are native-only (see `tests/run.sh`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::Duration;

use super::process::{reserve_port, Process};
use super::{Options, JWT_SECRET};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The relay secret both sides get unless a test sets `ZUDUI_RELAY_SECRET` itself.
pub const RELAY_SECRET: &str = "relay-secret-for-the-spin-host-0123456789";

/// `spin up` compiles the six components the first time (about 12 s here; cached after that).
const SPIN_STARTUP: Duration = Duration::from_secs(240);

/// Tries before giving up: a port reserved for a process may be taken by another test's process
/// in the moment between its release and the process binding it.
const START_TRIES: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Host {
    Native,
    Spin,
}

impl Host {
    /// `ZUDUI_TEST_HOST`: `native` (or unset) or `spin`.
    pub fn current() -> Host {
        match std::env::var("ZUDUI_TEST_HOST").as_deref() {
            Err(_) | Ok("" | "native") => Host::Native,
            Ok("spin") => Host::Spin,
            Ok(other) => panic!("ZUDUI_TEST_HOST={other}: native or spin"),
        }
    }
}

/// A running server on either host.
pub enum Running {
    Native(Child),
    Spin {
        spin: Process,
        relay: Process,
        /// `http://127.0.0.1:PORT` of the relay.
        relay_base: String,
    },
}

impl Running {
    /// Where WebSockets are opened: the server itself, or the relay in front of Spin.
    pub fn ws_http_base<'a>(&'a self, base: &'a str) -> &'a str {
        match self {
            Running::Native(_) => base,
            Running::Spin { relay_base, .. } => relay_base,
        }
    }

    /// The process that serves HTTP.
    pub fn pid(&self) -> u32 {
        match self {
            Running::Native(child) => child.id(),
            // `spin up` serves from a child process of its own (`spin trigger http`).
            Running::Spin { spin, .. } => {
                std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", spin.id()))
                    .ok()
                    .and_then(|children| children.split_whitespace().next()?.parse().ok())
                    .expect("spin up's server process")
            }
        }
    }

    /// Kills everything (SIGKILL: a crash) and reaps it.
    pub fn kill(&mut self) {
        if let Running::Native(child) = self {
            let _ = child.kill();
            let _ = child.wait();
        }
        // A Spin host's processes are killed as they are dropped.
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where a host keeps its data under the test's temporary directory.
pub struct Stores {
    pub sqlite: PathBuf,
    /// Native: the `kv/` directory; Spin: the key-value store's SQLite file.
    pub kv: PathBuf,
}

impl Host {
    pub fn stores(self, data: &Path) -> Stores {
        match self {
            Host::Native => Stores {
                sqlite: data.join("zudui.sqlite"),
                kv: data.join("kv"),
            },
            // `spin up --state-dir`: the `default` database and key-value store.
            Host::Spin => Stores {
                sqlite: data.join("sqlite_db.db"),
                kv: data.join("sqlite_key_value.db"),
            },
        }
    }

    /// The keys of the key-value store.
    pub fn kv_keys(self, data: &Path) -> Vec<String> {
        let kv = self.stores(data).kv;
        match self {
            Host::Native => zudui_shared::native::DirKv::observe(&kv)
                .keys()
                .expect("keys"),
            Host::Spin => {
                let Some(db) = spin_kv(&kv) else {
                    return Vec::new();
                };
                let mut keys = db
                    .prepare("SELECT key FROM spin_key_value WHERE store = 'default'")
                    .expect("spin_key_value");
                keys.query_map([], |row| row.get(0))
                    .expect("keys")
                    .map(|key| key.expect("a key"))
                    .collect()
            }
        }
    }

    /// The value of `key` in the key-value store.
    pub fn kv_get(self, data: &Path, key: &str) -> Option<Vec<u8>> {
        let kv = self.stores(data).kv;
        match self {
            Host::Native => {
                use zudui_shared::storage::KeyValue;
                zudui_shared::native::DirKv::observe(&kv)
                    .get(key)
                    .expect("kv value")
            }
            Host::Spin => spin_kv(&kv)?
                .query_row(
                    "SELECT value FROM spin_key_value WHERE store = 'default' AND key = ?1",
                    [key],
                    |row| row.get(0),
                )
                .map(Some)
                .or_else(|err| match err {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    err => Err(err),
                })
                .expect("kv value"),
        }
    }

    /// Starts a server with its data in `data`: on `listen` (`HOST:PORT`) when given, else on
    /// free ports. Returns it and its base URL.
    pub async fn launch(
        self,
        data: &Path,
        listen: Option<&str>,
        options: &Options,
    ) -> (Running, String) {
        match self {
            Host::Native => {
                let (child, addr) =
                    super::launch(data, listen.unwrap_or("127.0.0.1:0"), options).await;
                (Running::Native(child), format!("http://{addr}"))
            }
            Host::Spin => spin_up(data, listen, options).await,
        }
    }
}

/// Spin's key-value store, read-only; `None` while Spin has not made its table (the components
/// open the store on first use).
fn spin_kv(file: &Path) -> Option<rusqlite::Connection> {
    let db =
        rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()?;
    let made: bool = db
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'spin_key_value'",
            [],
            |row| row.get(0),
        )
        .expect("Spin's key-value store");
    made.then_some(db)
}

// ---------------------------------------------------------------------------------------------
// Spin and its relay
// ---------------------------------------------------------------------------------------------

/// The variables `spin.toml` declares.
fn spin_variables() -> &'static BTreeSet<String> {
    static NAMES: OnceLock<BTreeSet<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let manifest: toml_edit::DocumentMut = std::fs::read_to_string(format!("{ROOT}/spin.toml"))
            .expect("spin.toml")
            .parse()
            .expect("spin.toml is TOML");
        manifest["variables"]
            .as_table_like()
            .expect("[variables]")
            .iter()
            .map(|(name, _)| name.to_owned())
            .collect()
    })
}

/// Settings the relay reads from its environment as well (`RelayConfig::from_env`).
const RELAY_READS: [&str; 9] = [
    "ZUDUI_JWT_SECRET",
    "ZUDUI_RATE_LIMITS",
    "ZUDUI_RELAY_SECRET",
    // It judges chat texts with WeChat itself.
    "ZUDUI_WECHAT_APPID",
    "ZUDUI_WECHAT_SECRET",
    "ZUDUI_WECHAT_API_BASE",
    "ZUDUI_CONTENT_CHECK",
    "ZUDUI_CONTENT_CHECK_FAIL_OPEN",
    "ZUDUI_CONTENT_VERDICT_SECONDS",
];

/// The test's settings as Spin variables and as the relay's environment.
struct Environments {
    spin: Vec<(String, String)>,
    relay: Vec<(String, String)>,
}

fn environments(options: &Options) -> Environments {
    let mut settings = vec![
        ("ZUDUI_JWT_SECRET".to_owned(), JWT_SECRET.to_owned()),
        // Tests send faster than people do; tests/limits.rs turns the limits on.
        ("ZUDUI_RATE_LIMITS".to_owned(), "off".to_owned()),
        ("ZUDUI_RELAY_SECRET".to_owned(), RELAY_SECRET.to_owned()),
    ];
    settings.extend(options.env.iter().cloned());
    let mut env = Environments {
        spin: Vec::new(),
        relay: Vec::new(),
    };
    for (name, value) in settings {
        let variable = name
            .strip_prefix("ZUDUI_")
            .map(str::to_ascii_lowercase)
            .filter(|v| spin_variables().contains(v))
            .unwrap_or_else(|| {
                panic!(
                    "{name} is a setting of the native server only: a test that needs it is \
                     native-only (tests/run.sh)"
                )
            });
        assert_ne!(
            variable, "relay_url",
            "under Spin the harness's own relay is the relay_url"
        );
        if RELAY_READS.contains(&name.as_str()) {
            env.relay.push((name.clone(), value.clone()));
        }
        env.spin
            .push((format!("SPIN_VARIABLE_{}", variable.to_uppercase()), value));
    }
    env
}

/// `spin up` of `spin.toml` with its state in `data`, and a `zudui-relay` in front of it.
async fn spin_up(data: &Path, listen: Option<&str>, options: &Options) -> (Running, String) {
    let spin_cli = which("spin").unwrap_or_else(|| {
        panic!("no `spin` on PATH: tests/run.sh unpacks ../shared/tools/spin into ~/.local/bin")
    });
    let env = environments(options);
    let mut failures = Vec::new();
    for _ in 0..START_TRIES {
        // Spin's port is chosen first: the relay is told where Spin will be, Spin where the
        // relay is.
        let spin_addr = match listen {
            Some(listen) => listen.to_owned(),
            None => format!("127.0.0.1:{}", reserve_port().1),
        };
        let spin_base = format!("http://{spin_addr}");
        let mut relay = Command::new(env!("CARGO_BIN_EXE_zudui-relay"));
        relay
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", "info")
            .env("ZUDUI_RELAY_LISTEN", "127.0.0.1:0")
            .env("ZUDUI_CHAT_URL", &spin_base)
            .envs(env.relay.iter().cloned());
        let mut relay = Process::spawn("relay", relay);
        let relay_base = match relay.wait_for_line("zudui-relay listening on ").await {
            Ok(line) => line
                .split("listening on ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .expect("the relay's address")
                .to_owned(),
            Err(failure) => {
                failures.push(failure);
                continue;
            }
        };
        let mut spin = Command::new(&spin_cli);
        spin.current_dir(ROOT)
            .args([
                "up",
                "-f",
                "spin.toml",
                "--listen",
                &spin_addr,
                "--state-dir",
            ])
            .arg(data)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            // Spin keeps compiled components in the user's cache directory.
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("SPIN_VARIABLE_RELAY_URL", &relay_base)
            .envs(env.spin.iter().cloned());
        let mut spin = Process::spawn_group("spin", spin);
        match spin
            .wait_for_line_within(&format!("Serving {spin_base}"), SPIN_STARTUP)
            .await
        {
            Ok(_) => {
                let running = Running::Spin {
                    spin,
                    relay,
                    relay_base,
                };
                return (running, spin_base);
            }
            Err(failure) => failures.push(failure),
        }
        assert!(
            listen.is_none(),
            "spin up on {spin_addr} failed: {failures:?}"
        );
    }
    panic!("spin up did not start: {failures:?}");
}

/// `name` on the PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}
