//! The unit of work: turns what the session knows (new, modified and deleted objects, and the
//! history of their relationships) into ordered statements, runs them inside the session's
//! transaction under a savepoint, and only then updates the objects.
//!
//! Order: tables by foreign-key dependency (parents first); within a table, updates then
//! inserts, inserts in the order objects entered the session (parents first when a table
//! refers to itself); then link-table deletes and inserts; then deletes, children first.
//! Foreign keys are filled in as rows are written: a many-to-one that changed takes its
//! target's key, a one-to-many's new members take their owner's key, removed members get
//! `NULL` (or are deleted, with `delete_orphan`). Values the flush computes go to an overlay
//! first; if any statement fails, the savepoint is rolled back and the overlay dropped, so
//! the database and every object are as they were before the flush.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::engine::{Conn, Engine};
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::relation::History;
use crate::schema::{dependency_order, RelationKind, Resolved, TableMeta};
use crate::session::{open_conn, referenced_key, SessionCore};
use crate::sql;
use crate::value::{Key, Value};

/// Runs statements, opening the transaction only when the first one comes, so a flush with
/// nothing to write runs no SQL at all. When earlier flushes of the open transaction wrote
/// something, the flush runs under a savepoint so a failure undoes only itself; otherwise a
/// failure rolls back the transaction, which held nothing but reads (this spares SQLite the
/// statement journal a savepoint costs on every page the flush touches).
struct Sink<'a> {
    slot: &'a mut Option<Conn>,
    engine: &'a Engine,
    savepoint: bool,
    started: bool,
}

impl Sink<'_> {
    fn conn(&mut self) -> Result<&Conn> {
        if !self.started {
            let conn = open_conn(self.slot, self.engine)?;
            if self.savepoint {
                conn.savepoint("begin")?;
            }
            self.started = true;
        }
        Ok(self.slot.as_ref().expect("connection opened"))
    }

    fn finish(&mut self, ok: bool) -> Result<()> {
        if !self.started {
            return Ok(());
        }
        let conn = self.slot.as_mut().expect("connection opened");
        match (ok, self.savepoint) {
            (true, true) => conn.savepoint("release"),
            (true, false) => Ok(()),
            (false, true) => {
                conn.savepoint("rollback")?;
                conn.savepoint("release")
            }
            (false, false) => conn.rollback(),
        }
    }
}

/// One object the flush writes, with its relationship history.
struct Entry {
    obj: ObjRef,
    history: Vec<History>,
}

#[derive(Default)]
struct Plan {
    inserts: Vec<usize>,
    updates: Vec<usize>,
    /// The same entries as `updates`, for membership tests.
    updating: FxHashSet<usize>,
    deletes: Vec<usize>,
    entries: Vec<Entry>,
    index: FxHashMap<usize, usize>,
    /// Column values computed by the flush, applied to objects only on success.
    overlay: FxHashMap<usize, Vec<(usize, Value)>>,
    /// Keys of rows inserted by this flush.
    keys: FxHashMap<usize, Key>,
    /// Objects whose row was written (inserted or updated) so far.
    written: FxHashSet<usize>,
    removed_objects: FxHashSet<usize>,
    expunged: Vec<usize>,
    /// Rows whose primary key an UPDATE changed, with their new key.
    rekeyed: Vec<(usize, Key)>,
}

pub(crate) fn flush(core: &mut SessionCore) -> Result<()> {
    if core.new.is_empty() && core.modified.is_empty() && core.deleted.is_empty() {
        return Ok(());
    }
    let mut plan = Plan::gather(core)?;
    let mut sink = Sink {
        slot: &mut core.conn,
        engine: &core.engine,
        savepoint: core.wrote_in_tx,
        started: false,
    };
    let result = plan.execute(&mut sink);
    let ended = sink.finish(result.is_ok());
    let wrote = sink.started;
    result?;
    ended?;
    core.wrote_in_tx |= wrote;
    plan.apply(core);
    Ok(())
}

