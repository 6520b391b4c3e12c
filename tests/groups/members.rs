//! Members: the list, nicknames, removal and admins.

use crate::support::*;

#[tokio::test]
async fn member_list_shows_roles_and_nicknames() {
    let server = Server::start().await;
    let t = group_roles(&server, "list", 10).await;
    server.set_account_nickname(&t.member, "账号昵称").await;
    server.set_account_nickname(&t.admin, "管理员账号").await;
    server
        .set_group_nickname(&t.admin, t.group, "  组内小王  ")
        .await;

    for viewer in [&t.creator, &t.admin, &t.member] {
        let list = server.group_members(viewer, t.group).await;
        assert_eq!(list.len(), 3, "{list:?}");
        assert_eq!(list[0]["user_id"], t.creator.id.as_str());
        assert_eq!(list[0]["is_creator"], true);
        assert_eq!(list[0]["is_admin"], true);
        let admin = entry_of(&list, &t.admin);
        assert_eq!(admin["nickname"], "组内小王");
        assert_eq!(admin["is_admin"], true);
        assert_eq!(admin["is_creator"], false);
        let member = entry_of(&list, &t.member);
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

    let g = json!({ "group_id": t.group });
    server
        .fails(group::MEMBERS, t.outsider.t(), g.clone(), 303, 403)
        .await;
    refuses_bad_group_calls(&server, group::MEMBERS, &t.member, g).await;
}

#[tokio::test]
async fn set_nickname_rules() {
    let server = Server::start().await;
    let t = group_roles(&server, "nick", 10).await;
    let nick_of = |list: &[Value], who: &User| entry_of(list, who)["nickname"].clone();

    // Trimmed of white space.
    for (who, nickname) in [
        (&t.creator, " 组长 "),
        (&t.admin, "\t管理\n"),
        (&t.member, "成员"),
    ] {
        server.set_group_nickname(who, t.group, nickname).await;
    }
    let list = server.group_members(&t.member, t.group).await;
    assert_eq!(nick_of(&list, &t.creator), "组长");
    assert_eq!(nick_of(&list, &t.admin), "管理");
    assert_eq!(nick_of(&list, &t.member), "成员");
    // 32 characters fit; it can be changed again.
    let long = "长".repeat(32);
    server.set_group_nickname(&t.member, t.group, &long).await;
    let list = server.group_members(&t.creator, t.group).await;
    assert_eq!(nick_of(&list, &t.member), json!(long));

    let named = |nickname: Value| json!({ "group_id": t.group, "nickname": nickname });
    for (body, code, status) in [
        (named(json!("")), 201, 400),
        (named(json!("   ")), 201, 400),
        (named(json!("长".repeat(33))), 101, 400),
        (json!({ "group_id": t.group }), 101, 400),
        (named(json!(7)), 101, 400),
    ] {
        server
            .fails(group::NICKNAME, t.member.t(), body, code, status)
            .await;
    }
    // Refused calls changed nothing.
    let list = server.group_members(&t.creator, t.group).await;
    assert_eq!(nick_of(&list, &t.member), json!(long));

    let body = named(json!("混进来"));
    server
        .fails(group::NICKNAME, t.outsider.t(), body.clone(), 303, 403)
        .await;
    refuses_bad_group_calls(&server, group::NICKNAME, &t.member, body).await;
}

#[tokio::test]
async fn remove_member_rules() {
    let server = Server::start().await;
    let t = group_roles(&server, "remove", 10).await;
    let second_admin = user(&server, "remove-admin2").await;
    let m2 = user(&server, "remove-m2").await;
    let m3 = user(&server, "remove-m3").await;
    admit(&server, &t.creator, &second_admin, t.group).await;
    assert!(
        server
            .switch_group_admin(&t.creator, t.group, &second_admin)
            .await
    );
    admit(&server, &t.creator, &m2, t.group).await;
    admit(&server, &t.creator, &m3, t.group).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);

    let remove = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Not allowed: ordinary members and outsiders remove nobody; admins remove neither the
    // creator, nor other admins, nor themselves; the creator cannot remove themselves.
    for (actor, target) in [
        (&t.member, &m2),
        (&t.member, &t.admin),
        (&t.member, &t.creator),
        (&t.outsider, &m2),
        (&t.outsider, &t.member),
        (&t.admin, &t.creator),
        (&t.admin, &second_admin),
        (&t.admin, &t.admin),
        (&t.creator, &t.creator),
    ] {
        server
            .fails(group::REMOVE, actor.t(), remove(target), 303, 403)
            .await;
    }
    // Targets outside the group: 302.
    for actor in [&t.creator, &t.admin] {
        for target in [json!(t.outsider.id), json!("no-such-user"), json!(123_456)] {
            let body = json!({ "group_id": t.group, "user_id": target });
            server.fails(group::REMOVE, actor.t(), body, 302, 404).await;
        }
    }
    refuses_bad_group_calls(&server, group::REMOVE, &t.creator, remove(&m2)).await;
    for bad in [
        json!({ "group_id": t.group }),
        json!({ "group_id": t.group, "user_id": true }),
    ] {
        server
            .fails(group::REMOVE, t.creator.t(), bad, 101, 400)
            .await;
    }
    // None of that changed anything.
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 6);
    assert_eq!(member_ids(&server, &t.creator, t.group).await.len(), 6);

    // An admin removes an ordinary member.
    server.remove_group_member(&t.admin, t.group, &m2).await;
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
    server.remove_group_member(&t.creator, t.group, &m3).await;
    server
        .remove_group_member(&t.creator, t.group, &second_admin)
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
    assert!(server.join_requests(&second_admin).await.is_empty());
    // A removed user may ask to join again.
    let back = server.join_group(&m2, t.group).await;
    server.process_join_request(&t.creator, back, true).await;
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);

    // After dismissal: members get 304, outsiders 303.
    server.dismiss_group(&t.creator, t.group).await;
    for (actor, target, code) in [
        (&t.creator, &t.member, 304),
        (&t.admin, &t.member, 304),
        (&t.member, &m2, 304),
        (&t.outsider, &t.member, 303),
    ] {
        server
            .fails(group::REMOVE, actor.t(), remove(target), code, 403)
            .await;
    }
    assert_eq!(user_cnt(&server, &t.creator, t.group).await, 4);
}

