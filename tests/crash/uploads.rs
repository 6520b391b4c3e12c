//! Uploads that a kill can cut: slow multipart ones and resumable ones, and what they should leave.

use crate::support::*;

// ---------------------------------------------------------------------------------------------

/// A file some upload tried to make: what it must hold if it is listed.
pub struct Expected {
    pub group: i64,
    pub len: usize,
    pub sha: String,
}

impl Expected {
    /// What `bytes` uploaded into `group` must be once listed.
    pub fn of(group: i64, bytes: &[u8]) -> Expected {
        Expected {
            group,
            len: bytes.len(),
            sha: sha256_hex(bytes),
        }
    }
}

/// Starts uploading `data` as `name` by `who` after `delay`, in 32 KiB pieces `pause` apart
/// (see [`slow_upload`]).
pub fn spawn_slow_upload(
    server: &Server,
    (who, group, name): (&User, i64, &str),
    data: Bytes,
    delay: Duration,
    pause: Duration,
) -> tokio::task::JoinHandle<Option<i64>> {
    let (base, token, name) = (server.base.clone(), who.token.clone(), name.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        slow_upload(base, token, group, name, data, 32 << 10, pause).await
    })
}

/// Uploads `data` as `name` slowly; returns the file id when the server answered success.
pub async fn slow_upload(
    base: String,
    token: String,
    group: i64,
    name: String,
    data: Bytes,
    piece: usize,
    pause: Duration,
) -> Option<i64> {
    let len = data.len() as u64;
    let form = Form::new().text("group_id", group.to_string()).part(
        "file",
        Part::stream_with_length(slow_body(data, piece, pause), len).file_name(name),
    );
    let send = async {
        let res = reqwest::Client::new()
            .post(format!("{base}{}", files::UPLOAD))
            .header("token", token)
            .multipart(form)
            .send()
            .await
            .ok()?;
        let value: Value = res.json().await.ok()?;
        assert_eq!(value["code"], 0, "an upload was refused: {value}");
        value["file_id"].as_i64()
    };
    tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .ok()
        .flatten()
}

