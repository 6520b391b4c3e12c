//! Load benchmark of the native server: starts the release `zudui` binary on loopback with a
//! temporary data directory, fills it, then drives one endpoint from many concurrent connections
//! for a fixed time and prints throughput, latency percentiles and the server's peak RSS.
//!
//! `cargo bench --bench load -- [getinfo] [--connections N] [--seconds S] [--users U]`

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

struct Args {
    scenario: String,
    connections: usize,
    seconds: u64,
    users: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        scenario: "getinfo".into(),
        connections: 64,
        seconds: 10,
        users: 1000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> u64 {
            it.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "--connections" => args.connections = number("--connections") as usize,
            "--seconds" => args.seconds = number("--seconds"),
            "--users" => args.users = number("--users") as usize,
            "-h" | "--help" => {
                println!("cargo bench --bench load -- [getinfo] [--connections N] [--seconds S] [--users U]");
                std::process::exit(0);
            }
            other if !other.starts_with('-') => args.scenario = other.to_owned(),
            other => panic!("unknown option {other}"),
        }
    }
    args
}

struct Server {
    base: String,
    child: Child,
    _data: tempfile::TempDir,
}

impl Server {
    fn start() -> Server {
        let data = tempfile::tempdir().expect("temp dir");
        let mut child = Command::new(env!("CARGO_BIN_EXE_zudui"))
            .env("ZUDUI_LISTEN", "127.0.0.1:0")
            .env("ZUDUI_DATA_DIR", data.path())
            .env("ZUDUI_DEV_LOGIN", "1")
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
            .recv_timeout(Duration::from_secs(30))
            .expect("server start");
        Server {
            base: format!("http://{addr}"),
            child,
            _data: data,
        }
    }

    /// Peak resident set size of the server process, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn login(client: &reqwest::Client, base: &str, openid: &str) -> String {
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

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    if args.scenario != "getinfo" {
        panic!("unknown scenario {:?} (known: getinfo)", args.scenario);
    }
    let server = Server::start();
    let setup = reqwest::Client::new();
    let mut tokens = Vec::with_capacity(args.users);
    for i in 0..args.users {
        tokens.push(login(&setup, &server.base, &format!("bench-user-{i}")).await);
    }
    let tokens = std::sync::Arc::new(tokens);
    let url = format!("{}/user/info/text/getInfo", server.base);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.connections)
        .map(|worker| {
            let tokens = tokens.clone();
            let url = url.clone();
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
                    let token = &tokens[n % tokens.len()];
                    n += args.connections;
                    let sent = Instant::now();
                    let ok = match client
                        .post(&url)
                        .header("token", token)
                        .header("content-type", "application/json")
                        .body("{}")
                        .send()
                        .await
                    {
                        Ok(res) => res.status().is_success() && res.bytes().await.is_ok(),
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
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (l, e) = worker.await.expect("worker");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    println!(
        "| scenario | connections | requests | errors | req/s | p50 ms | p99 ms | max ms | server peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
        args.scenario,
        args.connections,
        latencies.len(),
        errors,
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
        server.peak_rss_mib(),
    );
}
