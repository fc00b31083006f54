//! The proof of the cycle collector (see the parent module): the provisional garbage locked
//! (its relationship cells, and the sessions whose identity maps and holder lists know it),
//! its counts checked under those locks until what is left is a closed island, and that
//! island emptied.

use std::sync::atomic::Ordering;
use std::sync::{Arc, MutexGuard};

use rustc_hash::FxHashMap;

use super::{collectable, Collectable, Graph, Trash};
use crate::object::{addr, ObjRef};
use crate::relation::HeldGuard;
use crate::session::{SessionCore, SessionShared};

/// Proves `garbage` (nodes of `graph`) unreachable, empties the cells of what is proven into
/// `trash`, and takes it out of its session's identity map and holder list while that is
/// still locked: nothing may hand an emptied object out before it is freed. Returns the nodes
/// emptied.
pub(super) fn free(graph: &Graph, garbage: Vec<usize>, trash: &mut Trash) -> Vec<usize> {
    let sessions = sessions_of(&graph.nodes, &garbage);
    let mut proof = Proof::lock(graph, &sessions, garbage);
    proof.settle();
    let mut freed = Vec::new();
    for g in proof.members.iter_mut().filter(|m| m.garbage) {
        for cell in &mut g.cells {
            trash.push(cell.take());
        }
        freed.push(g.node);
        if let Some(core) = g.session.and_then(|s| proof.sessions[s].as_mut()) {
            let obj = &graph.nodes[g.node];
            core.identity.remove_object(obj);
            core.forget_holder(obj);
        }
    }
    drop(proof);
    freed
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
