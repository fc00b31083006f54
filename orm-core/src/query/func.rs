//! Aggregate functions, SQLAlchemy's `func.count(...)` and friends: [`count`], [`count_all`],
//! [`sum`], [`avg`], [`min`], [`max`]. Each gives an [`Aggregate`] whose Rust type follows the
//! column's (`sum` of an `i64` column is an `Option<i64>`: `NULL` over no rows), to select in
//! a column query, compare in `having`, or sort by.
//!
//! ```
//! # use orm::prelude::*;
//! # #[derive(Table, Debug, Default)]
//! # pub struct Team {
//! #     #[orm(primary_key)]
//! #     pub id: Option<i64>,
//! #     pub name: String,
//! #     #[orm(relationship(back_populates = "team"))]
//! #     pub heroes: Many<Hero>,
//! # }
//! # #[derive(Table, Debug, Default)]
//! # pub struct Hero {
//! #     #[orm(primary_key)]
//! #     pub id: Option<i64>,
//! #     pub name: String,
//! #     pub age: Option<i64>,
//! #     #[orm(foreign_key = "team.id")]
//! #     pub team_id: Option<i64>,
//! #     #[orm(relationship(back_populates = "heroes"))]
//! #     pub team: One<Team>,
//! # }
//! # fn main() -> orm::Result<()> {
//! # let engine = Engine::memory()?;
//! # engine.create_all::<(Team, Hero)>()?;
//! # let session = Session::new(&engine);
//! # // Teams 1 and 2; heroes 1 to 4.
//! # let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
//! # let z_force = Team { name: "Z-Force".into(), ..Default::default() }.track();
//! # session.add_all([&preventers, &z_force])?;
//! # for (name, age, team) in [
//! #     ("Deadpond", None, Some(&z_force)),
//! #     ("Rusty-Man", Some(48), Some(&preventers)),
//! #     ("Spider-Boy", None, Some(&preventers)),
//! #     ("Tarantula", Some(32), None),
//! # ] {
//! #     let team = team.map_or_else(One::none, One::to);
//! #     session.add(&Hero { name: name.into(), age, team, ..Default::default() }.track())?;
//! # }
//! # session.commit()?;
//! # // The names of the heroes a query returns, in order.
//! # let names = |q: orm::Select<Hero>| -> orm::Result<Vec<String>> {
//! #     session.exec(q)?.all().iter().map(|h| Ok(h.read()?.name.clone())).collect()
//! # };
//! // Ages: Rusty-Man 48, Tarantula 32, the others NULL.
//! let q = select::<Hero>().columns((
//!     func::count(Hero::age),
//!     func::sum(Hero::age),
//!     func::avg(Hero::age),
//!     func::min(Hero::age),
//!     func::max(Hero::name),
//! ));
//! let all = session.values(q.clone())?;
//! assert_eq!(all, [(2, Some(80), Some(40.0), Some(32), Some("Tarantula".to_string()))]);
//! // Over no rows, `count` is 0 and the others are NULL.
//! let none = session.values(q.filter(Hero::age.gt(90)))?;
//! assert_eq!(none, [(0, None, None, None, None)]);
//! # Ok(())
//! # }
//! ```

use std::marker::PhantomData;

use super::expr::{AggFn, Cmp, Expr, Node, Order, SortKey, SortTerm, Term};
use super::Column;
use crate::table::Table;
use crate::value::{ColumnType, SqlType};

/// An aggregate over the rows of a query (or of each group), of Rust type `V`. Made by the
/// functions of [`func`](self); examples there and on [`count_all`].
pub struct Aggregate<V> {
    pub(crate) term: Term,
    _marker: PhantomData<fn() -> V>,
}

impl<V> Clone for Aggregate<V> {
    fn clone(&self) -> Self {
        Aggregate {
            term: self.term.clone(),
            _marker: PhantomData,
        }
    }
}

impl<V> std::fmt::Debug for Aggregate<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Aggregate({:?})", self.term)
    }
}

