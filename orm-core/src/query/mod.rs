//! The typed `select` builder: [`select`] of whole rows, [`Select::columns`] of values,
//! typed column handles ([`Column`], generated as `Hero::name`), relationship handles
//! ([`Relation`], generated as `Hero::team`) for joins and `any` / `has`, conditions
//! ([`Expr`]), sort keys ([`Order`]) and aggregates ([`func`]); and the bulk [`update`] /
//! [`delete`] statements, filtered the same way. A comparison with a value of
//! the wrong type does not compile; a condition on a table the query does not reach is
//! [`Error::TableNotInQuery`](crate::Error::TableNotInQuery) when the query runs, before any
//! SQL. The builder only describes; `sql` renders it and the session runs it. The `orm`
//! crate's documentation (section "Queries") has a runnable example of each part; the
//! examples here show the SQL each call renders.

use std::marker::PhantomData;

use crate::loader::LoadNode;
use crate::schema::TableMeta;
use crate::table::Table;

mod bulk;
mod column;
mod expr;
pub mod func;
mod relation;
mod values;

pub(crate) use bulk::BulkKind;
pub use bulk::{delete, update, BulkStatement, Delete, Update};
pub(crate) use column::ESCAPE as LIKE_ESCAPE;
pub use column::{Column, Operand, Text};
pub use expr::{sort_terms, Expr, Order, SortKey, SortTerm};
pub(crate) use expr::{Cmp, ColRef, Node, Nulls, RelRef, Term};
pub use func::{Aggregate, Scalar};
pub use relation::Relation;
pub(crate) use values::agg_name;
pub use values::{Nullable, SelectItem, Selectable, Selection, ValuesRow};

/// One `JOIN` along a relationship.
#[derive(Debug, Clone)]
pub(crate) struct Join {
    pub rel: RelRef,
    /// `LEFT OUTER JOIN` rather than `JOIN`.
    pub outer: bool,
}

/// Everything a query says besides what it selects.
#[derive(Debug, Clone)]
pub(crate) struct Parts {
    pub base: &'static TableMeta,
    pub joins: Vec<Join>,
    pub filter: Option<Node>,
    pub order: Vec<SortTerm>,
    pub group_by: Vec<Term>,
    pub having: Option<Node>,
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    pub distinct: bool,
}

impl Parts {
    pub(crate) fn new(base: &'static TableMeta) -> Parts {
        Parts {
            base,
            joins: Vec::new(),
            filter: None,
            order: Vec::new(),
            group_by: Vec::new(),
            having: None,
            limit: None,
            offset: None,
            distinct: false,
        }
    }

    fn add_filter(&mut self, node: Node) {
        self.filter = Some(match self.filter.take() {
            None => node,
            Some(f) => f.and(node),
        });
    }
}

