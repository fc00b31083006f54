//! The [`Session`]: one connection, one transaction at a time (begun on first use), an
//! identity map, and the lists of objects the next flush must look at.
//!
//! Design: a `Session` is an `Arc` to a `Mutex`-guarded core. Tracked objects hold a `Weak`
//! link to it, so a relationship can load lazily through its owner's session, and once the
//! session is closed or dropped that link fails with [`Error::Detached`] instead of
//! panicking. The core lock is taken by public methods and by those lazy loads, never while
//! an object's own locks are held; the flush (`unit_of_work`) runs under it and never loads
//! lazily (whatever it needs is loaded before, e.g. by `delete`). Objects with pending changes
//! are held strongly by the lists here; clean ones only weakly by the identity map.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use rustc_hash::FxHashSet;

use crate::engine::{Conn, Engine};
use crate::error::{Error, Result};
use crate::identity::IdentityMap;
use crate::object::{addr, typed, ObjRef, Status, Tracked};
use crate::query::Select;
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::sql;
use crate::table::{RowReader, Table};
use crate::value::{Key, Value};

pub(crate) struct SessionShared {
    core: Mutex<SessionCore>,
}

impl SessionShared {
    fn lock(&self) -> MutexGuard<'_, SessionCore> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub(crate) struct SessionCore {
    pub(crate) engine: Engine,
    pub(crate) conn: Option<Conn>,
    pub(crate) me: Weak<SessionShared>,
    pub(crate) identity: IdentityMap,
    /// Objects to insert, in the order they entered the session.
    pub(crate) new: Vec<ObjRef>,
    /// Persistent objects that may have column or relationship changes.
    pub(crate) modified: Vec<ObjRef>,
    /// Objects to delete at the next flush.
    pub(crate) deleted: Vec<ObjRef>,
    /// Objects inserted / deleted by flushes of the open transaction (undone by rollback).
    pub(crate) inserted_in_tx: Vec<ObjRef>,
    pub(crate) deleted_in_tx: Vec<ObjRef>,
    /// Whether a flush of the open transaction wrote something (later flushes then run
    /// under a savepoint).
    pub(crate) wrote_in_tx: bool,
    expire_on_commit: bool,
    autoflush: bool,
}

/// A unit of work over one connection, like SQLModel's `Session`.
///
/// ```text
/// let session = Session::new(&engine);
/// session.add(&hero)?;
/// session.commit()?;            // INSERT ..., COMMIT; `hero` is expired
/// println!("{:?}", hero.read()?.id); // SELECT ... WHERE hero.id = ?
/// ```
/// Dropping the session (or [`close`](Self::close)) rolls back what was not committed.
pub struct Session {
    shared: Arc<SessionShared>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let core = self.shared.lock();
        f.debug_struct("Session")
            .field("new", &core.new.len())
            .field("modified", &core.modified.len())
            .field("deleted", &core.deleted.len())
            .finish()
    }
}

/// The rows a `select` returned, as tracked objects.
pub struct Rows<T> {
    table: &'static str,
    items: Vec<Tracked<T>>,
}

impl<T: Table + std::fmt::Debug> std::fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<T: Table> Rows<T> {
    /// Every row.
    pub fn all(self) -> Vec<Tracked<T>> {
        self.items
    }

    /// The first row, if any.
    pub fn first(self) -> Option<Tracked<T>> {
        self.items.into_iter().next()
    }

    /// The only row.
    ///
    /// # Errors
    /// [`Error::NoRow`] when there is none, [`Error::MultipleRows`] when there are several.
    pub fn one(self) -> Result<Tracked<T>> {
        match self.items.len() {
            1 => Ok(self.items.into_iter().next().expect("one item")),
            0 => Err(Error::NoRow { table: self.table }),
            count => Err(Error::MultipleRows {
                table: self.table,
                count,
            }),
        }
    }

