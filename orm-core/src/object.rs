//! Tracked objects: [`Tracked<T>`], the handle to the one live object of a row, and the state
//! the session keeps beside it (status, primary key, expired flag, the committed snapshot of
//! column values taken at the first write).
//!
//! A handle is an `Arc` to a cell holding the struct behind a `RwLock`, the state behind a
//! `Mutex`, and the shared cells of its relationship fields. Access is borrow-checked at run
//! time like a `RefCell`: a conflicting borrow is an [`Error::Borrowed`], never a deadlock.
//! Locks are never nested across objects: the session takes the data lock of one object at a
//! time, and relationship cells have their own locks.

use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, RwLock, TryLockError, Weak};

use crate::error::{Error, Result};
use crate::relation::CellRef;
use crate::schema::TableMeta;
use crate::session::SessionShared;
use crate::table::{RowReader, Table};
use crate::value::{Key, Value};

/// Where an object stands with respect to a session (SQLAlchemy's object states).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not in any session.
    Transient,
    /// Added to a session, not flushed yet.
    Pending,
    /// Has a row in the database, known to a session.
    Persistent,
    /// Deleted in a session (flushed or not).
    Deleted,
    /// Was in a session that is gone, or was deleted and committed.
    Detached,
}

pub(crate) struct ObjState {
    pub status: Status,
    pub key: Option<Key>,
    pub session: Weak<SessionShared>,
    pub expired: bool,
    /// Column values as the database has them, taken at the first write after a load/flush.
    pub snapshot: Option<Box<[Value]>>,
    /// Registered in the session's list of objects to look at in the next flush.
    pub registered: bool,
    /// A reload found the row gone (deleted by someone else): the object is detached, and
    /// reading it is `ObjectDeleted`.
    pub vanished: bool,
    /// How many write guards were taken: a flush that read the values before the last one
    /// knows the object changed while it ran.
    pub writes: u64,
    /// Column values a flush wrote that could not be set on the fields then (another thread
    /// held a guard); set at the next access that can take the write lock.
    pub unapplied: Option<Box<[(usize, Value)]>>,
    /// A relationship assignment that could not be applied when its guard dropped (boxed:
    /// rare, and an error is large beside the rest of the state).
    pub deferred_error: Option<Box<Error>>,
}

impl ObjState {
    /// The status, reading `Detached` for an object whose session is gone (dropping a session
    /// does not visit every object it loaded).
    pub(crate) fn effective_status(&self) -> Status {
        match self.status {
            Status::Persistent | Status::Pending | Status::Deleted
                if self.session.strong_count() == 0 =>
            {
                Status::Detached
            }
            status => status,
        }
    }
}

pub(crate) struct ObjCell<T> {
    data: RwLock<T>,
    state: Mutex<ObjState>,
    /// The shared cells of the relationship fields, in field order.
    relations: OnceLock<Box<[CellRef]>>,
    /// A candidate of the cycle collector (see `collect`).
    collect: AtomicBool,
}

/// An object of the session's unit of work, type-erased.
pub(crate) type ObjRef = Arc<dyn ErasedObj>;

