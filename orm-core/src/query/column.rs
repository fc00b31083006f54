//! Typed column handles ([`Column`], generated as `Hero::name`) and the conditions built on
//! them: comparisons, `IS NULL`, `IN`, `LIKE` and its escaped forms, `BETWEEN`, plus sort
//! keys. A value of the wrong type for the column does not compile ([`Operand`]).

use std::marker::PhantomData;

use super::expr::{Cmp, ColRef, Expr, Node, Order, SortKey, SortTerm, Term};
use crate::table::Table;
use crate::value::{SqlType, Value};

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

/// The text column types (`String`, `Option<String>`): the ones `like` and `contains` take.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a text column type",
    label = "LIKE needs a String column"
)]
pub trait Text: SqlType {}
impl Text for String {}
impl Text for Option<String> {}

/// The character that escapes `%`, `_` and itself in the patterns of `contains`,
/// `starts_with` and `ends_with` (rendered `LIKE ? ESCAPE '/'`).
pub(crate) const ESCAPE: char = '/';

fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | ESCAPE) {
            out.push(ESCAPE);
        }
        out.push(c);
    }
    out
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

    pub(crate) fn col(self) -> ColRef {
        ColRef {
            table: T::meta(),
            index: self.index,
        }
    }

    pub(crate) fn term(self) -> Term {
        Term::Column(self.col())
    }

    fn cmp(self, op: Cmp, value: impl Operand<V>) -> Expr<T> {
        Expr::new(Node::cmp(self.term(), op, value.into_value()))
    }

    /// `column = ?`; comparing an `Option` column with `None` renders `column IS NULL`.
    pub fn eq(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Eq, value)
    }

    /// `column != ?`; comparing an `Option` column with `None` renders `column IS NOT NULL`.
    /// Like SQL, rows whose column is `NULL` do not match `ne(value)`.
    pub fn ne(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ne, value)
    }

    /// `column < ?`
    pub fn lt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Lt, value)
    }

    /// `column <= ?`
    pub fn le(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Le, value)
    }

    /// `column > ?`
    pub fn gt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Gt, value)
    }

    /// `column >= ?`
    pub fn ge(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ge, value)
    }

    /// `column IS NULL`
    pub fn is_null(self) -> Expr<T> {
        Expr::new(Node::Null {
            term: self.term(),
            negated: false,
        })
    }

    /// `column IS NOT NULL`
    pub fn is_not_null(self) -> Expr<T> {
        Expr::new(Node::Null {
            term: self.term(),
            negated: true,
        })
    }

    /// `column IN (?, ?, ...)`, one bound parameter per value.
    ///
    /// An empty list matches no row and renders as the constant condition `0 = 1` (SQLite
    /// also accepts `IN ()`, other databases do not). A `None` in the list of an `Option`
    /// column matches `NULL`s: `(column IN (...) OR column IS NULL)`.
    ///
    /// ```text
    /// select::<Hero>().filter(Hero::name.in_(["Deadpond", "Rusty-Man"]))
    /// // SELECT ... FROM hero WHERE hero.name IN (?, ?)
    /// ```
    pub fn in_<O: Operand<V>>(self, values: impl IntoIterator<Item = O>) -> Expr<T> {
        self.in_list(values, false)
    }

    /// `column NOT IN (?, ?, ...)`. An empty list matches every row and renders as `1 = 1`.
    /// A `None` in the list leaves out `NULL`s: `(column NOT IN (...) AND column IS NOT
    /// NULL)`; without one, like SQL, rows whose column is `NULL` do not match either.
    pub fn not_in<O: Operand<V>>(self, values: impl IntoIterator<Item = O>) -> Expr<T> {
        self.in_list(values, true)
    }

    fn in_list<O: Operand<V>>(self, values: impl IntoIterator<Item = O>, negated: bool) -> Expr<T> {
        let mut with_null = false;
        let mut bound = Vec::new();
        for v in values {
            match v.into_value() {
                Value::Null => with_null = true,
                v => bound.push(v),
            }
        }
        let list = Node::In {
            term: self.term(),
            values: bound,
            negated,
        };
        if !with_null {
            return Expr::new(list);
        }
        let null = Node::Null {
            term: self.term(),
            negated,
        };
        Expr::new(if negated {
            list.and(null)
        } else {
            list.or(null)
        })
    }

    /// `column BETWEEN ? AND ?` (both ends included).
    pub fn between(self, low: impl Operand<V>, high: impl Operand<V>) -> Expr<T> {
        Expr::new(Node::Between {
            term: self.term(),
            low: low.into_value(),
            high: high.into_value(),
        })
    }

    /// Ascending order on this column.
    pub fn asc(self) -> Order<T> {
        Order::new(self.term(), false)
    }

    /// Descending order on this column.
    pub fn desc(self) -> Order<T> {
        Order::new(self.term(), true)
    }
}

impl<T: Table, V: Text> Column<T, V> {
    /// `column LIKE ?` with the pattern as given: `%` matches any text, `_` one character.
    /// SQLite compares ASCII letters without regard to case.
    pub fn like(self, pattern: &str) -> Expr<T> {
        self.like_node(pattern.to_owned(), false)
    }

    /// The column contains `text` literally: `column LIKE ? ESCAPE '/'` with `%text%`, where
    /// `%`, `_` and `/` in `text` are escaped with `/`. Case-insensitive for ASCII, like
    /// [`like`](Self::like).
    pub fn contains(self, text: &str) -> Expr<T> {
        self.like_node(format!("%{}%", escape_like(text)), true)
    }

    /// The column starts with `text` literally (`text%`, escaped as in
    /// [`contains`](Self::contains)).
    pub fn starts_with(self, text: &str) -> Expr<T> {
        self.like_node(format!("{}%", escape_like(text)), true)
    }

    /// The column ends with `text` literally (`%text`, escaped as in
    /// [`contains`](Self::contains)).
    pub fn ends_with(self, text: &str) -> Expr<T> {
        self.like_node(format!("%{}", escape_like(text)), true)
    }

    fn like_node(self, pattern: String, escaped: bool) -> Expr<T> {
        Expr::new(Node::Like {
            term: self.term(),
            pattern: Value::Text(pattern),
            escaped,
        })
    }
}

impl<T: Table, V: SqlType> From<Column<T, V>> for Order<T> {
    fn from(c: Column<T, V>) -> Order<T> {
        c.asc()
    }
}

impl<T: Table, V: SqlType> SortKey for Column<T, V> {
    fn push_sort_keys(self, out: &mut Vec<SortTerm>) {
        self.asc().push_sort_keys(out);
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_escapes_wildcards_and_the_escape_character() {
        assert_eq!(escape_like("100%_a/b"), "100/%/_a//b");
        assert_eq!(escape_like("plain"), "plain");
    }
}
