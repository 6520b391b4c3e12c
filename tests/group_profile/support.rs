//! What the group profile tests share: imports, the fixture, the images a group shows and where
//! they are uploaded, and the refusals every endpoint of a kind makes.

pub use crate::common::paths::group;
pub use crate::common::{admit, create_group, encode, png, user, Server, User};
pub use serde_json::{json, Value};

/// A group with a creator, an admin, a plain member, and an outsider who is signed in.
pub struct Setup {
    pub server: Server,
    pub group: i64,
    pub creator: User,
    pub admin: User,
    pub member: User,
    pub outsider: User,
}

impl Setup {
    pub async fn new(prefix: &str) -> Setup {
        let server = Server::start().await;
        let creator = user(&server, &format!("{prefix}-creator")).await;
        let admin = user(&server, &format!("{prefix}-admin")).await;
        let member = user(&server, &format!("{prefix}-member")).await;
        let outsider = user(&server, &format!("{prefix}-outsider")).await;
        let group = create_group(&server, &creator, "学习小组").await;
        admit(&server, &creator, &admin, group).await;
        admit(&server, &creator, &member, group).await;
        let s = Setup {
            server,
            group,
            creator,
            admin,
            member,
            outsider,
        };
        assert!(s.switch_admin().await, "the admin is one");
        s
    }

    /// The members of every role.
    pub fn members(&self) -> [&User; 3] {
        [&self.creator, &self.admin, &self.member]
    }

    /// Those who may not write the profile or announcements: a member and an outsider.
    pub fn not_managers(&self) -> [&User; 2] {
        [&self.member, &self.outsider]
    }

    /// The group id as a form field or a query parameter sends it.
    pub fn g(&self) -> String {
        self.group.to_string()
    }

    /// `extra` with this group's `group_id`.
    pub fn at(&self, mut extra: Value) -> Value {
        extra["group_id"] = json!(self.group);
        extra
    }

    /// The creator makes the admin a plain member, or a plain member an admin again; returns
    /// whether they are an admin now.
    pub async fn switch_admin(&self) -> bool {
        let body = self.at(json!({ "user_id": self.admin.id }));
        let res = self
            .server
            .ok(group::SWITCH_ADMIN, &self.creator.token, body)
            .await;
        res["is_admin"].as_bool().expect("is_admin")
    }

    pub async fn dismiss(&self) {
        let body = self.at(json!({}));
        self.server
            .ok(group::DISMISS, &self.creator.token, body)
            .await;
    }

    /// `who` sends each body of `cases` to `path`: each fails with its code and status.
    pub async fn refused(&self, path: &str, who: Option<&User>, cases: Vec<(Value, u16, u16)>) {
        let token = who.map(|u| u.token.as_str());
        for (body, code, status) in cases {
            self.server.fails(path, token, body, code, status).await;
        }
    }

    /// What every endpoint refuses of the group id, whatever else `body` (without one) says: an
    /// unknown group (301), none or a non-integer one (101), and no token (113).
    pub async fn refuses_bad_group_ids(&self, path: &str, body: Value) {
        let with = |group: Value| {
            let mut body = body.clone();
            body["group_id"] = group;
            body
        };
        let cases = vec![
            (with(json!(999_999)), 301, 404),
            (body.clone(), 101, 400),
            (with(json!("abc")), 101, 400),
        ];
        self.refused(path, Some(&self.creator), cases).await;
        self.server.fails(path, None, self.at(body), 113, 401).await;
    }

    /// Members and outsiders may not send `body` to `path`: 303.
    pub async fn only_managers_may(&self, path: &str, body: Value) {
        for who in self.not_managers() {
            let token = Some(who.token.as_str());
            self.server.fails(path, token, body.clone(), 303, 403).await;
        }
    }
}

/// An image a group shows, where it is read (`GET` with the token in the query).
#[derive(Clone, Copy, Debug)]
pub enum Image {
    /// The avatar of a group.
    Avatar(i64),
    /// An intro picture: the group, the picture.
    Picture(i64, i64),
    /// An announcement's picture: the group, the announcement.
    Announced(i64, i64),
}

