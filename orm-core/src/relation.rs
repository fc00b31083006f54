//! Relationship fields: [`One<T>`] (many-to-one: this row holds the foreign key) and
//! [`Many<T>`] (one-to-many, or many-to-many through a link table), and how they keep both
//! sides in step.
//!
//! Each field is a small shared cell, separate from its owner's data lock, bound to its owner
//! when the owner is tracked or loaded. Changes go through methods (`set`, `push`, `remove`,
//! ...) that update this side, then the other side (`back_populates`) through the other
//! object's cell: one cell lock at a time, never nested, so holding a guard on either object
//! never deadlocks. A side that is not loaded records the change and applies it when it loads.
//! Each cell keeps its history since the last flush (added / removed members, a changed
//! target), which the unit of work turns into foreign keys, link rows and deletes. Loading
//! goes through the owner's session (`session` module); this module only decides what to
//! load and when.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use crate::error::{Error, Result};
use crate::object::{addr, typed, ErasedObj, ObjRef, Tracked};
use crate::session;
use crate::table::Table;
use crate::value::Key;

/// Which object and field a relationship cell belongs to.
struct Binding {
    owner: Weak<dyn ErasedObj>,
    index: usize,
    /// The field on the target that mirrors this one, by index.
    back: Option<usize>,
}

impl Binding {
    fn owner(&self) -> Option<ObjRef> {
        self.owner.upgrade()
    }
}

fn bind_cell(slot: &OnceLock<Binding>, owner: Weak<dyn ErasedObj>, index: usize) {
    let back = owner.upgrade().and_then(|o| {
        let def = &o.meta().relations[index];
        def.back_populates
            .and_then(|b| (def.target)().relation_index(b))
    });
    let _ = slot.set(Binding { owner, index, back });
}

/// What changed in a relationship since the last flush.
#[derive(Default)]
pub(crate) struct History {
    pub added: Vec<ObjRef>,
    pub removed: Vec<ObjRef>,
    /// For a `One`: `Some(new target)` when it was set since the last flush.
    pub target: Option<Option<ObjRef>>,
}

/// A relationship field's shared cell, as generated code passes it around.
#[doc(hidden)]
#[derive(Clone)]
pub struct CellRef(pub(crate) Arc<dyn ErasedRelation>);

