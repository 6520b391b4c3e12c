//! Load benchmarks of the native server. Each scenario starts the release `zudui` binary on
//! loopback, prepares its data, drives one kind of request from many concurrent connections for a
//! fixed time, and prints a table row: throughput, latency percentiles and the server's peak RSS.
//!
//! ```text
//! cargo bench --bench load -- [SCENARIO...] [--connections N] [--seconds S]
//! scenarios: getinfo (64 connections), search, hints, members (16 connections; 100,000 groups and
//! 50,000 users made by `zudui seed`, cached under target/bench-data), or all
//! ```

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use support::{login, percentile, seeded_data, Server};
use zudui_shared::native::SqliteDb;
use zudui_shared::storage::Database;

mod support;

const TYPES: [&str; 7] = ["学习", "运动", "游戏", "出行", "竞赛", "兴趣", "其他"];
/// Search keys of one, two, three and more characters, and several words.
const KEYS: [&str; 16] = [
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
const HINT_KEYS: [&str; 10] = [
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
const SORTS: [&str; 4] = ["COMPREHENSIVE", "RELATIVE", "TIME", "MEMBER"];

struct Args {
    scenarios: Vec<String>,
    connections: Option<usize>,
    seconds: u64,
}

fn parse_args() -> Args {
    let mut args = Args {
        scenarios: Vec::new(),
        connections: None,
        seconds: 10,
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
            "--connections" => args.connections = Some(number("--connections") as usize),
            "--seconds" => args.seconds = number("--seconds"),
            "-h" | "--help" => {
                println!("cargo bench --bench load -- [getinfo|search|hints|members|all]... [--connections N] [--seconds S]");
                std::process::exit(0);
            }
            "all" => args
                .scenarios
                .extend(["getinfo", "search", "hints", "members"].map(String::from)),
            other if !other.starts_with('-') => args.scenarios.push(other.to_owned()),
            other => panic!("unknown option {other}"),
        }
    }
    if args.scenarios.is_empty() {
        args.scenarios.push("getinfo".into());
    }
    args
}

/// One request to send: path, token and JSON body.
type Call = (&'static str, usize, String);

/// What a scenario needs: tokens, and a generator of the n-th request.
struct Plan {
    tokens: Vec<String>,
    calls: Box<dyn Fn(usize) -> Call + Send + Sync>,
}

async fn plan(scenario: &str, base: &str, data_dir: &Path) -> Plan {
    let client = reqwest::Client::new();
    match scenario {
        "getinfo" => {
            let mut tokens = Vec::new();
            for i in 0..1000 {
                tokens.push(login(&client, base, &format!("bench-user-{i}")).await);
            }
            Plan {
                tokens,
                calls: Box::new(|n| ("/user/info/text/getInfo", n, "{}".into())),
            }
        }
        "search" => Plan {
            tokens: vec![login(&client, base, "bench-searcher").await],
            calls: Box::new(|n| {
                let body = json!({
                    "type": TYPES[n % TYPES.len()],
                    "key": KEYS[(n / 7) % KEYS.len()],
                    "sort_method": SORTS[(n / 3) % SORTS.len()],
                    "page": 1 + (n / 11) % 3,
                });
                ("/group/external/search/group", 0, body.to_string())
            }),
        },
        "hints" => Plan {
            tokens: vec![login(&client, base, "bench-searcher").await],
            calls: Box::new(|n| {
                let path = if n % 2 == 0 {
                    "/group/external/search/name_hint"
                } else {
                    "/group/external/search/tag_hint"
                };
                let body = json!({ "type": TYPES[(n / 2) % TYPES.len()], "key": HINT_KEYS[(n / 5) % HINT_KEYS.len()] });
                (path, 0, body.to_string())
            }),
        },
        "members" => {
            // Creators of random groups, signed in with the development login.
            let db = SqliteDb::open(&data_dir.join("zudui.sqlite")).expect("open seeded db");
            let pairs = (&db as &dyn Database)
                .run(|c| {
                    Ok(c.query(
                        "SELECT g.id, u.openid FROM groups g JOIN users u ON u.id = g.creator_id
                         ORDER BY random() LIMIT 500",
                        &[],
                    )?)
                })
                .expect("pick groups");
            let mut tokens = Vec::new();
            let mut groups = Vec::new();
            for row in pairs {
                groups.push(row.int(0).unwrap());
                tokens.push(login(&client, base, &row.text(1).unwrap()).await);
            }
            Plan {
                tokens,
                calls: Box::new(move |n| {
                    let i = n % groups.len();
                    (
                        "/group/internal/member/get",
                        i,
                        json!({ "group_id": groups[i] }).to_string(),
                    )
                }),
            }
        }
        other => panic!("unknown scenario {other:?} (known: getinfo, search, hints, members, all)"),
    }
}

async fn run(scenario: &str, connections: usize, seconds: u64) {
    let temp;
    let data_dir = if scenario == "getinfo" {
        temp = tempfile::tempdir().expect("temp dir");
        temp.path().to_owned()
    } else {
        seeded_data()
    };
    let server = Server::start(&data_dir);
    let plan = Arc::new(plan(scenario, &server.base, &data_dir).await);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|worker| {
            let plan = plan.clone();
            let base = server.base.clone();
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
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
        scenario,
        connections,
        latencies.len(),
        errors,
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
        server.peak_rss_mib(),
    );
    support::summary(
        "load",
        scenario,
        latencies.len() as f64 / elapsed,
        "req/s",
        Some((percentile(&latencies, 50.0), percentile(&latencies, 99.0))),
        server.peak_rss_mib(),
    );
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    println!("| scenario | connections | requests | errors | req/s | p50 ms | p99 ms | max ms | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for scenario in &args.scenarios {
        let connections = args
            .connections
            .unwrap_or(if scenario == "getinfo" { 64 } else { 16 });
        run(scenario, connections, args.seconds).await;
    }
}
