//! The typed `select` builder: [`select`] of whole rows, [`Select::columns`] of values,
//! typed column handles ([`Column`], generated as `Hero::name`), relationship handles
//! ([`Relation`], generated as `Hero::team`) for joins and `any` / `has`, conditions
//! ([`Expr`]), sort keys ([`Order`]) and aggregates ([`func`]); and the bulk [`update`] /
//! [`delete`] statements, filtered the same way. A comparison with a value of
//! the wrong type does not compile; a condition on a table the query does not reach is
//! [`Error::TableNotInQuery`](crate::Error::TableNotInQuery) when the query runs, before any
//! SQL. The builder only describes; `sql` renders it and the session runs it. The `orm`
//! crate's documentation (section "Queries") tours them together; each item here has its
//! own example, run as a doc test, with the SQL it renders.

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

/// A `SELECT` of whole rows of `T`; run it with [`Session::exec`](crate::Session::exec) (or
/// [`count`](crate::Session::count), [`exists`](crate::Session::exists),
/// [`first`](crate::Session::first)). Made by [`select`].
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
/// let heroes = session.exec(select::<Hero>())?.all();
/// assert_eq!(heroes.len(), 4);
/// assert_eq!(
///     log.take_lines().last().unwrap(),
///     "SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero"
/// );
/// let q = select::<Hero>().filter(Hero::age.gt(30)).order_by(Hero::name);
/// assert_eq!(names(q)?, ["Rusty-Man", "Tarantula"]);
/// # Ok(())
/// # }
/// ```
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
        /// // WHERE hero.age > ? AND hero.team_id IS NULL
        /// let q = select::<Hero>().filter(Hero::age.gt(30)).filter(Hero::team_id.eq(None));
        /// assert_eq!(names(q)?, ["Tarantula"]);
        /// let q = select::<Hero>().r#where(Hero::age.gt(30)).r#where(Hero::team_id.eq(None));
        /// assert_eq!(names(q)?, ["Tarantula"]);
        /// # Ok(())
        /// # }
        /// ```
        #[must_use]
        pub fn filter<U>(mut self, condition: Expr<U>) -> Self {
            self.parts.add_filter(condition.node);
            self
        }

        /// Same as [`filter`](Self::filter) (whose example shows it), SQLModel's spelling.
        #[must_use]
        pub fn r#where<U>(self, condition: Expr<U>) -> Self {
            self.filter(condition)
        }

        /// Adds `ORDER BY` keys: a column (ascending), `column.desc()`,
        /// `column.asc().nulls_last()`, an aggregate, or a tuple of them
        /// (`(Hero::age.desc(), Hero::name)`). Each call adds its keys after the previous ones.
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
        /// let q = select::<Hero>().order_by(Hero::name);
        /// assert_eq!(names(q)?, ["Deadpond", "Rusty-Man", "Spider-Boy", "Tarantula"]);
        /// // ORDER BY hero.age DESC, hero.name LIMIT 2 OFFSET 1 (SQLite puts NULLs last when
        /// // descending)
        /// let q = select::<Hero>().order_by((Hero::age.desc(), Hero::name)).limit(2).offset(1);
        /// assert_eq!(names(q)?, ["Tarantula", "Deadpond"]);
        /// let q = select::<Hero>().order_by(Hero::age.asc()).order_by(Hero::name.desc()).limit(1);
        /// assert_eq!(names(q)?, ["Spider-Boy"]);
        /// # Ok(())
        /// # }
        /// ```
        #[must_use]
        pub fn order_by(mut self, keys: impl SortKey) -> Self {
            keys.push_sort_keys(&mut self.parts.order);
            self
        }

        /// At most `n` rows (written inline, not bound: SQLite re-prepares a statement whose
        /// `LIMIT` is a parameter every time it runs). Example: [`order_by`](Self::order_by).
        #[must_use]
        pub fn limit(mut self, n: u64) -> Self {
            self.parts.limit = Some(n);
            self
        }

        /// Skips the first `n` rows. Example: [`order_by`](Self::order_by).
        #[must_use]
        pub fn offset(mut self, n: u64) -> Self {
            self.parts.offset = Some(n);
            self
        }

        /// `SELECT DISTINCT`: identical rows come back once.
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
        /// // SELECT DISTINCT team.name FROM hero JOIN team ON team.id = hero.team_id ...
        /// let q = select::<Hero>().join(Hero::team).distinct().columns((Team::name,));
        /// let rows = session.values(q.order_by(Team::name))?;
        /// assert_eq!(rows, [("Preventers".to_string(),), ("Z-Force".to_string(),)]);
        /// # Ok(())
        /// # }
        /// ```
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
        /// // SELECT hero.id, ... FROM hero JOIN team ON team.id = hero.team_id WHERE team.name = ?
        /// let q = select::<Hero>().join(Hero::team).filter(Team::name.eq("Preventers"));
        /// assert_eq!(names(q)?, ["Rusty-Man", "Spider-Boy"]);
        /// // Without the join, the query does not reach `team`.
        /// let q = select::<Hero>().filter(Team::name.eq("Preventers"));
        /// assert!(matches!(session.exec(q), Err(orm::Error::TableNotInQuery { .. })));
        /// # Ok(())
        /// # }
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
        /// // FROM hero LEFT OUTER JOIN team ON team.id = hero.team_id
        /// let q = select::<Hero>().outer_join(Hero::team);
        /// let q = q.filter(Team::name.eq("Z-Force").or(Team::id.is_null()));
        /// assert_eq!(names(q)?, ["Deadpond", "Tarantula"]);
        /// // A column of the outer-joined table, selected as an `Option`:
        /// let q = select::<Hero>().outer_join(Hero::team).columns((Hero::name, Team::name.nullable()));
        /// let rows = session.values(q.filter(Hero::age.is_not_null()).order_by(Hero::name))?;
        /// assert_eq!(rows, [
        ///     ("Rusty-Man".to_string(), Some("Preventers".to_string())),
        ///     ("Tarantula".to_string(), None),
        /// ]);
        /// # Ok(())
        /// # }
        /// ```
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
    /// Run it with [`Session::values`](crate::Session::values), which returns one tuple per
    /// row, typed from the items:
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
    /// let q = select::<Hero>().columns((Hero::name, Hero::age)).filter(Hero::age.is_not_null());
    /// let rows: Vec<(String, Option<i64>)> = session.values(q)?;
    /// assert_eq!(rows, [("Rusty-Man".to_string(), Some(48)), ("Tarantula".to_string(), Some(32))]);
    /// assert_eq!(
    ///     log.take_lines().last().unwrap(),
    ///     "SELECT hero.name, hero.age FROM hero WHERE hero.age IS NOT NULL"
    /// );
    /// # Ok(())
    /// # }
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
    /// // SELECT team.name, count(*) FROM hero JOIN team ON team.id = hero.team_id
    /// // GROUP BY team.name ORDER BY count(*) DESC
    /// let q = select::<Hero>()
    ///     .join(Hero::team)
    ///     .columns((Team::name, func::count_all()))
    ///     .group_by(Team::name)
    ///     .order_by(func::count_all().desc());
    /// let rows = session.values(q.clone())?;
    /// assert_eq!(rows, [("Preventers".to_string(), 2), ("Z-Force".to_string(), 1)]);
    /// // ... HAVING count(*) < ?
    /// let rows = session.values(q.having(func::count_all().lt(2)))?;
    /// assert_eq!(rows, [("Z-Force".to_string(), 1)]);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn group_by<U: Table, V: crate::value::SqlType>(mut self, column: Column<U, V>) -> Self {
        self.parts.group_by.push(column.term());
        self
    }

    /// Adds a `HAVING` condition on the groups (several are joined with `AND`), usually on
    /// an aggregate: `.having(func::count_all().gt(1))`. Examples:
    /// [`group_by`](Self::group_by), [`func::count_all`].
    #[must_use]
    pub fn having<U>(mut self, condition: Expr<U>) -> Self {
        self.parts.having = Some(match self.parts.having.take() {
            None => condition.node,
            Some(h) => h.and(condition.node),
        });
        self
    }
}
