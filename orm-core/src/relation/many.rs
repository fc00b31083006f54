//! [`Many<T>`]: a collection relationship field (one-to-many or many-to-many) and its shared
//! cell, with the history of members added and removed since the last flush.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use rustc_hash::FxHashSet;

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

struct ManyState<T> {
    loaded: bool,
    items: Vec<Tracked<T>>,
    /// Members added since the last flush (pending ones too, when not loaded).
    added: Vec<Tracked<T>>,
    /// Members removed since the last flush.
    removed: Vec<Tracked<T>>,
    /// What was loaded when the owner's session let go of it, held weakly.
    released: Option<Vec<WeakTracked<T>>>,
}

impl<T> ManyState<T> {
    fn record_add(&mut self, item: &Tracked<T>) {
        if let Some(i) = self.removed.iter().position(|x| x == item) {
            self.removed.remove(i);
        } else if !self.added.contains(item) {
            self.added.push(item.clone());
        }
    }

    fn record_remove(&mut self, item: &Tracked<T>) {
        if let Some(i) = self.added.iter().position(|x| x == item) {
            self.added.remove(i);
        } else if !self.removed.contains(item) {
            self.removed.push(item.clone());
        }
    }
}

#[doc(hidden)]
pub struct ManyCell<T> {
    state: Mutex<ManyState<T>>,
    binding: OnceLock<Binding>,
}

/// A collection relationship: one-to-many (the members hold the foreign key) or
/// many-to-many (through a `link_model`). Works like a `Vec` whose methods load it on first
/// use and keep the other side in step.
///
/// ```
/// # use orm::prelude::*;
/// #[derive(Table, Debug, Default)]
/// pub struct Team {
///     #[orm(primary_key)]
///     pub id: Option<i64>,
///     pub name: String,
///     #[orm(relationship(back_populates = "team"))]
///     pub heroes: Many<Hero>,
/// }
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
/// let team = Team { name: "Preventers".into(), ..Default::default() }.track();
/// let rusty = Hero { name: "Rusty-Man".into(), ..Default::default() }.track();
/// let spider = Hero { name: "Spider-Boy".into(), ..Default::default() }.track();
/// team.read()?.heroes.push(&rusty)?;
/// team.read()?.heroes.push(&spider)?;
/// assert!(rusty.read()?.team.get()? == Some(team.clone())); // the other side, at once
/// assert_eq!(team.read()?.heroes.len()?, 2);
///
/// let engine = Engine::memory()?;
/// engine.create_all::<(Team, Hero)>()?;
/// let session = Session::new(&engine);
/// session.add(&team)?; // and its heroes
/// session.commit()?;
/// assert_eq!(spider.read()?.team_id, team.read()?.id);
///
/// assert!(team.read()?.heroes.remove(&spider)?); // the flush sets spider's team_id to NULL
/// session.commit()?;
/// assert_eq!(session.count(select::<Hero>().filter(Hero::team_id.is_null()))?, 1);
/// let members = team.read()?.heroes.to_vec()?; // loads again after the commit: one SELECT
/// assert!(members == [rusty]);
/// # Ok(())
/// # }
/// ```
pub struct Many<T> {
    cell: Arc<ManyCell<T>>,
}

impl<T: Table> Many<T> {
    fn with(loaded: bool, items: Vec<Tracked<T>>) -> Many<T> {
        let mut unique: Vec<Tracked<T>> = Vec::with_capacity(items.len());
        for i in items {
            if !unique.contains(&i) {
                unique.push(i);
            }
        }
        Many {
            cell: Arc::new(ManyCell {
                state: Mutex::new(ManyState {
                    loaded,
                    added: unique.clone(),
                    items: unique,
                    removed: Vec::new(),
                    released: None,
                }),
                binding: OnceLock::new(),
            }),
        }
    }

    /// An empty collection.
    pub fn new() -> Many<T> {
        Many::with(true, Vec::new())
    }

