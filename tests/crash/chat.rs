//! Chat: acknowledged messages survive kills.

use crate::support::*;

/// One chat client of a round: sends numbered texts every few milliseconds without waiting, and
/// records what comes back live: the acknowledgements of its own texts (id, text) and the ids of
/// every live message, in the order they came.
struct Talker {
    acked: Arc<Mutex<Vec<(i64, String)>>>,
    live_ids: Arc<Mutex<Vec<i64>>>,
    errors: Arc<Mutex<Vec<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

fn talk(socket: Socket, user_id: String, prefix: String) -> Talker {
    let (mut sink, mut stream) = socket.split();
    let acked = Arc::new(Mutex::new(Vec::new()));
    let live_ids = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sender = {
        let prefix = prefix.clone();
        tokio::spawn(async move {
            for seq in 0.. {
                let text = json!({ "msg_type": "text", "content": format!("{prefix}{seq}") });
                if sink
                    .send(Message::Text(text.to_string().into()))
                    .await
                    .is_err()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(8)).await;
            }
        })
    };
    let reader = {
        let (acked, live_ids, errors) = (acked.clone(), live_ids.clone(), errors.clone());
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                let Message::Text(text) = frame else {
                    continue;
                };
                let value: Value = serde_json::from_str(&text).expect("JSON frame");
                if value.get("code").is_some() {
                    errors.lock().unwrap().push(value.to_string());
                    continue;
                }
                if value["history"] != false {
                    continue;
                }
                let id = ws::id(&value);
                live_ids.lock().unwrap().push(id);
                let content = ws::content(&value);
                if value["user_id"] == user_id.as_str() && content.starts_with(&prefix) {
                    acked.lock().unwrap().push((id, content.to_owned()));
                }
            }
        })
    };
    Talker {
        acked,
        live_ids,
        errors,
        tasks: vec![sender, reader],
    }
}

/// The whole history of a room, paged back over a new socket from the newest message, oldest
/// first; `total` is how many messages SQLite holds for the room.
async fn whole_history(server: &Server, who: &User, group: i64, total: usize) -> Vec<Value> {
    let wait = Duration::from_secs(5);
    let mut socket = ws::connect(
        &ws::ws_base(&server.base),
        who,
        &ws::group_path(group),
        wait,
    )
    .await;
    let mut pages: Vec<Vec<Value>> = Vec::new();
    let mut got = 0;
    let mut page_len = total.min(20);
    loop {
        let mut page = Vec::new();
        for _ in 0..page_len {
            let frame = ws::next_json(&mut socket, wait).await;
            assert_eq!(frame["history"], true, "a history page: {frame}");
            page.push(frame);
        }
        got += page.len();
        let oldest = page.first().map(ws::id);
        pages.push(page);
        page_len = (total - got).min(20);
        match oldest {
            Some(oldest) if page_len > 0 => ws::ask_history(&mut socket, oldest).await,
            _ => break,
        }
    }
    pages.into_iter().rev().flatten().collect()
}

