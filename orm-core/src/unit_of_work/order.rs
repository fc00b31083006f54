//! The order of one table's rows within a flush.

use rustc_hash::FxHashMap;

use super::Plan;
use crate::object::addr;
use crate::schema::{RelationKind, TableMeta};

impl Plan {
    /// The rows of `table` to save, as (entry, is insert): updates then inserts, inserts in
    /// the order objects entered the session. In a table that refers to itself, a row comes
    /// after the new rows of the same table it needs the key of (its new parent, or the new
    /// owner of a collection it joined): a stable topological order (Kahn's algorithm).
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
            let e = &self.entries[i];
            for (r, rel) in table.relations.iter().enumerate() {
                if rel.target_table != table.name {
                    continue;
                }
                match rel.kind {
                    RelationKind::ManyToOne => {
                        if let Some(Some(parent)) = &e.history[r].target {
                            if let Some(&q) = position.get(&addr(parent)) {
                                edge(q, p);
                            }
                        }
                    }
                    RelationKind::OneToMany => {
                        for child in &e.history[r].added {
                            if let Some(&q) = position.get(&addr(child)) {
                                edge(p, q);
                            }
                        }
                    }
                    RelationKind::ManyToMany => {}
                }
            }
        }
        let mut ready: std::collections::BTreeSet<usize> =
            (0..rows.len()).filter(|&p| waiting_on[p] == 0).collect();
        let mut ordered = Vec::with_capacity(rows.len());
        let mut placed = vec![false; rows.len()];
        while ordered.len() < rows.len() {
            // A cycle leaves rows waiting: take the first in session order, and let the
            // foreign-key step report what it cannot fill in.
            let p = match ready.pop_first() {
                Some(p) => p,
                None => (0..rows.len()).find(|&p| !placed[p]).unwrap_or(0),
            };
            if placed[p] {
                continue;
            }
            placed[p] = true;
            ordered.push(rows[p]);
            for &q in &edges[p] {
                waiting_on[q] = waiting_on[q].saturating_sub(1);
                if waiting_on[q] == 0 && !placed[q] {
                    ready.insert(q);
                }
            }
        }
        rows = ordered;
        rows
    }
}
