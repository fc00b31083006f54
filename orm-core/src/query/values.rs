//! Column queries: `select::<Hero>().columns((Hero::name, Hero::age))` selects values instead
//! of objects, typed from the columns and aggregates named ([`Selectable`], tuples of 1 to 8
//! of them as a [`Selection`]). `Session::values` runs one and returns plain tuples; nothing
//! goes through the identity map.

use crate::value::ValueRef;

use super::expr::{AggFn, Term};
use super::func::Aggregate;
use super::Column;
use crate::error::{Error, Result};
use crate::schema::TableMeta;
use crate::table::Table;
use crate::value::{ColumnType, ConvertError, SqlType};

/// One selected item, type-erased (what [`Selectable`] produces).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SelectItem {
    pub(crate) term: Term,
}

/// Something a column query can select: a [`Column`] (its values, of the column's type) or
/// an [`Aggregate`](super::func::Aggregate).
pub trait Selectable {
    /// The Rust type of the selected value.
    type Output;
    /// The item, type-erased.
    #[doc(hidden)]
    fn select_item(&self) -> SelectItem;
    /// Reads the value from a result column.
    #[doc(hidden)]
    fn decode(raw: ValueRef<'_>) -> Result<Self::Output, ConvertError>;
}

impl<T: Table, V: SqlType> Selectable for Column<T, V> {
    type Output = V;
    fn select_item(&self) -> SelectItem {
        SelectItem { term: self.term() }
    }
    fn decode(raw: ValueRef<'_>) -> Result<V, ConvertError> {
        V::from_sql(raw)
    }
}

impl<V: SqlType> Selectable for Aggregate<V> {
    type Output = V;
    fn select_item(&self) -> SelectItem {
        SelectItem {
            term: self.term.clone(),
        }
    }
    fn decode(raw: ValueRef<'_>) -> Result<V, ConvertError> {
        V::from_sql(raw)
    }
}

/// A row of a column query being decoded; errors name the table and column.
#[doc(hidden)]
pub struct ValuesRow<'a> {
    pub(crate) row: &'a crate::backend::Row<'a>,
    pub(crate) items: &'a [SelectItem],
    pub(crate) base: &'static TableMeta,
}

impl ValuesRow<'_> {
    /// Reads result column `index` as item `S` selects it.
    pub fn get<S: Selectable>(&self, index: usize) -> Result<S::Output> {
        let (table, column, function) = match self.items.get(index).map(|i| &i.term) {
            Some(Term::Column(c)) => (c.table.name, c.name(), None),
            Some(Term::Aggregate(f, c)) => (c.table.name, c.name(), Some(agg_name(*f))),
            Some(Term::CountAll) | None => (self.base.name, "count(*)", None),
        };
        let decode_error = |message: String| Error::Decode {
            table,
            column,
            message: match function {
                Some(f) => format!("{f}({column}): {message}"),
                None => message,
            },
        };
        let raw = self
            .row
            .get_ref(index)
            .map_err(|e| decode_error(e.to_string()))?;
        S::decode(raw).map_err(|e| decode_error(e.0))
    }
}

/// The SQL name of an aggregate function.
pub(crate) fn agg_name(f: AggFn) -> &'static str {
    match f {
        AggFn::Count => "count",
        AggFn::Sum => "sum",
        AggFn::Avg => "avg",
        AggFn::Min => "min",
        AggFn::Max => "max",
    }
}

/// What a column query selects: a tuple of 1 to 8 [`Selectable`] items; each row comes back
/// as the tuple of their values, e.g. `(String, Option<i64>)` for `(Hero::name, Hero::age)`.
pub trait Selection {
    /// The Rust type of one row.
    type Row;
    /// The items, in order.
    #[doc(hidden)]
    fn items(&self) -> Vec<SelectItem>;
    /// Reads one row.
    #[doc(hidden)]
    fn decode_row(row: &ValuesRow<'_>) -> Result<Self::Row>;
}

macro_rules! selection {
    ($($n:tt $t:ident),+) => {
        impl<$($t: Selectable),+> Selection for ($($t,)+) {
            type Row = ($($t::Output,)+);
            fn items(&self) -> Vec<SelectItem> {
                vec![$(self.$n.select_item()),+]
            }
            fn decode_row(row: &ValuesRow<'_>) -> Result<Self::Row> {
                Ok(($(row.get::<$t>($n)?,)+))
            }
        }
    };
}
selection!(0 A);
selection!(0 A, 1 B);
selection!(0 A, 1 B, 2 C);
selection!(0 A, 1 B, 2 C, 3 D);
selection!(0 A, 1 B, 2 C, 3 D, 4 E);
selection!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
selection!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G);
selection!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H);

/// A non-`Option` column selected as an `Option`, for a column of a table reached by an
/// outer join, where rows without a related row hold `NULL`: made by
/// [`Column::nullable`](super::Column::nullable).
pub struct Nullable<T, V>(Column<T, V>);

impl<T, V> Clone for Nullable<T, V> {
    fn clone(&self) -> Self {
        Nullable(self.0)
    }
}

impl<T, V> std::fmt::Debug for Nullable<T, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Nullable({:?})", self.0)
    }
}

impl<T: Table, V: ColumnType> Column<T, V> {
    /// Selects this column as `Option<V>`: `None` for `NULL`, as a column of an outer-joined
    /// table holds in rows without a related row. Example:
    /// [`Select::outer_join`](crate::Select::outer_join).
    pub fn nullable(self) -> Nullable<T, V> {
        Nullable(self)
    }
}

impl<T: Table, V: ColumnType> Selectable for Nullable<T, V> {
    type Output = Option<V>;
    fn select_item(&self) -> SelectItem {
        self.0.select_item()
    }
    fn decode(raw: ValueRef<'_>) -> Result<Option<V>, ConvertError> {
        Option::<V>::from_sql(raw)
    }
}
