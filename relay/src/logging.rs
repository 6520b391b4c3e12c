//! The native processes' logs (the server and the relay): `tracing`, one JSON object per line
//! (`ZUDUI_LOG_FORMAT=json`, the default unless standard error is a terminal) or text for people
//! (`text`), filtered by `RUST_LOG` (default `info`). Records of the `log` crate, which the
//! shared crate writes, arrive as events too.

use std::io::IsTerminal;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// A boxed layer over the registry, as the server adds its own beside the log lines.
pub type Boxed = Box<dyn Layer<Registry> + Send + Sync>;

/// The lines the settings ask for, written to standard error.
pub fn lines() -> anyhow::Result<Boxed> {
    let format = std::env::var("ZUDUI_LOG_FORMAT").ok();
    let json = match format.as_deref().map(str::trim) {
        None | Some("") => !std::io::stderr().is_terminal(),
        Some("json") => true,
        Some("text") => false,
        Some(other) => anyhow::bail!("ZUDUI_LOG_FORMAT={other:?}: json or text"),
    };
    let layer = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    Ok(match json {
        // Spans' fields (the request's id, route) on every event inside them.
        true => layer
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
        false => layer.with_ansi(std::io::stderr().is_terminal()).boxed(),
    })
}

/// `RUST_LOG`, default `info`.
pub fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs `layers` (the log lines first) under the filter, for the whole process.
pub fn install(layers: Vec<Boxed>) -> anyhow::Result<()> {
    tracing_subscriber::registry()
        .with(layers.with_filter(filter()))
        .try_init()?;
    Ok(())
}
