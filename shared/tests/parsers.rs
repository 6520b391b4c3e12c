//! Property-based tests of the parsers that read what clients send: chat client messages
//! (`chat::client::parse`), `multipart/form-data` (`multipart`), and request parameters
//! (`params::Params`, `routes::table::json_body`). Only the public API is used.
//!
//! Futures run on a small executor (`run`) that fails when a future answers `Pending` with no
//! wake-up scheduled (it would hang a server), and bodies come from test streams that count the
//! bytes the parser pulls, so that "refused without reading it all" can be checked.

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use futures_util::Stream;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;
use serde_json::{Map, Value};

use zudui_shared::chat::client::{parse, ClientMessage, AT_LIMIT, FRAME_LIMIT, TEXT_LIMIT};
use zudui_shared::ids::{FileId, UserId};
use zudui_shared::multipart::{self, FIELDS_LIMIT, FIELDS_MAX, FORM_OVERHEAD};
use zudui_shared::params::{Params, JSON_LIMIT};
use zudui_shared::routes::table::json_body;
use zudui_shared::{Body, Code, Request};

// ---------------------------------------------------------------------------------------------
// Harness: configuration, an executor that detects lost wake-ups, body streams.
// ---------------------------------------------------------------------------------------------

/// `cases` cases (or `PROPTEST_CASES` for a longer run), no regression files written next to
/// the sources.
fn cases(cases: u32) -> Config {
    let env = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok());
    Config {
        cases: env.unwrap_or(cases),
        failure_persistence: None,
        ..Config::default()
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs a future on this thread. Every body stream here is either ready or wakes itself, so a
/// `Pending` without a wake-up would be a request that hangs forever: that fails the test.
fn run<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(flag.clone());
    let mut cx = Context::from_waker(&waker);
    for _ in 0..10_000_000u32 {
        flag.0.store(false, Ordering::SeqCst);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(out) => return out,
            Poll::Pending => assert!(
                flag.0.load(Ordering::SeqCst),
                "the future is pending with no wake-up scheduled: the request would hang"
            ),
        }
    }
    panic!("the future never finished");
}

/// A body delivered in the given chunks; a chunk marked `true` is preceded by one `Pending`
/// (with a wake-up), as a network body is when the next bytes have not arrived yet.
struct Chunks {
    chunks: VecDeque<(bool, Bytes)>,
    pulled: Arc<AtomicU64>,
}

impl Stream for Chunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.chunks.front_mut() {
            None => Poll::Ready(None),
            Some((wait @ true, _)) => {
                *wait = false;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(_) => {
                let (_, chunk) = self.chunks.pop_front().unwrap();
                self.pulled.fetch_add(chunk.len() as u64, Ordering::SeqCst);
                Poll::Ready(Some(Ok(chunk)))
            }
        }
    }
}

/// A body that starts with `head` and then repeats `fill` forever, one `Pending` before every
/// chunk when `slow`. Counts what the parser pulled.
struct Endless {
    head: Option<Bytes>,
    fill: Bytes,
    slow: bool,
    waited: bool,
    pulled: Arc<AtomicU64>,
}

impl Stream for Endless {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.slow && !self.waited {
            self.waited = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        self.waited = false;
        let chunk = self.head.take().unwrap_or_else(|| self.fill.clone());
        self.pulled.fetch_add(chunk.len() as u64, Ordering::SeqCst);
        Poll::Ready(Some(Ok(chunk)))
    }
}

/// Cuts `body` at the given fractions (each chunk at least one byte), with the given pauses.
fn split(body: &[u8], cuts: &[(Index, bool)]) -> VecDeque<(bool, Bytes)> {
    let mut at: Vec<usize> = cuts.iter().map(|(i, _)| i.index(body.len() + 1)).collect();
    at.push(0);
    at.push(body.len());
    at.sort_unstable();
    at.dedup();
    at.windows(2)
        .enumerate()
        .map(|(n, w)| {
            let wait = cuts.get(n).is_some_and(|c| c.1);
            (wait, Bytes::copy_from_slice(&body[w[0]..w[1]]))
        })
        .collect()
}

/// `chunks` without the pauses before byte `until`: the properties keep clear of the known
/// multer fault (see `multipart_form_after_a_pause_is_read`) so that they can find others.
fn calm_until(mut chunks: VecDeque<(bool, Bytes)>, until: usize) -> VecDeque<(bool, Bytes)> {
    let mut start = 0;
    for (wait, chunk) in chunks.iter_mut() {
        if start < until {
            *wait = false;
        }
        start += chunk.len();
    }
    chunks
}

fn request(content_type: &[u8], body: Body) -> Option<Request> {
    let value = http::HeaderValue::from_bytes(content_type).ok()?;
    let mut req = http::Request::new(body);
    req.headers_mut().insert(http::header::CONTENT_TYPE, value);
    Some(req)
}

fn form_request(boundary: &str, chunks: VecDeque<(bool, Bytes)>) -> (Request, Arc<AtomicU64>) {
    let pulled = Arc::new(AtomicU64::new(0));
    let body = Body::stream(Chunks {
        chunks,
        pulled: pulled.clone(),
    });
    let content_type = format!("multipart/form-data; boundary=\"{boundary}\"");
    (request(content_type.as_bytes(), body).unwrap(), pulled)
}

/// One part of a generated form.
#[derive(Debug, Clone, PartialEq)]
struct Part {
    name: String,
    file_name: Option<String>,
    data: Vec<u8>,
}

/// A form as `wx.uploadFile` (and browsers) write it.
fn render_form(boundary: &str, preamble: &[u8], parts: &[Part], epilogue: &[u8]) -> Vec<u8> {
    let mut body = preamble.to_vec();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match &part.file_name {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{}\"; filename=\"{f}\"\r\n\
                 Content-Type: application/octet-stream\r\n",
                part.name
            ),
            None => format!("Content-Disposition: form-data; name=\"{}\"\r\n", part.name),
        };
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body.extend_from_slice(epilogue);
    body
}

/// Every part, in order, read the way `files::upload` reads a form (streaming, chunk by chunk).
async fn read_parts(req: Request, max_body: u64) -> zudui_shared::Result<Vec<Part>> {
    let mut form = multipart::parser(req, max_body)?;
    let mut parts = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(multipart::form_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart::form_error)? {
            data.extend_from_slice(&chunk);
        }
        parts.push(Part {
            name,
            file_name,
            data,
        });
    }
    Ok(parts)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------------------------
// JSON values.
// ---------------------------------------------------------------------------------------------

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..3).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        (-5i32..5).prop_map(|n| Value::from(f64::from(n))),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \t]{0,2}[+-]?[0-9]{0,20}[ \t\u{3000}]{0,2}",
        Just(String::new()),
        prop::sample::select(vec![
            "true", "false", "1", "0", " 1 ", "yes", "TRUE", "null"
        ])
        .prop_map(str::to_owned),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// 1. Chat client messages.
// ---------------------------------------------------------------------------------------------

const KINDS: [&str; 6] = ["text", "image", "voice", "video", "file", "history"];

