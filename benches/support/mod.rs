//! What the benchmarks share: the release server on loopback, and signing in.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

pub struct Server {
    pub base: String,
    child: Child,
}

impl Server {
    /// The `zudui` cargo built, or the one `ZUDUI_BENCH_BINARY` names (an older build, to compare).
    #[allow(dead_code)] // the isolation benchmark names its binaries
    pub fn start(data_dir: &Path) -> Server {
        let binary = std::env::var_os("ZUDUI_BENCH_BINARY")
            .map_or_else(|| env!("CARGO_BIN_EXE_zudui").into(), PathBuf::from);
        Server::start_binary(&binary, data_dir)
    }

    /// [`Server::start`] of another build of `zudui` (a baseline to compare with).
    pub fn start_binary(binary: &Path, data_dir: &Path) -> Server {
        let mut child = Command::new(binary)
            .env("ZUDUI_LISTEN", "127.0.0.1:0")
            .env("ZUDUI_DATA_DIR", data_dir)
            .env("ZUDUI_DEV_LOGIN", "1")
            // The benches measure throughput, which rate limits would cap.
            .env("ZUDUI_RATE_LIMITS", "off")
            // Every simulated client connects from loopback.
            .env("ZUDUI_MAX_CONNECTIONS_PER_IP", "1000000")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start zudui");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        // Read the address, then keep draining the per-request log so the pipe never blocks.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(rest.split_whitespace().next().unwrap_or("").to_owned());
                    }
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server start");
        Server {
            base: format!("http://{addr}"),
            child,
        }
    }

    /// Peak resident set size of the server process, in MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        self.status_mib("VmHWM:")
    }

    /// Resident set size of the server process now, in MiB.
    #[allow(dead_code)] // not every benchmark asks
    pub fn rss_mib(&self) -> f64 {
        self.status_mib("VmRSS:")
    }

    fn status_mib(&self, field: &str) -> f64 {
        status_mib(self.child.id(), field)
    }

    /// CPU time the server process has used so far.
    #[allow(dead_code)] // not every benchmark asks
    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.child.id())
    }
}

/// CPU time (user and system) a process has used so far, in seconds; 0 once it is gone.
#[allow(dead_code)] // not every benchmark asks
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // utime and stime, the 14th and 15th fields: the 12th and 13th after the command name,
    // which is in parentheses and may hold spaces.
    let Some((_, fields)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let ticks: f64 = fields
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse::<f64>().ok())
        .sum();
    // In USER_HZ, 100 a second on Linux.
    ticks / 100.0
}

/// A size field of a process's `/proc/PID/status` (`VmHWM:`, `VmRSS:`), in MiB; 0 once it is gone.
pub fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
