//! `zudui spin-manifest`: the manifest for hosted Spin (Fermyon Cloud does not expand templates in
//! `allowed_outbound_hosts`) lists literally the hosts the settings make the components call, keeps
//! the rest of `spin.toml`, and is one that `spin up` loads and whose listed host a component
//! really reaches. The repo's own `spin.toml` stays templated, for `spin up` with variables.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use toml_edit::DocumentMut;
use zudui_shared::outbound_hosts::HOST_SETTINGS;

mod common;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const TEMPLATES: [&str; 3] = [
    "{{ wechat_api_base }}",
    "{{ relay_url }}",
    "{{ s3_endpoint }}",
];
const S3: [(&str, &str); 4] = [
    ("blob_store", "s3"),
    ("s3_bucket", "zudui-media"),
    ("s3_access_key", "AKIDEXAMPLE"),
    ("s3_secret_key", "s3-secret-example"),
];

fn repo_manifest() -> DocumentMut {
    std::fs::read_to_string(format!("{ROOT}/spin.toml"))
        .expect("spin.toml")
        .parse()
        .expect("spin.toml is TOML")
}

/// `zudui spin-manifest` with exactly these settings (`name` for `ZUDUI_NAME`) and `args`.
fn spin_manifest(settings: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_zudui"));
    command
        .arg("spin-manifest")
        .args(["--from", &format!("{ROOT}/spin.toml")])
        .args(args);
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ZUDUI_")) {
        command.env_remove(name);
    }
    for (name, value) in settings {
        command.env(format!("ZUDUI_{}", name.to_uppercase()), value);
    }
    command.output().expect("zudui spin-manifest runs")
}

