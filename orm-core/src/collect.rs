//! The cycle collector: frees object graphs that only keep themselves alive.
//!
//! Both sides of a relationship hold each other strongly (a hero's `One` holds its team, the
//! team's `Many` holds the hero), because what was loaded must stay readable from whichever
//! side the user keeps. Such pairs (and a row that is its own parent) are reference cycles:
//! once the user's handles and the session's lists let go of them, `Arc` counts never reach
//! zero. This module finds them, in the style of Bacon and Rajan's synchronous trial
//! deletion, over the one graph the library knows: objects are the nodes, the objects a
//! relationship cell holds strongly (members, targets, and their change history) the edges.
//!
//! - **Candidates.** Dropping a [`Tracked`](crate::Tracked) handle while other strong
//!   references remain, the session letting go of an object it held for a flush, and a
//!   relationship being loaded put the object in a global buffer (once: a flag on the object
//!   says it is there). That is O(1) per drop.
//! - **When.** Never inside a drop (it may happen under any lock of the library), but at
//!   safe points: entering a session's method and making a new object, once the buffer holds
//!   more candidates than `max(1024, half the objects the last collection visited)` (so its
//!   cost stays O(1) amortized per dropped handle, and a 100k-object graph is not walked
//!   again at each drop); at the end of `commit`, `rollback`, `close` and a session's drop
//!   (there without the floor of 1024); and on [`collect_cycles`].
//! - **Trial deletion.** The subgraph reachable from the candidates is discovered; then every
//!   cell of it is locked (with `try_lock` only: a lock that is taken, by this thread or
//!   another, makes its owner a root, never a wait, so the collector cannot deadlock), and so
//!   are the sessions whose identity maps could hand its objects out again. Under those locks
//!   no new strong reference to an object of the subgraph can appear: internal ones cannot be
//!   copied out of locked cells, and weak ones (identity map, a detached collection's weak
//!   members) cannot be upgraded. An object is a root when it has more strong references than
//!   the subgraph's cells hold (a user handle, a session list of pending changes, a loader's
//!   temporary), when one of its cells is shared beyond its owner, or when its state is
//!   pending, deleted or modified. Everything reachable from a root is alive; the rest is
//!   garbage, whose cells are emptied (breaking the cycle), after which `Arc` frees it.
//!
//! Costs: one flag and one branch per handle drop (an atomic load when the object has no
//! other reference); a collection visits each object of the candidates' subgraph once, with a
//! `try_lock` per relationship cell. It never runs SQL, and nothing a user still reaches is
//! emptied: clean loaded objects nobody reaches are given back (as SQLAlchemy's weak identity
//! map does with Python's collector) and come back from the database when asked for again.

use std::cell::Cell;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, TryLockError, Weak};

use rustc_hash::FxHashMap;

use crate::object::{addr, ErasedObj, ObjRef, Status};
use crate::relation::{CellRef, HeldGuard};
use crate::session::{SessionCore, SessionShared};

/// Candidates below this many never start a collection on their own.
const FLOOR: usize = 1024;

static BUFFER: Mutex<Vec<Weak<dyn ErasedObj>>> = Mutex::new(Vec::new());
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// How many objects the last collection visited (the amortization rule).
static LAST_VISITED: AtomicUsize = AtomicUsize::new(0);
/// One collection at a time; a second one skips rather than waits.
static RUNNING: Mutex<()> = Mutex::new(());
/// Held (shared) while a weak member of a detached collection is upgraded, and (exclusive)
/// while the collector decides, so no such upgrade brings back what it frees.
static RESURRECT: RwLock<()> = RwLock::new(());

thread_local! {
    /// This thread is inside a collection: it starts no other.
    static COLLECTING: Cell<bool> = const { Cell::new(false) };
    /// The collector is dropping what it took out of cells: not candidates.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Held while a weak reference to an object that no lock of the collector covers is upgraded.
pub(crate) fn upgrading() -> RwLockReadGuard<'static, ()> {
    RESURRECT.read().unwrap_or_else(PoisonError::into_inner)
}

