//! The OpenAPI 3.1 document, assembled from the route table ([`super::table`]), each route's
//! [`Doc`] and the JSON Schemas of the types it takes and gives. Methods, security, the codes
//! every route of a kind answers and the error responses follow from the table; the codes'
//! statuses and messages from [`Code`].
//!
//! Both hosts serve `shared/openapi.json` as it is in the repository (a Spin component links only
//! its own routes, so none could assemble the whole document); a unit test fails when that file
//! is not what [`document`] assembles, and `UPDATE_OPENAPI=1 cargo test -p zudui-shared --lib
//! openapi` writes it.

use std::collections::BTreeSet;

use schemars::generate::{Contract, SchemaSettings};
use schemars::transform::{transform_subschemas, Transform};
use schemars::{Schema, SchemaGenerator};
use serde_json::{json, Map, Value};

use super::doc::{Doc, Gives, SchemaFn, Tag, Takes};
use super::table::{Handler, Input, Methods};
use super::{table, Area, Found};

use crate::error::Code;

const COMPONENTS: &str = "/components/schemas";

/// The whole document.
pub fn document() -> Value {
    let mut requests = generator(Contract::Deserialize);
    let mut answers = generator(Contract::Serialize);
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let mut item = Map::new();
        for method in endpoint.methods.names() {
            let doc = endpoint
                .doc
                .unwrap_or_else(|| panic!("{} has no Doc", endpoint.path));
            let operation = operation(&endpoint, doc, method, &mut requests, &mut answers);
            item.insert((*method).to_owned(), operation);
        }
        if endpoint.caller == Caller::Relay {
            item.insert("x-unlisted-methods".into(), json!({
                "code": 103,
                "status": 405,
                "description": "103 with the relay secret; without it 102, like every other call.",
            }));
        }
        paths.insert(endpoint.path.to_owned(), Value::Object(item));
    }
    let mut schemas = requests.take_definitions(true);
    for (name, schema) in answers.take_definitions(true) {
        // One name, one schema: a type read and written alike reads as it is written.
        if let Some(read) = schemas.get(&name) {
            assert_eq!(read, &schema, "{name} is read and answered differently");
        }
        schemas.insert(name, schema);
    }
    schemas.insert("Error".into(), error_schema());
    schemas.insert(
        "SuccessMsg".into(),
        json!({
            "type": "object",
            "description": "`success_msg_response`: exactly `{\"code\": 0, \"msg\": \"success\"}`.",
            "required": ["code", "msg"],
            "properties": { "code": { "const": 0 }, "msg": { "const": "success" } },
            "additionalProperties": false,
        }),
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Zudui (组队) API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": INTRODUCTION,
            "license": { "name": "MIT", "identifier": "MIT" },
        },
        "servers": [{
            "url": "http://127.0.0.1:8080",
            "description": "native server (`cargo run --release`)",
        }],
        "tags": Tag::ALL.iter().map(|tag| {
            let (name, description) = tag.parts();
            json!({ "name": name, "description": description })
        }).collect::<Vec<_>>(),
        "paths": paths,
        "x-error-codes": error_codes(),
        "components": {
            "schemas": schemas,
            "responses": error_responses(),
            "securitySchemes": security_schemes(),
        },
    })
}

/// The document as the repository keeps it: JSON indented by two spaces, with every value that
/// fits in 100 columns on one line (a third smaller than one value per line), and a final newline.
pub fn text() -> String {
    let mut text = String::new();
    layout(&document(), 0, 0, &mut text);
    text.push('\n');
    text
}

const WIDTH: usize = 100;

