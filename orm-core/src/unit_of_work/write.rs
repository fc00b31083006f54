//! Running the plan: each row's INSERT or changed-column UPDATE with its foreign keys filled
//! in, link-table rows, and deletes.

use rustc_hash::FxHashSet;

use super::{values_with, Plan, Sink};
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::schema::{dependency_order, RelationKind, Resolved, TableMeta};
use crate::sql;
use crate::value::{Key, Value};

impl Plan {
    pub(super) fn execute(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        let mut tables: Vec<&'static TableMeta> = Vec::new();
        for e in &self.entries {
            let m = e.obj.meta();
            if !tables.iter().any(|t| std::ptr::eq(*t, m)) {
                tables.push(m);
            }
        }
        let order = dependency_order(&tables);
        for table in &order {
            for (i, insert) in self.rows_in_order(table) {
                self.save(sink, i, insert)?;
            }
        }
        self.write_links(sink)?;
        for table in order.iter().rev() {
            let deletes: Vec<usize> = self
                .deletes
                .iter()
                .copied()
                .filter(|&i| std::ptr::eq(self.entries[i].obj.meta(), *table))
                .collect();
            for i in deletes {
                let obj = &self.entries[i].obj;
                let Some(key) = obj.state().key.clone() else {
                    continue;
                };
                let sql = &table.sql().delete_by_key;
                sink.conn()?.execute(sql, &key.to_values())?;
            }
        }
        Ok(())
    }

    /// Writes one object's row (INSERT or changed-column UPDATE) after filling in foreign
    /// keys from its many-to-one relationships, then points its new one-to-many members here.
    pub(super) fn save(&mut self, sink: &mut Sink<'_>, i: usize, insert: bool) -> Result<()> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        self.sync_many_to_one(i)?;
        let a = addr(&obj);
        let values = values_with(&obj, self.overlay.get(&a))?;
        if insert {
            let auto = meta.auto_increment().filter(|&pk| values[pk].is_null());
            let key = match auto {
                Some(pk) => {
                    let params: Vec<Value> = values
                        .iter()
                        .enumerate()
                        .filter(|(c, _)| *c != pk)
                        .map(|(_, v)| v.clone())
                        .collect();
                    let sql = meta.sql().insert_auto.as_deref().unwrap_or_default();
                    let id = sink.conn()?.insert(sql, &params)?;
                    self.set(&obj, pk, Value::Integer(id));
                    Key::Int(id)
                }
                None => {
                    let pk: Vec<Value> = meta
                        .primary_key
                        .iter()
                        .map(|&c| values[c].clone())
                        .collect();
                    let Some(key) = Key::from_values(&pk) else {
                        let col = meta.primary_key.iter().find(|&&c| values[c].is_null());
                        return Err(Error::Relationship {
                            table: meta.rust_name,
                            field: col.map_or("?", |&c| meta.columns[c].field),
                            message: "this primary-key column is NULL; set it, or link the related object it comes from".into(),
                        });
                    };
                    sink.conn()?.execute(&meta.sql().insert_all, &values)?;
                    key
                }
            };
            self.keys.insert(a, key);
        } else {
            // Compare with the snapshot taken at the first write; without one, only the
            // values this flush computed (the overlay) can differ from the stored row.
            let (from_snapshot, key) = {
                let state = obj.state();
                let changed: Option<Vec<usize>> = state.snapshot.as_ref().map(|committed| {
                    (0..values.len())
                        .filter(|&c| values[c] != committed[c])
                        .collect()
                });
                (changed, state.key.clone())
            };
            let changed = match from_snapshot {
                Some(changed) => changed,
                None => {
                    let stored = obj.column_values()?;
                    let mut cols: Vec<usize> = self
                        .overlay
                        .get(&a)
                        .map(|o| o.iter().map(|(c, _)| *c).collect())
                        .unwrap_or_default();
                    cols.sort_unstable();
                    cols.retain(|&c| values[c] != stored[c]);
                    cols
                }
            };
            if let (false, Some(key)) = (changed.is_empty(), key) {
                if changed.iter().any(|c| meta.primary_key.contains(c)) {
                    let pk: Vec<Value> = meta
                        .primary_key
                        .iter()
                        .map(|&c| values[c].clone())
                        .collect();
                    match Key::from_values(&pk) {
                        Some(new_key) => self.rekeyed.push((i, new_key)),
                        None => {
                            return Err(Error::Relationship {
                                table: meta.rust_name,
                                field: meta.columns[meta.primary_key[0]].field,
                                message: "a primary-key column was set to NULL".into(),
                            })
                        }
                    }
                }
                let mut params: Vec<Value> = changed.iter().map(|&c| values[c].clone()).collect();
                params.extend(key.to_values());
                let sql = sql::update(meta, &changed);
                if sink.conn()?.execute(&sql, &params)? == 0 {
                    return Err(Error::ObjectDeleted {
                        table: meta.name,
                        key: key.to_string(),
                    });
                }
            }
        }
        self.written.insert(a);
        self.sync_one_to_many(i)
    }

