//! What the benchmarks share: the server, started by the tests' harness (`tests/common`, the
//! same entry point every test uses) on a kept data directory, signing in, the seeded data set
//! and load drivers.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

#[path = "../../tests/common/mod.rs"]
pub mod common;
use common::Options;
pub use common::Server;

/// The server a benchmark measures, natively, on `data_dir` (kept): the `zudui` cargo built, or
/// `binary` (another build, to compare), else the one `ZUDUI_BENCH_BINARY` names, with the settings
/// of `ZUDUI_BENCH_SERVER_ENV`. Rate limits are off (the benches measure throughput) and every
/// simulated client connects from loopback.
pub async fn start(data_dir: &Path, binary: Option<&Path>) -> Server {
    let mut options = Options::dev_login()
        .env("ZUDUI_MAX_CONNECTIONS_PER_IP", "1000000")
        .data_dir(data_dir)
        .quiet();
    // Settings of the server under measure, to compare one build with and without them:
    // `ZUDUI_BENCH_SERVER_ENV="ZUDUI_METRICS_LISTEN=127.0.0.1:0 RUST_LOG=warn"`.
    let settings = std::env::var("ZUDUI_BENCH_SERVER_ENV").unwrap_or_default();
    for pair in settings.split_whitespace() {
        let (name, value) = pair
            .split_once('=')
            .unwrap_or_else(|| panic!("ZUDUI_BENCH_SERVER_ENV: {pair:?} is not NAME=VALUE"));
        options = options.env(name, value);
    }
    let named = std::env::var_os("ZUDUI_BENCH_BINARY").map(PathBuf::from);
    if let Some(binary) = binary.map(Path::to_owned).or(named) {
        options = options.binary(&binary);
    }
    Server::with(options).await
}

/// Users and groups of the seeded data set, the same on every machine (`zudui seed`).
pub const SEED_USERS: usize = 50_000;
pub const SEED_GROUPS: usize = 100_000;
const SEED: u64 = 42;

/// The seeded data directory, made once with `zudui seed` and reused by later runs.
#[allow(dead_code)] // not every benchmark searches
pub fn seeded_data() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/bench-data")
        .join(format!("seed-{SEED}-{SEED_USERS}-{SEED_GROUPS}"));
    if dir.join("seeded").exists() {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "seeding {SEED_USERS} users and {SEED_GROUPS} groups into {}",
        dir.display()
    );
    let status = Command::new(env!("CARGO_BIN_EXE_zudui"))
        .args([
            "seed",
            "--users",
            &SEED_USERS.to_string(),
            "--groups",
            &SEED_GROUPS.to_string(),
        ])
        .args(["--seed", &SEED.to_string()])
        .env("ZUDUI_DATA_DIR", &dir)
        .status()
        .expect("run zudui seed");
    assert!(status.success(), "zudui seed failed");
    std::fs::write(dir.join("seeded"), b"").expect("mark seeded");
    dir
}

/// The `p`th percentile of sorted microseconds, in milliseconds.
#[allow(dead_code)] // not every benchmark reports latency this way
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank] as f64 / 1000.0
}

#[allow(dead_code)] // the search vocabulary of the load benchmarks
pub const TYPES: [&str; 7] = ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"];
/// Search keys of one, two, three and more characters, and several words.
#[allow(dead_code)] // the search vocabulary of the load benchmarks
pub const KEYS: [&str; 16] = [
    "数",
    "球",
    "夜",
    "考研",
    "篮球",
    "周末",
    "杭州",
    "羽毛球",
    "王者荣耀",
    "数学建模",
    "读书会",
    "新手友好",
    "周末 夜跑",
    "考研 打卡",
    "互助",
    "",
];
#[allow(dead_code)] // the search vocabulary of the load benchmarks
pub const HINT_KEYS: [&str; 10] = [
    "",
    "考",
    "球",
    "夜",
    "周末",
    "王者",
    "数学",
    "摄",
    "拼",
    "俱乐部",
];
#[allow(dead_code)] // the search vocabulary of the load benchmarks
pub const SORTS: [&str; 4] = ["COMPREHENSIVE", "RELATIVE", "TIME", "MEMBER"];

/// The `n`th search of the load benchmarks (`search/group` over types, keys, sorts and pages),
/// sent with token `token`.
#[allow(dead_code)] // not every benchmark searches
pub fn search_call(n: usize, token: usize) -> Call {
    let body = serde_json::json!({
        "type": TYPES[n % TYPES.len()],
        "key": KEYS[(n / 7) % KEYS.len()],
        "sort_method": SORTS[(n / 3) % SORTS.len()],
        "page": 1 + (n / 11) % 3,
    });
    ("/group/external/search/group", token, body.to_string())
}

/// The `n`th hint request of the load benchmarks: `name_hint` and `tag_hint` in turn.
#[allow(dead_code)] // not every benchmark searches
pub fn hint_call(n: usize, token: usize) -> Call {
    let path = if n.is_multiple_of(2) {
        "/group/external/search/name_hint"
    } else {
        "/group/external/search/tag_hint"
    };
    let body = serde_json::json!({
        "type": TYPES[(n / 2) % TYPES.len()],
        "key": HINT_KEYS[(n / 5) % HINT_KEYS.len()],
    });
    (path, token, body.to_string())
}

