//! Chat benchmark of the native server: WebSocket clients on loopback, each message stamped with
//! its send time, and the send-to-receive latency of every delivery.
//!
//! ```text
//! cargo bench --bench chat -- [fanout] [rooms] [--seconds S]
//! fanout: one room of 1,000 members (added straight into the database: the API caps groups at
//!         500), 10 of them sending 50 messages/s in all: 50,000 deliveries/s
//! rooms:  100 rooms of 10 members, one sender each, 500 messages/s stored in all
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{login, Server};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use zudui_shared::db::{groups, members};
use zudui_shared::native::SqliteDb;
use zudui_shared::storage::Database;

mod support;

struct Scenario {
    name: &'static str,
    rooms: usize,
    members: usize,
    senders_per_room: usize,
    /// Messages per second from each sender.
    rate: f64,
}

const FANOUT: Scenario = Scenario {
    name: "fanout",
    rooms: 1,
    members: 1000,
    senders_per_room: 10,
    rate: 5.0,
};
const ROOMS: Scenario = Scenario {
    name: "rooms",
    rooms: 100,
    members: 10,
    senders_per_room: 1,
    rate: 5.0,
};

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    f64::from(sorted[rank]) / 1000.0
}

async fn run(s: &Scenario, seconds: u64) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data/chat");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench data dir");
    let server = Server::start(&dir);
    let http = reqwest::Client::new();

    // Users by the API; rooms and memberships straight into the database.
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for n in 0..s.rooms * s.members {
        let token = login(&http, &server.base, &format!("chat-bench-{n}")).await;
        let info: Value = http
            .post(format!("{}/user/info/text/getInfo", server.base))
            .header("token", &token)
            .json(&json!({}))
            .send()
            .await
            .expect("getInfo")
            .json()
            .await
            .expect("getInfo json");
        ids.push(info["id"].as_str().expect("id").to_owned());
        tokens.push(token);
    }
    let mut group_ids = Vec::new();
    for room in 0..s.rooms {
        let owner = &tokens[room * s.members];
        let created: Value = http
            .post(format!("{}/group/external/group/create", server.base))
            .header("token", owner)
            .json(&json!({ "type": "学习", "name": format!("bench {room}"), "user_limit": 500 }))
            .send()
            .await
            .expect("create")
            .json()
            .await
            .expect("create json");
        group_ids.push(created["group_id"].as_i64().expect("group id"));
    }
    let db = SqliteDb::open(&dir.join("zudui.sqlite")).expect("open db");
    (&db as &dyn Database)
        .tx(|c| {
            for (room, group) in group_ids.iter().enumerate() {
                for m in 1..s.members {
                    members::insert(c, *group, &ids[room * s.members + m], false, 0)?;
                }
                groups::add_members(c, *group, s.members as i64 - 1)?;
            }
            Ok(())
        })
        .expect("members");

    let ws_base = server.base.replace("http://", "ws://");
    let started = Instant::now();
    let deadline = Duration::from_secs(seconds);
    let mut receivers = Vec::new();
    let mut senders = Vec::new();
    for (room, group) in group_ids.iter().enumerate() {
        for m in 0..s.members {
            let mut req = format!("{ws_base}/chat/group?group_id={group}")
                .into_client_request()
                .expect("request");
            let token = &tokens[room * s.members + m];
            req.headers_mut()
                .insert("token", token.parse().expect("token"));
            let (socket, _) = tokio_tungstenite::connect_async(req)
                .await
                .expect("connect");
            let (mut sink, mut stream) = socket.split();
            receivers.push(tokio::spawn(async move {
                let mut latencies = Vec::new();
                let end = started + deadline + Duration::from_secs(2);
                while let Ok(Some(Ok(frame))) =
                    tokio::time::timeout_at(end.into(), stream.next()).await
                {
                    if let Message::Text(text) = frame {
                        let Ok(message) = serde_json::from_str::<Value>(&text) else {
                            continue;
                        };
                        let sent = message["msg"]["content"]
                            .as_str()
                            .and_then(|c| c.parse::<u64>().ok());
                        if let (Some(sent), Some(false)) = (sent, message["history"].as_bool()) {
                            let now = started.elapsed().as_micros() as u64;
                            latencies.push(now.saturating_sub(sent) as u32);
                        }
                    }
                }
                latencies
            }));
            if m < s.senders_per_room {
                let rate = s.rate;
                senders.push(tokio::spawn(async move {
                    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
                    let mut sent = 0u64;
                    while started.elapsed() < deadline {
                        tick.tick().await;
                        let now = started.elapsed().as_micros();
                        let frame = json!({ "msg_type": "text", "content": now.to_string() });
                        if sink
                            .send(Message::Text(frame.to_string().into()))
                            .await
                            .is_err()
                        {
                            break;
                        }
                        sent += 1;
                    }
                    sent
                }));
            }
        }
    }
    let connected = started.elapsed().as_secs_f64();
    let mut sent = 0;
    for sender in senders {
        sent += sender.await.expect("sender");
    }
    let mut latencies = Vec::new();
    for receiver in receivers {
        latencies.extend(receiver.await.expect("receiver"));
    }
    latencies.sort_unstable();
    let window = seconds as f64 - connected.min(seconds as f64);
    println!(
        "| {} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} |",
        s.name,
        s.rooms * s.members,
        sent,
        latencies.len(),
        sent as f64 / window.max(1.0),
        latencies.len() as f64 / window.max(1.0),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        percentile(&latencies, 100.0),
        server.peak_rss_mib(),
    );
}

#[tokio::main]
async fn main() {
    let mut seconds = 10;
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds S")
            }
            "--bench" => {}
            other => names.push(other.to_owned()),
        }
    }
    if names.is_empty() {
        names = vec!["fanout".into(), "rooms".into()];
    }
    println!("| scenario | connections | messages sent | deliveries | messages/s | deliveries/s | p50 ms | p99 ms | max ms | server peak RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for name in names {
        match name.as_str() {
            "fanout" => run(&FANOUT, seconds).await,
            "rooms" => run(&ROOMS, seconds).await,
            other => panic!("unknown scenario {other:?} (known: fanout, rooms)"),
        }
    }
}