/// Writes `value` at `depth`, `taken` columns of its line already used (by its key).
fn layout(value: &Value, depth: usize, taken: usize, out: &mut String) {
    let one_line = one_line(value);
    let fits = 2 * depth + taken + one_line.chars().count() <= WIDTH;
    let (open, close, items): (char, char, Vec<(Option<&String>, &Value)>) = match value {
        Value::Object(map) if !map.is_empty() && !fits => {
            ('{', '}', map.iter().map(|(k, v)| (Some(k), v)).collect())
        }
        Value::Array(list) if !list.is_empty() && !fits => {
            ('[', ']', list.iter().map(|v| (None, v)).collect())
        }
        _ => return out.push_str(&one_line),
    };
    let inner = "  ".repeat(depth + 1);
    out.push(open);
    for (i, (key, item)) in items.iter().enumerate() {
        out.push_str(if i == 0 { "\n" } else { ",\n" });
        out.push_str(&inner);
        let taken = match key {
            Some(key) => {
                let key = format!("{}: ", Value::from(key.as_str()));
                out.push_str(&key);
                key.chars().count() + 1
            }
            None => 1,
        };
        layout(item, depth + 1, taken, out);
    }
    out.push('\n');
    out.push_str(&"  ".repeat(depth));
    out.push(close);
}

/// A value on one line, with a space after each `,` and `:`.
fn one_line(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), one_line(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(list) => {
            let items: Vec<String> = list.iter().map(one_line).collect();
            format!("[{}]", items.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

const INTRODUCTION: &str = "The backend of the Zudui mini-program. Paths and fields follow `api.zh.md`, settled by `contract.md`; the README records the remaining decisions.\n\nSuccess is HTTP 200 with `{\"code\": 0, \"msg\": \"success\", ...fields}`; failure is `{\"code\": N, \"errorMsg\": \"...\"}` with the contract's status. POST endpoints take a JSON object (an empty body counts as `{}`; unknown fields are ignored; over 1 MiB is 104) or `multipart/form-data` for uploads; GET endpoints take their parameters in the query string, the token included. Unknown paths are 102, methods an operation does not list are 103 (`x-unlisted-methods` on a path notes the exceptions). Each operation lists the codes it can answer in `x-codes` (`x-error-codes` names every code, with its message and HTTP status), 100 (an internal error) and 104 (request headers over 32 KiB, native server) included. The native server and the relay close, without an answer, a connection whose request headers are not complete 10 s after their first byte (`ZUDUI_HEADER_TIMEOUT_SECS`) or that waits 75 s for its next request (`ZUDUI_IDLE_TIMEOUT_SECS`), and hold at most 1,000 connections per client address (`ZUDUI_MAX_CONNECTIONS_PER_IP`).\n\nEvery answer carries `x-request-id`: the request's own when it sent one of 1 to 64 letters, digits, `-`, `_`, `.` or `:`, else a new one; a 100's body carries it too (`request_id`), and so does the server's log line of the request, so a user's report of a failure finds it.\n\nNot here: the relay binary's own routes (`POST /internal/publish`, `GET /healthz`, `GET /readyz` of `zudui-relay`), which the API server does not route.";

/// Who may call an endpoint (see [`Handler`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anyone,
    User,
    Console,
    Relay,
}

/// What the document says of a route, or of a chat socket (which the relay serves).
struct Endpoint {
    path: &'static str,
    methods: Methods,
    input: Input,
    limited: bool,
    caller: Caller,
    area: Area,
    doc: Option<&'static Doc>,
}

fn endpoints() -> impl Iterator<Item = Endpoint> {
    let routes = table().map(|Found { area, route, .. }| Endpoint {
        path: route.path,
        methods: route.methods,
        input: route.input,
        limited: route.limit.is_some(),
        caller: match route.handler {
            Handler::Open(_) => Caller::Anyone,
            Handler::User(_) => Caller::User,
            Handler::Console(_) => Caller::Console,
            Handler::Relay(_) => Caller::Relay,
        },
        area,
        doc: route.doc,
    });
    let sockets = super::chat::SOCKETS.iter().map(|socket| Endpoint {
        path: socket.path,
        methods: Methods::Get,
        input: Input::Query,
        limited: false,
        caller: Caller::User,
        area: Area::Chat,
        doc: Some(socket.doc),
    });
    routes.chain(sockets)
}

/// Schemas for one direction: what clients send is read with the `Deserialize` contract, what
/// the server answers with the `Serialize` one (where every field it always writes is
/// required, and no other may appear).
fn generator(contract: Contract) -> SchemaGenerator {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = COMPONENTS.into();
        s.meta_schema = None;
        s.contract = contract.clone();
    });
    let settings = settings.with_transform(Plain);
    match contract {
        Contract::Serialize => settings.with_transform(Closed).into_generator(),
        _ => settings.into_generator(),
    }
}

