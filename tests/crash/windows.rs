//! Crash windows between two writes, and large leftovers.

use crate::support::*;
use crate::uploads::*;

/// The database opened for writing, while no server runs: to put back exactly what a kill at a
/// given point leaves behind.
fn open_db_rw(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("zudui.sqlite")).expect("open SQLite")
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A resumable upload of `data` to `group` with every part put; returns its id.
async fn uploaded_parts(server: &Server, who: &User, group: i64, name: &str, data: &Bytes) -> i64 {
    let id = begin(server, who, group, name, data.len()).await;
    for part in 0..data.len().div_ceil(PART_SIZE) {
        let bytes = data.slice(part_range(data.len(), part));
        assert!(
            put_part(
                server.base.clone(),
                who.token.clone(),
                id,
                part,
                bytes,
                None
            )
            .await
        );
    }
    id
}

/// `complete` makes the file and closes the upload in one transaction
/// (`shared/src/files/resumable.rs`, `complete`): a kill can leave the upload open with every
/// part, or the file, never both (with both, a retried `complete` or an `abort` would discard the
/// chunks of the listed file). After the restart, a retry of an answered `complete` finds no
/// upload (341) and the file whole; an upload whose `complete` never came completes now.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_around_complete_leaves_the_upload_or_the_file_never_both() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = start(dir, "window-0").await;
    let who = user(&server, "crash-window").await;
    let group = group(&server, &who, "崩溃窗口", &[]).await;
    let mut violations = Vec::new();

    let contents = [
        ("answered.bin", content(7001, PART_SIZE + 4321)),
        ("late.bin", content(7002, PART_SIZE + 1234)),
    ];
    let mut uploads = Vec::new();
    for (name, bytes) in &contents {
        uploads.push(uploaded_parts(&server, &who, group, name, bytes).await);
    }
    let answered = server
        .ok(
            files::COMPLETE,
            &who.token,
            json!({ "upload_id": uploads[0] }),
        )
        .await["file_id"]
        .as_i64()
        .expect("file_id");
    {
        let db = open_db(dir);
        let open: i64 = db
            .query_row(
                "SELECT count(*) FROM file_uploads WHERE id = ?",
                [uploads[0]],
                |r| r.get(0),
            )
            .unwrap();
        if open != 0 {
            violations.push(format!(
                "upload {} still open beside file {answered}",
                uploads[0]
            ));
        }
    }
    server.kill();

    let server = restart(dir, "window-1", &mut violations).await;
    let (status, res) = server
        .post(
            files::COMPLETE,
            Some(&who.token),
            json!({ "upload_id": uploads[0] }),
        )
        .await;
    if (status, res["code"].as_u64()) != (404, Some(341)) {
        violations.push(format!(
            "a retried complete answered {status} {res}, not 341"
        ));
    }
    let late = server
        .ok(
            files::COMPLETE,
            &who.token,
            json!({ "upload_id": uploads[1] }),
        )
        .await["file_id"]
        .as_i64()
        .expect("file_id");

    let expected: HashMap<(i64, String), Expected> = contents
        .iter()
        .map(|(name, bytes)| ((group, name.to_string()), Expected::of(group, bytes)))
        .collect();
    let files = [
        (group, "answered.bin".to_string(), answered),
        (group, "late.bin".to_string(), late),
    ];
    check_listed_files(&server, &who, &[group], &expected, &files, &mut violations).await;
    check_quota(&server, dir, &[group], &mut violations).await;
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    fail_on(&violations);
}

