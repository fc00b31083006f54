//! The unit of work: turns what the session knows (new, modified and deleted objects, and the
//! history of their relationships) into ordered statements, runs them inside the session's
//! transaction, and only then updates the objects.
//!
//! Order: tables by foreign-key dependency (parents first); within a table, updates then
//! inserts, inserts in the order objects entered the session (in a table that refers to
//! itself, each row after the new rows it needs the key of); then link-table deletes and
//! inserts; then deletes, children first. Foreign keys are filled in as rows are written: a
//! many-to-one that changed takes its target's key, a one-to-many's new members take their
//! owner's key, removed members get `NULL` (or are deleted, with `delete_orphan`). Values the
//! flush computes go to an overlay first; if any statement fails, the flush's writes are
//! undone (a savepoint, or the whole transaction when it held only reads) and the overlay
//! dropped, so the database and every object are as they were before the flush.

use std::ops::Range;

use rustc_hash::FxHashMap;

use crate::engine::{Conn, Engine};
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::relation::History;
use crate::schema::TableMeta;
use crate::session::{Inserted, SessionCore};
use crate::value::{Key, Value};

mod links;
mod on_delete;
mod order;
mod orphans;
mod post_update;
mod replaced;
mod unique;
mod write;

pub(crate) use write::check_storable_value;

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
    finished: bool,
}

/// A flush that ends without `finish` (a panic in a statement hook, or in user code the
/// flush calls) undoes what it wrote, so a retry does not write it twice.
impl Drop for Sink<'_> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.finish(false);
        }
    }
}

impl Sink<'_> {
    fn conn(&mut self) -> Result<&mut Conn> {
        if !self.started {
            let conn = match self.slot {
                Some(c) => c,
                None => self.slot.insert(self.engine.connection()?),
            };
            conn.begin_write()?;
            if self.savepoint {
                conn.savepoint("begin")?;
            }
            self.started = true;
        }
        Ok(self.slot.as_mut().expect("connection opened"))
    }

    fn finish(&mut self, ok: bool) -> Result<()> {
        self.finished = true;
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

/// One object the flush writes, with its relationship history and what the flush decided
/// and computed for it.
struct Entry {
    obj: ObjRef,
    /// Where its relationships' histories are in [`Plan::histories`], in field order.
    history: Range<usize>,
    /// For a row the flush wrote: the object's write count when its values were read, and
    /// what was written (before values the flush computed later, such as a new version).
    seen: Option<(u64, Written)>,
    /// Column values computed by the flush, applied to the object only on success.
    overlay: Vec<(usize, Value)>,
    /// The key of the row this flush inserted for it.
    key: Option<Key>,
    /// That key was assigned by the database.
    assigned_key: bool,
    /// Its row was written (inserted or updated) so far.
    written: bool,
    /// Deleted, or taken out of the session, by this flush.
    removed: bool,
    /// In `Plan::updates`.
    updating: bool,
    /// A row switch: this new object (an insert entry) takes the row of the object of delete
    /// entry `switch`, written as one UPDATE instead of a DELETE and an INSERT.
    switch: Option<usize>,
    /// The delete entry of a row switch (no DELETE runs for it).
    switched: bool,
    /// A delete entry already deleted, before a row taking one of its unique values was
    /// written (see [`unique`]).
    deleted_early: bool,
}

/// What a flush wrote of a row.
enum Written {
    /// Every column's value (an INSERT, or the UPDATE of a row switch).
    Row(Vec<Value>),
    /// The columns an UPDATE set, and their values; the others are as stored.
    Columns(Vec<usize>, Vec<Value>),
}

impl Entry {
    fn new(obj: ObjRef, history: Range<usize>) -> Entry {
        Entry {
            obj,
            history,
            seen: None,
            overlay: Vec::new(),
            key: None,
            assigned_key: false,
            written: false,
            removed: false,
            updating: false,
            switch: None,
            switched: false,
            deleted_early: false,
        }
    }
}

/// What a flush does, as entries (one per object it looks at) and lists of their positions.
#[derive(Default)]
struct Plan {
    inserts: Vec<usize>,
    updates: Vec<usize>,
    deletes: Vec<usize>,
    entries: Vec<Entry>,
    /// The relationship histories of every entry, read when the entry was made.
    histories: Vec<History>,
    /// The entry of each object, by address.
    index: FxHashMap<usize, usize>,
    expunged: Vec<usize>,
    /// Rows whose primary key an UPDATE changed, with their new key.
    rekeyed: Vec<(usize, Key)>,
    /// Unique columns set to NULL in between, to be freed for another row: (entry, column).
    interim_nulls: Vec<(usize, usize)>,
    /// Post-update foreign keys to write once every row exists: (entry, relationship).
    post_updates: Vec<(usize, usize)>,
    /// Rows the database deletes with their parent (`ON DELETE CASCADE` through
    /// `passive_deletes`): no statement; deleted in memory after the flush.
    db_deletes: Vec<usize>,
    /// Rows whose foreign key the database sets to NULL (`ON DELETE SET NULL` through
    /// `passive_deletes`); the overlay holds the NULLs, applied after the flush.
    db_nulls: Vec<usize>,
    /// New members of collections that were not written, not being in the session:
    /// (entry, relationship, member). They stay recorded after the flush.
    skipped: Vec<(usize, usize, ObjRef)>,
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
        finished: false,
    };
    let result = plan.execute(&mut sink);
    let ended = sink.finish(result.is_ok());
    let wrote = sink.started;
    drop(sink);
    result?;
    ended?;
    core.wrote_in_tx |= wrote;
    plan.apply(core);
    Ok(())
}

