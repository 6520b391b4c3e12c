//! `zudui spin-manifest`: the repo's `spin.toml` with literal `allowed_outbound_hosts`, for hosted
//! Spin (Fermyon Cloud), which does not expand `{{ variables }}` there. The hosts come from the
//! operator's `ZUDUI_*` settings, read as the server reads them; everything else of the manifest
//! (comments included) is kept.

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::Context;
use toml_edit::{Array, DocumentMut, Item, Value};
use zudui_shared::config::{Config, Environment, Settings};
use zudui_shared::error::Error;
use zudui_shared::outbound_hosts::{allowed_outbound_hosts, HOST_SETTINGS};

pub struct ManifestArgs {
    from: PathBuf,
    out: Option<PathBuf>,
}

impl ManifestArgs {
    pub fn parse(args: &[String]) -> anyhow::Result<ManifestArgs> {
        let mut parsed = ManifestArgs {
            from: "spin.toml".into(),
            out: None,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .map(PathBuf::from)
                    .with_context(|| format!("{flag} needs a path"))
            };
            match flag.as_str() {
                "--from" => parsed.from = value()?,
                "--out" => parsed.out = Some(value()?),
                other => anyhow::bail!("unknown option {other:?} of spin-manifest"),
            }
        }
        Ok(parsed)
    }
}

/// Writes the deployable manifest to `--out` (standard output without it).
pub fn run(args: &ManifestArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.from)
        .with_context(|| format!("reading {}", args.from.display()))?;
    let manifest = deployable(&text).with_context(|| format!("in {}", args.from.display()))?;
    match &args.out {
        Some(out) => {
            std::fs::write(out, manifest).with_context(|| format!("writing {}", out.display()))?
        }
        None => print!("{manifest}"),
    }
    Ok(())
}

/// `spin.toml` with every component's `allowed_outbound_hosts` set to the hosts of the settings
/// in the environment, and the defaults of the settings that decide them set to the values the
/// hosts were computed from, so that the components call exactly the listed hosts.
fn deployable(spin_toml: &str) -> anyhow::Result<String> {
    let mut doc: DocumentMut = spin_toml.parse().context("not TOML")?;
    let settings = Settings::load(&ForDeployment {
        secrets: secret_variables(&doc),
    })
    .map_err(|e| match e {
        Error::Internal(e) => e.context("settings"),
        e => anyhow::anyhow!("settings: {e}"),
    })?;
    let hosts = allowed_outbound_hosts(&settings)?;
    let components = doc
        .get_mut("component")
        .and_then(Item::as_table_like_mut)
        .context("no [component] tables")?;
    for (_, component) in components.iter_mut() {
        let table = component
            .as_table_like_mut()
            .context("a component that is not a table")?;
        table.insert(
            "allowed_outbound_hosts",
            Item::Value(Value::Array(hosts.iter().collect::<Array>())),
        );
    }
    let variables = doc
        .get_mut("variables")
        .and_then(Item::as_table_like_mut)
        .context("no [variables] table")?;
    for name in HOST_SETTINGS {
        let variable = variables
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .with_context(|| format!("no variable {name}"))?;
        // Unset and empty mean the same to the settings: the built-in default.
        variable.insert(
            "default",
            toml_edit::value(Environment.get(name).unwrap_or_default()),
        );
    }
    Ok(doc.to_string())
}

/// The names of the manifest's `secret = true` variables.
fn secret_variables(doc: &DocumentMut) -> BTreeSet<String> {
    let Some(variables) = doc.get("variables").and_then(Item::as_table_like) else {
        return BTreeSet::new();
    };
    variables
        .iter()
        .filter(|(_, v)| v.get("secret").and_then(Item::as_bool) == Some(true))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The settings of the environment, as the server reads them, except that secrets not set here
/// get a stand-in: they are given at deploy time (`spin deploy --variable`) and never decide a
/// host.
struct ForDeployment {
    secrets: BTreeSet<String>,
}

impl Config for ForDeployment {
    fn get(&self, name: &str) -> Option<String> {
        Environment
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| {
                self.secrets
                    .contains(name)
                    .then(|| "given-at-deploy-time-0123456789".to_owned())
            })
    }
}
