//! `spin.toml` cannot drift from the code: every setting `Settings` reads is a declared Spin
//! variable handed to every component, and every route of the route table reaches the component
//! that serves its area; and the list of tests kept off Spin names real tests.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use toml_edit::{DocumentMut, Item};
use zudui_shared::config::{Config, Settings};
use zudui_shared::routes;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn manifest() -> DocumentMut {
    std::fs::read_to_string(format!("{ROOT}/spin.toml"))
        .expect("spin.toml")
        .parse()
        .expect("spin.toml is TOML")
}

/// Answers every setting (with a value it accepts) and notes which were asked for.
#[derive(Default)]
struct Recording(Mutex<BTreeSet<String>>);

impl Config for Recording {
    fn get(&self, name: &str) -> Option<String> {
        self.0.lock().unwrap().insert(name.to_owned());
        let value = match name {
            // Object storage, so that its settings are read too.
            "blob_store" => "s3",
            "rate_limits" => "off",
            "s3_endpoint" | "wechat_api_base" | "relay_url" => "http://127.0.0.1:1",
            name if name.ends_with("secret")
                || name.ends_with("token")
                || name.ends_with("key") =>
            {
                "a-long-enough-secret-0123456789"
            }
            _ => "1",
        };
        Some(value.to_owned())
    }
}

/// The names of the settings that `Settings::load` reads.
fn settings_read() -> BTreeSet<String> {
    let recording = Recording::default();
    Settings::load(&recording).expect("settings load");
    recording.0.into_inner().unwrap()
}

fn keys(item: &Item) -> BTreeSet<String> {
    item.as_table_like()
        .expect("a table")
        .iter()
        .map(|(key, _)| key.to_owned())
        .collect()
}

#[test]
fn every_setting_is_a_spin_variable_of_every_component() {
    let read = settings_read();
    let spin = manifest();
    assert_eq!(
        keys(&spin["variables"]),
        read,
        "spin.toml's [variables] against the settings Settings::load reads"
    );
    let components = spin["component"].as_table_like().expect("[component]");
    let names: BTreeSet<String> = routes::COMPONENTS
        .iter()
        .map(|c| c.name.to_owned())
        .collect();
    assert_eq!(
        keys(&spin["component"]),
        names,
        "the components of zudui_shared::routes"
    );
    for (name, component) in components.iter() {
        let handed: BTreeMap<String, String> = component["variables"]
            .as_table_like()
            .unwrap_or_else(|| panic!("[component.{name}.variables]"))
            .iter()
            .map(|(key, value)| {
                (
                    key.to_owned(),
                    value.as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected: BTreeMap<String, String> = read
            .iter()
            .map(|key| (key.clone(), format!("{{{{ {key} }}}}")))
            .collect();
        assert_eq!(handed, expected, "[component.{name}.variables]");
    }
}

/// The component Spin sends `path` to: an exact route, else the longest `PREFIX/...` that
/// covers it (Spin's most specific route).
fn spin_component(triggers: &[(String, String)], path: &str) -> String {
    let score = |route: &str| -> Option<usize> {
        match route.strip_suffix("/...") {
            Some(prefix) if path == prefix || path.starts_with(&format!("{prefix}/")) => {
                Some(prefix.len())
            }
            Some(_) => None,
            None => (route == path).then_some(usize::MAX),
        }
    };
    triggers
        .iter()
        .filter_map(|(route, component)| score(route).map(|s| (s, component)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, component)| component.clone())
        .unwrap_or_else(|| panic!("no Spin route for {path}"))
}

#[test]
fn every_path_reaches_the_component_that_serves_it() {
    let spin = manifest();
    let triggers: Vec<(String, String)> = spin["trigger"]["http"]
        .as_array_of_tables()
        .expect("[[trigger.http]]")
        .iter()
        .map(|t| {
            let field = |name: &str| t[name].as_str().expect(name).to_owned();
            (field("route"), field("component"))
        })
        .collect();
    let components = keys(&spin["component"]);
    for (_, component) in &triggers {
        assert!(components.contains(component), "a route to {component}");
    }
    let mut checked = 0;
    for found in routes::table() {
        let path = found.route.path;
        assert_eq!(
            spin_component(&triggers, path),
            found.component,
            "{path} ({:?})",
            found.area
        );
        checked += 1;
    }
    assert!(checked > 80, "{checked} routes");
    // Anything else reaches a component that answers 102.
    assert_eq!(spin_component(&triggers, "/nowhere"), "auth");
    assert!(routes::find(routes::COMPONENTS, "/nowhere").is_none());
}

/// Every entry of `tests/native-only.txt` (the tests `tests/run.sh` does not run against Spin)
/// names a test (a file, or a directory of modules), or a test in one, that exists, and gives its
/// reason.
#[test]
fn every_native_only_entry_names_a_test_and_why() {
    let list = std::fs::read_to_string(format!("{ROOT}/tests/native-only.txt"))
        .expect("tests/native-only.txt");
    let entries: Vec<&str> = list
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect();
    assert!(!entries.is_empty());
    for line in entries {
        let (entry, reason) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        assert!(reason.trim().len() > 20, "{entry}: the reason is missing");
        let (file, test) = match entry.split_once("::") {
            Some((file, test)) => (file, Some(test)),
            None => (entry, None),
        };
        // A test is tests/NAME.rs, or tests/NAME/ (main.rs and its modules).
        let source = match std::fs::read_to_string(format!("{ROOT}/tests/{file}.rs")) {
            Ok(source) => source,
            Err(_) => std::fs::read_dir(format!("{ROOT}/tests/{file}"))
                .unwrap_or_else(|_| panic!("{entry}: no tests/{file}.rs or tests/{file}/"))
                .map(|module| std::fs::read_to_string(module.expect("entry").path()))
                .collect::<Result<String, _>>()
                .expect("the modules of tests/{file}/"),
        };
        if let Some(test) = test {
            assert!(
                source.contains(&format!("fn {test}(")),
                "{entry}: no test {test} in tests/{file}"
            );
        }
    }
}
