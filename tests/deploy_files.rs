//! The deployment files of `deploy/`: nginx's site run for real (Debian's nginx, a certificate
//! made here) in front of the native server, with an API call, a large upload, a chat socket
//! over WSS and the client's address through it; the files' facts checked against the project
//! (binaries, settings, spin.toml's variables, service names and ports); and the checkers CI
//! relies on run over them (hadolint, the Compose schema, Kubernetes' schemas, systemd-analyze).
//!
//! Needs `nginx`, `openssl`, `hadolint`, `check-jsonschema`, `kubernetes-validate` and Python's
//! PyYAML (which `tests/run.sh` installs when missing) and `systemd-analyze`.

mod common;

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::process::{reserve_port, Process};
use common::tls::{self, Pair, TlsSocket};
use common::ws::{content, group_path, next_live, say};
use common::{group_file_form, team, Options, Server};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Error::Http;

const WAIT: Duration = Duration::from_secs(10);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `text` with `from` replaced by `to`, which must occur exactly `times` times: the tested
/// configuration is the deploy file's own but for these.
fn substitute(text: &str, from: &str, to: &str, times: usize) -> String {
    assert_eq!(
        text.matches(from).count(),
        times,
        "{from:?} in the deploy file"
    );
    text.replace(from, to)
}

// ---------------------------------------------------------------------------------------------
// nginx for real
// ---------------------------------------------------------------------------------------------

/// Debian's nginx serving `deploy/nginx/zudui.conf` on loopback in front of `server` (the
/// upstream `zudui`) and `relay` (`zudui_relay`), with `pair` as its certificate.
struct Nginx {
    /// `https://127.0.0.1:PORT`
    base: String,
    addr: String,
    /// `http://127.0.0.1:PORT`, which redirects.
    plain: String,
    _process: Process,
}

impl Nginx {
    async fn start(dir: &Path, server: &str, relay: &str, pair: &Pair) -> Nginx {
        let site = read("deploy/nginx/zudui.conf");
        let (held_tls, tls_port) = reserve_port();
        let (held_plain, plain_port) = reserve_port();
        let site = substitute(&site, "server zudui:8080;", &format!("server {server};"), 1);
        let site = substitute(
            &site,
            "server zudui-relay:8090;",
            &format!("server {relay};"),
            1,
        );
        let site = substitute(
            &site,
            "listen 443 ssl;",
            &format!("listen 127.0.0.1:{tls_port} ssl;"),
            1,
        );
        let site = substitute(
            &site,
            "listen 80;",
            &format!("listen 127.0.0.1:{plain_port};"),
            1,
        );
        let site = substitute(
            &site,
            "/etc/nginx/certs/fullchain.pem",
            pair.cert.to_str().expect("path"),
            1,
        );
        let site = substitute(
            &site,
            "/etc/nginx/certs/privkey.pem",
            pair.key.to_str().expect("path"),
            1,
        );
        std::fs::write(dir.join("zudui.conf"), site).expect("site");
        // What the image's nginx.conf around conf.d/ gives, with everything in `dir`; one process
        // (no workers switching user), in the foreground.
        let d = dir.display();
        let main = format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr notice;\n\
             events {{}}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  \
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n  \
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n  include {d}/zudui.conf;\n}}\n"
        );
        let conf = dir.join("nginx.conf");
        std::fs::write(&conf, main).expect("nginx.conf");
        let nginx = nginx_binary();
        // `-e stderr`: no default log file is opened before the configuration is read.
        let tested = Command::new(&nginx)
            .args(["-t", "-e", "stderr"])
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .output()
            .expect("nginx -t");
        assert!(
            tested.status.success(),
            "nginx -t: {}",
            String::from_utf8_lossy(&tested.stderr)
        );
        drop((held_tls, held_plain));
        let mut command = Command::new(&nginx);
        command
            .args(["-e", "stderr", "-p"])
            .arg(dir)
            .arg("-c")
            .arg(&conf);
        let mut process = Process::spawn("nginx", command);
        let addr = format!("127.0.0.1:{tls_port}");
        let deadline = Instant::now() + WAIT;
        while TcpStream::connect(&addr).await.is_err() {
            if let Some(end) = process.exited() {
                panic!("nginx ended: {end}");
            }
            assert!(Instant::now() < deadline, "nginx did not listen on {addr}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Nginx {
            base: format!("https://{addr}"),
            addr,
            plain: format!("http://127.0.0.1:{plain_port}"),
            _process: process,
        }
    }
}

