//! The cycle collector: gives back object graphs that only keep themselves alive.
//!
//! Both sides of a relationship hold each other strongly (a hero's `One` holds its team, the
//! team's `Many` holds the hero), because whatever the user keeps must reach what was loaded or
//! linked, as in SQLAlchemy. Such pairs, new objects linked to each other and never added, and
//! a row that is its own parent are reference cycles: once every handle is gone, the `Arc`
//! counts never reach zero. Python's collector frees them for SQLAlchemy; this module does the
//! same for the one graph the library knows (objects are the nodes, what relationship cells
//! hold the edges), in the manner of trial deletion.
//!
//! - **Candidates.** A new object with relationships, an object whose relationship a session
//!   loaded, and the owner of a relationship someone changed are put in a global registry
//!   (once: a flag on the object says it is there). Objects without relationships, plain
//!   loads and identity-map hits cost nothing.
//! - **When.** [`run_if_due`] runs a collection once the registry gained twice as many new
//!   candidates as survived the last collection (and at least 1024), so its work is O(1)
//!   amortized per candidate; it is called where no lock of the library is held (creating an
//!   object, leaving a session call). [`collect_cycles`] runs one now.
//! - **Judging.** The subgraph reachable from the candidates is read without locks. An object
//!   with more strong references than the subgraph's cells hold is held from outside (a user
//!   handle, a session's list of pending changes) and is a root, as is any object that is not
//!   transient, detached or persistent-and-unchanged, and any with a relationship field shared
//!   beyond its owner. What no root reaches is garbage, provisionally.
//! - **Proof.** The garbage set is then locked (its objects' relationship cells, and the
//!   sessions whose identity maps know them), with `try_lock` only: the collector never waits,
//!   so it cannot deadlock, and an object it cannot lock is kept. Under those locks each garbage
//!   object's strong count must equal the references the set's own cells hold, and its weak
//!   count the weak references the collector can account for (its own cells' bindings, the set's
//!   released collections, the locked sessions' maps). Then no handle to it exists and none can
//!   appear: it is unreachable for good. Objects that fail are kept, with all they reach, and
//!   the rest is checked again.
//! - **Freeing.** The garbage cells are emptied while locked, and the emptied objects leave
//!   their session's identity map and holder list before it is unlocked; what the cells held
//!   is dropped once the cells and sessions are unlocked, and `Arc` frees the objects.
//!
//! `proof` holds the proof; this module the registry, the triggers and the graph.
//!
//! Nothing a user still holds or reaches is ever emptied: the proof is exact, the judging only
//! decides where to look.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};

use rustc_hash::FxHashMap;

mod proof;

use crate::object::{addr, ErasedObj, ObjRef, Status};

/// New candidates below this many never start a collection on their own.
const FLOOR: usize = 1024;

struct Registry {
    candidates: Vec<Weak<dyn ErasedObj>>,
    /// Candidates added since the last collection.
    added: usize,
    /// `added` at which the next collection is due.
    due_at: usize,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    candidates: Vec::new(),
    added: 0,
    due_at: FLOOR,
});
/// A collection is due (read without the registry's lock on every session call).
static DUE: AtomicBool = AtomicBool::new(false);
/// One collection at a time; another thread skips rather than waits.
static RUNNING: Mutex<()> = Mutex::new(());

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `obj` may now be part of a cycle (it was created with relationships, loaded one, or one of
/// its relationships changed): make it a candidate, unless it is one already.
pub(crate) fn note(obj: &ObjRef) {
    if obj.relations().is_empty() {
        return;
    }
    let flag = obj.collect_flag();
    if flag.load(Ordering::Relaxed) || flag.swap(true, Ordering::AcqRel) {
        return;
    }
    let mut registry = registry();
    registry.candidates.push(Arc::downgrade(obj));
    registry.added += 1;
    if registry.added >= registry.due_at {
        DUE.store(true, Ordering::Relaxed);
    }
}

/// Runs a collection if enough candidates were added since the last one. Call only where
/// the current thread holds no lock of the library (a lock it holds would only make the
/// collection keep what it guards, but the work would be wasted).
#[inline]
pub(crate) fn run_if_due() {
    if DUE.load(Ordering::Relaxed) && !std::thread::panicking() {
        collect();
    }
}

/// Frees, now, the object graphs that only keep themselves alive: objects linked to each
/// other that no handle, session list or outside object reaches any more. The library runs
/// this by itself as candidates accumulate (the cost stays proportional to the objects
/// created and linked); call it to give memory back at a moment of your choosing, as
/// Python's `gc.collect()`. Objects that another thread has locked at that moment are kept
/// for a later collection. Returns how many objects were freed.
///
/// Freeing runs the `Drop` of the freed structs' fields (`#[orm(skip)]` fields of your own
/// types) on the collecting thread, inside the collection: for a collection that runs by
/// itself, that is whichever thread made an object or left a session call when one was due.
/// Such a `Drop` should not block on a lock its thread may hold; a `collect_cycles` called
/// from it returns 0 at once, and a panic in it surfaces from the call that set the
/// collection off.
pub fn collect_cycles() -> usize {
    if COLLECTING.with(Cell::get) {
        return 0;
    }
    // A collection running on another thread may hold the candidates: wait for it.
    let running = RUNNING.lock().unwrap_or_else(PoisonError::into_inner);
    collect_with(running)
}

#[cold]
#[inline(never)]
fn collect() {
    // A panic in a `Drop` the last collection ran poisoned `RUNNING`: collections go on.
    let running = match RUNNING.try_lock() {
        Ok(running) => running,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) => return,
    };
    collect_with(running);
}