impl Image {
    fn path(self) -> &'static str {
        match self {
            Image::Avatar(_) => group::AVATAR_GET,
            Image::Picture(..) => group::PICTURE_GET,
            Image::Announced(..) => group::ANN_GET_PIC,
        }
    }

    /// Its parameters, the group first.
    fn params(self) -> Vec<(&'static str, String)> {
        match self {
            Image::Avatar(g) => vec![("group_id", g.to_string())],
            Image::Picture(g, pic) => {
                vec![("group_id", g.to_string()), ("pic_id", pic.to_string())]
            }
            Image::Announced(g, id) => vec![
                ("group_id", g.to_string()),
                ("announcement_id", id.to_string()),
            ],
        }
    }

    /// The same image asked of another group.
    pub fn in_group(self, group: i64) -> Image {
        match self {
            Image::Avatar(_) => Image::Avatar(group),
            Image::Picture(_, pic) => Image::Picture(group, pic),
            Image::Announced(_, id) => Image::Announced(group, id),
        }
    }
}

/// A GET of `path` as `who` (no token with `None`), with an optional `If-None-Match`.
async fn fetch(
    server: &Server,
    path: &str,
    who: Option<&User>,
    params: &[(&str, String)],
    if_none_match: Option<&str>,
) -> reqwest::Response {
    let token = who.map(|u| ("token", u.token.clone()));
    let query: Vec<_> = token.iter().chain(params).collect();
    let mut req = server.client.get(server.url(path)).query(&query);
    if let Some(etag) = if_none_match {
        req = req.header("if-none-match", etag);
    }
    req.send().await.expect("get")
}

/// An image as it is served.
#[derive(Debug, PartialEq, Eq)]
pub struct Served {
    pub content_type: String,
    pub etag: String,
    /// Decoded.
    pub size: (u32, u32),
}

/// `who` reads `image`; asserts the validator round trip (the same ETag answers 304 with an
/// empty body).
pub async fn served(server: &Server, who: &User, image: Image) -> Served {
    let (path, params) = (image.path(), image.params());
    let res = fetch(server, path, Some(who), &params, None).await;
    assert_eq!(res.status(), 200, "{image:?}");
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert!(!etag.is_empty());
    let bytes = res.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("a decodable image");
    let res = fetch(server, path, Some(who), &params, Some(&etag)).await;
    assert_eq!(res.status(), 304, "{image:?} with If-None-Match {etag}");
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    assert!(res.bytes().await.unwrap().is_empty());
    let size = (img.width(), img.height());
    Served {
        content_type,
        etag,
        size,
    }
}

/// `etag`, the validator of another image, does not revalidate `image`: it is sent again.
pub async fn assert_stale(server: &Server, who: &User, image: Image, etag: &str) {
    let res = fetch(server, image.path(), Some(who), &image.params(), Some(etag)).await;
    assert_eq!(res.status(), 200, "{image:?} with If-None-Match {etag}");
    assert!(!res.bytes().await.unwrap().is_empty());
}

/// A GET of `path` that must fail with `code` and `status`.
async fn get_fails(
    server: &Server,
    path: &str,
    who: Option<&User>,
    params: &[(&str, String)],
    code: u16,
    status: u16,
) {
    let res = fetch(server, path, who, params, None).await;
    let got = res.status().as_u16();
    let text = res.text().await.unwrap();
    let value: Value =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("{path} answered non-JSON: {text}"));
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path} {params:?}: {value}"
    );
}

/// Reading `image` as `who` fails with `code` and `status`.
pub async fn unreadable(server: &Server, who: Option<&User>, image: Image, code: u16, status: u16) {
    get_fails(server, image.path(), who, &image.params(), code, status).await;
}

/// What every read of an image refuses: an unknown group (301), a missing parameter (101), no
/// token (113).
pub async fn refuses_bad_reads(server: &Server, who: &User, image: Image) {
    unreadable(server, Some(who), image.in_group(999_999), 301, 404).await;
    let mut missing = image.params();
    missing.pop();
    get_fails(server, image.path(), Some(who), &missing, 101, 400).await;
    unreadable(server, None, image, 113, 401).await;
}

/// Where an image is uploaded.
#[derive(Clone, Copy, Debug)]
pub enum Upload {
    /// The avatar of a group.
    Avatar(i64),
    /// A new intro picture of a group.
    Picture(i64),
    /// An announcement's picture: the group, the announcement.
    Announced(i64, i64),
}

