//! Aggregate functions, SQLAlchemy's `func.count(...)` and friends: [`count`], [`count_all`],
//! [`sum`], [`avg`], [`min`], [`max`]. Each gives an [`Aggregate`] whose Rust type follows the
//! column's (`sum` of an `i64` column is an `Option<i64>`: `NULL` over no rows), to select in
//! a column query, compare in `having`, or sort by.

use std::marker::PhantomData;

use super::expr::{AggFn, Cmp, Expr, Node, Order, SortKey, SortTerm, Term};
use super::Column;
use crate::table::Table;
use crate::value::{NotNull, SqlType};

/// An aggregate over the rows of a query (or of each group), of Rust type `V`.
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
    type Base: NotNull;
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            type Base = $t;
        }
        impl Scalar for Option<$t> {
            type Base = $t;
        }
    )*};
}
scalar!(i64, i32, i16, i8, u32, bool, f64, f32, String, Vec<u8>);

fn aggregate<V>(term: Term) -> Aggregate<V> {
    Aggregate {
        term,
        _marker: PhantomData,
    }
}

fn over<T: Table, V: SqlType, W>(f: AggFn, column: Column<T, V>) -> Aggregate<W> {
    aggregate(Term::Aggregate(f, column.col()))
}

/// `count(column)`: how many rows have a value (not `NULL`) in `column`.
pub fn count<T: Table, V: SqlType>(column: Column<T, V>) -> Aggregate<i64> {
    over(AggFn::Count, column)
}

/// `count(*)`: how many rows.
///
/// ```text
/// select::<Hero>().columns((Hero::team_id, func::count_all()))
///     .group_by(Hero::team_id)
///     .having(func::count_all().gt(1))
/// // SELECT hero.team_id, count(*) FROM hero GROUP BY hero.team_id HAVING count(*) > ?
/// ```
pub fn count_all() -> Aggregate<i64> {
    aggregate(Term::CountAll)
}

/// `sum(column)`: `None` when no row has a value. SQLite adds integers as integers (an
/// overflow is a statement error) and reals as reals.
pub fn sum<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Sum, column)
}

/// `avg(column)`, always a real; `None` when no row has a value.
pub fn avg<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<f64>> {
    over(AggFn::Avg, column)
}

/// `min(column)`: `None` when no row has a value.
pub fn min<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Min, column)
}

/// `max(column)`: `None` when no row has a value.
pub fn max<T: Table, V: Scalar>(column: Column<T, V>) -> Aggregate<Option<V::Base>> {
    over(AggFn::Max, column)
}

impl<V: SqlType> Aggregate<V> {
    fn cmp(&self, op: Cmp, value: impl super::Operand<V>) -> Expr<()> {
        Expr::new(Node::cmp(self.term.clone(), op, value.into_value()))
    }

    /// `aggregate = ?`, for `having`.
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

    /// Ascending order on this aggregate.
    pub fn asc(&self) -> Order<()> {
        Order::new(self.term.clone(), false)
    }

    /// Descending order on this aggregate.
    pub fn desc(&self) -> Order<()> {
        Order::new(self.term.clone(), true)
    }
}

impl<V> SortKey for Aggregate<V> {
    fn push_sort_keys(self, out: &mut Vec<SortTerm>) {
        Order::<()>::new(self.term, false).push_sort_keys(out);
    }
}
