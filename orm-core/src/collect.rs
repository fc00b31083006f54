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
//! - **Freeing.** The garbage cells are emptied while locked; what they held is dropped after
//!   every lock is let go, and `Arc` frees the objects.
//!
//! Nothing a user still holds or reaches is ever emptied: the proof is exact, the judging only
//! decides where to look.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError, Weak};

use rustc_hash::FxHashMap;

use crate::object::{addr, ErasedObj, ObjRef, Status};
use crate::relation::HeldGuard;
use crate::session::{SessionCore, SessionShared};

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
        let sessions = sessions_of(&self.nodes, &garbage);
        let mut proof = Proof::lock(self, &sessions, garbage);
        proof.settle();
        let mut freed = Vec::new();
        for g in proof.members.iter_mut().filter(|m| m.garbage) {
            for cell in &mut g.cells {
                trash.push(cell.take());
            }
            freed.push(g.node);
            // Out of its session's identity map and holder list while that is still locked:
            // nothing may hand the emptied object out before it is freed.
            if let Some(core) = g.session.and_then(|s| proof.sessions[s].as_mut()) {
                let obj = &self.nodes[g.node];
                core.identity.remove_object(obj);
                core.forget_holder(obj);
            }
        }
        drop(proof);
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

/// One provisional garbage object, its cells locked.
struct Member<'a> {
    node: usize,
    /// Its session's index in the locked sessions, if it has one.
    session: Option<usize>,
    cells: Vec<Box<dyn HeldGuard + 'a>>,
    /// Weak references to it that locked structures account for (identity map, session's
    /// holder list); the object's own bindings are added in `settle`.
    known_weak: usize,
    garbage: bool,
}

/// The provisional garbage locked for the proof: its cells, and the sessions of its
/// persistent objects.
struct Proof<'a> {
    graph: &'a Graph,
    members: Vec<Member<'a>>,
    by_node: FxHashMap<usize, usize>,
    /// Held for the duration of the proof and the emptying.
    sessions: Vec<Option<MutexGuard<'a, SessionCore>>>,
}

impl<'a> Proof<'a> {
    fn lock(graph: &'a Graph, sessions: &'a [Arc<SessionShared>], garbage: Vec<usize>) -> Self {
        // A session busy on another thread (or on this one, further up) keeps its objects.
        let locked: Vec<Option<MutexGuard<'a, SessionCore>>> =
            sessions.iter().map(|s| s.try_lock()).collect();
        let mut members = Vec::with_capacity(garbage.len());
        for node in garbage {
            let obj: &'a ObjRef = &graph.nodes[node];
            let session = session_index(obj, sessions);
            let known_weak = match session {
                None => 0,
                Some(s) => match &locked[s] {
                    None => continue,
                    Some(core) => core.identity_refs(obj) + core.holder_refs(obj),
                },
            };
            let mut cells = Vec::with_capacity(obj.relations().len());
            let all = obj.relations().iter().all(|c| match c.0.lock_held() {
                Some(g) => {
                    cells.push(g);
                    true
                }
                None => false,
            });
            if all {
                members.push(Member {
                    node,
                    session,
                    cells,
                    known_weak,
                    garbage: true,
                });
            }
        }
        let by_node = members
            .iter()
            .enumerate()
            .map(|(m, member)| (member.node, m))
            .collect();
        Proof {
            graph,
            members,
            by_node,
            sessions: locked,
        }
    }

    /// Keeps every member whose counts the locked set does not explain, and all it reaches,
    /// until the rest is a closed island (or nothing is left).
    fn settle(&mut self) {
        loop {
            let n = self.members.len();
            let mut strong = vec![0usize; n];
            let mut weak = vec![0usize; n];
            for m in self.members.iter().filter(|m| m.garbage) {
                for cell in &m.cells {
                    cell.for_each(&mut |a, is_strong| {
                        let Some(&node) = self.graph.index.get(&a) else {
                            return;
                        };
                        if let Some(&t) = self.by_node.get(&node) {
                            if is_strong {
                                strong[t] += 1;
                            } else {
                                weak[t] += 1;
                            }
                        }
                    });
                }
            }
            let mut kept = Vec::new();
            for (m, member) in self.members.iter().enumerate().filter(|(_, m)| m.garbage) {
                let obj = &self.graph.nodes[member.node];
                // The weak references of its cells' bindings, if they are bound to it (a cell
                // moved in from another object's struct stays bound to that object).
                let own_bindings = obj
                    .relations()
                    .iter()
                    .filter(|c| c.0.owner_addr() == Some(addr(obj)))
                    .count();
                // Read in this order: a cell shared beyond its owner, then a weak reference
                // (one upgraded meanwhile shows in the strong count read after the fence).
                let cells_own = obj.relations().iter().all(|c| Arc::strong_count(&c.0) == 2);
                let weak_ok = Arc::weak_count(obj) == own_bindings + member.known_weak + weak[m];
                std::sync::atomic::fence(Ordering::Acquire);
                let explained = cells_own
                    && weak_ok
                    && Arc::strong_count(obj) == strong[m] + 1
                    && match collectable(obj) {
                        Collectable::Yes => true,
                        Collectable::IfUnchanged => member.cells.iter().all(|c| !c.has_changes()),
                        Collectable::No => false,
                    };
                if !explained {
                    kept.push(m);
                }
            }
            if kept.is_empty() {
                return;
            }
            // A kept member keeps what it holds.
            let mut stack = kept;
            while let Some(m) = stack.pop() {
                if !self.members[m].garbage {
                    continue;
                }
                self.members[m].garbage = false;
                for cell in &self.members[m].cells {
                    cell.for_each(&mut |a, is_strong| {
                        if !is_strong {
                            return;
                        }
                        if let Some(&t) = self
                            .graph
                            .index
                            .get(&a)
                            .and_then(|node| self.by_node.get(node))
                        {
                            stack.push(t);
                        }
                    });
                }
            }
        }
    }
}

/// The live sessions the `garbage` nodes belong to, each once.
fn sessions_of(nodes: &[ObjRef], garbage: &[usize]) -> Vec<Arc<SessionShared>> {
    let mut out: Vec<Arc<SessionShared>> = Vec::new();
    for &g in garbage {
        let Some(state) = nodes[g].try_state() else {
            continue;
        };
        if let Some(s) = state.session.upgrade() {
            if !out.iter().any(|o| Arc::ptr_eq(o, &s)) {
                out.push(s);
            }
        }
    }
    out
}

/// Which of `sessions` `obj` belongs to (`None`: no live session).
fn session_index(obj: &ObjRef, sessions: &[Arc<SessionShared>]) -> Option<usize> {
    let state = obj.try_state()?;
    let session = state.session.upgrade()?;
    sessions.iter().position(|s| Arc::ptr_eq(s, &session))
}
