//! Every JSON answer the suite receives, checked against what the API description documents for
//! its operation and status: a field the description misses, a wrong type or an undocumented
//! status fails the test that met it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::{json, Value};

/// The document the server serves (`shared/openapi.json`, which a unit test keeps equal to what
/// the route table assembles).
fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        serde_json::from_str(include_str!("../../shared/openapi.json")).expect("openapi.json")
    })
}

type Validators = Mutex<HashMap<(String, String, u16), Option<Arc<jsonschema::Validator>>>>;

/// The validator of the JSON answers of `method path` with `status`; `None` when the path or
/// the method is not an operation of the description (tests of unknown paths and methods).
fn validator(method: &str, path: &str, status: u16) -> Option<Arc<jsonschema::Validator>> {
    static VALIDATORS: OnceLock<Validators> = OnceLock::new();
    let key = (method.to_owned(), path.to_owned(), status);
    let mut cache = VALIDATORS.get_or_init(Default::default).lock().unwrap();
    cache
        .entry(key)
        .or_insert_with(|| {
            let doc = document();
            let op = doc["paths"].get(path)?.get(method)?;
            let mut response = &op["responses"][status.to_string()];
            assert!(
                !response.is_null(),
                "{method} {path} answered {status}, which its description does not list"
            );
            if let Some(target) = response["$ref"].as_str() {
                response = doc.pointer(target.trim_start_matches('#')).expect("$ref");
            }
            let schema = &response["content"]["application/json"]["schema"];
            assert!(
                !schema.is_null(),
                "{method} {path} answered JSON with {status}, documented as not JSON"
            );
            let mut schema = schema.clone();
            // `#/components/...` references resolve within the schema itself.
            schema["components"] = json!({ "schemas": doc["components"]["schemas"] });
            let validator = jsonschema::draft202012::new(&schema)
                .unwrap_or_else(|e| panic!("{method} {path} {status}: bad schema: {e}"));
            Some(Arc::new(validator))
        })
        .clone()
}

/// Checks a JSON answer of `method path` (the query, if any, is left out) against its schema.
pub fn check(method: &str, path: &str, status: u16, answer: &Value) {
    let path = path.split('?').next().unwrap_or(path);
    let Some(validator) = validator(&method.to_ascii_lowercase(), path, status) else {
        return;
    };
    let errors: Vec<String> = validator
        .iter_errors(answer)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} answered {status} with what its description does not allow: {}\n{answer}",
        errors.join("; ")
    );
}

/// Reads a JSON answer and checks it against the operation of its path (every path but the
/// upload parts' has one method); `None` when the body is not JSON.
pub async fn read(res: reqwest::Response) -> (u16, Option<Value>) {
    let status = res.status().as_u16();
    let path = res.url().path().to_owned();
    let text = res.text().await.expect("body");
    let Ok(value) = serde_json::from_str::<Value>(&text) else {
        return (status, None);
    };
    let methods: Vec<&String> = document()["paths"]
        .get(&path)
        .and_then(Value::as_object)
        .map(|item| item.keys().filter(|k| !k.starts_with("x-")).collect())
        .unwrap_or_default();
    if let [method] = methods[..] {
        check(method, &path, status, &value);
    }
    (status, Some(value))
}
