//! [`One<T>`]: a to-one relationship field and its shared cell. The same cell serves the
//! side holding the foreign key (many-to-one) and the reverse side of a one-to-one, which
//! loads and writes as a one-to-many of at most one member (see `one_to_one`).

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use super::{
    back_cell, bind_cell, check_lazy_allowed, downcast_cell, lock, same_cell, try_lock, Binding,
    CellRef, ErasedRelation, HeldGuard, History, LoadFor, Reassignment, RelationField,
};
use crate::error::{Error, Result};
use crate::object::{addr, typed, ErasedObj, ObjRef, Tracked, WeakTracked};
use crate::schema::TableMeta;
use crate::session;
use crate::table::Table;
use crate::value::Key;

pub(super) enum TargetKey {
    /// The owner has not been (re)loaded since its relationships were expired.
    Unknown,
    Known(Option<Key>),
}

pub(super) struct OneState<T> {
    pub(super) loaded: bool,
    pub(super) target: Option<Tracked<T>>,
    pub(super) key: TargetKey,
    pub(super) changed: bool,
    /// The reverse side of a one-to-one: the target as loaded before its first change since
    /// the last flush (`Some(None)`: none, or not loaded).
    pub(super) orig: Option<Option<Tracked<T>>>,
    /// The reverse side of a one-to-one whose session let go of it: the target, held
    /// weakly (a strong one would make a cycle with the target's side).
    pub(super) released: Option<Option<WeakTracked<T>>>,
    /// Changed while not loaded: what it pointed at before is not known (see
    /// [`History::unknown_before`]).
    pub(super) unknown_before: bool,
}

impl<T> OneState<T> {
    /// Records the target before a change (for the reverse side's history).
    pub(super) fn note_change(&mut self) {
        if !self.changed {
            let before = if self.loaded {
                self.target.clone()
            } else {
                None
            };
            self.orig = Some(before);
            self.unknown_before = !self.loaded;
        }
        self.changed = true;
    }
}

#[doc(hidden)]
pub struct OneCell<T> {
    pub(super) state: Mutex<OneState<T>>,
    pub(super) binding: OnceLock<Binding>,
}

/// A many-to-one relationship: the row this one points at through its foreign key.
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
/// #[derive(Table, Debug, Default)]
/// pub struct Hero {
///     #[orm(primary_key)]
///     pub id: Option<i64>,
///     pub name: String,
///     #[orm(foreign_key = "team.id")]
///     pub team_id: Option<i64>,
///     #[orm(relationship(back_populates = "heroes"))]
///     pub team: One<Team>,
/// }
/// # fn main() -> orm::Result<()> {
/// let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
/// let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
/// let hero = Hero { name: "Deadpond".into(), team: One::to(&z_force), ..Default::default() }.track();
/// assert!(z_force.read()?.heroes.contains(&hero)?); // the other side, at once
///
/// hero.read()?.team.set(&preventers)?;
/// assert!(hero.read()?.team.get()? == Some(preventers.clone()));
/// assert!(!z_force.read()?.heroes.contains(&hero)?);
/// assert!(preventers.read()?.heroes.contains(&hero)?);
///
/// hero.read()?.team.clear()?;
/// assert!(hero.read()?.team.get()?.is_none());
/// assert!(preventers.read()?.heroes.is_empty()?);
///
/// let engine = Engine::memory()?;
/// engine.create_all::<(Team, Hero)>()?;
/// let session = Session::new(&engine);
/// hero.write()?.team = One::to(&z_force);
/// session.add(&hero)?; // and z_force
/// session.commit()?;
/// assert_eq!(hero.read()?.team_id, z_force.read()?.id); // the foreign key, filled in
/// # Ok(())
/// # }
/// ```
///
/// Build with [`One::to`] or [`One::none`]; read with [`get`](One::get) (loads on first
/// access); change with [`set`](One::set) / [`clear`](One::clear), which also update the
/// other side's collection.
pub struct One<T> {
    cell: Arc<OneCell<T>>,
}

impl<T: Table> One<T> {
    fn with(state: OneState<T>) -> One<T> {
        One {
            cell: Arc::new(OneCell {
                state: Mutex::new(state),
                binding: OnceLock::new(),
            }),
        }
    }

