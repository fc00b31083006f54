//! The read side of [`Session`] beyond `exec`: [`count`](Session::count),
//! [`exists`](Session::exists), [`first`](Session::first) and column queries
//! ([`values`](Session::values)). Each flushes pending changes first (autoflush), like
//! `exec`; `count`, `exists` and `values` load no object.

use rustc_hash::FxHashSet;

use super::{Rows, Session, SessionCore, Shape};
use crate::error::Result;
use crate::loader::{effective, LoadNode};
use crate::object::{addr, typed, ObjRef, Tracked};
use crate::query::{Parts, RelRef, Select, SelectValues, Selection, ValuesRow};
use crate::schema::Lazy;
use crate::sql;
use crate::table::Table;
use crate::value::Value;

impl SessionCore {
    /// Renders and runs a select of whole rows of `T` (after the autoflush), then its loader
    /// options and the declared eager defaults. A join that repeats rows gives each object
    /// once, in the order first seen (SQLAlchemy's ORM de-duplicates entities the same way).
    /// Many-to-one relationships loaded `joined` come in the same statement, each target's
    /// columns after the base table's.
    pub(super) fn exec_select<T: Table>(
        &mut self,
        parts: &Parts,
        loads: &[LoadNode],
    ) -> Result<Rows<T>> {
        let meta = T::meta();
        let joined: Vec<RelRef> = effective(meta, loads, &[])
            .into_iter()
            .filter(|n| n.how == Lazy::Joined && n.rel.is_many_to_one())
            .map(|n| n.rel)
            .collect();
        let mut params = Vec::new();
        let head = if joined.is_empty() {
            sql::Head::Entity
        } else {
            sql::Head::EntityJoined(&joined)
        };
        let text = sql::select(parts, head, &mut params)?;
        self.autoflush()?;
        let mut entities = vec![(meta, 0)];
        for rel in &joined {
            let (last, offset) = entities[entities.len() - 1];
            entities.push((rel.target(), offset + last.columns.len()));
        }
        let shape = Shape {
            entities: &entities,
            key_cols: &[],
        };
        let fetched = self.fetch_shaped(&text, &params, &shape)?;
        let mut seen = FxHashSet::default();
        let mut owners: Vec<ObjRef> = Vec::new();
        for row in fetched.objects.chunks(entities.len()) {
            let Some(owner) = &row[0] else { continue };
            for (rel, target) in joined.iter().zip(&row[1..]) {
                owner.relations()[rel.rel]
                    .0
                    .populate(target.iter().cloned().collect());
            }
            if seen.insert(addr(owner)) {
                if !joined.is_empty() {
                    self.note_holder(owner);
                }
                owners.push(owner.clone());
            }
        }
        self.run_loads(&owners, meta, loads)?;
        Ok(Rows {
            table: meta.name,
            items: owners.into_iter().filter_map(typed::<T>).collect(),
        })
    }

    /// Runs a query whose one row holds one integer.
    fn scalar(&mut self, text: &str, params: &[Value]) -> Result<i64> {
        self.autoflush()?;
        let mut found = 0;
        let result = self.conn().and_then(|conn| {
            conn.query(text, params, |row| {
                found = match row.get_ref(0)? {
                    crate::value::ValueRef::Integer(n) => n,
                    other => {
                        return Err(crate::backend::DbError::other(format!(
                            "expected an integer, found {other:?}"
                        ))
                        .into())
                    }
                };
                Ok(())
            })
        });
        self.settle(result)?;
        Ok(found)
    }
}

