//! The chat behind `zudui-relay` instances sharing rooms through Redis, in front of the native
//! server: the processes (Redis, relays) on loopback ports, and the faults done to them — a
//! process killed and started again on the same port, a relay stopped (SIGSTOP) and resumed.
//!
//! Needs `redis-server` on the PATH (CI installs it); without it these tests fail.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use super::process::reserve_port;
use super::process::{Process, STARTUP};
use super::proxy::Proxy;
use super::{ws, Options, Server, JWT_SECRET};

pub const RELAY_SECRET: &str = "relay-secret-for-scale-tests-0123456789";

/// Tries to start a cluster (or Redis) before giving up: a port reserved for a process may be
/// taken by another test's process in the moment between its release and the process binding it.
const START_TRIES: usize = 5;

// ---------------------------------------------------------------------------------------------
// Redis
// ---------------------------------------------------------------------------------------------

/// No persistence, loopback only.
const REDIS_FLAGS: [&str; 6] = ["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"];

/// A private Redis on a free port, without persistence.
pub struct Redis {
    pub url: String,
    port: u16,
    /// `None` while killed.
    process: Option<Process>,
}

impl Redis {
    pub async fn spawn() -> Redis {
        let mut failures = Vec::new();
        for _ in 0..START_TRIES {
            let (reserved, port) = reserve_port();
            drop(reserved);
            match Redis::listen(port).await {
                Ok(process) => {
                    return Redis {
                        url: format!("redis://127.0.0.1:{port}/"),
                        port,
                        process: Some(process),
                    }
                }
                Err(failure) => failures.push(failure),
            }
        }
        panic!("redis-server did not start: {failures:?}");
    }

    async fn listen(port: u16) -> Result<Process, String> {
        let mut command = Command::new("redis-server");
        command
            .arg("--port")
            .arg(port.to_string())
            .args(REDIS_FLAGS);
        let mut process = Process::spawn("redis", command);
        process.wait_for_line("Ready to accept connections").await?;
        let addr = format!("127.0.0.1:{port}");
        assert!(
            redis_answers(&addr).await,
            "redis-server at {addr} does not answer PING"
        );
        Ok(process)
    }

    /// Kills Redis (SIGKILL): every connection to it drops, and what it held is gone.
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Starts Redis again, empty, on its port, after [`Redis::kill`].
    pub async fn start_again(&mut self) {
        assert!(self.process.is_none(), "Redis is running");
        let process = Redis::listen(self.port)
            .await
            .unwrap_or_else(|failure| panic!("Redis did not start again: {failure}"));
        self.process = Some(process);
    }
}

/// Whether Redis at `addr` answers `PING`.
async fn redis_answers(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    if stream.write_all(b"PING\r\n").await.is_err() {
        return false;
    }
    let mut answer = [0u8; 7];
    let read = tokio::time::timeout(Duration::from_secs(1), stream.read_exact(&mut answer)).await;
    matches!(read, Ok(Ok(_))) && &answer == b"+PONG\r\n"
}

// ---------------------------------------------------------------------------------------------
// Relays
// ---------------------------------------------------------------------------------------------

pub struct Relay {
    pub name: &'static str,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The relay's environment, to start it again as it was.
    env: Vec<(&'static str, String)>,
    /// `None` while killed.
    process: Option<Process>,
}

impl Relay {
    /// A relay on the `reserved` port whose chat logic is at `chat_url` (the server, or a proxy
    /// in front of it), sharing rooms through `redis`. `Err` when it could not listen.
    async fn spawn(
        name: &'static str,
        reserved: (std::net::TcpListener, u16),
        chat_url: &str,
        redis: &Redis,
        rate_limits: &str,
    ) -> Result<Relay, String> {
        let (reservation, port) = reserved;
        let env = vec![
            ("RUST_LOG", "info".to_owned()),
            ("ZUDUI_RELAY_LISTEN", format!("127.0.0.1:{port}")),
            ("ZUDUI_CHAT_URL", chat_url.to_owned()),
            ("ZUDUI_RELAY_SECRET", RELAY_SECRET.to_owned()),
            ("ZUDUI_JWT_SECRET", JWT_SECRET.to_owned()),
            ("ZUDUI_REDIS_URL", redis.url.clone()),
            ("ZUDUI_RATE_LIMITS", rate_limits.to_owned()),
        ];
        let mut relay = Relay {
            name,
            base: format!("http://127.0.0.1:{port}"),
            env,
            process: None,
        };
        drop(reservation);
        relay.listen().await?;
        Ok(relay)
    }

