//! Handshake.

use crate::support::*;

#[tokio::test]
async fn handshake_refusals_are_json_errors_with_their_status() {
    let server = Server::start().await;
    let (g, users) = team(&server, "hs", 2).await;
    let (owner, member) = (&users[0], &users[1]);
    let outsider = user(&server, "hs-outsider").await;
    let path = group_path(g);

    // Token: missing or empty is 113, a bad one 112, in the header or the query.
    refused(&server, None, None, &path, 113, 401).await;
    refused(&server, Some(""), None, &path, 113, 401).await;
    refused(&server, Some("   "), None, &path, 113, 401).await;
    refused(&server, None, Some(""), &path, 113, 401).await;
    refused(&server, Some("not-a-token"), None, &path, 112, 401).await;
    refused(&server, None, Some("not-a-token"), &path, 112, 401).await;
    refused(&server, Some("a.b.c"), None, &path, 112, 401).await;
    refused(&server, None, None, &private_path(member), 113, 401).await;
    refused(
        &server,
        Some("not-a-token"),
        None,
        &private_path(member),
        112,
        401,
    )
    .await;

    // Rooms: unknown group 402 (404), not a member 403 (403), either way the token carries.
    for (header, query) in [
        (Some(owner.token.as_str()), None),
        (None, Some(owner.token.as_str())),
    ] {
        refused(
            &server,
            header,
            query,
            "/chat/group?group_id=987654",
            402,
            404,
        )
        .await;
    }
    for (header, query) in [
        (Some(outsider.token.as_str()), None),
        (None, Some(outsider.token.as_str())),
    ] {
        refused(&server, header, query, &path, 403, 403).await;
    }
    // A missing or malformed group id is a parameter error.
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/group?group_id=abc",
        101,
        400,
    )
    .await;
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/group?x=1",
        101,
        400,
    )
    .await;

    // Private: unknown user or oneself is 401 (404).
    refused(
        &server,
        Some(&owner.token),
        None,
        "/chat/private?user_id=nobody-here",
        401,
        404,
    )
    .await;
    refused(
        &server,
        Some(&owner.token),
        None,
        &private_path(owner),
        401,
        404,
    )
    .await;
    refused(
        &server,
        None,
        Some(&owner.token),
        &private_path(owner),
        401,
        404,
    )
    .await;

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
