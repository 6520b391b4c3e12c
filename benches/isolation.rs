//! Whether expensive requests stall everyone else. Ordinary clients read their profile
//! (`getInfo`) at a steady pace, first alone, then while one client keeps four expensive requests
//! in flight: two uploads of the largest avatar allowed (36 megapixels, under 5 MiB) and two
//! worst-case searches (ten tags, a key of many common words, relevance order) over the seeded
//! 100,000 groups. The target: `getInfo` p99 under load within 2x of its p99 alone.
//!
//! ```text
//! cargo bench --bench isolation -- [--baseline PATH] [--seconds S] [--clients N] [--heavy KIND]
//! ```
//!
//! `--baseline` runs the same measurement first against another build of `zudui` (an older
//! release binary), so that both are measured in one run on the same machine.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{login, percentile, seeded_data};

mod support;

/// Each ordinary client asks this often.
const PACE: Duration = Duration::from_millis(5);
/// Expensive requests the heavy client keeps in flight, half of each kind.
const HEAVY_IN_FLIGHT: usize = 4;
/// The avatar: the most pixels a picture may have is 40 megapixels.
const AVATAR_SIDE: u32 = 6000;

struct Args {
    baseline: Option<PathBuf>,
    seconds: u64,
    clients: usize,
    /// Which expensive requests: `both` (the default), `avatars` or `searches`.
    heavy: String,
}

fn parse_args() -> Args {
    let mut args = Args {
        baseline: None,
        seconds: 10,
        clients: 8,
        heavy: "both".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--bench" => {}
            "--baseline" => args.baseline = Some(it.next().expect("--baseline PATH").into()),
            "--seconds" => args.seconds = it.next().and_then(|v| v.parse().ok()).expect("S"),
            "--clients" => args.clients = it.next().and_then(|v| v.parse().ok()).expect("N"),
            "--heavy" => args.heavy = it.next().expect("--heavy both|avatars|searches"),
            "-h" | "--help" => {
                println!("cargo bench --bench isolation -- [--baseline PATH] [--seconds S] [--clients N] [--heavy both|avatars|searches]");
                std::process::exit(0);
            }
            other => panic!("unknown option {other}"),
        }
    }
    args
}

/// A JPEG of `AVATAR_SIDE`² pixels under 5 MiB (smooth colours with detail, as a photo has),
/// made once and kept with the bench data.
fn avatar() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/avatar-{AVATAR_SIDE}.jpg"));
    if let Ok(bytes) = std::fs::read(&path) {
        return bytes;
    }
    let img = image::RgbImage::from_fn(AVATAR_SIDE, AVATAR_SIDE, |x, y| {
        let ripple = ((x * 7 + y * 13) % 23) as u8;
        image::Rgb([
            (x / 24) as u8 ^ ripple,
            (y / 24) as u8,
            ((x + y) / 48) as u8,
        ])
    });
    for quality in [80u8, 60, 40, 20] {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
            .encode_image(&img)
            .expect("encode avatar");
        if out.len() < 5 * 1024 * 1024 - 4096 {
            std::fs::create_dir_all(path.parent().unwrap()).expect("bench data dir");
            std::fs::write(&path, &out).expect("keep avatar");
            return out;
        }
    }
    panic!("no quality fits the avatar under 5 MiB");
}

/// The costliest search a client may send: as many tags as allowed, a long key of common
/// characters (many candidate groups, every word scored), ordered by relevance, the last page.
fn worst_search() -> Value {
    let tags: Vec<String> = [
        "考研", "篮球", "周末", "新手", "打卡", "互助", "夜跑", "读书", "编程", "摄影",
    ]
    .map(String::from)
    .to_vec();
    let key =
        "学 习 小 组 周 末 一 起 打 卡 篮 球 羽 毛 球 夜 跑 考 研 数 学 建 模 读 书 会 新 手 友 好";
    json!({
        "type": "学习",
        "key": key,
        "tags": tags,
        "sort_method": "RELATIVE",
        "page": 1,
        "page_size": 100,
    })
}

struct Latencies {
    micros: Vec<u64>,
    errors: u64,
}

/// Ordinary clients, each asking at `PACE` until `stop`.
async fn readers(base: &str, tokens: &[String], stop: Arc<AtomicBool>) -> Latencies {
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let (base, token, stop) = (base.to_owned(), token.clone(), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut pace = tokio::time::interval(PACE);
                pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let (mut micros, mut errors) = (Vec::new(), 0);
                while !stop.load(Ordering::Relaxed) {
                    pace.tick().await;
                    let sent = Instant::now();
                    let answer = client
                        .post(format!("{base}/user/info/text/getInfo"))
                        .header("token", &token)
                        .body("{}")
                        .send()
                        .await;
                    let ok = match answer {
                        Ok(res) => res
                            .bytes()
                            .await
                            .is_ok_and(|b| b.starts_with(b"{\"code\":0")),
                        Err(_) => false,
                    };
                    match ok {
                        true => micros.push(sent.elapsed().as_micros() as u64),
                        false => errors += 1,
                    }
                }
                (micros, errors)
            })
        })
        .collect();
    let mut all = Latencies {
        micros: Vec::new(),
        errors: 0,
    };
    for task in tasks {
        let (micros, errors) = task.await.expect("reader");
        all.micros.extend(micros);
        all.errors += errors;
    }
    all.micros.sort_unstable();
    all
}

