//! Relationship fields: [`One<T>`] (many-to-one: this row holds the foreign key; or the
//! reverse side of a one-to-one, whose target holds it) and [`Many<T>`] (one-to-many, or
//! many-to-many through a link table), and how they keep both sides in step.
//!
//! Each field is a small shared cell, separate from its owner's data lock, bound to its owner
//! when the owner is tracked or loaded. Changes go through methods (`set`, `push`, `remove`,
//! ...) that update this side, then the other side (`back_populates`) through the other
//! object's cell: one cell lock at a time, never nested, so holding a guard on either object
//! never deadlocks. A side that is not loaded records the change and applies it when it loads.
//! Each cell keeps its history since the last flush (added / removed members, a changed
//! target), which the unit of work turns into foreign keys, link rows and deletes. Loading
//! goes through the owner's session (`session` module); this module only decides what to
//! load and when. `one` holds [`One<T>`], `many` holds [`Many<T>`]; the shared machinery is here.

use std::any::Any;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use crate::error::Result;
use crate::object::{ErasedObj, ObjRef};
use crate::schema::TableMeta;
use crate::value::Key;

mod many;
mod one;
mod one_to_one;

pub use many::Many;
pub use one::One;

/// Which object and field a relationship cell belongs to.
pub(crate) struct Binding {
    pub(crate) owner: Weak<dyn ErasedObj>,
    pub(crate) index: usize,
    /// The field on the target that mirrors this one, by index.
    pub(crate) back: Option<usize>,
    /// The target holds the foreign key (a one-to-many, or the reverse side of a one-to-one).
    pub(crate) reverse: bool,
}

impl Binding {
    pub(crate) fn owner(&self) -> Option<ObjRef> {
        self.owner.upgrade()
    }
}

pub(crate) fn bind_cell(
    slot: &OnceLock<Binding>,
    owner: Weak<dyn ErasedObj>,
    meta: &'static TableMeta,
    index: usize,
) {
    let back = meta.back_index(index);
    let reverse = meta.relations[index].kind == crate::schema::RelationKind::OneToMany;
    let _ = slot.set(Binding {
        owner,
        index,
        back,
        reverse,
    });
}

/// What changed in a relationship since the last flush.
#[derive(Default)]
pub(crate) struct History {
    pub added: Vec<ObjRef>,
    pub removed: Vec<ObjRef>,
    /// For a `One`: `Some(new target)` when it was set since the last flush.
    pub target: Option<Option<ObjRef>>,
    /// For a `Many`: whether it is loaded. Members added to a collection that is not loaded
    /// were not checked against the database (they may be stored already).
    pub loaded: bool,
    /// For the reverse side of a one-to-one: its target was set while it was not loaded
    /// (the holder side built with `One::to`), so the holder it replaced, if any, is not
    /// known in memory; the unit of work looks for it.
    pub unknown_before: bool,
}

/// A relationship field's shared cell, as generated code passes it around.
#[doc(hidden)]
#[derive(Clone)]
pub struct CellRef(pub(crate) Arc<dyn ErasedRelation>);

/// What the runtime needs of any relationship cell.
pub(crate) trait ErasedRelation: Send + Sync + 'static {
    /// Attaches the cell to its owner (of table `meta`), as relationship `index`.
    fn bind(&self, owner: Weak<dyn ErasedObj>, meta: &'static TableMeta, index: usize);
    /// Tells the other side about the members a new object was built with.
    fn sync_initial(&self, owner: &ObjRef);
    /// Forgets what is loaded (after commit, refresh or expire).
    fn expire(&self);
    /// The owner's session let go of it: keep what stays readable without keeping members
    /// alive (a loaded `One` keeps its target; a collection keeps its members weakly, which
    /// breaks the cycle two objects loaded on both sides of a relationship would make).
    fn release(&self);
    /// Sets the target key read from the owner's row (many-to-one only).
    fn set_loaded_key(&self, key: Option<Key>);
    /// The other side added `item` here.
    fn backref_add(&self, item: &ObjRef);
    /// The other side removed `item` from here.
    fn backref_remove(&self, item: &ObjRef);
    /// The other side found `item` already stored when it loaded: a pending add of it here
    /// was no change after all.
    fn forget_added(&self, item: &ObjRef) {
        let _ = item;
    }
    /// A flush skipped `item`, a new member not in the session: it stays recorded as added
    /// (a collection that is not loaded merges it in when it loads, and a later flush writes
    /// it once it joins the session).
    fn keep_added(&self, item: &ObjRef) {
        let _ = item;
    }
    /// Its owner's INSERT was rolled back: what it holds is a change again (a `One`'s
    /// target, a loaded collection's members), for the owner's next flush.
    fn restore_pending(&self);
    /// Whether a loader must leave this relationship alone: it is loaded, or holds changes
    /// not yet flushed.
    fn is_settled(&self) -> bool;
    /// A loader read the members (the target, for a `One`): this relationship is loaded
    /// with them, unless it [`is_settled`](Self::is_settled) meanwhile.
    fn populate(&self, members: Vec<ObjRef>);
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
    /// Called before the other side adds an item here: a reverse one-to-one loads what it
    /// holds, so the holder it replaces is unset in memory and at the flush.
    fn prepare_backref_add(&self) -> Result<()> {
        Ok(())
    }
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    /// Calls `f` for each object this cell holds strongly (members, target, and those its
    /// history keeps), once per reference, with its address and a way to take a reference to
    /// it; `false` when the cell's lock is taken (the cycle collector never waits).
    fn try_visit(&self, f: &mut dyn FnMut(usize, &dyn Fn() -> ObjRef)) -> bool;
    /// The cell locked for the cycle collector; `None` when its lock is taken.
    fn lock_held(&self) -> Option<Box<dyn HeldGuard + '_>>;
    /// The address of the object this cell is bound to (`None`: not bound yet).
    fn owner_addr(&self) -> Option<usize>;
}