    /// Starts the process; returns once it logged that it listens and answers `/health`.
    async fn listen(&mut self) -> Result<(), String> {
        let mut command = Command::new(env!("CARGO_BIN_EXE_zudui-relay"));
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.clone());
        let mut process = Process::spawn(self.name, command);
        process
            .wait_for_line(&format!("zudui-relay listening on {}", self.base))
            .await?;
        self.process = Some(process);
        let health = self.url("/health");
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(res) = client.get(&health).send().await {
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                assert_eq!(
                    (status.as_u16(), text.as_str()),
                    (200, "ok"),
                    "{} /health",
                    self.name
                );
                return Ok(());
            }
            assert!(
                started.elapsed() < STARTUP,
                "{}: /health did not answer within {STARTUP:?}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `ws://127.0.0.1:PORT`
    pub fn ws_base(&self) -> String {
        ws::ws_base(&self.base)
    }

    /// Kills the relay (SIGKILL): its sockets drop at once.
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Starts the relay again on its port, after [`Relay::kill`].
    pub async fn start_again(&mut self) {
        assert!(self.process.is_none(), "{} is running", self.name);
        if let Err(failure) = self.listen().await {
            panic!("{} did not start again: {failure}", self.name);
        }
    }

    /// Stops the relay (SIGSTOP): its sockets stay open, and nothing answers on them.
    pub fn stop(&self) {
        self.running().signal(libc::SIGSTOP);
    }

    /// Lets a stopped relay go on (SIGCONT).
    pub fn resume(&self) {
        self.running().signal(libc::SIGCONT);
    }

    fn running(&self) -> &Process {
        self.process
            .as_ref()
            .unwrap_or_else(|| panic!("{} was killed", self.name))
    }
}

// ---------------------------------------------------------------------------------------------
// The cluster
// ---------------------------------------------------------------------------------------------

/// A native server, Redis, and relays A, B, … in front of the server on that Redis. The server
/// has the relay secret (its internal routes) and forwards its live events to relay A. With a
/// proxy, the relays reach the server through it.
pub struct Cluster {
    pub relays: Vec<Relay>,
    pub proxy: Option<Proxy>,
    pub server: Server,
    pub redis: Redis,
}

impl Cluster {
    /// Tests send faster than people do; the relays' chat limit has a test of its own.
    pub async fn start(relays: usize) -> Cluster {
        Cluster::with(relays, "off", false).await
    }

    /// [`Cluster::start`] whose relays reach the server through a [`Proxy`].
    pub async fn behind_proxy(relays: usize) -> Cluster {
        Cluster::with(relays, "off", true).await
    }

    /// [`Cluster::start`] whose relays count chat frames by `rate_limits` (`ZUDUI_RATE_LIMITS`).
    pub async fn limited(relays: usize, rate_limits: &str) -> Cluster {
        Cluster::with(relays, rate_limits, false).await
    }

    async fn with(relays: usize, rate_limits: &str, proxied: bool) -> Cluster {
        const NAMES: [&str; 4] = ["relay A", "relay B", "relay C", "relay D"];
        assert!((1..=NAMES.len()).contains(&relays));
        let redis = Redis::spawn().await;
        let mut failures = Vec::new();
        'attempt: for _ in 0..START_TRIES {
            // Relay A's port is chosen first, and held while the server starts: the server is
            // told where relay A will be, relay A where the server is.
            let (listener_a, port_a) = reserve_port();
            let server = Server::with(
                Options::dev_login()
                    .env("ZUDUI_JWT_SECRET", JWT_SECRET)
                    .env("ZUDUI_RELAY_SECRET", RELAY_SECRET)
                    .env("ZUDUI_RELAY_URL", &format!("http://127.0.0.1:{port_a}")),
            )
            .await;
            let proxy = proxied.then(|| Proxy::start(&server.base));
            let chat_url = proxy.as_ref().map_or(&server.base, |p| &p.base).clone();
            let mut reserved_a = Some((listener_a, port_a));
            let mut started = Vec::with_capacity(relays);
            for name in &NAMES[..relays] {
                let reserved = reserved_a.take().unwrap_or_else(reserve_port);
                match Relay::spawn(name, reserved, &chat_url, &redis, rate_limits).await {
                    Ok(relay) => started.push(relay),
                    Err(failure) => {
                        failures.push(failure);
                        continue 'attempt;
                    }
                }
            }
            return Cluster {
                relays: started,
                proxy,
                server,
                redis,
            };
        }
        panic!("the relays did not start: {failures:?}");
    }

    /// The proxy between the relays and the server.
    pub fn proxy(&self) -> &Proxy {
        self.proxy.as_ref().expect("a cluster behind a proxy")
    }
}

// ---------------------------------------------------------------------------------------------
// The server's relay API
// ---------------------------------------------------------------------------------------------

/// POSTs `body` to `url` with the relay secret header (if any); returns the status and text.
pub async fn post_with_secret(url: &str, secret: Option<&str>, body: Value) -> (u16, String) {
    let mut req = reqwest::Client::new().post(url).json(&body);
    if let Some(secret) = secret {
        req = req.header("x-relay-secret", secret);
    }
    let res = req.send().await.unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

/// Calls the server's relay route `/chat/internal/{route}`, which must succeed; returns its
/// answer.
pub async fn internal(server: &Server, route: &str, body: Value) -> Value {
    let url = server.url(&format!("/chat/internal/{route}"));
    let (status, text) = post_with_secret(&url, Some(RELAY_SECRET), body).await;
    let answer: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{route} answered {status} without JSON: {text}"));
    assert_eq!(
        (status, &answer["code"]),
        (200, &json!(0)),
        "{route}: {answer}"
    );
    answer
}

/// Stores `frame` (a client frame) from `user_id` in group `group` behind the relays' backs:
/// nothing is published. Returns the stored message's live frame.
pub async fn store_unpublished(server: &Server, group: i64, user_id: &str, frame: &Value) -> Value {
    let body =
        json!({ "room": format!("group:{group}"), "user_id": user_id, "frame": frame.to_string() });
    let posted = &internal(server, "post", body).await["posted"];
    serde_json::from_str(posted["frame"].as_str().expect("posted frame")).expect("a JSON frame")
}