fn nginx_binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .unwrap_or_else(|| "nginx".into())
}

/// An HTTPS client trusting `cert_pem` alone, connecting from `from` (another loopback address
/// is another client to nginx).
fn client(cert_pem: &[u8], from: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem).expect("PEM"))
        .local_address(IpAddr::V4(from))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("client")
}

/// POST /auth/login through nginx with the development login: the HTTP status and the code.
async fn login(client: &reqwest::Client, base: &str, forged: Option<&str>) -> (u16, Value) {
    let mut req = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "code": "someone" }));
    if let Some(forged) = forged {
        req = req.header("x-forwarded-for", forged);
    }
    let res = req.send().await.expect("login through nginx");
    let status = res.status().as_u16();
    (
        status,
        res.json::<Value>().await.expect("JSON")["code"].clone(),
    )
}

/// A chat socket through nginx over WSS, or the handshake's error.
async fn wss(
    nginx: &Nginx,
    cert_pem: &[u8],
    token: &str,
    path: &str,
) -> Result<TlsSocket, tokio_tungstenite::tungstenite::Error> {
    tls::wss(&nginx.addr, cert_pem, token, path, WAIT).await
}

#[tokio::test]
async fn nginx_site_serves_the_api_and_large_uploads_with_the_clients_address() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pair = Pair::make(dir.path(), "site");
    let pem = pair.cert_pem();
    // Two sign-ins per address, so that the third tells which address the server saw.
    let server = Server::with(
        Options::dev_login()
            .env("ZUDUI_CLIENT_IP_HEADER", "x-forwarded-for")
            .env("ZUDUI_RATE_LIMITS", "login=2/1"),
    )
    .await;
    let backend = server.base.trim_start_matches("http://").to_owned();
    let nginx = Nginx::start(dir.path(), &backend, &backend, &pair).await;

    // The API over HTTPS, and the client's own address as the server's: two clients behind the
    // one proxy have a bucket each, and a forged X-Forwarded-For does not move a client to
    // another one (nginx appends the address it saw, which the server takes).
    let first = client(&pem, Ipv4Addr::new(127, 0, 0, 3));
    let second = client(&pem, Ipv4Addr::new(127, 0, 0, 4));
    for _ in 0..2 {
        assert_eq!(login(&first, &nginx.base, None).await, (200, json!(0)));
    }
    assert_eq!(login(&first, &nginx.base, None).await, (429, json!(105)));
    let forged = Some("127.0.0.9");
    assert_eq!(login(&first, &nginx.base, forged).await, (429, json!(105)));
    assert_eq!(login(&second, &nginx.base, None).await, (200, json!(0)));

    // Plain HTTP only redirects to HTTPS.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let redirect = plain
        .post(format!("{}/auth/login", nginx.plain))
        .send()
        .await
        .expect("plain HTTP");
    assert_eq!(redirect.status(), 301);
    assert_eq!(
        redirect.headers()["location"],
        "https://127.0.0.1/auth/login"
    );
    let hsts = first
        .get(format!("{}/openapi.json", nginx.base))
        .send()
        .await
        .expect("GET through nginx");
    assert!(hsts.headers()["strict-transport-security"]
        .to_str()
        .expect("ASCII")
        .starts_with("max-age="));

    // A member signed in on the server itself (its own address's sign-ins), and an upload past
    // nginx's default 1 MiB body, streamed through, then read back.
    let owner = common::user(&server, "deploy-owner").await;
    let group = common::create_group(&server, &owner, "deploy 上传组").await;
    let bytes: Vec<u8> = (0..24 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let res = first
        .post(format!("{}{}", nginx.base, common::paths::files::UPLOAD))
        .header("token", &owner.token)
        .multipart(group_file_form(group, None, "big.bin", bytes.clone()))
        .send()
        .await
        .expect("upload through nginx");
    let status = res.status();
    let text = res.text().await.expect("body");
    assert_eq!(status, 200, "upload through nginx: {text}");
    let answer: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(answer["code"], 0, "{answer}");
    let file = answer["file_id"].as_i64().expect("file_id");
    let download = first
        .get(format!(
            "{}{}?group_id={group}&file_id={file}",
            nginx.base,
            common::paths::files::DOWNLOAD
        ))
        .header("token", &owner.token)
        .send()
        .await
        .expect("download through nginx");
    assert_eq!(download.status(), 200);
    assert!(download.bytes().await.expect("body") == bytes);
}

