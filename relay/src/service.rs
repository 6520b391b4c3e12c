//! The standalone relay in front of a Spin deployment: it holds the WebSockets, asks the `chat`
//! component (over its internal routes) to open rooms, read history and store messages, and fans
//! out what is stored. Several instances behind a load balancer share rooms through Redis.
//!
//! Besides the chat routes it serves `POST /internal/publish` (an [`Event`] from a component,
//! such as a shared file or a removed member; same secret header as the component's internal
//! routes) and the probes `GET /healthz` and `GET /readyz` (`crate::probes`).
//!
//! It serves HTTPS/WSS itself when given a certificate (see [`crate::tls`]), or plain HTTP behind
//! a proxy that terminates TLS.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use zudui_shared::chat::live::Event;
use zudui_shared::chat::relay::SECRET_HEADER;
use zudui_shared::config::{Config, ContentChecks, Values, WeChat};
use zudui_shared::limits::Limits;

use crate::component::{Component, TextChecks};
use crate::hub::Hub;
use crate::listener::{ConnectionLimits, LimitedListener};
use crate::probes::Probes;
use crate::session::Chat;
use crate::tls::{Certificates, TlsFiles};

/// The relay's settings, from `ZUDUI_*` environment variables.
pub struct RelayConfig {
    /// `ZUDUI_RELAY_LISTEN`, default `127.0.0.1:8090`.
    pub listen: String,
    /// `ZUDUI_CHAT_URL`: the Spin application's base URL.
    pub chat_url: String,
    /// `ZUDUI_RELAY_SECRET`: shared with the components (`relay_secret`).
    pub secret: String,
    /// `ZUDUI_JWT_SECRET`: the components' token signing key (`jwt_secret`).
    pub jwt_secret: String,
    /// `ZUDUI_REDIS_URL` (`redis://host:6379`, or `rediss://` over TLS): share rooms with other
    /// instances.
    pub redis_url: Option<String>,
    /// `ZUDUI_REDIS_CA_CERT`: a PEM file of the CA that signed a `rediss://` server's
    /// certificate, in place of the system's roots (a managed Redis with a private CA).
    pub redis_ca_cert: Option<String>,
    /// `ZUDUI_RELAY_TLS_CERT` and `ZUDUI_RELAY_TLS_KEY`: serve HTTPS/WSS with this pair.
    pub tls: Option<TlsFiles>,
    /// `ZUDUI_RATE_LIMITS`, as the components read it: the relay counts chat messages.
    pub rate_limits: Limits,
    /// `ZUDUI_MAX_CONNECTIONS` and the other limits of [`ConnectionLimits::load`].
    pub connections: ConnectionLimits,
    /// WeChat's credentials and the content-check settings, as the components read them: the
    /// relay judges chat texts itself (the components' outbound budget is small).
    pub wechat: WeChat,
    pub content: ContentChecks,
    /// `ZUDUI_METRICS_LISTEN`: where Prometheus metrics are served (none when unset).
    pub metrics_listen: Option<String>,
}

impl RelayConfig {
    /// Every setting of the relay from `config` (the environment: `ZUDUI_CHAT_URL` is
    /// `chat_url`), checked now.
    pub fn load(config: &dyn Config) -> anyhow::Result<RelayConfig> {
        let values = Values(config);
        let need = |name: &str| {
            values
                .get(name)
                .ok_or_else(|| anyhow::anyhow!("the {name} setting is required"))
        };
        let config = RelayConfig {
            listen: values
                .get("relay_listen")
                .unwrap_or_else(|| "127.0.0.1:8090".into()),
            chat_url: need("chat_url")?,
            secret: need("relay_secret")?,
            jwt_secret: need("jwt_secret")?,
            redis_url: values.get("redis_url"),
            redis_ca_cert: values.get("redis_ca_cert"),
            tls: TlsFiles::from_settings(
                values.get("relay_tls_cert"),
                values.get("relay_tls_key"),
            )?,
            rate_limits: Limits::parse(values.get("rate_limits").as_deref())?,
            connections: ConnectionLimits::load(&values)?,
            wechat: WeChat::read(&values)?,
            content: ContentChecks::read(&values)?,
            metrics_listen: values.get("metrics_listen"),
        };
        if config.secret.len() < 16 || config.jwt_secret.len() < 16 {
            anyhow::bail!("relay_secret and jwt_secret must be at least 16 bytes");
        }
        Ok(config)
    }
}