/// What the session and relationships need of any tracked object.
pub(crate) trait ErasedObj: Send + Sync + 'static {
    fn meta(&self) -> &'static TableMeta;
    fn state(&self) -> MutexGuard<'_, ObjState>;
    /// The state, unless its lock is taken (the cycle collector never waits).
    fn try_state(&self) -> Option<MutexGuard<'_, ObjState>>;
    /// Whether the object is a candidate of the cycle collector.
    fn collect_flag(&self) -> &AtomicBool;
    fn relations(&self) -> &[CellRef];
    fn column_values(&self) -> Result<Vec<Value>>;
    fn column_value(&self, index: usize) -> Result<Value>;
    /// What the flush UPDATEs of the row: the columns whose value differs from the row as
    /// stored (the snapshot), with `overlay`'s values (computed by the flush) standing for
    /// the fields'. Without a snapshot (no write since the row was read) only those can
    /// differ. Columns that did not change are compared in place, not copied.
    fn changes(&self, overlay: &[(usize, Value)]) -> Result<Changes>;
    /// Fails with `Borrowed` when a write guard is out (a change in progress, which a flush
    /// must not write half of), so a flush can check before it writes, and with `Poisoned`
    /// when a panic left a change to the object half done. A read guard is no obstacle: what
    /// the flush sets on the fields (a new id) waits until it is gone (`unapplied`).
    fn check_writable(&self) -> Result<()>;
    /// A reload made the object whole again after a panic under a write guard.
    fn clear_poison(&self);
    /// Sets the values a flush could not set (see `ObjState::unapplied`), if the write lock
    /// is free now.
    fn apply_unapplied(&self);
    fn set_columns(&self, values: &[(usize, Value)]) -> Result<()>;
    /// Fails with `InvalidValue` when `value` does not fit column `index`'s field.
    fn check_value(&self, index: usize, value: &Value) -> Result<()>;
    fn load_row(&self, row: &RowReader<'_>) -> Result<()>;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// The columns of a row that changed, in column order, with their new values, and the
/// object's write count when they were read ([`ObjState::writes`]).
pub(crate) struct Changes {
    pub writes: u64,
    pub columns: Vec<usize>,
    pub values: Vec<Value>,
}

/// The address of an object, its identity before it has a key.
pub(crate) fn addr(obj: &ObjRef) -> usize {
    Arc::as_ptr(obj) as *const () as usize
}

/// Turns an erased object back into a typed handle.
pub(crate) fn typed<T: Table>(obj: ObjRef) -> Option<Tracked<T>> {
    obj.as_any().downcast::<ObjCell<T>>().ok().map(Tracked)
}

fn borrowed(table: &'static str, detail: &'static str) -> Error {
    Error::Borrowed { table, detail }
}

impl<T: Table> ObjCell<T> {
    fn read_data(&self) -> Result<std::sync::RwLockReadGuard<'_, T>> {
        match self.data.try_read() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(borrowed(T::TABLE_NAME, " mutably")),
        }
    }

    fn write_data(&self) -> Result<std::sync::RwLockWriteGuard<'_, T>> {
        match self.data.try_write() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(borrowed(T::TABLE_NAME, "")),
        }
    }
}