fn allowed_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "text" => &["msg_type", "content", "at", "client_msg_id"],
        "history" => &["msg_type", "msg_id"],
        _ => &["msg_type", "file_id", "at", "client_msg_id"],
    }
}

fn kind_name(kind: &str) -> &'static str {
    KINDS.iter().find(|k| **k == kind).copied().unwrap()
}

/// What the contract (section Chat) and the README ("empty text" is 409) ask of a client
/// message: the message, or the error codes that the faults it has allow (any one of them when
/// there are several, since the contract sets no order).
fn chat_model(value: &Value, group: bool) -> Result<ClientMessage, BTreeSet<u16>> {
    let Value::Object(fields) = value else {
        return Err([409].into());
    };
    let kind = match fields.get("msg_type") {
        Some(Value::String(kind)) => kind.as_str(),
        _ => return Err([409].into()),
    };
    if !KINDS.contains(&kind) {
        return Err([405].into());
    }
    let mut faults = BTreeSet::new();
    if fields
        .keys()
        .any(|k| !allowed_fields(kind).contains(&k.as_str()))
    {
        faults.insert(409);
    }
    let integer = |name: &str| match fields.get(name) {
        Some(Value::Number(n)) => n.as_i64(),
        _ => None,
    };
    if kind == "history" {
        return match integer("msg_id") {
            Some(msg_id) if faults.is_empty() => Ok(ClientMessage::History { msg_id }),
            Some(_) => Err(faults),
            None => {
                faults.insert(409);
                Err(faults)
            }
        };
    }
    let (content, file_id) = if kind == "text" {
        match fields.get("content") {
            Some(Value::String(c)) => {
                if c.trim().is_empty() {
                    faults.insert(409);
                }
                if c.chars().count() > TEXT_LIMIT {
                    faults.insert(411);
                }
                (Some(c.clone()), None)
            }
            _ => {
                faults.insert(409);
                (None, None)
            }
        }
    } else {
        let id = integer("file_id");
        if id.is_none() {
            faults.insert(409);
        }
        (None, id)
    };
    let mut at = Vec::new();
    match fields.get("at") {
        None => {}
        Some(_) if !group => {
            faults.insert(409);
        }
        Some(Value::Array(ids)) => {
            for id in ids {
                match id {
                    Value::String(id) if !at.iter().any(|a: &UserId| a == id.as_str()) => {
                        at.push(id.as_str().into())
                    }
                    Value::String(_) => {}
                    _ => {
                        faults.insert(409);
                    }
                }
            }
        }
        Some(_) => {
            faults.insert(409);
        }
    }
    // 1 to 64 visible ASCII characters (the README's idempotent sends).
    let client_msg_id = match fields.get("client_msg_id") {
        None => None,
        Some(Value::String(id))
            if !id.is_empty() && id.len() <= 64 && id.chars().all(|c| ('!'..='~').contains(&c)) =>
        {
            Some(id.clone())
        }
        Some(_) => {
            faults.insert(409);
            None
        }
    };
    if !faults.is_empty() {
        return Err(faults);
    }
    Ok(ClientMessage::Send {
        msg_type: kind_name(kind),
        content,
        file_id: file_id.map(FileId),
        at,
        client_msg_id,
    })
}

fn check_chat(text: &str, group: bool) -> Result<(), TestCaseError> {
    let expected = match serde_json::from_str::<Value>(text) {
        Ok(value) => chat_model(&value, group),
        Err(_) => Err([409].into()),
    };
    match (parse(text, group), expected) {
        (Ok(got), Ok(want)) => prop_assert_eq!(got, want),
        (Err(err), Err(codes)) => prop_assert!(
            codes.contains(&err.code().number()),
            "{text:?} (group {group}): got {}, the contract allows {codes:?}",
            err.code().number()
        ),
        (got, want) => prop_assert!(
            false,
            "{text:?} (group {group}): got {got:?}, the contract says {want:?}"
        ),
    }
    Ok(())
}

/// A chat message as fields, in the order they are written.
#[derive(Debug, Clone)]
struct Msg {
    kind: &'static str,
    group: bool,
    fields: Vec<(String, Value)>,
    expected: ClientMessage,
}

fn user_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_-]{1,24}",
        1 => any::<String>(),
    ]
}

/// Non-blank text of `len` characters.
fn text_of(len: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    (
        any::<char>().prop_filter("not blank", |c| !c.is_whitespace()),
        len,
        any::<Index>(),
    )
        .prop_flat_map(|(solid, len, at)| {
            prop::collection::vec(any::<char>(), len - 1).prop_map(move |mut chars| {
                chars.insert(at.index(chars.len() + 1), solid);
                chars.into_iter().collect::<String>()
            })
        })
}

fn content() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => text_of(1..=40),
        1 => "[\\PC]{1,10}",
        1 => text_of(TEXT_LIMIT - 10..=TEXT_LIMIT),
        1 => Just("字".repeat(TEXT_LIMIT)),
        1 => Just("😀".repeat(TEXT_LIMIT)),
    ]
}

/// A well-formed message, its fields in any order, and what it must parse to.
fn valid_msg() -> impl Strategy<Value = Msg> {
    let at = prop::option::of(prop::collection::btree_set(user_id(), 0..6));
    let client_msg_id = prop::option::of("[!-~]{1,64}");
    (
        prop::sample::select(KINDS.to_vec()),
        any::<bool>(),
        content(),
        any::<i64>(),
        at,
        client_msg_id,
    )
        .prop_flat_map(|(kind, group, content, id, at, client_msg_id)| {
            // `at` only in group rooms, as the contract allows; ids in any order.
            let at: Option<Vec<String>> = at
                .filter(|_| group && kind != "history")
                .map(|s| s.into_iter().collect());
            let at = match at {
                Some(ids) => Just(ids).prop_shuffle().prop_map(Some).boxed(),
                None => Just(None).boxed(),
            };
            let client_msg_id = client_msg_id.filter(|_| kind != "history");
            (Just((kind, group, content, id, client_msg_id)), at)
        })
        .prop_flat_map(|((kind, group, content, id, client_msg_id), at)| {
            let mut fields = vec![("msg_type".to_owned(), Value::from(kind))];
            let mentioned: Vec<UserId> = at.iter().flatten().map(|id| id.as_str().into()).collect();
            let expected = match kind {
                "history" => {
                    fields.push(("msg_id".into(), id.into()));
                    ClientMessage::History { msg_id: id }
                }
                "text" => {
                    fields.push(("content".into(), content.clone().into()));
                    ClientMessage::Send {
                        msg_type: "text",
                        content: Some(content),
                        file_id: None,
                        at: mentioned,
                        client_msg_id: client_msg_id.clone(),
                    }
                }
                _ => {
                    fields.push(("file_id".into(), id.into()));
                    ClientMessage::Send {
                        msg_type: kind,
                        content: None,
                        file_id: Some(FileId(id)),
                        at: mentioned,
                        client_msg_id: client_msg_id.clone(),
                    }
                }
            };
            if let Some(ids) = at {
                fields.push(("at".into(), Value::from(ids)));
            }
            if let Some(client_msg_id) = client_msg_id {
                fields.push(("client_msg_id".into(), Value::from(client_msg_id)));
            }
            (Just(fields).prop_shuffle(), Just((kind, group, expected)))
        })
        .prop_map(|(fields, (kind, group, expected))| Msg {
            kind,
            group,
            fields,
            expected,
        })
}