fn values_with(obj: &ObjRef, overlay: Option<&Vec<(usize, Value)>>) -> Result<Vec<Value>> {
    let mut values = obj.column_values()?;
    if let Some(o) = overlay {
        for (i, v) in o {
            values[*i] = v.clone();
        }
    }
    Ok(values)
}

fn nullability_error(
    owner: &'static TableMeta,
    rel: usize,
    child: &'static TableMeta,
    cols: &[usize],
) -> Option<Error> {
    let bad = cols
        .iter()
        .map(|&c| &child.columns[c])
        .find(|c| c.primary_key || !c.optional)?;
    let what = if bad.primary_key {
        "is part of its primary key"
    } else {
        "cannot be NULL"
    };
    Some(Error::Relationship {
        table: owner.rust_name,
        field: owner.relations[rel].field,
        message: format!(
            "a {} removed from this relationship would get {}.{} = NULL, which {what}; declare the relationship with delete_orphan to delete removed members, or delete the {} with session.delete()",
            child.rust_name, child.name, bad.name, child.rust_name
        ),
    })
}

impl Plan {
    fn entry(&mut self, obj: &ObjRef) -> usize {
        let a = addr(obj);
        if let Some(&i) = self.index.get(&a) {
            return i;
        }
        let history = obj.relations().iter().map(|r| r.history()).collect();
        self.entries.push(Entry {
            obj: obj.clone(),
            history,
        });
        self.index.insert(a, self.entries.len() - 1);
        self.entries.len() - 1
    }

    fn set(&mut self, obj: &ObjRef, col: usize, value: Value) {
        let o = self.overlay.entry(addr(obj)).or_default();
        match o.iter_mut().find(|(c, _)| *c == col) {
            Some(slot) => slot.1 = value,
            None => o.push((col, value)),
        }
    }

    fn gather(core: &mut SessionCore) -> Result<Plan> {
        let mut plan = Plan::default();
        for obj in core.new.clone() {
            if obj.state().status == Status::Pending {
                let i = plan.entry(&obj);
                plan.inserts.push(i);
            }
        }
        for obj in core.modified.clone() {
            if obj.state().status == Status::Persistent {
                let i = plan.entry(&obj);
                if plan.updating.insert(i) {
                    plan.updates.push(i);
                }
            }
        }
        for obj in core.deleted.clone() {
            if obj.state().status == Status::Deleted {
                let i = plan.entry(&obj);
                plan.deletes.push(i);
                plan.removed_objects.insert(addr(&obj));
            }
        }
        for e in &plan.entries {
            if let Some(err) = e.obj.state().deferred_error.take() {
                return Err(err);
            }
        }
        plan.plan_pending_orphans();
        plan.plan_orphans()?;
        plan.plan_deleted_parents()?;
        for &i in plan.inserts.iter().chain(&plan.updates) {
            plan.entries[i].obj.check_writable()?;
        }
        Ok(plan)
    }

