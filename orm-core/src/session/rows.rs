//! [`Rows`]: what `Session::exec` returns, SQLModel's `.all()`, `.first()`, `.one()`.

use crate::error::{Error, Result};
use crate::object::Tracked;
use crate::table::Table;

/// The rows a `select` returned, as tracked objects.
pub struct Rows<T> {
    pub(super) table: &'static str,
    pub(super) items: Vec<Tracked<T>>,
}

impl<T: Table + std::fmt::Debug> std::fmt::Debug for Rows<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(&self.items).finish()
    }
}

impl<T: Table> Rows<T> {
    /// Every row.
    pub fn all(self) -> Vec<Tracked<T>> {
        self.items
    }

    /// The first row, if any. The rows were all read already (and the others are still
    /// loaded into the identity map); `Session::first` fetches only one, with `LIMIT 1`.
    pub fn first(self) -> Option<Tracked<T>> {
        self.items.into_iter().next()
    }

    /// The only row.
    ///
    /// # Errors
    /// [`Error::NoRow`] when there is none, [`Error::MultipleRows`] when there are several.
    pub fn one(self) -> Result<Tracked<T>> {
        let table = self.table;
        let mut items = self.items.into_iter();
        match (items.next(), items.len()) {
            (Some(row), 0) => Ok(row),
            (None, _) => Err(Error::NoRow { table }),
            (Some(_), more) => Err(Error::MultipleRows {
                table,
                count: more + 1,
            }),
        }
    }

    /// The only row, or `None`.
    ///
    /// # Errors
    /// [`Error::MultipleRows`] when there are several.
    pub fn one_or_none(self) -> Result<Option<Tracked<T>>> {
        match self.items.len() {
            0 => Ok(None),
            _ => self.one().map(Some),
        }
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there is no row.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T> IntoIterator for Rows<T> {
    type Item = Tracked<T>;
    type IntoIter = std::vec::IntoIter<Tracked<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
