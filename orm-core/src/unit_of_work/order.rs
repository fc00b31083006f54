//! The order of one table's rows within a flush: inserts and updates parents first, deletes
//! children first, level by level in a table that refers to itself.

use rustc_hash::FxHashMap;

use super::{stored_values, Plan};
use crate::object::addr;
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::session::referenced_key;
use crate::value::Key;

impl Plan {
    /// The rows of `table` to save, as (entry, is insert): updates then inserts, inserts in
    /// the order objects entered the session. In a table that refers to itself, a row comes
    /// after the new rows of the same table it needs the key of (its new parent, or the new
    /// owner of a collection it joined), level by level ([`in_rounds`]).
    pub(super) fn rows_in_order(&self, table: &'static TableMeta) -> Vec<(usize, bool)> {
        let of_table = |list: &[usize]| -> Vec<usize> {
            list.iter()
                .copied()
                .filter(|&i| std::ptr::eq(self.entries[i].obj.meta(), table))
                .collect()
        };
        let mut rows: Vec<(usize, bool)> = of_table(&self.updates)
            .into_iter()
            .map(|i| (i, false))
            .chain(of_table(&self.inserts).into_iter().map(|i| (i, true)))
            .collect();
        let self_referential = table
            .relations
            .iter()
            .any(|r| r.target_table == table.name && r.kind != RelationKind::ManyToMany);
        if !self_referential || rows.len() < 2 {
            return rows;
        }
        let position: FxHashMap<usize, usize> = rows
            .iter()
            .enumerate()
            .map(|(p, &(i, _))| (addr(&self.entries[i].obj), p))
            .collect();
        // edges[p]: the rows that must wait for row p (a new row whose key they need).
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
        let mut waiting_on = vec![0usize; rows.len()];
        let mut edge = |from: usize, to: usize| {
            if from != to && rows[from].1 {
                edges[from].push(to);
                waiting_on[to] += 1;
            }
        };
        for (p, &(i, _)) in rows.iter().enumerate() {
            let history = self.history(i);
            for (r, rel) in table.relations.iter().enumerate() {
                if rel.target_table != table.name {
                    continue;
                }
                match rel.kind {
                    RelationKind::ManyToOne => {
                        if let Some(Some(parent)) = &history[r].target {
                            if let Some(&q) = position.get(&addr(parent)) {
                                edge(q, p);
                            }
                        }
                    }
                    RelationKind::OneToMany => {
                        for child in &history[r].added {
                            if let Some(&q) = position.get(&addr(child)) {
                                edge(p, q);
                            }
                        }
                    }
                    RelationKind::ManyToMany => {}
                }
            }
        }
        let order = in_rounds(&edges, &mut waiting_on);
        rows = order.into_iter().map(|p| rows[p]).collect();
        rows
    }

    /// The deletes of `table`, in the order to run them. In a table that refers to itself, a
    /// row goes after the other deleted rows that refer to it (children before their parents,
    /// whatever order `delete` was called in), as the rows stand in the database.
    pub(super) fn deletes_in_order(&self, table: &'static TableMeta) -> Vec<usize> {
        let rows: Vec<usize> = self
            .deletes
            .iter()
            .copied()
            .filter(|&i| std::ptr::eq(self.entries[i].obj.meta(), table))
            .collect();
        let parents: Vec<usize> = table
            .relations
            .iter()
            .enumerate()
            .filter(|(_, r)| r.target_table == table.name && r.kind == RelationKind::ManyToOne)
            .map(|(i, _)| i)
            .collect();
        if parents.is_empty() || rows.len() < 2 {
            return rows;
        }
        let position: FxHashMap<Key, usize> = rows
            .iter()
            .enumerate()
            .filter_map(|(p, &i)| Some((self.entries[i].obj.state().key.clone()?, p)))
            .collect();
        // edges[p]: the rows that must wait for row p (the parent it refers to).
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); rows.len()];
        let mut waiting_on = vec![0usize; rows.len()];
        for (p, &i) in rows.iter().enumerate() {
            let obj = &self.entries[i].obj;
            let Ok(values) = stored_values(obj) else {
                continue;
            };
            for &r in &parents {
                let Ok(Resolved::ManyToOne { local, remote }) = table.resolved(r) else {
                    continue;
                };
                let Some(parent) = referenced_key(table, local, remote, &values) else {
                    continue;
                };
                if let Some(&q) = position.get(&parent) {
                    if q != p {
                        edges[p].push(q);
                        waiting_on[q] += 1;
                    }
                }
            }
        }
        in_rounds(&edges, &mut waiting_on)
            .into_iter()
            .map(|p| rows[p])
            .collect()
    }
}

impl Plan {
    /// SQLAlchemy's row switch: a new object whose primary key (given, not assigned by the
    /// database) is the key of an object deleted in the same flush takes over that row. Its
    /// INSERT becomes an UPDATE of the columns that differ, and the DELETE does not run, so
    /// the flush never trips over the table's unique key.
    pub(super) fn plan_row_switches(&mut self) {
        let mut deleted: FxHashMap<(usize, Key), usize> = FxHashMap::default();
        for &d in &self.deletes {
            let obj = &self.entries[d].obj;
            if let Some(key) = obj.state().key.clone() {
                deleted.insert((obj.meta().id(), key), d);
            }
        }
        if deleted.is_empty() {
            return;
        }
        for &i in &self.inserts {
            let obj = &self.entries[i].obj;
            let meta = obj.meta();
            let Ok(values) = obj.column_values() else {
                continue;
            };
            let pk: Vec<crate::value::Value> = meta
                .primary_key
                .iter()
                .map(|&c| values[c].clone())
                .collect();
            let Some(key) = Key::from_values(&pk) else {
                continue;
            };
            if let Some(d) = deleted.remove(&(meta.id(), key)) {
                self.entries[i].switch = Some(d);
                self.entries[d].switched = true;
            }
        }
    }
}

/// A topological order of rows `0..n` where `edges[p]` must come after `p`, level by level as
/// SQLAlchemy sorts rows: every row whose predecessors are placed, in row order, then the
/// rows that became ready, and so on (a node's children all come before its grandchildren).
/// A cycle leaves rows waiting: the first of them in row order goes next, and the
/// foreign-key step reports what it cannot fill in.
fn in_rounds(edges: &[Vec<usize>], waiting_on: &mut [usize]) -> Vec<usize> {
    let n = edges.len();
    let mut placed = vec![false; n];
    let mut ordered = Vec::with_capacity(n);
    let mut round: Vec<usize> = (0..n).filter(|&p| waiting_on[p] == 0).collect();
    while ordered.len() < n {
        if round.is_empty() {
            let Some(p) = (0..n).find(|&p| !placed[p]) else {
                break;
            };
            round.push(p);
        }
        let mut next = Vec::new();
        for &p in &round {
            if placed[p] {
                continue;
            }
            placed[p] = true;
            ordered.push(p);
            for &q in &edges[p] {
                waiting_on[q] = waiting_on[q].saturating_sub(1);
                if waiting_on[q] == 0 && !placed[q] {
                    next.push(q);
                }
            }
        }
        next.sort_unstable();
        next.dedup();
        round = next;
    }
    ordered
}
