//! Reading rows for objects: keys from rows, foreign keys to target keys, and the entry
//! points handles and relationship cells call (reload, lazy loads, registering a change, the
//! cascade). Callers hold no session lock; these take it.

use std::sync::Arc;

use super::SessionShared;
use crate::error::{Error, Result};
use crate::object::{typed, ObjRef, Status, Tracked};
use crate::query::RelRef;
use crate::schema::{RelationKind, Resolved, TableMeta};
use crate::sql;
use crate::table::{RowReader, Table};
use crate::value::{Key, Value};

pub(crate) fn row_key(reader: &RowReader<'_>) -> Result<Key> {
    let meta = reader.meta;
    if let [i] = meta.primary_key {
        if let Ok(crate::value::ValueRef::Integer(v)) = reader.raw(*i) {
            return Ok(Key::Int(v));
        }
    }
    let values: Vec<Value> = meta
        .primary_key
        .iter()
        .map(|&i| reader.raw(i).map(Value::from_ref).map_err(Error::from))
        .collect::<Result<_>>()?;
    Key::from_values(&values).ok_or(Error::Decode {
        table: meta.name,
        column: meta.columns[meta.primary_key[0]].name,
        message: "primary key is NULL".into(),
    })
}

/// The key of the row that the foreign-key columns `local` (referencing `remote` of
/// `target`) point at, from the owner's values; `None` when a column is NULL.
pub(crate) fn referenced_key(
    target: &'static TableMeta,
    local: &[usize],
    remote: &[usize],
    values: &[Value],
) -> Option<Key> {
    let mut ordered = Vec::with_capacity(target.primary_key.len());
    for pk in target.primary_key {
        let pos = remote.iter().position(|r| r == pk)?;
        ordered.push(values[local[pos]].clone());
    }
    Key::from_values(&ordered)
}

/// The key many-to-one relationship `rel` of `obj` points at by the foreign-key values the
/// object holds now (no SQL; `None` when they are NULL or the object is borrowed).
pub(crate) fn foreign_key_of(obj: &ObjRef, rel: usize) -> Option<Key> {
    target_key(obj, rel).ok().flatten()
}

/// The key many-to-one relationship `rel` of `obj` points at, reading only the foreign-key
/// columns; `None` when one is NULL (or `rel` is not a many-to-one).
pub(crate) fn target_key(obj: &ObjRef, rel: usize) -> Result<Option<Key>> {
    key_through(obj.meta(), rel, |c| obj.column_value(c))
}

/// The key many-to-one relationship `rel` of a table points at, from its foreign-key column
/// values as `value` gives them (from an object, or straight from a row).
fn key_through(
    meta: &'static TableMeta,
    rel: usize,
    value: impl Fn(usize) -> Result<Value>,
) -> Result<Option<Key>> {
    let Resolved::ManyToOne { local, remote } = meta.resolved(rel)? else {
        return Ok(None);
    };
    let target = (meta.relations[rel].target)();
    if let [pk] = target.primary_key {
        // A single-column key (the common case), without a list.
        let Some(pos) = remote.iter().position(|r| r == pk) else {
            return Ok(None);
        };
        return Ok(Key::from_values(std::slice::from_ref(&value(local[pos])?)));
    }
    let mut ordered = Vec::with_capacity(target.primary_key.len());
    for pk in target.primary_key {
        let Some(pos) = remote.iter().position(|r| r == pk) else {
            return Ok(None);
        };
        ordered.push(value(local[pos])?);
    }
    Ok(Key::from_values(&ordered))
}

/// Tells each many-to-one relationship of a freshly loaded object which row it points at.
pub(crate) fn set_one_keys(obj: &ObjRef) -> Result<()> {
    let meta = obj.meta();
    for (i, rel) in meta.relations.iter().enumerate() {
        if rel.kind == RelationKind::ManyToOne {
            let key = target_key(obj, i)?;
            obj.relations()[i].0.set_loaded_key(key);
        }
    }
    Ok(())
}

/// [`set_one_keys`] from the row the object was just loaded from (no lock on the object).
pub(crate) fn set_one_keys_from_row(obj: &ObjRef, reader: &RowReader<'_>) -> Result<()> {
    let meta = reader.meta;
    for (i, rel) in meta.relations.iter().enumerate() {
        if rel.kind == RelationKind::ManyToOne {
            let key = key_through(meta, i, |c| Ok(Value::from_ref(reader.raw(c)?)))?;
            obj.relations()[i].0.set_loaded_key(key);
        }
    }
    Ok(())
}