/// Numbers without the `format` schemars gives Rust's integer and float types (`int64`,
/// `uint32`, `double`…): JSON has one number type, and the document states ranges instead.
#[derive(Clone)]
struct Plain;

impl Transform for Plain {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(object) = schema.as_object_mut() {
            let numeric = matches!(
                object.get("type").and_then(Value::as_str),
                Some("integer" | "number")
            ) || object
                .get("type")
                .and_then(Value::as_array)
                .is_some_and(|types| types.iter().any(|t| t == "integer" || t == "number"));
            if numeric
                && object
                    .get("format")
                    .and_then(Value::as_str)
                    .is_some_and(is_number_format)
            {
                object.remove("format");
            }
            // An optional field's `default: null` says nothing an absent `required` does not.
            if object.get("default") == Some(&Value::Null) {
                object.remove("default");
            }
        }
        transform_subschemas(self, schema);
    }
}

/// A route's own fields (an inline schema, which the generator's transforms do not reach),
/// without the type's title and description: the operation says what they are for.
fn plain(mut schema: Schema) -> Schema {
    Plain.transform(&mut schema);
    schema.remove("title");
    schema.remove("description");
    schema
}

fn is_number_format(format: &str) -> bool {
    matches!(format, "float" | "double") || format.trim_start_matches('u').starts_with("int")
}

/// `schema` without the `null` schemars allows for an `Option`.
fn not_null(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t != "null");
        if let [only] = &types[..] {
            let only = only.clone();
            object.insert("type".into(), only);
        }
    }
    let any_of = object.get("anyOf").and_then(Value::as_array).cloned();
    if let Some(mut any_of) = any_of {
        any_of.retain(|s| s != &json!({ "type": "null" }));
        match any_of.len() {
            1 => {
                object.remove("anyOf");
                if let Value::Object(only) = any_of.remove(0) {
                    object.extend(only);
                }
            }
            _ => {
                object.insert("anyOf".into(), Value::Array(any_of));
            }
        }
    }
}

/// Answers list every field they may have: an object without `additionalProperties` gets
/// `false`, so a check of an answer against its schema catches a field the document misses.
#[derive(Clone)]
struct Closed;

impl Transform for Closed {
    fn transform(&mut self, schema: &mut Schema) {
        if let Some(object) = schema.as_object_mut() {
            // An optional field is left out when it has no value, never sent as null.
            let required: Vec<Value> = object
                .get("required")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    if !required.contains(&Value::from(name.as_str())) {
                        not_null(property);
                    }
                }
            }
            if object.get("type") == Some(&json!("object"))
                && object.contains_key("properties")
                && !object.contains_key("additionalProperties")
            {
                object.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        transform_subschemas(self, schema);
    }
}