/// `obj`'s column values as the database has them: the snapshot taken at its first write,
/// else (not written since it was read) its fields.
fn stored_values(obj: &ObjRef) -> Result<Vec<Value>> {
    let snapshot = obj.state().snapshot.as_ref().map(|s| s.to_vec());
    match snapshot {
        Some(values) => Ok(values),
        None => obj.column_values(),
    }
}

/// Column `c` of [`stored_values`], given the fields' `values` already read.
fn stored_value(obj: &ObjRef, c: usize, values: &[Value]) -> Value {
    let state = obj.state();
    match &state.snapshot {
        Some(snapshot) => snapshot[c].clone(),
        None => values[c].clone(),
    }
}

fn values_with(obj: &ObjRef, overlay: &[(usize, Value)]) -> Result<Vec<Value>> {
    let mut values = obj.column_values()?;
    for (i, v) in overlay {
        values[*i] = v.clone();
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
    /// The entry of `obj`, made the first time (its relationships' history is read then).
    pub(super) fn entry(&mut self, obj: &ObjRef) -> usize {
        let a = addr(obj);
        if let Some(&i) = self.index.get(&a) {
            return i;
        }
        let start = self.histories.len();
        self.histories
            .extend(obj.relations().iter().map(|r| r.0.history()));
        let history = start..self.histories.len();
        self.entries.push(Entry::new(obj.clone(), history));
        self.index.insert(a, self.entries.len() - 1);
        self.entries.len() - 1
    }

    /// The history of each relationship of entry `i`, in field order.
    pub(super) fn history(&self, i: usize) -> &[History] {
        &self.histories[self.entries[i].history.clone()]
    }

    /// The entry of `obj`, if it has one.
    pub(super) fn find(&self, obj: &ObjRef) -> Option<usize> {
        self.index.get(&addr(obj)).copied()
    }

    /// Whether `obj` is deleted or taken out of the session by this flush.
    pub(super) fn removed(&self, obj: &ObjRef) -> bool {
        self.find(obj).is_some_and(|i| self.entries[i].removed)
    }

    /// The column values this flush computed for `obj` so far.
    pub(super) fn overlay(&self, obj: &ObjRef) -> &[(usize, Value)] {
        self.find(obj).map_or(&[], |i| &self.entries[i].overlay)
    }

    /// Sets column `col` of `obj` to `value` once the flush succeeds (the object gets an
    /// entry if it has none).
    pub(super) fn set(&mut self, obj: &ObjRef, col: usize, value: Value) {
        let i = self.entry(obj);
        self.set_column(i, col, value);
    }

    /// Sets column `col` of entry `i`'s object to `value` once the flush succeeds.
    pub(super) fn set_column(&mut self, i: usize, col: usize, value: Value) {
        let o = &mut self.entries[i].overlay;
        match o.iter_mut().find(|(c, _)| *c == col) {
            Some(slot) => slot.1 = value,
            None => o.push((col, value)),
        }
    }

    /// Marks entry `i` removed by this flush; false if it was already.
    fn mark_removed(&mut self, i: usize) -> bool {
        !std::mem::replace(&mut self.entries[i].removed, true)
    }

    /// Adds entry `i` to the updates, if it is not there yet.
    fn add_update(&mut self, i: usize) {
        if !std::mem::replace(&mut self.entries[i].updating, true) {
            self.updates.push(i);
        }
    }

    /// Takes entry `i` out of the updates, if it is there.
    fn drop_update(&mut self, i: usize) {
        if std::mem::replace(&mut self.entries[i].updating, false) {
            self.updates.retain(|&x| x != i);
        }
    }

    pub(super) fn gather(core: &mut SessionCore) -> Result<Plan> {
        let mut plan = Plan::default();
        let objects = core.new.len() + core.modified.len() + core.deleted.len();
        plan.entries.reserve(objects);
        plan.index.reserve(objects);
        for obj in &core.new {
            if obj.state().status == Status::Pending {
                let i = plan.entry(obj);
                plan.inserts.push(i);
            }
        }
        for obj in &core.modified {
            if obj.state().status == Status::Persistent {
                let i = plan.entry(obj);
                plan.add_update(i);
            }
        }
        for obj in &core.deleted {
            if obj.state().status == Status::Deleted {
                let i = plan.entry(obj);
                plan.deletes.push(i);
                plan.entries[i].removed = true;
            }
        }
        for e in &plan.entries {
            if let Some(err) = e.obj.state().deferred_error.take() {
                return Err(*err);
            }
        }
        plan.plan_pending_orphans();
        plan.plan_replaced_holders(core)?;
        plan.plan_orphans()?;
        // `passive_deletes` children are found among the objects in memory.
        let passive = plan.deletes.iter().any(|&i| {
            let meta = plan.entries[i].obj.meta();
            meta.relations.iter().any(|r| r.passive_deletes)
        });
        let in_memory = if passive {
            core.identity.objects()
        } else {
            Vec::new()
        };
        plan.plan_deleted_parents(&in_memory)?;
        plan.plan_row_switches();
        for &i in plan.inserts.iter().chain(&plan.updates) {
            plan.entries[i].obj.check_writable()?;
        }
        Ok(plan)
    }

    /// The key of `obj`'s row: inserted by this flush, or stored before.
    pub(super) fn key_of(&self, obj: &ObjRef) -> Option<Key> {
        self.find(obj)
            .and_then(|i| self.entries[i].key.clone())
            .or_else(|| obj.state().key.clone())
    }

    /// After the row of entry `i` was written: its snapshot and registration start over,
    /// unless a write guard was taken on it while the flush ran (another thread). Then what
    /// the flush wrote becomes its snapshot, so that change is found by the next flush.
    fn settle_written(&self, i: usize, rewritten: &mut Vec<ObjRef>) {
        let e = &self.entries[i];
        let mut state = e.obj.state();
        match &e.seen {
            Some((writes, seen)) if *writes != state.writes => {
                // The guard taken since left the snapshot as it was, or took one of the row as
                // the flush read it (it always does for an object with a key).
                let written = match seen {
                    Written::Row(values) => Some(values.clone()),
                    Written::Columns(columns, values) => state.snapshot.as_ref().map(|row| {
                        let mut row = row.to_vec();
                        for (&c, v) in columns.iter().zip(values) {
                            row[c] = v.clone();
                        }
                        row
                    }),
                };
                if let Some(mut written) = written {
                    for (c, v) in &e.overlay {
                        written[*c] = v.clone();
                    }
                    state.snapshot = Some(written.into_boxed_slice());
                }
                state.registered = true;
                rewritten.push(e.obj.clone());
            }
            _ => {
                state.snapshot = None;
                state.registered = false;
            }
        }
    }

    /// After a successful flush: computed values go into the objects, new objects get their
    /// keys and join the identity map, deleted ones leave it, histories are cleared.
    pub(super) fn apply(self, core: &mut SessionCore) {
        let mut rewritten: Vec<ObjRef> = Vec::new();
        for e in &self.entries {
            let values = &e.overlay;
            if !values.is_empty() && !e.removed && e.obj.set_columns(values).is_err() {
                // Another thread took a guard on it since the flush checked: the values
                // (a new id, foreign keys) reach the fields as soon as no guard is out.
                e.obj.state().unapplied = Some(values.clone().into_boxed_slice());
            }
        }
        for &i in &self.inserts {
            let e = &self.entries[i];
            let obj = &e.obj;
            if let Some(key) = &e.key {
                {
                    let mut state = obj.state();
                    state.status = Status::Persistent;
                    state.key = Some(key.clone());
                }
                self.settle_written(i, &mut rewritten);
                core.identity.insert(obj.meta(), key.clone(), obj);
                let assigned = obj.meta().auto_increment().filter(|_| e.assigned_key);
                core.inserted_in_tx.push(Inserted {
                    obj: obj.clone(),
                    assigned,
                });
            }
        }
        for &i in &self.updates {
            self.settle_written(i, &mut rewritten);
        }
        if !core.savepoints.is_empty() {
            // Expired if the savepoint rolls back (`Session::begin_nested`).
            let updated = self.updates.iter().chain(&self.db_nulls);
            core.updated_in_nested
                .extend(updated.map(|&i| self.entries[i].obj.clone()));
        }
        for (i, new_key) in &self.rekeyed {
            let obj = &self.entries[*i].obj;
            let old = obj.state().key.replace(new_key.clone());
            if let Some(old) = old {
                core.identity.remove(obj.meta(), &old);
            }
            core.identity.insert(obj.meta(), new_key.clone(), obj);
        }
        for &i in self.deletes.iter().chain(&self.db_deletes) {
            let obj = &self.entries[i].obj;
            let key = {
                let mut state = obj.state();
                state.status = Status::Deleted;
                state.registered = false;
                state.key.clone()
            };
            // A switched row now belongs to the new object, already in the map.
            if let Some(k) = key.filter(|_| !self.entries[i].switched) {
                core.identity.remove(obj.meta(), &k);
            }
            core.deleted_in_tx.push(obj.clone());
        }
        for &i in &self.expunged {
            core.forget_holder(&self.entries[i].obj);
            let mut state = self.entries[i].obj.state();
            state.status = Status::Transient;
            state.session = std::sync::Weak::new();
        }
        for &i in self
            .updates
            .iter()
            .chain(&self.inserts)
            .chain(&self.db_nulls)
        {
            // Many-to-one relationships whose foreign key was set or changed by hand (or set
            // to NULL by the database) now point at the row it names.
            let _ = crate::session::set_one_keys(&self.entries[i].obj);
        }
        let mut left = vec![false; self.entries.len()];
        for &i in &self.expunged {
            left[i] = true;
        }
        for (i, e) in self.entries.iter().enumerate() {
            for rel in e.obj.relations() {
                rel.0.clear_history();
            }
            if !left[i] {
                core.note_holder(&e.obj);
            }
        }
        for (i, r, member) in &self.skipped {
            if let Some(cell) = self.entries[*i].obj.relations().get(*r) {
                cell.0.keep_added(member);
            }
        }
        core.new.clear();
        core.modified.clear();
        core.deleted.clear();
        core.modified.extend(rewritten);
    }
}
