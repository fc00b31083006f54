//! Planning what happens to members that leave their parent: removed from a collection, or
//! their parent deleted. They are deleted (`delete_orphan`) or get a NULL foreign key; new
//! ones taken out again are not written at all.

use super::{nullability_error, values_with, Plan};
use crate::error::Result;
use crate::object::{addr, ObjRef, Status};
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::session::referenced_key;
use crate::value::Value;

impl Plan {
    /// New objects taken out of a `delete_orphan` collection before the flush (pushed and
    /// removed again) are not written: they leave the session.
    pub(super) fn plan_pending_orphans(&mut self) {
        let mut orphans = Vec::new();
        for &i in &self.inserts {
            let obj = &self.entries[i].obj;
            let meta = obj.meta();
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::ManyToOne {
                    continue;
                }
                let target = (rel.target)();
                let owned = rel
                    .back_populates
                    .and_then(|b| target.relation_index(b))
                    .is_some_and(|b| target.relations[b].delete_orphan);
                if !owned || !obj.relations()[r].0.reachable().is_empty() {
                    continue;
                }
                // Taken out of its collection (unset), as opposed to never given a parent,
                // which the foreign-key step reports (SQLAlchemy draws the same line).
                if matches!(self.history(i)[r].target, Some(None)) {
                    orphans.push(obj.clone());
                }
            }
        }
        for obj in orphans {
            self.remove_object(&obj);
        }
    }

    /// Members removed from one-to-many collections: unset their foreign key, or delete them
    /// (`delete_orphan`).
    pub(super) fn plan_orphans(&mut self) -> Result<()> {
        let mut work = Vec::new();
        // A deleted owner's removed members are orphans too: an orphan stays an orphan.
        for (i, e) in self.entries.iter().enumerate() {
            let meta = e.obj.meta();
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::OneToMany {
                    continue;
                }
                for child in &self.history(i)[r].removed {
                    work.push((meta, r, child.clone()));
                }
            }
        }
        for (meta, r, child) in work {
            if self.removed(&child) || self.reparented(meta, r, &child) {
                continue;
            }
            let Resolved::OneToMany { remote_fk, .. } = meta.resolved(r)? else {
                continue;
            };
            self.let_go_of_child(meta, r, &child, remote_fk)?;
        }
        Ok(())
    }

    /// A child leaves its parent (removed from the collection, or the parent is deleted):
    /// deleted with `delete_orphan`, else its foreign key is set to NULL, if it can be.
    pub(super) fn let_go_of_child(
        &mut self,
        meta: &'static TableMeta,
        r: usize,
        child: &ObjRef,
        remote_fk: &[usize],
    ) -> Result<()> {
        if meta.relations[r].delete_orphan {
            self.remove_object(child);
            return Ok(());
        }
        if let Some(err) = nullability_error(meta, r, child.meta(), remote_fk) {
            return Err(err);
        }
        for &c in remote_fk {
            self.set(child, c, Value::Null);
        }
        self.ensure_saved(child);
        Ok(())
    }

    /// Whether `child`, removed from relationship `r` of some `meta` object, was added to
    /// another owner's collection or pointed elsewhere in this flush.
    pub(super) fn reparented(&self, meta: &'static TableMeta, r: usize, child: &ObjRef) -> bool {
        let def = &meta.relations[r];
        if let Some(back) = def
            .back_populates
            .and_then(|b| child.meta().relation_index(b))
        {
            if let Some(h) = child.relations().get(back).map(|c| c.0.history()) {
                if let Some(Some(_)) = h.target {
                    return true;
                }
            }
        }
        self.entries.iter().enumerate().any(|(i, e)| {
            std::ptr::eq(e.obj.meta(), meta)
                && self.history(i)[r]
                    .added
                    .iter()
                    .any(|a| addr(a) == addr(child))
        })
    }

    pub(super) fn remove_object(&mut self, obj: &ObjRef) {
        let i = self.entry(obj);
        if !self.mark_removed(i) {
            return;
        }
        let status = obj.state().status;
        if status == Status::Pending {
            self.inserts.retain(|&x| x != i);
            self.expunged.push(i);
        } else if status == Status::Persistent {
            self.drop_update(i);
            self.deletes.push(i);
        }
    }

    pub(super) fn ensure_saved(&mut self, obj: &ObjRef) {
        let status = obj.state().status;
        let i = self.entry(obj);
        if status == Status::Persistent {
            self.add_update(i);
        }
    }

    /// Children of deleted parents: unset their foreign key, or delete them too
    /// (`delete_orphan`), or leave them to the database's `ON DELETE` action (see
    /// [`on_delete`](super::on_delete)). Their collections were loaded by `Session::delete`,
    /// except `passive_deletes` ones: for those, the children in memory (`in_memory`, the
    /// identity map's objects) are found by their foreign key.
    pub(super) fn plan_deleted_parents(&mut self, in_memory: &[ObjRef]) -> Result<()> {
        let (mut k, mut by_db) = (0, 0);
        loop {
            // Rows the database deletes in cascade are parents too, for what is in memory.
            let parent = if k < self.deletes.len() {
                k += 1;
                self.entries[self.deletes[k - 1]].obj.clone()
            } else if by_db < self.db_deletes.len() {
                by_db += 1;
                self.entries[self.db_deletes[by_db - 1]].obj.clone()
            } else {
                break;
            };
            let meta = parent.meta();
            let Some(key) = parent.state().key.clone() else {
                continue;
            };
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::OneToMany {
                    continue;
                }
                let Resolved::OneToMany { remote_fk, local } = meta.resolved(r)? else {
                    continue;
                };
                let mut children = parent.relations()[r].0.reachable();
                if rel.passive_deletes {
                    let target = (rel.target)();
                    children.extend(
                        in_memory
                            .iter()
                            .filter(|o| std::ptr::eq(o.meta(), target))
                            .cloned(),
                    );
                }
                let mut seen = rustc_hash::FxHashSet::default();
                for child in children {
                    if !seen.insert(addr(&child)) || self.removed(&child) {
                        continue;
                    }
                    let values = values_with(&child, self.overlay(&child))?;
                    let points_here =
                        referenced_key(meta, remote_fk, local, &values).is_some_and(|k| k == key);
                    if points_here {
                        self.child_of_deleted_parent(meta, r, &child, remote_fk)?;
                    }
                }
            }
        }
        Ok(())
    }
}