fn operation(
    endpoint: &Endpoint,
    doc: &Doc,
    method: &str,
    requests: &mut SchemaGenerator,
    answers: &mut SchemaGenerator,
) -> Value {
    let codes = codes(endpoint, doc);
    let id = match endpoint.methods {
        Methods::PutOrPost | Methods::GetOrPost => format!("{}{}", doc.id, capitalized(method)),
        _ => doc.id.to_owned(),
    };
    let listed: Vec<String> = codes
        .iter()
        .map(|code| format!("{} {}", code.number(), code.message()))
        .collect();
    let description = match doc.about {
        "" => format!("Codes: {}.", listed.join("; ")),
        about => format!("{about}\n\nCodes: {}.", listed.join("; ")),
    };
    let mut op = json!({
        "operationId": id,
        "tags": [doc.tag.parts().0],
        "summary": doc.summary,
        "description": description,
        "x-codes": codes.iter().map(|code| code.number()).collect::<Vec<_>>(),
        "security": security(endpoint.caller, doc, method),
    });
    let mut parameters = Vec::new();
    match (doc.takes, method) {
        // A JSON route's empty body counts as `{}`.
        (Takes::Nothing, "post") if endpoint.input == Input::Json => {
            op["requestBody"] = json_body(json!({ "type": "object", "properties": {} }));
        }
        (Takes::Nothing, _) => {}
        (Takes::Fields(fields), "get") | (Takes::Bytes(fields), _) => {
            parameters.extend(query(plain(fields(requests))));
        }
        (Takes::Fields(fields), _) => {
            op["requestBody"] = json_body(plain(fields(requests)).to_value())
        }
        (Takes::Form { fields, file }, _) => {
            op["requestBody"] = form(plain(fields(requests)), file)
        }
    }
    if let Takes::Bytes(_) = doc.takes {
        op["requestBody"] = json!({
            "required": true,
            "content": {
                "application/octet-stream": { "schema": { "type": "string", "format": "binary" } },
            },
        });
    }
    let mut responses = Map::new();
    match doc.gives {
        Gives::Fields(fields) => {
            let schema = envelope(fields, answers);
            let mut success = json!({
                "description": doc.success,
                "content": { "application/json": { "schema": schema } },
            });
            if let Some(what) = doc.cookie {
                success["headers"] = json!({ "Set-Cookie": {
                    "description": what, "required": true, "schema": { "type": "string" },
                } });
            }
            responses.insert("200".into(), success);
        }
        Gives::Picture => {
            parameters.push(header("If-None-Match", IF_NONE_MATCH));
            responses.extend(picture_responses());
        }
        Gives::File => {
            parameters.extend(file_headers());
            responses.extend(file_responses());
        }
        Gives::Text(what) => {
            responses.insert(
                "200".into(),
                json!({
                    "description": what,
                    "content": { "text/plain": { "schema": { "type": "string" } } },
                }),
            );
        }
        Gives::Media => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "The bytes, with their `Content-Type` (`image/*` or `audio/*`).",
                    "content": {
                        "image/*": { "schema": { "type": "string", "format": "binary" } },
                        "audio/*": { "schema": { "type": "string", "format": "binary" } },
                    },
                }),
            );
        }
        Gives::Page => {
            responses.insert("200".into(), json!({
                "description": "The console (`text/html; charset=utf-8`, `Cache-Control: no-store`, a strict CSP).",
                "content": { "text/html": { "schema": { "type": "string" } } },
            }));
        }
        Gives::Socket => {
            responses.insert(
                "101".into(),
                json!({
                    "description": "Switching Protocols: the WebSocket session begins.",
                }),
            );
            op["x-websocket"] = json!({
                "client": requests.subschema_for::<crate::chat::ClientMessage>(),
                "server": answers.subschema_for::<crate::chat::Shaped>(),
                "error": { "$ref": "#/components/schemas/Error" },
            });
        }
        Gives::Probe { schema, can_fail } => {
            let schema = schema(answers);
            let statuses = [("200", "Well"), ("503", "Not ready")];
            for (status, what) in &statuses[..if can_fail { 2 } else { 1 }] {
                responses.insert(
                    (*status).into(),
                    json!({
                        "description": what,
                        "content": { "application/json": { "schema": schema.clone() } },
                    }),
                );
            }
        }
        Gives::Document => {
            responses.insert(
                "200".into(),
                json!({
                    "description": "The document",
                    "content": { "application/json": { "schema": {
                        "type": "object",
                        "required": ["openapi", "info", "paths"],
                        "properties": {
                            "openapi": { "type": "string", "pattern": "^3\\.1\\." },
                            "info": { "type": "object" },
                            "paths": { "type": "object" },
                        },
                    } } },
                }),
            );
        }
    }
    let mut statuses: BTreeSet<u16> = codes.iter().map(|c| c.status().as_u16()).collect();
    if endpoint.input == Input::Json && method == "post" {
        statuses.insert(415);
    }
    if let Gives::Socket = doc.gives {
        statuses.remove(&413);
    }
    for status in statuses {
        responses
            .entry(status.to_string())
            .or_insert_with(|| json!({ "$ref": format!("#/components/responses/Error{status}") }));
    }
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op["responses"] = Value::Object(responses);
    op
}

