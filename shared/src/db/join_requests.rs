//! The `join_requests` table.

use crate::ids::{GroupId, RequestId, UserId};
use crate::params;
use crate::storage::{Row, Sql};

pub struct JoinRequest {
    pub id: RequestId,
    pub group_id: GroupId,
    pub user_id: UserId,
    pub created_at: i64,
}

/// A pending request of a user to a group, if any.
pub fn pending_of(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
) -> anyhow::Result<Option<RequestId>> {
    let rows = conn.query(
        "SELECT id FROM join_requests WHERE group_id = ? AND user_id = ? AND status = 'pending'",
        params![group_id, user_id],
    )?;
    rows.first().map(|r| r.id(0)).transpose()
}

pub fn insert(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    now: i64,
) -> anyhow::Result<RequestId> {
    conn.query(
        "INSERT INTO join_requests (group_id, user_id, created_at) VALUES (?, ?, ?) RETURNING id",
        params![group_id, user_id, now],
    )?[0]
        .id(0)
}

/// A pending request by id.
pub fn get_pending(conn: &dyn Sql, id: RequestId) -> anyhow::Result<Option<JoinRequest>> {
    let rows = conn.query(
        "SELECT id, group_id, user_id, created_at FROM join_requests WHERE id = ? AND status = 'pending'",
        params![id],
    )?;
    rows.first().map(request).transpose()
}

fn request(r: &Row) -> anyhow::Result<JoinRequest> {
    Ok(JoinRequest {
        id: r.id(0)?,
        group_id: r.id(1)?,
        user_id: r.user_id(2)?,
        created_at: r.int(3)?,
    })
}

/// Closes a pending request with `status` (approved, rejected, closed).
/// `by` is the manager's user id, or the console's actor (`Admin::actor`): a text, not a `UserId`.
pub fn finish(
    conn: &dyn Sql,
    id: RequestId,
    status: &str,
    by: &str,
    now: i64,
) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE join_requests SET status = ?, processed_by = ?, processed_at = ?
         WHERE id = ? AND status = 'pending'",
        params![status, by, now, id],
    )
}

/// Withdraws `user_id`'s own pending request `id` (status `withdrawn`); 0 rows when there is
/// no such request of theirs pending.
pub fn withdraw(conn: &dyn Sql, id: RequestId, user_id: &UserId, now: i64) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE join_requests SET status = 'withdrawn', processed_by = user_id, processed_at = ?
         WHERE id = ? AND user_id = ? AND status = 'pending'",
        params![now, id, user_id],
    )
}

/// Closes every pending request to a group (it was dismissed).
pub fn close_all(conn: &dyn Sql, group_id: GroupId, now: i64) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE join_requests SET status = 'closed', processed_at = ?
         WHERE group_id = ? AND status = 'pending'",
        params![now, group_id],
    )
}

/// A pending request as the managers' inbox shows it.
pub struct Inbox {
    pub id: RequestId,
    pub user_id: UserId,
    pub nickname: String,
    pub group_id: GroupId,
    pub group_name: String,
    pub created_at: i64,
}

/// Pending requests to every active group that `manager` manages (creator or admin), oldest first.
pub fn inbox(conn: &dyn Sql, manager: &UserId) -> anyhow::Result<Vec<Inbox>> {
    conn.query(
        "SELECT r.id, r.user_id, COALESCE(u.nickname, ''), r.group_id, g.name, r.created_at
         FROM group_members m
         JOIN groups g ON g.id = m.group_id AND g.dismissed_at IS NULL
         JOIN join_requests r ON r.group_id = m.group_id AND r.status = 'pending'
         LEFT JOIN users u ON u.id = r.user_id
         WHERE m.user_id = ? AND (m.is_admin = 1 OR g.creator_id = m.user_id)
         ORDER BY r.id",
        params![manager],
    )?
    .iter()
    .map(|r| {
        Ok(Inbox {
            id: r.id(0)?,
            user_id: r.user_id(1)?,
            nickname: r.text(2)?,
            group_id: r.id(3)?,
            group_name: r.text(4)?,
            created_at: r.int(5)?,
        })
    })
    .collect()
}

/// Requests waiting for a manager, in every group (the admin dashboard).
pub fn pending_count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query(
        "SELECT count(*) FROM join_requests WHERE status = 'pending'",
        params![],
    )?[0]
        .int(0)
}

/// Deletes every request to a group, whatever its status (the group is being deleted).
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM join_requests WHERE group_id = ?",
        params![group_id],
    )
}

/// The pending requests to a group, oldest first (the admin console's group view).
pub fn pending_to(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<JoinRequest>> {
    conn.query(
        "SELECT id, group_id, user_id, created_at FROM join_requests
         WHERE group_id = ? AND status = 'pending' ORDER BY id",
        params![group_id],
    )?
    .iter()
    .map(request)
    .collect()
}

/// A request as its sender's export shows it.
pub struct Sent {
    pub id: RequestId,
    pub group_id: GroupId,
    pub status: String,
    pub created_at: i64,
    pub processed_at: Option<i64>,
}

/// Up to `limit` requests a user sent, newest first.
pub fn of_user(conn: &dyn Sql, user_id: &UserId, limit: i64) -> anyhow::Result<Vec<Sent>> {
    conn.query(
        "SELECT id, group_id, status, created_at, processed_at FROM join_requests
         WHERE user_id = ? ORDER BY id DESC LIMIT ?",
        params![user_id, limit],
    )?
    .iter()
    .map(|r| {
        Ok(Sent {
            id: r.id(0)?,
            group_id: r.id(1)?,
            status: r.text(2)?,
            created_at: r.int(3)?,
            processed_at: r.opt_int(4)?,
        })
    })
    .collect()
}

/// Deletes every request a user sent (their account is deleted).
pub fn delete_user(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM join_requests WHERE user_id = ?",
        params![user_id],
    )
}
