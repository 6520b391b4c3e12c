//! Groups: who may do what (this module), and the operations on them.
//!
//! Every check runs inside the transaction of the write it guards, so a role or a member count
//! cannot change between the check and the write.

pub mod announcements;
pub mod lifecycle;
pub mod members;
pub mod profile;
pub mod types;

use schemars::JsonSchema;
use serde::Serialize;

use crate::app::App;
use crate::content::{text, Checked};
use crate::db::groups::{self, Group};
use crate::db::members as member_rows;
use crate::error::{Code, Error, Result};
use crate::ids::{GroupId, UserId};
use crate::storage::Sql;
use crate::wechat::security::Scene;

// A member's role, lowest first; answers name it in lowercase (`creator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(inline)]
pub enum Role {
    Member,
    Admin,
    Creator,
}

impl Role {
    /// A member's role from what the rows say: whether they created the group, and the flag.
    pub fn of(is_creator: bool, is_admin: bool) -> Role {
        match (is_creator, is_admin) {
            (true, _) => Role::Creator,
            (false, true) => Role::Admin,
            (false, false) => Role::Member,
        }
    }

    pub fn is_manager(self) -> bool {
        self >= Role::Admin
    }
}

/// A group and the caller's place in it.
pub struct Access {
    pub group: Group,
    pub role: Option<Role>,
    pub has_rated: bool,
}

impl Access {
    /// What [`Access::load`] answers, then [`Access::read`] and [`Access::write`] after it:
    /// the codes a route's description lists for its checks.
    pub const LOADS: &'static [Code] = &[Code::GroupNotFound];
    pub const READS: &'static [Code] = &[Code::GroupNotFound, Code::NoPermission];
    pub const WRITES: &'static [Code] = &[
        Code::GroupNotFound,
        Code::NoPermission,
        Code::GroupDismissed,
    ];

    /// 301 when there is no such group.
    pub fn load(conn: &dyn Sql, group_id: GroupId, user_id: &UserId) -> Result<Access> {
        let group = groups::get(conn, group_id)?.ok_or_else(|| Error::new(Code::GroupNotFound))?;
        let membership = member_rows::membership(conn, group_id, user_id)?;
        let role = membership.map(|(is_admin, _)| Role::of(group.creator_id == user_id, is_admin));
        Ok(Access {
            group,
            role,
            has_rated: membership.is_some_and(|(_, rated)| rated),
        })
    }

    /// Reading what only members see: 303 for outsiders.
    pub fn read(&self) -> Result<Role> {
        self.role.ok_or_else(|| Error::new(Code::NoPermission))
    }

    /// Whether `me` may write to the group as `need` (see [`Access::write`]), read alone.
    pub fn check(app: &App, group_id: GroupId, me: &UserId, need: Role) -> Result<()> {
        app.db
            .run(|c| Access::load(c, group_id, me)?.write(need).map(drop))
    }

    /// `texts` that `me` writes to the group as `need`, checked with WeChat ([`text::check`])
    /// once `me` may write them: a refused writer costs no check. The write itself checks again.
    pub async fn check_text(
        app: &App,
        group_id: GroupId,
        me: &UserId,
        need: Role,
        texts: &[&str],
    ) -> Result<Checked> {
        Access::check(app, group_id, me, need)?;
        text::check(app, me, Scene::Forum, texts).await
    }

    /// Writing with at least role `need`: 303 for outsiders, 304 once dismissed, then 303 when
    /// the caller's role is too low.
    pub fn write(&self, need: Role) -> Result<Role> {
        let role = self.read()?;
        if self.group.is_dismissed() {
            return Err(Error::new(Code::GroupDismissed));
        }
        if role < need {
            return Err(Error::new(Code::NoPermission));
        }
        Ok(role)
    }
}