// ---- entry points for handles and relationship cells (no session lock held by callers) ----

pub(crate) fn session_of(obj: &ObjRef) -> Result<Arc<SessionShared>> {
    let state = obj.state();
    state.session.upgrade().ok_or(Error::Detached {
        table: obj.meta().rust_name,
        reason: match state.status {
            Status::Transient => "it was never added to a session",
            _ => "its session is closed",
        },
    })
}

/// Fails with [`Error::Detached`] when `obj` is in no session.
pub(crate) fn require_session(obj: &ObjRef) -> Result<()> {
    session_of(obj).map(drop)
}

/// Reloads `obj`'s row now.
pub(crate) fn reload(obj: &ObjRef) -> Result<()> {
    let shared = session_of(obj)?;
    let mut core = shared.enter()?;
    core.refresh_obj(obj)
}

/// Reloads `obj` if it is expired (else sets the values a flush could not set on it).
pub(crate) fn ensure_fresh(obj: &ObjRef) -> Result<()> {
    {
        let state = obj.state();
        if !state.expired {
            let unapplied = state.unapplied.is_some();
            drop(state);
            if unapplied {
                obj.apply_unapplied();
            }
            return Ok(());
        }
        if state.vanished {
            return Err(Error::ObjectDeleted {
                table: obj.meta().name,
                key: state
                    .key
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            });
        }
    }
    let shared = session_of(obj)?;
    let mut core = shared.enter()?;
    if obj.state().expired {
        core.refresh_obj(obj)?;
    }
    Ok(())
}

/// Whether `obj` has a row a lazy load can select by (persistent, with a key).
pub(crate) fn has_row(obj: &ObjRef) -> bool {
    let state = obj.state();
    state.status == Status::Persistent && state.key.is_some()
}

/// The autoflush before a lazy load runs SQL (see [`LoadFor`](crate::relation::LoadFor)):
/// flushes `owner`'s session when it has pending changes and autoflush is on. Returns
/// whether it flushed (the load then looks at the relationship again). Callers hold no lock:
/// not the session's, not a relationship cell's, not an object's state.
pub(crate) fn autoflush_before_load(owner: &ObjRef) -> Result<bool> {
    let shared = session_of(owner)?;
    let mut core = shared.enter()?;
    core.autoflush_before_load()
}

/// Remembers that `obj` changed, so the next flush looks at it.
pub(crate) fn register_modified(obj: &ObjRef) {
    // Inside a statement hook the session is busy (its lock is held): a relationship change
    // made there is refused by the cascade that follows it (Error::Reentrant).
    if crate::engine::in_hook() {
        return;
    }
    let session = {
        let mut state = obj.state();
        if state.registered || state.status != Status::Persistent {
            return;
        }
        let Some(s) = state.session.upgrade() else {
            return;
        };
        state.registered = true;
        s
    };
    session.lock().modified.push(obj.clone());
}

/// Loads what a delete of `root` needs to write (every relationship but its many-to-ones:
/// link rows to delete, children whose foreign key is unset), and the same for every
/// `delete_orphan` child, recursively: deleting or orphaning an object deletes its whole
/// delete-orphan subtree, loaded or not. Callers hold no lock.
pub(crate) fn load_for_delete(root: &ObjRef) -> Result<()> {
    let mut seen = rustc_hash::FxHashSet::default();
    let mut todo = vec![root.clone()];
    while let Some(obj) = todo.pop() {
        if !seen.insert(crate::object::addr(&obj)) {
            continue;
        }
        let meta = obj.meta();
        for (i, rel) in meta.relations.iter().enumerate() {
            // `passive_deletes`: the database deals with the members; none is loaded.
            if rel.kind == RelationKind::ManyToOne || rel.passive_deletes {
                continue;
            }
            let members = obj.relations()[i].0.load_members()?;
            if rel.delete_orphan {
                todo.extend(members);
            }
        }
    }
    Ok(())
}