/// A handle to an object with relationships is being dropped while other references exist:
/// the object may now be held by a cycle alone. Only buffered: a drop can happen anywhere,
/// under any lock of the library, so collections run at [`when_due`]'s safe points.
pub(crate) fn dropped_handle(flag: &AtomicBool, relations: &[CellRef]) {
    if QUIET.with(Cell::get) {
        return;
    }
    if !flag.load(Ordering::Acquire) && !flag.swap(true, Ordering::AcqRel) {
        let Some(weak) = relations.first().and_then(|c| c.0.owner_weak()) else {
            flag.store(false, Ordering::Release);
            return;
        };
        push(weak, true);
    }
}

/// Collects if enough candidates came since the last collection. Called where the thread
/// holds no lock of the library: entering a session's method, making a new object.
pub(crate) fn when_due() {
    if PENDING.load(Ordering::Relaxed) >= threshold(FLOOR) {
        run(None, false);
    }
}

/// The session let go of `obj` (a flush wrote it, a rollback or commit forgot it): it may be
/// held by a cycle alone now.
pub(crate) fn let_go(obj: &ObjRef) {
    if Arc::strong_count(obj) > 1 && !obj.relations().is_empty() {
        note(obj);
    }
}

/// `obj`'s relationships were loaded: it may be in a cycle that only a loader's temporaries
/// keep alive.
pub(crate) fn note(obj: &ObjRef) {
    buffer(obj, true);
}

/// Puts `obj` in the buffer unless it is there; `new`: counts towards the next collection
/// (a candidate a collection could not decide waits for new ones, so that a session busy on
/// another thread does not make every drop start a collection that cannot finish).
fn buffer(obj: &ObjRef, new: bool) {
    let flag = obj.collect_flag();
    if !flag.load(Ordering::Acquire) && !flag.swap(true, Ordering::AcqRel) {
        push(Arc::downgrade(obj), new);
    }
}

fn push(weak: Weak<dyn ErasedObj>, new: bool) {
    BUFFER
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(weak);
    if new {
        PENDING.fetch_add(1, Ordering::Relaxed);
    }
}

fn threshold(floor: usize) -> usize {
    floor.max(LAST_VISITED.load(Ordering::Relaxed) / 2).max(1)
}

/// At the end of a commit, rollback or close (or a session's drop): collect if the
/// candidates are many enough for the cost to stay amortized. `held`: the session whose lock
/// the caller holds.
pub(crate) fn at_session_point(held: Option<&SessionCore>) {
    if PENDING.load(Ordering::Relaxed) >= threshold(1) {
        run(held.map(|c| c.me.as_ptr()), false);
    }
}

/// Frees now every group of objects that only keep each other alive (both sides of a
/// relationship loaded, a row that is its own parent, new objects linked to each other), of
/// every session, once nothing else holds them. Returns how many objects were freed.
///
/// This also runs by itself: when enough handles were dropped since the last time, and at
/// `commit`, `rollback` and `close`. Call it to give memory back at a moment of your choosing
/// (after a large batch, or in a test). Objects of a session that another thread is using
/// at that moment are left for a later collection.
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
/// #     #[orm(foreign_key = "team.id")]
/// #     pub team_id: Option<i64>,
/// #     #[orm(relationship(back_populates = "heroes"))]
/// #     pub team: One<Team>,
/// # }
/// let team = Team { name: "Z-Force".into(), ..Default::default() }.track();
/// let hero = Hero { name: "Deadpond".into(), team: One::to(&team), ..Default::default() }.track();
/// let probe = team.clone();
/// drop((team, hero)); // the team holds the hero, the hero holds the team
/// orm::collect_cycles();
/// assert_eq!(probe.read().unwrap().heroes.len().unwrap(), 1); // still held: nothing freed
/// drop(probe);
/// assert!(orm::collect_cycles() >= 2);
/// ```
pub fn collect_cycles() -> usize {
    run(None, true)
}

