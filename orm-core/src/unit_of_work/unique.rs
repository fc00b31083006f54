//! Unique values a flush would trip over. Deletes run last (children before parents), so a
//! row deleted in a flush, most often the orphan of a `delete_orphan` one-to-one that was
//! replaced, still holds its unique values while the new or updated rows are written: the
//! replacement's INSERT or UPDATE would fail on the UNIQUE constraint. Before a row is
//! written, a deleted row of the same table holding one of its unique values is deleted
//! first, when nothing else in the flush still refers to it (the fix Doctrine settled on;
//! SQLAlchemy leaves it to the user, who flushes in between). When something does, the flush
//! stops with an error that says so before any statement fails.
//!
//! Primary keys are not handled here: a new object taking a deleted object's key is a row
//! switch (see `order`).

use super::{stored_values, values_with, Plan, Sink};
use crate::error::{Error, Result};
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::session::referenced_key;
use crate::sql;
use crate::value::{Key, Value};

impl Plan {
    /// Before entry `i` is written (`written`: the columns its statement sets, with their
    /// values): deletes now the rows deleted in this flush that hold one of its unique values.
    pub(super) fn free_unique_values<'a>(
        &mut self,
        sink: &mut Sink<'_>,
        i: usize,
        written: impl Iterator<Item = (usize, &'a Value)>,
    ) -> Result<()> {
        let meta = self.entries[i].obj.meta();
        let unique: Vec<(usize, &Value)> = written
            .filter(|&(c, v)| meta.columns[c].unique && !v.is_null())
            .collect();
        if unique.is_empty() {
            return Ok(());
        }
        let mut clashing = Vec::new();
        for &d in &self.deletes {
            let e = &self.entries[d];
            let obj = &e.obj;
            if d == i || !std::ptr::eq(obj.meta(), meta) || e.switched || e.deleted_early {
                continue;
            }
            let stored = stored_values(obj)?;
            if let Some(&(c, v)) = unique.iter().find(|&&(c, v)| stored[c] == *v) {
                clashing.push((d, c, v));
            }
        }
        self.free_from_updates(sink, i, &unique)?;
        for (d, c, value) in clashing {
            if let Some(referrer) = self.still_referenced(d) {
                let col = &meta.columns[c];
                return Err(Error::Relationship {
                    table: meta.rust_name,
                    field: col.field,
                    message: format!(
                        "this {} takes {}.{} = {}, which a {} deleted in this flush still holds, and that row cannot be deleted first because {referrer} in this flush still refers to it; call session.flush() after removing or deleting the old {} and before giving the new one its {}",
                        meta.rust_name, meta.name, col.name, value.to_literal(), meta.rust_name, meta.rust_name, col.field
                    ),
                });
            }
            self.delete_row(sink, d)?;
            self.entries[d].deleted_early = true;
        }
        Ok(())
    }

    /// Rows of the same table updated in this flush away from a unique value row `i` takes
    /// (two one-to-one holders exchanging targets, two rows swapping codes): the value is
    /// freed first by setting it to NULL, and the row's own UPDATE writes its new value when
    /// its turn comes. A column that cannot be NULL cannot be freed this way: an error.
    fn free_from_updates(
        &mut self,
        sink: &mut Sink<'_>,
        i: usize,
        unique: &[(usize, &Value)],
    ) -> Result<()> {
        let meta = self.entries[i].obj.meta();
        let mut freeing = Vec::new();
        for &j in &self.updates {
            let e = &self.entries[j];
            let obj = &e.obj;
            if j == i || !std::ptr::eq(obj.meta(), meta) || e.written {
                continue;
            }
            let stored = stored_values(obj)?;
            let now = values_with(obj, &e.overlay)?;
            for &(c, value) in unique {
                let repointed = meta.relations.iter().enumerate().any(|(r, rel)| {
                    rel.kind == RelationKind::ManyToOne
                        && self.history(j)[r].target.is_some()
                        && matches!(meta.resolved(r), Ok(Resolved::ManyToOne { local, .. }) if local.contains(&c))
                });
                if stored[c] == *value && (now[c] != stored[c] || repointed) {
                    freeing.push((j, c));
                }
            }
        }
        for (j, c) in freeing {
            let col = &meta.columns[c];
            if !col.nullable() {
                return Err(Error::Relationship {
                    table: meta.rust_name,
                    field: col.field,
                    message: format!(
                        "two {} rows exchange {}.{} values in one flush, and the column cannot be NULL in between; change one, call session.flush(), then change the other",
                        meta.rust_name, meta.name, col.name
                    ),
                });
            }
            let Some(key) = self.entries[j].obj.state().key.clone() else {
                continue;
            };
            let mut params = vec![Value::Null];
            params.extend(key.to_values());
            sink.conn()?.execute(&sql::update(meta, &[c]), &params)?;
            self.interim_nulls.push((j, c));
        }
        Ok(())
    }