/// Four members talk at once in one group room, pipelining texts; the server is killed at a
/// different moment in each round. After each restart the database is intact and the room's
/// history (paged back over a WebSocket, and in SQLite) holds every message acknowledged to its
/// sender, with the same id, in increasing id order, nothing duplicated; and the room works.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chat_messages_acknowledged_before_a_kill_survive_it() {
    let started = Instant::now();
    let data = tempfile::tempdir().expect("temp dir");
    let dir = data.path();
    let mut server = start(dir, "chat-0").await;
    let mut users = Vec::new();
    for i in 0..4 {
        users.push(user(&server, &format!("crash-chat-{i}")).await);
    }
    let members: Vec<&User> = users[1..].iter().collect();
    let group = group(&server, &users[0], "崩溃聊天", &members).await;
    let wait = Duration::from_secs(5);

    let mut acked_all: Vec<(i64, String)> = Vec::new();
    let mut violations = Vec::new();
    for (round, kill_after) in [350u64, 800, 1300].into_iter().enumerate() {
        let round = round + 1;
        let mut talkers = Vec::new();
        for (i, who) in users.iter().enumerate() {
            let socket = ws::connect(
                &ws::ws_base(&server.base),
                who,
                &ws::group_path(group),
                wait,
            )
            .await;
            talkers.push(talk(socket, who.id.clone(), format!("r{round}-c{i}-")));
        }
        tokio::time::sleep(Duration::from_millis(kill_after)).await;
        server.kill();
        for talker in &mut talkers {
            for task in talker.tasks.drain(..) {
                if tokio::time::timeout(Duration::from_secs(5), task)
                    .await
                    .is_err()
                {
                    violations.push(format!(
                        "round {round}: a socket stayed open after the kill"
                    ));
                }
            }
        }
        let mut acked_round = 0;
        for (i, talker) in talkers.iter().enumerate() {
            let acked = talker.acked.lock().unwrap().clone();
            let live = talker.live_ids.lock().unwrap().clone();
            if !ws::strictly_increasing(&live) {
                violations.push(format!(
                    "round {round}: client {i} received live ids out of order: {live:?}"
                ));
            }
            for err in talker.errors.lock().unwrap().iter() {
                violations.push(format!(
                    "round {round}: client {i} got an error frame {err}"
                ));
            }
            acked_round += acked.len();
            acked_all.extend(acked);
        }
        eprintln!("round {round}: {acked_round} messages acknowledged before the kill");
        assert!(acked_round > 0, "nothing was acknowledged in round {round}");

        let name = format!("chat-{round}");
        let mut found = Vec::new();
        server = restart(dir, &name, &mut found).await;

        let rows: Vec<(i64, String)> = {
            let db = open_db(dir);
            let mut stmt = db
                .prepare("SELECT id, content FROM chat_messages WHERE room_kind = 'group' AND room_id = ? ORDER BY id")
                .unwrap();
            let rows = stmt
                .query_map([group], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap());
            rows.collect()
        };
        let history = whole_history(&server, &users[1], group, rows.len()).await;
        let ids = ws::ids(&history);
        if !ws::strictly_increasing(&ids) {
            found.push("the history's ids do not increase".to_owned());
        }
        let history_rows: Vec<(i64, String)> = history
            .iter()
            .map(|f| (ws::id(f), ws::content(f).to_owned()))
            .collect();
        if history_rows != rows {
            found.push(format!(
                "the history over the socket ({} messages) differs from chat_messages ({} rows)",
                history_rows.len(),
                rows.len()
            ));
        }
        let mut seen_texts = HashSet::new();
        for (id, text) in &history_rows {
            if !seen_texts.insert(text.as_str()) {
                found.push(format!("message {text:?} is stored twice (again as {id})"));
            }
        }
        let by_id: HashMap<i64, &str> = history_rows
            .iter()
            .map(|(id, text)| (*id, text.as_str()))
            .collect();
        let mut lost = Vec::new();
        for (id, text) in &acked_all {
            if by_id.get(id) != Some(&text.as_str()) {
                lost.push(format!("{id}: {text:?} (history has {:?})", by_id.get(id)));
            }
        }
        if !lost.is_empty() {
            found.push(format!(
                "{} acknowledged messages are missing from the history: {:?}",
                lost.len(),
                &lost[..lost.len().min(10)]
            ));
        }
        // The room goes on after the restart, its ids after every earlier one.
        let mut socket = ws::connect(
            &ws::ws_base(&server.base),
            &users[2],
            &ws::group_path(group),
            wait,
        )
        .await;
        for _ in 0..rows.len().min(20) {
            ws::next_json(&mut socket, wait).await;
        }
        let after = ws::say_acked(&mut socket, &format!("r{round}-after-restart"), wait).await;
        if rows.last().is_some_and(|(last, _)| ws::id(&after) <= *last) {
            found.push(format!(
                "the first message after the restart got id {}, not after {:?}",
                ws::id(&after),
                rows.last()
            ));
        }
        acked_all.push((ws::id(&after), ws::content(&after).to_owned()));
        drop(socket);
        for problem in found {
            violations.push(format!("round {round}: {problem}"));
        }
    }
    drop(server);
    eprintln!("chat: {:?}", started.elapsed());
    fail_on(&violations);
}
