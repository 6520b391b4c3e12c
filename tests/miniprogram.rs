//! The mini-program SDK (`clients/miniprogram`) against the real server: its build (types
//! regenerated from shared/openapi.json), its type checks and its Node tests, which call the
//! server through a `wx` made of fetch, `ws` and node:fs. npm installs the locked dependencies
//! first when `node_modules` is missing, so a fresh clone needs only Node and npm.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Options, Server};

fn package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/miniprogram")
}

/// Runs `npm ARGS` in the package: whether it succeeded, and what it printed.
fn npm(args: &[&str], env: &[(&str, String)]) -> (bool, String) {
    let out = Command::new("npm")
        .args(args)
        .current_dir(package())
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("npm {args:?} did not start (Node and npm are needed): {e}"));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), printed)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_works_against_the_server() {
    // Searches limited to one a second per user, for the SDK's handling of 105.
    let server = Server::with(Options::dev_login().env("ZUDUI_RATE_LIMITS", "search=1/60")).await;
    let env = vec![
        ("ZUDUI_HTTP_BASE", server.url("")),
        ("ZUDUI_WS_BASE", server.ws_base()),
        ("ZUDUI_JWT_SECRET", common::JWT_SECRET.to_owned()),
    ];
    let runs = tokio::task::spawn_blocking(move || {
        let mut runs = Vec::new();
        if !package().join("node_modules").exists() {
            runs.push(("npm ci", npm(&["ci", "--no-audit", "--no-fund"], &[])));
        }
        // The build, the type checks and the Node tests (package.json's `test`).
        runs.push(("npm test", npm(&["test"], &env)));
        runs
    })
    .await
    .expect("npm");
    for (what, (ok, printed)) in runs {
        println!("{printed}");
        assert!(ok, "{what} failed:\n{printed}");
    }
}