/// What the runtime needs of any relationship cell.
pub(crate) trait ErasedRelation: Send + Sync + 'static {
    /// Attaches the cell to its owner.
    fn bind(&self, owner: Weak<dyn ErasedObj>, index: usize);
    /// Tells the other side about the members a new object was built with.
    fn sync_initial(&self, owner: &ObjRef);
    /// Forgets what is loaded (after commit, refresh or expire).
    fn expire(&self);
    /// Sets the target key read from the owner's row (many-to-one only).
    fn set_loaded_key(&self, key: Option<Key>);
    /// The other side added `item` here.
    fn backref_add(&self, item: &ObjRef);
    /// The other side removed `item` from here.
    fn backref_remove(&self, item: &ObjRef);
    /// The members the save-update cascade follows (loaded or pending; nothing is loaded).
    fn reachable(&self) -> Vec<ObjRef>;
    /// Changes since the last flush.
    fn history(&self) -> History;
    /// Forgets the history (after a successful flush).
    fn clear_history(&self);
    /// Loads the members and returns them.
    fn load_members(&self) -> Result<Vec<ObjRef>>;
    /// Whether this many-to-one was pointed away from `target` since the last flush, so a row
    /// that still links its owner to `target` in the database is out of date.
    fn moved_away_from(&self, target: &ObjRef) -> bool {
        let _ = target;
        false
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

/// Something a relationship assignment through a write guard asks for, applied when the
/// guard drops.
#[doc(hidden)]
pub struct Reassignment(Box<dyn FnOnce() -> Result<()> + Send>);

impl Reassignment {
    pub(crate) fn apply(self) -> Result<()> {
        (self.0)()
    }
}

/// Glue between a relationship field and generated code.
#[doc(hidden)]
pub trait RelationField {
    /// The field of a row just loaded: nothing loaded yet.
    fn unloaded() -> Self;
    /// The field's cell.
    fn cell(&self) -> CellRef;
    /// Puts `bound` back if the field was assigned a new value, returning that assignment.
    fn restore(&mut self, bound: &CellRef) -> Option<Reassignment>;
}

fn same_cell<C: ?Sized>(a: &Arc<C>, b: &Arc<dyn ErasedRelation>) -> bool {
    std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn back_cell(item: &ObjRef, back: Option<usize>) -> Option<Arc<dyn ErasedRelation>> {
    back.and_then(|b| item.relations().get(b).cloned())
}

// ---------------------------------------------------------------- One

enum TargetKey {
    /// The owner has not been (re)loaded since its relationships were expired.
    Unknown,
    Known(Option<Key>),
}

struct OneState<T> {
    loaded: bool,
    target: Option<Tracked<T>>,
    key: TargetKey,
    changed: bool,
}

#[doc(hidden)]
pub struct OneCell<T> {
    state: Mutex<OneState<T>>,
    binding: OnceLock<Binding>,
}

/// A many-to-one relationship: the row this one points at through its foreign key.
///
/// ```text
/// #[orm(relationship(back_populates = "heroes"))]
/// pub team: One<Team>,
/// ```
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

    /// Points at `target`.
    pub fn to(target: &Tracked<T>) -> One<T> {
        One::with(OneState {
            loaded: true,
            target: Some(target.clone()),
            key: TargetKey::Known(None),
            changed: true,
        })
    }

    /// Points at nothing (the foreign-key field decides, if set).
    pub fn none() -> One<T> {
        One::with(OneState {
            loaded: true,
            target: None,
            key: TargetKey::Known(None),
            changed: false,
        })
    }

    /// The target, loaded on first access (no SQL when it is in the identity map).
    ///
    /// # Errors
    /// When loading fails or the owner's session is gone.
    pub fn get(&self) -> Result<Option<Tracked<T>>> {
        self.cell.ensure_loaded()?;
        Ok(lock(&self.cell.state).target.clone())
    }

    /// Points at `target`, moving the owner from the old target's collection to the new one.
    ///
    /// # Errors
    /// When the current target must be loaded and cannot be.
    pub fn set(&self, target: &Tracked<T>) -> Result<()> {
        self.cell.set_target(Some(target.clone()))
    }

    /// Points at nothing; the owner leaves the old target's collection.
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
    fn ensure_loaded(&self) -> Result<()> {
        let key = {
            let state = lock(&self.state);
            if state.loaded {
                return Ok(());
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
            Some(k) => session::load_one::<T>(&owner, &k)?,
            None => None,
        };
        let mut state = lock(&self.state);
        if !state.loaded {
            state.loaded = true;
            state.target = target;
        }
        Ok(())
    }

    fn owner(&self) -> Result<ObjRef> {
        self.binding
            .get()
            .and_then(Binding::owner)
            .ok_or(Error::Detached {
                table: T::meta().rust_name,
                reason: "the object owning this relationship is gone",
            })
    }

    fn set_target(&self, new: Option<Tracked<T>>) -> Result<()> {
        self.ensure_loaded()?;
        if let (Some(new), Ok(owner)) = (&new, self.owner()) {
            session::check_cascade(&owner, &new.erased())?;
        }
        let old = {
            let mut state = lock(&self.state);
            if state.target == new {
                return Ok(());
            }
            state.changed = true;
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
                session::register_modified(&old);
            }
        }
        if let Some(new) = &new {
            let new = new.erased();
            if let Some(cell) = back_cell(&new, binding.back) {
                cell.backref_add(&owner);
                session::register_modified(&new);
            }
            session::register_modified(&owner);
            return session::cascade(&owner, &new);
        }
        session::register_modified(&owner);
        Ok(())
    }
}

impl<T: Table> ErasedRelation for OneCell<T> {
    fn bind(&self, owner: Weak<dyn ErasedObj>, index: usize) {
        bind_cell(&self.binding, owner, index);
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
            state.loaded = true;
            state.changed = true;
            state.target = Some(item.clone());
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
                    session::register_modified(&old);
                }
            }
        }
        session::register_modified(&owner);
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
                state.loaded = true;
                state.target = None;
                state.changed = true;
            }
            matches
        };
        if removed {
            if let Some(owner) = self.binding.get().and_then(Binding::owner) {
                session::register_modified(&owner);
            }
        }
    }

    fn reachable(&self) -> Vec<ObjRef> {
        let state = lock(&self.state);
        state.target.iter().map(Tracked::erased).collect()
    }

    fn history(&self) -> History {
        let state = lock(&self.state);
        History {
            target: state
                .changed
                .then(|| state.target.as_ref().map(Tracked::erased)),
            ..History::default()
        }
    }

    fn clear_history(&self) {
        lock(&self.state).changed = false;
    }

    fn load_members(&self) -> Result<Vec<ObjRef>> {
        self.ensure_loaded()?;
        Ok(self.reachable())
    }

    fn moved_away_from(&self, target: &ObjRef) -> bool {
        let state = lock(&self.state);
        state.changed && state.target.as_ref().map(|t| addr(&t.erased())) != Some(addr(target))
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

impl<T: Table> RelationField for One<T> {
    fn unloaded() -> Self {
        One::with(OneState {
            loaded: false,
            target: None,
            key: TargetKey::Unknown,
            changed: false,
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

/// Recovers the typed cell behind an erased relationship cell.
fn downcast_cell<C: Any + Send + Sync>(cell: Arc<dyn ErasedRelation>) -> Option<Arc<C>> {
    cell.into_any().downcast::<C>().ok()
}

// ---------------------------------------------------------------- Many

struct ManyState<T> {
    loaded: bool,
    items: Vec<Tracked<T>>,
    /// Members added since the last flush (pending ones too, when not loaded).
    added: Vec<Tracked<T>>,
    /// Members removed since the last flush.
    removed: Vec<Tracked<T>>,
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
/// ```text
/// #[orm(relationship(back_populates = "team"))]
/// pub heroes: Many<Hero>,
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
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn push(&self, item: &Tracked<T>) -> Result<()> {
        self.cell.ensure_loaded()?;
        self.cell.check_cascade(item)?;
        let member = {
            let mut state = lock(&self.cell.state);
            let member = state.items.contains(item);
            if !member {
                state.items.push(item.clone());
                state.record_add(item);
            }
            member
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

    /// Removes `item`; returns whether it was a member. Its other side is unset.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn remove(&self, item: &Tracked<T>) -> Result<bool> {
        self.cell.ensure_loaded()?;
        {
            let mut state = lock(&self.cell.state);
            let Some(i) = state.items.iter().position(|x| x == item) else {
                return Ok(false);
            };
            state.items.remove(i);
            state.record_remove(item);
        }
        self.cell.after_change(item, false)?;
        Ok(true)
    }

    /// Whether `item` is a member.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn contains(&self, item: &Tracked<T>) -> Result<bool> {
        self.cell.ensure_loaded()?;
        Ok(lock(&self.cell.state).items.contains(item))
    }

    /// How many members there are.
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn len(&self) -> Result<usize> {
        self.cell.ensure_loaded()?;
        Ok(lock(&self.cell.state).items.len())
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
        self.cell.ensure_loaded()?;
        Ok(lock(&self.cell.state).items.get(index).cloned())
    }

    /// The members, in order (handles: cheap clones of the same objects).
    ///
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn to_vec(&self) -> Result<Vec<Tracked<T>>> {
        self.cell.ensure_loaded()?;
        Ok(lock(&self.cell.state).items.clone())
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
    /// # Errors
    /// When the collection must be loaded and cannot be.
    pub fn replace(&self, items: impl IntoIterator<Item = Tracked<T>>) -> Result<()> {
        self.cell.replace(items.into_iter().collect())
    }

    /// Whether the members are loaded.
    pub fn is_loaded(&self) -> bool {
        lock(&self.cell.state).loaded
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

    fn ensure_loaded(&self) -> Result<()> {
        if lock(&self.state).loaded {
            return Ok(());
        }
        let owner = self.owner()?;
        let (index, back) = self.binding.get().map_or((0, None), |b| (b.index, b.back));
        let fetched = session::load_many::<T>(&owner, index)?;
        // A row still linked here whose other side was pointed elsewhere while this side was
        // not loaded (and so could not be told) is no longer a member.
        let fetched: Vec<Tracked<T>> = fetched
            .into_iter()
            .filter(|i| !back_cell(&i.erased(), back).is_some_and(|c| c.moved_away_from(&owner)))
            .collect();
        let mut state = lock(&self.state);
        if !state.loaded {
            let mut items: Vec<Tracked<T>> = fetched
                .into_iter()
                .filter(|i| !state.removed.contains(i))
                .collect();
            for a in &state.added {
                if !items.contains(a) {
                    items.push(a.clone());
                }
            }
            state.items = items;
            state.loaded = true;
        }
        Ok(())
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
            session::register_modified(&owner);
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
        session::register_modified(&item);
        session::register_modified(&owner);
        if added {
            session::cascade(&owner, &item)?;
        }
        Ok(())
    }

    fn replace(&self, new: Vec<Tracked<T>>) -> Result<()> {
        self.ensure_loaded()?;
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
    fn bind(&self, owner: Weak<dyn ErasedObj>, index: usize) {
        bind_cell(&self.binding, owner, index);
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

    fn reachable(&self) -> Vec<ObjRef> {
        let state = lock(&self.state);
        let mut out: Vec<ObjRef> = state.items.iter().map(Tracked::erased).collect();
        if !state.loaded {
            out.extend(state.added.iter().map(Tracked::erased));
        }
        out
    }

    fn history(&self) -> History {
        let state = lock(&self.state);
        History {
            added: state.added.iter().map(Tracked::erased).collect(),
            removed: state.removed.iter().map(Tracked::erased).collect(),
            target: None,
        }
    }

    fn clear_history(&self) {
        let mut state = lock(&self.state);
        state.added.clear();
        state.removed.clear();
    }

    fn load_members(&self) -> Result<Vec<ObjRef>> {
        self.ensure_loaded()?;
        Ok(self.reachable())
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
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
