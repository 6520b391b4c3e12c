//! HTTPS/WSS for the relay (a mini-program connects to `wss://` domains only): a certificate
//! chain and key from PEM files, read again when they change on disk so that a renewal
//! (certbot, acme.sh) needs no restart. A new pair that does not load (half written, the key of
//! another certificate) is logged and the pair in use kept; it is tried again when the files
//! change again.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// How often the files are looked at: a stat of each, cheap enough to see a renewal soon.
pub const RELOAD_CHECK: Duration = Duration::from_secs(2);

/// Where the certificate chain and its key are (`ZUDUI_RELAY_TLS_CERT`, `ZUDUI_RELAY_TLS_KEY`).
#[derive(Debug, Clone, PartialEq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    /// Both paths or neither (plain HTTP, e.g. behind a proxy that terminates TLS).
    pub fn from_settings(
        cert: Option<String>,
        key: Option<String>,
    ) -> anyhow::Result<Option<Self>> {
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some(TlsFiles {
                cert: cert.into(),
                key: key.into(),
            })),
            (None, None) => Ok(None),
            _ => anyhow::bail!("set both ZUDUI_RELAY_TLS_CERT and ZUDUI_RELAY_TLS_KEY, or neither"),
        }
    }

    /// When each file was last changed, and its size: a new stamp means a new pair to try.
    fn stamp(&self) -> Option<Stamp> {
        let of = |path: &Path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        };
        Some([of(&self.cert)?, of(&self.key)?])
    }

    /// The pair on disk, checked: the key parses and belongs to the first certificate.
    fn load(&self, provider: &CryptoProvider) -> anyhow::Result<CertifiedKey> {
        let read = |path: &Path| {
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))
        };
        let cert_pem = read(&self.cert)?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("{}: not a PEM certificate chain", self.cert.display()))?;
        if chain.is_empty() {
            anyhow::bail!("{}: no certificate in it", self.cert.display());
        }
        let key = PrivateKeyDer::from_pem_slice(&read(&self.key)?)
            .with_context(|| format!("{}: not a PEM private key", self.key.display()))?;
        CertifiedKey::from_der(chain, key, provider).with_context(|| {
            format!(
                "{} and {} are not a usable pair",
                self.cert.display(),
                self.key.display()
            )
        })
    }
}

type Stamp = [(SystemTime, u64); 2];

/// The pair handed to each handshake, swapped when the files change.
pub struct Certificates {
    files: TlsFiles,
    provider: Arc<CryptoProvider>,
    current: RwLock<Arc<CertifiedKey>>,
    /// The stamp of the files last tried, whether they loaded or not.
    tried: RwLock<Option<Stamp>>,
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("files", &self.files)
            .finish_non_exhaustive()
    }
}

impl Certificates {
    /// Loads the pair; at start a pair that does not load is an error.
    pub fn load(files: TlsFiles) -> anyhow::Result<Arc<Certificates>> {
        let provider = Arc::new(ring::default_provider());
        let stamp = files.stamp();
        let pair = files.load(&provider)?;
        Ok(Arc::new(Certificates {
            files,
            provider,
            current: RwLock::new(Arc::new(pair)),
            tried: RwLock::new(stamp),
        }))
    }

    /// Loads the files again if they changed since last tried; `true` when a new pair is in use.
    pub fn reload_if_changed(&self) -> bool {
        let stamp = self.files.stamp();
        if stamp.is_none() || *self.tried.read().unwrap_or_else(|p| p.into_inner()) == stamp {
            return false;
        }
        *self.tried.write().unwrap_or_else(|p| p.into_inner()) = stamp;
        match self.files.load(&self.provider) {
            Ok(pair) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(pair);
                log::info!(
                    "TLS certificate reloaded from {}",
                    self.files.cert.display()
                );
                true
            }
            Err(err) => {
                log::error!("TLS certificate not reloaded, the previous one stays: {err:#}");
                false
            }
        }
    }

    /// Looks at the files every [`RELOAD_CHECK`] for as long as the relay serves.
    pub fn watch(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(RELOAD_CHECK);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let Some(certificates) = weak.upgrade() else {
                    return;
                };
                certificates.reload_if_changed();
            }
        });
    }

    /// What accepts TLS connections with the pair in use at each handshake (HTTP/1.1 only, as
    /// the serving loop speaks).
    pub fn acceptor(self: &Arc<Self>) -> anyhow::Result<TlsAcceptor> {
        let mut config = ServerConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_and_key_come_together() {
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(TlsFiles::from_settings(None, None).unwrap(), None);
        assert_eq!(
            TlsFiles::from_settings(some("a.crt"), some("a.key")).unwrap(),
            Some(TlsFiles {
                cert: "a.crt".into(),
                key: "a.key".into()
            })
        );
        assert!(TlsFiles::from_settings(some("a.crt"), None).is_err());
        assert!(TlsFiles::from_settings(None, some("a.key")).is_err());
    }

    #[test]
    fn a_pair_that_does_not_load_is_an_error_at_start() {
        let missing = TlsFiles {
            cert: "/nonexistent/zudui.crt".into(),
            key: "/nonexistent/zudui.key".into(),
        };
        assert!(Certificates::load(missing).is_err());
    }
}