    /// Adds `item` at the end (a no-op if it is already a member), and points its other side
    /// here. In a session, `item` joins it (save-update cascade), member already or not.
    ///
    /// A collection that is not loaded is not loaded for this (no SELECT): the new member is
    /// recorded, written at the next flush, and merged in when the collection is read. So
    /// membership is not checked against the database then: pushing an object that a
    /// many-to-many already links here makes the flush fail with an error saying so (read
    /// the collection first, e.g. with [`contains`](Self::contains), when unsure). Example:
    /// [`Many`].
    ///
    /// # Errors
    /// [`Error::Detached`] when the collection is not loaded and its owner is in no session;
    /// [`Error::OtherSession`] when `item` belongs to another session.
    pub fn push(&self, item: &Tracked<T>) -> Result<()> {
        self.cell.check_cascade(item)?;
        let member = loop {
            let mut state = lock(&self.cell.state);
            if state.loaded {
                let member = state.items.contains(item);
                if !member {
                    state.items.push(item.clone());
                    state.record_add(item);
                }
                break member;
            }
            if state.released.is_none() && self.cell.owner_in_session() {
                let member = state.added.contains(item);
                if !member {
                    state.record_add(item);
                }
                break member;
            }
            // Its owner's session let go of it: load (which says why it cannot).
            drop(state);
            self.cell.load(LoadFor::Change)?;
        };
        if member {
            // A member that came in through its other side (`One::to(&team)` on a new link)
            // has not joined the session yet: pushing it says it should.
            return match self.cell.binding.get().and_then(Binding::owner) {
                Some(owner) => session::cascade(&owner, &item.erased()),
                None => Ok(()),
            };
        }
        self.cell.after_change(item, true)
    }

    /// Removes `item`; returns whether it was a member. Its other side is unset. Example:
    /// [`Many`].
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn remove(&self, item: &Tracked<T>) -> Result<bool> {
        self.cell.load(LoadFor::Change)?;
        {
            let mut state = lock(&self.cell.state);
            let Some(i) = state.items.iter().position(|x| x == item) else {
                return Ok(false);
            };
            state.items.remove(i);
            state.record_remove(item);
        }
        self.cell.after_change(item, false)?;
        // An orphan of a delete_orphan collection will be deleted with its own delete-orphan
        // subtree: load what that needs now (the flush cannot load).
        let orphaned = self.cell.binding.get().and_then(|b| {
            let owner = b.owner()?;
            owner.meta().relations[b.index].delete_orphan.then_some(())
        });
        if orphaned.is_some() && session::require_session(&item.erased()).is_ok() {
            session::load_for_delete(&item.erased())?;
        }
        Ok(true)
    }

    /// Whether `item` is a member. Example: [`Many`].
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn contains(&self, item: &Tracked<T>) -> Result<bool> {
        self.cell.read(|items| items.contains(item))
    }

    /// How many members there are. Example: [`Many`].
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn len(&self) -> Result<usize> {
        self.cell.read(<[Tracked<T>]>::len)
    }

    /// Whether there is no member.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The member at `index`.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn get(&self, index: usize) -> Result<Option<Tracked<T>>> {
        self.cell.read(|items| items.get(index).cloned())
    }

    /// The members, in order (handles: cheap clones of the same objects). Example: [`Many`].
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn to_vec(&self) -> Result<Vec<Tracked<T>>> {
        self.cell.read(<[Tracked<T>]>::to_vec)
    }

    /// Iterates over the members as they are now.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn iter(&self) -> Result<std::vec::IntoIter<Tracked<T>>> {
        Ok(self.to_vec()?.into_iter())
    }

    /// Removes every member.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn clear(&self) -> Result<()> {
        self.replace(Vec::new())
    }

    /// Makes `items` the members: those not in it are removed, new ones pushed, so only the
    /// difference is written.
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
    /// let tarantula = session.get::<Hero>(4)?.expect("Tarantula");
    /// let spider = session.get::<Hero>(3)?.expect("Spider-Boy");
    /// preventers.read()?.heroes.replace([spider, tarantula])?; // Rusty-Man leaves
    /// log.clear();
    /// session.flush()?;
    /// assert_eq!(log.take_lines(), [
    ///     "UPDATE hero SET team_id=? WHERE hero.id = ? (NULL, 2)",
    ///     "UPDATE hero SET team_id=? WHERE hero.id = ? (1, 4)",
    /// ]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn replace(&self, items: impl IntoIterator<Item = Tracked<T>>) -> Result<()> {
        self.cell.replace(items.into_iter().collect())
    }

    /// Whether the members are loaded.
    pub fn is_loaded(&self) -> bool {
        lock(&self.cell.state).loaded
    }

    /// The members if they are loaded, without loading them.
    #[cfg(feature = "serde")]
    pub(crate) fn peek(&self) -> Option<Vec<Tracked<T>>> {
        self.cell.peek()
    }
}

impl<T: Table> Default for Many<T> {
    fn default() -> Self {
        Many::new()
    }
}