/// Clears the thread's collecting flag when dropped (a panic in a user's `Drop` included).
struct Collecting;

impl Collecting {
    fn enter() -> Option<Collecting> {
        if COLLECTING.with(|c| c.replace(true)) {
            return None;
        }
        Some(Collecting)
    }
}

impl Drop for Collecting {
    fn drop(&mut self) {
        COLLECTING.with(|c| c.set(false));
    }
}

/// One collection over the buffered candidates; `held`: the session whose lock the caller
/// holds; `wait`: for a collection running on another thread to end, rather than skip (only
/// where no lock of the library is held). Returns how many objects were freed.
fn run(held: Option<*const SessionShared>, wait: bool) -> usize {
    let Some(collecting) = Collecting::enter() else {
        return 0;
    };
    let running = match RUNNING.try_lock() {
        Ok(g) => g,
        Err(TryLockError::Poisoned(p)) => p.into_inner(),
        Err(TryLockError::WouldBlock) if wait => {
            RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
        }
        Err(TryLockError::WouldBlock) => return 0,
    };
    let weaks = std::mem::take(&mut *BUFFER.lock().unwrap_or_else(PoisonError::into_inner));
    PENDING.store(0, Ordering::Relaxed);
    let candidates: Vec<ObjRef> = weaks.iter().filter_map(Weak::upgrade).collect();
    drop(weaks);
    for c in &candidates {
        c.collect_flag().store(false, Ordering::Release);
    }
    let count = candidates.len();
    let mut graph = Graph::new(held);
    for c in candidates {
        graph.add(c);
    }
    graph.discover();
    let (freed, trash) = graph.decide();
    LAST_VISITED.store(graph.nodes.len(), Ordering::Relaxed);
    if graph.retry {
        // A lock was taken: what could not be decided now is decided by a later run.
        for node in graph.nodes.iter().take(count) {
            buffer(&node.obj, false);
        }
    }
    // Emptied cells' contents go first, while the graph still holds every object (quietly:
    // these drops are the collector's own); then the objects themselves, before another
    // collection may start (the graph's references would keep them alive in its eyes). A
    // user's `Drop` running then can drop handles (buffered as usual) but not start a
    // collection on this thread.
    QUIET.with(|q| q.set(true));
    drop(trash);
    QUIET.with(|q| q.set(false));
    drop(graph);
    drop(running);
    drop(collecting);
    freed
}

struct Node {
    obj: ObjRef,
    /// Alive whatever the subgraph says.
    root: bool,
    session: Option<Weak<SessionShared>>,
}

struct Graph {
    nodes: Vec<Node>,
    index: FxHashMap<usize, usize>,
    held: Option<*const SessionShared>,
    /// A lock could not be taken: the candidates go back to the buffer.
    retry: bool,
}

impl Graph {
    fn new(held: Option<*const SessionShared>) -> Graph {
        Graph {
            nodes: Vec::new(),
            index: FxHashMap::default(),
            held,
            retry: false,
        }
    }

    fn add(&mut self, obj: ObjRef) {
        if let Entry::Vacant(e) = self.index.entry(addr(&obj)) {
            e.insert(self.nodes.len());
            self.nodes.push(Node {
                obj,
                root: false,
                session: None,
            });
        }
    }

    /// Walks from the candidates to everything their cells hold, briefly locking one cell
    /// at a time. Objects the session holds for a flush are roots and not walked past.
    fn discover(&mut self) {
        let mut i = 0;
        while i < self.nodes.len() {
            let obj = Arc::clone(&self.nodes[i].obj);
            let state = obj.try_state();
            let Some(state) = state else {
                self.nodes[i].root = true;
                self.retry = true;
                i += 1;
                continue;
            };
            let pending =
                state.registered || matches!(state.status, Status::Pending | Status::Deleted);
            let session = (state.session.strong_count() > 0).then(|| state.session.clone());
            drop(state);
            self.nodes[i].session = session;
            if pending {
                self.nodes[i].root = true;
                i += 1;
                continue;
            }
            for rel in obj.relations() {
                match rel.0.try_held() {
                    Some(targets) => targets.into_iter().for_each(|t| self.add(t)),
                    None => {
                        self.nodes[i].root = true;
                        self.retry = true;
                    }
                }
            }
            i += 1;
        }
    }