/// Keeps `HEAVY_IN_FLIGHT` expensive requests of `kind` going until `stop`; how many of each
/// finished.
async fn heavy(base: &str, token: &str, kind: &str, stop: Arc<AtomicBool>) -> (u64, u64) {
    let avatar = Arc::new(avatar());
    let (uploads, searches) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let tasks: Vec<_> = (0..HEAVY_IN_FLIGHT)
        .map(|i| {
            let (base, token, stop) = (base.to_owned(), token.to_owned(), stop.clone());
            let (avatar, uploads, searches) = (avatar.clone(), uploads.clone(), searches.clone());
            let upload = match kind {
                "avatars" => true,
                "searches" => false,
                _ => i % 2 == 0,
            };
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    if upload {
                        let part = reqwest::multipart::Part::bytes(avatar.to_vec())
                            .file_name("avatar.jpg")
                            .mime_str("image/jpeg")
                            .unwrap();
                        let form = reqwest::multipart::Form::new().part("avatar", part);
                        let sent = client
                            .post(format!("{base}/user/info/avatar/add"))
                            .header("token", &token)
                            .multipart(form)
                            .send()
                            .await;
                        if let Ok(res) = sent {
                            let _ = res.bytes().await;
                            uploads.fetch_add(1, Ordering::Relaxed);
                        }
                    } else {
                        let sent = client
                            .post(format!("{base}/group/external/search/group"))
                            .header("token", &token)
                            .json(&worst_search())
                            .send()
                            .await;
                        if let Ok(res) = sent {
                            let _ = res.bytes().await;
                            searches.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("heavy client");
    }
    (
        uploads.load(Ordering::Relaxed),
        searches.load(Ordering::Relaxed),
    )
}

/// Measures one build: `getInfo` alone, then beside the expensive requests.
async fn measure(name: &str, binary: &Path, args: &Args) {
    let data = tempfile::tempdir().expect("temp dir");
    copy_dir(&seeded_data(), data.path());
    let server = support::start(data.path(), Some(binary)).await;
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..args.clients {
        tokens.push(login(&client, &server.base, &format!("isolation-reader-{i}")).await);
    }
    let heavy_token = login(&client, &server.base, "isolation-heavy").await;
    let period = Duration::from_secs(args.seconds);

    let stop = Arc::new(AtomicBool::new(false));
    let alone = tokio::spawn({
        let (base, tokens, stop) = (server.base.clone(), tokens.clone(), stop.clone());
        async move { readers(&base, &tokens, stop).await }
    });
    tokio::time::sleep(period).await;
    stop.store(true, Ordering::Relaxed);
    let alone = alone.await.expect("readers");

    let stop = Arc::new(AtomicBool::new(false));
    // The expensive client gets a thread and runtime of its own at the lowest priority: here it
    // shares the server's two cores, and its own work (5 MB bodies, answers to read) would
    // otherwise be counted as the server's delay; a real one runs on its own device.
    let expensive = std::thread::spawn({
        let (base, kind, stop) = (server.base.clone(), args.heavy.clone(), stop.clone());
        move || {
            // SAFETY: lowers the calling thread's own priority.
            unsafe { libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 19) };
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(heavy(&base, &heavy_token, &kind, stop))
        }
    });
    // The expensive requests get going before the readers measure.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = tokio::spawn({
        let (base, tokens, stop) = (server.base.clone(), tokens.clone(), stop.clone());
        async move { readers(&base, &tokens, stop).await }
    });
    tokio::time::sleep(period).await;
    stop.store(true, Ordering::Relaxed);
    let loaded = loaded.await.expect("readers");
    let (uploads, searches) = expensive.join().expect("heavy client");

    let (p99_alone, p99_loaded) = (
        percentile(&alone.micros, 99.0),
        percentile(&loaded.micros, 99.0),
    );
    println!(
        "| {name} | {} ({} errors) | {:.2} / {:.2} | {} ({} errors) | {:.2} / {:.2} | {:.1}x | {uploads} / {searches} | {:.0} |",
        alone.micros.len(),
        alone.errors,
        percentile(&alone.micros, 50.0),
        p99_alone,
        loaded.micros.len(),
        loaded.errors,
        percentile(&loaded.micros, 50.0),
        p99_loaded,
        p99_loaded / p99_alone.max(0.001),
        server.peak_rss_mib(),
    );
    support::summary(
        "isolation",
        &format!("{name}: getInfo beside 4 expensive"),
        loaded.micros.len() as f64 / args.seconds as f64,
        "req/s",
        Some((percentile(&loaded.micros, 50.0), p99_loaded)),
        server.peak_rss_mib(),
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read seeded data") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    println!(
        "getInfo every {PACE:?} from each of {} clients, {} s alone, then {} s beside {HEAVY_IN_FLIGHT} expensive requests in flight\n",
        args.clients, args.seconds, args.seconds
    );
    println!("| build | getInfo alone | p50 / p99 ms | getInfo loaded | p50 / p99 ms | p99 loaded / alone | avatars / searches done | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|");
    if let Some(baseline) = &args.baseline {
        measure("baseline", baseline, &args).await;
    }
    measure("this build", Path::new(env!("CARGO_BIN_EXE_zudui")), &args).await;
}