impl<T: Table> fmt::Debug for Many<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.cell.state);
        let name = T::meta().rust_name;
        if state.loaded {
            write!(f, "Many<{name}>({} loaded)", state.items.len())
        } else {
            write!(f, "Many<{name}>(not loaded)")
        }
    }
}

impl<T: Table> From<Vec<Tracked<T>>> for Many<T> {
    fn from(items: Vec<Tracked<T>>) -> Self {
        Many::with(true, items)
    }
}

impl<T: Table, const N: usize> From<[Tracked<T>; N]> for Many<T> {
    fn from(items: [Tracked<T>; N]) -> Self {
        Many::with(true, items.into())
    }
}

impl<T: Table, const N: usize> From<[&Tracked<T>; N]> for Many<T> {
    fn from(items: [&Tracked<T>; N]) -> Self {
        Many::with(true, items.iter().map(|t| (*t).clone()).collect())
    }
}

impl<T: Table> FromIterator<Tracked<T>> for Many<T> {
    fn from_iter<I: IntoIterator<Item = Tracked<T>>>(iter: I) -> Self {
        Many::with(true, iter.into_iter().collect())
    }
}

impl<T: Table> ManyCell<T> {
    fn owner(&self) -> Result<ObjRef> {
        self.binding
            .get()
            .and_then(Binding::owner)
            .ok_or(Error::Detached {
                table: T::meta().rust_name,
                reason: "the object owning this collection is gone",
            })
    }

    /// Runs `f` on the members: loaded ones; or, for an object its session let go of, the
    /// ones it had loaded, while they are all still alive; else loads them.
    /// The members if they are loaded (or, after the session let go, still alive), without
    /// loading them.
    #[cfg(feature = "serde")]
    pub(crate) fn peek(&self) -> Option<Vec<Tracked<T>>> {
        let state = lock(&self.state);
        if state.loaded {
            return Some(state.items.clone());
        }
        let weak = state.released.as_ref()?;
        weak.iter().map(WeakTracked::upgrade).collect()
    }

    fn read<R>(&self, f: impl FnOnce(&[Tracked<T>]) -> R) -> Result<R> {
        {
            let state = lock(&self.state);
            if state.loaded {
                return Ok(f(&state.items));
            }
            if let Some(weak) = &state.released {
                let alive: Option<Vec<Tracked<T>>> =
                    weak.iter().map(WeakTracked::upgrade).collect();
                if let Some(items) = alive {
                    return Ok(f(&items));
                }
            }
        }
        self.load(LoadFor::Read)?;
        Ok(f(&lock(&self.state).items))
    }

    /// Loads the members if they are not loaded. A relationship declared `lazy = "raise"`
    /// refuses (unless this is the session's own load, e.g. for a delete). A load the user
    /// asked for flushes pending changes before its SELECT (see [`LoadFor`]).
    fn load(&self, why: LoadFor) -> Result<()> {
        if lock(&self.state).loaded {
            return Ok(());
        }
        let owner = self.owner()?;
        let (index, back) = self.binding.get().map_or((0, None), |b| (b.index, b.back));
        if why.checks_raise() {
            check_lazy_allowed(&owner, index)?;
        }
        if why.autoflushes()
            && session::has_row(&owner)
            && session::autoflush_before_load(&owner)?
            && self.is_loaded()
        {
            return Ok(());
        }
        let fetched = session::load_many::<T>(&owner, index)?;
        // A row still linked here whose other side was pointed elsewhere while this side was
        // not loaded (and so could not be told) is no longer a member.
        let fetched: Vec<Tracked<T>> = fetched
            .into_iter()
            .filter(|i| !back_cell(&i.erased(), back).is_some_and(|c| c.moved_away_from(&owner)))
            .collect();
        let mut no_change = Vec::new();
        let mut state = lock(&self.state);
        if !state.loaded {
            // Members recorded while unloaded that the database already has were no change,
            // here and on their side.
            let stored: FxHashSet<usize> = fetched.iter().map(Tracked::addr).collect();
            let (known, added): (Vec<_>, Vec<_>) = std::mem::take(&mut state.added)
                .into_iter()
                .partition(|a| stored.contains(&a.addr()));
            state.added = added;
            no_change = known;
            let mut items: Vec<Tracked<T>> = fetched
                .into_iter()
                .filter(|i| !state.removed.contains(i))
                .collect();
            items.extend(state.added.iter().cloned());
            state.items = items;
            state.loaded = true;
            state.released = None;
        }
        drop(state);
        for item in no_change {
            if let Some(cell) = back_cell(&item.erased(), back) {
                cell.forget_added(&owner);
            }
        }
        super::filled(&self.binding);
        Ok(())
    }