impl<T: Table> ErasedObj for ObjCell<T> {
    fn meta(&self) -> &'static TableMeta {
        T::meta()
    }

    fn state(&self) -> MutexGuard<'_, ObjState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn try_state(&self) -> Option<MutexGuard<'_, ObjState>> {
        crate::relation::try_lock(&self.state)
    }

    fn collect_flag(&self) -> &AtomicBool {
        &self.collect
    }

    fn relations(&self) -> &[CellRef] {
        self.relations.get().map_or(&[], |r| r)
    }

    fn column_values(&self) -> Result<Vec<Value>> {
        Ok(self.read_data()?.column_values())
    }

    fn column_value(&self, index: usize) -> Result<Value> {
        Ok(self.read_data()?.column_value(index))
    }

    fn changes(&self, overlay: &[(usize, Value)]) -> Result<Changes> {
        let data = self.read_data()?;
        let state = self.state();
        let computed = |c: usize| overlay.iter().find(|(o, _)| *o == c).map(|(_, v)| v);
        let mut changes = Changes {
            writes: state.writes,
            columns: Vec::new(),
            values: Vec::new(),
        };
        match &state.snapshot {
            Some(stored) => {
                for (c, stored) in stored.iter().enumerate() {
                    let value = match computed(c) {
                        Some(v) if v != stored => v.clone(),
                        Some(_) => continue,
                        None if data.column_equals(c, stored) => continue,
                        None => data.column_value(c),
                    };
                    changes.columns.push(c);
                    changes.values.push(value);
                }
            }
            None => {
                let mut changed: Vec<(usize, Value)> = overlay
                    .iter()
                    .filter(|(c, v)| !data.column_equals(*c, v))
                    .cloned()
                    .collect();
                changed.sort_unstable_by_key(|(c, _)| *c);
                (changes.columns, changes.values) = changed.into_iter().unzip();
            }
        }
        Ok(changes)
    }

    fn check_writable(&self) -> Result<()> {
        drop(self.read_data()?);
        self.apply_unapplied();
        if self.data.is_poisoned() {
            return Err(Error::Poisoned {
                table: T::TABLE_NAME,
                key: self.state().key.as_ref().map(ToString::to_string),
            });
        }
        Ok(())
    }

    fn clear_poison(&self) {
        self.data.clear_poison();
    }

    fn apply_unapplied(&self) {
        let Some(values) = self.state().unapplied.take() else {
            return;
        };
        let applied = match self.data.try_write() {
            Ok(mut data) => values.iter().all(|(i, v)| data.set_column(*i, v).is_ok()),
            Err(_) => false,
        };
        if !applied {
            self.state().unapplied.get_or_insert(values);
        }
    }

    fn set_columns(&self, values: &[(usize, Value)]) -> Result<()> {
        let mut data = self.write_data()?;
        for (i, v) in values {
            data.set_column(*i, v).map_err(|e| Error::Decode {
                table: T::TABLE_NAME,
                column: T::COLUMNS[*i].name,
                message: e.0,
            })?;
        }
        Ok(())
    }

    fn load_row(&self, row: &RowReader<'_>) -> Result<()> {
        self.write_data()?.load_row(row)
    }

    fn check_value(&self, index: usize, value: &Value) -> Result<()> {
        T::check_column(index, value).map_err(|e| Error::InvalidValue {
            table: T::TABLE_NAME,
            column: T::COLUMNS[index].name,
            message: e.0,
        })
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// The handle to a tracked object: the one live object of a row in a session (or a new
/// object on its way there). Cheap to clone; clones are the same object, and `==` compares
/// identity. `Send`, so it can move with its session across threads.
///
/// Reading may reload an expired object, so access returns `Result`:
/// ```
/// # use orm::prelude::*;
/// # #[derive(Table, Debug, Default)]
/// # pub struct Team {
/// #     #[orm(primary_key)]
/// #     pub id: Option<i64>,
/// #     pub name: String,
/// #     #[orm(relationship(back_populates = "team"))]
/// #     pub heroes: Many<Hero>,
/// # }
/// # #[derive(Table, Debug, Default)]
/// # pub struct Hero {
/// #     #[orm(primary_key)]
/// #     pub id: Option<i64>,
/// #     pub name: String,
/// #     pub age: Option<i64>,
/// #     #[orm(foreign_key = "team.id")]
/// #     pub team_id: Option<i64>,
/// #     #[orm(relationship(back_populates = "heroes"))]
/// #     pub team: One<Team>,
/// # }
/// # fn main() -> orm::Result<()> {
/// let hero = Hero { name: "Deadpond".into(), ..Default::default() }.track();
/// hero.write()?.age = Some(30);
/// assert_eq!(hero.read()?.age, Some(30));
/// let same = hero.clone();
/// assert!(same == hero); // a clone is the same object
/// assert!(hero != Hero { name: "Deadpond".into(), ..Default::default() }.track());
/// assert_eq!(hero.status(), orm::Status::Transient); // in no session yet
/// # Ok(())
/// # }
/// ```
pub struct Tracked<T>(pub(crate) Arc<ObjCell<T>>);

impl<T> Clone for Tracked<T> {
    fn clone(&self) -> Self {
        Tracked(Arc::clone(&self.0))
    }
}

/// A handle that does not keep the object alive (what a detached collection keeps).
pub(crate) struct WeakTracked<T>(Weak<ObjCell<T>>);

impl<T> WeakTracked<T> {
    pub(crate) fn upgrade(&self) -> Option<Tracked<T>> {
        self.0.upgrade().map(Tracked)
    }

    /// The object's address (see [`Tracked::addr`]).
    pub(crate) fn addr(&self) -> usize {
        self.0.as_ptr() as *const () as usize
    }
}

impl<T> Tracked<T> {
    pub(crate) fn downgrade(&self) -> WeakTracked<T> {
        WeakTracked(Arc::downgrade(&self.0))
    }

    /// The object's address: its identity, for hash sets.
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as *const () as usize
    }
}

impl<T> PartialEq for Tracked<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Eq for Tracked<T> {}

impl<T> Hash for Tracked<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (Arc::as_ptr(&self.0) as usize).hash(state);
    }
}