/// Fails with [`Error::OtherSession`] when the cascade of `owner` to `target` would have to
/// move `target` out of another session; checked before a relationship changes anything.
pub(crate) fn check_cascade(owner: &ObjRef, target: &ObjRef) -> Result<()> {
    let Some(mine) = owner.state().session.upgrade() else {
        return Ok(());
    };
    let theirs = target.state().session.upgrade();
    match theirs {
        Some(s) if !Arc::ptr_eq(&s, &mine) => Err(Error::OtherSession {
            table: target.meta().rust_name,
        }),
        _ => Ok(()),
    }
}

/// Save-update cascade along a relationship change: `target` joins `owner`'s session, with
/// what it links to. Nothing to do (and no session lock taken) when it is already there.
pub(crate) fn cascade(owner: &ObjRef, target: &ObjRef) -> Result<()> {
    let Some(session) = owner.state().session.upgrade() else {
        return Ok(());
    };
    let already_there = {
        let state = target.state();
        state.status != Status::Transient
            && state
                .session
                .upgrade()
                .is_some_and(|s| Arc::ptr_eq(&s, &session))
    };
    if already_there {
        return Ok(());
    }
    let mut core = session.enter()?;
    core.cascade_add(target.clone())
}

/// The object with `key` in `owner`'s session, if it is loaded (never runs SQL).
pub(crate) fn lookup(owner: &ObjRef, meta: &'static TableMeta, key: &Key) -> Option<ObjRef> {
    let session = owner.state().session.upgrade()?;
    let mut core = session.enter().ok()?;
    let found = core.identity.get(meta, key)?;
    // The owner is about to hold it.
    core.note_holder(owner);
    Some(found)
}

/// Loads the target of a many-to-one relationship: no SQL when it is in the identity map.
pub(crate) fn load_one<T: Table>(
    owner: &ObjRef,
    rel: usize,
    key: &Key,
) -> Result<Option<Tracked<T>>> {
    let via = RelRef {
        owner: owner.meta(),
        rel,
    };
    let shared = session_of(owner)?;
    let mut core = shared.enter()?;
    core.note_holder(owner);
    if let Some(obj) = core.identity.get(T::meta(), key) {
        return Ok(typed(obj));
    }
    let found = core.fetch_by_key::<T>(key)?;
    if let Some(obj) = &found {
        core.run_defaults_after(&[obj.erased()], T::meta(), via)?;
    }
    Ok(found)
}

/// The values of `owner`'s columns `cols` that the rows of one of its collections refer to:
/// primary-key columns from `key` (the key it has in the database), others from its fields.
pub(crate) fn referenced_by(
    owner: &ObjRef,
    key: Option<&Key>,
    cols: impl Iterator<Item = usize>,
) -> Result<Vec<Value>> {
    let meta = owner.meta();
    let key_values = key.map(Key::to_values);
    cols.map(|c| {
        let pos = meta.primary_key.iter().position(|&p| p == c);
        match (pos, &key_values) {
            (Some(pos), Some(k)) => Ok(k[pos].clone()),
            _ => owner.column_value(c),
        }
    })
    .collect()
}

/// Loads the members of collection `rel` of `owner`: one SELECT.
pub(crate) fn load_many<T: Table>(owner: &ObjRef, rel: usize) -> Result<Vec<Tracked<T>>> {
    let (status, key) = {
        let state = owner.state();
        (state.status, state.key.clone())
    };
    if status == Status::Pending {
        return Ok(Vec::new());
    }
    let shared = session_of(owner)?;
    let Some(key) = key else {
        return Ok(Vec::new());
    };
    let meta = owner.meta();
    let (mut text, params) = match meta.resolved(rel)? {
        Resolved::OneToMany { remote_fk, local } => (
            sql::select_children(T::meta(), remote_fk),
            referenced_by(owner, Some(&key), local.iter().copied())?,
        ),
        Resolved::ManyToMany {
            link,
            to_owner,
            to_target,
        } => (
            sql::select_through_link(T::meta(), link, to_owner, to_target),
            referenced_by(owner, Some(&key), to_owner.iter().map(|p| p.1))?,
        ),
        Resolved::ManyToOne { .. } => return Ok(Vec::new()),
    };
    text.push_str(&sql::relation_order(meta, rel)?);
    let mut core = shared.enter()?;
    core.note_holder(owner);
    let members = core.fetch::<T>(&text, &params)?;
    // The members' own relationships declared eager load with them.
    let erased: Vec<_> = members.iter().map(Tracked::erased).collect();
    let via = RelRef { owner: meta, rel };
    core.run_defaults_after(&erased, T::meta(), via)?;
    Ok(members)
}
