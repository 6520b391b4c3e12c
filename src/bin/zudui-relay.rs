//! `zudui-relay`: the chat relay in front of a Spin deployment (see `zudui_relay::service`).
//! Settings are environment variables: `ZUDUI_CHAT_URL`, `ZUDUI_RELAY_SECRET`,
//! `ZUDUI_JWT_SECRET`, and optionally `ZUDUI_RELAY_LISTEN`, `ZUDUI_RELAY_TLS_CERT` with
//! `ZUDUI_RELAY_TLS_KEY` (HTTPS/WSS), `ZUDUI_REDIS_URL` (`redis://` or `rediss://`) and
//! `ZUDUI_REDIS_CA_CERT` (see the README's relay section).

use std::process::ExitCode;

use zudui_relay::service::{run, stopped, RelayConfig};
use zudui_shared::config::Environment;

fn main() -> ExitCode {
    if let Err(err) =
        zudui_relay::logging::lines().and_then(|l| zudui_relay::logging::install(vec![l]))
    {
        eprintln!("{err:#}");
        return ExitCode::FAILURE;
    }
    let served = RelayConfig::load(&Environment).and_then(|config| {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(config, stopped()))
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            log::error!("{err:#}");
            ExitCode::FAILURE
        }
    }
}
