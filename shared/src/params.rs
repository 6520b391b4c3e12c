//! Request parameters from a JSON body, a query string or multipart form fields, with typed getters
//! that answer 101 naming the parameter when it is missing or of the wrong type.

use serde_json::{Map, Value};

use crate::error::{Code, Error, Result};
use crate::ids::UserId;

/// Largest JSON body an endpoint accepts.
pub const JSON_LIMIT: usize = 1 << 20;

#[derive(Debug, Default, Clone)]
pub struct Params(Map<String, Value>);

impl Params {
    /// Parses a JSON object body; an empty body is an empty object (endpoints without parameters).
    pub fn from_json(body: &[u8]) -> Result<Params> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Params::default());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => Ok(Params(map)),
            Ok(_) => Err(Error::with_message(
                crate::error::Code::BadParam,
                "请求体必须是 JSON 对象",
            )),
            Err(_) => Err(Error::with_message(
                crate::error::Code::BadParam,
                "请求体不是合法的 JSON",
            )),
        }
    }

    /// Parameters from an object nested in a request (an entry of an array).
    pub fn from_map(map: Map<String, Value>) -> Params {
        Params(map)
    }

    /// The parameters as a `T` (a typed body); 101 naming what does not fit.
    pub fn into_typed<T: serde::de::DeserializeOwned>(self) -> Result<T> {
        self.typed()
    }

    /// The parameters as a `T`, read in place; 101 naming what does not fit.
    pub fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T> {
        serde_path_to_error::deserialize(&self.0).map_err(|e| {
            let field = e.path().to_string();
            let why = e.into_inner().to_string();
            // serde names a missing field; its other messages quote what the client sent, which
            // an answer does not repeat: only this crate's own short reasons (`应为整数`) stay.
            if let Some(missing) = why.strip_prefix("missing field `") {
                return Error::param(missing.trim_end_matches('`'));
            }
            let why = match why.chars().count() <= 16 && !why.is_ascii() {
                true => why.as_str(),
                false => "类型或取值不符",
            };
            match field.as_str() {
                "." => Error::with_message(Code::BadParam, format!("参数有误: {why}")),
                field => Error::param_why(field, why),
            }
        })
    }

    /// Parses a URL query string; every value is a string.
    pub fn from_query(query: &str) -> Params {
        Self::from_pairs(form_urlencoded::parse(query.as_bytes()).into_owned())
    }

    /// Builds parameters from text pairs (query strings, multipart form fields).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Params {
        Params(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    }

    /// A present, non-null value.
    fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// A required string (may be empty: callers decide what an empty one means).
    pub fn str(&self, name: &str) -> Result<&str> {
        self.opt_str(name)?.ok_or_else(|| Error::param(name))
    }

    /// An optional JSON object (the admin console's row keys and values).
    pub fn opt_object(&self, name: &str) -> Result<Option<&Map<String, Value>>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(Error::param_why(name, "应为对象")),
        }
    }

    pub fn opt_str(&self, name: &str) -> Result<Option<&str>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::param_why(name, "应为字符串")),
        }
    }

    /// A required integer id: a JSON integer or a decimal string (`42` or `"42"`).
    pub fn id<T: From<i64>>(&self, name: &str) -> Result<T> {
        self.opt_id(name)?.ok_or_else(|| Error::param(name))
    }

    /// An optional integer id; an empty string counts as absent.
    pub fn opt_id<T: From<i64>>(&self, name: &str) -> Result<Option<T>> {
        let bad = || Error::param_why(name, "应为整数");
        let id: Option<i64> = match self.value(name) {
            None => None,
            Some(Value::Number(n)) => Some(n.as_i64().ok_or_else(bad)?),
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().parse().map_err(|_| bad())?),
            Some(_) => return Err(bad()),
        };
        Ok(id.map(T::from))
    }

    /// A number (ratings): a JSON number or a decimal string.
    pub fn number(value: &Value, name: &str) -> Result<f64> {
        let bad = || Error::param_why(name, "应为数字");
        match value {
            Value::Number(n) => n.as_f64().ok_or_else(bad),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(bad),
            _ => Err(bad()),
        }
    }

    /// An optional user id: a string, or an integer read as its decimal string. Empty means absent.
    pub fn opt_user_id(&self, name: &str) -> Result<Option<UserId>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_owned().into())),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string().into())),
            Some(_) => Err(Error::param_why(name, "应为字符串")),
        }
    }

    pub fn user_id(&self, name: &str) -> Result<UserId> {
        self.opt_user_id(name)?.ok_or_else(|| Error::param(name))
    }

    /// A required boolean: JSON `true`/`false`, or the strings `"true"`/`"false"`/`"1"`/`"0"`.
    pub fn bool(&self, name: &str) -> Result<bool> {
        match self.value(name) {
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::String(s)) => match s.trim() {
                "true" | "1" => Ok(true),
                "false" | "0" => Ok(false),
                _ => Err(Error::param_why(name, "应为布尔值")),
            },
            Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(true),
            Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(false),
            None => Err(Error::param(name)),
            Some(_) => Err(Error::param_why(name, "应为布尔值")),
        }
    }

    /// An optional JSON array.
    pub fn opt_array(&self, name: &str) -> Result<Option<&Vec<Value>>> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(_) => Err(Error::param_why(name, "应为数组")),
        }
    }

    pub fn array(&self, name: &str) -> Result<&Vec<Value>> {
        self.opt_array(name)?.ok_or_else(|| Error::param(name))
    }
}

