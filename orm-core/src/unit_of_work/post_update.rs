//! `relationship(post_update)`: the foreign key of such a many-to-one does not order the
//! flush (so two tables may refer to each other); it is written by an UPDATE once every row
//! of the flush exists (an INSERT writes NULL there), and set to NULL by an UPDATE before any
//! row is deleted, as SQLAlchemy's `post_update=True` does.

use super::{stored_values, Plan, Sink};
use crate::error::{Error, Result};
use crate::schema::{RelationKind, Resolved};
use crate::sql;
use crate::value::Value;

impl Plan {
    /// UPDATEs the post-update foreign keys recorded by the saves (`post_updates`).
    pub(super) fn write_post_updates(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        for (i, r) in std::mem::take(&mut self.post_updates) {
            let obj = self.entries[i].obj.clone();
            if self.entries[i].removed {
                continue;
            }
            let meta = obj.meta();
            let Resolved::ManyToOne { local, remote } = meta.resolved(r)? else {
                continue;
            };
            let Some(target) = self.history(i)[r].target.clone() else {
                continue;
            };
            let values = match &target {
                Some(t) => self.referenced_values(t, remote, meta, r)?,
                None => vec![Value::Null; local.len()],
            };
            let mut row: Vec<(usize, Value)> = local.iter().copied().zip(values).collect();
            row.sort_by_key(|(c, _)| *c);
            let Some(key) = self.key_of(&obj) else {
                continue;
            };
            let cols: Vec<usize> = row.iter().map(|(c, _)| *c).collect();
            let mut params: Vec<Value> = row.iter().map(|(_, v)| v.clone()).collect();
            params.extend(key.to_values());
            if sink.conn()?.execute(&sql::update(meta, &cols), &params)? == 0 {
                return Err(Error::ObjectDeleted {
                    table: meta.name,
                    key: key.to_string(),
                });
            }
            for (c, v) in row {
                self.set_column(i, c, v);
            }
        }
        Ok(())
    }

    /// Before the deletes: a deleted row whose post-update foreign key is set gets it set to
    /// NULL first, so the row it refers to can go whatever the order.
    pub(super) fn unset_post_updates(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        for d in self.deletes.clone() {
            if self.entries[d].switched {
                continue;
            }
            let obj = self.entries[d].obj.clone();
            let meta = obj.meta();
            let Some(key) = obj.state().key.clone() else {
                continue;
            };
            for (r, rel) in meta.relations.iter().enumerate() {
                if !rel.post_update || rel.kind != RelationKind::ManyToOne {
                    continue;
                }
                let Resolved::ManyToOne { local, .. } = meta.resolved(r)? else {
                    continue;
                };
                let values = stored_values(&obj)?;
                if local.iter().all(|&c| values[c].is_null()) {
                    continue;
                }
                let mut cols = local.clone();
                cols.sort_unstable();
                let mut params = vec![Value::Null; cols.len()];
                params.extend(key.to_values());
                sink.conn()?.execute(&sql::update(meta, &cols), &params)?;
            }
        }
        Ok(())
    }
}