/// A `SELECT` of whole rows of `T`; run it with `Session::exec` (or `count`, `exists`,
/// `first`).
pub struct Select<T> {
    pub(crate) parts: Parts,
    /// Loader options (`options`), for the relationships of the objects returned.
    pub(crate) loads: Vec<LoadNode>,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Clone for Select<T> {
    fn clone(&self) -> Self {
        Select {
            parts: self.parts.clone(),
            loads: self.loads.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Select<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Select")
            .field("parts", &self.parts)
            .field("loads", &self.loads)
            .finish()
    }
}

/// Starts a `SELECT` of rows of `T`, like SQLModel's `select(Hero)`.
pub fn select<T: Table>() -> Select<T> {
    Select {
        parts: Parts::new(T::meta()),
        loads: Vec::new(),
        _marker: PhantomData,
    }
}

/// A `SELECT` of values (columns, aggregates) from `T` and the tables joined to it; made by
/// [`Select::columns`], run with `Session::values`.
pub struct SelectValues<T, S> {
    pub(crate) parts: Parts,
    pub(crate) items: S,
    _marker: PhantomData<fn() -> T>,
}

impl<T, S: Clone> Clone for SelectValues<T, S> {
    fn clone(&self) -> Self {
        SelectValues {
            parts: self.parts.clone(),
            items: self.items.clone(),
            _marker: PhantomData,
        }
    }
}

impl<T, S> std::fmt::Debug for SelectValues<T, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelectValues")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

/// The builder methods shared by [`Select`] and [`SelectValues`].
macro_rules! builder_methods {
    () => {
        /// Adds a `WHERE` condition (several are joined with `AND`). The condition may name
        /// any table the query reaches: `T` and the tables joined to it.
        #[must_use]
        pub fn filter<U>(mut self, condition: Expr<U>) -> Self {
            self.parts.add_filter(condition.node);
            self
        }

        /// Same as [`filter`](Self::filter), SQLModel's spelling.
        #[must_use]
        pub fn r#where<U>(self, condition: Expr<U>) -> Self {
            self.filter(condition)
        }

        /// Adds `ORDER BY` keys: a column (ascending), `column.desc()`,
        /// `column.asc().nulls_last()`, an aggregate, or a tuple of them
        /// (`(Hero::age.desc(), Hero::name)`). Each call adds its keys after the previous ones.
        #[must_use]
        pub fn order_by(mut self, keys: impl SortKey) -> Self {
            keys.push_sort_keys(&mut self.parts.order);
            self
        }

        /// At most `n` rows (written inline, not bound: SQLite re-prepares a statement whose
        /// `LIMIT` is a parameter every time it runs).
        #[must_use]
        pub fn limit(mut self, n: u64) -> Self {
            self.parts.limit = Some(n);
            self
        }

        /// Skips the first `n` rows.
        #[must_use]
        pub fn offset(mut self, n: u64) -> Self {
            self.parts.offset = Some(n);
            self
        }

        /// `SELECT DISTINCT`: identical rows come back once.
        #[must_use]
        pub fn distinct(mut self) -> Self {
            self.parts.distinct = true;
            self
        }

        /// Adds an inner `JOIN` along a relationship of a table already in the query (`T` or
        /// one joined before): `select::<Hero>().join(Hero::team)` renders `FROM hero JOIN
        /// team ON team.id = hero.team_id`; a many-to-many relationship joins its link table
        /// under an anonymous alias (`JOIN heroteamlink AS heroteamlink_1 ON ...`, as
        /// SQLAlchemy does), then the target. Joining along a relationship of a table the
        /// query does not reach, or a table twice,
        /// fails when the query runs ([`Error::TableNotInQuery`](crate::Error::TableNotInQuery),
        /// [`Error::Query`](crate::Error::Query)).
        ///
        /// ```text
        /// select::<Hero>().join(Hero::team).filter(Team::name.eq("Preventers"))
        /// // SELECT hero.id, ... FROM hero JOIN team ON team.id = hero.team_id WHERE team.name = ?
        /// ```
        #[must_use]
        pub fn join<O: Table, U: Table>(mut self, relation: Relation<O, U>) -> Self {
            self.parts.joins.push(Join {
                rel: relation.rel(),
                outer: false,
            });
            self
        }

        /// Like [`join`](Self::join), as a `LEFT OUTER JOIN`: rows without a related row are
        /// kept (the joined table's columns are `NULL` for them).
        #[must_use]
        pub fn outer_join<O: Table, U: Table>(mut self, relation: Relation<O, U>) -> Self {
            self.parts.joins.push(Join {
                rel: relation.rel(),
                outer: true,
            });
            self
        }
    };
}

impl<T: Table> Select<T> {
    builder_methods!();

    /// Selects values instead of objects: columns of `T` or of joined tables, and aggregates
    /// ([`func`]), as a tuple of 1 to 8 items. Filters, joins, order and limits carry over.
    /// Run it with `Session::values`, which returns one tuple per row, typed from the items:
    ///
    /// ```text
    /// let rows: Vec<(String, Option<i64>)> =
    ///     session.values(select::<Hero>().columns((Hero::name, Hero::age)))?;
    /// // SELECT hero.name, hero.age FROM hero
    /// ```
    pub fn columns<S: Selection>(self, items: S) -> SelectValues<T, S> {
        SelectValues {
            parts: self.parts,
            items,
            _marker: PhantomData,
        }
    }
}

impl<T: Table, S: Selection> SelectValues<T, S> {
    builder_methods!();

    /// Adds a `GROUP BY` column (each call adds one): aggregates are then computed per
    /// group.
    #[must_use]
    pub fn group_by<U: Table, V: crate::value::SqlType>(mut self, column: Column<U, V>) -> Self {
        self.parts.group_by.push(column.term());
        self
    }

    /// Adds a `HAVING` condition on the groups (several are joined with `AND`), usually on
    /// an aggregate: `.having(func::count_all().gt(1))`.
    #[must_use]
    pub fn having<U>(mut self, condition: Expr<U>) -> Self {
        self.parts.having = Some(match self.parts.having.take() {
            None => condition.node,
            Some(h) => h.and(condition.node),
        });
        self
    }
}
