//! `zudui`: the native server. It serves every route of the API (and, later, the chat) on one port,
//! with SQLite and local storage under a data directory, and needs no setup.

mod backup;
mod blocking;
mod chat;
mod chunks;
mod env_config;
mod seed;
mod server;
mod spin_manifest;
mod telemetry;
mod untrusted;

use std::process::ExitCode;

const USAGE: &str = "usage: zudui [serve]
       zudui seed [--users N] [--groups M] [--seed S]
       zudui spin-manifest [--from spin.toml] [--out spin.cloud.toml]
       zudui backup [--copy] DIR
       zudui restore [--force | --check] DIR

serve (the default) serves the Zudui API on ZUDUI_LISTEN (default 127.0.0.1:8080) with data in
ZUDUI_DATA_DIR (default ./data). seed fills ZUDUI_DATA_DIR with realistic users and groups for
demos and benchmarks. spin-manifest writes spin.toml with the literal allowed_outbound_hosts
that the settings need (hosted Spin does not expand variables there), to standard output without
--out. backup copies ZUDUI_DATA_DIR consistently into DIR while the server runs; restore puts
such a copy back (`zudui backup --help`). Every setting is an environment variable; see README.md.";

fn main() -> ExitCode {
    let _telemetry = match telemetry::init() {
        Ok(guard) => guard,
        Err(err) => {
            eprintln!("{err:#}");
            return ExitCode::FAILURE;
        }
    };
    // Panics go to the log like every other failure; the request that hit one gets 100.
    std::panic::set_hook(Box::new(|info| log::error!("panic: {info}")));
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
        Some("seed") => seed(&args[1..]),
        Some("spin-manifest") => {
            spin_manifest::ManifestArgs::parse(&args[1..]).and_then(|a| spin_manifest::run(&a))
        }
        Some(command @ ("backup" | "restore")) => return backup::command(command, &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(server::run(env_config::EnvConfig::from_env()?))
}

fn seed(args: &[String]) -> anyhow::Result<()> {
    let args = seed::SeedArgs::parse(args)?;
    let data_dir = env_config::data_dir();
    let started = std::time::Instant::now();
    let (users, groups, memberships) = seed::run(&data_dir, &args)?;
    log::info!(
        "seeded {users} users, {groups} groups, {memberships} memberships into {} in {:.1}s",
        data_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