    fn is_loaded(&self) -> bool {
        lock(&self.state).loaded
    }

    /// Whether the owner is alive and in a session (so this collection can still load).
    fn owner_in_session(&self) -> bool {
        self.binding
            .get()
            .and_then(Binding::owner)
            .is_some_and(|o| session::require_session(&o).is_ok())
    }

    /// Checked before a change: `item` could join the owner's session.
    fn check_cascade(&self, item: &Tracked<T>) -> Result<()> {
        match self.binding.get().and_then(Binding::owner) {
            Some(owner) => session::check_cascade(&owner, &item.erased()),
            None => Ok(()),
        }
    }

    /// Tells the owner's session that this collection changed.
    fn register_owner(&self) {
        if let Some(owner) = self.binding.get().and_then(Binding::owner) {
            super::changed(&owner);
        }
    }

    /// After a user change: update the other side, register the change, cascade.
    fn after_change(&self, item: &Tracked<T>, added: bool) -> Result<()> {
        let Some(binding) = self.binding.get() else {
            return Ok(());
        };
        let Some(owner) = binding.owner() else {
            return Ok(());
        };
        let item = item.erased();
        if let Some(cell) = back_cell(&item, binding.back) {
            if added {
                cell.backref_add(&owner);
            } else {
                cell.backref_remove(&owner);
            }
        }
        super::changed(&item);
        super::changed(&owner);
        if added {
            session::cascade(&owner, &item)?;
        }
        Ok(())
    }

    fn replace(&self, new: Vec<Tracked<T>>) -> Result<()> {
        self.load(LoadFor::Change)?;
        for item in &new {
            self.check_cascade(item)?;
        }
        let (gone, came) = {
            let mut state = lock(&self.state);
            let gone: Vec<Tracked<T>> = state
                .items
                .iter()
                .filter(|i| !new.contains(i))
                .cloned()
                .collect();
            let mut came = Vec::new();
            let mut items = Vec::with_capacity(new.len());
            for n in new {
                if items.contains(&n) {
                    continue;
                }
                if !state.items.contains(&n) {
                    came.push(n.clone());
                }
                items.push(n);
            }
            for g in &gone {
                state.record_remove(g);
            }
            for c in &came {
                state.record_add(c);
            }
            state.items = items;
            (gone, came)
        };
        for g in &gone {
            self.after_change(g, false)?;
        }
        for c in &came {
            self.after_change(c, true)?;
        }
        Ok(())
    }
}

impl<T: Table> ErasedRelation for ManyCell<T> {
    fn bind(&self, owner: Weak<dyn ErasedObj>, meta: &'static TableMeta, index: usize) {
        bind_cell(&self.binding, owner, meta, index);
    }

    fn sync_initial(&self, owner: &ObjRef) {
        let items = lock(&self.state).items.clone();
        let back = self.binding.get().and_then(|b| b.back);
        for item in items {
            if let Some(cell) = back_cell(&item.erased(), back) {
                cell.backref_add(owner);
            }
        }
    }

    fn expire(&self) {
        let mut state = lock(&self.state);
        state.loaded = false;
        state.items.clear();
        state.added.clear();
        state.removed.clear();
        state.released = None;
    }

    fn release(&self) {
        let mut state = lock(&self.state);
        if state.loaded {
            let weak = state.items.iter().map(Tracked::downgrade).collect();
            state.released = Some(weak);
        }
        state.loaded = false;
        state.items.clear();
        state.added.clear();
        state.removed.clear();
    }

    fn set_loaded_key(&self, _key: Option<Key>) {}

    fn backref_add(&self, item: &ObjRef) {
        let Some(item) = typed::<T>(item.clone()) else {
            return;
        };
        {
            let mut state = lock(&self.state);
            if state.loaded {
                if state.items.contains(&item) {
                    return;
                }
                state.items.push(item.clone());
            }
            state.record_add(&item);
        }
        self.register_owner();
    }

    fn backref_remove(&self, item: &ObjRef) {
        let Some(item) = typed::<T>(item.clone()) else {
            return;
        };
        {
            let mut state = lock(&self.state);
            if state.loaded {
                let Some(i) = state.items.iter().position(|x| *x == item) else {
                    return;
                };
                state.items.remove(i);
            }
            state.record_remove(&item);
        }
        self.register_owner();
    }

    fn restore_pending(&self) {
        let mut state = lock(&self.state);
        if state.loaded {
            state.added = state.items.clone();
            state.removed.clear();
        }
    }