    /// A many-to-one that changed gives the object its target's key (or NULL).
    pub(super) fn sync_many_to_one(&mut self, i: usize) -> Result<()> {
        let obj = self.entries[i].obj.clone();
        let meta = obj.meta();
        for (r, rel) in meta.relations.iter().enumerate() {
            if rel.kind != RelationKind::ManyToOne {
                continue;
            }
            let Some(target) = self.entries[i].history[r].target.clone() else {
                continue;
            };
            let Resolved::ManyToOne { local, remote } = meta.resolved(r)? else {
                continue;
            };
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
                        self.set(&obj, c, Value::Null);
                    }
                }
                Some(t) => {
                    let values = self.referenced_values(&t, remote, meta, r)?;
                    for (&c, v) in local.iter().zip(values) {
                        self.set(&obj, c, v);
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
        let key_values = key.to_values();
        let mut current: Option<Vec<Value>> = None;
        cols.iter()
            .map(|&c| match tmeta.primary_key.iter().position(|&p| p == c) {
                Some(pos) => Ok(key_values[pos].clone()),
                None => {
                    if current.is_none() {
                        current = Some(values_with(target, self.overlay.get(&addr(target)))?);
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
            if rel.kind != RelationKind::OneToMany || self.entries[i].history[r].added.is_empty() {
                continue;
            }
            let Resolved::OneToMany { remote_fk, local } = meta.resolved(r)? else {
                continue;
            };
            let values = self.referenced_values(&obj, local, meta, r)?;
            for child in self.entries[i].history[r].added.clone() {
                // A member that is not in the session (it came in through this side alone)
                // is not written, so it gets nothing either (SQLAlchemy skips it too).
                if self.removed_objects.contains(&addr(&child))
                    || child.state().status == Status::Transient
                {
                    continue;
                }
                for (&c, v) in remote_fk.iter().zip(&values) {
                    self.set(&child, c, v.clone());
                }
                if self.written.contains(&addr(&child)) {
                    return Err(Error::Relationship {
                        table: meta.rust_name,
                        field: rel.field,
                        message: format!(
                            "a {} member was written before its owner; a dependency cycle between the two tables is not supported",
                            child.meta().rust_name
                        ),
                    });
                }
                self.ensure_saved(&child);
            }
        }
        Ok(())
    }

    /// Link-table rows of many-to-many relationships: deletes, then inserts, each once even
    /// when both sides recorded the change.
    pub(super) fn write_links(&mut self, sink: &mut Sink<'_>) -> Result<()> {
        let mut inserts: Vec<(&'static TableMeta, Vec<usize>, Vec<Value>)> = Vec::new();
        let mut deletes: Vec<(&'static TableMeta, Vec<usize>, Vec<Value>)> = Vec::new();
        let mut seen: FxHashSet<(usize, bool, Key)> = FxHashSet::default();
        for e in &self.entries {
            let meta = e.obj.meta();
            let owner_deleted = self.removed_objects.contains(&addr(&e.obj));
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::ManyToMany {
                    continue;
                }
                let Resolved::ManyToMany {
                    link,
                    to_owner,
                    to_target,
                } = meta.resolved(r)?
                else {
                    continue;
                };
                let h = &e.history[r];
                let mut gone: Vec<ObjRef> = h.removed.clone();
                let mut came: Vec<ObjRef> = h.added.clone();
                if owner_deleted {
                    gone.extend(e.obj.relations()[r].reachable());
                    came.clear();
                }
                for (targets, insert) in [(gone, false), (came, true)] {
                    for t in targets {
                        if insert && self.removed_objects.contains(&addr(&t)) {
                            continue;
                        }
                        let mut row: Vec<(usize, Value)> = Vec::new();
                        let owner_cols: Vec<usize> = to_owner.iter().map(|p| p.1).collect();
                        let target_cols: Vec<usize> = to_target.iter().map(|p| p.1).collect();
                        let ov = self.referenced_values(&e.obj, &owner_cols, meta, r)?;
                        let tv = self.referenced_values(&t, &target_cols, meta, r)?;
                        row.extend(to_owner.iter().map(|p| p.0).zip(ov));
                        row.extend(to_target.iter().map(|p| p.0).zip(tv));
                        row.sort_by_key(|(c, _)| *c);
                        let cols: Vec<usize> = row.iter().map(|(c, _)| *c).collect();
                        let vals: Vec<Value> = row.into_iter().map(|(_, v)| v).collect();
                        let Some(k) = Key::from_values(&vals) else {
                            continue;
                        };
                        if seen.insert((link.id(), insert, k)) {
                            let list = if insert { &mut inserts } else { &mut deletes };
                            list.push((link, cols, vals));
                        }
                    }
                }
            }
        }
        for (link, cols, vals) in deletes {
            sink.conn()?
                .execute(&sql::delete_where(link, &cols), &vals)?;
        }
        for (link, cols, vals) in inserts {
            sink.conn()?
                .execute(&sql::insert_columns(link, &cols), &vals)?;
        }
        Ok(())
    }
}
