//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::paths::group;
pub use crate::common::{encode, png, Server};
pub use serde_json::{json, Value};

/// A group with a creator, an admin, a plain member, and an outsider who is signed in.
pub struct Setup {
    pub server: Server,
    pub group: i64,
    pub creator: String,
    pub admin: String,
    pub member: String,
    pub outsider: String,
    pub admin_id: String,
    pub creator_id: String,
}

impl Setup {
    pub async fn new(prefix: &str) -> Setup {
        let server = Server::start().await;
        let creator = server.login(&format!("{prefix}-creator")).await;
        let admin = server.login(&format!("{prefix}-admin")).await;
        let member = server.login(&format!("{prefix}-member")).await;
        let outsider = server.login(&format!("{prefix}-outsider")).await;
        let group = create_group(&server, &creator, "学习小组").await;
        join(&server, &creator, &admin, group).await;
        join(&server, &creator, &member, group).await;
        let admin_id = server.user_id(&admin).await;
        let creator_id = server.user_id(&creator).await;
        let res = server
            .ok(
                "/group/internal/member/switchAdmin",
                &creator,
                json!({ "group_id": group, "user_id": admin_id }),
            )
            .await;
        assert_eq!(res["is_admin"], true);
        Setup {
            server,
            group,
            creator,
            admin,
            member,
            outsider,
            admin_id,
            creator_id,
        }
    }

    /// Those who may not write the profile or announcements: a member and an outsider.
    pub fn not_managers(&self) -> [&str; 2] {
        [&self.member, &self.outsider]
    }

    pub fn g(&self) -> String {
        self.group.to_string()
    }

    pub async fn dismiss(&self) {
        self.server
            .ok(
                "/group/internal/setting/dismiss",
                &self.creator,
                json!({ "group_id": self.group }),
            )
            .await;
    }
}

pub async fn create_group(server: &Server, token: &str, name: &str) -> i64 {
    let res = server
        .ok(
            "/group/external/group/create",
            token,
            json!({ "type": "学习", "name": name, "user_limit": 10 }),
        )
        .await;
    res["group_id"].as_i64().expect("group_id")
}

/// `user` asks to join and `owner` approves.
pub async fn join(server: &Server, owner: &str, user: &str, group: i64) {
    let req = server
        .ok(
            "/group/external/group/join",
            user,
            json!({ "group_id": group }),
        )
        .await;
    server
        .ok(
            "/group/external/joinRequest/process",
            owner,
            json!({ "request_id": req["request_id"], "action": true }),
        )
        .await;
}

/// The text fields of a multipart form.
pub type Fields<'a> = &'a [(&'a str, &'a str)];

/// An upload that must succeed; returns the answer.
pub async fn upload_ok(
    server: &Server,
    path: &str,
    token: &str,
    field: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> Value {
    let (status, value) = server.upload(path, Some(token), field, bytes, fields).await;
    assert_eq!(
        (status, &value["code"]),
        (200, &json!(0)),
        "{path}: {value}"
    );
    assert_eq!(value["msg"], "success", "{path}: {value}");
    value
}

/// An upload that must fail with `code` and `status`.
#[allow(clippy::too_many_arguments)]
pub async fn upload_fails(
    server: &Server,
    path: &str,
    token: Option<&str>,
    field: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
    code: u16,
    status: u16,
) {
    let (got, value) = server.upload(path, token, field, bytes, fields).await;
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path}: {value}"
    );
    assert!(
        value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{path}: {value}"
    );
}

/// A GET with an optional `If-None-Match`.
pub async fn fetch(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let mut req = server.client.get(server.url(path)).query(query);
    if let Some(etag) = if_none_match {
        req = req.header("if-none-match", etag);
    }
    req.send().await.expect("get")
}

/// A GET that must fail with `code` and `status`.
pub async fn get_fails(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
    code: u16,
    status: u16,
) {
    let res = server.get(path, query).await;
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path} {query:?}: {value}"
    );
}

/// A served image: its content type, ETag and decoded size; asserts the validator round trip
/// (the same ETag answers 304 with an empty body).
pub async fn image_of(
    server: &Server,
    path: &str,
    query: &[(&str, &str)],
) -> (String, String, (u32, u32)) {
    let res = fetch(server, path, query, None).await;
    assert_eq!(res.status(), 200, "{path} {query:?}");
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!etag.is_empty());
    let bytes = res.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("a decodable image");
    let res = fetch(server, path, query, Some(&etag)).await;
    assert_eq!(
        res.status(),
        304,
        "{path} {query:?} with If-None-Match {etag}"
    );
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    assert!(res.bytes().await.unwrap().is_empty());
    (content_type, etag, (img.width(), img.height()))
}

pub fn assert_time(time: &Value) {
    let time = time.as_str().unwrap_or_else(|| panic!("time: {time}"));
    let b = time.as_bytes();
    assert!(
        time.len() == 19
            && b[4] == b'/'
            && b[7] == b'/'
            && b[10] == b' '
            && b[13] == b':'
            && b[16] == b':'
            && time
                .chars()
                .enumerate()
                .all(|(i, c)| [4, 7, 10, 13, 16].contains(&i) || c.is_ascii_digit()),
        "{time}"
    );
}

pub fn small_png() -> Vec<u8> {
    png(20, 20, 255)
}

pub fn truncated_png() -> Vec<u8> {
    let mut bytes = png(300, 300, 255);
    bytes.truncate(bytes.len() / 2);
    bytes
}

pub fn solid(format: image::ImageFormat) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        40,
        30,
        image::Rgba([1, 2, 3, 255]),
    ));
    encode(img, format)
}

pub async fn info(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::INFO_GET, token, json!({ "group_id": group }))
        .await
}

pub async fn tags(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::TAGS, token, json!({ "group_id": group }))
        .await["tags"]
        .clone()
}

pub async fn picture_ids(server: &Server, token: &str, group: i64) -> Vec<i64> {
    let res = server
        .ok(group::PICTURES, token, json!({ "group_id": group }))
        .await;
    res["pictures"]
        .as_array()
        .unwrap_or_else(|| panic!("{res}"))
        .iter()
        .map(|p| {
            assert_eq!(p.as_object().unwrap().len(), 1, "{p}");
            p["id"].as_i64().unwrap()
        })
        .collect()
}

pub async fn announcements(server: &Server, token: &str, group: i64) -> Value {
    server
        .ok(group::ANNOUNCEMENTS, token, json!({ "group_id": group }))
        .await["announcements"]
        .clone()
}

pub async fn add_announcement(server: &Server, token: &str, group: i64, title: &str) -> i64 {
    let res = server
        .ok(
            group::ANN_ADD,
            token,
            json!({ "group_id": group, "title": title, "text": format!("{title}的正文") }),
        )
        .await;
    res["announcement_id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{res}"))
}