#[tokio::test]
async fn nginx_site_sends_the_chat_sockets_to_the_relay_over_wss() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pair = Pair::make(dir.path(), "site");
    let pem = pair.cert_pem();
    // compose.yaml's topology: the server, a relay in front of it, Redis between relays.
    let mut cluster = Cluster::start(1).await;
    let server = cluster.server.base.trim_start_matches("http://").to_owned();
    let relay = cluster.relays[0]
        .base
        .trim_start_matches("http://")
        .to_owned();
    let nginx = Nginx::start(dir.path(), &server, &relay, &pair).await;

    let (group, users) = team(&cluster.server, "deploy", 2).await;
    let path = group_path(group);
    let mut on_a = wss(&nginx, &pem, &users[0].token, &path)
        .await
        .expect("a WSS handshake through nginx");
    let mut on_b = wss(&nginx, &pem, &users[1].token, &path)
        .await
        .expect("a WSS handshake through nginx");
    say(&mut on_a, "through nginx").await;
    assert_eq!(content(&next_live(&mut on_a, WAIT).await), "through nginx");
    assert_eq!(content(&next_live(&mut on_b, WAIT).await), "through nginx");

    // The sockets were the relay's: without it they fail (502), while the API goes on.
    cluster.relays[0].kill();
    let refused = wss(&nginx, &pem, &users[0].token, &path).await;
    assert!(
        matches!(&refused, Err(Http(res)) if res.status() == 502),
        "a socket with the relay gone: {refused:?}"
    );
    let api = client(&pem, Ipv4Addr::LOCALHOST)
        .post(format!("{}/user/info/text/getInfo", nginx.base))
        .header("token", &users[0].token)
        .json(&json!({}))
        .send()
        .await
        .expect("the API through nginx");
    assert_eq!(api.status(), 200);
}

// ---------------------------------------------------------------------------------------------
// The files' facts against the project
// ---------------------------------------------------------------------------------------------

/// Every document of a YAML file as JSON (PyYAML: the YAML reader the checkers bring).
fn yaml(path: &str) -> Vec<Value> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)",
        ])
        .arg(root().join(path))
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn toml(path: &str) -> toml_edit::DocumentMut {
    read(path).parse().unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `ZUDUI_*` names the README's tables document (Configuration, the relay's own).
fn documented_settings() -> BTreeSet<String> {
    read("README.md")
        .lines()
        .filter(|line| line.starts_with("| `ZUDUI_"))
        .flat_map(|line| line.split('|').nth(1).unwrap_or_default().split(','))
        .map(|name| name.trim().trim_matches('`').to_owned())
        .collect()
}

/// Every `ZUDUI_*` word of `text`.
fn settings_in(text: &str) -> BTreeSet<String> {
    text.match_indices("ZUDUI_")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect()
}

const DEPLOY_FILES: [&str; 11] = [
    "deploy/Dockerfile",
    "deploy/compose.yaml",
    "deploy/zudui.env.example",
    "deploy/nginx/zudui.conf",
    "deploy/systemd/zudui.service",
    "deploy/systemd/zudui-relay.service",
    "deploy/spinkube/spinapp.yaml",
    "deploy/spinkube/relay.yaml",
    "deploy/spinkube/redis.yaml",
    "deploy/spinkube/ingress.yaml",
    "deploy/spinkube/secret.example.yaml",
];

#[test]
fn every_setting_the_deploy_files_name_is_a_real_one() {
    let known = documented_settings();
    for file in DEPLOY_FILES {
        let unknown: Vec<_> = settings_in(&read(file))
            .into_iter()
            .filter(|name| !known.contains(name))
            .collect();
        assert!(
            unknown.is_empty(),
            "{file} sets unknown settings {unknown:?}"
        );
    }
}

