//! Ranking the hits of a keyed search without scoring every one of them in SQL.
//!
//! A common one-character key matches thousands of groups of a type. Finding them in the index
//! is cheap; joining, scoring and sorting each in SQL is not (several µs per hit). So:
//! - few hits (at most [`FEW`]): read their sort keys through a narrow index and sort in memory;
//! - many hits: walk the type's index of the sort column in order, keep the hits, and stop as
//!   soon as the page is certain — at once for `TIME` and `MEMBER`; for `COMPREHENSIVE` when the
//!   walked `hot` plus the largest relevance bonus can no longer reach the page; for `RELATIVE`
//!   tier by tier (relevance takes few values), walking each tier that the page needs.

use std::collections::{HashMap, HashSet};

use super::text::Field;
use super::{SortMethod, MAX_BONUS};
use crate::db::group_search::{self, SortColumn};
use crate::storage::Sql;

/// Hit counts up to this are sorted in memory after one narrow read.
pub const FEW: usize = 600;
/// Rows read per step of an index walk.
const BATCH: i64 = 512;

/// Where the key was found in each hit: the relevance of the module docs (0 to 17).
pub struct Relevance(HashMap<i64, f64>);

impl Relevance {
    pub fn load(conn: &dyn Sql, kind: &str, key: &str) -> anyhow::Result<Relevance> {
        let mut rel = HashMap::new();
        for (field, weight) in [(Field::Name, 10.0), (Field::Tags, 5.0), (Field::Intro, 2.0)] {
            for id in group_search::matches(conn, kind, key, field)? {
                *rel.entry(id).or_insert(0.0) += weight;
            }
        }
        Ok(Relevance(rel))
    }

    /// Every group the key was found in.
    pub fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.0.keys().copied()
    }

    fn of(&self, id: i64) -> f64 {
        self.0.get(&id).copied().unwrap_or(0.0)
    }
}

/// A hit with its score in the chosen order.
#[derive(Clone, Copy)]
struct Scored {
    id: i64,
    score: f64,
}

/// Sorts by score then id, both in the requested direction.
fn sort(items: &mut [Scored], descending: bool) {
    items.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.id.cmp(&b.id)));
    if descending {
        items.reverse();
    }
}

/// A sort method and its direction.
#[derive(Debug, Clone, Copy)]
pub struct Order {
    pub method: SortMethod,
    pub descending: bool,
}

/// The ids of positions `offset .. offset + limit` of `hits` in `order`.
pub fn page(
    conn: &dyn Sql,
    kind: &str,
    hits: &HashSet<i64>,
    relevance: Option<&Relevance>,
    order: Order,
    limit: usize,
    offset: usize,
) -> anyhow::Result<Vec<i64>> {
    let Order { method, descending } = order;
    let rel = |id: i64| relevance.map_or(0.0, |r| r.of(id));
    let want = offset + limit;
    let ranked = if hits.len() <= FEW {
        let ids: Vec<i64> = hits.iter().copied().collect();
        let mut scored: Vec<Scored> = group_search::sort_keys(conn, &ids)?
            .into_iter()
            .map(|(id, created_at, user_cnt, hot)| Scored {
                id,
                score: method.score(created_at, user_cnt, hot, rel(id)),
            })
            .collect();
        sort(&mut scored, descending);
        scored
    } else {
        match method {
            // The walked value is the score itself.
            SortMethod::Time | SortMethod::Member => {
                let column = match method {
                    SortMethod::Time => SortColumn::CreatedAt,
                    _ => SortColumn::UserCnt,
                };
                walk(conn, kind, column, descending, hits, want, |_, v| v, 0.0)?
            }
            SortMethod::Comprehensive => walk(
                conn,
                kind,
                SortColumn::Hot,
                descending,
                hits,
                want,
                |id, hot| SortMethod::Comprehensive.score(0.0, 0.0, hot, rel(id)),
                // Without relevance (a tier of RELATIVE) the score is `hot` itself.
                if relevance.is_some() { MAX_BONUS } else { 0.0 },
            )?,
            SortMethod::Relative => tiers(conn, kind, hits, &rel, descending, want)?,
        }
    };
    Ok(ranked
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|s| s.id)
        .collect())
}

