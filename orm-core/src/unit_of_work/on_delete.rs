//! Children of a deleted parent whose foreign key declares `ondelete`: what the flush does
//! for them, and what it leaves to the database.
//!
//! - `CASCADE`: the child is deleted too. Through `passive_deletes`, the database deletes it
//!   (no statement); the children in memory become deleted when the flush succeeds.
//!   Otherwise the flush deletes the loaded children itself, as the database would.
//! - `SET NULL`: the key becomes NULL. Through `passive_deletes`, the database does it; the
//!   children in memory take NULL (and their `One` is unset) when the flush succeeds.
//! - `RESTRICT`: nothing is planned: the database refuses the parent's DELETE while a row
//!   still references it, and the flush fails and rolls back.
//! - none declared: the key is unset, as before (`delete_orphan` deletes).

use super::Plan;
use crate::error::Result;
use crate::object::{ObjRef, Status};
use crate::schema::{OnDelete, TableMeta};
use crate::value::Value;

impl Plan {
    /// `child` references a parent (of `meta`) being deleted, through relationship `r`
    /// whose foreign-key columns on the child are `remote_fk`.
    pub(super) fn child_of_deleted_parent(
        &mut self,
        meta: &'static TableMeta,
        r: usize,
        child: &ObjRef,
        remote_fk: &[usize],
    ) -> Result<()> {
        let rel = &meta.relations[r];
        let action = remote_fk
            .first()
            .and_then(|&c| child.meta().columns[c].foreign_key)
            .and_then(|fk| fk.on_delete);
        let persistent = child.state().status == Status::Persistent;
        match action {
            Some(OnDelete::Cascade) if rel.passive_deletes && persistent => {
                self.deleted_by_database(child);
                Ok(())
            }
            Some(OnDelete::Cascade) => {
                self.remove_object(child);
                Ok(())
            }
            Some(OnDelete::SetNull) if rel.passive_deletes && persistent => {
                for &c in remote_fk {
                    self.set(child, c, Value::Null);
                }
                let i = self.entry(child);
                self.db_nulls.push(i);
                Ok(())
            }
            Some(OnDelete::Restrict) => Ok(()),
            _ => self.let_go_of_child(meta, r, child, remote_fk),
        }
    }

    /// `child`'s row goes with its parent's (`ON DELETE CASCADE`): no statement, deleted in
    /// memory once the flush succeeds.
    fn deleted_by_database(&mut self, child: &ObjRef) {
        let i = self.entry(child);
        if !self.mark_removed(i) {
            return;
        }
        self.drop_update(i);
        self.db_deletes.push(i);
    }
}
