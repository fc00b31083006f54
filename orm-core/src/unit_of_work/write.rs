//! Running the plan: each row's INSERT or changed-column UPDATE with its foreign keys filled
//! in, link-table rows, and deletes.

use super::{values_with, Plan, Sink, Written};
use crate::error::{Error, Result};
use crate::object::{Changes, ObjRef, Status};
use crate::schema::{flush_order, RelationKind, Resolved, TableMeta};
use crate::sql;
use crate::value::{Key, Value};

impl Plan {
    pub(super) fn execute(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        let mut tables: Vec<&'static TableMeta> = Vec::new();
        let mut take = |m: &'static TableMeta| {
            if !tables.iter().any(|t| std::ptr::eq(*t, m)) {
                tables.push(m);
            }
        };
        for (i, e) in self.entries.iter().enumerate() {
            let m = e.obj.meta();
            take(m);
            // New members of a collection get their foreign key written even when nothing
            // else of their table is in the flush (a member whose own change was rolled back).
            for (r, rel) in m.relations.iter().enumerate() {
                if rel.kind == RelationKind::OneToMany && !self.history(i)[r].added.is_empty() {
                    take((rel.target)());
                }
            }
        }
        let order = flush_order(&tables);
        for table in &order {
            for (i, insert) in self.rows_in_order(table) {
                self.save(sink, i, insert)?;
            }
        }
        self.write_post_updates(sink)?;
        self.write_links(sink)?;
        self.unset_post_updates(sink)?;
        for table in order.iter().rev() {
            for i in self.deletes_in_order(table) {
                let e = &self.entries[i];
                if !e.switched && !e.deleted_early {
                    self.delete_row(sink, i)?;
                }
            }
        }
        Ok(())
    }

    /// Writes one object's row (INSERT or changed-column UPDATE) after filling in foreign
    /// keys from its many-to-one relationships, then points its new one-to-many members here.
    pub(super) fn save(&mut self, sink: &mut Sink<'_>, i: usize, insert: bool) -> Result<()> {
        self.sync_many_to_one(i, insert)?;
        let seen = if insert {
            self.save_new(sink, i)?
        } else {
            self.save_changes(sink, i)?
        };
        let e = &mut self.entries[i];
        e.seen = Some(seen);
        e.written = true;
        self.sync_one_to_many(i)
    }

    /// INSERTs the row of new entry `i` (or takes over the row of a deleted object: a row
    /// switch); returns the object's write count when its values were read, and the row.
    fn save_new(&mut self, sink: &mut Sink<'_>, i: usize) -> Result<(u64, Written)> {
        let obj = self.entries[i].obj.clone();
        let writes = obj.state().writes;
        let mut values = obj.column_values()?;
        for (c, v) in &self.entries[i].overlay {
            values[*c] = v.clone();
        }
        if let Some(v) = obj.meta().version_column() {
            if matches!(values[v], Value::Null | Value::Integer(0)) {
                values[v] = Value::Integer(1);
                self.set_column(i, v, Value::Integer(1));
            }
        }
        check_storable(obj.meta(), values.iter().enumerate())?;
        self.free_unique_values(sink, i, values.iter().enumerate())?;
        let key = match self.entries[i].switch {
            Some(d) => self.switch_row(sink, d, &values)?,
            None => self.insert_row(sink, i, &mut values)?,
        };
        self.entries[i].key = Some(key);
        Ok((writes, Written::Row(values)))
    }

    /// UPDATEs the columns of entry `i`'s row that changed; returns the object's write count
    /// when its values were read, and the columns written.
    fn save_changes(&mut self, sink: &mut Sink<'_>, i: usize) -> Result<(u64, Written)> {
        let obj = self.entries[i].obj.clone();
        let Changes {
            writes,
            mut columns,
            mut values,
        } = obj.changes(&self.entries[i].overlay)?;
        self.add_interim_nulls(i, &mut columns, &mut values)?;
        check_storable(obj.meta(), columns.iter().copied().zip(&values))?;
        self.free_unique_values(sink, i, columns.iter().copied().zip(&values))?;
        self.update_row(sink, i, &columns, &mut values)?;
        Ok((writes, Written::Columns(columns, values)))
    }

    /// Column `c` of entry `i` as this flush writes it: computed by the flush, else the
    /// object's field.
    pub(super) fn current_value(&self, i: usize, c: usize) -> Result<Value> {
        let e = &self.entries[i];
        match e.overlay.iter().find(|(o, _)| *o == c) {
            Some((_, v)) => Ok(v.clone()),
            None => e.obj.column_value(c),
        }
    }

    /// INSERTs the row of every column's `values`; returns its key (assigned by the database
    /// for an integer key left unset).
    fn insert_row(
        &mut self,
        sink: &mut Sink<'_>,
        i: usize,
        values: &mut Vec<Value>,
    ) -> Result<Key> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        if let Some(pk) = meta.auto_increment().filter(|&pk| values[pk].is_null()) {
            // The other columns are bound in place: the key's NULL leaves for the statement.
            let unset = values.remove(pk);
            let sql = meta.sql().insert_auto.as_deref().unwrap_or_default();
            let inserted = sink
                .conn()
                .and_then(|conn| conn.insert(sql, values, meta.columns[pk].name));
            values.insert(pk, unset);
            let id = inserted?;
            // A key the field cannot hold (an i32 key past i32::MAX) would leave the object
            // without its id and the row unreachable: refuse it (the flush rolls back).
            obj.check_value(pk, &Value::Integer(id))
                .map_err(|e| match e {
                    Error::InvalidValue { table, column, message } => Error::InvalidValue {
                        table,
                        column,
                        message: format!("the database assigned the key {id}, which the field cannot hold ({message}); use i64 for an auto-increment key"),
                    },
                    other => other,
                })?;
            self.set_column(i, pk, Value::Integer(id));
            self.entries[i].assigned_key = true;
            return Ok(Key::Int(id));
        }
        let key = primary_key_of(
            meta,
            values,
            "this primary-key column is NULL; set it, or link the related object it comes from",
        )?;
        sink.conn()?.execute(&meta.sql().insert_all, values)?;
        Ok(key)
    }

    /// A row switch: UPDATEs the row of deleted entry `d` to `values`, every column but the
    /// key (what the deleted object holds may be out of date); returns the row's key.
    fn switch_row(&mut self, sink: &mut Sink<'_>, d: usize, values: &[Value]) -> Result<Key> {
        let meta = self.entries[d].obj.meta();
        let key = primary_key_of(meta, values, "a primary-key column is NULL")?;
        let columns: Vec<usize> = (0..values.len())
            .filter(|c| !meta.primary_key.contains(c))
            .collect();
        if !columns.is_empty() {
            let mut params: Vec<Value> = columns.iter().map(|&c| values[c].clone()).collect();
            params.extend(key.to_values());
            if sink
                .conn()?
                .execute(&sql::update(meta, &columns), &params)?
                == 0
            {
                return Err(Error::ObjectDeleted {
                    table: meta.name,
                    key: key.to_string(),
                });
            }
        }
        Ok(key)
    }

    /// UPDATEs `columns` of a row to `values`, by its key as stored; a primary-key change
    /// re-keys the object once the flush succeeds. `values` holds the key's values too
    /// while the statement runs.
    fn update_row(
        &mut self,
        sink: &mut Sink<'_>,
        i: usize,
        columns: &[usize],
        values: &mut Vec<Value>,
    ) -> Result<()> {
        let obj = &self.entries[i].obj;
        let meta = obj.meta();
        let Some(key) = obj.state().key.clone() else {
            return Ok(());
        };
        if columns.is_empty() {
            return Ok(());
        }
        if columns.iter().any(|c| meta.primary_key.contains(c)) {
            let parts = meta
                .primary_key
                .iter()
                .map(|&c| match columns.iter().position(|&w| w == c) {
                    Some(k) => Ok(values[k].clone()),
                    None => self.current_value(i, c),
                })
                .collect::<Result<_>>()?;
            let new_key = key_from_parts(meta, parts, "a primary-key column was set to NULL")?;
            self.rekeyed.push((i, new_key));
        }
        if let Some(v) = meta.version_column() {
            return self.update_versioned(sink, i, columns, values, v, key);
        }
        let set = values.len();
        values.extend(key.values());
        let updated = sink.conn()?.execute(&sql::update(meta, columns), values)?;
        values.truncate(set);
        if updated == 0 {
            return Err(Error::ObjectDeleted {
                table: meta.name,
                key: key.to_string(),
            });
        }
        Ok(())
    }

    /// The UPDATE of a row with a `version` column `v`: the version goes up by one, and the
    /// row must still have the version this session read, else someone else changed it
    /// ([`Error::StaleData`]).
    fn update_versioned(
        &mut self,
        sink: &mut Sink<'_>,
        i: usize,
        columns: &[usize],
        values: &[Value],
        v: usize,
        key: Key,
    ) -> Result<()> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        let (changed, mut params): (Vec<usize>, Vec<Value>) = columns
            .iter()
            .zip(values)
            .filter(|(&c, _)| c != v)
            .map(|(&c, value)| (c, value.clone()))
            .unzip();
        if changed.is_empty() {
            return Ok(());
        }
        let stored = obj.state().snapshot.as_ref().map(|s| s[v].clone());
        let read = match stored {
            Some(read) => read,
            None => self.current_value(i, v)?,
        };
        let next = Value::Integer(match read {
            Value::Integer(n) => n + 1,
            _ => 1,
        });
        params.push(next.clone());
        params.extend(key.to_values());
        params.push(read);
        let sql = sql::update_versioned(meta, &changed, v);
        if sink.conn()?.execute(&sql, &params)? == 0 {
            return Err(Error::StaleData {
                action: "UPDATE",
                table: meta.name,
                key: key.to_string(),
            });
        }
        self.set_column(i, v, next);
        Ok(())
    }

    /// A many-to-one that changed gives the object its target's key (or NULL).
    /// A `post_update` relationship is left to an UPDATE after every row exists (an INSERT
    /// writes NULL there).
    pub(super) fn sync_many_to_one(&mut self, i: usize, insert: bool) -> Result<()> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        for (r, rel) in meta.relations.iter().enumerate() {
            if rel.kind != RelationKind::ManyToOne {
                continue;
            }
            let Some(target) = self.history(i)[r].target.clone() else {
                continue;
            };
            let Resolved::ManyToOne { local, remote } = meta.resolved(r)? else {
                continue;
            };
            if rel.post_update {
                self.post_updates.push((i, r));
                if insert {
                    for &c in local {
                        self.set_column(i, c, Value::Null);
                    }
                }
                continue;
            }
            match target {
                None => {
                    if let Some(&c) = local
                        .iter()
                        .find(|&&c| meta.columns[c].primary_key || !meta.columns[c].optional)
                    {
                        return Err(Error::Relationship {
                            table: meta.rust_name,
                            field: rel.field,
                            message: format!(
                                "was set to none, but its foreign key {}.{} cannot be NULL; delete the object instead, or declare the other side with delete_orphan",
                                meta.name, meta.columns[c].name
                            ),
                        });
                    }
                    for &c in local {
                        self.set_column(i, c, Value::Null);
                    }
                }
                Some(t) => {
                    let values = self.referenced_values(&t, remote, meta, r)?;
                    for (&c, v) in local.iter().zip(values) {
                        self.set_column(i, c, v);
                    }
                }
            }
        }
        Ok(())
    }

    /// The values of `cols` of `target`, which must have a row (or get one in this flush
    /// before it is needed).
    pub(super) fn referenced_values(
        &self,
        target: &ObjRef,
        cols: &[usize],
        owner: &'static TableMeta,
        rel: usize,
    ) -> Result<Vec<Value>> {
        let tmeta = target.meta();
        let Some(key) = self.key_of(target) else {
            let status = target.state().status;
            let message = if status == Status::Pending {
                format!(
                    "refers to a new {} that must be written first, but a dependency cycle puts it later",
                    tmeta.rust_name
                )
            } else {
                return Err(Error::NotInSession {
                    table: owner.rust_name,
                    field: owner.relations[rel].field,
                    target: tmeta.rust_name,
                });
            };
            return Err(Error::Relationship {
                table: owner.rust_name,
                field: owner.relations[rel].field,
                message,
            });
        };
        let mut current: Option<Vec<Value>> = None;
        cols.iter()
            .map(|&c| match tmeta.primary_key.iter().position(|&p| p == c) {
                Some(pos) => Ok(key.value(pos)),
                None => {
                    if current.is_none() {
                        current = Some(values_with(target, self.overlay(target))?);
                    }
                    Ok(current.as_ref().map_or(Value::Null, |v| v[c].clone()))
                }
            })
            .collect()
    }

    /// New members of one-to-many collections take this object's key.
    pub(super) fn sync_one_to_many(&mut self, i: usize) -> Result<()> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        for (r, rel) in meta.relations.iter().enumerate() {
            if rel.kind != RelationKind::OneToMany || self.history(i)[r].added.is_empty() {
                continue;
            }
            let Resolved::OneToMany { remote_fk, local } = meta.resolved(r)? else {
                continue;
            };
            let values = self.referenced_values(&obj, local, meta, r)?;
            for child in self.history(i)[r].added.clone() {
                // A member that is not in the session (it came in through this side alone)
                // is not written, so it gets nothing either; SQLAlchemy skips it too, with a
                // warning.
                if self.removed(&child) {
                    continue;
                }
                let status = child.state().status;
                if status == Status::Transient {
                    log::warn!(
                        target: "orm::session",
                        "a {} in {}.{} is not in the session, so it is not written; add it with session.add()",
                        child.meta().rust_name,
                        meta.rust_name,
                        rel.field
                    );
                    self.skipped.push((i, r, child));
                    continue;
                }
                let k = self.entry(&child);
                for (&c, v) in remote_fk.iter().zip(&values) {
                    self.set_column(k, c, v.clone());
                }
                if self.entries[k].written {
                    return Err(Error::Relationship {
                        table: meta.rust_name,
                        field: rel.field,
                        message: format!(
                            "a {} member was written before its owner; a dependency cycle between the two tables is not supported",
                            child.meta().rust_name
                        ),
                    });
                }
                if status == Status::Persistent {
                    self.add_update(k);
                }
            }
        }
        Ok(())
    }
}