/// A column type with the `Option` taken off: `i64` for `i64` and `Option<i64>`.
pub trait Scalar: SqlType {
    /// The type without `Option`.
    type Base: ColumnType;
}

impl<T: ColumnType> Scalar for T {
    type Base = T;
}

impl<T: ColumnType> Scalar for Option<T> {
    type Base = T;
}

fn aggregate<V>(term: Term) -> Aggregate<V> {
    Aggregate {
        term,
        _marker: PhantomData,
    }
}

fn over<T: Table, V: SqlType, W>(f: AggFn, column: Column<T, V>) -> Aggregate<W> {
    aggregate(Term::Aggregate(f, column.col()))
}

/// `count(column)`: how many rows have a value (not `NULL`) in `column`. Example: the
/// [module](self)'s.
pub fn count<T: Table, V: SqlType>(column: Column<T, V>) -> Aggregate<i64> {
    over(AggFn::Count, column)
}

/// `count(*)`: how many rows.
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
/// let q = select::<Hero>()
///     .columns((Hero::team_id, func::count_all()))
///     .group_by(Hero::team_id)
///     .having(func::count_all().gt(1));
/// assert_eq!(session.values(q)?, [(Some(1), 2)]); // team 1 has two heroes
/// assert_eq!(
///     log.take_lines().last().unwrap(),
///     "SELECT hero.team_id, count(*) FROM hero GROUP BY hero.team_id HAVING count(*) > ? (1,)"
/// );
/// # Ok(())
/// # }
/// ```
pub fn count_all() -> Aggregate<i64> {
    aggregate(Term::CountAll)
}

/// `sum(column)`: `None` when no row has a value. SQLite adds integers as integers (an
/// overflow is a statement error) and reals as reals. Example: the [module](self)'s.
pub fn sum<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Sum, column)
}

/// `avg(column)`, always a real; `None` when no row has a value. Example: the
/// [module](self)'s.
pub fn avg<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<f64>> {
    over(AggFn::Avg, column)
}

/// `min(column)`: `None` when no row has a value. Example: the [module](self)'s.
pub fn min<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Min, column)
}

/// `max(column)`: `None` when no row has a value. Example: the [module](self)'s.
pub fn max<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Max, column)
}

impl<V: SqlType> Aggregate<V> {
    fn cmp(&self, op: Cmp, value: impl super::Operand<V>) -> Expr<()> {
        Expr::new(Node::cmp(self.term.clone(), op, value.into_value()))
    }

    /// `aggregate = ?`, for `having`. The comparisons work as [`Column`]'s; examples:
    /// [`count_all`], [`SelectValues::group_by`](crate::SelectValues::group_by).
    pub fn eq(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Eq, value)
    }

    /// `aggregate != ?`
    pub fn ne(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Ne, value)
    }

    /// `aggregate < ?`
    pub fn lt(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Lt, value)
    }

    /// `aggregate <= ?`
    pub fn le(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Le, value)
    }

    /// `aggregate > ?`
    pub fn gt(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Gt, value)
    }

    /// `aggregate >= ?`
    pub fn ge(&self, value: impl super::Operand<V>) -> Expr<()> {
        self.cmp(Cmp::Ge, value)
    }

    /// Ascending order on this aggregate. Example (`desc`):
    /// [`SelectValues::group_by`](crate::SelectValues::group_by).
    pub fn asc(&self) -> Order<()> {
        Order::new(self.term.clone(), false)
    }

    /// Descending order on this aggregate. Example:
    /// [`SelectValues::group_by`](crate::SelectValues::group_by).
    pub fn desc(&self) -> Order<()> {
        Order::new(self.term.clone(), true)
    }
}

impl<V> SortKey for Aggregate<V> {
    fn push_sort_keys(self, out: &mut Vec<SortTerm>) {
        Order::<()>::new(self.term, false).push_sort_keys(out);
    }
}