impl<T: Table> Tracked<T> {
    /// Starts tracking a new (transient) object; same as [`Table::track`]. Relationship
    /// fields given in the struct are linked both ways at once (`back_populates`).
    pub fn new(value: T) -> Tracked<T> {
        crate::collect::run_if_due();
        let tracked = Tracked::with_state(value, Status::Transient, None, Weak::new(), true);
        crate::collect::note(&tracked.erased());
        tracked
    }

    /// Builds a tracked object from a row (a persistent object's first load).
    pub(crate) fn from_row(
        row: &RowReader<'_>,
        session: Weak<SessionShared>,
        key: Key,
    ) -> Result<Tracked<T>> {
        let value = T::from_row(row)?;
        Ok(Tracked::with_state(
            value,
            Status::Persistent,
            Some(key),
            session,
            false,
        ))
    }

    /// `sync`: tell the other side of each relationship what the value was built with.
    fn with_state(
        value: T,
        status: Status,
        key: Option<Key>,
        session: Weak<SessionShared>,
        sync: bool,
    ) -> Tracked<T> {
        let cells = value.relation_cells();
        let tracked = Tracked(Arc::new(ObjCell {
            data: RwLock::new(value),
            state: Mutex::new(ObjState {
                status,
                key,
                session,
                expired: false,
                snapshot: None,
                registered: false,
                vanished: false,
                unapplied: None,
                writes: 0,
                deferred_error: None,
            }),
            relations: OnceLock::new(),
            collect: AtomicBool::new(false),
        }));
        tracked.bind_relations(cells, sync);
        tracked
    }

    fn bind_relations(&self, cells: Vec<CellRef>, sync: bool) {
        if cells.is_empty() {
            return;
        }
        let owner: ObjRef = self.erased();
        let weak = Arc::downgrade(&owner);
        for (i, c) in cells.iter().enumerate() {
            c.0.bind(weak.clone(), T::meta(), i);
        }
        let _ = self.0.relations.set(cells.into_boxed_slice());
        if sync {
            for c in self.0.relations() {
                c.0.sync_initial(&owner);
            }
        }
    }

    pub(crate) fn erased(&self) -> ObjRef {
        self.0.clone()
    }