/// Trims `text` and checks its length in characters: `empty` when nothing is left, 101 when longer
/// than `max`.
pub fn trimmed_text(
    text: &str,
    name: &str,
    max: usize,
    empty: crate::error::Code,
) -> Result<String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::new(empty));
    }
    if text.chars().count() > max {
        return Err(Error::param_why(name, &format!("最多 {max} 个字符")));
    }
    Ok(text.to_owned())
}

/// Unicode's bidirectional controls: embeddings, overrides and isolates (U+202A..U+202E,
/// U+2066..U+2069) and the marks U+200E, U+200F and U+061C. They reorder how the text around them
/// is shown: `report\u{202E}fdp.exe` shows as `reportexe.pdf`.
const BIDI_CONTROLS: [char; 12] = [
    '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200E}', '\u{200F}', '\u{061C}',
];

/// The rule for names other people see and trust (groups, files, folders): no bidirectional
/// controls, which could disguise what a name says (an extension most of all); 101 naming `param`.
pub fn refuse_bidi_controls(text: &str, param: &str) -> Result<()> {
    match text.contains(BIDI_CONTROLS) {
        true => Err(Error::param_why(param, "不能包含双向控制字符")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn ids_accept_numbers_and_decimal_strings() {
        let p = Params::from_json(br#"{"a": 42, "b": "43", "c": "x", "d": 1.5, "e": ""}"#).unwrap();
        assert_eq!(p.id::<i64>("a").unwrap(), 42);
        assert_eq!(p.id::<i64>("b").unwrap(), 43);
        assert_eq!(p.id::<i64>("c").unwrap_err().code(), Code::BadParam);
        assert!(p.id::<i64>("d").is_err());
        assert_eq!(p.opt_id::<i64>("e").unwrap(), None);
        let err = p.id::<i64>("missing").unwrap_err();
        assert!(err.client_message().contains("missing"));
    }

    #[test]
    fn user_ids_accept_numbers() {
        let p = Params::from_json(br#"{"a": 42, "b": "u1", "c": true}"#).unwrap();
        assert_eq!(p.user_id("a").unwrap(), "42");
        assert_eq!(p.user_id("b").unwrap(), "u1");
        assert!(p.user_id("c").is_err());
    }

    #[test]
    fn bodies_must_be_objects() {
        assert!(Params::from_json(b"").is_ok());
        assert!(Params::from_json(b"[1]").is_err());
        assert!(Params::from_json(b"{").is_err());
    }

    #[test]
    fn query_and_text_checks() {
        let p = Params::from_query("token=abc&user_id=&n=%E4%BD%A0");
        assert_eq!(p.str("token").unwrap(), "abc");
        assert_eq!(p.opt_user_id("user_id").unwrap(), None);
        assert_eq!(p.str("n").unwrap(), "你");
        assert_eq!(
            trimmed_text("  ", "t", 5, Code::UserTagEmpty)
                .unwrap_err()
                .code(),
            Code::UserTagEmpty
        );
        assert_eq!(
            trimmed_text(" 你好 ", "t", 2, Code::UserTagEmpty).unwrap(),
            "你好"
        );
        assert!(trimmed_text("你好吗", "t", 2, Code::UserTagEmpty).is_err());
    }

    #[test]
    fn bidi_controls_are_refused_in_names() {
        for control in BIDI_CONTROLS {
            let name = format!("report{control}fdp.exe");
            let err = refuse_bidi_controls(&name, "name").unwrap_err();
            assert_eq!(err.code(), Code::BadParam, "{:04X}", u32::from(control));
            assert!(err.client_message().contains("name"));
        }
        // Other format characters (zero-width joiners in emoji, for one) stay allowed.
        assert!(refuse_bidi_controls("团队\u{200D}👩‍💻 report.pdf", "name").is_ok());
    }
}