/// Walks `column`'s index in the requested direction, scoring the hits with `score` (which
/// differs from the walked value by at most `slack`), until the first `want` are certain.
#[allow(clippy::too_many_arguments)]
fn walk(
    conn: &dyn Sql,
    kind: &str,
    column: SortColumn,
    descending: bool,
    hits: &HashSet<i64>,
    want: usize,
    score: impl Fn(i64, f64) -> f64,
    slack: f64,
) -> anyhow::Result<Vec<Scored>> {
    let mut found: Vec<Scored> = Vec::new();
    let mut after = None;
    loop {
        let batch = group_search::walk(conn, kind, column, descending, after, BATCH)?;
        for (id, value) in &batch {
            if hits.contains(id) {
                found.push(Scored {
                    id: *id,
                    score: score(*id, *value),
                });
            }
        }
        let Some(&(last_id, last_value)) = batch.last() else {
            break;
        };
        if (batch.len() as i64) < BATCH {
            break;
        }
        if found.len() >= want && slack == 0.0 {
            // The walk's order is the final order: the first `want` hits are the page.
            break;
        }
        if found.len() >= want {
            sort(&mut found, descending);
            // Every group not walked yet scores within `slack` of `last_value`, on the far side.
            let kth = found[want - 1].score;
            let done = if descending {
                last_value + slack < kth
            } else {
                last_value - slack > kth
            };
            if done {
                break;
            }
        }
        after = Some((last_value, last_id));
    }
    sort(&mut found, descending);
    Ok(found)
}

/// `RELATIVE`: relevance tiers in order, each ordered by `hot`; only the tiers that reach into
/// the first `want` positions are ordered.
fn tiers(
    conn: &dyn Sql,
    kind: &str,
    hits: &HashSet<i64>,
    rel: &impl Fn(i64) -> f64,
    descending: bool,
    want: usize,
) -> anyhow::Result<Vec<Scored>> {
    let mut by_rel: Vec<(f64, HashSet<i64>)> = Vec::new();
    for &id in hits {
        let r = rel(id);
        match by_rel.iter_mut().find(|(tier, _)| *tier == r) {
            Some((_, members)) => {
                members.insert(id);
            }
            None => by_rel.push((r, HashSet::from([id]))),
        }
    }
    by_rel.sort_by(|a, b| a.0.total_cmp(&b.0));
    if descending {
        by_rel.reverse();
    }
    let mut out = Vec::new();
    for (tier, members) in by_rel {
        if out.len() >= want {
            break;
        }
        let need = want - out.len();
        let by_hot = Order {
            method: SortMethod::Comprehensive,
            descending,
        };
        let ordered = page(conn, kind, &members, None, by_hot, need, 0)?;
        out.extend(ordered.into_iter().map(|id| Scored { id, score: tier }));
    }
    Ok(out)
}

#[cfg(all(test, feature = "native"))]
mod tests {
    use super::*;
    use crate::db::{group_search, group_tags, groups, members};
    use crate::native::SqliteDb;
    use crate::storage::Database;

