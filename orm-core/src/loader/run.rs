//! Running loader options inside the session (under its lock): for the objects a query
//! returned, each eager relationship that is not loaded yet (and holds no unflushed change)
//! is loaded for all of them with one statement per 500 keys, its rows going through the
//! identity map, and then the options nested under it run on what it loaded.

use rustc_hash::{FxHashMap, FxHashSet};

use super::{effective, LoadNode};
use crate::error::Result;
use crate::object::{addr, ObjRef};
use crate::query::RelRef;
use crate::schema::{Lazy, Resolved, TableMeta};
use crate::session::{referenced_by, target_key, SessionCore, Shape};
use crate::sql;
use crate::value::{Key, Value};

/// Keys bound by one select-in statement (SQLAlchemy's chunk size).
pub(crate) const CHUNK: usize = 500;

impl SessionCore {
    /// Runs the loader options that apply to `owners` (objects of table `meta`): `given`
    /// ones, and the declared defaults of the others.
    pub(crate) fn run_loads(
        &mut self,
        owners: &[ObjRef],
        meta: &'static TableMeta,
        given: &[LoadNode],
    ) -> Result<()> {
        self.run_loads_on(owners, meta, given, &mut Vec::new())
    }

    /// The declared eager defaults of objects a lazy load of `via` just read (`via` itself
    /// is loading: no default leads back into it).
    pub(crate) fn run_defaults_after(
        &mut self,
        objects: &[ObjRef],
        meta: &'static TableMeta,
        via: RelRef,
    ) -> Result<()> {
        self.run_loads_on(objects, meta, &[], &mut vec![via])
    }

    fn run_loads_on(
        &mut self,
        owners: &[ObjRef],
        meta: &'static TableMeta,
        given: &[LoadNode],
        path: &mut Vec<RelRef>,
    ) -> Result<()> {
        if owners.is_empty() {
            return Ok(());
        }
        for node in effective(meta, given, path) {
            if matches!(node.how, Lazy::Select | Lazy::Raise) {
                continue;
            }
            let rel = node.rel.rel;
            let needing: Vec<ObjRef> = owners
                .iter()
                .filter(|o| !o.relations()[rel].0.is_settled())
                .cloned()
                .collect();
            if !needing.is_empty() {
                self.load_relation(&needing, meta, rel)?;
            }
            path.push(node.rel);
            let target = (meta.relations[rel].target)();
            // The loaded objects are gathered only when something is to be loaded for them.
            let eager = |n: &LoadNode| matches!(n.how, Lazy::SelectIn | Lazy::Joined);
            let nested = if effective(target, &node.then, path).iter().any(eager) {
                let mut seen = FxHashSet::default();
                let targets: Vec<ObjRef> = owners
                    .iter()
                    .flat_map(|o| o.relations()[rel].0.reachable())
                    .filter(|t| seen.insert(addr(t)))
                    .collect();
                self.run_loads_on(&targets, target, &node.then, path)
            } else {
                Ok(())
            };
            path.pop();
            nested?;
        }
        Ok(())
    }

    /// Loads relationship `rel` of every owner in `owners` (none of them loaded).
    fn load_relation(
        &mut self,
        owners: &[ObjRef],
        meta: &'static TableMeta,
        rel: usize,
    ) -> Result<()> {
        for owner in owners {
            self.note_holder(owner);
        }
        let target = (meta.relations[rel].target)();
        let order = sql::relation_order(meta, rel)?;
        match meta.resolved(rel)? {
            Resolved::OneToMany { remote_fk, local } => {
                let keys = owner_keys(owners, local)?;
                let text = |n| sql::select_in(target, remote_fk, n) + &order;
                let members = self.load_grouped(target, &keys, text, remote_fk)?;
                populate(owners, rel, &keys, members);
            }
            Resolved::ManyToMany {
                link,
                to_owner,
                to_target,
            } => {
                let local: Vec<usize> = to_owner.iter().map(|p| p.1).collect();
                let keys = owner_keys(owners, &local)?;
                let text = |n| sql::select_in_link(target, link, to_owner, to_target, n) + &order;
                let width = target.columns.len();
                let key_cols: Vec<usize> = (width..width + to_owner.len()).collect();
                let members = self.load_grouped(target, &keys, text, &key_cols)?;
                populate(owners, rel, &keys, members);
            }
            Resolved::ManyToOne { .. } => self.load_parents(owners, rel, target)?,
        }
        Ok(())
    }