/// Fails for a value SQLite would not give back as written, among `values` (column, value).
fn check_storable<'a>(
    meta: &'static TableMeta,
    values: impl Iterator<Item = (usize, &'a Value)>,
) -> Result<()> {
    for (c, value) in values {
        check_storable_value(meta, c, value)?;
    }
    Ok(())
}

/// Fails for a value SQLite would not give back as written to column `col`: a NaN float
/// (stored as NULL), or what a column type marks as refused (`types::refuse`: a `u64` past
/// `i64::MAX`, JSON that could not be serialized, a decimal SQLite would round).
pub(crate) fn check_storable_value(
    meta: &'static TableMeta,
    col: usize,
    value: &Value,
) -> Result<()> {
    let column = &meta.columns[col];
    let invalid = |message: String| Error::InvalidValue {
        table: meta.name,
        column: column.name,
        message,
    };
    match value {
        Value::Null | Value::Integer(_) => Ok(()),
        Value::Real(f) if f.is_nan() => Err(invalid(
            "the value is NaN, which SQLite stores as NULL; store None in an Option<f64> field for a missing number".into(),
        )),
        v => crate::types::refuse(column.sql_type, v).map_or(Ok(()), |m| Err(invalid(m))),
    }
}

/// The primary key in `values` (every column's); `why_null` explains a NULL part.
fn primary_key_of(meta: &'static TableMeta, values: &[Value], why_null: &str) -> Result<Key> {
    let parts = meta
        .primary_key
        .iter()
        .map(|&c| values[c].clone())
        .collect();
    key_from_parts(meta, parts, why_null)
}

/// The primary key of its columns' values `parts` (in the order of `meta.primary_key`);
/// `why_null` explains a NULL part.
fn key_from_parts(meta: &'static TableMeta, parts: Vec<Value>, why_null: &str) -> Result<Key> {
    Key::from_values(&parts).ok_or_else(|| {
        let col = meta
            .primary_key
            .iter()
            .zip(&parts)
            .find(|(_, v)| v.is_null())
            .map(|(c, _)| c);
        Error::Relationship {
            table: meta.rust_name,
            field: col.map_or("?", |&c| meta.columns[c].field),
            message: why_null.to_owned(),
        }
    })
}
