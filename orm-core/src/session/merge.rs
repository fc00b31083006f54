//! [`Session::merge`]: SQLAlchemy's `merge`. The column state of an object from outside the
//! session (detached, transient, or another session's) is copied onto the session's own
//! object for that primary key, which is looked up in the identity map, else loaded, else
//! created as a new pending object. Only columns whose value differs are set, so the flush
//! writes only those; the object passed in is left as it is.
//!
//! What is not merged, and how each case is told apart:
//! - **Relationships.** Columns are merged, foreign keys included, so a many-to-one follows
//!   its key once the flush has run; relationship fields are not (SQLAlchemy cascades merge
//!   along them). A relationship the object passed in changed since it was loaded or built
//!   (`One::to`, a `push`, JSON with a nested object) would be lost, so it is an error that
//!   names the field and says what to write instead; an unchanged one (a detached object's
//!   loaded collections) is ignored.
//! - **Version columns** (`#[orm(version)]`) are never copied: the session's object keeps the
//!   version it read, and its UPDATE checks that one. A copy carrying another version (not 0,
//!   which means unset) was made from an older or newer state of the row: merging it would
//!   overwrite changes the copy never saw, so it is [`Error::StaleVersion`] (SQLAlchemy's
//!   `StaleDataError` in `merge`).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::object::Tracked;
use crate::schema::Resolved;
use crate::table::Table;
use crate::value::{Key, Value};

use super::Session;

impl Session {
    /// Copies `obj`'s column values onto this session's object for the same primary key and
    /// returns that object: found in the identity map, else loaded with one SELECT, else (no
    /// such row, or no key yet) a new pending object with those values, inserted at the next
    /// flush. An object already in this session is returned as it is. Only columns that
    /// differ are set, so the next flush's UPDATE names only them.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// #[derive(Table, Debug, Default)]
    /// pub struct Hero {
    ///     #[orm(primary_key)]
    ///     pub id: Option<i64>,
    ///     pub name: String,
    ///     pub age: Option<i64>,
    /// }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?;
    /// engine.create_all::<Hero>()?;
    /// let first = Session::new(&engine);
    /// first.add(&Hero { name: "Rusty-Man".into(), age: Some(48), ..Default::default() }.track())?;
    /// first.commit()?;
    ///
    /// // A copy from elsewhere (a form, a cache, another session) with one change:
    /// let edited = Hero { id: Some(1), name: "Rusty-Man".into(), age: Some(49) }.track();
    /// let session = Session::new(&engine);
    /// let log = engine.capture();
    /// let hero = session.merge(&edited)?; // SELECT hero 1, then copies the columns
    /// assert!(hero != edited);
    /// assert_eq!(hero.read()?.age, Some(49));
    /// log.clear();
    /// session.commit()?;
    /// assert_eq!(log.take_lines()[0], "UPDATE hero SET age=? WHERE hero.id = ? (49, 1)");
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// Relationship fields are not merged, and a version column is not copied but checked:
    /// see the errors, and the module docs of `session::merge` for why.
    ///
    /// # Errors
    /// [`Error::Relationship`] when `obj` changed a relationship field (set a `One`, pushed
    /// to a `Many`): merge copies columns, so set the foreign-key column instead, or merge
    /// the related object on its own and link it to the returned one.
    /// [`Error::StaleVersion`] when `obj`'s version column is set (not 0) and differs from
    /// the row's. [`Error::Detached`] when `obj` must be reloaded to be read and has no
    /// session to do it; [`Error::Borrowed`] while a guard on the session's object is out;
    /// statement errors.
    pub fn merge<T: Table>(&self, obj: &Tracked<T>) -> Result<Tracked<T>> {
        let mine = obj
            .erased()
            .state()
            .session
            .upgrade()
            .is_some_and(|s| Arc::ptr_eq(&s, &self.shared));
        if mine {
            return Ok(obj.clone());
        }
        let meta = T::meta();
        check_relationships_unchanged(obj)?;
        let values = obj.read()?.column_values();
        let key_values: Vec<Value> = meta
            .primary_key
            .iter()
            .map(|&c| values[c].clone())
            .collect();
        let found = match Key::from_values(&key_values) {
            Some(key) => self.get::<T>(key)?,
            None => None,
        };
        let Some(target) = found else {
            let new = T::from_values(&values).map_err(|e| Error::Decode {
                table: meta.name,
                column: "?",
                message: e.0,
            })?;
            let new = Tracked::new(new);
            self.add(&new)?;
            return Ok(new);
        };
        let changed: Vec<usize> = {
            let current = target.read()?;
            if let Some(v) = meta.version_column() {
                let stored = current.column_value(v);
                if !matches!(values[v], Value::Null | Value::Integer(0)) && values[v] != stored {
                    return Err(Error::StaleVersion {
                        table: meta.rust_name,
                        column: meta.columns[v].field,
                        key: target.key().map(|k| k.to_string()).unwrap_or_default(),
                        given: values[v].to_literal(),
                        stored: stored.to_literal(),
                    });
                }
            }
            (0..meta.columns.len())
                .filter(|&c| !meta.columns[c].version && current.column_value(c) != values[c])
                .collect()
        };
        if !changed.is_empty() {
            let mut guard = target.write()?;
            for c in changed {
                guard.set_column(c, &values[c]).map_err(|e| Error::Decode {
                    table: meta.name,
                    column: meta.columns[c].name,
                    message: e.0,
                })?;
            }
        }
        Ok(target)
    }
}

/// Refuses an object whose relationship fields changed since it was loaded or built: merge
/// would drop those changes (see the module docs).
fn check_relationships_unchanged<T: Table>(obj: &Tracked<T>) -> Result<()> {
    let meta = T::meta();
    let erased = obj.erased();
    for (r, cell) in erased.relations().iter().enumerate() {
        let h = cell.0.history();
        if h.target.is_none() && h.added.is_empty() && h.removed.is_empty() {
            continue;
        }
        let rel = &meta.relations[r];
        let instead = match meta.resolved(r)? {
            Resolved::ManyToOne { local, .. } => {
                let fields: Vec<&str> = local.iter().map(|&c| meta.columns[c].field).collect();
                format!("set `{}` (the foreign key) instead", fields.join("`, `"))
            }
            _ => format!(
                "merge each {} on its own and link it to the object merge returns",
                (rel.target)().rust_name
            ),
        };
        return Err(Error::Relationship {
            table: meta.rust_name,
            field: rel.field,
            message: format!(
                "session.merge copies columns, not relationships, and this one was changed on the object given; {instead}"
            ),
        });
    }
    Ok(())
}
