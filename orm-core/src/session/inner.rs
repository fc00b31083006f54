//! The session core's own work: the save-update cascade, rollback and letting go of objects,
//! and running queries whose rows go through the identity map.

use std::sync::{Arc, Weak};

use rustc_hash::FxHashSet;

use super::load::set_one_keys;
use super::{detach, expire, Inserted, SessionCore};
use crate::engine::{Conn, Engine};
use crate::error::{Error, Result};
use crate::object::{addr, ObjRef, Status};
use crate::table::RowReader;
use crate::value::Value;

impl SessionCore {
    /// Lets go of every object: each is detached, and its relationships released: a loaded
    /// `One` keeps its target, a loaded collection keeps its members only weakly. Two objects
    /// loaded on both sides of a relationship would otherwise hold each other forever; this
    /// way they are freed once the user's handles are gone, and what the user still holds
    /// stays readable. (Expire on commit breaks the cycle for a session that lives on.)
    pub(super) fn release_objects(&mut self) {
        let objects: Vec<ObjRef> = self.identity.objects();
        self.release(objects);
    }

    /// What dropping the session does: like [`release_objects`](Self::release_objects), but
    /// only for the objects that may hold others (see `holders`). The rest are clean objects
    /// whose relationships were never loaded: nothing to let go of, and their status reads
    /// `Detached` once the session is gone. Loading 10k rows and dropping the session no
    /// longer walks 10k objects.
    pub(super) fn release_on_drop(&mut self) {
        let holders: Vec<ObjRef> = std::mem::take(&mut self.holders)
            .values()
            .filter_map(std::sync::Weak::upgrade)
            .collect();
        self.release(holders);
    }

    fn release(&mut self, objects: Vec<ObjRef>) {
        let objects = objects
            .into_iter()
            .chain(std::mem::take(&mut self.new))
            .chain(std::mem::take(&mut self.modified))
            .chain(std::mem::take(&mut self.deleted));
        for obj in objects {
            // An object that left this session (rolled back, expunged) and joined another
            // since is that session's business now.
            if !std::sync::Weak::ptr_eq(&obj.state().session, &self.me) {
                continue;
            }
            detach(&obj);
            for rel in obj.relations() {
                rel.0.release();
            }
        }
        self.identity.clear();
        self.holders.clear();
        self.inserted_in_tx.clear();
        self.deleted_in_tx.clear();
        self.end_savepoints();
        self.conn = None;
    }

    /// Remembers that `obj`'s relationships hold (or may hold) other objects: loaded by the
    /// session, or written by a flush (one entry per object, by address; dead ones are swept now
    /// and then).
    pub(crate) fn note_holder(&mut self, obj: &ObjRef) {
        if self.holders.len() >= self.next_holder_sweep {
            self.holders.retain(|_, w| w.strong_count() > 0);
            self.next_holder_sweep = (self.holders.len() * 2).max(1024);
        }
        self.holders.insert(addr(obj), Arc::downgrade(obj));
        crate::collect::note(obj);
    }