#[tokio::test]
async fn switch_admin_rules() {
    let server = Server::start().await;
    let t = group_roles(&server, "switch", 10).await;
    let x = user(&server, "switch-x").await;
    let is_admin_of = |list: &[Value], who: &User| entry_of(list, who)["is_admin"].clone();

    // Promote the member: they now manage requests.
    assert!(
        server
            .switch_group_admin(&t.creator, t.group, &t.member)
            .await
    );
    let list = server.group_members(&t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), true);
    let request = server.join_group(&x, t.group).await;
    assert_eq!(inbox_ids(&server, &t.member).await, vec![request]);
    server.process_join_request(&t.member, request, true).await;
    // ...and remove ordinary members.
    server.remove_group_member(&t.member, t.group, &x).await;

    // Demote them again.
    assert!(
        !server
            .switch_group_admin(&t.creator, t.group, &t.member)
            .await
    );
    let list = server.group_members(&t.admin, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    let again = server.join_group(&x, t.group).await;
    let approve = json!({ "request_id": again, "action": true });
    server
        .fails(group::PROCESS, t.member.t(), approve, 303, 403)
        .await;

    let body = |who: &User| json!({ "group_id": t.group, "user_id": who.id });
    // Only the creator switches, and the creator is always an admin.
    for (actor, target) in [
        (&t.admin, &t.member),
        (&t.admin, &t.admin),
        (&t.admin, &t.creator),
        (&t.member, &t.member),
        (&t.member, &t.admin),
        (&t.outsider, &t.member),
        (&t.creator, &t.creator),
    ] {
        server
            .fails(group::SWITCH_ADMIN, actor.t(), body(target), 303, 403)
            .await;
    }
    // Non-members: 302 (x has a pending request but is no member).
    for target in [json!(t.outsider.id), json!(x.id), json!("ghost")] {
        let body = json!({ "group_id": t.group, "user_id": target });
        server
            .fails(group::SWITCH_ADMIN, t.creator.t(), body, 302, 404)
            .await;
    }
    let without_user = json!({ "group_id": t.group });
    server
        .fails(group::SWITCH_ADMIN, t.creator.t(), without_user, 101, 400)
        .await;
    refuses_bad_group_calls(&server, group::SWITCH_ADMIN, &t.creator, body(&t.member)).await;
    // Refused calls changed nothing.
    let list = server.group_members(&t.creator, t.group).await;
    assert_eq!(is_admin_of(&list, &t.member), false);
    assert_eq!(is_admin_of(&list, &t.admin), true);
    assert_eq!(is_admin_of(&list, &t.creator), true);

    // Dismissed: the creator gets 304, an outsider 303.
    server.dismiss_group(&t.creator, t.group).await;
    for (actor, code) in [(&t.creator, 304), (&t.outsider, 303)] {
        server
            .fails(group::SWITCH_ADMIN, actor.t(), body(&t.member), code, 403)
            .await;
    }
}