    /// The only row, or `None`.
    ///
    /// # Errors
    /// [`Error::MultipleRows`] when there are several.
    pub fn one_or_none(self) -> Result<Option<Tracked<T>>> {
        match self.items.len() {
            0 => Ok(None),
            _ => self.one().map(Some),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T> IntoIterator for Rows<T> {
    type Item = Tracked<T>;
    type IntoIter = std::vec::IntoIter<Tracked<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl Session {
    /// A new session on `engine`. It takes a connection when it first needs one.
    pub fn new(engine: &Engine) -> Session {
        let shared = Arc::new_cyclic(|me| SessionShared {
            core: Mutex::new(SessionCore {
                engine: engine.clone(),
                conn: None,
                me: me.clone(),
                identity: IdentityMap::default(),
                new: Vec::new(),
                modified: Vec::new(),
                deleted: Vec::new(),
                inserted_in_tx: Vec::new(),
                deleted_in_tx: Vec::new(),
                wrote_in_tx: false,
                expire_on_commit: true,
                autoflush: true,
            }),
        });
        Session { shared }
    }

    /// Whether `commit` expires loaded objects (default: yes).
    #[must_use]
    pub fn expire_on_commit(self, on: bool) -> Session {
        self.shared.lock().expire_on_commit = on;
        self
    }

    /// Whether queries flush pending changes first (default: yes).
    #[must_use]
    pub fn autoflush(self, on: bool) -> Session {
        self.shared.lock().autoflush = on;
        self
    }

    /// Adds `obj` to the session, with everything reachable through its relationships
    /// (save-update cascade), in the order reached. Adding an object twice is a no-op.
    ///
    /// # Errors
    /// [`Error::OtherSession`] when an object belongs to another session.
    pub fn add<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        self.shared.lock().cascade_add(obj.erased())
    }

    /// Adds each object, in order.
    ///
    /// # Errors
    /// As [`add`](Self::add).
    pub fn add_all<'a, T: Table>(
        &self,
        objs: impl IntoIterator<Item = &'a Tracked<T>>,
    ) -> Result<()> {
        let mut core = self.shared.lock();
        for obj in objs {
            core.cascade_add(obj.erased())?;
        }
        Ok(())
    }

    /// The object with primary key `key`: from the identity map without SQL when it is
    /// there, else one SELECT. `None` when there is no such row.
    ///
    /// # Errors
    /// [`Error::KeyShape`] for a key with the wrong number of columns; statement errors.
    pub fn get<T: Table>(&self, key: impl Into<Key>) -> Result<Option<Tracked<T>>> {
        let key = key.into();
        let meta = T::meta();
        if key.len() != meta.primary_key.len() {
            return Err(Error::KeyShape {
                table: meta.name,
                expected: meta.primary_key.len(),
                got: key.len(),
            });
        }
        let mut core = self.shared.lock();
        if let Some(obj) = core.identity.get(meta, &key) {
            if obj.state().status == Status::Deleted {
                return Ok(None);
            }
            if obj.state().expired {
                match core.refresh_obj(&obj) {
                    Err(Error::ObjectDeleted { .. }) => return Ok(None),
                    other => other?,
                }
            }
            return Ok(typed(obj));
        }
        core.autoflush()?;
        core.fetch_by_key::<T>(&key)
    }

    /// Runs a `select` (flushing pending changes first) and returns its rows as tracked
    /// objects; a row already in the identity map comes back as that same object.
    ///
    /// # Errors
    /// Statement and decoding errors; errors of the autoflush.
    pub fn exec<T: Table>(&self, query: Select<T>) -> Result<Rows<T>> {
        let mut core = self.shared.lock();
        core.autoflush()?;
        let meta = T::meta();
        let mut params = Vec::new();
        let text = sql::select(
            meta,
            query.filter.as_ref(),
            &query.order,
            query.limit,
            query.offset,
            &mut params,
        );
        let items = core.fetch::<T>(&text, &params)?;
        Ok(Rows {
            table: meta.name,
            items,
        })
    }

    /// Marks `obj` for deletion at the next flush. Its many-to-many links (and the children
    /// of its one-to-many relationships) are loaded now, so the flush can delete the link rows
    /// (and unset the children's foreign keys).
    ///
    /// # Errors
    /// [`Error::Detached`] when the object is not in this session; loading errors.
    pub fn delete<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let status = {
            let state = obj.state();
            let mine = state
                .session
                .upgrade()
                .is_some_and(|s| Arc::ptr_eq(&s, &self.shared));
            if !mine && state.status != Status::Transient {
                return Err(Error::OtherSession {
                    table: obj.meta().rust_name,
                });
            }
            state.status
        };
        match status {
            Status::Transient => Err(Error::Detached {
                table: obj.meta().rust_name,
                reason: "it was never added to this session",
            }),
            Status::Pending => {
                // Never written: just forget it.
                let mut core = self.shared.lock();
                core.new.retain(|o| addr(o) != addr(&obj));
                let mut state = obj.state();
                state.status = Status::Transient;
                state.session = Weak::new();
                Ok(())
            }
            Status::Deleted | Status::Detached => Ok(()),
            Status::Persistent => {
                for (i, rel) in obj.meta().relations.iter().enumerate() {
                    if rel.kind != RelationKind::ManyToOne {
                        obj.relations()[i].load_members()?;
                    }
                }
                let mut core = self.shared.lock();
                obj.state().status = Status::Deleted;
                core.deleted.push(obj);
                Ok(())
            }
        }
    }

    /// Writes every pending change, in dependency order, inside the session's transaction.
    /// On failure nothing is written and the objects keep their pending changes.
    ///
    /// # Errors
    /// The failing statement, or what makes a change impossible to write.
    pub fn flush(&self) -> Result<()> {
        self.shared.lock().flush()
    }

    /// Flushes, commits, then expires loaded objects (unless turned off), so the next
    /// access reads fresh data.
    ///
    /// # Errors
    /// Errors of the flush or of the COMMIT.
    pub fn commit(&self) -> Result<()> {
        let mut core = self.shared.lock();
        core.flush()?;
        if let Some(conn) = core.conn.as_mut() {
            conn.commit()?;
        }
        core.wrote_in_tx = false;
        core.inserted_in_tx.clear();
        for obj in std::mem::take(&mut core.deleted_in_tx) {
            let mut state = obj.state();
            state.status = Status::Detached;
            state.session = Weak::new();
        }
        if core.expire_on_commit {
            for obj in core.identity.objects() {
                expire(&obj);
            }
        }
        Ok(())
    }

    /// Rolls back the transaction and every change not committed: new objects leave the
    /// session, deleted ones come back, and loaded objects are expired.
    ///
    /// # Errors
    /// Errors of the ROLLBACK.
    pub fn rollback(&self) -> Result<()> {
        self.shared.lock().rollback(true)
    }

    /// Reloads `obj` from its row now (one SELECT), discarding unflushed changes to it.
    ///
    /// # Errors
    /// [`Error::ObjectDeleted`] when the row is gone; statement errors.
    pub fn refresh<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let mut core = self.shared.lock();
        core.check_mine(&obj)?;
        // Unflushed relationship changes are discarded too; the row load below then tells
        // the many-to-one relationships their keys.
        for rel in obj.relations() {
            rel.expire();
        }
        core.refresh_obj(&obj)
    }

