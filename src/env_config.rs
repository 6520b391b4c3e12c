//! Settings of the native server: `ZUDUI_*` environment variables (`config::Environment`), with
//! the JWT secret generated once and kept in the data directory when none is given. The app's
//! own settings (`config::Settings`) read through this too.

use std::path::{Path, PathBuf};

use zudui_relay::listener::ConnectionLimits;
use zudui_shared::config::{Config, Environment, Values};

pub struct EnvConfig {
    pub listen: String,
    pub data_dir: PathBuf,
    pub connections: ConnectionLimits,
    /// `ZUDUI_METRICS_LISTEN`: where Prometheus metrics are served (none when unset).
    pub metrics_listen: Option<String>,
    jwt_secret: String,
}

impl EnvConfig {
    pub fn from_env() -> anyhow::Result<EnvConfig> {
        let values = Values(&Environment);
        let data_dir = data_dir();
        std::fs::create_dir_all(&data_dir)?;
        let jwt_secret = match values.get("jwt_secret") {
            Some(secret) => secret,
            None => stored_secret(&data_dir)?,
        };
        Ok(EnvConfig {
            listen: values
                .get("listen")
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            data_dir,
            connections: ConnectionLimits::load(&values)?,
            metrics_listen: values.get("metrics_listen"),
            jwt_secret,
        })
    }
}

/// `ZUDUI_DATA_DIR`, `./data` by default: where the server and `zudui seed` keep the data.
pub fn data_dir() -> PathBuf {
    let set = Values(&Environment).get("data_dir");
    PathBuf::from(set.unwrap_or_else(|| "./data".into()))
}

impl Config for EnvConfig {
    fn get(&self, name: &str) -> Option<String> {
        if name == "jwt_secret" {
            return Some(self.jwt_secret.clone());
        }
        Environment.get(name)
    }
}

/// The secret in `<data>/jwt_secret`, made on first start and readable by the owner only.
fn stored_secret(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("jwt_secret");
    if let Ok(secret) = std::fs::read_to_string(&path) {
        if secret.trim().len() >= 16 {
            return Ok(secret.trim().to_owned());
        }
    }
    let secret = hex::encode(zudui_shared::ids::random_bytes::<32>()?);
    write_private(&path, &secret)?;
    log::info!("generated a new token signing key in {}", path.display());
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    Ok(std::fs::write(path, text)?)
}
