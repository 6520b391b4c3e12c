//! Prometheus metrics of a native process (the server, the relay) on an address of their own
//! (`ZUDUI_METRICS_LISTEN`): operators scrape them from inside their network, and the public port
//! never shows them. What is recorded is named in `zudui_shared::metrics`.

use std::time::Duration;

use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use zudui_shared::metrics::{self, HTTP_BUCKETS, HTTP_SECONDS};

/// Histograms are folded into their buckets this often (and at every scrape).
const UPKEEP: Duration = Duration::from_secs(5);

/// Records metrics from now on and serves them at `GET /metrics` on `listen`, when given (the
/// setting unset, nothing is recorded).
pub async fn serve(listen: Option<String>) -> anyhow::Result<()> {
    let Some(listen) = listen.filter(|l| !l.trim().is_empty()) else {
        return Ok(());
    };
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Full(HTTP_SECONDS.into()), HTTP_BUCKETS)?
        .install_recorder()?;
    metrics::describe();
    let listener = tokio::net::TcpListener::bind(listen.trim())
        .await
        .map_err(|e| anyhow::anyhow!("ZUDUI_METRICS_LISTEN {listen}: {e}"))?;
    log::info!("metrics at http://{}/metrics", listener.local_addr()?);
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(UPKEEP);
        loop {
            every.tick().await;
            upkeep.run_upkeep();
        }
    });
    let router = axum::Router::new().route(
        "/metrics",
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            log::error!("metrics listener failed: {e}");
        }
    });
    Ok(())
}