    /// The columns of entry `i` set to NULL in between by [`free_from_updates`]: its UPDATE
    /// writes them (with their value) whatever they compare to. `columns` stays in order.
    pub(super) fn add_interim_nulls(
        &self,
        i: usize,
        columns: &mut Vec<usize>,
        values: &mut Vec<Value>,
    ) -> Result<()> {
        for &(j, c) in &self.interim_nulls {
            if j == i && !columns.contains(&c) {
                let at = columns.partition_point(|&w| w < c);
                columns.insert(at, c);
                values.insert(at, self.current_value(i, c)?);
            }
        }
        Ok(())
    }

    /// What in this flush refers to the row of deleted entry `d` (a member of one of its
    /// collections, or a row with a foreign key to it as stored), if anything.
    fn still_referenced(&self, d: usize) -> Option<String> {
        let obj = &self.entries[d].obj;
        let meta = obj.meta();
        for (r, rel) in meta.relations.iter().enumerate() {
            if rel.kind != RelationKind::ManyToOne && !obj.relations()[r].0.reachable().is_empty() {
                return Some(format!("a member of its `{}`", rel.field));
            }
        }
        let key = obj.state().key.clone()?;
        for (e, entry) in self.entries.iter().enumerate() {
            if e == d || entry.removed {
                continue;
            }
            if refers_to(entry.obj.meta(), &entry.obj, meta, &key) {
                return Some(format!("a {}", entry.obj.meta().rust_name));
            }
        }
        None
    }

    /// DELETEs the row of entry `i` by its key (and version, if it has one).
    pub(super) fn delete_row(&self, sink: &mut Sink<'_>, i: usize) -> Result<()> {
        let obj = &self.entries[i].obj;
        let table = obj.meta();
        let Some(key) = obj.state().key.clone() else {
            return Ok(());
        };
        let deleted = match table.version_column() {
            Some(v) => {
                let mut params = key.to_values();
                params.push(super::stored_value(obj, v, &obj.column_values()?));
                sink.conn()?
                    .execute(&sql::delete_versioned(table, v), &params)?
            }
            None => sink
                .conn()?
                .execute(&table.sql().delete_by_key, &key.to_values())?,
        };
        if deleted == 0 {
            return Err(Error::StaleData {
                action: "DELETE",
                table: table.name,
                key: key.to_string(),
            });
        }
        Ok(())
    }
}

/// Whether `obj` (of table `meta`), as stored, has a foreign key to the row `key` of `target`.
fn refers_to(
    meta: &'static TableMeta,
    obj: &crate::object::ObjRef,
    target: &'static TableMeta,
    key: &Key,
) -> bool {
    let Ok(values) = stored_values(obj) else {
        return false;
    };
    meta.relations.iter().enumerate().any(|(r, rel)| {
        rel.kind == RelationKind::ManyToOne
            && std::ptr::eq((rel.target)(), target)
            && matches!(meta.resolved(r), Ok(Resolved::ManyToOne { local, remote })
                if referenced_key(meta, local, remote, &values).as_ref() == Some(key))
    })
}
