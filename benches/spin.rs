//! Zudui on Spin beside a no-op component, in the same run: `spin up` of the repo's `spin.toml`
//! (all six components, a fresh state directory) and of `benches/noop/spin.toml`, a component that
//! answers 200 and does nothing else. Each scenario drives the no-op component with the same
//! requests first, then Zudui (then the `--baseline` build, when given), and prints throughput,
//! latency, the CPU the Spin process group spent per request, and Zudui's throughput as a ratio of
//! the no-op component's: what Zudui's own work costs on top of what Spin costs. Load scenarios
//! also drive `benches/point/spin.toml` on a copy of the seeded database ("one query"): a
//! component that runs one point query, the least a request that reads Zudui's database costs.
//!
//! ```text
//! cargo build --target wasm32-wasip2 --release -p zudui-fn-auth -p zudui-fn-user \
//!     -p zudui-fn-group -p zudui-fn-files -p zudui-fn-chat -p zudui-fn-debug -p zudui-bench-noop \
//!     -p zudui-bench-point
//! cargo bench --bench spin -- [SCENARIO...] [--seconds S] [--mib N] [--baseline DIR]
//! scenarios: getinfo (64 connections), search, hints, members (16), download, upload, or all;
//! --baseline: a directory holding another build's six zudui_fn_*.wasm, run beside this one
//! ```

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{body_len, drive, hint_call, login, search_call, upload_form, Load, Plan, TYPES};

#[allow(dead_code)] // the native server and the summary table are for the other benchmarks
mod support;

/// The components `spin.toml` names, as cargo names their `.wasm` files.
const COMPONENTS: [&str; 6] = ["auth", "user", "group", "files", "chat", "debug"];
const NOOP: &str = "zudui_bench_noop.wasm";
const POINT: &str = "zudui_bench_point.wasm";
/// The `default` database's file in a Spin state directory.
const DATABASE: &str = "sqlite_db.db";

const USERS: usize = 1000;
const GROUPS: usize = 300;
/// Members each of the first [`JOINED`] groups gets besides its creator.
const MEMBERS: usize = 8;
const JOINED: usize = 60;

const PLACES: [&str; 6] = ["杭州", "北京", "周末", "夜间", "校园", "线上"];
const THINGS: [&str; 10] = [
    "篮球",
    "考研",
    "羽毛球",
    "夜跑",
    "读书会",
    "数学建模",
    "王者荣耀",
    "摄影",
    "拼车",
    "桌游",
];
const ENDINGS: [&str; 4] = ["小组", "俱乐部", "互助", "打卡"];
const TAGS: [&str; 8] = [
    "新手友好",
    "每周",
    "长期",
    "互助",
    "学生",
    "打卡",
    "周末",
    "线下",
];
struct Args {
    scenarios: Vec<String>,
    seconds: f64,
    mib: u64,
    runs: usize,
    baseline: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut args = Args {
        scenarios: Vec::new(),
        seconds: 10.0,
        mib: 64,
        runs: 3,
        baseline: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().unwrap_or_else(|| panic!("{name} takes a value"));
        let number = |name: &str, v: String| -> f64 {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        };
        match arg.as_str() {
            // `cargo bench` passes this to every bench binary.
            "--bench" => {}
            "--seconds" => args.seconds = number("--seconds", value("--seconds")),
            "--mib" => args.mib = number("--mib", value("--mib")) as u64,
            "--runs" => args.runs = number("--runs", value("--runs")) as usize,
            "--baseline" => args.baseline = Some(value("--baseline").into()),
            "-h" | "--help" => {
                println!("cargo bench --bench spin -- [getinfo|search|hints|members|download|upload|all]... [--seconds S] [--mib N] [--runs R] [--baseline DIR]");
                std::process::exit(0);
            }
            "all" => args.scenarios.extend(
                [
                    "getinfo", "search", "hints", "members", "download", "upload",
                ]
                .map(String::from),
            ),
            other if !other.starts_with('-') => args.scenarios.push(other.to_owned()),
            other => panic!("unknown option {other}"),
        }
    }
    if args.scenarios.is_empty() {
        args.scenarios.push("getinfo".into());
    }
    args
}