    /// Points at `target`. Example: [`One`].
    pub fn to(target: &Tracked<T>) -> One<T> {
        One::with(OneState {
            loaded: true,
            target: Some(target.clone()),
            key: TargetKey::Known(None),
            changed: true,
            orig: None,
            released: None,
            unknown_before: false,
        })
    }

    /// Points at nothing (the foreign-key field decides, if set).
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
    /// // A foreign key given as a value: the relationship follows it once in a session.
    /// let hero = Hero { name: "Black Lion".into(), team_id: Some(2), team: One::none(), ..Default::default() }.track();
    /// session.add(&hero)?;
    /// session.commit()?;
    /// assert!(hero.read()?.team.get()? == Some(z_force.clone()));
    /// # Ok(())
    /// # }
    /// ```
    pub fn none() -> One<T> {
        One::with(OneState {
            loaded: true,
            target: None,
            key: TargetKey::Known(None),
            changed: false,
            orig: None,
            released: None,
            unknown_before: false,
        })
    }

    /// The target, loaded on first access (no SQL when it is in the identity map; when it
    /// runs SQL, the session's pending changes are flushed first, unless autoflush is off).
    /// Examples: [`One`], [`One::none`].
    ///
    /// # Errors
    /// When loading fails (or the autoflush before it) or the owner's session is gone.
    pub fn get(&self) -> Result<Option<Tracked<T>>> {
        if let Some(released) = self.cell.released_target() {
            return Ok(released);
        }
        self.cell.load(LoadFor::Read)?;
        Ok(lock(&self.cell.state).target.clone())
    }

    /// Points at `target`, moving the owner from the old target's collection to the new one.
    /// Example: [`One`].
    ///
    /// # Errors
    /// When the current target must be loaded and cannot be.
    pub fn set(&self, target: &Tracked<T>) -> Result<()> {
        self.cell.set_target(Some(target.clone()))
    }

    /// Points at nothing; the owner leaves the old target's collection. Example: [`One`].
    ///
    /// # Errors
    /// When the current target must be loaded and cannot be.
    pub fn clear(&self) -> Result<()> {
        self.cell.set_target(None)
    }

    /// Whether the target is loaded.
    pub fn is_loaded(&self) -> bool {
        lock(&self.cell.state).loaded
    }

    /// The target if it is loaded, without loading it: `None` when not loaded.
    #[cfg(feature = "serde")]
    pub(crate) fn peek(&self) -> Option<Option<Tracked<T>>> {
        let state = lock(&self.cell.state);
        state.loaded.then(|| state.target.clone())
    }
}

impl<T: Table> Default for One<T> {
    fn default() -> Self {
        One::none()
    }
}

impl<T: Table> fmt::Debug for One<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.cell.state);
        let name = T::meta().rust_name;
        match (&state.target, state.loaded) {
            (_, false) => write!(f, "One<{name}>(not loaded)"),
            (None, true) => write!(f, "One<{name}>(none)"),
            (Some(t), true) => match t.key() {
                Some(k) => write!(f, "One<{name}>(key {k})"),
                None => write!(f, "One<{name}>(new)"),
            },
        }
    }
}

impl<T: Table> OneCell<T> {
    /// Loads the target if it is not loaded. A relationship declared `lazy = "raise"` finds
    /// a target already in the session but refuses to run SQL for it (unless this is the
    /// session's own load). A load the user asked for flushes pending changes before its
    /// SELECT, then starts over: the flush may have given the owner another foreign key.
    pub(super) fn load(&self, why: LoadFor) -> Result<()> {
        // Loaded already: the common case of `get`, which must not note the owner again.
        if lock(&self.state).loaded {
            return Ok(());
        }
        let mut may_flush = why.autoflushes();
        loop {
            if self.try_load(why, &mut may_flush)? {
                super::filled(&self.binding);
                return Ok(());
            }
        }
    }