thread_local! {
    /// This thread is running a collection (and maybe a `Drop` it set off).
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
}

/// What a collection let go of: the cells' contents and its own references. Dropping it frees
/// the garbage, running the `Drop` of its fields, which may do anything (even make objects
/// and start a collection, which then finds `RUNNING` taken): done last, but before `RUNNING`
/// is let go, so that no later collection sees the references of this one.
type Trash = Vec<Box<dyn std::any::Any>>;

/// One collection, under `running`: returns how many objects it freed.
fn collect_with(running: MutexGuard<'_, ()>) -> usize {
    struct Collecting;
    impl Drop for Collecting {
        fn drop(&mut self) {
            COLLECTING.with(|c| c.set(false));
        }
    }
    COLLECTING.with(|c| c.set(true));
    let collecting = Collecting;
    DUE.store(false, Ordering::Relaxed);
    let candidates = std::mem::take(&mut registry().candidates);
    let mut graph = Graph::default();
    for weak in &candidates {
        if let Some(obj) = weak.upgrade() {
            // Not a candidate while this collection runs: a link made meanwhile notes it
            // again, so that a cycle it starts is looked at by the next collection.
            obj.collect_flag().store(false, Ordering::Release);
            graph.node(obj);
        }
    }
    // The registry's weak references are gone while the proof counts weak references.
    drop(candidates);
    graph.discover();
    let mut trash = Trash::new();
    let freed = graph.free_garbage(&mut trash);
    let survivors = graph.survivors(&mut trash);
    let mut registry = registry();
    registry.added = 0;
    registry.due_at = (2 * survivors.len()).max(FLOOR);
    registry.candidates.extend(survivors);
    drop(registry);
    drop(trash);
    drop(collecting);
    drop(running);
    freed
}

/// The subgraph reachable from the candidates: one strong reference per object (the
/// collector's own, accounted for in the proof) and the edges its cells held when read.
#[derive(Default)]
struct Graph {
    nodes: Vec<ObjRef>,
    index: FxHashMap<usize, usize>,
    /// The nodes node `i`'s cells hold strongly (one entry per reference) are
    /// `targets[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    targets: Vec<usize>,
    /// Per node: held from outside the subgraph, or not collectable at all (or its cells
    /// could not be read).
    root: Vec<bool>,
    /// Per node: a cell's lock was taken when it was read.
    unread: Vec<bool>,
    /// Per node: proven garbage, its cells emptied.
    freed: Vec<bool>,
}

impl Graph {
    fn node(&mut self, obj: ObjRef) -> usize {
        let a = addr(&obj);
        if let Some(&i) = self.index.get(&a) {
            return i;
        }
        self.add(a, obj)
    }

