//! What the tests of this file share: imports, fixtures and helpers.

pub use crate::common::cluster::{
    internal, post_with_secret, store_unpublished, Cluster, Relay, RELAY_SECRET,
};
pub use crate::common::proxy::{Proxy, AFTER, HISTORY};
pub use crate::common::ws::{
    self, ask_history, content, contents, group_path, id, ids, next_json, next_live, quiet, say,
    say_acked, send, strictly_increasing, Socket,
};
pub use crate::common::{create_group, team, Options, Server, User};
pub use futures_util::{SinkExt, StreamExt};
pub use serde_json::{json, Value};
pub use std::collections::{BTreeMap, HashMap, HashSet};
pub use std::sync::{Arc, Mutex, PoisonError};
pub use std::time::{Duration, Instant};
pub use tokio::sync::watch;
pub use tokio_tungstenite::tungstenite::client::IntoClientRequest;
pub use tokio_tungstenite::tungstenite::Message;

/// How long a frame that should come may take.
pub const WAIT: Duration = Duration::from_secs(10);
/// How long we listen to be sure that nothing (more) comes.
pub const QUIET: Duration = Duration::from_millis(500);
/// A room with nothing going on costs no read of storage over this long.
pub const IDLE: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A text frame with a client message id.
pub fn text(content: &str, client_msg_id: &str) -> Value {
    json!({ "msg_type": "text", "content": content, "client_msg_id": client_msg_id })
}

/// A text frame without one.
pub fn plain(content: &str) -> Value {
    json!({ "msg_type": "text", "content": content })
}

pub fn client_msg_id(frame: &Value) -> Option<&str> {
    frame["msg"]["client_msg_id"].as_str()
}

pub async fn connect(relay: &Relay, who: &User, path: &str) -> Socket {
    ws::connect(&relay.ws_base(), who, path, WAIT).await
}

pub async fn connect_native(server: &Server, who: &User, path: &str) -> Socket {
    ws::connect(&server.ws_base(), who, path, WAIT).await
}

/// Sends `frame` and reads the acknowledgement: the stored message, live, to its sender.
pub async fn sent(socket: &mut Socket, frame: &Value) -> Value {
    send(socket, frame.clone()).await;
    let ack = next_live(socket, WAIT).await;
    assert_eq!(
        client_msg_id(&ack),
        frame["client_msg_id"].as_str(),
        "{ack}"
    );
    ack
}

/// The next `n` frames.
pub async fn take(socket: &mut Socket, n: usize) -> Vec<Value> {
    let mut frames = Vec::with_capacity(n);
    for _ in 0..n {
        frames.push(next_json(socket, WAIT).await);
    }
    frames
}

/// Every message of a group room as `who` pages back through it (the server's relay route,
/// 20 a page), oldest first, each as clients receive it in history.
pub async fn full_history(server: &Server, group: i64, who: &User) -> Vec<Value> {
    let mut messages = Vec::new();
    let mut before = None;
    loop {
        let mut body = json!({ "room": format!("group:{group}"), "user_id": who.id });
        if let Some(before) = before {
            body["before"] = json!(before);
        }
        let page = internal(server, "history", body).await["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|posted| {
                serde_json::from_str::<Value>(posted["frame"].as_str().expect("frame"))
                    .expect("a JSON frame")
            })
            .collect::<Vec<_>>();
        let Some(first) = page.first() else {
            return messages;
        };
        before = Some(id(first));
        messages.splice(0..0, page);
    }
}

/// A native server with the relay routes, to read whole histories.
pub async fn native_server() -> Server {
    Server::with(Options::dev_login().env("ZUDUI_RELAY_SECRET", RELAY_SECRET)).await
}

/// A native server and a group of two on it, the owner and the member each connected.
pub async fn native_pair(prefix: &str) -> (Server, i64, Vec<User>, Socket, Socket) {
    let server = native_server().await;
    let (g, users) = team(&server, prefix, 2).await;
    let path = group_path(g);
    let owner = connect_native(&server, &users[0], &path).await;
    let member = connect_native(&server, &users[1], &path).await;
    (server, g, users, owner, member)
}

/// Waits until the proxy's count of `path` has held still for [`IDLE`] (at most `within`);
/// returns it. Panics when the calls never stop.
pub async fn settled(proxy: &Proxy, path: &str, within: Duration) -> u64 {
    let started = Instant::now();
    let mut count = proxy.count(path);
    let mut still_since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = proxy.count(path);
        if now != count {
            (count, still_since) = (now, Instant::now());
        } else if still_since.elapsed() >= IDLE {
            return count;
        }
        assert!(
            started.elapsed() < within,
            "{path} is still being called after {within:?}: {count} calls so far"
        );
    }
}