/// The codes of a route: those of its kind, and its own.
fn codes(endpoint: &Endpoint, doc: &Doc) -> Vec<Code> {
    let mut codes = vec![Code::Internal, Code::MethodNotAllowed];
    if !matches!(doc.gives, Gives::Socket) {
        codes.push(Code::TooLarge);
    }
    if endpoint.limited {
        codes.push(Code::TooManyRequests);
    }
    // A body that is not a JSON object, or fields that do not fit.
    if endpoint.input == Input::Json || !matches!(doc.takes, Takes::Nothing) {
        codes.push(Code::BadParam);
    }
    match endpoint.caller {
        Caller::User => codes.extend([Code::TokenExpired, Code::TokenInvalid, Code::TokenMissing]),
        // The guard limits wrong credentials per address (105) on every console route.
        Caller::Console => codes.extend([
            Code::TokenInvalid,
            Code::TokenMissing,
            Code::TooManyRequests,
        ]),
        Caller::Relay => codes.push(Code::NoEndpoint),
        Caller::Anyone if doc.reads_token => codes.push(Code::TokenMissing),
        Caller::Anyone => {}
    }
    if endpoint.area == Area::Debug {
        codes.push(Code::NoEndpoint);
    }
    codes.extend(doc.checks);
    if doc.judges_text {
        codes.extend(crate::content::text::CODES);
    }
    codes.extend(doc.codes);
    codes.sort_by_key(|code| code.number());
    codes.dedup();
    codes
}

fn security(caller: Caller, doc: &Doc, method: &str) -> Value {
    let get = method == "get";
    match caller {
        Caller::User if get => json!([{ "tokenQuery": [] }, { "tokenHeader": [] }]),
        Caller::User => json!([{ "tokenHeader": [] }]),
        Caller::Console if get => json!([{ "adminBearer": [] }, { "adminCookie": [] }]),
        Caller::Console => json!([{ "adminBearer": [] }, { "adminCookie": [], "csrfToken": [] }]),
        Caller::Relay => json!([{ "relaySecret": [] }]),
        Caller::Anyone if doc.reads_token => json!([{ "tokenHeader": [] }]),
        Caller::Anyone => json!([]),
    }
}

/// A JSON body with `schema`; required when some field is (an empty body counts as `{}`).
fn json_body(schema: Value) -> Value {
    let required = schema["required"].as_array().is_some_and(|r| !r.is_empty());
    json!({
        "required": required,
        "content": { "application/json": { "schema": schema } },
    })
}

/// The success envelope around the fields of an answer; `SuccessMsg` when there are none.
fn envelope(fields: SchemaFn, answers: &mut SchemaGenerator) -> Value {
    let mut schema = plain(fields(answers));
    Closed.transform(&mut schema);
    let mut schema = schema.to_value();
    if schema["properties"]
        .as_object()
        .is_none_or(|p| p.is_empty())
    {
        return json!({ "$ref": "#/components/schemas/SuccessMsg" });
    }
    let object = schema.as_object_mut().expect("an answer is an object");
    object.remove("title");
    object.insert("type".into(), json!("object"));
    object.insert("additionalProperties".into(), Value::Bool(false));
    let mut properties = Map::new();
    properties.insert("code".into(), json!({ "const": 0 }));
    properties.insert("msg".into(), json!({ "const": "success" }));
    if let Some(Value::Object(own)) = object.remove("properties") {
        properties.extend(own);
    }
    object.insert("properties".into(), Value::Object(properties));
    let mut required = vec![json!("code"), json!("msg")];
    if let Some(Value::Array(own)) = object.remove("required") {
        required.extend(own);
    }
    object.insert("required".into(), Value::Array(required));
    schema
}

/// The query parameters of a GET (or of an upload part): one per field of `schema`.
fn query(schema: Schema) -> Vec<Value> {
    let schema = schema.to_value();
    let required: BTreeSet<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let empty = Map::new();
    let properties = schema["properties"].as_object().unwrap_or(&empty);
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property
                .as_object_mut()
                .and_then(|p| p.remove("description"));
            let mut parameter = json!({
                "name": name,
                "in": "query",
                "required": required.contains(name.as_str()),
                "schema": property,
            });
            if let Some(description) = description {
                parameter["description"] = description;
            }
            parameter
        })
        .collect()
}

