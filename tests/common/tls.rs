//! Self-signed certificates for the tests that serve TLS (made with `openssl`).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::{self, client::IntoClientRequest};
use tokio_tungstenite::WebSocketStream;

pub type TlsSocket = WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>;

/// A self-signed certificate for 127.0.0.1 and its key, as PEM files in `dir`.
pub struct Pair {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Pair {
    pub fn make(dir: &Path, name: &str) -> Pair {
        let pair = Pair {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        let made = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=zudui test",
            ])
            .args(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"])
            // A server certificate (not a CA), which webpki accepts as its own trust anchor.
            .args(["-addext", "subjectAltName=IP:127.0.0.1"])
            .args(["-addext", "basicConstraints=critical,CA:FALSE"])
            .arg("-keyout")
            .arg(&pair.key)
            .arg("-out")
            .arg(&pair.cert)
            .stderr(Stdio::null())
            .status()
            .expect("openssl");
        assert!(made.success(), "openssl made no certificate");
        pair
    }

    pub fn cert_pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).expect("certificate")
    }
}

/// Opens `wss://{addr}{path_and_query}` (a server on 127.0.0.1) as `token`, trusting `cert_pem`
/// alone: the socket, or the handshake's refusal. Panics when no answer comes within `wait`.
pub async fn wss(
    addr: &str,
    cert_pem: &[u8],
    token: &str,
    path_and_query: &str,
    wait: Duration,
) -> Result<TlsSocket, tungstenite::Error> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert_pem) {
        roots.add(cert.expect("a PEM certificate")).expect("a root");
    }
    let config = ClientConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tcp = TcpStream::connect(addr).await.expect("connect");
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::IpAddress(Ipv4Addr::LOCALHOST.into()), tcp)
        .await
        .expect("TLS handshake");
    let mut req = format!("wss://{addr}{path_and_query}")
        .into_client_request()
        .expect("request");
    req.headers_mut()
        .insert("token", token.parse().expect("header value"));
    tokio::time::timeout(wait, tokio_tungstenite::client_async(req, tls))
        .await
        .unwrap_or_else(|_| {
            panic!("{path_and_query}: no WebSocket handshake answer within {wait:?}")
        })
        .map(|(socket, _)| socket)
}