/// A crash can leave many blobs pending (a group with thousands of files deleted through the
/// console, killed while its blobs were being discarded; here put into `blob_pending` directly
/// while the server is down). The startup sweep collects them in batches while the restarted
/// server already takes uploads; an upload that begins during the sweep must come out whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_during_a_long_startup_sweep_come_out_whole() {
    const LEFTOVERS: usize = 10_000;
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = start(dir, "sweep-0").await;
    let who = user(&server, "crash-sweep").await;
    let group = group(&server, &who, "大清扫", &[]).await;
    server.kill();
    {
        let mut db = open_db_rw(dir);
        let tx = db.transaction().unwrap();
        let since = now_secs() - 60;
        for i in 0..LEFTOVERS {
            tx.execute(
                "INSERT INTO blob_pending (blob, since) VALUES (?, ?)",
                rusqlite::params![format!("{:032x}", 0xdead_0000_0000u64 + i as u64), since],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    let started = Instant::now();
    let server = start(dir, "sweep-1").await;
    // Uploads of about two seconds each, one begun every half second while the sweep runs (it
    // takes a few seconds for this many), so that some are always in progress.
    let mut uploads = Vec::new();
    let mut expected = HashMap::new();
    for i in 0..8u64 {
        let bytes = content(8000 + i, (3 << 20) + 777);
        let name = format!("during-sweep-{i}.bin");
        expected.insert((group, name.clone()), Expected::of(group, &bytes));
        let (delay, pause) = (Duration::from_millis(500 * i), Duration::from_millis(20));
        let task = spawn_slow_upload(&server, (&who, group, &name), bytes, delay, pause);
        uploads.push((name, task));
    }
    let mut answered = Vec::new();
    let mut violations = Vec::new();
    for (name, task) in uploads {
        match task.await.unwrap() {
            Some(id) => answered.push((group, name, id)),
            None => violations.push(format!("the upload of {name} failed")),
        }
    }
    let pending_left: i64 = open_db(dir)
        .query_row("SELECT count(*) FROM blob_pending", [], |r| r.get(0))
        .unwrap();
    eprintln!(
        "uploads done {:?} after the restart, {pending_left} leftovers still pending",
        started.elapsed()
    );
    check_listed_files(
        &server,
        &who,
        &[group],
        &expected,
        &answered,
        &mut violations,
    )
    .await;
    check_quota(&server, dir, &[group], &mut violations).await;
    // Give the sweep time to finish, then nothing may be left.
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline && !orphans(dir).is_empty() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for problem in orphans(dir) {
        violations.push(format!("at the end: {problem}"));
    }
    drop(server);
    fail_on(&violations);
}

/// A resumable upload whose client went away for good around a crash, having put only its last
/// part, expires a day later; its blob is then collected by the sweep. Every chunk it had must
/// go, including the last part's (chunks 8 and up) when part 0 never arrived. A day passing is
/// simulated by moving the upload's expiry and pending time back while the server is down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_resumable_upload_leaves_no_chunk_once_expired() {
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = start(dir, "expire-0").await;
    let who = user(&server, "crash-expire").await;
    let group = group(&server, &who, "过期上传", &[]).await;
    let bytes = content(9001, PART_SIZE + 5000);
    let id = begin(&server, &who, group, "abandoned.bin", bytes.len()).await;
    assert!(
        put_part(
            server.base.clone(),
            who.token.clone(),
            id,
            1,
            bytes.slice(part_range(bytes.len(), 1)),
            None
        )
        .await
    );
    // Part 0 is being sent when the server dies; the client never comes back.
    let in_flight = tokio::spawn(put_part(
        server.base.clone(),
        who.token.clone(),
        id,
        0,
        bytes.slice(0..PART_SIZE),
        Some(Duration::from_millis(15)),
    ));
    tokio::time::sleep(Duration::from_millis(700)).await;
    server.kill();
    assert!(!in_flight.await.unwrap(), "part 0 landed before the kill");

    // A day and more later.
    {
        let db = open_db_rw(dir);
        let long_ago = now_secs() - 25 * 3600;
        db.execute(
            "UPDATE file_uploads SET created_at = ?, expires_at = ? WHERE id = ?",
            [long_ago, long_ago + 24 * 3600, id],
        )
        .unwrap();
        db.execute("UPDATE blob_pending SET since = ?", [long_ago])
            .unwrap();
    }
    let mut violations = Vec::new();
    let server = start(dir, "expire-1").await;
    // Expired uploads are closed when a resumable upload begins; its sweep takes their blobs.
    let other = begin(&server, &who, group, "next.bin", 10).await;
    server
        .ok(files::ABORT, &who.token, json!({ "upload_id": other }))
        .await;
    let (_, res) = server
        .post(files::STATUS, Some(&who.token), json!({ "upload_id": id }))
        .await;
    assert_eq!(res["code"], 341, "the upload did not expire: {res}");
    for problem in orphans_after_sweep(dir).await {
        violations.push(problem);
    }
    drop(server);
    fail_on(&violations);
}
