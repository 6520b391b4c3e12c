//! Handshake.

use crate::support::*;

#[tokio::test]
async fn handshake_refusals_are_json_errors_with_their_status() {
    let server = Server::start().await;
    let (g, users) = team(&server, "hs", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let outsider = user(&server, "hs-outsider").await;
    let path = group_path(g);

    let (own, other) = (Some(owner.token.as_str()), Some(outsider.token.as_str()));
    let (to_member, to_self) = (private_path(member), private_path(owner));
    // (token header, token query, path, code, status)
    let refusals = [
        // Token: missing or empty is 113, a bad one 112, in the header or the query.
        (None, None, path.as_str(), 113, 401),
        (Some(""), None, &path, 113, 401),
        (Some("   "), None, &path, 113, 401),
        (None, Some(""), &path, 113, 401),
        (Some("not-a-token"), None, &path, 112, 401),
        (None, Some("not-a-token"), &path, 112, 401),
        (Some("a.b.c"), None, &path, 112, 401),
        (None, None, &to_member, 113, 401),
        (Some("not-a-token"), None, &to_member, 112, 401),
        // Rooms: unknown group 402 (404), not a member 403 (403), either way the token carries.
        (own, None, "/chat/group?group_id=987654", 402, 404),
        (None, own, "/chat/group?group_id=987654", 402, 404),
        (other, None, &path, 403, 403),
        (None, other, &path, 403, 403),
        // A missing or malformed group id is a parameter error.
        (own, None, "/chat/group?group_id=abc", 101, 400),
        (own, None, "/chat/group?x=1", 101, 400),
        // Private: unknown user or oneself is 401 (404).
        (own, None, "/chat/private?user_id=nobody-here", 401, 404),
        (own, None, &to_self, 401, 404),
        (None, own, &to_self, 401, 404),
    ];
    let base = server.ws_base();
    for (header, query, path, code, status) in refusals {
        ws::refused(&base, header, query, path, code, status, WAIT).await;
    }

    // And the members themselves get in, with either form of token.
    let mut a = connect(&server, owner, &path).await;
    let mut b = connect_query(&server, member, &path).await;
    let mut c = connect_query(&server, member, &private_path(owner)).await;
    quiet(&mut a).await;
    quiet(&mut b).await;
    quiet(&mut c).await;
}

#[tokio::test]
async fn plain_get_without_upgrade_is_101() {
    let server = Server::start().await;
    let (g, users) = team(&server, "get", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    for path in [group_path(g), private_path(member)] {
        let res = server
            .client
            .get(server.url(&path))
            .header("token", &owner.token)
            .send()
            .await
            .expect("get");
        let status = res.status().as_u16();
        let value: Value = res.json().await.expect("JSON answer");
        assert_eq!(
            (status, value["code"].as_u64()),
            (400, Some(101)),
            "{path}: {value}"
        );
        assert!(
            value["errorMsg"].as_str().is_some_and(|m| !m.is_empty()),
            "{value}"
        );
    }
    // The token is still checked first.
    let res = server
        .client
        .get(server.url(&group_path(g)))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let value: Value = res.json().await.expect("JSON answer");
    assert_eq!(
        (status, value["code"].as_u64()),
        (401, Some(113)),
        "{value}"
    );
}

#[tokio::test]
async fn header_and_query_tokens_open_the_same_room() {
    let server = Server::start().await;
    let (g, users) = team(&server, "tok", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let mut by_header = connect(&server, owner, &group_path(g)).await;
    let mut by_query = connect_query(&server, member, &group_path(g)).await;
    // An empty room says nothing on connect.
    quiet(&mut by_header).await;
    quiet(&mut by_query).await;

    say(&mut by_query, "从查询参数来").await;
    let seen_by_sender = next(&mut by_query).await;
    let seen_by_other = next(&mut by_header).await;
    assert_eq!(seen_by_sender, seen_by_other);
    assert_eq!(seen_by_sender["user_id"], member.id.as_str());
    assert_eq!(seen_by_sender["room_id"], g);

    say(&mut by_header, "从请求头来").await;
    let a = next(&mut by_header).await;
    let b = next(&mut by_query).await;
    assert_eq!(a, b);
    assert_eq!(a["user_id"], owner.id.as_str());
    assert!(id(&a) > id(&seen_by_sender));
}