/// One `spin up`, in a process group of its own so that its CPU time can be read whole.
struct Spin {
    base: String,
    child: Child,
    _state: tempfile::TempDir,
}

impl Spin {
    /// Runs `manifest` with a fresh state directory and waits until it answers.
    fn up(manifest: &Path) -> Spin {
        Spin::up_on(manifest, None)
    }

    /// [`Spin::up`], the state directory holding a copy of `database` as its `default` database.
    fn up_on(manifest: &Path, database: Option<&Path>) -> Spin {
        use std::os::unix::process::CommandExt;
        let state = tempfile::tempdir().expect("state dir");
        if let Some(database) = database {
            std::fs::copy(database, state.path().join(DATABASE)).expect("copy the database");
            // The database logs ahead: what is not checkpointed yet is in its `-wal` file.
            let wal = |dir: &Path| dir.join(format!("{DATABASE}-wal"));
            let from = wal(database.parent().expect("state dir"));
            if from.exists() {
                std::fs::copy(from, wal(state.path())).expect("copy the write-ahead log");
            }
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let log = std::fs::File::create(state.path().join("spin.log")).expect("log file");
        let child = Command::new("spin")
            .arg("up")
            .arg("--from")
            .arg(manifest)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--state-dir")
            .arg(state.path())
            .env("SPIN_VARIABLE_JWT_SECRET", "bench-secret-0123456789abcdef")
            .env("SPIN_VARIABLE_DEV_LOGIN", "1")
            // The benchmark measures throughput, which rate limits would cap.
            .env("SPIN_VARIABLE_RATE_LIMITS", "off")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run `spin up` (is Spin on PATH?): {e}"));
        let mut spin = Spin {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _state: state,
        };
        spin.wait_ready();
        spin
    }

    fn wait_ready(&mut self) {
        let started = Instant::now();
        while std::net::TcpStream::connect(self.base.trim_start_matches("http://")).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log = std::fs::read_to_string(self._state.path().join("spin.log"));
                panic!("spin up exited ({status}):\n{}", log.unwrap_or_default());
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "spin up did not listen within 5 minutes"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The `default` database's file.
    fn database(&self) -> PathBuf {
        self._state.path().join(DATABASE)
    }

    /// CPU time the whole `spin up` process group has used so far.
    fn cpu_seconds(&self) -> f64 {
        support::common::process::group_cpu_seconds(self.child.id())
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        // The whole group: `spin up` may run the trigger in a child process.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// A build of Zudui's components under `spin up`, seeded through its API.
struct Zudui {
    label: &'static str,
    spin: Spin,
    data: Seeded,
    _manifest: Option<tempfile::TempDir>,
}

/// What seeding made: every user's token, and the groups with their creators.
struct Seeded {
    tokens: Vec<String>,
    /// (group id, index of the creator's token)
    groups: Vec<(i64, usize)>,
    /// Groups with [`MEMBERS`] members besides the creator.
    joined: Vec<(i64, usize)>,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where `spin.toml` finds the components (`target/`, not `CARGO_TARGET_DIR`).
fn wasm_dir() -> PathBuf {
    repo().join("target/wasm32-wasip2/release")
}

/// Fails with the command to run when a component has not been built.
fn require_wasm(dir: &Path, files: &[String]) {
    let missing: Vec<_> = files.iter().filter(|f| !dir.join(f).exists()).collect();
    if !missing.is_empty() {
        eprintln!(
            "missing in {}: {missing:?}\nbuild the components first:\n  cargo build --target wasm32-wasip2 --release \
             -p zudui-fn-auth -p zudui-fn-user -p zudui-fn-group -p zudui-fn-files -p zudui-fn-chat -p zudui-fn-debug \
             -p zudui-bench-noop -p zudui-bench-point",
            dir.display()
        );
        std::process::exit(2);
    }
}

fn component_files() -> Vec<String> {
    COMPONENTS
        .iter()
        .map(|c| format!("zudui_fn_{c}.wasm"))
        .collect()
}

impl Zudui {
    /// The repo's `spin.toml`; with `components`, a copy of it whose sources are there instead.
    async fn up(label: &'static str, components: Option<&Path>) -> Zudui {
        let (manifest, temp) = match components {
            None => (repo().join("spin.toml"), None),
            Some(dir) => {
                let dir = dir.canonicalize().expect("baseline directory");
                require_wasm(&dir, &component_files());
                let text = std::fs::read_to_string(repo().join("spin.toml")).expect("spin.toml");
                let text = text.replace(
                    "source = \"target/wasm32-wasip2/release/",
                    &format!("source = \"{}/", dir.display()),
                );
                let temp = tempfile::tempdir().expect("manifest dir");
                let manifest = temp.path().join("spin.toml");
                std::fs::write(&manifest, text).expect("write manifest");
                (manifest, Some(temp))
            }
        };
        let spin = Spin::up(&manifest);
        let data = seed(&spin.base).await;
        Zudui {
            label,
            spin,
            data,
            _manifest: temp,
        }
    }
}

async fn post(client: &reqwest::Client, base: &str, token: &str, path: &str, body: Value) -> Value {
    let answer: Value = client
        .post(format!("{base}{path}"))
        .header("token", token)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(answer["code"], 0, "{path} {body}: {answer}");
    answer
}

/// [`USERS`] users signed in with the development login, [`GROUPS`] groups with two tags each,
/// and [`MEMBERS`] members in each of the first [`JOINED`].
async fn seed(base: &str) -> Seeded {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for i in 0..USERS {
        tokens.push(login(&client, base, &format!("bench-user-{i}")).await);
    }
    let mut groups = Vec::new();
    for g in 0..GROUPS {
        let creator = g * 3 % USERS;
        let name = format!(
            "{}{}{}{g}",
            PLACES[g % PLACES.len()],
            THINGS[(g / 3) % THINGS.len()],
            ENDINGS[(g / 7) % ENDINGS.len()]
        );
        let body = json!({ "type": TYPES[g % TYPES.len()], "name": name, "user_limit": 50 });
        let created = post(
            &client,
            base,
            &tokens[creator],
            "/group/external/group/create",
            body,
        )
        .await;
        let id = created["group_id"].as_i64().expect("group id");
        for t in 0..2 {
            let tag = TAGS[(g + t * 3) % TAGS.len()];
            let body = json!({ "group_id": id, "tag_text": tag });
            post(
                &client,
                base,
                &tokens[creator],
                "/group/internal/info/tag/add",
                body,
            )
            .await;
        }
        groups.push((id, creator));
    }
    let joined = groups[..JOINED].to_vec();
    for (n, &(id, creator)) in joined.iter().enumerate() {
        for m in 0..MEMBERS {
            let member = (n * MEMBERS + m) * 7 % (USERS - 1) + 1;
            if member == creator {
                continue;
            }
            let body = json!({ "group_id": id });
            let asked = post(
                &client,
                base,
                &tokens[member],
                "/group/external/group/join",
                body,
            )
            .await;
            let body = json!({ "request_id": asked["request_id"], "action": true });
            post(
                &client,
                base,
                &tokens[creator],
                "/group/external/joinRequest/process",
                body,
            )
            .await;
        }
    }
    eprintln!(
        "seeded {base}: {USERS} users, {GROUPS} groups in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Seeded {
        tokens,
        groups,
        joined,
    }
}

/// The requests of a load scenario against a seeded build.
fn plan(scenario: &str, data: &Seeded) -> Plan {
    let tokens = data.tokens.clone();
    match scenario {
        "getinfo" => Plan {
            tokens,
            calls: Box::new(|n| ("/user/info/text/getInfo", n, "{}".into())),
        },
        "search" => Plan {
            tokens,
            calls: Box::new(|n| search_call(n, n)),
        },
        "hints" => Plan {
            tokens,
            calls: Box::new(|n| hint_call(n, n)),
        },
        "members" => {
            let joined = data.joined.clone();
            Plan {
                tokens,
                calls: Box::new(move |n| {
                    let (group, creator) = joined[n % joined.len()];
                    let body = json!({ "group_id": group }).to_string();
                    ("/group/internal/member/get", creator, body)
                }),
            }
        }
        other => panic!("unknown scenario {other:?} (known: getinfo, search, hints, members, download, upload, all)"),
    }
}

/// One measured turn: the load, and the Spin process group's CPU time over it.
struct Turn {
    load: Load,
    cpu_us_per_request: f64,
}

async fn measure(spin: &Spin, plan: Arc<Plan>, connections: usize, seconds: f64) -> Turn {
    let cpu = spin.cpu_seconds();
    let load = drive(&spin.base, plan, connections, seconds).await;
    let cpu = spin.cpu_seconds() - cpu;
    let answered = load.latencies.len().max(1) as f64;
    Turn {
        cpu_us_per_request: cpu * 1e6 / answered,
        load,
    }
}

fn row(scenario: &str, label: &str, connections: usize, turn: &Turn, noop: &Turn) {
    println!(
        "| {scenario} | {label} | {connections} | {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.0} | {:.2}x |",
        turn.load.errors,
        turn.load.per_second(),
        turn.load.percentile_ms(50.0),
        turn.load.percentile_ms(99.0),
        turn.cpu_us_per_request,
        noop.load.per_second(),
        turn.load.per_second() / noop.load.per_second().max(f64::MIN_POSITIVE),
    );
}

async fn load_scenario(scenario: &str, noop: &Spin, point: &Spin, builds: &[Zudui], seconds: f64) {
    let connections = if scenario == "getinfo" { 64 } else { 16 };
    // The no-op component gets the same requests (it answers every path).
    let noop_turn = measure(
        noop,
        Arc::new(plan(scenario, &builds[0].data)),
        connections,
        seconds,
    )
    .await;
    row(scenario, "no-op", connections, &noop_turn, &noop_turn);
    let same = Arc::new(plan(scenario, &builds[0].data));
    let turn = measure(point, same, connections, seconds).await;
    row(scenario, "one query", connections, &turn, &noop_turn);
    for build in builds {
        let plan = Arc::new(plan(scenario, &build.data));
        let turn = measure(&build.spin, plan, connections, seconds).await;
        row(scenario, build.label, connections, &turn, &noop_turn);
    }
}

/// Uploads `mib` MiB to `base`; the answer, and the seconds it took.
async fn upload(base: &str, token: &str, mib: u64, group_id: i64) -> (Value, f64) {
    let client = reqwest::Client::new();
    let (answer, seconds) = support::upload(&client, base, token, mib, group_id.to_string()).await;
    assert_eq!(answer["code"], 0, "upload: {answer}");
    (answer, seconds)
}

/// Downloads a file, checking its length; the seconds it took.
async fn download(base: &str, token: &str, group_id: i64, file_id: i64, size: u64) -> f64 {
    let started = Instant::now();
    let res = reqwest::Client::new()
        .get(format!("{base}/group/internal/files/download"))
        .query(&[
            ("token", token),
            ("group_id", &group_id.to_string()),
            ("file_id", &file_id.to_string()),
        ])
        .send()
        .await
        .expect("download");
    assert_eq!(res.status(), 200);
    assert_eq!(body_len(res).await, size, "download length");
    started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A transfer row: MB/s, seconds, CPU per MiB; beside the no-op component taking the same upload
/// (for downloads there is no no-op counterpart: it sends nothing).
fn transfer_row(scenario: &str, label: &str, mib: u64, seconds: f64, cpu: f64, noop: Option<f64>) {
    let mb = (mib << 20) as f64 / 1e6;
    let (noop_rate, ratio) = match noop {
        Some(noop) => (
            format!("{:.0} MB/s", mb / noop),
            format!("{:.2}x", noop / seconds),
        ),
        None => ("-".into(), "-".into()),
    };
    println!(
        "| {scenario} {mib} MiB | {label} | 1 | 0 | {:.0} MB/s | {:.0} | - | {:.0} µs/MiB | {noop_rate} | {ratio} |",
        mb / seconds,
        seconds * 1000.0,
        cpu * 1e6 / mib as f64,
    );
}

/// 64 MiB uploads then downloads, `runs` of each, medians; the upload beside the no-op
/// component reading the same request.
async fn transfers(scenarios: &[String], noop: &Spin, builds: &[Zudui], mib: u64, runs: usize) {
    let size = mib << 20;
    let owner = &builds[0].data.groups[GROUPS - 1];
    let wants = |s: &str| scenarios.iter().any(|x| x == s);
    let mut noop_up = None;
    if wants("upload") {
        let mut times = Vec::new();
        let cpu = noop.cpu_seconds();
        for _ in 0..runs {
            let started = Instant::now();
            let res = reqwest::Client::new()
                .post(format!("{}/group/internal/files/upload", noop.base))
                .multipart(upload_form(mib, owner.0.to_string()))
                .send()
                .await
                .expect("no-op upload");
            assert_eq!(res.status(), 200);
            res.bytes().await.expect("no-op upload answer");
            times.push(started.elapsed().as_secs_f64());
        }
        let cpu = (noop.cpu_seconds() - cpu) / runs as f64;
        let seconds = median(times);
        transfer_row("upload", "no-op", mib, seconds, cpu, Some(seconds));
        noop_up = Some(seconds);
    }
    for build in builds {
        let (group, creator) = build.data.groups[GROUPS - 1];
        let token = &build.data.tokens[creator];
        let (mut ups, mut downs) = (Vec::new(), Vec::new());
        let (mut up_cpu, mut down_cpu) = (0.0, 0.0);
        for _ in 0..runs {
            let cpu = build.spin.cpu_seconds();
            let (answer, up) = upload(&build.spin.base, token, mib, group).await;
            up_cpu += build.spin.cpu_seconds() - cpu;
            ups.push(up);
            let file_id = answer["file_id"].as_i64().expect("file id");
            let cpu = build.spin.cpu_seconds();
            downs.push(download(&build.spin.base, token, group, file_id, size).await);
            down_cpu += build.spin.cpu_seconds() - cpu;
            let body = json!({ "group_id": group, "file_id": file_id });
            post(
                &reqwest::Client::new(),
                &build.spin.base,
                token,
                "/group/internal/files/delete",
                body,
            )
            .await;
        }
        let runs = runs as f64;
        if wants("download") {
            transfer_row(
                "download",
                build.label,
                mib,
                median(downs),
                down_cpu / runs,
                None,
            );
        }
        if wants("upload") {
            transfer_row(
                "upload",
                build.label,
                mib,
                median(ups),
                up_cpu / runs,
                noop_up,
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    require_wasm(&wasm_dir(), &component_files());
    require_wasm(&wasm_dir(), &[NOOP.to_owned(), POINT.to_owned()]);
    let noop = Spin::up(&repo().join("benches/noop/spin.toml"));
    let mut builds = vec![Zudui::up("zudui", None).await];
    // One point query on a copy of the seeded database: Zudui's schema and data.
    let point = Spin::up_on(
        &repo().join("benches/point/spin.toml"),
        Some(&builds[0].spin.database()),
    );
    if let Some(baseline) = &args.baseline {
        builds.push(Zudui::up("baseline", Some(baseline)).await);
    }
    println!("| scenario | build | connections | errors | req/s | p50 ms | p99 ms | CPU µs/req | no-op req/s | ratio to no-op |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for scenario in &args.scenarios {
        if !matches!(scenario.as_str(), "download" | "upload") {
            load_scenario(scenario, &noop, &point, &builds, args.seconds).await;
        }
    }
    if args
        .scenarios
        .iter()
        .any(|s| matches!(s.as_str(), "download" | "upload"))
    {
        transfers(&args.scenarios, &noop, &builds, args.mib, args.runs).await;
    }
}