    fn add(&mut self, a: usize, obj: ObjRef) -> usize {
        let i = self.nodes.len();
        self.nodes.push(obj);
        self.index.insert(a, i);
        self.root.push(false);
        self.unread.push(false);
        self.freed.push(false);
        i
    }

    fn edges(&self, i: usize) -> &[usize] {
        &self.targets[self.starts[i]..self.starts[i + 1]]
    }

    /// Reads every node's cells (without waiting for their locks), adding what they hold; a
    /// node is only referenced (and counted) while it is new.
    fn discover(&mut self) {
        let mut i = 0;
        while i < self.nodes.len() {
            self.starts.push(self.targets.len());
            let obj = Arc::clone(&self.nodes[i]);
            for cell in obj.relations() {
                let read = cell.0.try_visit(&mut |a, take| {
                    let t = match self.index.get(&a) {
                        Some(&t) => t,
                        None => self.add(a, take()),
                    };
                    self.targets.push(t);
                });
                if !read {
                    self.root[i] = true;
                    self.unread[i] = true;
                }
            }
            i += 1;
        }
        self.starts.push(self.targets.len());
    }

    /// Marks the roots (by count and by state) and what they reach; returns the rest.
    fn provisional_garbage(&mut self) -> Vec<usize> {
        let mut inside = vec![0usize; self.nodes.len()];
        for &t in &self.targets {
            inside[t] += 1;
        }
        for (i, obj) in self.nodes.iter().enumerate() {
            // One strong reference is the collector's own.
            if Arc::strong_count(obj) > inside[i] + 1 || collectable(obj) == Collectable::No {
                self.root[i] = true;
            }
        }
        let live = self.reach(|i| self.root[i]);
        (0..self.nodes.len()).filter(|&i| !live[i]).collect()
    }

    /// The nodes reachable from those `start` selects.
    fn reach(&self, start: impl Fn(usize) -> bool) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = (0..self.nodes.len()).filter(|&i| start(i)).collect();
        for &i in &stack {
            seen[i] = true;
        }
        while let Some(i) = stack.pop() {
            for &t in self.edges(i) {
                if !seen[t] {
                    seen[t] = true;
                    stack.push(t);
                }
            }
        }
        seen
    }

    /// Proves the provisional garbage unreachable under its locks, empties its cells, and
    /// frees it once every lock is let go. Returns how many objects were freed.
    fn free_garbage(&mut self, trash: &mut Trash) -> usize {
        let garbage = self.provisional_garbage();
        if garbage.is_empty() {
            return 0;
        }
        let freed = proof::free(self, garbage, trash);
        for &node in &freed {
            self.freed[node] = true;
        }
        freed.len()
    }

    /// The candidates to keep: live objects whose cells hold something (an object that holds
    /// nothing is in no cycle; if it gets linked later, it is noted again then). The
    /// collector's own references go to `trash`.
    fn survivors(self, trash: &mut Trash) -> Vec<Weak<dyn ErasedObj>> {
        let mut out = Vec::new();
        for (i, obj) in self.nodes.iter().enumerate() {
            let holds = !self.edges(i).is_empty() || self.unread[i];
            let flag = obj.collect_flag();
            if !self.freed[i] && holds && Arc::strong_count(obj) > 1 {
                flag.store(true, Ordering::Release);
                out.push(Arc::downgrade(obj));
            } else {
                flag.store(false, Ordering::Release);
            }
        }
        trash.push(Box::new(self.nodes));
        out
    }
}

/// Whether `obj` may be freed when unreachable.
#[derive(PartialEq, Eq)]
enum Collectable {
    /// Transient or detached: what its cells record is nobody's business once it is
    /// unreachable.
    Yes,
    /// Persistent: only if its relationships record no change a flush would write.
    IfUnchanged,
    /// Pending, deleted, or persistent with changes: its session keeps it on a list (so it is
    /// kept anyway; this only spares the proof), or its state is locked right now.
    No,
}

fn collectable(obj: &ObjRef) -> Collectable {
    let Some(state) = obj.try_state() else {
        return Collectable::No;
    };
    match state.effective_status() {
        Status::Transient | Status::Detached => Collectable::Yes,
        Status::Persistent if !state.registered => Collectable::IfUnchanged,
        Status::Persistent | Status::Pending | Status::Deleted => Collectable::No,
    }
}