    /// Locks the subgraph, finds its garbage and empties the garbage's cells. Returns how
    /// many objects are garbage and what their cells held (to drop once every lock is gone).
    fn decide(&mut self) -> (usize, Vec<Box<dyn std::any::Any>>) {
        let Ok(_no_upgrades) = RESURRECT.try_write() else {
            self.retry = true;
            return (0, Vec::new());
        };
        // The sessions whose identity maps hold the subgraph's objects, locked.
        let mut sessions: Vec<Arc<SessionShared>> = Vec::new();
        for node in &self.nodes {
            let Some(s) = node.session.as_ref() else {
                continue;
            };
            if Some(s.as_ptr()) == self.held
                || sessions.iter().any(|x| Arc::as_ptr(x) == s.as_ptr())
            {
                continue;
            }
            if let Some(s) = s.upgrade() {
                sessions.push(s);
            }
        }
        let locked: Vec<Option<MutexGuard<'_, SessionCore>>> =
            sessions.iter().map(|s| s.try_lock()).collect();
        let mut root: Vec<bool> = self.nodes.iter().map(|n| n.root).collect();
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(s) = node.session.as_ref() else {
                continue;
            };
            let at = sessions.iter().position(|x| Arc::as_ptr(x) == s.as_ptr());
            let open = match at {
                Some(at) => locked[at].is_some(),
                // The caller's session, or one gone since discovery (nothing to lock).
                None => Some(s.as_ptr()) == self.held || s.strong_count() == 0,
            };
            if !open {
                root[i] = true;
                self.retry = true;
            }
        }
        // Every cell of the subgraph, locked.
        let mut guards: Vec<Vec<Box<dyn HeldGuard + '_>>> = Vec::with_capacity(self.nodes.len());
        for (i, node) in self.nodes.iter().enumerate() {
            let mut mine = Vec::new();
            if !root[i] {
                for rel in node.obj.relations() {
                    // A cell shared beyond its owner (a field moved out of the struct, or a
                    // change in progress on another thread) may reach the owner.
                    if Arc::strong_count(&rel.0) > 2 {
                        root[i] = true;
                        break;
                    }
                    match rel.0.lock_held() {
                        Some(g) => mine.push(g),
                        None => {
                            root[i] = true;
                            self.retry = true;
                            break;
                        }
                    }
                }
            }
            guards.push(mine);
        }
        // References from inside the subgraph, and the edges they make.
        let mut inside = vec![0usize; self.nodes.len()];
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (i, gs) in guards.iter().enumerate() {
            if root[i] {
                continue;
            }
            for g in gs {
                g.for_each(&mut |target| {
                    if let Some(&t) = self.index.get(&target) {
                        inside[t] += 1;
                        edges[i].push(t);
                    }
                });
            }
        }
        for (i, node) in self.nodes.iter().enumerate() {
            // All but the graph's own.
            let others = Arc::strong_count(&node.obj) - 1;
            if others != inside[i] {
                root[i] = true;
            }
        }
        // Alive: the roots and everything they reach.
        let mut alive = vec![false; self.nodes.len()];
        let mut stack: Vec<usize> = (0..self.nodes.len()).filter(|&i| root[i]).collect();
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut alive[i], true) {
                continue;
            }
            stack.extend(edges[i].iter().copied().filter(|&t| !alive[t]));
        }
        let mut trash = Vec::new();
        let mut freed = 0;
        for (i, gs) in guards.iter_mut().enumerate() {
            if alive[i] {
                continue;
            }
            freed += 1;
            trash.extend(gs.iter_mut().map(|g| g.take()));
        }
        drop(guards);
        drop(locked);
        (freed, trash)
    }
}
