//! Members: the list, nicknames, removal and admins.

use crate::support::*;

#[tokio::test]
async fn member_list_shows_roles_and_nicknames() {
    let server = Server::start().await;
    let t = team(&server, "list", 10).await;
    set_account_nickname(&server, &t.member, "账号昵称").await;
    set_account_nickname(&server, &t.admin, "管理员账号").await;
    server
        .ok(
            group::NICKNAME,
            &t.admin.token,
            json!({ "group_id": t.group, "nickname": "  组内小王  " }),
        )
        .await;

    for viewer in [&t.creator, &t.admin, &t.member] {
        let list = members(&server, viewer, t.group).await;
        assert_eq!(list.len(), 3, "{list:?}");
        assert_eq!(list[0]["user_id"], t.creator.id.as_str());
        assert_eq!(list[0]["is_creator"], true);
        assert_eq!(list[0]["is_admin"], true);
        let admin = list.iter().find(|m| m["user_id"] == t.admin.id.as_str());
        let admin = admin.unwrap();
        assert_eq!(admin["nickname"], "组内小王");
        assert_eq!(admin["is_admin"], true);
        assert_eq!(admin["is_creator"], false);
        let member = list.iter().find(|m| m["user_id"] == t.member.id.as_str());
        let member = member.unwrap();
        assert_eq!(member["nickname"], "账号昵称");
        assert_eq!(member["is_admin"], false);
        assert_eq!(member["is_creator"], false);
        for m in &list {
            assert!(m["user_id"].is_string(), "{m}");
            assert!(is_time(&m["time"]), "{m}");
        }
    }
    // The in-group nickname does not touch the account nickname.
    assert_eq!(account_nickname(&server, &t.admin).await, "管理员账号");

    // The creator stays first even after others join.
    let late = user(&server, "list-late").await;
    admit(&server, &t.admin, &late, t.group).await;
    let ids = member_ids(&server, &late, t.group).await;
    assert_eq!(ids.len(), 4);
    assert_eq!(ids[0], t.creator.id);
    assert!(ids.contains(&late.id));

    server
        .fails(
            group::MEMBERS,
            t.outsider.t(),
            json!({ "group_id": t.group }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::MEMBERS,
            t.member.t(),
            json!({ "group_id": 424_242 }),
            301,
            404,
        )
        .await;
    server
        .fails(group::MEMBERS, t.member.t(), json!({}), 101, 400)
        .await;
    server
        .fails(
            group::MEMBERS,
            None,
            json!({ "group_id": t.group }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn set_nickname_rules() {
    let server = Server::start().await;
    let t = team(&server, "nick", 10).await;

    let nick_of = |list: &[Value], who: &User| {
        list.iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap()["nickname"]
            .clone()
    };
    for (who, nickname) in [
        (&t.creator, " 组长 "),
        (&t.admin, "\t管理\n"),
        (&t.member, "成员"),
    ] {
        server
            .ok(
                group::NICKNAME,
                &who.token,
                json!({ "group_id": t.group, "nickname": nickname }),
            )
            .await;
    }
    let list = members(&server, &t.member, t.group).await;
    assert_eq!(nick_of(&list, &t.creator), "组长");
    assert_eq!(nick_of(&list, &t.admin), "管理");
    assert_eq!(nick_of(&list, &t.member), "成员");
    // 32 characters fit; it can be changed again.
    let long = "长".repeat(32);
    server
        .ok(
            group::NICKNAME,
            &t.member.token,
            json!({ "group_id": t.group, "nickname": long }),
        )
        .await;
    assert_eq!(
        nick_of(&members(&server, &t.creator, t.group).await, &t.member),
        json!(long)
    );

    for (body, code, status) in [
        (json!({ "group_id": t.group, "nickname": "" }), 201, 400),
        (json!({ "group_id": t.group, "nickname": "   " }), 201, 400),
        (
            json!({ "group_id": t.group, "nickname": "长".repeat(33) }),
            101,
            400,
        ),
        (json!({ "group_id": t.group }), 101, 400),
        (json!({ "group_id": t.group, "nickname": 7 }), 101, 400),
        (json!({ "nickname": "小明" }), 101, 400),
    ] {
        server
            .fails(group::NICKNAME, t.member.t(), body, code, status)
            .await;
    }
    // Refused calls changed nothing.
    assert_eq!(
        nick_of(&members(&server, &t.creator, t.group).await, &t.member),
        json!(long)
    );

    server
        .fails(
            group::NICKNAME,
            t.outsider.t(),
            json!({ "group_id": t.group, "nickname": "混进来" }),
            303,
            403,
        )
        .await;
    server
        .fails(
            group::NICKNAME,
            t.member.t(),
            json!({ "group_id": 515_151, "nickname": "小明" }),
            301,
            404,
        )
        .await;
    server
        .fails(
            group::NICKNAME,
            None,
            json!({ "group_id": t.group, "nickname": "小明" }),
            113,
            401,
        )
        .await;
}

#[tokio::test]
async fn remove_member_rules() {
    let server = Server::start().await;
    let t = team(&server, "remove", 10).await;
    let second_admin = user(&server, "remove-admin2").await;
    let m2 = user(&server, "remove-m2").await;
    let m3 = user(&server, "remove-m3").await;
    admit(&server, &t.creator, &second_admin, t.group).await;
    assert!(switch_admin(&server, &t.creator, t.group, &second_admin).await);
    admit(&server, &t.creator, &m2, t.group).await;
    admit(&server, &t.creator, &m3, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);

    let remove = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Not allowed: ordinary members and outsiders remove nobody.
    for (actor, target) in [
        (&t.member, &m2),
        (&t.member, &t.admin),
        (&t.member, &t.creator),
        (&t.outsider, &m2),
        (&t.outsider, &t.member),
    ] {
        server
            .fails(group::REMOVE, actor.t(), remove(target), 303, 403)
            .await;
    }
    // Admins remove neither the creator, nor other admins, nor themselves.
    for target in [&t.creator, &second_admin, &t.admin] {
        server
            .fails(group::REMOVE, t.admin.t(), remove(target), 303, 403)
            .await;
    }
    // The creator cannot remove themselves.
    server
        .fails(group::REMOVE, t.creator.t(), remove(&t.creator), 303, 403)
        .await;
    // Targets outside the group: 302.
    for actor in [&t.creator, &t.admin] {
        for target in [json!(t.outsider.id), json!("no-such-user"), json!(123_456)] {
            server
                .fails(
                    group::REMOVE,
                    actor.t(),
                    json!({ "group_id": t.group, "user_id": target }),
                    302,
                    404,
                )
                .await;
        }
    }
    server
        .fails(
            group::REMOVE,
            t.creator.t(),
            json!({ "group_id": 777_777, "user_id": m2.id }),
            301,
            404,
        )
        .await;
    for bad in [
        json!({ "group_id": t.group }),
        json!({ "user_id": m2.id }),
        json!({ "group_id": t.group, "user_id": true }),
    ] {
        server
            .fails(group::REMOVE, t.creator.t(), bad, 101, 400)
            .await;
    }
    server
        .fails(group::REMOVE, None, remove(&m2), 113, 401)
        .await;
    // None of that changed anything.
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);
    assert_eq!(member_ids(&server, &t.creator, t.group).await.len(), 6);

    // An admin removes an ordinary member.
    server.ok(group::REMOVE, &t.admin.token, remove(&m2)).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 5);
    assert!(!member_ids(&server, &t.creator, t.group)
        .await
        .contains(&m2.id));
    server
        .fails(
            group::MEMBERS,
            m2.t(),
            json!({ "group_id": t.group }),
            303,
            403,
        )
        .await;
    // Removing them again: no longer in the group.
    server
        .fails(group::REMOVE, t.admin.t(), remove(&m2), 302, 404)
        .await;
    // The creator removes an ordinary member and an admin.
    server
        .ok(group::REMOVE, &t.creator.token, remove(&m3))
        .await;
    server
        .ok(group::REMOVE, &t.creator.token, remove(&second_admin))
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 3);
    let mut ids = member_ids(&server, &t.creator, t.group).await;
    ids.sort();
    let mut expected = vec![
        t.creator.id.clone(),
        t.admin.id.clone(),
        t.member.id.clone(),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    // The removed admin lost their powers.
    assert!(inbox(&server, &second_admin).await.is_empty());
    // A removed user may ask to join again.
    let back = join(&server, &m2, t.group).await;
    process(&server, &t.creator, back, true).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);

    // After dismissal: members get 304, outsiders 303.
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;
    server
        .fails(group::REMOVE, t.creator.t(), remove(&t.member), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.admin.t(), remove(&t.member), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.member.t(), remove(&m2), 304, 403)
        .await;
    server
        .fails(group::REMOVE, t.outsider.t(), remove(&t.member), 303, 403)
        .await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
}

#[tokio::test]
async fn switch_admin_rules() {
    let server = Server::start().await;
    let t = team(&server, "switch", 10).await;
    let x = user(&server, "switch-x").await;
    let is_admin_of = |list: &[Value], who: &User| {
        list.iter()
            .find(|m| m["user_id"] == who.id.as_str())
            .unwrap()["is_admin"]
            .clone()
    };

    // Promote the member: they now manage requests.
    assert!(switch_admin(&server, &t.creator, t.group, &t.member).await);
    let list = members(&server, &t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), true);
    let request = join(&server, &x, t.group).await;
    assert_eq!(inbox_ids(&server, &t.member).await, vec![request]);
    process(&server, &t.member, request, true).await;
    // ...and remove ordinary members.
    server
        .ok(
            group::REMOVE,
            &t.member.token,
            json!({ "group_id": t.group, "user_id": x.id }),
        )
        .await;

    // Demote them again.
    assert!(!switch_admin(&server, &t.creator, t.group, &t.member).await);
    let list = members(&server, &t.admin, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    let again = join(&server, &x, t.group).await;
    server
        .fails(
            group::PROCESS,
            t.member.t(),
            json!({ "request_id": again, "action": true }),
            303,
            403,
        )
        .await;

    let body = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Only the creator switches.
    for (actor, target) in [
        (&t.admin, &t.member),
        (&t.admin, &t.admin),
        (&t.admin, &t.creator),
        (&t.member, &t.member),
        (&t.member, &t.admin),
        (&t.outsider, &t.member),
    ] {
        server
            .fails(group::SWITCH_ADMIN, actor.t(), body(target), 303, 403)
            .await;
    }
    // The creator is always an admin.
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            body(&t.creator),
            303,
            403,
        )
        .await;
    // Non-members: 302 (x has a pending request but is no member).
    for target in [&t.outsider, &x] {
        server
            .fails(group::SWITCH_ADMIN, t.creator.t(), body(target), 302, 404)
            .await;
    }
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": t.group, "user_id": "ghost" }),
            302,
            404,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": 868_686, "user_id": t.member.id }),
            301,
            404,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            json!({ "group_id": t.group }),
            101,
            400,
        )
        .await;
    server
        .fails(group::SWITCH_ADMIN, None, body(&t.member), 113, 401)
        .await;
    // Refused calls changed nothing.
    let list = members(&server, &t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    assert_eq!(is_admin_of(&list, &t.creator), true);

    // Dismissed: the creator gets 304, an outsider 303.
    server
        .ok(
            group::DISMISS,
            &t.creator.token,
            json!({ "group_id": t.group }),
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.creator.t(),
            body(&t.member),
            304,
            403,
        )
        .await;
    server
        .fails(
            group::SWITCH_ADMIN,
            t.outsider.t(),
            body(&t.member),
            303,
            403,
        )
        .await;
}