fn form(fields: Schema, file: &str) -> Value {
    let mut schema = fields.to_value();
    schema["properties"][file] = json!({ "type": "string", "format": "binary" });
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    schema["required"] = Value::Array([required, vec![json!(file)]].concat());
    schema.as_object_mut().map(|s| s.remove("title"));
    json!({
        "description": "`multipart/form-data` as `wx.uploadFile` sends it: the text fields first, then the file part. A body that is not multipart is 104.",
        "required": true,
        "content": { "multipart/form-data": {
            "schema": schema,
            "encoding": { file: { "contentType": "application/octet-stream" } },
        } },
    })
}

fn header(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "header", "required": false, "description": description,
            "schema": { "type": "string" } })
}

const IF_NONE_MATCH: &str = "an `ETag` received before: 304 when it still matches";

fn picture_responses() -> Map<String, Value> {
    let responses = json!({
        "200": {
            "description": "The picture (JPEG when opaque, PNG when transparent; generated identicons are PNG).",
            "headers": {
                "ETag": { "description": "validator of these bytes", "required": true, "schema": { "type": "string" } },
                "Cache-Control": { "description": "`private, no-cache`", "required": true, "schema": { "type": "string" } },
            },
            "content": {
                "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } },
                "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } },
            },
        },
        "304": {
            "description": "Not modified: `If-None-Match` matched the current `ETag` (empty body).",
            "headers": { "ETag": { "description": "validator", "required": true, "schema": { "type": "string" } } },
        },
    });
    responses.as_object().cloned().unwrap_or_default()
}

fn file_headers() -> [Value; 3] {
    [
        header(
            "Range",
            "one byte range; several ranges or a malformed header give the whole file",
        ),
        header(
            "If-Range",
            "the `ETag`: the range only applies while it matches",
        ),
        header("If-None-Match", IF_NONE_MATCH),
    ]
}

fn file_responses() -> Map<String, Value> {
    let responses = json!({
        "200": {
            "description": "The whole file (or, with `thumbnail`, its JPEG thumbnail of at most 256 px). `Content-Type` is the type detected from the content; HTML, SVG, XML and scripts are sent as `application/octet-stream`.",
            "headers": {
                "ETag": { "description": "strong validator (absent on thumbnails)", "schema": { "type": "string" } },
                "Accept-Ranges": { "description": "`bytes` (absent on thumbnails)", "schema": { "type": "string" } },
                "Content-Disposition": { "description": "`attachment` with an ASCII `filename` and the UTF-8 `filename*` (absent on thumbnails)", "schema": { "type": "string" } },
            },
            "content": { "*/*": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } },
        },
        "206": {
            "description": "One byte range (`Range: bytes=a-b`, `a-` or `-n`; `If-Range` honoured).",
            "headers": {
                "Content-Range": { "description": "`bytes a-b/size`", "required": true, "schema": { "type": "string" } },
                "ETag": { "description": "strong validator", "required": true, "schema": { "type": "string" } },
            },
            "content": { "*/*": { "schema": { "type": "string", "contentMediaType": "application/octet-stream" } } },
        },
        "302": {
            "description": "With object storage, a file stored as one object (sent directly, or no larger than a chunk): a redirect to a signed link to it, good for 5 minutes, answered by the store with the same `Content-Type`, `Content-Disposition` and ranges (the store's host must be among the mini-program's downloadFile domains). Not for thumbnails.",
            "headers": {
                "Location": { "description": "the signed link", "required": true, "schema": { "type": "string", "format": "uri" } },
                "ETag": { "description": "the file's validator, for `If-None-Match` (304)", "required": true, "schema": { "type": "string" } },
            },
        },
        "304": {
            "description": "Not modified: `If-None-Match` matched (empty body).",
            "headers": { "ETag": { "description": "validator", "required": true, "schema": { "type": "string" } } },
        },
        "416": {
            "description": "Range not satisfiable (code 101; `Content-Range: bytes */<size>`)",
            "headers": { "Content-Range": { "description": "`bytes */size`", "required": true, "schema": { "type": "string" } } },
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        },
    });
    responses.as_object().cloned().unwrap_or_default()
}