    /// New objects taken out of a `delete_orphan` collection before the flush (pushed and
    /// removed again) are not written: they leave the session.
    fn plan_pending_orphans(&mut self) {
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
                if !owned || !obj.relations()[r].reachable().is_empty() {
                    continue;
                }
                // Taken out of its collection (unset), as opposed to never given a parent,
                // which the foreign-key step reports (SQLAlchemy draws the same line).
                if matches!(self.entries[i].history[r].target, Some(None)) {
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
    fn plan_orphans(&mut self) -> Result<()> {
        let mut work = Vec::new();
        for e in &self.entries {
            if self.removed_objects.contains(&addr(&e.obj)) {
                continue;
            }
            let meta = e.obj.meta();
            for (r, rel) in meta.relations.iter().enumerate() {
                if rel.kind != RelationKind::OneToMany {
                    continue;
                }
                for child in &e.history[r].removed {
                    work.push((meta, r, child.clone()));
                }
            }
        }
        for (meta, r, child) in work {
            if self.removed_objects.contains(&addr(&child)) || self.reparented(meta, r, &child) {
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
    fn let_go_of_child(
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
    fn reparented(&self, meta: &'static TableMeta, r: usize, child: &ObjRef) -> bool {
        let def = &meta.relations[r];
        if let Some(back) = def
            .back_populates
            .and_then(|b| child.meta().relation_index(b))
        {
            if let Some(h) = child.relations().get(back).map(|c| c.history()) {
                if let Some(Some(_)) = h.target {
                    return true;
                }
            }
        }
        self.entries.iter().any(|e| {
            std::ptr::eq(e.obj.meta(), meta)
                && e.history[r].added.iter().any(|a| addr(a) == addr(child))
        })
    }

    fn remove_object(&mut self, obj: &ObjRef) {
        let a = addr(obj);
        if !self.removed_objects.insert(a) {
            return;
        }
        let status = obj.state().status;
        let i = self.entry(obj);
        if status == Status::Pending {
            self.inserts.retain(|&x| x != i);
            self.expunged.push(i);
        } else if status == Status::Persistent {
            if self.updating.remove(&i) {
                self.updates.retain(|&x| x != i);
            }
            self.deletes.push(i);
        }
    }

    fn ensure_saved(&mut self, obj: &ObjRef) {
        let status = obj.state().status;
        let i = self.entry(obj);
        if status == Status::Persistent && self.updating.insert(i) {
            self.updates.push(i);
        }
    }

    /// Children of deleted parents: unset their foreign key, or delete them too
    /// (`delete_orphan`). Their collections were loaded by `Session::delete`.
    fn plan_deleted_parents(&mut self) -> Result<()> {
        let mut k = 0;
        while k < self.deletes.len() {
            let parent = self.entries[self.deletes[k]].obj.clone();
            k += 1;
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
                for child in parent.relations()[r].reachable() {
                    if self.removed_objects.contains(&addr(&child)) {
                        continue;
                    }
                    let values = values_with(&child, self.overlay.get(&addr(&child)))?;
                    let points_here =
                        referenced_key(meta, remote_fk, local, &values).is_some_and(|k| k == key);
                    if points_here {
                        self.let_go_of_child(meta, r, &child, remote_fk)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn key_of(&self, obj: &ObjRef) -> Option<Key> {
        self.keys
            .get(&addr(obj))
            .cloned()
            .or_else(|| obj.state().key.clone())
    }

    fn execute(&mut self, sink: &mut Sink<'_>) -> Result<()> {
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

    /// The rows of `table` to save, as (entry, is insert): updates then inserts, inserts in
    /// the order objects entered the session. In a table that refers to itself, a row comes
    /// after the new rows of the same table it needs the key of (its new parent, or the new
    /// owner of a collection it joined): a stable topological order (Kahn's algorithm).
    fn rows_in_order(&self, table: &'static TableMeta) -> Vec<(usize, bool)> {
        let of_table = |list: &[usize]| -> Vec<usize> {
            list.iter()
                .copied()
                .filter(|&i| std::ptr::eq(self.entries[i].obj.meta(), table))
                .collect()
        };
        let mut rows: Vec<(usize, bool)> = of_table(&self.updates)
            .into_iter()
            .map(|i| (i, false))
            .chain(of_table(&self.inserts).into_iter().map(|i| (i, true)))
            .collect();
        let self_referential = table
            .relations
            .iter()
            .any(|r| r.target_table == table.name && r.kind != RelationKind::ManyToMany);
        if !self_referential || rows.len() < 2 {
            return rows;
        }
        let position: FxHashMap<usize, usize> = rows
            .iter()
            .enumerate()
            .map(|(p, &(i, _))| (addr(&self.entries[i].obj), p))
            .collect();
        // edges[p]: the rows that must wait for row p (a new row whose key they need).
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
        let mut waiting_on = vec![0usize; rows.len()];
        let mut edge = |from: usize, to: usize| {
            if from != to && rows[from].1 {
                edges[from].push(to);
                waiting_on[to] += 1;
            }
        };
        for (p, &(i, _)) in rows.iter().enumerate() {
            let e = &self.entries[i];
            for (r, rel) in table.relations.iter().enumerate() {
                if rel.target_table != table.name {
                    continue;
                }
                match rel.kind {
                    RelationKind::ManyToOne => {
                        if let Some(Some(parent)) = &e.history[r].target {
                            if let Some(&q) = position.get(&addr(parent)) {
                                edge(q, p);
                            }
                        }
                    }
                    RelationKind::OneToMany => {
                        for child in &e.history[r].added {
                            if let Some(&q) = position.get(&addr(child)) {
                                edge(p, q);
                            }
                        }
                    }
                    RelationKind::ManyToMany => {}
                }
            }
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..rows.len()).filter(|&p| waiting_on[p] == 0).collect();
        let mut ordered = Vec::with_capacity(rows.len());
        let mut placed = vec![false; rows.len()];
        while ordered.len() < rows.len() {
            // A cycle leaves rows waiting: take the first in session order, and let the
            // foreign-key step report what it cannot fill in.
            let p = match ready.pop_first() {
                Some(p) => p,
                None => (0..rows.len()).find(|&p| !placed[p]).unwrap_or(0),
            };
            if placed[p] {
                continue;
            }
            placed[p] = true;
            ordered.push(rows[p]);
            for &q in &edges[p] {
                waiting_on[q] = waiting_on[q].saturating_sub(1);
                if waiting_on[q] == 0 && !placed[q] {
                    ready.insert(q);
                }
            }
        }
        rows = ordered;
        rows
    }

    /// Writes one object's row (INSERT or changed-column UPDATE) after filling in foreign
    /// keys from its many-to-one relationships, then points its new one-to-many members here.
    fn save(&mut self, sink: &mut Sink<'_>, i: usize, insert: bool) -> Result<()> {
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
    fn sync_many_to_one(&mut self, i: usize) -> Result<()> {
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
    fn referenced_values(
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
    fn sync_one_to_many(&mut self, i: usize) -> Result<()> {
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
    fn write_links(&mut self, sink: &mut Sink<'_>) -> Result<()> {
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

    /// After a successful flush: computed values go into the objects, new objects get their
    /// keys and join the identity map, deleted ones leave it, histories are cleared.
    fn apply(self, core: &mut SessionCore) {
        for e in &self.entries {
            let a = addr(&e.obj);
            if let Some(values) = self.overlay.get(&a) {
                if !self.removed_objects.contains(&a) {
                    let _ = e.obj.set_columns(values);
                }
            }
        }
        for &i in &self.inserts {
            let obj = &self.entries[i].obj;
            if let Some(key) = self.keys.get(&addr(obj)) {
                {
                    let mut state = obj.state();
                    state.status = Status::Persistent;
                    state.key = Some(key.clone());
                    state.snapshot = None;
                    state.registered = false;
                }
                core.identity.insert(obj.meta(), key.clone(), obj);
                core.inserted_in_tx.push(obj.clone());
            }
        }
        for &i in &self.updates {
            let obj = &self.entries[i].obj;
            let mut state = obj.state();
            state.snapshot = None;
            state.registered = false;
        }
        for (i, new_key) in &self.rekeyed {
            let obj = &self.entries[*i].obj;
            let old = obj.state().key.replace(new_key.clone());
            if let Some(old) = old {
                core.identity.remove(obj.meta(), &old);
            }
            core.identity.insert(obj.meta(), new_key.clone(), obj);
        }
        for &i in &self.deletes {
            let obj = &self.entries[i].obj;
            let key = {
                let mut state = obj.state();
                state.status = Status::Deleted;
                state.registered = false;
                state.key.clone()
            };
            if let Some(k) = key {
                core.identity.remove(obj.meta(), &k);
            }
            core.deleted_in_tx.push(obj.clone());
        }
        for &i in &self.expunged {
            let mut state = self.entries[i].obj.state();
            state.status = Status::Transient;
            state.session = std::sync::Weak::new();
        }
        for &i in &self.updates {
            // Many-to-one relationships whose foreign key was changed by hand now point at
            // the new row.
            let _ = crate::session::set_one_keys(&self.entries[i].obj);
        }
        for e in &self.entries {
            for rel in e.obj.relations() {
                rel.clear_history();
            }
        }
        core.new.clear();
        core.modified.clear();
        core.deleted.clear();
    }
}