    /// `obj` leaves this session (made new again, expunged, deleted and committed, found
    /// gone): it leaves the holder list too, whose weak reference would keep the cycle
    /// collector from proving it unreachable once dropped.
    pub(crate) fn forget_holder(&mut self, obj: &ObjRef) {
        let a = addr(obj);
        if self
            .holders
            .get(&a)
            .is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(obj)))
        {
            self.holders.remove(&a);
        }
    }

    /// How many weak references the holder list has to `obj` (0 or 1).
    pub(crate) fn holder_refs(&self, obj: &ObjRef) -> usize {
        let entry = self.holders.get(&addr(obj));
        usize::from(entry.is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(obj))))
    }

    /// How many weak references the identity map holds to `obj` (0 or 1): the collector's
    /// count.
    pub(crate) fn identity_refs(&self, obj: &ObjRef) -> usize {
        self.identity.refs_to(obj)
    }

    pub(crate) fn conn(&mut self) -> Result<&mut Conn> {
        self.check_usable()?;
        open_conn(&mut self.conn, &self.engine)
    }

    /// Fails with [`Error::PendingRollback`] after a failed flush or commit, until
    /// `rollback()`: every path that runs SQL asks this first (SQLAlchemy's rule: the
    /// application decides what becomes of the failed transaction before going on).
    pub(crate) fn check_usable(&self) -> Result<()> {
        match &self.failed {
            Some(cause) => Err(Error::PendingRollback {
                cause: cause.clone(),
            }),
            None => Ok(()),
        }
    }

    /// Passes a result of a flush or commit on, remembering a failure so that the session
    /// refuses further work until `rollback()`. A borrow conflict is no failure of the unit
    /// of work: it is found before any SQL runs, and the flush can simply be tried again.
    pub(super) fn note_failure<R>(&mut self, result: Result<R>) -> Result<R> {
        if let Err(e) = &result {
            if !matches!(e, Error::Borrowed { .. } | Error::PendingRollback { .. }) {
                self.failed = Some(e.to_string());
            }
        }
        result
    }

    pub(super) fn check_mine(&self, obj: &ObjRef) -> Result<()> {
        let state = obj.state();
        let mine = state
            .session
            .upgrade()
            .is_some_and(|s| std::ptr::eq(Arc::as_ptr(&s), self.me.as_ptr()));
        if mine {
            Ok(())
        } else {
            Err(Error::Detached {
                table: obj.meta().rust_name,
                reason: "it is not in this session",
            })
        }
    }

    pub(super) fn autoflush(&mut self) -> Result<()> {
        if self.autoflush && self.no_autoflush == 0 {
            self.flush()?;
        }
        Ok(())
    }

    /// The autoflush of a lazy load: like a query's, except that it is skipped, not an
    /// error, when an object it would write is borrowed mutably. That object is in the
    /// middle of a change (a write guard is out, often on the very object whose relationship
    /// is read: `hero.write()?.team.get()`), so it cannot be written now, and a flush
    /// without it could break the dependency order; the load then sees the database as the
    /// last flush left it, as under `no_autoflush`. Read guards do not stop the flush.
    pub(crate) fn autoflush_before_load(&mut self) -> Result<bool> {
        let pending = !(self.new.is_empty() && self.modified.is_empty() && self.deleted.is_empty());
        if !pending || !self.autoflush || self.no_autoflush > 0 {
            return Ok(false);
        }
        match self.flush() {
            Ok(()) => Ok(true),
            Err(Error::Borrowed { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Adds `root` and everything reachable from it, depth first, in the order reached. Like
    /// SQLAlchemy's cascade (`halt_on=session._contains_state`), the walk does not go past an
    /// object that is already in this session: its own links were followed when it joined,
    /// and later changes to them cascade as they are made. Without that, each new object
    /// linked into a large loaded graph would walk the whole graph again (quadratic).
    pub(crate) fn cascade_add(&mut self, root: ObjRef) -> Result<()> {
        let mut seen: FxHashSet<usize> = FxHashSet::default();
        let root_addr = addr(&root);
        let mut stack = vec![root];
        while let Some(obj) = stack.pop() {
            if !seen.insert(addr(&obj)) {
                continue;
            }
            {
                let mut state = obj.state();
                let mine = state
                    .session
                    .upgrade()
                    .is_some_and(|s| std::ptr::eq(Arc::as_ptr(&s), self.me.as_ptr()));
                if mine && addr(&obj) != root_addr && state.status != Status::Transient {
                    continue;
                }
                match state.effective_status() {
                    Status::Transient => {
                        state.status = Status::Pending;
                        state.session = self.me.clone();
                        drop(state);
                        self.new.push(obj.clone());
                    }
                    Status::Detached => {
                        if state.vanished {
                            return Err(super::deleted_error(&obj, &state));
                        }
                        let key = state.key.clone();
                        if let Some(k) = &key {
                            if let Some(other) = self.identity.get(obj.meta(), k) {
                                if addr(&other) != addr(&obj) {
                                    return Err(Error::DuplicateIdentity {
                                        table: obj.meta().rust_name,
                                        key: k.to_string(),
                                    });
                                }
                            }
                        }
                        state.status = if key.is_some() {
                            Status::Persistent
                        } else {
                            Status::Pending
                        };
                        state.session = self.me.clone();
                        state.registered = true;
                        drop(state);
                        match key {
                            Some(k) => {
                                self.identity.insert(obj.meta(), k, &obj);
                                self.modified.push(obj.clone());
                            }
                            None => self.new.push(obj.clone()),
                        }
                    }
                    _ if !mine => {
                        return Err(Error::OtherSession {
                            table: obj.meta().rust_name,
                        })
                    }
                    // Adding an object marked for deletion: not flushed yet, the delete is
                    // undone (SQLAlchemy's behaviour); flushed, its row is gone.
                    Status::Deleted if addr(&obj) == root_addr => {
                        let waiting = self.deleted.iter().position(|d| addr(d) == root_addr);
                        match waiting {
                            Some(at) => {
                                self.deleted.remove(at);
                                state.status = Status::Persistent;
                            }
                            None => return Err(super::deleted_error(&obj, &state)),
                        }
                    }
                    _ => {}
                }
            }
            for rel in obj.relations().iter().rev() {
                for target in rel.0.reachable().into_iter().rev() {
                    if !seen.contains(&addr(&target)) {
                        stack.push(target);
                    }
                }
            }
        }
        Ok(())
    }

    pub(super) fn flush(&mut self) -> Result<()> {
        self.check_usable()?;
        let result = crate::unit_of_work::flush(self);
        let result = self.settle(result);
        self.note_failure(result)
    }

    /// Passes a result on; when it is a failure after which SQLite ended the transaction by
    /// itself, the session rolls back too (so its idea of the transaction stays true) and
    /// says so with [`Error::RolledBack`].
    pub(crate) fn settle<R>(&mut self, result: Result<R>) -> Result<R> {
        let Err(e) = result else {
            return result;
        };
        if !self.conn.as_mut().is_some_and(Conn::take_ended_by_database) {
            return Err(e);
        }
        let _ = self.rollback(true);
        Err(Error::RolledBack {
            source: Box::new(e),
        })
    }

    /// Rolls back the transaction and the session's lists; `expire_all`: expire every object.
    pub(super) fn rollback(&mut self, expire_all: bool) -> Result<()> {
        let result = match self.conn.as_mut() {
            Some(conn) => conn.rollback(),
            None => Ok(()),
        };
        self.failed = None;
        self.wrote_in_tx = false;
        self.end_savepoints();
        for inserted in std::mem::take(&mut self.inserted_in_tx) {
            self.undo_insert(inserted);
        }
        for obj in std::mem::take(&mut self.new) {
            self.forget_holder(&obj);
            let mut state = obj.state();
            state.status = Status::Transient;
            state.session = Weak::new();
        }
        for obj in std::mem::take(&mut self.deleted)
            .into_iter()
            .chain(std::mem::take(&mut self.deleted_in_tx))
        {
            let key = {
                let mut state = obj.state();
                if state.status == Status::Transient {
                    // Inserted in this transaction too: made transient above, gone with it.
                    continue;
                }
                state.status = Status::Persistent;
                state.key.clone()
            };
            if let Some(k) = key {
                self.identity.insert(obj.meta(), k, &obj);
            }
        }
        for obj in std::mem::take(&mut self.modified) {
            obj.state().registered = false;
        }
        if expire_all {
            for obj in self.identity.objects() {
                expire(&obj);
            }
        }
        result
    }

    /// The row a flush inserted is gone (rolled back): the object is transient again.
    pub(super) fn undo_insert(&mut self, Inserted { obj, assigned }: Inserted) {
        crate::collect::note(&obj);
        self.forget_holder(&obj);
        if let Some(k) = obj.state().key.clone() {
            self.identity.remove(obj.meta(), &k);
        }
        {
            let mut state = obj.state();
            state.status = Status::Transient;
            state.key = None;
            state.session = Weak::new();
            state.registered = false;
            // What the flush could not set on the fields then is void with its row.
            state.unapplied = None;
        }
        // The row is gone: so is the key the database gave it, and what the flush wrote
        // from its relationships is to be written again if it is added back (a borrowed
        // object keeps its key value; adding it back then inserts that key).
        if let Some(col) = assigned {
            let _ = obj.set_columns(&[(col, Value::Null)]);
        }
        for rel in obj.relations() {
            rel.0.restore_pending();
        }
    }

    /// Reloads an object's row (an expired object's first access, or `refresh`, which expires
    /// its relationships first).
    pub(crate) fn refresh_obj(&mut self, obj: &ObjRef) -> Result<()> {
        let result = self.reload_row(obj);
        self.settle(result)
    }

    fn reload_row(&mut self, obj: &ObjRef) -> Result<()> {
        let meta = obj.meta();
        let Some(key) = obj.state().key.clone() else {
            return Err(Error::Detached {
                table: meta.rust_name,
                reason: "it has no row yet (flush it first)",
            });
        };
        let mut found = false;
        self.conn()?
            .query(&meta.sql().select_by_key, &key.to_values(), |row| {
                obj.load_row(&RowReader::new(row, meta))?;
                found = true;
                Ok(())
            })?;
        if !found {
            // Deleted by someone else: it leaves the identity map and the session, and says
            // so when read.
            self.identity.remove(meta, &key);
            self.forget_holder(obj);
            let mut state = obj.state();
            state.status = Status::Detached;
            state.session = Weak::new();
            state.vanished = true;
            return Err(Error::ObjectDeleted {
                table: meta.name,
                key: key.to_string(),
            });
        }
        obj.clear_poison();
        {
            let mut state = obj.state();
            state.expired = false;
            state.snapshot = None;
            state.unapplied = None;
        }
        // Relationships are not expired here: an expired object's were expired with it, and
        // what they recorded since (a change made on the other side while this one was
        // unloaded) is a pending change that must survive the reload.
        set_one_keys(obj)
    }
}

/// The session's connection, taken from the pool and put in a transaction on first use.
pub(super) fn open_conn<'a>(slot: &'a mut Option<Conn>, engine: &Engine) -> Result<&'a mut Conn> {
    let conn = match slot {
        Some(c) => c,
        None => slot.insert(engine.connection()?),
    };
    conn.begin()?;
    Ok(conn)
}
