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
//!
//! A lazy load the user asked for flushes first (autoflush), from the relationship cell with
//! no lock held: not the session's, not a cell's, not an object's state (the flush takes all
//! of those). Object data locks are only ever tried, so a guard the user holds cannot hang a
//! flush: a read guard does not stop it, and a write guard (a change in progress) makes the
//! lazy load skip its flush. Loads made in the middle of a relationship change never flush
//! (`relation::LoadFor`). After a failed flush or commit the session refuses SQL until
//! `rollback()` ([`Error::PendingRollback`]).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::engine::{Conn, Engine};
use crate::error::{Error, Result};
use crate::identity::IdentityMap;
use crate::loader::{LoadNode, LoadOptions};
use crate::object::{addr, typed, ObjRef, Status, Tracked};
use crate::query::Select;
use crate::table::Table;
use crate::value::Key;

mod bulk;
mod expunge;
mod fetch;
mod inner;
mod inspect;
mod load;
mod merge;
mod queries;
mod raw;
mod rows;
mod savepoint;

pub(crate) use fetch::Shape;
pub use inspect::ColumnHistory;
pub(crate) use load::{
    autoflush_before_load, cascade, check_cascade, ensure_fresh, foreign_key_of, has_row,
    load_for_delete, load_many, load_one, lookup, referenced_by, referenced_key, register_modified,
    reload, require_session, set_one_keys, target_key,
};
pub use raw::{Param, Params};
pub use rows::Rows;

pub(crate) struct SessionShared {
    core: Mutex<SessionCore>,
}

impl SessionShared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SessionCore> {
        self.core.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lock, unless it is taken (the cycle collector never waits).
    pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, SessionCore>> {
        crate::relation::try_lock(&self.core)
    }

    /// [`lock`](Self::lock) for the session's work, refused inside a statement hook: the hook
    /// runs while a session holds its lock, and taking it again would deadlock.
    pub(crate) fn enter(&self) -> Result<Entered<'_>> {
        if crate::engine::in_hook() {
            return Err(Error::Reentrant);
        }
        Ok(Entered(Some(self.lock())))
    }
}

/// The session's lock, held for one call of the session's work. Letting go of it is where
/// the cycle collector runs when it is due (see `collect`): no lock of the session is held
/// there.
pub(crate) struct Entered<'a>(Option<MutexGuard<'a, SessionCore>>);

impl std::ops::Deref for Entered<'_> {
    type Target = SessionCore;
    fn deref(&self) -> &SessionCore {
        self.0.as_ref().expect("held until drop")
    }
}

impl std::ops::DerefMut for Entered<'_> {
    fn deref_mut(&mut self) -> &mut SessionCore {
        self.0.as_mut().expect("held until drop")
    }
}

impl Drop for Entered<'_> {
    #[inline]
    fn drop(&mut self) {
        drop(self.0.take());
        crate::collect::run_if_due();
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
    pub(crate) inserted_in_tx: Vec<Inserted>,
    pub(crate) deleted_in_tx: Vec<ObjRef>,
    /// Whether a flush of the open transaction wrote something (later flushes then run
    /// under a savepoint).
    pub(crate) wrote_in_tx: bool,
    /// The savepoints `begin_nested` opened, innermost last (see `savepoint`).
    pub(crate) savepoints: Vec<savepoint::Mark>,
    /// Objects a flush updated while a savepoint was open (expired if it rolls back).
    pub(crate) updated_in_nested: Vec<ObjRef>,
    /// Numbers the savepoints' names (`sa_savepoint_1`, ...).
    pub(crate) savepoint_seq: usize,
    /// Objects whose relationships the session loaded or a flush wrote: the only ones that
    /// may hold other objects, so the only ones dropping the session must release.
    pub(crate) holders: rustc_hash::FxHashMap<usize, std::sync::Weak<dyn crate::object::ErasedObj>>,
    next_holder_sweep: usize,
    expire_on_commit: bool,
    autoflush: bool,
    /// How many [`Session::no_autoflush`] scopes are open.
    no_autoflush: usize,
    /// The message of a flush or commit that failed since the last rollback: until
    /// `rollback()`, the session refuses to run SQL ([`Error::PendingRollback`]).
    failed: Option<String>,
}

/// An object a flush of the open transaction inserted, and the key column the database
/// assigned it (undone if the transaction rolls back).
pub(crate) struct Inserted {
    pub obj: ObjRef,
    pub assigned: Option<usize>,
}

