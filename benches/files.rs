//! File transfer benchmark of the native server: a large file uploaded through
//! `/group/internal/files/upload` and downloaded back on loopback, several times, with throughput
//! each way and the server's peak RSS (which must not grow with the file).
//!
//! ```text
//! cargo bench --bench files -- [--mib N] [--runs R]   (default: a 1 GiB file, 3 runs)
//! ```

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{json, Value};
use support::{body_len, login};

mod support;

struct Args {
    mib: u64,
    runs: usize,
}

fn parse_args() -> Args {
    let mut args = Args { mib: 1024, runs: 3 };
    let mut raw = std::env::args().skip(1);
    while let Some(arg) = raw.next() {
        let mut value = || raw.next().and_then(|v| v.parse().ok());
        match arg.as_str() {
            "--mib" => args.mib = value().expect("--mib N"),
            "--runs" => args.runs = value().expect("--runs R") as usize,
            "--bench" => {}
            "--help" | "-h" => {
                println!("cargo bench --bench files -- [--mib N] [--runs R]");
                std::process::exit(0);
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    args
}

struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    group_id: String,
}

impl Client {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.base))
            .header("token", &self.token)
            .json(&body)
            .send()
            .await
            .expect(path)
            .json()
            .await
            .expect(path)
    }

    /// Uploads `mib` MiB; returns the file id and the seconds it took.
    async fn upload(&self, mib: u64) -> (String, f64) {
        let (answer, seconds) = support::upload(
            &self.http,
            &self.base,
            &self.token,
            mib,
            self.group_id.clone(),
        )
        .await;
        let id = answer["file_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("upload failed: {answer}"));
        (id.to_string(), seconds)
    }

    /// Downloads a file, counting its bytes; returns them and the seconds it took.
    async fn download(&self, file_id: &str) -> (u64, f64) {
        let started = Instant::now();
        let res = self
            .http
            .get(format!("{}/group/internal/files/download", self.base))
            .query(&[
                ("token", self.token.as_str()),
                ("group_id", &self.group_id),
                ("file_id", file_id),
            ])
            .send()
            .await
            .expect("download");
        assert_eq!(res.status(), 200);
        let received = body_len(res).await;
        (received, started.elapsed().as_secs_f64())
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let size = args.mib << 20;
    // On disk, not in a tmpfs: the data would otherwise sit in memory.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let server = support::start(&dir, None).await;
    let http = reqwest::Client::new();
    let token = login(&http, &server.base, "bench-files").await;
    let mut client = Client {
        http,
        base: server.base.clone(),
        token,
        group_id: String::new(),
    };
    let created = client
        .post(
            "/group/external/group/create",
            json!({ "type": "学习", "name": "bench", "user_limit": 10 }),
        )
        .await;
    client.group_id = created["group_id"].as_i64().expect("group id").to_string();

    let mb = size as f64 / 1e6;
    println!(
        "| run | MiB | upload s | upload MB/s | download s | download MB/s | server peak RSS MiB |"
    );
    println!("|---|---|---|---|---|---|---|");
    println!("| before | | | | | | {:.1} |", server.peak_rss_mib());
    let (mut ups, mut downs) = (Vec::new(), Vec::new());
    for run in 1..=args.runs {
        // No dirty pages left from the last run, which the kernel would make this one flush.
        let _ = std::process::Command::new("sync").status();
        let (file_id, up) = client.upload(args.mib).await;
        let (received, down) = client.download(&file_id).await;
        assert_eq!(received, size, "download length");
        client
            .post(
                "/group/internal/files/delete",
                json!({ "group_id": client.group_id, "file_id": file_id }),
            )
            .await;
        println!(
            "| {run} | {} | {up:.2} | {:.0} | {down:.2} | {:.0} | {:.1} |",
            args.mib,
            mb / up,
            mb / down,
            server.peak_rss_mib()
        );
        ups.push(mb / up);
        downs.push(mb / down);
    }
    let (up, down) = (median(ups), median(downs));
    println!(
        "| median | | | {up:.0} | | {down:.0} | {:.1} |",
        server.peak_rss_mib()
    );
    let scenario = format!("{} MiB", args.mib);
    let rss = server.peak_rss_mib();
    support::summary("files upload", &scenario, up, "MB/s", None, rss);
    support::summary("files download", &scenario, down, "MB/s", None, rss);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
