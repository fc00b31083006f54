//! Bulk statements: [`update`] and [`delete`] of every row of one table that matches a
//! condition, run by `Session::execute` as one `UPDATE` / `DELETE` statement, without
//! loading the rows. The builders only describe; `sql::bulk` renders them and
//! `session::bulk` runs them and brings the objects the session has loaded in line (the
//! way SQLAlchemy's `synchronize_session` does).

use std::marker::PhantomData;

use super::column::{Column, Operand};
use super::expr::{Expr, Node};
use crate::schema::TableMeta;
use crate::table::Table;
use crate::value::{SqlType, Value};

/// An `UPDATE` of the rows of `T` that match its filters; made by [`update`] (example
/// there), run by [`Session::execute`](crate::Session::execute).
pub struct Update<T> {
    pub(crate) filter: Option<Node>,
    /// `(column index, value)`, in the order first set.
    pub(crate) sets: Vec<(usize, Value)>,
    _marker: PhantomData<fn() -> T>,
}

/// A `DELETE` of the rows of `T` that match its filters; made by [`delete`] (example
/// there), run by [`Session::execute`](crate::Session::execute).
pub struct Delete<T> {
    pub(crate) filter: Option<Node>,
    _marker: PhantomData<fn() -> T>,
}

/// Starts an `UPDATE` of the rows of `T`, like SQLAlchemy's `update(Hero)`. Without a filter
/// it updates every row.
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
/// let log = engine.capture();
/// let n = session.execute(update::<Hero>().filter(Hero::name.eq("Deadpond")).set(Hero::age, 30))?;
/// assert_eq!(n, 1);
/// assert_eq!(
///     log.take_lines().last().unwrap(),
///     "UPDATE hero SET age=? WHERE hero.name = ? RETURNING id (30, 'Deadpond')"
/// );
/// // Without a filter, every row; `None` sets NULL.
/// assert_eq!(session.execute(update::<Hero>().set(Hero::age, None))?, 4);
/// assert_eq!(session.count(select::<Hero>().filter(Hero::age.is_null()))?, 4);
/// # Ok(())
/// # }
/// ```
pub fn update<T: Table>() -> Update<T> {
    Update {
        filter: None,
        sets: Vec::new(),
        _marker: PhantomData,
    }
}

/// Starts a `DELETE` of the rows of `T`, like SQLAlchemy's `delete(Hero)`. Without a filter
/// it deletes every row.
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
/// let log = engine.capture();
/// let n = session.execute(delete::<Hero>().filter(Hero::age.gt(40)))?;
/// assert_eq!(n, 1);
/// assert_eq!(
///     log.take_lines().last().unwrap(),
///     "DELETE FROM hero WHERE hero.age > ? RETURNING id (40,)"
/// );
/// assert_eq!(session.count(select::<Hero>())?, 3);
/// # Ok(())
/// # }
/// ```
pub fn delete<T: Table>() -> Delete<T> {
    Delete {
        filter: None,
        _marker: PhantomData,
    }
}

fn and_filter(filter: &mut Option<Node>, node: Node) {
    *filter = Some(match filter.take() {
        None => node,
        Some(f) => f.and(node),
    });
}

impl<T: Table> Update<T> {
    /// Adds a `WHERE` condition (several are joined with `AND`). It may name columns of `T`
    /// and, through `any` / `has`, its relationships; a column of another table is
    /// [`Error::TableNotInQuery`](crate::Error::TableNotInQuery) before any SQL runs.
    /// Example: [`update`].
    #[must_use]
    pub fn filter<U>(mut self, condition: Expr<U>) -> Self {
        and_filter(&mut self.filter, condition.node);
        self
    }

    /// Same as [`filter`](Self::filter), SQLModel's spelling.
    #[must_use]
    pub fn r#where<U>(self, condition: Expr<U>) -> Self {
        self.filter(condition)
    }

    /// Sets `column` to `value` (bound, `SET age=?`); `None` for an `Option` column sets
    /// `NULL`. Setting a column twice keeps the last value. Primary-key columns cannot be set
    /// this way ([`Error::Query`](crate::Error::Query) when it runs). Example: [`update`].
    #[must_use]
    pub fn set<V: SqlType>(mut self, column: Column<T, V>, value: impl Operand<V>) -> Self {
        let index = column.col().index;
        let value = value.into_value();
        match self.sets.iter_mut().find(|(c, _)| *c == index) {
            Some(slot) => slot.1 = value,
            None => self.sets.push((index, value)),
        }
        self
    }
}

impl<T: Table> Delete<T> {
    /// Adds a `WHERE` condition, as [`Update::filter`]. Example: [`delete`].
    #[must_use]
    pub fn filter<U>(mut self, condition: Expr<U>) -> Self {
        and_filter(&mut self.filter, condition.node);
        self
    }

    /// Same as [`filter`](Self::filter), SQLModel's spelling.
    #[must_use]
    pub fn r#where<U>(self, condition: Expr<U>) -> Self {
        self.filter(condition)
    }
}

/// What a bulk statement does.
#[derive(Debug, Clone)]
pub(crate) enum BulkKind {
    /// `SET` these `(column index, value)` pairs.
    Update(Vec<(usize, Value)>),
    Delete,
}

/// An [`Update`] or a [`Delete`] with its table type erased: what
/// [`Session::execute`](crate::Session::execute) takes (`From` either).
#[derive(Debug, Clone)]
pub struct BulkStatement {
    pub(crate) table: &'static TableMeta,
    pub(crate) filter: Option<Node>,
    pub(crate) kind: BulkKind,
}

impl<T: Table> From<Update<T>> for BulkStatement {
    fn from(u: Update<T>) -> BulkStatement {
        BulkStatement {
            table: T::meta(),
            filter: u.filter,
            kind: BulkKind::Update(u.sets),
        }
    }
}

impl<T: Table> From<Delete<T>> for BulkStatement {
    fn from(d: Delete<T>) -> BulkStatement {
        BulkStatement {
            table: T::meta(),
            filter: d.filter,
            kind: BulkKind::Delete,
        }
    }
}

impl<T> Clone for Update<T> {
    fn clone(&self) -> Self {
        Update {
            filter: self.filter.clone(),
            sets: self.sets.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T> Clone for Delete<T> {
    fn clone(&self) -> Self {
        Delete {
            filter: self.filter.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Update<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Update")
            .field("filter", &self.filter)
            .field("sets", &self.sets)
            .finish()
    }
}

impl<T> std::fmt::Debug for Delete<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delete")
            .field("filter", &self.filter)
            .finish()
    }
}