    /// Reads the object. An expired object (after commit) is reloaded first, with one SELECT.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<(Team, Hero)>()?;
    /// # let session = Session::new(&engine);
    /// # // Teams 1 and 2; heroes 1 to 4.
    /// # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
    /// # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
    /// # session.add_all([&preventers, &z_force])?;
    /// # for (name, age, team) in [
    /// #     ("Deadpond", None, Some(&z_force)),
    /// #     ("Rusty-Man", Some(48), Some(&preventers)),
    /// #     ("Spider-Boy", None, Some(&preventers)),
    /// #     ("Tarantula", Some(32), None),
    /// # ] {
    /// #     let team = team.map_or_else(One::none, One::to);
    /// #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
    /// # }
    /// # session.commit()?;
    /// # // The names of the heroes a query returns, in order.
    /// # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
    /// #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
    /// # };
    /// let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    /// session.commit()?; // expires it
    /// let log = engine.capture();
    /// assert_eq!(rusty.read()?.name, "Rusty-Man");
    /// assert!(log.take_lines().last().unwrap().ends_with("WHERE hero.id = ? (2,)"));
    /// let guard = rusty.read()?;
    /// assert!(matches!(rusty.write(), Err(orm::Error::Borrowed { .. })));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Borrowed`] while a [`write`](Self::write) guard is out; a reload error.
    pub fn read(&self) -> Result<ReadGuard<'_, T>> {
        crate::session::ensure_fresh(&self.erased())?;
        Ok(ReadGuard(self.0.read_data()?))
    }

    /// Changes the object. The session notices the columns that change and writes only those
    /// at the next flush. Assigning a relationship field (`guard.team = One::to(&t)`) is
    /// applied, with its other side, when the guard drops.
    ///
    /// If the program panics while the guard is out, the change may be half done: the object
    /// can still be read, but the session refuses to flush it ([`Error::Poisoned`]) until
    /// [`Session::refresh`](crate::Session::refresh) reloads it (or it leaves the session).
    /// A flush that failed for it makes the session wait for
    /// [`Session::rollback`](crate::Session::rollback), which expires it: the next access
    /// reloads it whole.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// # let engine = Engine::memory()?;
    /// # engine.create_all::<(Team, Hero)>()?;
    /// # let session = Session::new(&engine);
    /// # // Teams 1 and 2; heroes 1 to 4.
    /// # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
    /// # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
    /// # session.add_all([&preventers, &z_force])?;
    /// # for (name, age, team) in [
    /// #     ("Deadpond", None, Some(&z_force)),
    /// #     ("Rusty-Man", Some(48), Some(&preventers)),
    /// #     ("Spider-Boy", None, Some(&preventers)),
    /// #     ("Tarantula", Some(32), None),
    /// # ] {
    /// #     let team = team.map_or_else(One::none, One::to);
    /// #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
    /// # }
    /// # session.commit()?;
    /// # // The names of the heroes a query returns, in order.
    /// # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
    /// #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
    /// # };
    /// let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    /// let log = engine.capture();
    /// rusty.write()?.age = Some(49);
    /// session.flush()?;
    /// assert_eq!(log.take_lines(), ["UPDATE hero SET age=? WHERE hero.id = ? (49, 2)"]);
    /// // A relationship field assigned through the guard: both sides follow.
    /// rusty.write()?.team = One::to(&z_force);
    /// assert!(z_force.read()?.heroes.contains(&rusty)?);
    /// assert!(!preventers.read()?.heroes.contains(&rusty)?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Borrowed`] while another guard is out; a reload error.
    pub fn write(&self) -> Result<WriteGuard<'_, T>> {
        let obj = self.erased();
        if crate::engine::in_hook() && self.0.state().session.strong_count() > 0 {
            return Err(Error::Reentrant);
        }
        crate::session::ensure_fresh(&obj)?;
        let guard = self.0.write_data()?;
        let register = {
            let mut state = self.0.state();
            // Anything with a row (persistent, or detached and added back later) compares
            // with the values it had at its first write.
            if state.key.is_some() && state.snapshot.is_none() {
                state.snapshot = Some(guard.column_values().into_boxed_slice());
            }
            state.writes += 1;
            !state.registered && matches!(state.status, Status::Persistent | Status::Pending)
        };
        if register {
            crate::session::register_modified(&obj);
        }
        Ok(WriteGuard {
            guard: Some(guard),
            cell: &self.0,
        })
    }

    /// The primary key, once the object has one (after its INSERT, or when loaded).
    pub fn key(&self) -> Option<Key> {
        self.0.state().key.clone()
    }

    /// Where the object stands with respect to its session.
    pub fn status(&self) -> Status {
        self.0.state().effective_status()
    }

    /// Whether the object is expired: its next read reloads it.
    pub fn is_expired(&self) -> bool {
        self.0.state().expired
    }
}

/// Prints the object's fields. Like attribute access in SQLModel, printing an expired object
/// reloads it first (one SELECT); if that fails, the error is printed instead.
impl<T: Table + fmt::Debug> fmt::Debug for Tracked<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.read() {
            Ok(data) => fmt::Debug::fmt(&*data, f),
            Err(e) => write!(f, "{}(<{e}>)", T::meta().rust_name),
        }
    }
}

/// A shared borrow of a tracked object.
pub struct ReadGuard<'a, T>(std::sync::RwLockReadGuard<'a, T>);

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// An exclusive borrow of a tracked object; changes are picked up by the next flush.
pub struct WriteGuard<'a, T: Table> {
    guard: Option<std::sync::RwLockWriteGuard<'a, T>>,
    cell: &'a Arc<ObjCell<T>>,
}

impl<T: Table> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard present until drop")
    }
}

impl<T: Table> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard present until drop")
    }
}

impl<T: Table + fmt::Debug> fmt::Debug for WriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Table> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let bound = self.cell.relations.get().map_or(&[][..], |c| c);
        let reassigned = guard.restore_relations(bound);
        drop(guard);
        for r in reassigned {
            if let Err(e) = r.apply() {
                self.cell.state().deferred_error.get_or_insert(Box::new(e));
            }
        }
    }
}