/// A `mib` MiB multipart upload into group `group_id`, as the mini-program sends it: one block
/// repeated, so the client spends no time making data.
#[allow(dead_code)] // not every benchmark uploads
pub fn upload_form(mib: u64, group_id: String) -> reqwest::multipart::Form {
    let block: bytes::Bytes = (0..1usize << 20)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect::<Vec<u8>>()
        .into();
    let blocks =
        futures_util::stream::iter((0..mib).map(move |_| Ok::<_, std::io::Error>(block.clone())));
    let body = reqwest::Body::wrap_stream(blocks);
    let part = reqwest::multipart::Part::stream_with_length(body, mib << 20).file_name("big.bin");
    reqwest::multipart::Form::new()
        .text("group_id", group_id)
        .part("file", part)
}

/// Uploads `mib` MiB (see [`upload_form`]) to `base` as `token`; the answer, and the seconds it
/// took.
#[allow(dead_code)] // not every benchmark uploads
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    mib: u64,
    group_id: String,
) -> (Value, f64) {
    let started = std::time::Instant::now();
    let answer: Value = client
        .post(format!("{base}/group/internal/files/upload"))
        .header("token", token)
        .multipart(upload_form(mib, group_id))
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("upload json");
    (answer, started.elapsed().as_secs_f64())
}

/// Reads a response's body to its end, counting its bytes.
#[allow(dead_code)] // not every benchmark downloads
pub async fn body_len(res: reqwest::Response) -> u64 {
    use futures_util::StreamExt;
    let mut body = res.bytes_stream();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        received += chunk.expect("body chunk").len() as u64;
    }
    received
}

/// One request to send: path, index of the token to send, and JSON body.
#[allow(dead_code)] // not every benchmark drives load
pub type Call = (&'static str, usize, String);

/// What a load scenario needs: tokens, and a generator of the n-th request.
#[allow(dead_code)] // not every benchmark drives load
pub struct Plan {
    pub tokens: Vec<String>,
    pub calls: Box<dyn Fn(usize) -> Call + Send + Sync>,
}

/// What [`drive`] measured: latencies of the requests answered `{"code":0`, in microseconds
/// (sorted), the other requests, and how long it ran.
#[allow(dead_code)] // not every benchmark drives load
pub struct Load {
    pub latencies: Vec<u64>,
    pub errors: u64,
    pub seconds: f64,
}

#[allow(dead_code)] // not every benchmark drives load
impl Load {
    pub fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.seconds
    }

    /// The `p`th percentile latency, in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile(&self.latencies, p)
    }
}

/// Sends `plan`'s requests to `base` from `connections` concurrent kept-alive connections, each
/// sending its next request once the last is answered, for `seconds`.
#[allow(dead_code)] // not every benchmark drives load
pub async fn drive(
    base: &str,
    plan: std::sync::Arc<Plan>,
    connections: usize,
    seconds: f64,
) -> Load {
    use std::time::Instant;
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let plan = plan.clone();
            let base = base.to_owned();
            tokio::spawn(async move {
                // One client per worker, one kept-alive connection each.
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut n = worker;
                while Instant::now() < deadline {
                    let (path, token, body) = (plan.calls)(n);
                    n += connections;
                    let token = &plan.tokens[token % plan.tokens.len()];
                    let sent = Instant::now();
                    let ok = match client
                        .post(format!("{base}{path}"))
                        .header("token", token)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(res) => match res.bytes().await {
                            Ok(bytes) => bytes.starts_with(b"{\"code\":0"),
                            Err(_) => false,
                        },
                        Err(_) => false,
                    };
                    if ok {
                        latencies.push(sent.elapsed().as_micros() as u64);
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut load = Load {
        latencies: Vec::new(),
        errors: 0,
        seconds: 0.0,
    };
    for worker in workers {
        let (latencies, errors) = worker.await.expect("worker");
        load.latencies.extend(latencies);
        load.errors += errors;
    }
    load.seconds = started.elapsed().as_secs_f64();
    load.latencies.sort_unstable();
    load
}

pub async fn login(client: &reqwest::Client, base: &str, openid: &str) -> String {
    let res: Value = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "code": openid }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    res["token"].as_str().expect("token").to_owned()
}

/// One line of the summary table that `benches/all.sh` prints: appended to the file named by
/// `ZUDUI_BENCH_SUMMARY` when it is set (each benchmark also prints its own detailed table).
pub fn summary(
    bench: &str,
    scenario: &str,
    throughput: f64,
    unit: &str,
    latency_ms: Option<(f64, f64)>,
    peak_rss_mib: f64,
) {
    let Ok(path) = std::env::var("ZUDUI_BENCH_SUMMARY") else {
        return;
    };
    let (p50, p99) = match latency_ms {
        Some((p50, p99)) => (format!("{p50:.2}"), format!("{p99:.2}")),
        None => ("-".into(), "-".into()),
    };
    let line = format!(
        "| {bench} | {scenario} | {throughput:.0} {unit} | {p50} | {p99} | {peak_rss_mib:.1} |\n"
    );
    use std::io::Write;
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(err) = written {
        eprintln!("could not append to {path}: {err}");
    }
}