/// The manifest the settings make, parsed.
fn generated(settings: &[(&str, &str)]) -> DocumentMut {
    let out = spin_manifest(settings, &[]);
    assert!(
        out.status.success(),
        "spin-manifest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .parse()
        .expect("the generated manifest is TOML")
}

/// Each component's `allowed_outbound_hosts`, by component.
fn hosts_by_component(doc: &DocumentMut) -> Vec<(String, Vec<String>)> {
    let components = doc["component"].as_table_like().expect("[component]");
    components
        .iter()
        .map(|(name, component)| {
            let hosts = component["allowed_outbound_hosts"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: allowed_outbound_hosts is a list"))
                .iter()
                .map(|host| host.as_str().expect("a string").to_owned())
                .collect();
            (name.to_owned(), hosts)
        })
        .collect()
}

/// Every component of the generated manifest allows exactly `expected`, and no template.
fn assert_hosts(settings: &[(&str, &str)], expected: &[&str]) {
    let doc = generated(settings);
    let by_component = hosts_by_component(&doc);
    assert_eq!(by_component.len(), 6, "every component is kept");
    for (name, hosts) in by_component {
        assert!(
            hosts.iter().all(|h| !h.contains("{{")),
            "{name}: a template is left: {hosts:?}"
        );
        assert_eq!(hosts, expected, "{name} with {settings:?}");
    }
}

#[test]
fn the_repo_manifest_keeps_its_templates() {
    for (name, hosts) in hosts_by_component(&repo_manifest()) {
        assert_eq!(hosts, TEMPLATES, "spin.toml's {name}, for a local spin up");
    }
}

#[test]
fn defaults_need_only_wechat() {
    assert_hosts(&[], &["https://api.weixin.qq.com"]);
}

#[test]
fn a_relay_is_listed() {
    assert_hosts(
        &[("relay_url", "http://relay.example.com:8090/")],
        &["https://api.weixin.qq.com", "http://relay.example.com:8090"],
    );
}

#[test]
fn a_custom_wechat_base_keeps_its_port() {
    assert_hosts(
        &[("wechat_api_base", "https://wx-proxy.example.com:8443/wx/")],
        &["https://wx-proxy.example.com:8443"],
    );
}

#[test]
fn s3_in_path_style_lists_the_endpoint() {
    let mut settings = S3.to_vec();
    settings.push(("s3_endpoint", "https://minio.example.com:9000"));
    assert_hosts(
        &settings,
        &[
            "https://api.weixin.qq.com",
            "https://minio.example.com:9000",
        ],
    );
}

#[test]
fn s3_in_virtual_hosted_style_lists_the_bucket_host() {
    let mut settings = S3.to_vec();
    settings.extend([
        ("s3_endpoint", "https://cos.ap-shanghai.myqcloud.com"),
        ("s3_path_style", "0"),
        ("relay_url", "https://relay.example.com"),
    ]);
    assert_hosts(
        &settings,
        &[
            "https://api.weixin.qq.com",
            "https://relay.example.com",
            "https://zudui-media.cos.ap-shanghai.myqcloud.com",
        ],
    );
}

#[test]
fn everything_else_of_spin_toml_is_kept() {
    let mut settings = S3.to_vec();
    settings.extend([
        ("s3_endpoint", "https://s3.eu-west-1.amazonaws.com"),
        ("s3_path_style", "0"),
        ("relay_url", "https://relay.example.com"),
    ]);
    let mut doc = generated(&settings);
    // The settings that decide the hosts are handed to the components as the hosts were
    // computed from them: unset ones as empty (the built-in default).
    let variables = &doc["variables"];
    for name in HOST_SETTINGS {
        let value = settings.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        assert_eq!(
            variables[name]["default"].as_str(),
            Some(value.unwrap_or("")),
            "the default of {name}"
        );
    }
    // Without the hosts and those defaults, the text is spin.toml's, comments and order included.
    let strip = |doc: &mut DocumentMut| {
        for (_, component) in doc["component"].as_table_like_mut().unwrap().iter_mut() {
            component
                .as_table_like_mut()
                .unwrap()
                .remove("allowed_outbound_hosts")
                .expect("allowed_outbound_hosts");
        }
        for name in HOST_SETTINGS {
            doc["variables"][name]
                .as_table_like_mut()
                .unwrap()
                .remove("default");
        }
        doc.to_string()
    };
    let repo = strip(&mut repo_manifest());
    assert!(repo.contains("# Routes."), "comments are compared too");
    assert_eq!(strip(&mut doc), repo);
}

#[test]
fn settings_without_a_valid_host_are_refused() {
    let mut no_bucket = S3.to_vec();
    no_bucket.retain(|(name, _)| *name != "s3_bucket");
    no_bucket.push(("s3_endpoint", "https://minio.example.com"));
    let mut ip_virtual_hosted = S3.to_vec();
    ip_virtual_hosted.extend([
        ("s3_endpoint", "http://10.0.0.5:9000"),
        ("s3_path_style", "0"),
    ]);
    for (settings, expected) in [
        (vec![("relay_url", "relay.example.com:8090")], "relay_url"),
        (vec![("relay_url", "not a url")], "relay_url"),
        (
            vec![("wechat_api_base", "ftp://wx.example.com")],
            "wechat_api_base",
        ),
        (no_bucket, "s3_bucket"),
        (ip_virtual_hosted, "s3"),
    ] {
        let out = spin_manifest(&settings, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{settings:?} was accepted");
        assert!(
            out.stdout.is_empty(),
            "{settings:?}: no manifest on a refusal"
        );
        assert!(stderr.contains(expected), "{settings:?}: {stderr}");
    }
}

/// A generated manifest in the repo root (its `source` paths are relative to it), removed after.
struct Written(PathBuf);

impl Drop for Written {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `spin up`, stopped with its process group.
struct SpinUp(Child);

impl Drop for SpinUp {
    fn drop(&mut self) {
        if let Ok(group) = i32::try_from(self.0.id()) {
            // SAFETY: kill(2) with the id of the process group this test made; no memory involved.
            unsafe { libc::kill(-group, libc::SIGKILL) };
        }
        let _ = self.0.wait();
    }
}

/// Spin loads a generated manifest (it checks every component's hosts), and the `auth`
/// component reaches WeChat at the listed host with no variable but secrets given: a WeChat
/// login through a fake WeChat on a loopback port, which Spin would block if it were not listed.
#[tokio::test]
async fn spin_up_loads_it_and_a_component_reaches_a_listed_host() {
    let spin = common::host::which("spin").unwrap_or_else(|| {
        panic!("no `spin` on PATH: run tests/run.sh, which unpacks ../shared/tools/spin")
    });
    let wasm = "target/wasm32-wasip2/release/zudui_fn_auth.wasm";
    assert!(
        Path::new(ROOT).join(wasm).exists(),
        "{wasm} is missing: cargo build --target wasm32-wasip2 --release -p zudui-fn-auth \
         (tests/run.sh does)"
    );
    let wechat = common::wechat::FakeWechat::start().await;
    let mut settings = S3.to_vec();
    settings.extend([
        ("wechat_api_base", wechat.base.as_str()),
        ("s3_endpoint", "https://s3.eu-west-1.amazonaws.com"),
        ("s3_path_style", "0"),
        ("relay_url", "https://relay.example.com"),
    ]);
    let path = PathBuf::from(format!(
        "{ROOT}/spin.deploy-test-{}.toml",
        std::process::id()
    ));
    let written = Written(path);
    let out = spin_manifest(&settings, &["--out", written.0.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "spin-manifest failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let state = tempfile::tempdir().expect("state dir");
    let child = Command::new(spin)
        .current_dir(ROOT)
        .args(["up", "-c", "auth", "-f"])
        .arg(&written.0)
        .arg("--listen")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--state-dir")
        .arg(state.path())
        // Secrets only: every host-deciding variable comes from the manifest's defaults.
        .env("SPIN_VARIABLE_JWT_SECRET", "deploy-test-secret-0123456789")
        .env("SPIN_VARIABLE_WECHAT_APPID", common::wechat::APPID)
        .env("SPIN_VARIABLE_WECHAT_SECRET", common::wechat::SECRET)
        .env("SPIN_VARIABLE_S3_ACCESS_KEY", "AKIDEXAMPLE")
        .env("SPIN_VARIABLE_S3_SECRET_KEY", "s3-secret-example")
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spin up");
    let mut spin_up = SpinUp(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let health = client
            .get(format!("{base}/.well-known/spin/health"))
            .send()
            .await;
        if health.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if let Ok(Some(status)) = spin_up.0.try_wait() {
            let mut stderr = String::new();
            use std::io::Read;
            let _ = spin_up.0.stderr.take().unwrap().read_to_string(&mut stderr);
            panic!("spin up refused the generated manifest ({status}): {stderr}");
        }
        assert!(Instant::now() < deadline, "spin up did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let response = client
        .post(format!("{base}/auth/login"))
        .json(&json!({ "code": "good-alice" }))
        .send()
        .await
        .expect("login");
    let body: Json = response.json().await.expect("JSON");
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["openid"], "wx-alice", "{body}");
}
