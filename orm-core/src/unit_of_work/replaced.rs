//! Holders replaced without being seen. The reverse side of a one-to-one can be set while it
//! is not loaded: a new holder built with `One::to(&alice)` (`Passport { person:
//! One::to(&alice), .. }`) when alice's passport was never loaded. The holder it replaces is
//! then unknown in memory, and the new one's INSERT would trip over the unique key. Before
//! anything is written, the flush loads it by its foreign key (one SELECT, through the
//! identity map) and lets go of it as if it had been removed: its key is set to NULL, or it
//! is deleted with `delete_orphan`. After the flush its side follows the key it was given.

use super::Plan;
use crate::error::Result;
use crate::object::{addr, Status};
use crate::schema::Resolved;
use crate::session::{referenced_by, SessionCore, Shape};
use crate::sql;

impl Plan {
    /// Loads and lets go of the holders that reverse one-to-one sides set while not loaded
    /// replace (see the module docs).
    pub(super) fn plan_replaced_holders(&mut self, core: &mut SessionCore) -> Result<()> {
        let mut work = Vec::new();
        for e in 0..self.entries.len() {
            for (r, h) in self.history(e).iter().enumerate() {
                if h.unknown_before && !h.added.is_empty() {
                    work.push((e, r));
                }
            }
        }
        for (e, r) in work {
            let owner = self.entries[e].obj.clone();
            let key = {
                let state = owner.state();
                match (&state.key, state.status) {
                    (Some(k), Status::Persistent) => k.clone(),
                    _ => continue,
                }
            };
            let meta = owner.meta();
            let Resolved::OneToMany { remote_fk, local } = meta.resolved(r)? else {
                continue;
            };
            let target = (meta.relations[r].target)();
            let params = referenced_by(&owner, Some(&key), local.iter().copied())?;
            let shape = Shape {
                entities: &[(target, 0)],
                key_cols: &[],
            };
            let fetched =
                core.fetch_shaped(&sql::select_children(target, remote_fk), &params, &shape)?;
            let back = meta.relations[r]
                .back_populates
                .and_then(|b| target.relation_index(b));
            for old in fetched.objects.into_iter().flatten() {
                let added = &self.history(e)[r].added;
                if added.iter().any(|a| addr(a) == addr(&old)) || self.removed(&old) {
                    continue;
                }
                // Its own side was pointed elsewhere since it was loaded: it moves anyway.
                let moved = back
                    .and_then(|b| old.relations().get(b).map(|c| c.0.history()))
                    .is_some_and(|h| h.target.is_some());
                if !moved {
                    self.let_go_of_child(meta, r, &old, remote_fk)?;
                }
            }
        }
        Ok(())
    }
}