/// A relationship cell locked by the cycle collector (see `collect`).
pub(crate) trait HeldGuard {
    /// Calls `f` with the address of each object the cell refers to, once per reference, and
    /// whether the reference is strong (a weak one: a member kept after the session let go).
    fn for_each(&self, f: &mut dyn FnMut(usize, bool));
    /// Whether the cell records a change a flush would write.
    fn has_changes(&self) -> bool;
    /// Empties the cell (its owner is garbage), returning what it held, to be dropped once
    /// no lock is held.
    fn take(&mut self) -> Box<dyn Any>;
}

/// `Mutex::try_lock`, a poisoned lock taken as is.
pub(crate) fn try_lock<S>(m: &Mutex<S>) -> Option<MutexGuard<'_, S>> {
    match m.try_lock() {
        Ok(g) => Some(g),
        Err(std::sync::TryLockError::Poisoned(p)) => Some(p.into_inner()),
        Err(std::sync::TryLockError::WouldBlock) => None,
    }
}

/// A relationship of the cell's owner was filled by a load: the owner may now be part of a
/// cycle (the session noted it before the SELECT; a collection may have looked at it, empty,
/// in between).
pub(crate) fn filled(binding: &OnceLock<Binding>) {
    if let Some(owner) = binding.get().and_then(Binding::owner) {
        crate::collect::note(&owner);
    }
}

/// A relationship of `obj` changed: its session has a change to flush, and the object may now
/// be part of a cycle (see `collect`).
pub(crate) fn changed(obj: &ObjRef) {
    crate::session::register_modified(obj);
    crate::collect::note(obj);
}

/// Something a relationship assignment through a write guard asks for, applied when the
/// guard drops.
#[doc(hidden)]
pub struct Reassignment(pub(crate) Box<dyn FnOnce() -> Result<()> + Send>);

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

pub(crate) fn same_cell<C: ?Sized>(a: &Arc<C>, b: &Arc<dyn ErasedRelation>) -> bool {
    std::ptr::eq(Arc::as_ptr(a) as *const (), Arc::as_ptr(b) as *const ())
}

pub(crate) fn lock<S>(m: &Mutex<S>) -> MutexGuard<'_, S> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn back_cell(item: &ObjRef, back: Option<usize>) -> Option<Arc<dyn ErasedRelation>> {
    back.and_then(|b| item.relations().get(b).map(|c| Arc::clone(&c.0)))
}

/// Why a relationship loads, which decides whether `lazy = "raise"` applies and whether
/// pending changes are flushed first.
///
/// Only a load the user asked for autoflushes. A change (`set`, `push`, `remove`, a
/// back-populate) that needs the current members loads in the middle of being made: a flush
/// then would write half of it (the old target left, the new one not yet recorded), which is
/// why SQLAlchemy runs such loads under `no_autoflush`. The session's own loads (what a delete
/// or an orphan's subtree needs) never flush either.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LoadFor {
    /// Reading the relationship (`get`, `len`, `iter`, `contains`, ...): `lazy = "raise"`
    /// refuses, and pending changes are flushed before the SELECT, as before a query.
    Read,
    /// A change needs the current members: `lazy = "raise"` refuses; nothing is flushed.
    Change,
    /// The session's own load: neither.
    Session,
}

impl LoadFor {
    pub(crate) fn checks_raise(self) -> bool {
        self != LoadFor::Session
    }

    pub(crate) fn autoflushes(self) -> bool {
        self == LoadFor::Read
    }
}

/// Fails with [`Error::LazyLoadRaised`](crate::Error::LazyLoadRaised) when relationship
/// `index` of `owner` is declared `lazy = "raise"` (checked before a lazy load runs SQL).
pub(crate) fn check_lazy_allowed(owner: &ObjRef, index: usize) -> Result<()> {
    let meta = owner.meta();
    let def = &meta.relations[index];
    if def.lazy == crate::schema::Lazy::Raise {
        return Err(crate::Error::LazyLoadRaised {
            table: meta.rust_name,
            field: def.field,
        });
    }
    Ok(())
}

/// Recovers the typed cell behind an erased relationship cell.
pub(crate) fn downcast_cell<C: Any + Send + Sync>(cell: Arc<dyn ErasedRelation>) -> Option<Arc<C>> {
    cell.into_any().downcast::<C>().ok()
}
