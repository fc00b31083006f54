//! The typed `select` builder: [`select`], typed column handles ([`Column`], generated as
//! `Hero::name`), filter expressions ([`Expr`]) and ordering. A comparison with a value of the
//! wrong type does not compile. The builder only describes; `sql` renders it and the session
//! runs it.

use std::marker::PhantomData;

use crate::table::Table;
use crate::value::{SqlType, Value};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A filter tree, type-erased.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Cmp {
        column: usize,
        op: Cmp,
        value: Value,
    },
    Null {
        column: usize,
        negated: bool,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
}

/// A column of table `T` holding values of type `V`, e.g. `Hero::name`.
pub struct Column<T, V> {
    index: usize,
    _marker: PhantomData<fn() -> (T, V)>,
}

impl<T, V> Clone for Column<T, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T, V> Copy for Column<T, V> {}

impl<T, V> std::fmt::Debug for Column<T, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Column({})", self.index)
    }
}

/// A value that can be compared with a column of type `V`: `V` itself, its inner type when
/// `V` is an `Option`, and `&str` for text columns.
#[diagnostic::on_unimplemented(
    message = "a `{Self}` cannot be compared with a column of type `{V}`",
    label = "wrong type for this column"
)]
pub trait Operand<V> {
    /// The value to bind.
    fn into_value(self) -> Value;
}

impl<V: SqlType> Operand<V> for V {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl<V: crate::value::NotNull> Operand<Option<V>> for V {
    fn into_value(self) -> Value {
        self.to_value()
    }
}

impl Operand<String> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl Operand<Option<String>> for &str {
    fn into_value(self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl<T: Table, V: SqlType> Column<T, V> {
    /// The handle of column `index` of `T` (generated code uses this).
    #[doc(hidden)]
    pub const fn new(index: usize) -> Self {
        Column {
            index,
            _marker: PhantomData,
        }
    }

    /// The column's name.
    pub fn name(self) -> &'static str {
        T::COLUMNS[self.index].name
    }

    fn cmp(self, op: Cmp, value: impl Operand<V>) -> Expr<T> {
        Expr::new(Node::Cmp {
            column: self.index,
            op,
            value: value.into_value(),
        })
    }

    /// `column = value`
    pub fn eq(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Eq, value)
    }

    /// `column != value`
    pub fn ne(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ne, value)
    }

    /// `column < value`
    pub fn lt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Lt, value)
    }

    /// `column <= value`
    pub fn le(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Le, value)
    }

    /// `column > value`
    pub fn gt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Gt, value)
    }

    /// `column >= value`
    pub fn ge(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ge, value)
    }

    /// `column IS NULL`
    pub fn is_null(self) -> Expr<T> {
        Expr::new(Node::Null {
            column: self.index,
            negated: false,
        })
    }

    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr<T> {
        Expr::new(Node::Null {
            column: self.index,
            negated: true,
        })
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<T> {
        Order {
            column: self.index,
            descending: false,
            _marker: PhantomData,
        }
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order<T> {
        Order {
            column: self.index,
            descending: true,
            _marker: PhantomData,
        }
    }
}

/// A filter on table `T`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr<T> {
    pub(crate) node: Node,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Expr<T> {
    fn new(node: Node) -> Self {
        Expr {
            node,
            _marker: PhantomData,
        }
    }

    /// Both filters hold.
    pub fn and(self, other: Expr<T>) -> Expr<T> {
        Expr::new(match self.node {
            Node::And(mut items) => {
                items.push(other.node);
                Node::And(items)
            }
            node => Node::And(vec![node, other.node]),
        })
    }

    /// Either filter holds.
    pub fn or(self, other: Expr<T>) -> Expr<T> {
        Expr::new(match self.node {
            Node::Or(mut items) => {
                items.push(other.node);
                Node::Or(items)
            }
            node => Node::Or(vec![node, other.node]),
        })
    }
}

/// An `ORDER BY` term on a column of table `T`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order<T> {
    pub(crate) column: usize,
    pub(crate) descending: bool,
    _marker: PhantomData<fn() -> T>,
}

impl<T: Table, V: SqlType> From<Column<T, V>> for Order<T> {
    fn from(c: Column<T, V>) -> Order<T> {
        c.asc()
    }
}

/// A `SELECT` of whole rows of `T`; run it with `Session::exec`.
#[derive(Debug, Clone)]
pub struct Select<T> {
    pub(crate) filter: Option<Node>,
    pub(crate) order: Vec<Order<T>>,
    pub(crate) limit: Option<u64>,
    pub(crate) offset: Option<u64>,
    _marker: PhantomData<fn() -> T>,
}

/// Starts a `SELECT` of rows of `T`, like SQLModel's `select(Hero)`.
pub fn select<T: Table>() -> Select<T> {
    Select {
        filter: None,
        order: Vec::new(),
        limit: None,
        offset: None,
        _marker: PhantomData,
    }
}

impl<T: Table> Select<T> {
    /// Adds a `WHERE` condition (several are joined with `AND`).
    #[must_use]
    pub fn filter(mut self, expr: Expr<T>) -> Self {
        self.filter = Some(match self.filter.take() {
            None => expr.node,
            Some(Node::And(mut items)) => {
                items.push(expr.node);
                Node::And(items)
            }
            Some(node) => Node::And(vec![node, expr.node]),
        });
        self
    }

    /// Same as [`filter`](Self::filter), SQLModel's spelling.
    #[must_use]
    pub fn r#where(self, expr: Expr<T>) -> Self {
        self.filter(expr)
    }

    /// Adds an `ORDER BY` term: a column (ascending) or `column.desc()`.
    #[must_use]
    pub fn order_by(mut self, order: impl Into<Order<T>>) -> Self {
        self.order.push(order.into());
        self
    }

    /// At most `n` rows.
    #[must_use]
    pub fn limit(mut self, n: u64) -> Self {
        self.limit = Some(n);
        self
    }

    /// Skips the first `n` rows.
    #[must_use]
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }
}