impl Upload {
    fn path(self) -> &'static str {
        match self {
            Upload::Avatar(_) => group::AVATAR_ADD,
            Upload::Picture(_) => group::PICTURE_ADD,
            Upload::Announced(..) => group::ANN_SET_PIC,
        }
    }

    /// The name of the file part.
    fn field(self) -> &'static str {
        match self {
            Upload::Avatar(_) => "avatar",
            Upload::Picture(_) | Upload::Announced(..) => "pic",
        }
    }

    /// The text fields of the form, the group first.
    fn form(self) -> Vec<(&'static str, String)> {
        match self {
            Upload::Avatar(g) | Upload::Picture(g) => vec![("group_id", g.to_string())],
            Upload::Announced(g, id) => vec![
                ("group_id", g.to_string()),
                ("announcement_id", id.to_string()),
            ],
        }
    }
}

/// An upload of `bytes` as the file part `field` with the text fields `form` that must fail
/// with `code` and `status`.
#[allow(clippy::too_many_arguments)]
async fn refused_upload(
    server: &Server,
    path: &str,
    who: Option<&User>,
    field: &str,
    form: &[(&str, String)],
    bytes: Vec<u8>,
    code: u16,
    status: u16,
) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let token = who.map(|u| u.token.as_str());
    let (got, value) = server.upload(path, token, field, bytes, &form).await;
    assert_eq!(
        (got, &value["code"]),
        (status, &json!(code)),
        "{path} {form:?}: {value}"
    );
    assert!(
        value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
        "{path}: {value}"
    );
}

/// `who` uploads `bytes` to `upload`: it must fail with `code` and `status`.
pub async fn upload_fails(
    server: &Server,
    who: Option<&User>,
    upload: Upload,
    bytes: Vec<u8>,
    code: u16,
    status: u16,
) {
    let (path, field, form) = (upload.path(), upload.field(), upload.form());
    refused_upload(server, path, who, field, &form, bytes, code, status).await;
}

/// What is not an image the server takes: no image, a cut one, more than 5 MB (also a real
/// image followed by junk: the size counts, not the pixels).
fn not_images() -> [Vec<u8>; 5] {
    let mut truncated = png(300, 300, 255);
    truncated.truncate(truncated.len() / 2);
    let mut padded = png(64, 64, 255);
    padded.extend(std::iter::repeat_n(0u8, 5 * 1024 * 1024));
    [
        b"not an image".to_vec(),
        b"GIF89a but not really".to_vec(),
        truncated,
        vec![0u8; 5 * 1024 * 1024 + 1],
        padded,
    ]
}

/// What every upload of an image refuses: members and outsiders (303), what is not an image
/// (333), a misnamed file part, a missing or non-integer field (101), an unknown group (301),
/// no token (113), and a JSON body (104).
pub async fn refuses_bad_uploads(s: &Setup, upload: Upload) {
    let server = &s.server;
    for who in s.not_managers() {
        upload_fails(server, Some(who), upload, small_png(), 303, 403).await;
    }
    let creator = Some(&s.creator);
    for bytes in not_images() {
        upload_fails(server, creator, upload, bytes, 333, 400).await;
    }
    let (path, field, form) = (upload.path(), upload.field(), upload.form());
    let misnamed = if field == "pic" { "avatar" } else { "pic" };
    let refused = |field, form: Vec<_>, code, status| async move {
        let bytes = small_png();
        refused_upload(server, path, creator, field, &form, bytes, code, status).await
    };
    refused(misnamed, form.clone(), 101, 400).await;
    for (i, (name, _)) in form.iter().enumerate() {
        let mut missing = form.clone();
        missing.remove(i);
        refused(field, missing, 101, 400).await;
        let mut mistyped = form.clone();
        mistyped[i] = (name, "abc".into());
        refused(field, mistyped, 101, 400).await;
    }
    let mut unknown_group = form.clone();
    unknown_group[0].1 = "999999".into();
    refused(field, unknown_group, 301, 404).await;
    upload_fails(server, None, upload, small_png(), 113, 401).await;
    let json: serde_json::Map<_, _> = form
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let token = creator.map(|u| u.token.as_str());
    server.fails(path, token, json.into(), 104, 413).await;
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

pub fn solid(format: image::ImageFormat) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
        40,
        30,
        image::Rgba([1, 2, 3, 255]),
    ));
    encode(img, format)
}
