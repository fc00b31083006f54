//! What changed on an object since it was loaded or last flushed: [`Session::is_modified`]
//! and [`Session::history`] (SQLAlchemy's `session.is_modified` and
//! `attributes.get_history`). Read-only: nothing here loads, flushes or changes state.

use crate::error::Result;
use crate::object::{ObjRef, Status, Tracked};
use crate::query::Column;
use crate::table::Table;
use crate::value::SqlType;

use super::Session;

/// A column's history since the object was loaded or last flushed: either `unchanged`, or
/// the value `added` in place of the value `deleted` (SQLAlchemy's `History`). A new object's
/// values are all `added`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnHistory<V> {
    /// The value, when it did not change.
    pub unchanged: Option<V>,
    /// The new value, when it changed.
    pub added: Option<V>,
    /// The value the database has, when it changed.
    pub deleted: Option<V>,
}

impl<V> ColumnHistory<V> {
    /// Whether the value changed.
    pub fn has_changes(&self) -> bool {
        self.added.is_some()
    }
}

impl Session {
    /// Whether the next flush would write something for `obj`: a column differs from the
    /// row as loaded, or one of its relationships changed. A pending object is modified; an
    /// expired or detached one is not (it has nothing of its own).
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?;
    /// engine.create_all::<(Hero,)>()?;
    /// let session = Session::new(&engine).expire_on_commit(false);
    /// let hero = Hero { name: "Rusty-Man".into(), age: Some(48), ..Default::default() }.track();
    /// session.add(&hero)?;
    /// session.commit()?;
    /// assert!(!session.is_modified(&hero));
    /// hero.write()?.age = Some(49);
    /// assert!(session.is_modified(&hero));
    /// let age = session.history(&hero, Hero::age)?;
    /// assert_eq!((age.added, age.deleted), (Some(Some(49)), Some(Some(48))));
    /// hero.write()?.age = Some(48); // back to what the database has
    /// assert!(!session.is_modified(&hero));
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_modified<T: Table>(&self, obj: &Tracked<T>) -> bool {
        let obj = obj.erased();
        let status = obj.state().effective_status();
        match status {
            Status::Pending => true,
            Status::Persistent | Status::Deleted => {
                relations_changed(&obj) || changed_columns(&obj).is_some_and(|c| !c.is_empty())
            }
            Status::Transient | Status::Detached => false,
        }
    }

    /// The history of one column of `obj` (`session.history(&hero, Hero::age)`). Example:
    /// [`is_modified`](Self::is_modified).
    ///
    /// # Errors
    /// When the object's data cannot be read (its lock is poisoned) or a value does not
    /// convert to the field's type.
    pub fn history<T: Table, V: SqlType>(
        &self,
        obj: &Tracked<T>,
        column: Column<T, V>,
    ) -> Result<ColumnHistory<V>> {
        let erased = obj.erased();
        let c = column.position();
        let (pending, expired, snapshot) = {
            let state = erased.state();
            let snapshot = state.snapshot.as_ref().map(|s| s[c].clone());
            (state.status == Status::Pending, state.expired, snapshot)
        };
        let convert = |v: &crate::value::Value| {
            V::from_sql(v.as_ref()).map_err(|e| crate::Error::Decode {
                table: T::TABLE_NAME,
                column: T::COLUMNS[c].name,
                message: e.0,
            })
        };
        if expired {
            return Ok(ColumnHistory {
                unchanged: None,
                added: None,
                deleted: None,
            });
        }
        let current = erased.column_value(c)?;
        let (unchanged, added, deleted) = match (pending, snapshot) {
            (true, _) => (None, Some(convert(&current)?), None),
            (false, Some(old)) if old != current => {
                (None, Some(convert(&current)?), Some(convert(&old)?))
            }
            _ => (Some(convert(&current)?), None, None),
        };
        Ok(ColumnHistory {
            unchanged,
            added,
            deleted,
        })
    }
}

/// Whether a relationship of `obj` has changes for the next flush.
fn relations_changed(obj: &ObjRef) -> bool {
    obj.relations().iter().any(|r| {
        let h = r.0.history();
        !h.added.is_empty() || !h.removed.is_empty() || h.target.is_some()
    })
}

/// The columns that differ from the snapshot (`None`: expired, nothing to compare).
fn changed_columns(obj: &ObjRef) -> Option<Vec<usize>> {
    let snapshot = {
        let state = obj.state();
        if state.expired {
            return None;
        }
        state.snapshot.clone()
    }?;
    let values = obj.column_values().ok()?;
    Some(
        (0..values.len())
            .filter(|&c| values[c] != snapshot[c])
            .collect(),
    )
}
