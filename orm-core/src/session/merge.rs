//! [`Session::merge`]: SQLAlchemy's `merge`. The column state of an object from outside the
//! session (detached, transient, or another session's) is copied onto the session's own
//! object for that primary key, which is looked up in the identity map, else loaded, else
//! created as a new pending object. Only columns whose value differs are set, so the flush
//! writes only those. Relationships are not merged (their foreign-key columns are, so a
//! many-to-one follows); the object passed in is left as it is.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::object::Tracked;
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
    /// # Errors
    /// [`Error::Detached`] when `obj` must be reloaded to be read and has no session to do
    /// it; [`Error::Borrowed`] while a guard on the session's object is out; statement errors.
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
        let values = obj.read()?.column_values();
        let meta = T::meta();
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