/// Puts part `part` of a resumable upload (slowly when `pause` is given); whether the server
/// answered success.
pub async fn put_part(
    base: String,
    token: String,
    upload: i64,
    part: usize,
    data: Bytes,
    pause: Option<Duration>,
) -> bool {
    let len = data.len();
    let body = match pause {
        Some(pause) => slow_body(data, 64 << 10, pause),
        None => reqwest::Body::from(data),
    };
    let send = async {
        let res = reqwest::Client::new()
            .put(format!("{base}{}", files::PART))
            .query(&[
                ("upload_id", upload.to_string()),
                ("part", part.to_string()),
            ])
            .header("token", token)
            .header("content-length", len)
            .body(body)
            .send()
            .await
            .ok()?;
        let value: Value = res.json().await.ok()?;
        assert_eq!(value["code"], 0, "part {part} refused: {value}");
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(20), send)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// A resumable upload of one round: its content and the parts the server took before the kill.
pub struct Resumable {
    pub id: i64,
    pub group: i64,
    pub name: String,
    pub data: Bytes,
    /// Parts answered with success before the kill.
    pub acked: Vec<usize>,
    /// Parts being sent when the server was killed.
    pub in_flight: Vec<usize>,
    /// Resume after the restart (else abort).
    pub resume: bool,
}

pub fn part_range(data_len: usize, part: usize) -> std::ops::Range<usize> {
    part * PART_SIZE..((part + 1) * PART_SIZE).min(data_len)
}

pub async fn begin(server: &Server, who: &User, group: i64, name: &str, size: usize) -> i64 {
    let body = json!({ "group_id": group, "name": name, "size": size });
    let up = server.begin_upload(who, body).await;
    up["upload_id"].as_i64().expect("upload_id")
}

/// After the restart: the status lists the parts put before the kill (and perhaps the part in
/// flight, had it landed); the rest is put and the upload completed into the right file, or the
/// upload is aborted and leaves nothing.
pub async fn finish_resumable(
    server: &Server,
    data_dir: &Path,
    who: &User,
    up: &Resumable,
    expected: &mut HashMap<(i64, String), Expected>,
    completed: &mut Vec<(i64, String, i64)>,
    violations: &mut Vec<String>,
) {
    let (status, res) = server
        .post(
            files::STATUS,
            Some(&who.token),
            json!({ "upload_id": up.id }),
        )
        .await;
    if status != 200 || res["code"] != 0 {
        violations.push(format!(
            "resumable upload {} ({}) is gone after the restart: {res}",
            up.id, up.name
        ));
        return;
    }
    let received: Vec<usize> = res["received"]
        .as_array()
        .expect("received")
        .iter()
        .map(|p| p.as_u64().expect("part") as usize)
        .collect();
    for part in &up.acked {
        if !received.contains(part) {
            violations.push(format!(
                "resumable upload {} ({}): part {part} was acknowledged before the kill but the \
                 status lists only {received:?}",
                up.id, up.name
            ));
        }
    }
    for part in &received {
        if !up.acked.contains(part) && !up.in_flight.contains(part) {
            violations.push(format!(
                "resumable upload {} ({}): status lists part {part}, which was never sent",
                up.id, up.name
            ));
        }
    }
    if up.resume {
        let parts = up.data.len().div_ceil(PART_SIZE);
        for part in 0..parts {
            if !received.contains(&part) {
                let bytes = up.data.slice(part_range(up.data.len(), part));
                assert!(
                    put_part(
                        server.base.clone(),
                        who.token.clone(),
                        up.id,
                        part,
                        bytes,
                        None
                    )
                    .await,
                    "resumed part {part} of {} failed",
                    up.name
                );
            }
        }
        let (status, res) = server
            .post(
                files::COMPLETE,
                Some(&who.token),
                json!({ "upload_id": up.id }),
            )
            .await;
        if status != 200 || res["code"] != 0 {
            violations.push(format!(
                "resumable upload {} ({}) could not complete after resuming: {res}",
                up.id, up.name
            ));
            return;
        }
        let file = res["file_id"].as_i64().expect("file_id");
        expected.insert(
            (up.group, up.name.clone()),
            Expected::of(up.group, &up.data),
        );
        completed.push((up.group, up.name.clone(), file));
        match download(server, who, up.group, file).await {
            Ok(bytes) if bytes[..] == up.data[..] => {}
            Ok(bytes) => violations.push(format!(
                "resumed upload {} completed into file {file} with {} bytes that differ from the \
                 {} uploaded",
                up.name,
                bytes.len(),
                up.data.len()
            )),
            Err(err) => violations.push(format!(
                "resumed upload {} completed into file {file}, which does not download: {err}",
                up.name
            )),
        }
    } else {
        let blob: String = open_db(data_dir)
            .query_row("SELECT blob FROM file_uploads WHERE id = ?", [up.id], |r| {
                r.get(0)
            })
            .expect("blob of the upload");
        let res = server
            .ok(files::ABORT, &who.token, json!({ "upload_id": up.id }))
            .await;
        assert_eq!(res, json!({ "code": 0, "msg": "success" }));
        let left: Vec<String> = kv(data_dir)
            .keys()
            .expect("keys")
            .into_iter()
            .filter(|k| blob_of_key(k) == Some(blob.as_str()))
            .collect();
        let pending: i64 = open_db(data_dir)
            .query_row(
                "SELECT count(*) FROM blob_pending WHERE blob = ?",
                [&blob],
                |r| r.get(0),
            )
            .unwrap();
        if !left.is_empty() || pending != 0 {
            violations.push(format!(
                "aborting resumable upload {} ({}) after the restart left chunks {left:?} and \
                 {pending} pending entries",
                up.id, up.name
            ));
        }
    }
}

/// Invariant 2: every file listed downloads whole with the bytes uploaded under that name, and
/// every upload answered before the kill is listed.
pub async fn check_listed_files(
    server: &Server,
    who: &User,
    groups: &[i64],
    expected: &HashMap<(i64, String), Expected>,
    answered: &[(i64, String, i64)],
    violations: &mut Vec<String>,
) {
    let mut listed_ids = HashSet::new();
    for &group in groups {
        for entry in server.list_folder(who, group, None).await {
            let name = entry["name"].as_str().expect("name").to_owned();
            let id = entry["id"].as_i64().expect("id");
            listed_ids.insert(id);
            let Some(want) = expected.get(&(group, name.clone())) else {
                violations.push(format!(
                    "group {group} lists {name} (file {id}), which no upload made: {entry}"
                ));
                continue;
            };
            assert_eq!(want.group, group);
            if entry["size"].as_u64() != Some(want.len as u64) {
                violations.push(format!(
                    "group {group} lists {name} (file {id}) with size {} but {} bytes were \
                     uploaded (a partial file)",
                    entry["size"], want.len
                ));
            }
            match download(server, who, group, id).await {
                Ok(bytes) if bytes.len() == want.len && sha256_hex(&bytes) == want.sha => {}
                Ok(bytes) => violations.push(format!(
                    "file {id} ({name}) downloads {} bytes that differ from the {} uploaded",
                    bytes.len(),
                    want.len
                )),
                Err(err) => violations.push(format!(
                    "file {id} ({name}) is listed but does not download: {err}"
                )),
            }
        }
    }
    for (group, name, id) in answered {
        if !listed_ids.contains(id) {
            violations.push(format!(
                "upload of {name} to group {group} was answered with file {id} before the kill, \
                 but the file is not listed after it"
            ));
        }
    }
}