/// JSON text of the fields in their order, with JSON whitespace around the tokens.
fn render_msg(fields: &[(String, Value)], spaces: &[u8]) -> String {
    let mut spaces = spaces
        .iter()
        .cycle()
        .map(|s| [" ", "", "\n", "\t", "\r\n", "  "][*s as usize % 6]);
    let mut ws = || spaces.next().unwrap_or("");
    let mut out = format!("{}{{", ws());
    for (n, (key, value)) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str(ws());
        out.push_str(&serde_json::to_string(key).unwrap());
        out.push_str(ws());
        out.push(':');
        out.push_str(ws());
        out.push_str(&serde_json::to_string(value).unwrap());
        out.push_str(ws());
    }
    out.push('}');
    out.push_str(ws());
    out
}

fn chat_code(text: &str, group: bool) -> Result<u16, TestCaseError> {
    match parse(text, group) {
        Ok(msg) => Err(TestCaseError::fail(format!(
            "{text:?} was accepted as {msg:?}"
        ))),
        Err(err) => Ok(err.code().number()),
    }
}

/// A JSON value that is not of `kind` ("string", "integer", "array of strings").
fn not_a(kind: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_json(),
        1 => Just(Value::from("42")),
        1 => Just(Value::from(42.0)),
        1 => Just(Value::from(4.5)),
        1 => Just(Value::from(u64::MAX)),
        1 => Just(Value::from(vec![1, 2])),
        1 => Just(Value::from(vec!["u1"])),
    ]
    .prop_filter("a value of another JSON type", move |v| match kind {
        "string" => !v.is_string(),
        "integer" => v.as_i64().is_none(),
        _ => !v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
    })
}

proptest! {
    #![proptest_config(cases(512))]

    /// Any text frame: no panic, and the answer is the contract's (message or code).
    #[test]
    fn chat_any_string_follows_the_contract(text in any::<String>(), group: bool) {
        check_chat(&text, group)?;
    }

    /// Any JSON value, and JSON objects shaped like messages with random fields and values.
    #[test]
    fn chat_any_json_follows_the_contract(value in chat_like_json(), group: bool) {
        check_chat(&value.to_string(), group)?;
    }
}

/// Objects with chat-like fields: known and unknown names, right and wrong types.
fn chat_like_json() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        Just("msg_type"),
        Just("content"),
        Just("file_id"),
        Just("msg_id"),
        Just("at"),
        Just("extra"),
    ]
    .prop_flat_map(|key| {
        let value = match key {
            "msg_type" => prop_oneof![
                4 => prop::sample::select(KINDS.to_vec()).prop_map(Value::from),
                1 => arb_json(),
            ]
            .boxed(),
            "content" => prop_oneof![
                4 => content().prop_map(Value::from),
                1 => "[ \t\n\u{3000}]{0,3}".prop_map(Value::from),
                1 => text_of(TEXT_LIMIT + 1..=TEXT_LIMIT + 3).prop_map(Value::from),
                1 => arb_json(),
            ]
            .boxed(),
            "file_id" | "msg_id" => prop_oneof![
                4 => any::<i64>().prop_map(Value::from),
                1 => arb_json(),
            ]
            .boxed(),
            "at" => prop_oneof![
                4 => prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..5)
                    .prop_map(Value::from),
                1 => arb_json(),
            ]
            .boxed(),
            _ => arb_json().boxed(),
        };
        (Just(key.to_owned()), value)
    });
    prop_oneof![
        1 => arb_json(),
        6 => prop::collection::vec(field, 0..5)
            .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    /// Well-formed messages parse to exactly what was generated (any field order, whitespace).
    #[test]
    fn chat_well_formed_messages_parse_back(msg in valid_msg(), spaces in prop::collection::vec(any::<u8>(), 1..8)) {
        let text = render_msg(&msg.fields, &spaces);
        prop_assert_eq!(parse(&text, msg.group).ok(), Some(msg.expected));
    }

    /// `at` keeps the first of repeated ids, in order (what `client.rs` does; the contract is
    /// silent on repeats).
    #[test]
    fn chat_at_drops_repeats(ids in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d"]), 0..10)) {
        let text = serde_json::json!({"msg_type": "image", "file_id": 1, "at": ids}).to_string();
        let mut unique: Vec<UserId> = Vec::new();
        for id in &ids {
            if !unique.iter().any(|u| u == id) {
                unique.push((*id).into());
            }
        }
        prop_assert_eq!(
            parse(&text, true).ok(),
            Some(ClientMessage::Send { msg_type: "image", content: None, file_id: Some(FileId(1)), at: unique, client_msg_id: None })
        );
    }

    /// An extra field of any name and value is 409.
    #[test]
    fn chat_extra_field_is_409(msg in valid_msg(), key in "[a-z_]{1,10}|msg_type_|content|file_id|msg_id|at|Content|[\\PC]{1,4}", value in arb_json(), at in any::<Index>()) {
        // A field of the type is not extra; one of another type is.
        let key = match allowed_fields(msg.kind).contains(&key.as_str()) {
            true => format!("{key}_"),
            false => key,
        };
        let mut fields = msg.fields.clone();
        fields.insert(at.index(fields.len() + 1), (key, value));
        prop_assert_eq!(chat_code(&render_msg(&fields, &[1]), msg.group)?, 409);
    }

    /// Removing any field the message's type requires is 409.
    #[test]
    fn chat_missing_field_is_409(msg in valid_msg(), which in any::<Index>()) {
        let required: Vec<usize> = (0..msg.fields.len()).filter(|i| !["at", "client_msg_id"].contains(&msg.fields[*i].0.as_str())).collect();
        let mut fields = msg.fields.clone();
        fields.remove(required[which.index(required.len())]);
        prop_assert_eq!(chat_code(&render_msg(&fields, &[1]), msg.group)?, 409);
    }

    /// A field of the wrong JSON type is 409: `msg_type`, `content` and `client_msg_id` not strings, `file_id` and
    /// `msg_id` not integers (a decimal string, a float, a number past i64 included), `at` not an
    /// array of strings.
    #[test]
    fn chat_wrong_json_type_is_409(
        msg in valid_msg(),
        which in any::<Index>(),
        not_string in not_a("string"),
        not_integer in not_a("integer"),
        not_ids in not_a("array of strings"),
        group: bool,
    ) {
        let mut fields = msg.fields.clone();
        // `at` only where it is allowed, so that the type is the only fault.
        if group && msg.kind != "history" && !fields.iter().any(|f| f.0 == "at") {
            fields.push(("at".into(), Value::from(vec!["u1"])));
        }
        let i = which.index(fields.len());
        fields[i].1 = match fields[i].0.as_str() {
            "msg_type" | "content" | "client_msg_id" => not_string,
            "at" => not_ids,
            _ => not_integer,
        };
        prop_assert_eq!(chat_code(&render_msg(&fields, &[0]), group)?, 409);
    }

    /// Any `msg_type` string but the six kinds is 405, whatever the other fields.
    #[test]
    fn chat_unknown_msg_type_is_405(
        msg in valid_msg(),
        kind in prop_oneof![
            any::<String>(),
            prop::sample::select(vec!["Text", "TEXT", "text ", " text", "texts", "img", "",
                "History", "file\u{0}", "sticker", "location"]).prop_map(str::to_owned),
        ],
    ) {
        prop_assume!(!KINDS.contains(&kind.as_str()));
        let mut fields = msg.fields.clone();
        fields.iter_mut().find(|f| f.0 == "msg_type").unwrap().1 = Value::from(kind);
        prop_assert_eq!(chat_code(&render_msg(&fields, &[0]), msg.group)?, 405);
    }

    /// Text over 4000 characters (whatever their UTF-8 length) is 411.
    #[test]
    fn chat_text_over_the_limit_is_411(content in text_of(TEXT_LIMIT + 1..=TEXT_LIMIT + 50), group: bool) {
        let text = serde_json::json!({"msg_type": "text", "content": content}).to_string();
        prop_assert_eq!(chat_code(&text, group)?, 411);
    }

    /// `at` (even empty) in a private room is 409; the same message is fine in a group room.
    #[test]
    fn chat_at_in_a_private_room_is_409(
        msg in valid_msg().prop_filter("history takes no at", |m| m.kind != "history"),
        ids in prop::collection::vec(user_id(), 0..4),
    ) {
        let mut fields = msg.fields.clone();
        fields.retain(|f| f.0 != "at");
        fields.push(("at".into(), Value::from(ids)));
        let text = render_msg(&fields, &[0]);
        prop_assert!(parse(&text, true).is_ok());
        prop_assert_eq!(chat_code(&text, false)?, 409);
    }

    /// Blank text (only whitespace, Unicode spaces included) is 409.
    #[test]
    fn chat_blank_text_is_409(content in "[ \t\r\n\u{3000}\u{a0}\u{2003}]{0,20}", group: bool) {
        let text = serde_json::json!({"msg_type": "text", "content": content}).to_string();
        prop_assert_eq!(chat_code(&text, group)?, 409);
    }
}

