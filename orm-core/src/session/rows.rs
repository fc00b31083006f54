//! [`Rows`]: what `Session::exec` returns, SQLModel's `.all()`, `.first()`, `.one()`.

use crate::error::{Error, Result};
use crate::object::Tracked;
use crate::table::Table;

/// The rows a `select` returned, as tracked objects.
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
/// #     pub age: Option<i64>,
/// #     #[orm(foreign_key = "team.id")]
/// #     pub team_id: Option<i64>,
/// #     #[orm(relationship(back_populates = "heroes"))]
/// #     pub team: One<Team>,
/// # }
/// # fn main() -> orm::Result<()> {
/// # let engine = Engine::memory()?;
/// # engine.create_all::<(Team, Hero)>()?;
/// # let session = Session::new(&engine);
/// # // Teams 1 and 2; heroes 1 to 4.
/// # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
/// # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
/// # session.add_all([&preventers, &z_force])?;
/// # for (name, age, team) in [
/// #     ("Deadpond", None, Some(&z_force)),
/// #     ("Rusty-Man", Some(48), Some(&preventers)),
/// #     ("Spider-Boy", None, Some(&preventers)),
/// #     ("Tarantula", Some(32), None),
/// # ] {
/// #     let team = team.map_or_else(One::none, One::to);
/// #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
/// # }
/// # session.commit()?;
/// # // The names of the heroes a query returns, in order.
/// # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
/// #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
/// # };
/// let rows = session.exec(select::<Hero>().filter(Hero::age.is_not_null()))?;
/// assert_eq!(rows.len(), 2);
/// assert!(!rows.is_empty());
/// assert_eq!(rows.all().len(), 2);
/// let q = || select::<Hero>().filter(Hero::name.starts_with("Spider"));
/// assert_eq!(session.exec(q())?.one()?.read()?.name, "Spider-Boy");
/// assert!(session.exec(q())?.first().is_some());
/// assert!(session.exec(q().filter(Hero::age.gt(90)))?.one_or_none()?.is_none());
/// let several = session.exec(select::<Hero>())?.one();
/// assert!(matches!(several, Err(orm::Error::MultipleRows { .. })));
/// let none = session.exec(q().filter(Hero::age.gt(90)))?.one();
/// assert!(matches!(none, Err(orm::Error::NoRow { .. })));
/// # Ok(())
/// # }
/// ```
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
