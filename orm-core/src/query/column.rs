//! Typed column handles ([`Column`], generated as `Hero::name`) and the conditions built on
//! them: comparisons, `IS NULL`, `IN`, `LIKE` and its escaped forms, `BETWEEN`, plus sort
//! keys. A value of the wrong type for the column does not compile ([`Operand`]).

use std::marker::PhantomData;

use super::expr::{Cmp, ColRef, Expr, Node, Order, SortKey, SortTerm, Term};
use crate::table::Table;
use crate::value::{ColumnType, SqlType, Value};

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

impl<V: ColumnType> Operand<Option<V>> for V {
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

    /// The column's position among `T`'s columns.
    pub(crate) fn position(&self) -> usize {
        self.index
    }

    /// The column's name.
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
    /// assert_eq!(Hero::team_id.name(), "team_id");
    /// # Ok(())
    /// # }
    /// ```
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
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.eq("Deadpond")))?, ["Deadpond"]);
    /// // WHERE hero.age IS NULL
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.eq(None)))?, ["Deadpond", "Spider-Boy"]);
    /// // WHERE hero.age != ?: like SQL, the heroes without an age do not match
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.ne(48)))?, ["Tarantula"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn eq(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Eq, value)
    }

    /// `column != ?`; comparing an `Option` column with `None` renders `column IS NOT NULL`.
    /// Like SQL, rows whose column is `NULL` do not match `ne(value)`. Example: [`eq`](Self::eq).
    pub fn ne(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ne, value)
    }

    /// `column < ?`
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
    /// // Ages: Rusty-Man 48, Tarantula 32, the others NULL (which no comparison matches).
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.lt(40)))?, ["Tarantula"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.le(48)))?, ["Rusty-Man", "Tarantula"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.gt(40)))?, ["Rusty-Man"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.ge(32)))?, ["Rusty-Man", "Tarantula"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn lt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Lt, value)
    }

    /// `column <= ?`. Example: [`lt`](Self::lt).
    pub fn le(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Le, value)
    }

    /// `column > ?`. Example: [`lt`](Self::lt).
    pub fn gt(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Gt, value)
    }

    /// `column >= ?`. Example: [`lt`](Self::lt).
    pub fn ge(self, value: impl Operand<V>) -> Expr<T> {
        self.cmp(Cmp::Ge, value)
    }

    /// `column IS NULL`
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
    /// assert_eq!(names(select::<Hero>().filter(Hero::team_id.is_null()))?, ["Tarantula"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.is_not_null()))?, ["Rusty-Man", "Tarantula"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn is_null(self) -> Expr<T> {
        Expr::new(Node::Null {
            term: self.term(),
            negated: false,
        })
    }

    /// `column IS NOT NULL`. Example: [`is_null`](Self::is_null).
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
    /// // WHERE hero.name IN (?, ?)
    /// let q = select::<Hero>().filter(Hero::name.in_(["Deadpond", "Rusty-Man"]));
    /// assert_eq!(names(q)?, ["Deadpond", "Rusty-Man"]);
    /// // WHERE hero.age IN (?) OR hero.age IS NULL
    /// let q = select::<Hero>().filter(Hero::age.in_([Some(48), None]));
    /// assert_eq!(names(q)?, ["Deadpond", "Rusty-Man", "Spider-Boy"]);
    /// // WHERE hero.age NOT IN (?): NULL ages do not match
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.not_in([48])))?, ["Tarantula"]);
    /// // An empty list: WHERE 0 = 1
    /// assert!(names(select::<Hero>().filter(Hero::name.in_(Vec::<String>::new())))?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn in_<O: Operand<V>>(self, values: impl IntoIterator<Item = O>) -> Expr<T> {
        self.in_list(values, false)
    }

    /// `column NOT IN (?, ?, ...)`. An empty list matches every row and renders as `1 = 1`.
    /// A `None` in the list leaves out `NULL`s: `(column NOT IN (...) AND column IS NOT
    /// NULL)`; without one, like SQL, rows whose column is `NULL` do not match either.
    /// Example: [`in_`](Self::in_).
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
    /// let q = select::<Hero>().filter(Hero::age.between(32, 48));
    /// assert_eq!(names(q)?, ["Rusty-Man", "Tarantula"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn between(self, low: impl Operand<V>, high: impl Operand<V>) -> Expr<T> {
        Expr::new(Node::Between {
            term: self.term(),
            low: low.into_value(),
            high: high.into_value(),
        })
    }

    /// Ascending order on this column (what the column itself sorts by). Example:
    /// [`Select::order_by`](crate::Select::order_by).
    pub fn asc(self) -> Order<T> {
        Order::new(self.term(), false)
    }

    /// Descending order on this column. Example:
    /// [`Select::order_by`](crate::Select::order_by).
    pub fn desc(self) -> Order<T> {
        Order::new(self.term(), true)
    }
}

impl<T: Table, V: Text> Column<T, V> {
    /// `column LIKE ?` with the pattern as given: `%` matches any text, `_` one character.
    /// SQLite compares ASCII letters without regard to case.
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
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.like("%-man")))?, ["Rusty-Man"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.like("_eadpond")))?, ["Deadpond"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn like(self, pattern: &str) -> Expr<T> {
        self.like_node(pattern.to_owned(), false)
    }

    /// The column contains `text` literally: `column LIKE ? ESCAPE '/'` with `%text%`, where
    /// `%`, `_` and `/` in `text` are escaped with `/`. Case-insensitive for ASCII, like
    /// [`like`](Self::like).
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
    /// // WHERE hero.name LIKE ? ESCAPE '/', with '%-%'
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.contains("-")))?, ["Rusty-Man", "Spider-Boy"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.starts_with("spider")))?, ["Spider-Boy"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::name.ends_with("POND")))?, ["Deadpond"]);
    /// // `%` is matched literally: no name contains one.
    /// assert!(names(select::<Hero>().filter(Hero::name.contains("%")))?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub fn contains(self, text: &str) -> Expr<T> {
        self.like_node(format!("%{}%", escape_like(text)), true)
    }

    /// The column starts with `text` literally (`text%`, escaped as in
    /// [`contains`](Self::contains), whose example shows it).
    pub fn starts_with(self, text: &str) -> Expr<T> {
        self.like_node(format!("{}%", escape_like(text)), true)
    }

    /// The column ends with `text` literally (`%text`, escaped as in
    /// [`contains`](Self::contains), whose example shows it).
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