impl Session {
    /// How many objects `query` returns, with one `SELECT count(*) FROM hero WHERE ...`; no
    /// object is loaded. `DISTINCT`, a limit or an offset, and a join that repeats rows (to a
    /// collection), make it count a subquery: `SELECT count(*) FROM (SELECT ...) AS anon_1`.
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
    /// assert_eq!(session.count(select::<Hero>().filter(Hero::age.ge(18)))?, 2);
    /// assert_eq!(
    ///     log.take_lines().last().unwrap(),
    ///     "SELECT count(*) FROM hero WHERE hero.age >= ? (18,)"
    /// );
    /// // With a limit, it counts the rows of a subquery.
    /// assert_eq!(session.count(select::<Hero>().limit(3))?, 3);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::TableNotInQuery`](crate::Error::TableNotInQuery) and
    /// [`Error::Query`](crate::Error::Query) before any SQL runs; statement errors; errors of
    /// the autoflush.
    pub fn count<T: Table>(&self, query: Select<T>) -> Result<u64> {
        let mut params = Vec::new();
        let text = sql::count(&query.parts, &mut params)?;
        let n = self.shared.enter()?.scalar(&text, &params)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether `query` returns any row: `SELECT EXISTS (SELECT 1 FROM hero WHERE ...)`; no
    /// object is loaded.
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
    /// assert!(session.exists(select::<Hero>().filter(Hero::name.eq("Deadpond")))?);
    /// assert!(!session.exists(select::<Hero>().filter(Hero::age.gt(90)))?);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`count`](Self::count).
    pub fn exists<T: Table>(&self, query: Select<T>) -> Result<bool> {
        let mut params = Vec::new();
        let text = sql::exists_query(&query.parts, &mut params)?;
        Ok(self.shared.enter()?.scalar(&text, &params)? != 0)
    }

    /// The first object `query` returns, fetching only that row (the query runs with
    /// `LIMIT 1`); `None` when there is none. [`Rows::first`] instead reads every row.
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
    /// let youngest = session.first(select::<Hero>().filter(Hero::age.is_not_null()).order_by(Hero::age))?;
    /// assert_eq!(youngest.expect("a hero").read()?.name, "Tarantula");
    /// assert!(log.take_lines().last().unwrap().ends_with("ORDER BY hero.age LIMIT 1"));
    /// assert!(session.first(select::<Hero>().filter(Hero::age.gt(90)))?.is_none());
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// As [`count`](Self::count), plus decoding errors.
    pub fn first<T: Table>(&self, query: Select<T>) -> Result<Option<Tracked<T>>> {
        let mut parts = query.parts;
        parts.limit = Some(parts.limit.map_or(1, |n| n.min(1)));
        Ok(self
            .shared
            .lock()
            .exec_select::<T>(&parts, &query.loads)?
            .first())
    }

    /// Runs a column query ([`Select::columns`](crate::Select::columns)) and returns one
    /// tuple of plain values per row, typed from the selected columns and aggregates; no
    /// object is loaded or tracked.
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
    /// let q = select::<Hero>().columns((Hero::name, Hero::age)).order_by(Hero::name);
    /// let rows: Vec<(String, Option<i64>)> = session.values(q)?; // SELECT hero.name, hero.age ...
    /// assert_eq!(rows[1], ("Rusty-Man".to_string(), Some(48)));
    /// let oldest = session.values(select::<Hero>().columns((func::max(Hero::age),)))?;
    /// assert_eq!(oldest, [(Some(48),)]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`Error::Decode`](crate::Error::Decode) naming the table and column when a value does
    /// not fit its Rust type; otherwise as [`count`](Self::count).
    pub fn values<T: Table, S: Selection>(&self, query: SelectValues<T, S>) -> Result<Vec<S::Row>> {
        let items = query.items.items();
        let mut params = Vec::new();
        let text = sql::select(&query.parts, sql::Head::Items(&items), &mut params)?;
        let base = query.parts.base;
        let mut core = self.shared.enter()?;
        core.autoflush()?;
        let mut out = Vec::new();
        let result = core.conn().and_then(|conn| {
            conn.query(&text, &params, |row| {
                out.push(S::decode_row(&ValuesRow {
                    row,
                    items: &items,
                    base,
                })?);
                Ok(())
            })
        });
        core.settle(result)?;
        Ok(out)
    }
}