#[test]
fn chat_text_limit_is_exact() {
    for (content, code) in [
        ("a".repeat(TEXT_LIMIT), None),
        ("a".repeat(TEXT_LIMIT + 1), Some(411)),
        ("😀".repeat(TEXT_LIMIT), None),
        ("😀".repeat(TEXT_LIMIT + 1), Some(411)),
    ] {
        let text = serde_json::json!({"msg_type": "text", "content": content}).to_string();
        assert_eq!(parse(&text, true).err().map(|e| e.code().number()), code);
    }
}

/// Frames over FRAME_LIMIT bytes are 411 whatever they hold; `at` lists hold at most AT_LIMIT
/// entries before de-duplication, and keep the first of repeated ids in order.
#[test]
fn chat_frames_and_at_lists_are_bounded() {
    let at_frame = |ids: Vec<String>| {
        serde_json::json!({"msg_type": "text", "content": "x", "at": ids}).to_string()
    };
    let many = |n: usize| (0..n).map(|i| format!("u{i}")).collect::<Vec<_>>();
    let cases: Vec<(&str, String, Option<u16>)> = vec![
        (
            "a frame at the limit",
            format!("{{\"x\":\"{}\"}}", "a".repeat(FRAME_LIMIT - 8)),
            Some(409),
        ),
        (
            "a frame a byte over",
            format!("{{\"x\":\"{}\"}}", "a".repeat(FRAME_LIMIT - 7)),
            Some(411),
        ),
        (
            "nesting past the limit",
            "[".repeat(FRAME_LIMIT + 1),
            Some(411),
        ),
        ("the most mentions", at_frame(many(AT_LIMIT)), None),
        (
            "a mention too many",
            at_frame(many(AT_LIMIT + 1)),
            Some(409),
        ),
        (
            "repeats count before de-duplication",
            at_frame(vec!["u".into(); AT_LIMIT + 1]),
            Some(409),
        ),
        ("80,000 mentions", at_frame(many(80_000)), Some(411)),
    ];
    for (rule, frame, code) in cases {
        let got = parse(&frame, true).err().map(|e| e.code().number());
        assert_eq!(got, code, "{rule}");
    }
    let repeated = at_frame(vec!["b".into(), "a".into(), "b".into(), "a".into()]);
    match parse(&repeated, true).unwrap() {
        ClientMessage::Send { at, .. } => assert_eq!(at, ["b", "a"]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn chat_deeply_nested_frames_are_409() {
    // The deepest that fits FRAME_LIMIT; deeper frames are refused by size first.
    for depth in [200, 10_000, 30_000] {
        let frame = format!(
            r#"{{"msg_type":"text","content":"x","at":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(parse(&frame, true).unwrap_err().code().number(), 409);
        assert_eq!(
            parse(&"[".repeat(depth), true).unwrap_err().code().number(),
            409
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Multipart.
// ---------------------------------------------------------------------------------------------

/// A boundary as RFC 2046 allows (1 to 70 `bchars`, no trailing space), quoted in the header.
fn boundary() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "-{0,28}[0-9A-Za-z]{8,24}",
        1 => "[0-9A-Za-z'()+_,./:=? -]{0,69}[0-9A-Za-z'()+_,./:=?-]",
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.-]{0,15}"
}

/// What `wx.uploadFile` may send as a file name: any text without quotes, backslashes or
/// control characters.
fn file_name() -> impl Strategy<Value = String> {
    "[^\"\\\\\\x00-\\x1f\\x7f]{1,30}"
}

fn small_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..300),
        1 => prop::collection::vec(any::<u8>(), 0..20_000),
        1 => prop::collection::vec(prop::sample::select(b"\r\n-ab".to_vec()), 0..100),
    ]
}

/// Text fields with distinct names, the file part (`file`), and other file parts, in any order.
fn form_parts() -> impl Strategy<Value = Vec<Part>> {
    let text = (field_name(), any::<String>()).prop_map(|(name, value)| Part {
        name,
        file_name: None,
        data: value.into_bytes(),
    });
    let other_file = (field_name(), file_name(), small_bytes()).prop_map(|(name, f, data)| Part {
        name,
        file_name: Some(f),
        data,
    });
    (
        prop::collection::vec(text, 0..6),
        prop::option::weighted(0.9, (file_name(), small_bytes())),
        prop::collection::vec(other_file, 0..2),
    )
        .prop_map(|(texts, file, others)| {
            let mut seen = BTreeSet::from(["file".to_owned()]);
            let mut parts: Vec<Part> = texts
                .into_iter()
                .chain(others)
                .filter(|p| seen.insert(p.name.clone()))
                .collect();
            if let Some((f, data)) = file {
                parts.push(Part {
                    name: "file".into(),
                    file_name: Some(f),
                    data,
                });
            }
            parts
        })
        .prop_shuffle()
}

fn cuts() -> impl Strategy<Value = Vec<(Index, bool)>> {
    prop::collection::vec((any::<Index>(), any::<bool>()), 0..12)
}

fn assert_form_error(
    result: &zudui_shared::Result<impl Sized>,
    also: Code,
) -> Result<(), TestCaseError> {
    if let Err(err) = result {
        let code = err.code();
        prop_assert!(
            [Code::BadParam, Code::TooLarge, also].contains(&code),
            "unexpected error {err:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    /// Well-formed forms, cut into random chunks with random pauses, read back to the same
    /// parts (streaming reader) and the same fields and file (`read_small`).
    #[test]
    fn multipart_well_formed_forms_read_back(
        boundary in boundary(),
        parts in form_parts(),
        preamble in "[a-z \r\n]{0,20}",
        epilogue in "[a-z \r\n]{0,20}",
        cuts in cuts(),
    ) {
        let delimiter = format!("\r\n--{boundary}");
        prop_assume!(parts.iter().all(|p| !contains(&p.data, delimiter.as_bytes())));
        let body = render_form(&boundary, preamble.as_bytes(), &parts, epilogue.as_bytes());

        let calm = preamble.len() + 2 + boundary.len();
        let (req, pulled) = form_request(&boundary, calm_until(split(&body, &cuts), calm));
        let read = run(read_parts(req, body.len() as u64));
        prop_assert_eq!(read.as_ref().ok(), Some(&parts), "{:?}", read.as_ref().err());
        // Everything up to the closing delimiter is read (the epilogue may be left unread).
        let close = body.len() - epilogue.len() - 2;
        prop_assert!(pulled.load(Ordering::SeqCst) >= close as u64);

        let (req, _) = form_request(&boundary, calm_until(split(&body, &cuts), calm));
        let upload = run(multipart::read_small(req, "file", 1 << 20, Code::BadPicture));
        let upload = match upload {
            Ok(upload) => upload,
            Err(err) => return Err(TestCaseError::fail(format!("read_small: {err:?}"))),
        };
        for part in parts.iter().filter(|p| p.file_name.is_none()) {
            prop_assert_eq!(upload.fields.str(&part.name).ok(), std::str::from_utf8(&part.data).ok());
        }
        for part in parts.iter().filter(|p| p.file_name.is_some()) {
            prop_assert!(upload.fields.opt_str(&part.name).unwrap().is_none(), "file part {} read as a field", part.name);
        }
        let file = parts.iter().find(|p| p.name == "file");
        prop_assert_eq!(
            upload.file.map(|f| (f.file_name, f.data.to_vec())),
            file.map(|f| (f.file_name.clone(), f.data.clone()))
        );
    }

    /// A file over `read_small`'s limit is refused with the caller's code, whatever the chunks.
    #[test]
    fn multipart_read_small_refuses_big_files(
        limit in 0usize..5000,
        extra in 1usize..3000,
        before in prop::collection::vec((field_name(), "[a-z0-9]{0,10}"), 0..3),
        cuts in cuts(),
    ) {
        let mut parts: Vec<Part> = before.into_iter().filter(|p| p.0 != "file")
            .map(|(name, v)| Part { name, file_name: None, data: v.into_bytes() }).collect();
        parts.push(Part { name: "file".into(), file_name: Some("a.png".into()), data: vec![7; limit + extra] });
        let body = render_form("XyZ", b"", &parts, b"");
        let (req, _) = form_request("XyZ", calm_until(split(&body, &cuts), 5));
        let result = run(multipart::read_small(req, "file", limit, Code::BadPicture));
        prop_assert_eq!(result.err().map(|e| e.code()), Some(Code::BadPicture));
    }


    /// Any bytes under a valid header: no panic, no hang, a clean answer (101, 104 or the
    /// caller's code), for both readers.
    #[test]
    fn multipart_any_bytes_end_cleanly(body in prop::collection::vec(any::<u8>(), 0..2000), cuts in cuts()) {
        let (req, _) = form_request("XyZ", split(&body, &cuts));
        assert_form_error(&run(read_parts(req, 1 << 20)), Code::TooLarge)?;
        let (req, _) = form_request("XyZ", split(&body, &cuts));
        assert_form_error(&run(multipart::read_small(req, "file", 100, Code::BadPicture)), Code::BadPicture)?;
    }

    /// Well-formed forms with random damage (bytes changed, inserted, removed, the body cut
    /// short): no panic, no hang, a clean answer.
    #[test]
    fn multipart_damaged_forms_end_cleanly(
        parts in form_parts(),
        edits in prop::collection::vec((any::<Index>(), 0u8..4, any::<u8>()), 1..6),
        cuts in cuts(),
        file_limit in 0usize..2000,
    ) {
        let mut body = render_form("XyZ", b"", &parts, b"");
        for (at, op, byte) in edits {
            let i = at.index(body.len() + 1);
            match op {
                0 if i < body.len() => body[i] = byte,
                1 => body.insert(i, byte),
                2 if i < body.len() => { body.remove(i); }
                _ => body.truncate(i),
            }
        }
        let (req, _) = form_request("XyZ", split(&body, &cuts));
        assert_form_error(&run(read_parts(req, 1 << 20)), Code::TooLarge)?;
        let (req, _) = form_request("XyZ", split(&body, &cuts));
        assert_form_error(&run(multipart::read_small(req, "file", file_limit, Code::BadPicture)), Code::BadPicture)?;
    }

    /// Any `Content-Type` (any boundary, quoted or not, any other text): no panic; a header that
    /// is not `multipart/form-data` with a boundary is 104 before any byte is read.
    #[test]
    fn multipart_any_boundary_ends_cleanly(
        content_type in prop_oneof![
            any::<String>().prop_map(|b| format!("multipart/form-data; boundary={b}")),
            any::<String>().prop_map(|b| format!("multipart/form-data; boundary=\"{b}\"")),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            Just("multipart/form-data; boundary=\"\"".to_owned()),
            Just("multipart/form-data; boundary=".to_owned()),
            Just("multipart/form-data".to_owned()),
            Just("multipart/mixed; boundary=XyZ".to_owned()),
        ],
        parts in form_parts(),
        noise in prop::collection::vec(any::<u8>(), 0..200),
        cuts in cuts(),
    ) {
        let Some(boundary) = multer::parse_boundary(&content_type).ok() else {
            if let Some(req) = request(content_type.as_bytes(), Body::from(noise.clone())) {
                let result = multipart::parser(req, 1 << 20);
                prop_assert_eq!(result.err().map(|e| e.code()), Some(Code::TooLarge));
            }
            return Ok(());
        };
        for body in [render_form(&boundary, b"", &parts, b""), noise.clone()] {
            let pulled = Arc::new(AtomicU64::new(0));
            let stream = Chunks { chunks: split(&body, &cuts), pulled };
            let Some(req) = request(content_type.as_bytes(), Body::stream(stream)) else { return Ok(()) };
            assert_form_error(&run(read_parts(req, 1 << 20)), Code::TooLarge)?;
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// A body that never ends is refused with 104 once it passes the limit; the parser pulls at
    /// most one chunk past it, never the whole body.
    #[test]
    fn multipart_endless_body_stops_at_the_limit(
        max_body in 0u64..(2 << 20),
        chunk in 512usize..(64 << 10),
        slow: bool,
        in_file: bool,
    ) {
        let head = if in_file {
            Bytes::from_static(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n")
        } else {
            Bytes::new()
        };
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Body::stream(Endless { head: Some(head), fill: Bytes::from(vec![b'x'; chunk]), slow, waited: false, pulled: pulled.clone() });
        let req = request(b"multipart/form-data; boundary=XyZ", body).unwrap();
        let result = run(read_parts(req, max_body));
        prop_assert_eq!(result.err().map(|e| e.code()), Some(Code::TooLarge));
        prop_assert!(pulled.load(Ordering::SeqCst) <= max_body + (chunk.max(100) as u64));
    }
}

/// Text fields hold at most `FIELDS_LIMIT` bytes together, names included, and there are at most
/// `FIELDS_MAX` of them; one byte or one field more is 104.
#[test]
fn multipart_text_fields_are_bounded_together() {
    let field = |name: &str, len: usize| Part {
        name: name.into(),
        file_name: None,
        data: vec![b'a'; len],
    };
    let half = FIELDS_LIMIT / 2;
    let cases: Vec<(&str, Vec<Part>, bool)> = vec![
        (
            "one field at the limit",
            vec![field("intro", FIELDS_LIMIT - 5)],
            true,
        ),
        (
            "one field a byte over",
            vec![field("intro", FIELDS_LIMIT - 4)],
            false,
        ),
        (
            "two at the limit together",
            vec![field("a", half - 1), field("b", half - 1)],
            true,
        ),
        (
            "two a byte over together",
            vec![field("a", half - 1), field("b", half)],
            false,
        ),
        (
            "the most fields",
            (0..FIELDS_MAX)
                .map(|i| field(&format!("f{i}"), 1))
                .collect(),
            true,
        ),
        (
            "a field too many",
            (0..=FIELDS_MAX)
                .map(|i| field(&format!("f{i}"), 1))
                .collect(),
            false,
        ),
    ];
    for (rule, parts, ok) in cases {
        let body = render_form("XyZ", b"", &parts, b"");
        let (req, _) = form_request("XyZ", split(&body, &[]));
        let result = run(multipart::read_small(req, "file", 10, Code::BadPicture));
        match ok {
            true => assert!(result.is_ok(), "{rule}"),
            false => assert_eq!(
                result.err().map(|e| e.code()),
                Some(Code::TooLarge),
                "{rule}"
            ),
        }
    }
}

/// A text field that is not UTF-8 is 101 naming it.
#[test]
fn multipart_non_utf8_field_is_101() {
    let parts = [Part {
        name: "group_id".into(),
        file_name: None,
        data: vec![0xff, 0xfe],
    }];
    let body = render_form("XyZ", b"", &parts, b"");
    let (req, _) = form_request("XyZ", split(&body, &[]));
    let err = run(multipart::read_small(req, "file", 10, Code::BadPicture))
        .err()
        .unwrap();
    assert_eq!(err.code(), Code::BadParam);
    assert!(err.client_message().contains("group_id"));
}

/// A request that is not `multipart/form-data` is 104 (README: avatars).
#[test]
fn multipart_requires_the_multipart_content_type() {
    for content_type in ["application/json", "text/plain", "multipart/form-data"] {
        let req = request(content_type.as_bytes(), Body::from(b"{}".to_vec())).unwrap();
        let err = run(multipart::read_small(req, "file", 10, Code::BadPicture))
            .err()
            .unwrap();
        assert_eq!(err.code(), Code::TooLarge);
    }
    let req: Request = http::Request::new(Body::empty());
    let err = run(multipart::read_small(req, "file", 10, Code::BadPicture))
        .err()
        .unwrap();
    assert_eq!(err.code(), Code::TooLarge);
}

// Regression tests for the multipart faults the properties found. Each asserts the behaviour
// the contract and README ask for, so each fails until its fault is fixed.

/// Bug: a well-formed form is refused with 101 ("incomplete multipart stream") when the body
/// stream answers `Pending` before the first boundary has arrived and then delivers the rest and
/// its end in one go. multer 3.1.0 (`Multipart::poll_next_field`, stage `FindingFirstBoundary`)
/// polls the stream a second time and, when that reaches the end, checks `eof` without looking
/// at the bytes it just buffered (rwf2/multer#70, open). A network body can do this whenever the
/// whole (small) form lands between two polls: a spurious failure under load, not a client error.
#[test]
fn multipart_form_after_a_pause_is_read() {
    let parts = vec![
        Part {
            name: "group_id".into(),
            file_name: None,
            data: b"12".to_vec(),
        },
        Part {
            name: "file".into(),
            file_name: Some("a.png".into()),
            data: b"PNGDATA".to_vec(),
        },
    ];
    let body = Bytes::from(render_form("XyZ", b"", &parts, b""));
    // Nothing has arrived at the first poll; then the whole body and its end.
    let (req, _) = form_request("XyZ", VecDeque::from([(true, body.clone())]));
    let read = run(read_parts(req, 1 << 20));
    assert_eq!(read.map_err(|e| e.client_message().to_owned()), Ok(parts));
    // Same with the first bytes of the boundary before the pause.
    let chunks = VecDeque::from([(false, body.slice(..3)), (true, body.slice(3..))]);
    let (req, _) = form_request("XyZ", chunks);
    let upload = run(multipart::read_small(req, "file", 100, Code::BadPicture));
    assert_eq!(
        upload.map(|u| u.file.unwrap().data).map_err(|e| e.code()),
        Ok(Bytes::from_static(b"PNGDATA"))
    );
}

/// Bug: bytes before the first boundary (preamble) and a part header without its blank line are
/// kept in memory until the whole body limit, which for group uploads is the group quota plus
/// `FORM_OVERHEAD` (5 GiB by default, 100 MiB + 1 MiB for chat files): multer buffers until it
/// finds `--boundary` or `\r\n\r\n` and only the whole-stream limit stops it. It also searches the
/// whole buffer again on every chunk, so time grows with the square of the size (8 MiB in 16 KiB
/// chunks takes about 0.2 s and 0.4 s here). Parts' contents stream; their framing should be
/// refused once it passes `FORM_OVERHEAD` ("room for the form fields and part headers").
#[test]
fn multipart_framing_is_not_buffered_to_the_body_limit() {
    let chunk = 16 << 10;
    for head in [
        &b""[..],
        b"--XyZ\r\n",
        b"--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\nX-A: ",
    ] {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Body::stream(Endless {
            head: Some(Bytes::from_static(head)),
            fill: Bytes::from(vec![b'x'; chunk]),
            slow: true,
            waited: false,
            pulled: pulled.clone(),
        });
        let req = request(b"multipart/form-data; boundary=XyZ", body).unwrap();
        let result = run(read_parts(req, 8 << 20));
        assert!(result.is_err());
        let pulled = pulled.load(Ordering::SeqCst);
        assert!(
            pulled <= FORM_OVERHEAD + chunk as u64,
            "{:?}...: {pulled} bytes of framing read and held before the refusal",
            String::from_utf8_lossy(head)
        );
    }
}

/// Bug: an avatar (or picture) past `MAX_UPLOAD + FORM_OVERHEAD` gets 104 when its body is in
/// memory or arrives faster than it is parsed, and 333 when it arrives in small chunks: multer's
/// whole-stream limit (file limit + `FORM_OVERHEAD`) and `read_field`'s file limit race. The
/// README says 333 "also for larger files"; the same request should get one answer.
#[test]
fn multipart_big_picture_code_does_not_depend_on_chunking() {
    let limit = 1000;
    let parts = [Part {
        name: "avatar".into(),
        file_name: Some("a.png".into()),
        data: vec![7; limit + FORM_OVERHEAD as usize + 10],
    }];
    let body = Bytes::from(render_form("XyZ", b"", &parts, b""));
    let (req, _) = form_request("XyZ", VecDeque::from([(false, body.clone())]));
    let whole = run(multipart::read_small(
        req,
        "avatar",
        limit,
        Code::BadPicture,
    ));
    let trickle = body
        .chunks(4096)
        .enumerate()
        .map(|(i, c)| (i > 0, Bytes::copy_from_slice(c)))
        .collect();
    let (req, _) = form_request("XyZ", trickle);
    let slow = run(multipart::read_small(
        req,
        "avatar",
        limit,
        Code::BadPicture,
    ));
    let codes = (whole.err().map(|e| e.code()), slow.err().map(|e| e.code()));
    assert_eq!(codes, (Some(Code::BadPicture), Some(Code::BadPicture)));
}

// ---------------------------------------------------------------------------------------------
// 3. Request parameters.
// ---------------------------------------------------------------------------------------------

/// The integer a decimal string spells (`[+-]?[0-9]+` in range, after trimming), by an
/// independent reading.
fn decimal(text: &str) -> Option<i64> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude = digits.bytes().try_fold(0i128, |n, d| {
        let n = n * 10 + i128::from(d - b'0');
        (n <= 1 << 64).then_some(n)
    })?;
    let n = if t.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    i64::try_from(n).ok()
}

fn one(name: &str, value: Value) -> Params {
    Params::from_map(Map::from_iter([(name.to_owned(), value)]))
}

fn param_error<T: std::fmt::Debug>(
    result: zudui_shared::Result<T>,
    name: &str,
) -> Result<(), TestCaseError> {
    match result {
        Ok(v) => prop_assert!(false, "expected an error for {name}, got {v:?}"),
        Err(err) => {
            prop_assert_eq!(err.code(), Code::BadParam);
            prop_assert!(
                err.client_message().contains(name),
                "{:?} does not name {}",
                err.client_message(),
                name
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(512))]

    /// Any bytes: no panic; `{}` for blank bodies, the object for JSON objects, else 101.
    #[test]
    fn params_from_json_any_bytes(body in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        "[ \t\r\n\u{c}]{0,5}".prop_map(String::into_bytes),
    ]) {
        let result = Params::from_json(&body);
        let blank = body.iter().all(u8::is_ascii_whitespace);
        let object = matches!(serde_json::from_slice::<Value>(&body), Ok(Value::Object(_)));
        match result {
            Ok(_) => prop_assert!(blank || object),
            Err(err) => {
                prop_assert!(!blank && !object);
                prop_assert_eq!(err.code(), Code::BadParam);
            }
        }
    }

    /// `json_body` (the POST body reader): any bytes, any chunks; 104 exactly when over
    /// `JSON_LIMIT`, else what `from_json` says.
    #[test]
    fn params_json_body_any_bytes(body in prop::collection::vec(any::<u8>(), 0..300), cuts in cuts()) {
        let stream = Chunks { chunks: split(&body, &cuts), pulled: Arc::new(AtomicU64::new(0)) };
        let req: Request = http::Request::new(Body::stream(stream));
        let got = run(json_body(req)).map(|_| ()).map_err(|e| e.code());
        prop_assert_eq!(got, Params::from_json(&body).map(|_| ()).map_err(|e| e.code()));
    }


    /// Every accessor on any value: no panic, the documented conversions, and every error is
    /// 101 naming the parameter.
    #[test]
    fn params_accessors_follow_the_conversions(name in "[a-z_]{1,10}", value in arb_json()) {
        let p = one(&name, value.clone());
        let absent = value.is_null();

        // Strings.
        match &value {
            Value::String(s) => {
                prop_assert_eq!(p.str(&name).ok(), Some(s.as_str()));
                prop_assert_eq!(p.opt_str(&name).ok(), Some(Some(s.as_str())));
            }
            _ if absent => {
                param_error(p.str(&name), &name)?;
                prop_assert_eq!(p.opt_str(&name).ok(), Some(None));
            }
            _ => {
                param_error(p.str(&name), &name)?;
                param_error(p.opt_str(&name), &name)?;
            }
        }

        // Ids: a JSON integer or a decimal string; blank is absent.
        let id = match &value {
            Value::Null => Ok(None),
            Value::Number(n) => n.as_i64().map(Some).ok_or(()),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => decimal(s).map(Some).ok_or(()),
            _ => Err(()),
        };
        match id {
            Ok(id) => {
                prop_assert_eq!(p.opt_id(&name).ok(), Some(id));
                match id {
                    Some(id) => prop_assert_eq!(p.id(&name).ok(), Some(id)),
                    None => param_error(p.id::<i64>(&name), &name)?,
                }
            }
            Err(()) => {
                param_error(p.opt_id::<i64>(&name), &name)?;
                param_error(p.id::<i64>(&name), &name)?;
            }
        }

        // User ids: a trimmed string, or an integer as its decimal string; blank is absent.
        let user = match &value {
            Value::Null => Ok(None),
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => Ok(Some(UserId::from(s.trim()))),
            Value::Number(n) if n.is_i64() => Ok(Some(n.as_i64().unwrap().to_string().into())),
            Value::Number(n) if n.is_u64() => Ok(Some(n.as_u64().unwrap().to_string().into())),
            _ => Err(()),
        };
        match user {
            Ok(user) => {
                prop_assert_eq!(p.opt_user_id(&name).ok(), Some(user.clone()));
                match user {
                    Some(user) => prop_assert_eq!(p.user_id(&name).ok(), Some(user)),
                    None => param_error(p.user_id(&name), &name)?,
                }
            }
            Err(()) => {
                param_error(p.opt_user_id(&name), &name)?;
                param_error(p.user_id(&name), &name)?;
            }
        }

        // Booleans: true/false, "true"/"false"/"1"/"0" (trimmed), 1/0.
        let flag = match &value {
            Value::Bool(b) => Some(*b),
            Value::String(s) => match s.trim() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            Value::Number(n) if n.as_i64() == Some(1) => Some(true),
            Value::Number(n) if n.as_i64() == Some(0) => Some(false),
            _ => None,
        };
        match flag {
            Some(flag) => prop_assert_eq!(p.bool(&name).ok(), Some(flag)),
            None => param_error(p.bool(&name), &name)?,
        }

        // Numbers: any JSON number, or a string of a finite number.
        match Params::number(&value, &name) {
            Ok(n) => {
                prop_assert!(n.is_finite());
                match &value {
                    Value::Number(v) => prop_assert_eq!(Some(n), v.as_f64()),
                    Value::String(s) => prop_assert_eq!(s.trim().parse::<f64>().ok(), Some(n)),
                    _ => prop_assert!(false, "{value} read as the number {n}"),
                }
            }
            Err(err) => {
                prop_assert_eq!(err.code(), Code::BadParam);
                prop_assert!(err.client_message().contains(&name));
                prop_assert!(!value.is_number());
            }
        }

        // Objects and arrays.
        match &value {
            Value::Object(m) => prop_assert_eq!(p.opt_object(&name).ok(), Some(Some(m))),
            _ if absent => prop_assert_eq!(p.opt_object(&name).ok(), Some(None)),
            _ => param_error(p.opt_object(&name), &name)?,
        }
        match &value {
            Value::Array(a) => prop_assert_eq!(p.array(&name).ok(), Some(a)),
            _ => param_error(p.array(&name), &name)?,
        }

        // Another name is absent.
        let other = format!("{name}_");
        prop_assert_eq!(p.opt_id::<i64>(&other).ok(), Some(None));
        param_error(p.str(&other), &other)?;
        param_error(p.bool(&other), &other)?;
    }

    /// Decimal strings of any i64 (with spaces, a sign, leading zeros) are read as ids; numbers
    /// past i64 are 101.
    #[test]
    fn params_ids_read_decimal_strings(n: i64, pad in "[ \t]{0,2}", zeros in "0{0,3}", big in (i64::MAX as u64 + 1)..) {
        let text = match n < 0 {
            true => format!("{pad}-{zeros}{}{pad}", n.unsigned_abs()),
            false => format!("{pad}{zeros}{n}{pad}"),
        };
        prop_assert_eq!(one("id", text.into()).id("id").ok(), Some(n));
        prop_assert_eq!(one("id", n.into()).id("id").ok(), Some(n));
        prop_assert_eq!(one("id", big.to_string().into()).id::<i64>("id").err().map(|e| e.code()), Some(Code::BadParam));
        prop_assert_eq!(one("id", big.into()).id::<i64>("id").err().map(|e| e.code()), Some(Code::BadParam));
        prop_assert_eq!(one("id", big.into()).user_id("id").ok(), Some(UserId::from(big.to_string())));
    }

    /// Any query string, percent signs and broken UTF-8 included: no panic, every value a string.
    #[test]
    fn params_from_query_any_text(query in prop_oneof![
        any::<String>(),
        "([a-z%=&+;]|%[0-9a-fA-F]{2}|%[0-9a-zA-Z]?|%[ef][0-9a-f]%[89ab][0-9a-f]){0,40}",
    ]) {
        let p = Params::from_query(&query);
        for pair in query.split('&') {
            let key = pair.split('=').next().unwrap_or_default();
            if !key.contains(['%', '+']) && !key.is_empty() {
                prop_assert!(p.opt_str(key).is_ok());
                prop_assert!(p.str(key).is_ok(), "{key} of {query:?}");
            }
        }
    }

    /// Pairs written with any mix of raw, `%XX` (either case) and `+` encodings read back.
    #[test]
    fn params_from_query_reads_encoded_pairs(
        pairs in prop::collection::btree_map("[a-z_]{1,8}", any::<String>(), 0..6),
        style in prop::collection::vec(0u8..3, 1..16),
    ) {
        let mut style = style.iter().cycle();
        let mut encode = |text: &str| {
            let mut out = String::new();
            for &b in text.as_bytes() {
                let s = *style.next().unwrap();
                match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' if s != 0 => out.push(b as char),
                    b' ' if s == 1 => out.push('+'),
                    _ if s == 2 => out.push_str(&format!("%{b:02x}")),
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            out
        };
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        let p = Params::from_query(&query.join("&"));
        for (k, v) in &pairs {
            prop_assert_eq!(p.str(k).ok(), Some(v.as_str()));
        }
    }

    /// Form fields: every value is a string and reads back.
    #[test]
    fn params_from_pairs_reads_back(pairs in prop::collection::btree_map(any::<String>(), any::<String>(), 0..6)) {
        let p = Params::from_pairs(pairs.clone());
        for (k, v) in &pairs {
            prop_assert_eq!(p.str(k).ok(), Some(v.as_str()));
            prop_assert_eq!(p.opt_id(k).ok().flatten(), decimal(v));
        }
    }
}

proptest! {
    #![proptest_config(cases(64))]

    /// Nested JSON of any depth and shape: no stack overflow; objects up to a modest depth are
    /// read, deeper ones may be refused with 101.
    #[test]
    fn params_deep_json_is_refused_cleanly(shape in prop::collection::vec(any::<bool>(), 1..20_000)) {
        let mut text = String::from("{\"k\":");
        for array in &shape {
            text.push_str(if *array { "[" } else { "{\"a\":" });
        }
        text.push('1');
        for array in shape.iter().rev() {
            text.push(if *array { ']' } else { '}' });
        }
        text.push('}');
        match Params::from_json(text.as_bytes()) {
            Ok(p) => prop_assert!(p.opt_str("k").is_err()),
            Err(err) => {
                prop_assert_eq!(err.code(), Code::BadParam);
                prop_assert!(shape.len() > 100, "depth {} refused", shape.len());
            }
        }
    }

    /// A JSON body that never ends is refused with 104 after at most one chunk past the limit.
    #[test]
    fn params_endless_json_body_stops_at_the_limit(chunk in 512usize..(256 << 10), slow: bool) {
        let pulled = Arc::new(AtomicU64::new(0));
        let body = Body::stream(Endless {
            head: Some(Bytes::from_static(b"{\"a\":\"")),
            fill: Bytes::from(vec![b'x'; chunk]),
            slow,
            waited: false,
            pulled: pulled.clone(),
        });
        let err = run(json_body(http::Request::new(body))).map(drop).unwrap_err();
        prop_assert_eq!(err.code(), Code::TooLarge);
        prop_assert!(pulled.load(Ordering::SeqCst) <= (JSON_LIMIT + chunk) as u64);
    }
}

#[test]
fn params_deeply_nested_json_is_101() {
    for depth in [129, 10_000, 100_000, 1_000_000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{{\"k\":{}1{}}}", open.repeat(depth), close.repeat(depth));
            let err = Params::from_json(text.as_bytes()).unwrap_err();
            assert_eq!(err.code(), Code::BadParam);
            let err = Params::from_json(open.repeat(depth).as_bytes()).unwrap_err();
            assert_eq!(err.code(), Code::BadParam);
        }
    }
}

#[test]
fn params_json_body_limit_is_exact() {
    let body = |len: usize| {
        let mut text = br#"{"a":""#.to_vec();
        text.resize(len - 2, b'x');
        text.extend_from_slice(b"\"}");
        text
    };
    let req: Request = http::Request::new(Body::from(body(JSON_LIMIT)));
    assert!(run(json_body(req)).is_ok());
    let req: Request = http::Request::new(Body::from(body(JSON_LIMIT + 1)));
    assert_eq!(
        run(json_body(req)).map(drop).unwrap_err().code(),
        Code::TooLarge
    );
}
