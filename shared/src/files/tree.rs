//! Folders and the tree: listing, making folders, renaming, moving and deleting.

use crate::app::App;
use crate::db::group_files::{self, Entry};
use crate::error::{Code, Error, Result};
use crate::groups::{Access, Role};
use crate::time;

use super::{content, entry, folder, may_change, name_free};

/// The entries of a folder (`None`: the root), for members.
pub fn list(app: &App, me: &str, group_id: i64, parent: Option<i64>) -> Result<Vec<Entry>> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.read()?;
        let parent = folder(c, group_id, parent)?;
        Ok(group_files::children(c, group_id, parent)?)
    })
}

pub fn make_dir(
    app: &App,
    me: &str,
    group_id: i64,
    parent: Option<i64>,
    name: &str,
) -> Result<i64> {
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Member)?;
        let parent = folder(c, group_id, parent)?;
        name_free(c, group_id, parent, name)?;
        Ok(group_files::insert_dir(
            c,
            group_id,
            parent,
            name,
            me,
            time::now(),
        )?)
    })
}

pub fn rename(app: &App, me: &str, group_id: i64, id: i64, name: &str) -> Result<()> {
    app.db.tx(|c| {
        let role = Access::load(c, group_id, me)?.write(Role::Member)?;
        let target = entry(c, group_id, id)?;
        may_change(role, &target, me)?;
        if target.name != name {
            name_free(c, group_id, target.parent_id, name)?;
            group_files::rename(c, id, name)?;
        }
        Ok(())
    })
}

/// Moves an entry into folder `parent`; 346 when that is the entry itself or inside it.
pub fn move_to(app: &App, me: &str, group_id: i64, id: i64, parent: Option<i64>) -> Result<()> {
    app.db.tx(|c| {
        let role = Access::load(c, group_id, me)?.write(Role::Member)?;
        let target = entry(c, group_id, id)?;
        may_change(role, &target, me)?;
        let parent = folder(c, group_id, parent)?;
        if parent == target.parent_id {
            return Ok(());
        }
        if let Some(p) = parent {
            if group_files::ancestors(c, p)?.contains(&id) {
                return Err(Error::new(Code::MoveCycle));
            }
        }
        name_free(c, group_id, parent, &target.name)?;
        group_files::set_parent(c, id, parent)?;
        Ok(())
    })
}

/// Deletes a file, or a folder with everything inside it, and frees their space. A member may
/// delete a folder only when everything in it is theirs too.
pub async fn delete(app: &App, me: &str, group_id: i64, id: i64) -> Result<()> {
    let released = app.db.tx(|c| {
        let role = Access::load(c, group_id, me)?.write(Role::Member)?;
        let target = entry(c, group_id, id)?;
        let doomed = match target.is_dir() {
            true => group_files::subtree(c, group_id, id)?,
            false => vec![target],
        };
        for e in &doomed {
            may_change(role, e, me)?;
        }
        let ids: Vec<i64> = doomed.iter().map(|e| e.id).collect();
        group_files::delete(c, &ids)?;
        let released: Vec<_> = doomed.into_iter().filter_map(|e| e.content).collect();
        let blobs: Vec<String> = released.iter().map(|c| c.blob.clone()).collect();
        content::release(c, &blobs)?;
        Ok(released)
    })?;
    for c in released {
        let chunks = (c.size as u64).div_ceil(c.chunk_size.max(1) as u64);
        content::discard(app, &c.blob, Some(chunks)).await;
    }
    Ok(())
}