#[derive(Clone)]
struct Publishing {
    hub: Arc<Hub>,
    secret: Arc<str>,
}

/// Serves until `shutdown` completes.
pub async fn run(
    config: RelayConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // rustls' default provider, for the Redis client's TLS (redis-rs asks for the default).
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let redis = config
        .redis_url
        .as_deref()
        .map(|url| redis_client(url, config.redis_ca_cert.as_deref()))
        .transpose()?;
    crate::metrics_http::serve(config.metrics_listen.clone()).await?;
    // The pair is read before listening: a relay with a bad certificate does not start.
    let tls = config.tls.clone().map(Certificates::load).transpose()?;
    let shared = redis.is_some();
    let probes = Probes::new(redis.clone(), &config.chat_url)?;
    let hub = Hub::new(redis);
    let texts = TextChecks::new(config.wechat, config.content)?;
    let backend = Component::new(
        &config.chat_url,
        &config.secret,
        config.jwt_secret.as_bytes(),
        config.rate_limits.clone(),
        texts,
    )?;
    let chat = Chat::new(Arc::new(backend), hub.clone());
    let publishing = Publishing {
        hub: hub.clone(),
        secret: config.secret.as_str().into(),
    };
    let router = chat
        .routes()
        .route("/internal/publish", post(publish).with_state(publishing))
        .merge(probes.routes())
        .layer(axum::middleware::from_fn(crate::access::logged));
    let listener = tokio::net::TcpListener::bind(&config.listen).await?;
    log::info!(
        "zudui-relay listening on {}://{} for {}{}",
        if tls.is_some() { "https" } else { "http" },
        listener.local_addr()?,
        config.chat_url,
        if shared {
            ", rooms shared through Redis"
        } else {
            ""
        }
    );
    let listener = LimitedListener::new(listener, config.connections);
    let shutdown = async move {
        shutdown.await;
        hub.close_all();
    };
    match tls {
        Some(certificates) => {
            certificates.watch();
            let acceptor = certificates.acceptor()?;
            crate::serve::serve_tls(listener, acceptor, router, shutdown).await?
        }
        None => crate::serve::serve(listener, router, shutdown).await?,
    }
    log::info!("zudui-relay stopped");
    Ok(())
}

/// The Redis client for `url`; `rediss://` verifies the server against `ca_cert` (a PEM file)
/// when given, else against the system's roots.
fn redis_client(url: &str, ca_cert: Option<&str>) -> anyhow::Result<redis::Client> {
    let client = match ca_cert {
        None => redis::Client::open(url),
        Some(path) => {
            let root_cert = std::fs::read(path)
                .map_err(|err| anyhow::anyhow!("ZUDUI_REDIS_CA_CERT {path}: {err}"))?;
            let certificates = redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_cert),
            };
            redis::Client::build_with_tls(url, certificates)
        }
    };
    client.map_err(|err| anyhow::anyhow!("ZUDUI_REDIS_URL: {err}"))
}

/// An event from a component: delivered here and to the other instances.
async fn publish(
    State(publishing): State<Publishing>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let given = headers.get(SECRET_HEADER).and_then(|v| v.to_str().ok());
    if !given.is_some_and(|g| zudui_shared::secrets::matches(g, &publishing.secret)) {
        return StatusCode::NOT_FOUND;
    }
    match serde_json::from_slice::<Event>(&body) {
        Ok(event) => {
            publishing.hub.accept_confirmed(event).await;
            StatusCode::NO_CONTENT
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// Ctrl-C or SIGTERM.
pub async fn stopped() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_urls_with_and_without_tls_are_taken() {
        for url in ["redis://127.0.0.1:6379/", "rediss://cache.example:6380/0"] {
            let client = redis_client(url, None).unwrap_or_else(|e| panic!("{url}: {e}"));
            let tls = matches!(
                client.get_connection_info().addr(),
                redis::ConnectionAddr::TcpTls { .. }
            );
            assert_eq!(tls, url.starts_with("rediss:"), "{url}");
        }
        assert!(redis_client("rediss://cache.example/#unchecked", None).is_err());
    }
}
