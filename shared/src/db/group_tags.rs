//! The `group_tags` table, and the `tag_stats` popularity it feeds.

use crate::ids::{GroupId, TagId};
use crate::params;
use crate::storage::Sql;

pub struct GroupTag {
    pub id: TagId,
    pub tag_text: String,
}

pub fn list(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<GroupTag>> {
    conn.query(
        "SELECT id, tag_text FROM group_tags WHERE group_id = ? ORDER BY id",
        params![group_id],
    )?
    .iter()
    .map(|r| {
        Ok(GroupTag {
            id: r.id(0)?,
            tag_text: r.text(1)?,
        })
    })
    .collect()
}

pub fn count(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<i64> {
    conn.query(
        "SELECT COUNT(*) FROM group_tags WHERE group_id = ?",
        params![group_id],
    )?[0]
        .int(0)
}

/// The text of a group's tag `id`, if the group has it.
pub fn text_of(conn: &dyn Sql, group_id: GroupId, id: TagId) -> anyhow::Result<Option<String>> {
    let rows = conn.query(
        "SELECT tag_text FROM group_tags WHERE id = ? AND group_id = ?",
        params![id, group_id],
    )?;
    rows.first().map(|r| r.text(0)).transpose()
}

/// True when the group has a tag with this text other than `except_id`.
pub fn text_taken(
    conn: &dyn Sql,
    group_id: GroupId,
    text: &str,
    except_id: TagId,
) -> anyhow::Result<bool> {
    Ok(!conn
        .query(
            "SELECT 1 FROM group_tags WHERE group_id = ? AND tag_text = ? AND id <> ?",
            params![group_id, text, except_id],
        )?
        .is_empty())
}

pub fn insert(conn: &dyn Sql, group_id: GroupId, text: &str, now: i64) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO group_tags (group_id, tag_text, created_at) VALUES (?, ?, ?)",
        params![group_id, text, now],
    )?;
    Ok(())
}

pub fn update(conn: &dyn Sql, group_id: GroupId, id: TagId, text: &str) -> anyhow::Result<()> {
    conn.execute(
        "UPDATE group_tags SET tag_text = ? WHERE id = ? AND group_id = ?",
        params![text, id, group_id],
    )?;
    Ok(())
}

pub fn delete(conn: &dyn Sql, group_id: GroupId, id: TagId) -> anyhow::Result<()> {
    conn.execute(
        "DELETE FROM group_tags WHERE id = ? AND group_id = ?",
        params![id, group_id],
    )?;
    Ok(())
}

/// Recounts how many active groups of `kind` carry `text`, for tag hints.
pub fn refresh_stats(conn: &dyn Sql, kind: &str, text: &str) -> anyhow::Result<()> {
    conn.execute(
        "INSERT INTO tag_stats (type, tag_text, uses)
         SELECT ?1, ?2, COUNT(*) FROM group_tags t
         JOIN groups g ON g.id = t.group_id AND g.type = ?1 AND g.dismissed_at IS NULL
         WHERE t.tag_text = ?2
         ON CONFLICT (type, tag_text) DO UPDATE SET uses = excluded.uses",
        params![kind, text],
    )?;
    conn.execute(
        "DELETE FROM tag_stats WHERE type = ? AND tag_text = ? AND uses = 0",
        params![kind, text],
    )?;
    Ok(())
}

/// Up to `limit` tag texts of `kind` containing `key`, most used first.
pub fn hints(conn: &dyn Sql, kind: &str, key: &str, limit: i64) -> anyhow::Result<Vec<String>> {
    conn.query(
        "SELECT tag_text FROM tag_stats
         WHERE type = ? AND instr(lower(tag_text), lower(?)) > 0
         ORDER BY uses DESC, tag_text LIMIT ?",
        params![kind, key, limit],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// Recounts every tag's popularity (after bulk loads).
pub fn rebuild_stats(conn: &dyn Sql) -> anyhow::Result<()> {
    conn.execute("DELETE FROM tag_stats", &[])?;
    conn.execute(
        "INSERT INTO tag_stats (type, tag_text, uses)
         SELECT g.type, t.tag_text, COUNT(*) FROM group_tags t
         JOIN groups g ON g.id = t.group_id AND g.dismissed_at IS NULL
         GROUP BY g.type, t.tag_text",
        &[],
    )?;
    Ok(())
}

/// Deletes every tag of a group; returns their texts, whose popularity then needs a recount.
pub fn delete_group(conn: &dyn Sql, group_id: GroupId) -> anyhow::Result<Vec<String>> {
    conn.query(
        "DELETE FROM group_tags WHERE group_id = ? RETURNING tag_text",
        params![group_id],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

/// The group a tag belongs to.
pub fn group_of(conn: &dyn Sql, id: TagId) -> anyhow::Result<Option<GroupId>> {
    let rows = conn.query("SELECT group_id FROM group_tags WHERE id = ?", params![id])?;
    rows.first().map(|r| r.id(0)).transpose()
}