    fn is_settled(&self) -> bool {
        let state = lock(&self.state);
        state.loaded || !state.added.is_empty() || !state.removed.is_empty()
    }

    fn populate(&self, members: Vec<ObjRef>) {
        let back = self.binding.get().and_then(|b| b.back);
        let owner = self.binding.get().and_then(Binding::owner);
        // As a lazy load: a row whose other side was pointed elsewhere since it was stored is
        // no longer a member.
        let items: Vec<Tracked<T>> = members
            .into_iter()
            .filter(|m| match &owner {
                Some(o) => !back_cell(m, back).is_some_and(|c| c.moved_away_from(o)),
                None => true,
            })
            .filter_map(typed::<T>)
            .collect();
        let mut state = lock(&self.state);
        if state.loaded || !state.added.is_empty() || !state.removed.is_empty() {
            return;
        }
        state.items = items;
        state.loaded = true;
        state.released = None;
        drop(state);
        super::filled(&self.binding);
    }

    fn keep_added(&self, item: &ObjRef) {
        if let Some(item) = typed::<T>(item.clone()) {
            lock(&self.state).record_add(&item);
        }
    }

    fn forget_added(&self, item: &ObjRef) {
        let mut state = lock(&self.state);
        if let Some(i) = state.added.iter().position(|a| a.addr() == addr(item)) {
            state.added.remove(i);
        }
    }

    fn reachable(&self) -> Vec<ObjRef> {
        let state = lock(&self.state);
        let mut out: Vec<ObjRef> = state.items.iter().map(Tracked::erased).collect();
        if !state.loaded {
            out.extend(state.added.iter().map(Tracked::erased));
            let released = state.released.iter().flatten();
            out.extend(
                released
                    .filter_map(WeakTracked::upgrade)
                    .map(|t| t.erased()),
            );
        }
        out
    }

    fn history(&self) -> History {
        let state = lock(&self.state);
        History {
            added: state.added.iter().map(Tracked::erased).collect(),
            removed: state.removed.iter().map(Tracked::erased).collect(),
            target: None,
            loaded: state.loaded,
            unknown_before: false,
        }
    }

    fn clear_history(&self) {
        let mut state = lock(&self.state);
        state.added.clear();
        state.removed.clear();
    }

    fn load_members(&self) -> Result<Vec<ObjRef>> {
        self.load(LoadFor::Session)?;
        Ok(self.reachable())
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn try_visit(&self, f: &mut dyn FnMut(usize, &dyn Fn() -> ObjRef)) -> bool {
        let Some(state) = try_lock(&self.state) else {
            return false;
        };
        let held = state.items.iter().chain(&state.added).chain(&state.removed);
        held.for_each(|t| f(t.addr(), &|| t.erased()));
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

/// A `Many` locked by the cycle collector.
struct Held<'a, T>(std::sync::MutexGuard<'a, ManyState<T>>);

impl<T: Table> HeldGuard for Held<'_, T> {
    fn for_each(&self, f: &mut dyn FnMut(usize, bool)) {
        let state = &*self.0;
        let held = state.items.iter().chain(&state.added).chain(&state.removed);
        held.for_each(|t| f(t.addr(), true));
        for w in state.released.iter().flatten() {
            f(w.addr(), false);
        }
    }

    fn has_changes(&self) -> bool {
        !self.0.added.is_empty() || !self.0.removed.is_empty()
    }

    fn take(&mut self) -> Box<dyn Any> {
        let state = &mut *self.0;
        state.loaded = false;
        Box::new((
            std::mem::take(&mut state.items),
            std::mem::take(&mut state.added),
            std::mem::take(&mut state.removed),
            state.released.take(),
        ))
    }
}

impl<T: Table> RelationField for Many<T> {
    fn unloaded() -> Self {
        let many = Many::with(false, Vec::new());
        lock(&many.cell.state).added.clear();
        many
    }

    fn cell(&self) -> CellRef {
        CellRef(self.cell.clone())
    }

    fn restore(&mut self, bound: &CellRef) -> Option<Reassignment> {
        let bound = &bound.0;
        if same_cell(&self.cell, bound) {
            return None;
        }
        let new_items = lock(&self.cell.state).items.clone();
        let typed_cell: Arc<ManyCell<T>> = downcast_cell(Arc::clone(bound))?;
        self.cell = Arc::clone(&typed_cell);
        Some(Reassignment(Box::new(move || {
            typed_cell.replace(new_items)
        })))
    }
}