    /// Expires `obj`: its next access reloads it.
    pub fn expire<T: Table>(&self, obj: &Tracked<T>) {
        expire(&obj.erased());
    }

    /// Expires every object in the session.
    pub fn expire_all(&self) {
        let core = self.shared.lock();
        for obj in core.identity.objects() {
            expire(&obj);
        }
    }

    /// Rolls back what was not committed and detaches every object; the session can be used
    /// again afterwards. Dropping the session does the same.
    ///
    /// # Errors
    /// Errors of the ROLLBACK.
    pub fn close(&self) -> Result<()> {
        let mut core = self.shared.lock();
        // Like dropping the session, closing leaves loaded columns readable (SQLAlchemy's
        // `close` expunges, it does not expire).
        let result = core.rollback(false);
        core.release_objects();
        result
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.lock().release_objects();
    }
}

fn detach(obj: &ObjRef) {
    let mut state = obj.state();
    if state.status != Status::Transient {
        state.status = Status::Detached;
    }
    state.session = Weak::new();
    state.registered = false;
}

pub(crate) fn expire(obj: &ObjRef) {
    {
        let mut state = obj.state();
        if state.key.is_none() {
            return;
        }
        state.expired = true;
        state.snapshot = None;
    }
    for rel in obj.relations() {
        rel.expire();
    }
}

