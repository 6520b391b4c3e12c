//! Folders and the tree: listing, making folders, renaming, moving and deleting.

use crate::app::App;
use crate::db::group_files::{self, Entry};
use crate::db::Chunked;
use crate::error::{Code, Error, Result};
use crate::groups::{Access, Role};
use crate::ids::{FileId, GroupId, UserId};
use crate::leftovers::Leftovers;
use crate::moderation::Target;
use crate::storage::Sql;
use crate::time;

use super::{entry, folder, may_change, name_free, FileName};

/// The entries of a folder (`None`: the root), for members.
pub fn list(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    parent: Option<FileId>,
) -> Result<Vec<Entry>> {
    app.db.run(|c| {
        Access::load(c, group_id, me)?.read()?;
        let parent = folder(c, group_id, parent)?;
        Ok(group_files::children(c, group_id, parent)?)
    })
}

pub async fn make_dir(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    parent: Option<FileId>,
    name: &FileName,
) -> Result<FileId> {
    let checked = Access::check_text(app, group_id, me, Role::Member, &[name]).await?;
    app.db.tx(|c| {
        Access::load(c, group_id, me)?.write(Role::Member)?;
        let parent = folder(c, group_id, parent)?;
        name_free(c, group_id, parent, name)?;
        let id = group_files::insert_dir(c, group_id, parent, name, me, time::now())?;
        checked.queue(c, Target::File(id), name)?;
        Ok(id)
    })
}

pub async fn rename(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: FileId,
    name: &FileName,
) -> Result<()> {
    let checked = Access::check_text(app, group_id, me, Role::Member, &[name]).await?;
    app.db.tx(|c| {
        let role = Access::load(c, group_id, me)?.write(Role::Member)?;
        let target = entry(c, group_id, id)?;
        may_change(role, &target, me)?;
        if target.name != **name {
            name_free(c, group_id, target.parent_id, name)?;
            group_files::rename(c, id, name)?;
            checked.queue(c, Target::File(id), name)?;
        }
        Ok(())
    })
}

/// Moves an entry into folder `parent`; 346 when that is the entry itself or inside it.
pub fn move_to(
    app: &App,
    me: &UserId,
    group_id: GroupId,
    id: FileId,
    parent: Option<FileId>,
) -> Result<()> {
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
pub async fn delete(app: &App, me: &UserId, group_id: GroupId, id: FileId) -> Result<()> {
    Leftovers::tx(app, |c, after| {
        let role = Access::load(c, group_id, me)?.write(Role::Member)?;
        delete_in(c, group_id, id, |e| may_change(role, e, me), after)
    })
    .await
}

/// Deletes entry `id` of a group and, for a folder, everything inside it, once `may` allowed
/// each; the contents go after the commit. 341 when there is no such entry.
pub fn delete_in(
    c: &dyn Sql,
    group_id: GroupId,
    id: FileId,
    may: impl Fn(&Entry) -> Result<()>,
    after: &mut Leftovers,
) -> Result<()> {
    let target = entry(c, group_id, id)?;
    let doomed = match target.is_dir() {
        true => group_files::subtree(c, group_id, id)?,
        false => vec![target],
    };
    for e in &doomed {
        may(e)?;
    }
    let ids: Vec<FileId> = doomed.iter().map(|e| e.id).collect();
    group_files::delete(c, &ids)?;
    let contents = doomed.into_iter().filter_map(|e| e.content);
    after.contents(c, contents.map(Chunked::from).collect())
}