    /// Runs `text(n)` for the distinct `keys` in chunks, and groups the rows it returns by
    /// the key read from `key_cols`: the members of each owner, in row order.
    fn load_grouped(
        &mut self,
        target: &'static TableMeta,
        keys: &[Option<Key>],
        text: impl Fn(usize) -> String,
        key_cols: &[usize],
    ) -> Result<FxHashMap<Key, Vec<ObjRef>>> {
        let mut distinct: Vec<&Key> = Vec::new();
        let mut seen = FxHashSet::default();
        for k in keys.iter().flatten() {
            if seen.insert(k) {
                distinct.push(k);
            }
        }
        let mut members: FxHashMap<Key, Vec<ObjRef>> = FxHashMap::default();
        for chunk in distinct.chunks(CHUNK) {
            let params: Vec<Value> = chunk.iter().flat_map(|k| k.to_values()).collect();
            let shape = Shape {
                entities: &[(target, 0)],
                key_cols,
            };
            let fetched = self.fetch_shaped(&text(chunk.len()), &params, &shape)?;
            for (obj, key) in fetched.objects.into_iter().zip(fetched.keys) {
                if let (Some(obj), Some(key)) = (obj, key) {
                    members.entry(key).or_default().push(obj);
                }
            }
        }
        Ok(members)
    }

    /// A many-to-one for many owners: the targets not in the identity map are read with
    /// `SELECT ... WHERE <key> IN (...)`, then each owner's target comes from the map.
    fn load_parents(
        &mut self,
        owners: &[ObjRef],
        rel: usize,
        target: &'static TableMeta,
    ) -> Result<()> {
        // An owner whose foreign key cannot be read now (a write guard is out on it) is left
        // unloaded, to load when it is read: its key may be about to change.
        let keys: Vec<Option<Option<Key>>> =
            owners.iter().map(|o| target_key(o, rel).ok()).collect();
        let missing: Vec<Key> = {
            let mut seen = FxHashSet::default();
            keys.iter()
                .flatten()
                .flatten()
                .filter(|k| self.identity.get(target, k).is_none() && seen.insert(*k))
                .cloned()
                .collect()
        };
        // The identity map holds clean objects weakly: keep the ones read here alive until
        // their owners hold them.
        let mut read = Vec::new();
        for chunk in missing.chunks(CHUNK) {
            let params: Vec<Value> = chunk.iter().flat_map(Key::to_values).collect();
            let text = sql::select_in(target, target.primary_key, chunk.len());
            let shape = Shape {
                entities: &[(target, 0)],
                key_cols: &[],
            };
            read.extend(self.fetch_shaped(&text, &params, &shape)?.objects);
        }
        for (owner, key) in owners.iter().zip(keys) {
            let Some(key) = key else { continue };
            let found = key.and_then(|k| self.identity.get(target, &k));
            owner.relations()[rel]
                .0
                .populate(found.into_iter().collect());
        }
        drop(read);
        Ok(())
    }
}

/// The values of `cols` of each owner, as a key (`None` when one is NULL): what the rows of
/// a one-to-many or many-to-many relationship refer to.
fn owner_keys(owners: &[ObjRef], cols: &[usize]) -> Result<Vec<Option<Key>>> {
    owners
        .iter()
        .map(|o| {
            let key = o.state().key.clone();
            let values = referenced_by(o, key.as_ref(), cols.iter().copied())?;
            Ok(Key::from_values(&values))
        })
        .collect()
}

/// Hands each owner its members (none for an owner whose key found no row).
fn populate(
    owners: &[ObjRef],
    rel: usize,
    keys: &[Option<Key>],
    members: FxHashMap<Key, Vec<ObjRef>>,
) {
    for (owner, key) in owners.iter().zip(keys) {
        let found = key
            .as_ref()
            .and_then(|k| members.get(k).cloned())
            .unwrap_or_default();
        owner.relations()[rel].0.populate(found);
    }
}