#[test]
fn the_image_builds_the_projects_binaries_with_a_recent_enough_rust() {
    let dockerfile = read("deploy/Dockerfile");
    let manifest = toml("Cargo.toml");
    // `zudui` is the package's default binary, `zudui-relay` src/bin/zudui-relay.rs.
    let binaries: BTreeSet<String> = std::iter::once(
        manifest["package"]["name"]
            .as_str()
            .expect("package name")
            .to_owned(),
    )
    .chain(
        std::fs::read_dir(root().join("src/bin"))
            .expect("src/bin")
            .map(|e| {
                let path = e.expect("entry").path();
                path.file_stem()
                    .expect("stem")
                    .to_string_lossy()
                    .into_owned()
            }),
    )
    .collect();
    let built: BTreeSet<String> = dockerfile
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("target/release/"))
        .map(String::from)
        .collect();
    assert_eq!(built, binaries, "the binaries the image copies");
    for bin in &binaries {
        assert!(dockerfile.contains(&format!("--bin {bin}")), "builds {bin}");
    }

    let version = |v: &str| -> Vec<u32> {
        v.split('.')
            .map(|n| n.parse().unwrap_or_else(|_| panic!("version {v}")))
            .collect()
    };
    let required = version(
        manifest["workspace"]["package"]["rust-version"]
            .as_str()
            .expect("rust-version"),
    );
    let image = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("FROM rust:"))
        .expect("a Rust build stage");
    let tag = image.split(['-', ' ']).next().expect("tag");
    assert!(
        version(tag) >= required,
        "rust:{tag} is older than {required:?}"
    );

    for fact in [
        "ZUDUI_DATA_DIR=/data",
        "ZUDUI_LISTEN=0.0.0.0:8080",
        "VOLUME [\"/data\"]",
        "/healthz",
    ] {
        assert!(dockerfile.contains(fact), "the Dockerfile has {fact}");
    }
    assert!(
        dockerfile
            .lines()
            .any(|l| l.starts_with("USER ") && !l.contains("root")),
        "runs as a user of its own"
    );
}

#[test]
fn compose_nginx_and_the_server_agree_on_names_ports_and_sizes() {
    let compose = &yaml("deploy/compose.yaml")[0];
    let services = compose["services"].as_object().expect("services");
    let site = read("deploy/nginx/zudui.conf");
    let env = |service: &str, name: &str| -> String {
        services[service]["environment"][name]
            .as_str()
            .unwrap_or_else(|| panic!("{service} sets {name}"))
            .to_owned()
    };
    // Each upstream is a service of compose.yaml on the port that service listens on.
    for (service, setting) in [
        ("zudui", "ZUDUI_LISTEN"),
        ("zudui-relay", "ZUDUI_RELAY_LISTEN"),
    ] {
        let port = env(service, setting)
            .rsplit(':')
            .next()
            .expect("port")
            .to_owned();
        assert!(
            site.contains(&format!("server {service}:{port};")),
            "nginx reaches {service} on {port}"
        );
    }
    assert_eq!(env("zudui-relay", "ZUDUI_CHAT_URL"), {
        let port = env("zudui", "ZUDUI_LISTEN");
        format!("http://zudui:{}", port.rsplit(':').next().expect("port"))
    });
    assert_eq!(
        env("zudui", "ZUDUI_RELAY_URL"),
        format!(
            "http://zudui-relay:{}",
            env("zudui-relay", "ZUDUI_RELAY_LISTEN")
                .rsplit(':')
                .next()
                .expect("port")
        )
    );
    let redis = env("zudui-relay", "ZUDUI_REDIS_URL");
    assert!(services.contains_key("redis") && redis.starts_with("redis://redis:"));
    // Both trust what nginx says of the client.
    for service in ["zudui", "zudui-relay"] {
        assert_eq!(env(service, "ZUDUI_CLIENT_IP_HEADER"), "x-forwarded-for");
    }
    assert!(site.contains("proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;"));

    let mounts: Vec<&str> = services["nginx"]["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(mounts
        .iter()
        .any(|m| m.starts_with("./nginx/zudui.conf:/etc/nginx/conf.d/")));
    assert!(mounts
        .iter()
        .any(|m| m.starts_with("./certs:/etc/nginx/certs")));

    // The chat's socket paths, and no others, go to the relay.
    let names: Vec<&str> = zudui_relay::session::SOCKET_PATHS
        .iter()
        .map(|p| p.strip_prefix("/chat/").expect("a chat path"))
        .collect();
    assert!(site.contains(&format!("location ~ ^/chat/({})$ {{", names.join("|"))));

    // The body limit holds the largest one-shot upload: a whole group quota and its form.
    let quota: u64 = toml("spin.toml")["variables"]["group_quota_bytes"]["default"]
        .as_str()
        .expect("group_quota_bytes")
        .parse()
        .expect("a number");
    let limit_mib: u64 = site
        .lines()
        .find_map(|l| l.trim().strip_prefix("client_max_body_size "))
        .and_then(|v| v.strip_suffix("m;"))
        .expect("client_max_body_size in MiB")
        .parse()
        .expect("a number");
    assert!(limit_mib << 20 >= quota + (64 << 10), "{limit_mib} MiB");
    assert!(site.contains("ssl_protocols TLSv1.2 TLSv1.3;"));
    assert!(site.contains("Strict-Transport-Security"));
}