impl SessionCore {
    /// Lets go of every object: detached, and their loaded relationships dropped. Two
    /// objects loaded on both sides of a relationship hold each other; dropping what the
    /// relationships hold breaks that cycle, so the objects are freed once the user's
    /// handles are gone. (Expire on commit does the same for a session that lives on.)
    fn release_objects(&mut self) {
        let objects: Vec<ObjRef> = self
            .identity
            .objects()
            .into_iter()
            .chain(std::mem::take(&mut self.new))
            .chain(std::mem::take(&mut self.modified))
            .chain(std::mem::take(&mut self.deleted))
            .collect();
        for obj in &objects {
            detach(obj);
            for rel in obj.relations() {
                rel.expire();
            }
        }
        self.identity.clear();
        self.inserted_in_tx.clear();
        self.deleted_in_tx.clear();
        self.conn = None;
    }

    pub(crate) fn conn(&mut self) -> Result<&mut Conn> {
        open_conn(&mut self.conn, &self.engine)
    }

    fn check_mine(&self, obj: &ObjRef) -> Result<()> {
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

    fn autoflush(&mut self) -> Result<()> {
        if self.autoflush {
            self.flush()?;
        }
        Ok(())
    }

    /// Adds `root` and everything reachable from it, depth first, in the order reached.
    pub(crate) fn cascade_add(&mut self, root: ObjRef) -> Result<()> {
        let mut seen: FxHashSet<usize> = FxHashSet::default();
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
                match state.status {
                    Status::Transient => {
                        state.status = Status::Pending;
                        state.session = self.me.clone();
                        drop(state);
                        self.new.push(obj.clone());
                    }
                    Status::Detached => {
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
                    _ => {}
                }
            }
            for rel in obj.relations().iter().rev() {
                for target in rel.reachable().into_iter().rev() {
                    if !seen.contains(&addr(&target)) {
                        stack.push(target);
                    }
                }
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        crate::unit_of_work::flush(self)
    }

    /// Rolls back the transaction and the session's lists; `expire_all`: expire every object.
    fn rollback(&mut self, expire_all: bool) -> Result<()> {
        let result = match self.conn.as_mut() {
            Some(conn) => conn.rollback(),
            None => Ok(()),
        };
        self.wrote_in_tx = false;
        for obj in std::mem::take(&mut self.inserted_in_tx) {
            if let Some(k) = obj.state().key.clone() {
                self.identity.remove(obj.meta(), &k);
            }
            let mut state = obj.state();
            state.status = Status::Transient;
            state.key = None;
            state.session = Weak::new();
            state.registered = false;
        }
        for obj in std::mem::take(&mut self.new) {
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

    /// Runs a query for rows of `T`, mapping each through the identity map.
    pub(crate) fn fetch<T: Table>(
        &mut self,
        text: &str,
        params: &[Value],
    ) -> Result<Vec<Tracked<T>>> {
        let meta = T::meta();
        let me = self.me.clone();
        let mut found: Vec<(ObjRef, bool)> = Vec::new();
        let identity = &mut self.identity;
        open_conn(&mut self.conn, &self.engine)?.query(text, params, |row| {
            let reader = RowReader { row, meta };
            let key = row_key(&reader)?;
            match identity.get(meta, &key) {
                Some(obj) => {
                    // An expired object takes the fresh row instead of a SELECT of its own.
                    let reloaded = obj.state().expired && obj.load_row(&reader).is_ok();
                    if reloaded {
                        let mut state = obj.state();
                        state.expired = false;
                        state.snapshot = None;
                    }
                    found.push((obj, reloaded));
                }
                None => {
                    let obj = Tracked::<T>::from_row(&reader, me.clone(), key.clone())?.erased();
                    identity.insert(meta, key, &obj);
                    found.push((obj, true));
                }
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(found.len());
        for (obj, loaded) in found {
            if loaded {
                set_one_keys(&obj)?;
            }
            if obj.state().status == Status::Deleted {
                continue;
            }
            if let Some(t) = typed::<T>(obj) {
                out.push(t);
            }
        }
        Ok(out)
    }

    fn fetch_by_key<T: Table>(&mut self, key: &Key) -> Result<Option<Tracked<T>>> {
        let meta = T::meta();
        let sql = &meta.sql().select_by_key;
        Ok(self.fetch::<T>(sql, &key.to_values())?.into_iter().next())
    }

    /// Reloads an object's row (an expired object's first access, or `refresh`, which expires
    /// its relationships first).
    pub(crate) fn refresh_obj(&mut self, obj: &ObjRef) -> Result<()> {
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
                obj.load_row(&RowReader { row, meta })?;
                found = true;
                Ok(())
            })?;
        if !found {
            return Err(Error::ObjectDeleted {
                table: meta.name,
                key: key.to_string(),
            });
        }
        {
            let mut state = obj.state();
            state.expired = false;
            state.snapshot = None;
        }
        // Relationships are not expired here: an expired object's were expired with it, and
        // what they recorded since (a change made on the other side while this one was
        // unloaded) is a pending change that must survive the reload.
        set_one_keys(obj)
    }
}

/// The session's connection, taken from the pool and put in a transaction on first use.
pub(crate) fn open_conn<'a>(slot: &'a mut Option<Conn>, engine: &Engine) -> Result<&'a mut Conn> {
    let conn = match slot {
        Some(c) => c,
        None => slot.insert(engine.connection()?),
    };
    conn.begin()?;
    Ok(conn)
}

fn row_key(reader: &RowReader<'_>) -> Result<Key> {
    let meta = reader.meta;
    if let [i] = meta.primary_key {
        if let Ok(rusqlite::types::ValueRef::Integer(v)) = reader.row.get_ref(*i) {
            return Ok(Key::Int(v));
        }
    }
    let values: Vec<Value> = meta
        .primary_key
        .iter()
        .map(|&i| {
            reader
                .row
                .get_ref(i)
                .map(Value::from_ref)
                .map_err(Error::from)
        })
        .collect::<Result<_>>()?;
    Key::from_values(&values).ok_or(Error::Decode {
        table: meta.name,
        column: meta.columns[meta.primary_key[0]].name,
        message: "primary key is NULL".into(),
    })
}

/// The key of the row that the foreign-key columns `local` (referencing `remote` of
/// `target`) point at, from the owner's values; `None` when a column is NULL.
pub(crate) fn referenced_key(
    target: &'static TableMeta,
    local: &[usize],
    remote: &[usize],
    values: &[Value],
) -> Option<Key> {
    let mut ordered = Vec::with_capacity(target.primary_key.len());
    for pk in target.primary_key {
        let pos = remote.iter().position(|r| r == pk)?;
        ordered.push(values[local[pos]].clone());
    }
    Key::from_values(&ordered)
}

/// The key many-to-one relationship `rel` of `obj` points at by the foreign-key values the
/// object holds now (no SQL; `None` when they are NULL or the object is borrowed).
pub(crate) fn foreign_key_of(obj: &ObjRef, rel: usize) -> Option<Key> {
    let meta = obj.meta();
    let Ok(Resolved::ManyToOne { local, remote }) = meta.resolved(rel) else {
        return None;
    };
    let values = obj.column_values().ok()?;
    referenced_key((meta.relations[rel].target)(), local, remote, &values)
}

/// Tells each many-to-one relationship of a freshly loaded object which row it points at.
pub(crate) fn set_one_keys(obj: &ObjRef) -> Result<()> {
    let meta = obj.meta();
    if !meta
        .relations
        .iter()
        .any(|r| r.kind == RelationKind::ManyToOne)
    {
        return Ok(());
    }
    let values = obj.column_values()?;
    for (i, rel) in meta.relations.iter().enumerate() {
        if rel.kind != RelationKind::ManyToOne {
            continue;
        }
        if let Resolved::ManyToOne { local, remote } = meta.resolved(i)? {
            let key = referenced_key((rel.target)(), local, remote, &values);
            obj.relations()[i].set_loaded_key(key);
        }
    }
    Ok(())
}

// ---- entry points for handles and relationship cells (no session lock held by callers) ----

fn session_of(obj: &ObjRef) -> Result<Arc<SessionShared>> {
    let state = obj.state();
    state.session.upgrade().ok_or(Error::Detached {
        table: obj.meta().rust_name,
        reason: match state.status {
            Status::Transient => "it was never added to a session",
            _ => "its session is closed",
        },
    })
}

/// Fails with [`Error::Detached`] when `obj` is in no session.
pub(crate) fn require_session(obj: &ObjRef) -> Result<()> {
    session_of(obj).map(drop)
}

/// Reloads `obj`'s row now.
pub(crate) fn reload(obj: &ObjRef) -> Result<()> {
    let shared = session_of(obj)?;
    let mut core = shared.lock();
    core.refresh_obj(obj)
}

/// Reloads `obj` if it is expired.
pub(crate) fn ensure_fresh(obj: &ObjRef) -> Result<()> {
    if !obj.state().expired {
        return Ok(());
    }
    let shared = session_of(obj)?;
    let mut core = shared.lock();
    if obj.state().expired {
        core.refresh_obj(obj)?;
    }
    Ok(())
}

/// Remembers that `obj` changed, so the next flush looks at it.
pub(crate) fn register_modified(obj: &ObjRef) {
    let session = {
        let mut state = obj.state();
        if state.registered || state.status != Status::Persistent {
            return;
        }
        let Some(s) = state.session.upgrade() else {
            return;
        };
        state.registered = true;
        s
    };
    session.lock().modified.push(obj.clone());
}

/// Fails with [`Error::OtherSession`] when the cascade of `owner` to `target` would have to
/// move `target` out of another session; checked before a relationship changes anything.
pub(crate) fn check_cascade(owner: &ObjRef, target: &ObjRef) -> Result<()> {
    let Some(mine) = owner.state().session.upgrade() else {
        return Ok(());
    };
    let theirs = target.state().session.upgrade();
    match theirs {
        Some(s) if !Arc::ptr_eq(&s, &mine) => Err(Error::OtherSession {
            table: target.meta().rust_name,
        }),
        _ => Ok(()),
    }
}

/// Save-update cascade along a relationship change: `target` joins `owner`'s session.
pub(crate) fn cascade(owner: &ObjRef, target: &ObjRef) -> Result<()> {
    let session = owner.state().session.upgrade();
    if let Some(s) = session {
        s.lock().cascade_add(target.clone())?;
    }
    Ok(())
}

/// The object with `key` in `owner`'s session, if it is loaded (never runs SQL).
pub(crate) fn lookup(owner: &ObjRef, meta: &'static TableMeta, key: &Key) -> Option<ObjRef> {
    let session = owner.state().session.upgrade()?;
    let core = session.lock();
    core.identity.get(meta, key)
}

/// Loads the target of a many-to-one relationship: no SQL when it is in the identity map.
pub(crate) fn load_one<T: Table>(owner: &ObjRef, key: &Key) -> Result<Option<Tracked<T>>> {
    let shared = session_of(owner)?;
    let mut core = shared.lock();
    if let Some(obj) = core.identity.get(T::meta(), key) {
        return Ok(typed(obj));
    }
    core.fetch_by_key::<T>(key)
}

/// Loads the members of collection `rel` of `owner`: one SELECT.
pub(crate) fn load_many<T: Table>(owner: &ObjRef, rel: usize) -> Result<Vec<Tracked<T>>> {
    let (status, key) = {
        let state = owner.state();
        (state.status, state.key.clone())
    };
    if status == Status::Pending {
        return Ok(Vec::new());
    }
    let shared = session_of(owner)?;
    let Some(key) = key else {
        return Ok(Vec::new());
    };
    let meta = owner.meta();
    let owner_values = |cols: &mut dyn Iterator<Item = usize>| -> Result<Vec<Value>> {
        let key_values = key.to_values();
        cols.map(|c| match meta.primary_key.iter().position(|p| *p == c) {
            Some(pos) => Ok(key_values[pos].clone()),
            None => owner.column_value(c),
        })
        .collect()
    };
    let (text, params) = match meta.resolved(rel)? {
        Resolved::OneToMany { remote_fk, local } => (
            sql::select_children(T::meta(), remote_fk),
            owner_values(&mut local.iter().copied())?,
        ),
        Resolved::ManyToMany {
            link,
            to_owner,
            to_target,
        } => (
            sql::select_through_link(T::meta(), link, to_owner, to_target),
            owner_values(&mut to_owner.iter().map(|p| p.1))?,
        ),
        Resolved::ManyToOne { .. } => return Ok(Vec::new()),
    };
    let mut core = shared.lock();
    core.fetch::<T>(&text, &params)
}