fn security_schemes() -> Value {
    json!({
        "tokenHeader": { "type": "apiKey", "in": "header", "name": "token", "description": "The JWT from `/auth/login`, in the `token` header. A token without `exp` is 112." },
        "tokenQuery": { "type": "apiKey", "in": "query", "name": "token", "description": "The same token in the query string (GET endpoints: `<image src>`, `wx.downloadFile`)." },
        "adminBearer": { "type": "http", "scheme": "bearer", "description": "`Authorization: Bearer <ZUDUI_ADMIN_TOKEN>` (scripts)." },
        "adminCookie": { "type": "apiKey", "in": "cookie", "name": "zudui_admin", "description": "The console's session cookie from `/debug/api/login`." },
        "csrfToken": { "type": "apiKey", "in": "header", "name": "x-csrf-token", "description": "The session's CSRF token (`csrf`), on every write by cookie." },
        "relaySecret": { "type": "apiKey", "in": "header", "name": crate::chat::relay::SECRET_HEADER, "description": "`ZUDUI_RELAY_SECRET`, shared by the server and `zudui-relay`." },
    })
}

/// `Error`: the failure envelope.
fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "`{code, errorMsg}` with the contract's HTTP status.",
        "required": ["code", "errorMsg"],
        "properties": {
            "code": { "type": "integer", "minimum": 100, "maximum": 499, "description": "the code (see `x-codes` of each operation)" },
            "errorMsg": { "type": "string", "minLength": 1, "description": "a short Chinese message" },
            "retry_after": { "type": "integer", "minimum": 1, "description": "105 only: seconds until a request may succeed" },
            "request_id": { "type": "string", "minLength": 1, "maxLength": 64, "description": "100 only: the request's `x-request-id`, to find its log line" },
        },
        "additionalProperties": false,
    })
}

/// Every code, named, with its default message and HTTP status: what a client generates its
/// error constants from (the SDK's `ErrorCode`).
fn error_codes() -> Vec<Value> {
    Code::ALL
        .iter()
        .map(|code| {
            let (number, message, status) = code.parts();
            json!({
                "code": number,
                "name": format!("{code:?}"),
                "message": message,
                "status": status.as_u16(),
            })
        })
        .collect()
}

/// One error response per HTTP status, naming the codes answered with it.
fn error_responses() -> Value {
    let mut responses = json!({});
    for (status, title) in [
        (400, "Bad request"),
        (401, "Missing, expired or invalid credential"),
        (403, "Forbidden"),
        (404, "Not found"),
        (405, "Method not allowed (103)"),
        (409, "Conflict"),
        (413, "Too large or full"),
        (
            429,
            "Too many requests (105; `Retry-After` header and `retry_after` field)",
        ),
        (500, "Internal error (100)"),
        (503, "Unavailable for now: try again later"),
    ] {
        let codes: Vec<String> = Code::ALL
            .iter()
            .filter(|code| code.status().as_u16() == status)
            .map(|code| code.number().to_string())
            .collect();
        responses[format!("Error{status}")] = json!({
            "description": format!("{title} (codes {}; an operation's `x-codes` lists its own)", codes.join(", ")),
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
        });
    }
    responses["Error429"]["headers"] = json!({
        "Retry-After": { "description": "seconds until a request may succeed", "schema": { "type": "integer" } },
    });
    responses["Error415"] = json!({
        "description": "A body of another media type than the operation's JSON (code 104)",
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    });
    responses
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_document_is_the_assembled_one() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
        let assembled = text();
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(path, &assembled).expect("write shared/openapi.json");
        }
        let committed = std::fs::read_to_string(path).expect("shared/openapi.json");
        assert!(
            committed == assembled,
            "shared/openapi.json is not what the route table assembles: run \
             `UPDATE_OPENAPI=1 cargo test -p zudui-shared --lib openapi` and commit it"
        );
    }

    #[test]
    fn every_route_is_documented() {
        let document = document();
        for endpoint in endpoints() {
            for method in endpoint.methods.names() {
                let op = &document["paths"][endpoint.path][method];
                assert!(op["operationId"].is_string(), "{method} {}", endpoint.path);
            }
        }
    }
}