/// The fields of a SpinApp's spec, of its runtime configuration and of a variable, as
/// spin-operator's CRD (core.spinkube.dev_spinapps.yaml, v1alpha1) declares them.
const SPINAPP_SPEC: [&str; 18] = [
    "checks",
    "components",
    "deploymentAnnotations",
    "enableAutoscaling",
    "executor",
    "image",
    "imagePullSecrets",
    "invocationLimits",
    "podAnnotations",
    "podLabels",
    "replicas",
    "resources",
    "runtimeConfig",
    "serviceAccountName",
    "serviceAnnotations",
    "variables",
    "volumeMounts",
    "volumes",
];
const RUNTIME_CONFIG: [&str; 4] = [
    "keyValueStores",
    "sqliteDatabases",
    "llmCompute",
    "loadFromSecret",
];

fn keys(value: &Value) -> Vec<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn the_spinapp_sets_spin_tomls_variables_from_the_secret() {
    let docs = yaml("deploy/spinkube/spinapp.yaml");
    let app = docs
        .iter()
        .find(|d| d["kind"] == "SpinApp")
        .expect("a SpinApp");
    assert_eq!(app["apiVersion"], "core.spinkube.dev/v1alpha1");
    let spec = &app["spec"];
    for key in keys(spec) {
        assert!(SPINAPP_SPEC.contains(&key), "SpinApp spec.{key}");
    }
    for key in keys(&spec["runtimeConfig"]) {
        assert!(RUNTIME_CONFIG.contains(&key), "runtimeConfig.{key}");
    }
    // A store is a name, a type and options; an option or a variable a name and a value.
    let fields = |value: &Value, allowed: &[&str], what: &str| {
        for key in keys(value) {
            assert!(allowed.contains(&key), "{what}: {key}");
        }
    };
    for list in ["sqliteDatabases", "keyValueStores"] {
        for store in spec["runtimeConfig"][list].as_array().expect(list) {
            fields(store, &["name", "type", "options"], list);
            for option in store["options"].as_array().into_iter().flatten() {
                fields(option, &["name", "value", "valueFrom"], "an option");
            }
        }
    }
    for var in spec["variables"].as_array().expect("variables") {
        fields(var, &["name", "value", "valueFrom"], "a variable");
    }
    for probe in ["liveness", "readiness"] {
        let check = &spec["checks"][probe];
        let allowed = [
            "httpGet",
            "initialDelaySeconds",
            "periodSeconds",
            "timeoutSeconds",
            "failureThreshold",
            "successThreshold",
        ];
        fields(check, &allowed, probe);
        fields(&check["httpGet"], &["path", "httpHeaders"], probe);
    }
    // The stores every component of spin.toml opens, each named once with a type.
    for (list, manifest_key) in [
        ("sqliteDatabases", "sqlite_databases"),
        ("keyValueStores", "key_value_stores"),
    ] {
        let named: BTreeSet<&str> = spec["runtimeConfig"][list]
            .as_array()
            .expect(list)
            .iter()
            .map(|s| {
                assert!(s["type"].is_string(), "{list}: {s}");
                s["name"].as_str().expect("name")
            })
            .collect();
        let manifest = toml("spin.toml");
        for (name, component) in manifest["component"].as_table().expect("components") {
            for store in component[manifest_key].as_array().expect(manifest_key) {
                let store = store.as_str().expect("a store name");
                assert!(named.contains(store), "{name} opens {store}");
            }
        }
    }
    assert_eq!(spec["checks"]["liveness"]["httpGet"]["path"], "/healthz");
    assert_eq!(spec["checks"]["readiness"]["httpGet"]["path"], "/readyz");

    let manifest = toml("spin.toml");
    let declared = manifest["variables"].as_table().expect("[variables]");
    let secret = &yaml("deploy/spinkube/secret.example.yaml")[0];
    let secret_name = secret["metadata"]["name"].as_str().expect("name");
    let secret_keys = keys(&secret["stringData"]);
    let mut set = BTreeSet::new();
    for var in spec["variables"].as_array().expect("variables") {
        let name = var["name"].as_str().expect("name");
        assert!(set.insert(name), "{name} set twice");
        let decl = declared
            .get(name)
            .unwrap_or_else(|| panic!("{name} is no variable of spin.toml"));
        let is_secret = decl
            .as_inline_table()
            .and_then(|t| t.get("secret"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        match (&var["value"], &var["valueFrom"]["secretKeyRef"]) {
            (Value::String(_), Value::Null) => {
                assert!(!is_secret, "the secret {name} is written in the SpinApp")
            }
            (Value::Null, reference) => {
                assert_eq!(reference["name"], secret_name, "{name}");
                let key = reference["key"].as_str().expect("key");
                assert!(secret_keys.contains(&key), "{name}: no key {key}");
            }
            _ => panic!("{name}: a value or a secretKeyRef: {var}"),
        }
    }
    // Every secret and every required variable is given.
    for (name, decl) in declared.iter() {
        let table = decl.as_inline_table().expect("a variable");
        let needed = ["secret", "required"]
            .iter()
            .any(|k| table.get(k).and_then(|v| v.as_bool()) == Some(true));
        assert!(
            !needed || set.contains(name),
            "the SpinApp leaves out {name}"
        );
    }
}

#[test]
fn the_relay_ingress_and_redis_find_each_other() {
    let mut services = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for file in ["relay.yaml", "redis.yaml"] {
        for doc in yaml(&format!("deploy/spinkube/{file}")) {
            if doc["kind"] == "Service" {
                let name = doc["metadata"]["name"].as_str().expect("name").to_owned();
                for port in doc["spec"]["ports"].as_array().expect("ports") {
                    ports.insert((name.clone(), port["port"].as_i64().expect("port")));
                }
                services.insert(name);
            }
        }
    }
    // The SpinApp's Service is named after it, on port 80.
    let app = &yaml("deploy/spinkube/spinapp.yaml")[0];
    let app_name = app["metadata"]["name"].as_str().expect("name").to_owned();
    ports.insert((app_name.clone(), 80));

    let relay = &yaml("deploy/spinkube/relay.yaml")[0];
    let container = &relay["spec"]["template"]["spec"]["containers"][0];
    let env: Vec<(&str, &str)> = container["env"]
        .as_array()
        .expect("env")
        .iter()
        .filter_map(|e| Some((e["name"].as_str()?, e["value"].as_str()?)))
        .collect();
    let get = |name: &str| {
        env.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("the relay sets {name}"))
    };
    assert_eq!(get("ZUDUI_CHAT_URL"), format!("http://{app_name}"));
    assert!(ports.contains(&("zudui-redis".into(), 6379)));
    assert_eq!(get("ZUDUI_REDIS_URL"), "redis://zudui-redis:6379");
    let relay_port: i64 = get("ZUDUI_RELAY_LISTEN")
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(ports.contains(&("zudui-relay".into(), relay_port)));
    let relay_url = app["spec"]["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .find(|v| v["name"] == "relay_url")
        .expect("relay_url");
    assert_eq!(
        relay_url["value"],
        format!("http://zudui-relay:{relay_port}")
    );
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");

    let ingress = &yaml("deploy/spinkube/ingress.yaml")[0];
    // The same body limit as the nginx site's.
    let body_limit = ingress["metadata"]["annotations"]
        ["nginx.ingress.kubernetes.io/proxy-body-size"]
        .as_str()
        .expect("proxy-body-size");
    assert!(
        read("deploy/nginx/zudui.conf").contains(&format!("client_max_body_size {body_limit};"))
    );
    let mut socket_paths = BTreeSet::new();
    for path in ingress["spec"]["rules"][0]["http"]["paths"]
        .as_array()
        .expect("paths")
    {
        let backend = &path["backend"]["service"];
        let to = (
            backend["name"].as_str().expect("name").to_owned(),
            backend["port"]["number"].as_i64().expect("port"),
        );
        assert!(ports.contains(&to), "the ingress reaches {to:?}");
        if to.0 == "zudui-relay" {
            assert_eq!(path["pathType"], "Exact");
            socket_paths.insert(path["path"].as_str().expect("path").to_owned());
        }
    }
    let expected: BTreeSet<String> = zudui_relay::session::SOCKET_PATHS
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(socket_paths, expected, "the chat's sockets go to the relay");
}

#[test]
fn the_systemd_units_run_the_projects_binaries_hardened() {
    for (unit, bin) in [("zudui", "zudui"), ("zudui-relay", "zudui-relay")] {
        let text = read(&format!("deploy/systemd/{unit}.service"));
        assert!(text.contains(&format!("ExecStart=/usr/local/bin/{bin}\n")));
        for line in [
            "DynamicUser=yes",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "EnvironmentFile=/etc/zudui/zudui.env",
            "Restart=on-failure",
        ] {
            assert!(text.contains(line), "{unit}.service: {line}");
        }
    }
    let server = read("deploy/systemd/zudui.service");
    assert!(server.contains("StateDirectory=zudui\n"));
    assert!(server.contains("Environment=ZUDUI_DATA_DIR=/var/lib/zudui\n"));
}

// ---------------------------------------------------------------------------------------------
// The checkers
// ---------------------------------------------------------------------------------------------

/// Runs `program` with `args` from the repository root; it must succeed and, when `quiet`, say
/// nothing on stderr (systemd-analyze reports unknown keys there and still exits 0).
fn check(program: &str, args: &[&str], quiet: bool) {
    let out = Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program}: {e} (tests/run.sh installs the checkers the tests need)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && (!quiet || stderr.trim().is_empty()),
        "{program} {args:?}: {}{stderr}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_checkers_accept_the_deploy_files() {
    check("hadolint", &["deploy/Dockerfile"], false);
    check(
        "check-jsonschema",
        &[
            "--builtin-schema",
            "vendor.compose-spec",
            "deploy/compose.yaml",
        ],
        false,
    );
    let manifests: Vec<String> = std::fs::read_dir(root().join("deploy/spinkube"))
        .expect("deploy/spinkube")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".yaml"))
        .collect();
    let mut args = vec!["--strict"];
    args.extend(manifests.iter().map(String::as_str));
    check("kubernetes-validate", &args, false);

    // systemd-analyze verify wants the binaries to exist: the units as they are but for their
    // ExecStart, which runs the binaries cargo built.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut units = Vec::new();
    for (unit, built) in [
        ("zudui", env!("CARGO_BIN_EXE_zudui")),
        ("zudui-relay", env!("CARGO_BIN_EXE_zudui-relay")),
    ] {
        let text = read(&format!("deploy/systemd/{unit}.service"));
        let text = substitute(
            &text,
            &format!("ExecStart=/usr/local/bin/{unit}\n"),
            &format!("ExecStart={built}\n"),
            1,
        );
        let path = dir.path().join(format!("{unit}.service"));
        std::fs::write(&path, text).expect("unit");
        units.push(path.display().to_string());
    }
    let mut args = vec!["verify"];
    args.extend(units.iter().map(String::as_str));
    check("systemd-analyze", &args, true);
    // Exposure as systemd rates the sandboxing, 0 (safe) to 100 (the scale it prints as 0 to 10):
    // at most 2.5, where the units are at 1.5.
    for unit in &units {
        check(
            "systemd-analyze",
            &["security", "--offline=yes", "--threshold=25", unit],
            false,
        );
    }
}