    /// One attempt of [`load`](Self::load): `false` when it flushed and must start over.
    fn try_load(&self, why: LoadFor, may_flush: &mut bool) -> Result<bool> {
        if self.is_reverse() {
            return self.load_reverse(why, may_flush);
        }
        let key = {
            let state = lock(&self.state);
            if state.loaded {
                return Ok(true);
            }
            match &state.key {
                TargetKey::Known(k) => Some(k.clone()),
                TargetKey::Unknown => None,
            }
        };
        let owner = self.owner()?;
        let key = match key {
            Some(k) => k,
            None => {
                // Reloading the owner's row sets the key (see `set_loaded_key`); an owner
                // that is not expired but lost what this relationship held (its session let
                // go of it) cannot say.
                session::ensure_fresh(&owner)?;
                match &lock(&self.state).key {
                    TargetKey::Known(k) => k.clone(),
                    TargetKey::Unknown => {
                        session::require_session(&owner)?;
                        session::reload(&owner)?;
                        match &lock(&self.state).key {
                            TargetKey::Known(k) => k.clone(),
                            TargetKey::Unknown => None,
                        }
                    }
                }
            }
        };
        let target = match key {
            Some(k) => match session::lookup(&owner, T::meta(), &k).and_then(typed::<T>) {
                Some(found) => Some(found),
                None => {
                    let index = self.binding.get().map_or(0, |b| b.index);
                    if why.checks_raise() {
                        check_lazy_allowed(&owner, index)?;
                    }
                    if std::mem::take(may_flush) && session::autoflush_before_load(&owner)? {
                        return Ok(false);
                    }
                    session::load_one::<T>(&owner, index, &k)?
                }
            },
            None => None,
        };
        let mut state = lock(&self.state);
        if !state.loaded {
            state.loaded = true;
            state.target = target;
        }
        Ok(true)
    }

    pub(super) fn owner(&self) -> Result<ObjRef> {
        self.binding
            .get()
            .and_then(Binding::owner)
            .ok_or(Error::Detached {
                table: T::meta().rust_name,
                reason: "the object owning this relationship is gone",
            })
    }

    fn set_target(&self, new: Option<Tracked<T>>) -> Result<()> {
        self.load(LoadFor::Change)?;
        if let (Some(new), Ok(owner)) = (&new, self.owner()) {
            session::check_cascade(&owner, &new.erased())?;
        }
        // The new target's reverse one-to-one side learns which holder it replaces.
        if let (Some(new), Some(b)) = (&new, self.binding.get()) {
            if lock(&self.state).target.as_ref() != Some(new) {
                if let Some(cell) = back_cell(&new.erased(), b.back) {
                    cell.prepare_backref_add()?;
                }
            }
        }
        let old = {
            let mut state = lock(&self.state);
            if state.target == new {
                return Ok(());
            }
            state.note_change();
            std::mem::replace(&mut state.target, new.clone())
        };
        let Some(binding) = self.binding.get() else {
            return Ok(());
        };
        let Some(owner) = binding.owner() else {
            return Ok(());
        };
        if let Some(old) = old {
            let old = old.erased();
            if let Some(cell) = back_cell(&old, binding.back) {
                cell.backref_remove(&owner);
                super::changed(&old);
            }
        }
        if let Some(new) = &new {
            let new = new.erased();
            if let Some(cell) = back_cell(&new, binding.back) {
                cell.backref_add(&owner);
                super::changed(&new);
            }
            super::changed(&owner);
            return session::cascade(&owner, &new);
        }
        super::changed(&owner);
        Ok(())
    }
}

impl<T: Table> ErasedRelation for OneCell<T> {
    fn bind(&self, owner: Weak<dyn ErasedObj>, meta: &'static TableMeta, index: usize) {
        bind_cell(&self.binding, owner, meta, index);
    }

    fn sync_initial(&self, owner: &ObjRef) {
        let target = lock(&self.state).target.clone();
        if let (Some(t), Some(b)) = (target, self.binding.get()) {
            if let Some(cell) = back_cell(&t.erased(), b.back) {
                cell.backref_add(owner);
            }
        }
    }

    fn expire(&self) {
        let mut state = lock(&self.state);
        state.loaded = false;
        state.target = None;
        state.key = TargetKey::Unknown;
        state.changed = false;
        state.orig = None;
        state.released = None;
        state.unknown_before = false;
    }