/// A unit of work over one connection, like SQLModel's `Session`.
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
/// let engine = Engine::memory()?;
/// engine.create_all::<(Team, Hero)>()?;
/// let log = engine.capture();
///
/// let session = Session::new(&engine);
/// let hero = Hero { name: "Deadpond".into(), ..Default::default() }.track();
/// session.add(&hero)?;
/// session.commit()?; // INSERT, COMMIT; `hero` is expired
/// assert!(hero.is_expired());
/// assert_eq!(hero.read()?.id, Some(1)); // reloaded: SELECT ... WHERE hero.id = ?
/// assert_eq!(log.take_lines(), [
///     "BEGIN (implicit)",
///     "INSERT INTO hero (name, age, team_id) VALUES (?, ?, ?) ('Deadpond', NULL, NULL)",
///     "COMMIT",
///     "BEGIN (implicit)",
///     "SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero WHERE hero.id = ? (1,)",
/// ]);
/// # Ok(())
/// # }
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

impl Session {
    /// A new session on `engine`. It takes a connection when it first needs one. Example:
    /// [`Session`].
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
                savepoints: Vec::new(),
                updated_in_nested: Vec::new(),
                savepoint_seq: 0,
                holders: rustc_hash::FxHashMap::default(),
                next_holder_sweep: 1024,
                expire_on_commit: true,
                autoflush: true,
                no_autoflush: 0,
                failed: None,
            }),
        });
        Session { shared }
    }

    /// Whether `commit` expires loaded objects (default: yes).
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
    /// let session = Session::new(&engine).expire_on_commit(false);
    /// let hero = Hero { name: "Deadpond".into(), ..Default::default() }.track();
    /// session.add(&hero)?;
    /// session.commit()?;
    /// assert!(!hero.is_expired()); // read without a SELECT
    /// assert_eq!(hero.read()?.id, Some(1));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn expire_on_commit(self, on: bool) -> Session {
        self.shared.lock().expire_on_commit = on;
        self
    }

    /// Whether queries, and lazy loads that run SQL (reading a relationship that is not
    /// loaded), flush pending changes first (default: yes). To turn it off for a few
    /// statements only, see [`no_autoflush`](Self::no_autoflush).
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
    /// let session = Session::new(&engine).autoflush(false);
    /// session.add(&Hero { name: "Deadpond".into(), ..Default::default() }.track())?;
    /// assert_eq!(session.count(select::<Hero>())?, 0); // not written yet
    /// session.flush()?;
    /// assert_eq!(session.count(select::<Hero>())?, 1);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn autoflush(self, on: bool) -> Session {
        self.shared.lock().autoflush = on;
        self
    }

    /// Runs `f` with autoflush off (SQLAlchemy's `with session.no_autoflush:`): queries and
    /// lazy loads inside it do not flush pending changes first. Scopes nest; autoflush is
    /// back on when the outermost one ends, even if `f` panics.
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
    /// let session = Session::new(&engine);
    /// session.add(&Hero { name: "Deadpond".into(), ..Default::default() }.track())?;
    /// let before = session.no_autoflush(|s| s.count(select::<Hero>()))?;
    /// assert_eq!(before, 0); // not written yet
    /// assert_eq!(session.count(select::<Hero>())?, 1); // flushed first
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Reentrant`] inside a statement hook; otherwise what `f` returns.
    pub fn no_autoflush<R>(&self, f: impl FnOnce(&Session) -> Result<R>) -> Result<R> {
        /// Closes the scope when dropped, so a panic in `f` closes it too.
        struct Scope<'a>(&'a SessionShared);
        impl Drop for Scope<'_> {
            fn drop(&mut self) {
                self.0.lock().no_autoflush -= 1;
            }
        }
        self.shared.enter()?.no_autoflush += 1;
        let _scope = Scope(&self.shared);
        f(self)
    }

    /// Adds `obj` to the session, with everything reachable through its relationships
    /// (save-update cascade), in the order reached. Adding an object twice is a no-op.
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
    /// let team = Team { name: "Preventers".into(), ..Default::default() }.track();
    /// let hero = Hero { name: "Rusty-Man".into(), team: One::to(&team), ..Default::default() }.track();
    /// session.add(&hero)?; // and `team`, reached through `hero.team`
    /// session.add(&hero)?; // no-op
    /// assert_eq!(team.status(), orm::Status::Pending);
    /// let more = [Hero { name: "Tarantula".into(), ..Default::default() }.track()];
    /// session.add_all(&more)?;
    /// session.commit()?;
    /// assert_eq!(session.count(select::<Hero>())?, 2);
    /// assert_eq!(hero.read()?.team_id, team.read()?.id);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::OtherSession`] when an object belongs to another session.
    pub fn add<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        self.shared.enter()?.cascade_add(obj.erased())
    }

    /// Adds each object, in order. Example: [`add`](Self::add).
    ///
    /// # Errors
    /// As [`add`](Self::add).
    pub fn add_all<'a, T: Table>(
        &self,
        objs: impl IntoIterator<Item = &'a Tracked<T>>,
    ) -> Result<()> {
        let mut core = self.shared.enter()?;
        for obj in objs {
            core.cascade_add(obj.erased())?;
        }
        Ok(())
    }

    /// The object with primary key `key`: from the identity map without SQL when it is
    /// there, else one SELECT. `None` when there is no such row.
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
    /// let log = engine.capture();
    /// let hero = session.get::<Hero>(2)?.expect("hero 2");
    /// assert_eq!(hero.read()?.name, "Rusty-Man");
    /// assert_eq!(log.take().len(), 2); // BEGIN, SELECT ... WHERE hero.id = ?
    /// assert!(session.get::<Hero>(2)? == Some(hero)); // from the identity map
    /// assert!(log.is_empty());
    /// assert!(session.get::<Hero>(99)?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::KeyShape`] for a key with the wrong number of columns; statement errors.
    pub fn get<T: Table>(&self, key: impl Into<Key>) -> Result<Option<Tracked<T>>> {
        self.get_object::<T>(key.into(), &[])
    }

    /// [`get`](Self::get) with loader options for the object's relationships
    /// ([`selectin`](crate::selectin), [`joined`](crate::joined), ...), which run whether the
    /// object came from the identity map or from the database; a relationship already loaded
    /// is left as it is. Each option loads with its own statement here.
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
    /// let log = engine.capture();
    /// let team = session.get_with::<Team>(1, selectin(Team::heroes))?.expect("team 1");
    /// assert_eq!(log.take_lines()[1..], [
    ///     "SELECT team.id, team.name FROM team WHERE team.id = ? (1,)",
    ///     "SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero WHERE hero.team_id IN (?) (1,)",
    /// ]);
    /// assert_eq!(team.read()?.heroes.len()?, 2);
    /// assert!(log.is_empty()); // loaded already
    /// // Nested options, and a tuple for several.
    /// let deadpond = session.get_with::<Hero>(1, (joined(Hero::team).then(selectin(Team::heroes)),))?;
    /// let its_team = deadpond.expect("hero 1").read()?.team.get()?.expect("Z-Force");
    /// assert_eq!(its_team.read()?.heroes.len()?, 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn get_with<T: Table>(
        &self,
        key: impl Into<Key>,
        options: impl LoadOptions<T>,
    ) -> Result<Option<Tracked<T>>> {
        self.get_object::<T>(key.into(), &options.nodes().0)
    }

    fn get_object<T: Table>(&self, key: Key, loads: &[LoadNode]) -> Result<Option<Tracked<T>>> {
        let meta = T::meta();
        if key.len() != meta.primary_key.len() {
            return Err(Error::KeyShape {
                table: meta.name,
                expected: meta.primary_key.len(),
                got: key.len(),
            });
        }
        let mut core = self.shared.enter()?;
        let hit = core.identity.get(meta, &key);
        // A hit runs no SQL for the declared eager defaults (they ran when it was loaded);
        // options given here still apply.
        let fetched = hit.is_none();
        let found = match hit {
            Some(obj) => {
                if obj.state().status == Status::Deleted {
                    return Ok(None);
                }
                if obj.state().expired {
                    match core.refresh_obj(&obj) {
                        Err(Error::ObjectDeleted { .. }) => return Ok(None),
                        other => other?,
                    }
                }
                typed(obj)
            }
            None => {
                core.autoflush()?;
                core.fetch_by_key::<T>(&key)?
            }
        };
        if let Some(obj) = &found {
            if fetched || !loads.is_empty() {
                core.run_loads(&[obj.erased()], meta, loads)?;
            }
        }
        Ok(found)
    }

    /// Runs a `select` (flushing pending changes first) and returns its rows as tracked
    /// objects; a row already in the identity map comes back as that same object, and a
    /// join that repeats a row gives its object once.
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
    /// let heroes = session.exec(select::<Hero>().filter(Hero::age.is_not_null()))?;
    /// assert_eq!(heroes.len(), 2);
    /// let rusty = session.exec(select::<Hero>().filter(Hero::name.eq("Rusty-Man")))?.one()?;
    /// assert!(heroes.all().contains(&rusty)); // the same object for the same row
    /// // Preventers has two heroes, yet comes back once.
    /// let teams = session.exec(select::<Team>().join(Team::heroes))?;
    /// assert_eq!(teams.len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::TableNotInQuery`] and [`Error::Query`] before any SQL runs; statement and
    /// decoding errors; errors of the autoflush.
    pub fn exec<T: Table>(&self, query: Select<T>) -> Result<Rows<T>> {
        self.shared
            .lock()
            .exec_select::<T>(&query.parts, &query.loads)
    }

    /// Marks `obj` for deletion at the next flush. Its many-to-many links (and the children
    /// of its one-to-many relationships) are loaded now, so the flush can delete the link rows
    /// (and unset the children's foreign keys).
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
    /// let tarantula = session.get::<Hero>(4)?.expect("Tarantula");
    /// session.delete(&tarantula)?;
    /// assert_eq!(tarantula.status(), orm::Status::Deleted);
    /// session.commit()?; // DELETE FROM hero WHERE hero.id = ?
    /// assert_eq!(session.count(select::<Hero>())?, 3);
    /// // Deleting a team sets its heroes' foreign key to NULL.
    /// session.delete(&z_force)?;
    /// session.commit()?;
    /// assert_eq!(names(select::<Hero>().filter(Hero::team_id.is_null()))?, ["Deadpond"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Detached`] when the object is not in this session; loading errors.
    pub fn delete<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let status = {
            let state = obj.state();
            if state.vanished {
                return Err(deleted_error(&obj, &state));
            }
            let mine = state
                .session
                .upgrade()
                .is_some_and(|s| Arc::ptr_eq(&s, &self.shared));
            let status = state.effective_status();
            if !mine && !matches!(status, Status::Transient | Status::Detached) {
                return Err(Error::OtherSession {
                    table: obj.meta().rust_name,
                });
            }
            status
        };
        match status {
            Status::Transient => Err(Error::Detached {
                table: obj.meta().rust_name,
                reason: "it was never added to this session",
            }),
            Status::Detached => Err(Error::Detached {
                table: obj.meta().rust_name,
                reason: "it is not in this session; add it first",
            }),
            Status::Pending => {
                // Never written: just forget it.
                let mut core = self.shared.enter()?;
                core.new.retain(|o| addr(o) != addr(&obj));
                core.forget_holder(&obj);
                let mut state = obj.state();
                state.status = Status::Transient;
                state.session = Weak::new();
                Ok(())
            }
            Status::Deleted => Ok(()),
            Status::Persistent => {
                load_for_delete(&obj)?;
                let mut core = self.shared.enter()?;
                obj.state().status = Status::Deleted;
                core.deleted.push(obj);
                Ok(())
            }
        }
    }

    /// Writes every pending change, in dependency order, inside the session's transaction.
    /// On failure nothing is written and the objects keep their pending changes. Example:
    /// [`rollback`](Self::rollback).
    ///
    /// # Errors
    /// The failing statement, or what makes a change impossible to write.
    pub fn flush(&self) -> Result<()> {
        self.shared.enter()?.flush()
    }

    /// Flushes, commits, then expires loaded objects (unless turned off), so the next
    /// access reads fresh data.
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
    /// let hero = session.get::<Hero>(1)?.expect("Deadpond");
    /// let log = engine.capture();
    /// hero.write()?.age = Some(30);
    /// session.commit()?;
    /// assert_eq!(log.take_lines(), ["UPDATE hero SET age=? WHERE hero.id = ? (30, 1)", "COMMIT"]);
    /// assert!(hero.is_expired()); // the next read runs a SELECT
    /// assert_eq!(hero.read()?.age, Some(30));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Errors of the flush or of the COMMIT.
    pub fn commit(&self) -> Result<()> {
        let mut core = self.shared.enter()?;
        core.flush()?;
        if let Some(conn) = core.conn.as_mut() {
            let committed = conn.commit();
            let committed = core.settle(committed);
            core.note_failure(committed)?;
        }
        core.wrote_in_tx = false;
        core.inserted_in_tx.clear();
        core.end_savepoints();
        for obj in std::mem::take(&mut core.deleted_in_tx) {
            core.forget_holder(&obj);
            let mut state = obj.state();
            state.status = Status::Detached;
            state.session = Weak::new();
            state.vanished = true;
        }
        if core.expire_on_commit {
            for obj in core.identity.objects() {
                expire_committed(&obj);
            }
        }
        Ok(())
    }

    /// Rolls back the transaction and every change not committed: new objects leave the
    /// session, deleted ones come back, and loaded objects are expired.
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
    /// let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    /// deadpond.write()?.age = Some(30);
    /// let new = Hero { name: "Black Lion".into(), ..Default::default() }.track();
    /// session.add(&new)?;
    /// session.flush()?; // UPDATE hero ..., INSERT INTO hero ...
    /// assert_eq!(session.count(select::<Hero>())?, 5);
    /// session.rollback()?;
    /// assert_eq!(deadpond.read()?.age, None); // expired, read again
    /// assert_eq!(new.status(), orm::Status::Transient);
    /// assert_eq!(session.count(select::<Hero>())?, 4);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Errors of the ROLLBACK.
    pub fn rollback(&self) -> Result<()> {
        self.shared.enter()?.rollback(true)
    }

    /// Reloads `obj` from its row now (one SELECT), discarding unflushed changes to it.
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
    /// rusty.write()?.age = Some(1);
    /// session.refresh(&rusty)?; // SELECT ... WHERE hero.id = ?
    /// assert_eq!(rusty.read()?.age, Some(48));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::ObjectDeleted`] when the row is gone; statement errors.
    pub fn refresh<T: Table>(&self, obj: &Tracked<T>) -> Result<()> {
        let obj = obj.erased();
        let mut core = self.shared.enter()?;
        core.check_mine(&obj)?;
        // Unflushed relationship changes are discarded too; the row load below then tells
        // the many-to-one relationships their keys.
        for rel in obj.relations() {
            rel.0.expire();
        }
        core.refresh_obj(&obj)
    }

    /// Expires `obj`: its next access reloads it.
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
    /// session.execute_sql("UPDATE hero SET age = 49 WHERE id = 2", ())?;
    /// assert_eq!(rusty.read()?.age, Some(48)); // as loaded
    /// session.expire(&rusty);
    /// assert!(rusty.is_expired());
    /// assert_eq!(rusty.read()?.age, Some(49)); // SELECT ... WHERE hero.id = ?
    /// # Ok(())
    /// # }
    /// ```
    pub fn expire<T: Table>(&self, obj: &Tracked<T>) {
        expire(&obj.erased());
    }

    /// Expires every object in the session. Example:
    /// [`execute_sql`](Self::execute_sql).
    pub fn expire_all(&self) {
        let core = self.shared.lock();
        for obj in core.identity.objects() {
            expire(&obj);
        }
    }

    /// Rolls back what was not committed and detaches every object; the session can be used
    /// again afterwards. Dropping the session does the same.
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
    /// rusty.write()?.age = Some(49);
    /// session.close()?; // the change is not written
    /// assert_eq!(rusty.status(), orm::Status::Detached);
    /// assert_eq!(rusty.read()?.age, Some(49)); // what it held stays readable
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.eq(48)))?, ["Rusty-Man"]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Errors of the ROLLBACK.
    pub fn close(&self) -> Result<()> {
        let mut core = self.shared.enter()?;
        // Like dropping the session, closing leaves loaded columns readable (SQLAlchemy's
        // `close` expunges, it does not expire).
        let result = core.rollback(false);
        core.release_objects();
        result
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.shared.lock().release_on_drop();
    }
}

/// [`Error::Deleted`] for an object whose row is gone.
pub(crate) fn deleted_error(obj: &ObjRef, state: &crate::object::ObjState) -> Error {
    Error::Deleted {
        table: obj.meta().rust_name,
        key: state
            .key
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

pub(crate) fn detach(obj: &ObjRef) {
    let mut state = obj.state();
    if state.status != Status::Transient {
        state.status = Status::Detached;
    }
    state.session = Weak::new();
    state.registered = false;
}

pub(crate) fn expire(obj: &ObjRef) {
    expire_if(obj, false);
}

/// What a commit does to each object: [`expire`], except an object changed (on another
/// thread) after the flush read it, which keeps the change for the next flush.
fn expire_committed(obj: &ObjRef) {
    expire_if(obj, true);
}

fn expire_if(obj: &ObjRef, unless_registered: bool) {
    {
        let mut state = obj.state();
        if state.key.is_none() || (unless_registered && state.registered) {
            return;
        }
        state.expired = true;
        state.snapshot = None;
    }
    for rel in obj.relations() {
        rel.0.expire();
    }
}
