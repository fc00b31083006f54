//! The identity map: (table, primary key) -> the one live object of that row in a session.
//!
//! Entries are weak: a clean object nobody holds any more is dropped, as in SQLAlchemy, so a
//! long session reading many rows does not keep them all. Objects with unflushed changes are
//! kept alive by the session's own lists (`new`, `modified`, `deleted`), not by this map.
//! Keys hash fast (`FxHash`, and a single integer key is not allocated).

use std::sync::{Arc, Weak};

use rustc_hash::FxHashMap;

use crate::object::{ErasedObj, ObjRef};
use crate::schema::TableMeta;
use crate::value::Key;

#[derive(Default)]
pub(crate) struct IdentityMap {
    map: FxHashMap<(usize, Key), Weak<dyn ErasedObj>>,
    /// Sweep dead entries when the map grows past this.
    next_sweep: usize,
}

impl IdentityMap {
    pub(crate) fn get(&self, meta: &'static TableMeta, key: &Key) -> Option<ObjRef> {
        // Building the tuple clones the key; for `Key::Int` that is a copy.
        self.map.get(&(meta.id(), key.clone()))?.upgrade()
    }

    pub(crate) fn insert(&mut self, meta: &'static TableMeta, key: Key, obj: &ObjRef) {
        if self.map.len() >= self.next_sweep {
            self.map.retain(|_, w| w.strong_count() > 0);
            self.next_sweep = (self.map.len() * 2).max(1024);
        }
        self.map.insert((meta.id(), key), Arc::downgrade(obj));
    }

    pub(crate) fn remove(&mut self, meta: &'static TableMeta, key: &Key) {
        self.map.remove(&(meta.id(), key.clone()));
    }

    /// How many entries refer to `obj` (for the cycle collector's count of weak references).
    pub(crate) fn refs_to(&self, obj: &ObjRef) -> usize {
        let Some(key) = obj.try_state().and_then(|s| s.key.clone()) else {
            return 0;
        };
        let entry = self.map.get(&(obj.meta().id(), key));
        usize::from(entry.is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), Arc::as_ptr(obj))))
    }

    /// Removes `obj`'s entry, if the entry for its key is `obj`.
    pub(crate) fn remove_object(&mut self, obj: &ObjRef) {
        if self.refs_to(obj) == 1 {
            if let Some(key) = obj.try_state().and_then(|s| s.key.clone()) {
                self.map.remove(&(obj.meta().id(), key));
            }
        }
    }

    /// Every live object.
    pub(crate) fn objects(&self) -> Vec<ObjRef> {
        self.map.values().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.next_sweep = 0;
    }
}
