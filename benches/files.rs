//! File transfer benchmark of the native server: one large file uploaded through
//! `/group/internal/files/upload` and downloaded back on loopback, with throughput each way and
//! the server's peak RSS (which must not grow with the file).
//!
//! ```text
//! cargo bench --bench files -- [--mib N]   (default 1024: a 1 GiB file)
//! ```

use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{json, Value};
use support::{login, Server};

mod support;

/// The upload is made of this block repeated, so the client spends no time making data.
const BLOCK: usize = 1 << 20;

fn parse_mib() -> u64 {
    let mut args = std::env::args().skip(1);
    let mut mib = 1024;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--mib" => mib = args.next().and_then(|v| v.parse().ok()).expect("--mib N"),
            "--bench" => {}
            "--help" | "-h" => {
                println!("cargo bench --bench files -- [--mib N]");
                std::process::exit(0);
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    mib
}

#[tokio::main]
async fn main() {
    let mib = parse_mib();
    let size = mib << 20;
    // On disk, not in a tmpfs: the data would otherwise sit in memory.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/files");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let server = Server::start(&dir);
    let client = reqwest::Client::new();
    let token = login(&client, &server.base, "bench-files").await;
    let created: Value = client
        .post(format!("{}/group/external/group/create", server.base))
        .header("token", &token)
        .json(&json!({ "type": "学习", "name": "bench", "user_limit": 10 }))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("create json");
    let group_id = created["group_id"].as_i64().expect("group id");
    let rss_before = server.peak_rss_mib();

    let block = Bytes::from(
        (0..BLOCK)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect::<Vec<u8>>(),
    );
    let blocks =
        futures_util::stream::iter((0..mib).map(move |_| Ok::<_, std::io::Error>(block.clone())));
    let part =
        reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(blocks), size)
            .file_name("big.bin");
    let form = reqwest::multipart::Form::new()
        .text("group_id", group_id.to_string())
        .part("file", part);
    let started = Instant::now();
    let answer: Value = client
        .post(format!("{}/group/internal/files/upload", server.base))
        .header("token", &token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("upload json");
    let up = started.elapsed().as_secs_f64();
    let file_id = answer["file_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("upload failed: {answer}"));
    let rss_upload = server.peak_rss_mib();

    let started = Instant::now();
    let res = client
        .get(format!("{}/group/internal/files/download", server.base))
        .query(&[
            ("token", token.as_str()),
            ("group_id", &group_id.to_string()),
            ("file_id", &file_id.to_string()),
        ])
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        received += chunk.expect("download chunk").len() as u64;
    }
    let down = started.elapsed().as_secs_f64();
    assert_eq!(received, size, "download length");

    let mb = size as f64 / 1e6;
    println!("| direction | MiB | seconds | MB/s | server peak RSS MiB |");
    println!("|---|---|---|---|---|");
    println!("| start | | | | {rss_before:.1} |");
    println!(
        "| upload | {mib} | {up:.2} | {:.0} | {rss_upload:.1} |",
        mb / up
    );
    println!(
        "| download | {mib} | {down:.2} | {:.0} | {:.1} |",
        mb / down,
        server.peak_rss_mib()
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
