//! The HTTP front of the native server: axum hands every request to the shared router.

use std::sync::Arc;
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::State;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use std::sync::atomic::{AtomicBool, Ordering};
use zudui_shared::config::Settings;
use zudui_shared::native::{SqliteDb, SqliteKv};
use zudui_shared::{routes, App, Body};

use crate::client::NativeHttp;
use crate::env_config::EnvConfig;

/// Opens the data directory and builds the application the handlers run against.
pub fn open_app(config: &EnvConfig) -> anyhow::Result<App> {
    let db = SqliteDb::open(&config.data_dir.join("zudui.sqlite"))?;
    zudui_shared::migrate::ensure(&db).map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    let kv = SqliteKv::open(&config.data_dir.join("kv.sqlite"))?;
    let settings = Settings::load(config).map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    log::info!("settings: {settings:?}");
    Ok(App::new(
        Box::new(db),
        Box::new(kv),
        Box::new(NativeHttp::new()?),
        settings,
    ))
}

pub async fn run(config: EnvConfig) -> anyhow::Result<()> {
    let app = Arc::new(open_app(&config)?);
    let router = axum::Router::new().fallback(handle).with_state(app);
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    log::info!(
        "zudui listening on http://{} with data in {}",
        listener.local_addr()?,
        config.data_dir.display()
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    log::info!("zudui stopped");
    Ok(())
}

/// Every request: convert, route through the shared handlers, convert back, log one line.
async fn handle(
    State(app): State<Arc<App>>,
    req: axum::extract::Request,
) -> axum::response::Response {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings may carry tokens.
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let finished = Arc::new(AtomicBool::new(body.is_end_stream()));
    let stream = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .chain(futures_util::stream::once({
            let finished = finished.clone();
            async move {
                finished.store(true, Ordering::Relaxed);
                Ok(Bytes::new())
            }
        }))
        .try_filter(|chunk| std::future::ready(!chunk.is_empty()));
    let request = http::Request::from_parts(parts, Body::stream(stream));
    let mut response = routes::finish(routes::all(&app, request).await);
    if !finished.load(Ordering::Relaxed) {
        // The handler answered before reading the whole body (an early refusal): the rest of it
        // is still on the wire, so this connection cannot carry another request.
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    log::info!(
        "{method} {path} {} {:.1}ms",
        response.status().as_u16(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    let (parts, body) = response.into_parts();
    let body = match body.as_full() {
        Some(bytes) => axum::body::Body::from(bytes.clone()),
        None => axum::body::Body::from_stream(body.into_stream()),
    };
    axum::response::Response::from_parts(parts, body)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    log::info!("shutting down");
}