    fn release(&self) {
        let reverse = self.is_reverse();
        let mut state = lock(&self.state);
        state.changed = false;
        state.orig = None;
        state.unknown_before = false;
        if reverse {
            if state.loaded {
                state.released = Some(state.target.take().map(|t| t.downgrade()));
            }
            state.loaded = false;
            state.key = TargetKey::Unknown;
        } else if !state.loaded {
            state.key = TargetKey::Unknown;
        }
    }

    fn set_loaded_key(&self, key: Option<Key>) {
        let mut state = lock(&self.state);
        if state.changed {
            return;
        }
        if state.loaded {
            let current = state.target.as_ref().and_then(Tracked::key);
            if current == key {
                return;
            }
        }
        state.loaded = key.is_none();
        state.target = None;
        state.key = TargetKey::Known(key);
    }

    fn backref_add(&self, item: &ObjRef) {
        let Some(item) = typed::<T>(item.clone()) else {
            return;
        };
        // The old target of an unloaded side is found in the identity map, looked up before
        // this cell is locked (the session lock is never taken under a cell lock).
        let unloaded_key = {
            let state = lock(&self.state);
            match (&state.key, state.loaded) {
                (TargetKey::Known(Some(k)), false) => Some(k.clone()),
                // Expired: the foreign key the owner was last loaded with still says where
                // the owner is listed in memory.
                (TargetKey::Unknown, false) => self
                    .binding
                    .get()
                    .and_then(|b| Some((b.owner()?, b.index)))
                    .and_then(|(owner, index)| session::foreign_key_of(&owner, index)),
                _ => None,
            }
        };
        let looked_up = unloaded_key.and_then(|k| {
            let owner = self.binding.get().and_then(Binding::owner)?;
            session::lookup(&owner, T::meta(), &k)
        });
        let old = {
            let mut state = lock(&self.state);
            let old = if state.loaded {
                state.target.take().map(|t| t.erased())
            } else {
                looked_up
            };
            state.note_change();
            state.loaded = true;
            state.target = Some(item.clone());
            state.released = None;
            old
        };
        let Some(binding) = self.binding.get() else {
            return;
        };
        let Some(owner) = binding.owner() else {
            return;
        };
        if let Some(old) = old {
            if addr(&old) != addr(&item.erased()) {
                if let Some(cell) = back_cell(&old, binding.back) {
                    cell.backref_remove(&owner);
                    super::changed(&old);
                }
            }
        }
        super::changed(&owner);
    }

    fn backref_remove(&self, item: &ObjRef) {
        let removed = {
            let mut state = lock(&self.state);
            let matches = if state.loaded {
                state
                    .target
                    .as_ref()
                    .is_some_and(|t| addr(&t.erased()) == addr(item))
            } else {
                match &state.key {
                    // Not reloaded since it expired; the collection removing the owner had it
                    // as a member, so this pointed at `item`.
                    TargetKey::Unknown => true,
                    TargetKey::Known(k) => {
                        let item_key = item.state().key.clone();
                        k.is_some() && *k == item_key
                    }
                }
            };
            if matches {
                let first_unloaded = !state.changed && !state.loaded;
                state.note_change();
                if first_unloaded {
                    // Not loaded, but what it pointed at is known now: `item`.
                    state.orig = Some(typed::<T>(item.clone()));
                    state.unknown_before = false;
                }
                state.loaded = true;
                state.target = None;
                state.released = None;
            }
            matches
        };
        if removed {
            if let Some(owner) = self.binding.get().and_then(Binding::owner) {
                super::changed(&owner);
            }
        }
    }

    fn reachable(&self) -> Vec<ObjRef> {
        let state = lock(&self.state);
        state.target.iter().map(Tracked::erased).collect()
    }

    fn history(&self) -> History {
        if self.is_reverse() {
            return self.reverse_history();
        }
        let state = lock(&self.state);
        // Pointed back at the row it had when loaded (or last flushed): no change, as in
        // SQLAlchemy's net history, so a delete of that row unsets the key like any
        // member's. (`orig` holds a target only for a relationship that had one unchanged.)
        let back_to_loaded = !state.unknown_before
            && matches!(&state.orig, Some(Some(o)) if state.target.as_ref() == Some(o));
        History {
            target: (state.changed && !back_to_loaded)
                .then(|| state.target.as_ref().map(Tracked::erased)),
            ..History::default()
        }
    }

