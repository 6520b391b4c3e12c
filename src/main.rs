//! `zudui`: the native server. It serves every route of the API (and, later, the chat) on one port,
//! with SQLite and local storage under a data directory, and needs no setup.

mod client;
mod env_config;
mod server;

use std::process::ExitCode;

const USAGE: &str = "usage: zudui [serve]

Serves the Zudui API on ZUDUI_LISTEN (default 127.0.0.1:8080) with data in ZUDUI_DATA_DIR
(default ./data). Every setting is an environment variable; see README.md.";

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(),
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
