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

use serde_json::json;
use support::{drive, hint_call, login, search_call, seeded_data, Plan};
use zudui_shared::native::SqliteDb;
use zudui_shared::storage::Database;

mod support;

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
            calls: Box::new(|n| search_call(n, 0)),
        },
        "hints" => Plan {
            tokens: vec![login(&client, base, "bench-searcher").await],
            calls: Box::new(|n| hint_call(n, 0)),
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
    let server = support::start(&data_dir, None).await;
    let plan = Arc::new(plan(scenario, &server.base, &data_dir).await);
    let load = drive(&server.base, plan, connections, seconds as f64).await;
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
        scenario,
        connections,
        load.latencies.len(),
        load.errors,
        load.per_second(),
        load.percentile_ms(50.0),
        load.percentile_ms(99.0),
        load.percentile_ms(100.0),
        server.peak_rss_mib(),
    );
    support::summary(
        "load",
        scenario,
        load.per_second(),
        "req/s",
        Some((load.percentile_ms(50.0), load.percentile_ms(99.0))),
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