    fn clear_history(&self) {
        let mut state = lock(&self.state);
        state.changed = false;
        state.orig = None;
        state.unknown_before = false;
    }

    fn restore_pending(&self) {
        let mut state = lock(&self.state);
        if state.loaded && state.target.is_some() {
            state.changed = true;
            state.orig = Some(None);
        }
    }

    fn is_settled(&self) -> bool {
        let state = lock(&self.state);
        state.loaded || state.changed
    }

    fn populate(&self, members: Vec<ObjRef>) {
        let target = members.into_iter().next().and_then(typed::<T>);
        let mut state = lock(&self.state);
        if state.loaded || state.changed {
            return;
        }
        state.key = TargetKey::Known(target.as_ref().and_then(Tracked::key));
        state.target = target;
        state.loaded = true;
        drop(state);
        super::filled(&self.binding);
    }

    fn load_members(&self) -> Result<Vec<ObjRef>> {
        self.load(LoadFor::Session)?;
        Ok(self.reachable())
    }

    fn prepare_backref_add(&self) -> Result<()> {
        self.prepare_reverse()
    }

    fn moved_away_from(&self, target: &ObjRef) -> bool {
        let state = lock(&self.state);
        state.changed && state.target.as_ref().map(|t| addr(&t.erased())) != Some(addr(target))
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn try_visit(&self, f: &mut dyn FnMut(usize, &dyn Fn() -> ObjRef)) -> bool {
        let Some(state) = try_lock(&self.state) else {
            return false;
        };
        let orig = state.orig.iter().flatten();
        for t in state.target.iter().chain(orig) {
            f(t.addr(), &|| t.erased());
        }
        true
    }

    fn owner_addr(&self) -> Option<usize> {
        self.binding
            .get()
            .map(|b| b.owner.as_ptr() as *const () as usize)
    }

    fn lock_held(&self) -> Option<Box<dyn HeldGuard + '_>> {
        Some(Box::new(Held(try_lock(&self.state)?)))
    }
}

/// A `One` locked by the cycle collector.
struct Held<'a, T>(std::sync::MutexGuard<'a, OneState<T>>);

impl<T: Table> HeldGuard for Held<'_, T> {
    fn for_each(&self, f: &mut dyn FnMut(usize, bool)) {
        let state = &*self.0;
        let orig = state.orig.iter().flatten();
        state
            .target
            .iter()
            .chain(orig)
            .for_each(|t| f(t.addr(), true));
        for w in state.released.iter().flatten() {
            f(w.addr(), false);
        }
    }

    fn has_changes(&self) -> bool {
        self.0.changed
    }

    fn take(&mut self) -> Box<dyn Any> {
        let state = &mut *self.0;
        state.loaded = false;
        // A key read from the row stays: should the object be read again, its target loads
        // by it (a key set with a change since is not the row's, and goes).
        if state.changed {
            state.key = TargetKey::Unknown;
        }
        state.changed = false;
        state.unknown_before = false;
        Box::new((
            state.target.take(),
            state.orig.take(),
            state.released.take(),
        ))
    }
}

impl<T: Table> RelationField for One<T> {
    fn unloaded() -> Self {
        One::with(OneState {
            loaded: false,
            target: None,
            key: TargetKey::Unknown,
            changed: false,
            orig: None,
            released: None,
            unknown_before: false,
        })
    }

    fn cell(&self) -> CellRef {
        CellRef(self.cell.clone())
    }

    fn restore(&mut self, bound: &CellRef) -> Option<Reassignment> {
        let bound = &bound.0;
        if same_cell(&self.cell, bound) {
            return None;
        }
        let new_target = lock(&self.cell.state).target.clone();
        // Put the bound cell back into the field; the assignment becomes a `set`.
        let typed_cell: Arc<OneCell<T>> = downcast_cell(Arc::clone(bound))?;
        self.cell = Arc::clone(&typed_cell);
        Some(Reassignment(Box::new(move || {
            typed_cell.set_target(new_target)
        })))
    }
}