    /// A fresh directory for a test's database.
    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "zudui-{name}-{}",
            hex::encode(crate::ids::random_bytes::<6>().unwrap())
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Many groups with spread-out times, sizes and texts, so that a key has far more than
    /// [`FEW`] hits of varied relevance.
    fn seeded(dir: &std::path::Path) -> SqliteDb {
        let db = SqliteDb::open(&dir.join("rank.sqlite")).unwrap();
        crate::migrate::ensure(&db).unwrap();
        let conn: &dyn Database = &db;
        let mut state: u64 = 7;
        let mut next = move |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        conn.tx(|c| {
            for i in 0..1500 {
                let name = if next(10) < 7 {
                    format!("学习小组{i}")
                } else {
                    format!("读书会{i}")
                };
                let limit = [3, 10, 50][next(3) as usize] as i64;
                let created = 1_700_000_000 + next(200 * 86_400) as i64;
                let id = groups::insert(c, "学习", &name, limit, &"creator".into(), created)?;
                members::insert(c, id, &"creator".into(), false, created)?;
                groups::add_members(c, id, (next(limit as u64)) as i64)?;
                if next(4) == 0 {
                    groups::set_info(c, id, "一起学习，互相监督")?;
                }
                if next(5) == 0 {
                    group_tags::insert(c, id, "好好学习", created)?;
                }
                group_search::refresh(c, id)?;
            }
            Ok(())
        })
        .unwrap();
        db
    }

    /// The order by definition: every hit scored and sorted.
    fn brute(
        conn: &dyn Sql,
        hits: &HashSet<i64>,
        rel: &Relevance,
        method: SortMethod,
        descending: bool,
    ) -> Vec<i64> {
        let ids: Vec<i64> = hits.iter().copied().collect();
        let mut all: Vec<Scored> = group_search::sort_keys(conn, &ids)
            .unwrap()
            .into_iter()
            .map(|(id, created_at, user_cnt, hot)| Scored {
                id,
                score: method.score(created_at, user_cnt, hot, rel.of(id)),
            })
            .collect();
        sort(&mut all, descending);
        all.into_iter().map(|s| s.id).collect()
    }

    /// `groups.hot` is a generated column of an applied migration; the search scores groups
    /// outside the index with `search::hot`. They must agree.
    #[test]
    fn the_hot_column_is_the_hot_formula() {
        let dir = scratch_dir("hot");
        let db = seeded(&dir);
        let conn: &dyn Database = &db;
        let rows = conn
            .run(|c| {
                let sql = "SELECT user_cnt, created_at, user_cnt >= user_limit, hot FROM groups";
                Ok(c.query(sql, &[])?)
            })
            .unwrap();
        assert_eq!(rows.len(), 1500);
        let fulls = rows.iter().filter(|r| r.int(2).unwrap() != 0).count();
        assert!(fulls > 0 && fulls < rows.len(), "full and open groups both");
        for r in &rows {
            let (n, t, full) = (r.int(0).unwrap(), r.int(1).unwrap(), r.int(2).unwrap() != 0);
            let formula = super::super::hot(n as f64, t as f64, full);
            let column = r.real(3).unwrap();
            assert!(
                (formula - column).abs() < 1e-9,
                "{n} {t} {full}: {formula} vs {column}"
            );
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn index_walks_give_the_same_pages_as_scoring_every_hit() {
        let dir = scratch_dir("rank");
        let db = seeded(&dir);
        let conn: &dyn Database = &db;
        conn.run(|c| {
            for key in ["学", "学习", "习 小"] {
                let hits: HashSet<i64> = group_search::matches(c, "学习", key, Field::All)?
                    .into_iter()
                    .collect();
                assert!(hits.len() > FEW, "{key}: {} hits", hits.len());
                let rel = Relevance::load(c, "学习", key)?;
                for method in [
                    SortMethod::Time,
                    SortMethod::Member,
                    SortMethod::Comprehensive,
                    SortMethod::Relative,
                ] {
                    for descending in [true, false] {
                        let expected = brute(c, &hits, &rel, method, descending);
                        for (offset, limit) in [(0, 20), (37, 20), (hits.len() - 10, 20)] {
                            let order = Order { method, descending };
                            let got = page(c, "学习", &hits, Some(&rel), order, limit, offset)?;
                            let want: Vec<i64> =
                                expected.iter().skip(offset).take(limit).copied().collect();
                            assert_eq!(
                                got, want,
                                "{key} {method:?} descending={descending} offset={offset}"
                            );
                        }
                    }
                }
            }
            Ok(())
        })
        .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
