//! The `group_members` table.

use crate::ids::{GroupId, UserId};
use crate::params;
use crate::storage::Sql;

/// A member as `member/get` shows them.
pub struct Member {
    pub user_id: UserId,
    pub nickname: String,
    pub is_admin: bool,
    pub joined_at: i64,
}

/// `(is_admin, has_rated)` of a member, `None` for a non-member.
pub fn membership(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
) -> anyhow::Result<Option<(bool, bool)>> {
    let rows = conn.query(
        "SELECT is_admin, has_rated FROM group_members WHERE group_id = ? AND user_id = ?",
        params![group_id, user_id],
    )?;
    rows.first()
        .map(|r| Ok((r.bool(0)?, r.bool(1)?)))
        .transpose()
}

pub fn insert(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    is_admin: bool,
    now: i64,
) -> anyhow::Result<u64> {
    conn.execute(
        "INSERT INTO group_members (group_id, user_id, is_admin, joined_at) VALUES (?, ?, ?, ?)
         ON CONFLICT DO NOTHING",
        params![group_id, user_id, is_admin, now],
    )
}

pub fn delete(conn: &dyn Sql, group_id: GroupId, user_id: &UserId) -> anyhow::Result<u64> {
    conn.execute(
        "DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
        params![group_id, user_id],
    )
}

/// Every member, the creator first, then by join time; nicknames fall back to the account's.
pub fn list(conn: &dyn Sql, group_id: GroupId, creator_id: &UserId) -> anyhow::Result<Vec<Member>> {
    conn.query(
        "SELECT m.user_id, COALESCE(m.nickname, u.nickname, ''), m.is_admin, m.joined_at
         FROM group_members m LEFT JOIN users u ON u.id = m.user_id
         WHERE m.group_id = ?
         ORDER BY m.user_id <> ?, m.joined_at, m.user_id",
        params![group_id, creator_id],
    )?
    .iter()
    .map(|r| {
        Ok(Member {
            user_id: r.user_id(0)?,
            nickname: r.text(1)?,
            is_admin: r.bool(2)?,
            joined_at: r.int(3)?,
        })
    })
    .collect()
}

/// User ids of the members.
pub fn ids(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<UserId>> {
    conn.query(
        "SELECT user_id FROM group_members WHERE group_id = ?",
        params![group_id],
    )?
    .iter()
    .map(|r| r.user_id(0))
    .collect()
}

pub fn set_nickname(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    nickname: &str,
) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_members SET nickname = ? WHERE group_id = ? AND user_id = ?",
        params![nickname, group_id, user_id],
    )
}

pub fn set_admin(
    conn: &dyn Sql,
    group_id: GroupId,
    user_id: &UserId,
    is_admin: bool,
) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_members SET is_admin = ? WHERE group_id = ? AND user_id = ?",
        params![is_admin, group_id, user_id],
    )
}

/// Marks the member's one rating call as used; 0 when it already was.
pub fn mark_rated(conn: &dyn Sql, group_id: GroupId, user_id: &UserId) -> anyhow::Result<u64> {
    conn.execute(
        "UPDATE group_members SET has_rated = 1 WHERE group_id = ? AND user_id = ? AND has_rated = 0",
        params![group_id, user_id],
    )
}

/// Ids of the groups a user belongs to.
pub fn groups_of(conn: &dyn Sql, user_id: &UserId) -> anyhow::Result<Vec<i64>> {
    conn.query(
        "SELECT group_id FROM group_members WHERE user_id = ?",
        params![user_id],
    )?
    .iter()
    .map(|r| r.int(0))
    .collect()
}

/// Memberships across all groups (the admin dashboard).
pub fn count(conn: &dyn Sql) -> anyhow::Result<i64> {
    conn.query("SELECT count(*) FROM group_members", params![])?[0].int(0)
}

/// Deletes every member of a group (the group is being deleted); returns their ids.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<UserId>> {
    conn.query(
        "DELETE FROM group_members WHERE group_id = ? RETURNING user_id",
        params![group_id],
    )?
    .iter()
    .map(|r| r.user_id(0))
    .collect()
}

/// Who takes a group over from a creator whose account is deleted: the longest-standing admin,
/// else the longest-standing member; `None` when the creator is alone.
pub fn heir(conn: &dyn Sql, group_id: GroupId, creator: &UserId) -> anyhow::Result<Option<UserId>> {
    conn.query(
        "SELECT user_id FROM group_members WHERE group_id = ? AND user_id != ?
         ORDER BY is_admin DESC, joined_at, user_id LIMIT 1",
        params![group_id, creator],
    )?
    .first()
    .map(|r| r.user_id(0))
    .transpose()
}

/// A user's membership as their export shows it.
pub struct Membership {
    pub group_id: GroupId,
    pub is_admin: bool,
    /// Their in-group nickname, if they set one.
    pub nickname: Option<String>,
    pub joined_at: i64,
    pub has_rated: bool,
}

/// Up to `limit` memberships of a user, oldest first.
pub fn of_user(conn: &dyn Sql, user_id: &UserId, limit: i64) -> anyhow::Result<Vec<Membership>> {
    conn.query(
        "SELECT group_id, is_admin, nickname, joined_at, has_rated FROM group_members
         WHERE user_id = ? ORDER BY joined_at, group_id LIMIT ?",
        params![user_id, limit],
    )?
    .iter()
    .map(|r| {
        Ok(Membership {
            group_id: r.id(0)?,
            is_admin: r.bool(1)?,
            nickname: r.opt_text(2)?,
            joined_at: r.int(3)?,
            has_rated: r.bool(4)?,
        })
    })
    .collect()
}
