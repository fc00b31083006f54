//! # orm
//!
//! The relationship model of SQLModel (SQLAlchemy underneath) for Rust, over SQLite: derive
//! `Table` on plain structs, link them with relationship fields, and work through a
//! [`Session`] with an identity map, a unit of work that writes every change in dependency
//! order in one transaction, expire-on-commit and lazily loaded relationships whose two sides
//! stay in step in memory.
//!
//! ```
//! use orm::prelude::*;
//!
//! #[derive(Table, Debug, Default)]
//! pub struct Team {
//!     #[orm(primary_key)]
//!     pub id: Option<i64>,
//!     #[orm(index)]
//!     pub name: String,
//!     pub headquarters: String,
//!     #[orm(relationship(back_populates = "team"))]
//!     pub heroes: Many<Hero>,
//! }
//!
//! #[derive(Table, Debug, Default)]
//! pub struct Hero {
//!     #[orm(primary_key)]
//!     pub id: Option<i64>,
//!     #[orm(index)]
//!     pub name: String,
//!     pub secret_name: String,
//!     pub age: Option<i64>,
//!     #[orm(foreign_key = "team.id")]
//!     pub team_id: Option<i64>,
//!     #[orm(relationship(back_populates = "heroes"))]
//!     pub team: One<Team>,
//! }
//!
//! fn main() -> orm::Result<()> {
//!     let engine = Engine::memory()?;
//!     engine.create_all::<(Team, Hero)>()?;
//!
//!     let session = Session::new(&engine);
//!     let z_force = Team { name: "Z-Force".into(), headquarters: "Sister Margaret's Bar".into(), ..Default::default() }.track();
//!     let deadpond = Hero { name: "Deadpond".into(), secret_name: "Dive Wilson".into(), team: One::to(&z_force), ..Default::default() }.track();
//!     assert!(z_force.read()?.heroes.contains(&deadpond)?); // the other side, in memory
//!
//!     session.add(&deadpond)?;   // cascades to z_force
//!     session.commit()?;         // INSERT team, INSERT hero (team_id filled in), COMMIT
//!
//!     let found = session.exec(select::<Hero>().filter(Hero::name.eq("Deadpond")))?.one()?;
//!     assert!(found == deadpond); // one object per row
//!     found.write()?.age = Some(30); // UPDATE hero SET age=? WHERE hero.id = ?
//!     session.commit()?;
//!     assert_eq!(deadpond.read()?.team_id, z_force.read()?.id);
//!     Ok(())
//! }
//! ```
//!
//! ## Declaring tables
//!
//! `#[derive(Table)]` on a struct with named fields. The table name is the struct name in
//! lower case (`HeroTeamLink` -> `heroteamlink`); `#[orm(table = "...")]` overrides it.
//! Field attributes, inside `#[orm(...)]`:
//!
//! | attribute | meaning |
//! |---|---|
//! | `primary_key` | part of the primary key (several fields: a composite key); an `Option<i64>` single key is assigned by the database |
//! | `index` | `CREATE INDEX ix_<table>_<column>` |
//! | `unique` | values are unique |
//! | `foreign_key = "team.id"` | references another table's column |
//! | `column = "name"` | the column's name, when it differs from the field's |
//! | `default = expr` | the value `Default::default()` gives the field (the derive then writes `Default` for you: don't derive it too) |
//! | `skip` | not stored; `Default::default()` when loaded |
//! | `relationship(back_populates = "f", link_model = L, delete_orphan)` | on a `One<T>` or `Many<T>` field |
//!
//! Column types: `i64`, `i32`, `i16`, `i8`, `u32`, `u64`, `usize` (checked to fit SQLite's
//! signed integers when written), `bool`, `f64`, `f32`, `String`, `Vec<u8>`, the types of
//! the cargo features `chrono`, `time`, `uuid`, `serde_json` (`Json<T>` and
//! `serde_json::Value`) and `rust_decimal` (their storage forms are in the README), your
//! own, and `Option<T>` of each (nullable). Each column gets a typed handle for queries:
//! `Hero::name` is a `Column<Hero, String>`, so `Hero::name.eq(3)` does not compile.
//!
//! ## Column types of your own
//!
//! `#[derive(ColumnType)]` stores a fieldless enum as text (its variant names;
//! `#[orm(rename = "...")]` on a variant, `#[orm(rename_all = "snake_case")]` on the enum) or,
//! with `#[orm(store = "integer")]`, as its discriminants; and a struct of one field (a
//! newtype) as the type of that field. For anything else implement [`ColumnType`] (example
//! there). `Option` of such a type is a nullable column with nothing more to write.
//!
//! ```
//! use orm::prelude::*;
//!
//! #[derive(ColumnType, Debug, Clone, Copy, PartialEq)]
//! #[orm(rename_all = "lowercase")]
//! pub enum Power {
//!     Fly,
//!     #[orm(rename = "super strength")]
//!     Strength,
//! }
//!
//! #[derive(ColumnType, Debug, Clone, PartialEq, Default)]
//! pub struct Email(pub String);
//!
//! #[derive(Table, Debug)]
//! pub struct Hero {
//!     #[orm(primary_key)]
//!     pub id: Option<i64>,
//!     pub power: Power,           // VARCHAR(14): 'fly' or 'super strength'
//!     pub email: Option<Email>,   // VARCHAR, nullable
//! }
//! # fn main() -> orm::Result<()> {
//! let engine = Engine::memory()?;
//! engine.create_all::<(Hero,)>()?;
//! let session = Session::new(&engine);
//! let hero = Hero { id: None, power: Power::Strength, email: Some(Email("rusty@x.org".into())) };
//! session.add(&hero.track())?;
//! let q = select::<Hero>().filter(Hero::power.eq(Power::Strength));
//! assert_eq!(session.exec(q)?.one()?.read()?.email, Some(Email("rusty@x.org".into())));
//! # Ok(())
//! # }
//! ```
//!
//! ## serde (feature `serde`)
//!
//! `Tracked<T>` serializes as `T` and deserializes into a new object (for `session.add`);
//! `One<T>` and `Many<T>` serialize their targets only when loaded (never running a lazy
//! load), as `null` otherwise or left out with `#[serde(skip_serializing_if =
//! "One::serializes_as_none")]`; a relationship leading back to an object being serialized
//! is cut, so cycles end (a hero's team lists no heroes). See `examples/json_api.rs`.
//!
//! ## Relationships
//!
//! * `One<T>`: many-to-one; this struct has the foreign key to `T`.
//! * `Many<T>`: one-to-many (`T` has the foreign key), or many-to-many with
//!   `link_model = L` (a table with foreign keys to both sides).
//!
//! Changing one side (`one.set`, `one.clear`, `many.push`, `many.remove`, `many.replace`,
//! or assigning the field through a write guard) updates the other side at once, without
//! SQL; a side that is not loaded yet remembers the change. Collections load on first use
//! with one SELECT; a `One` whose target is in the identity map costs no SQL.
//!
//! ## Sessions, objects and memory
//!
//! A [`Tracked<T>`] handle is the object as its session knows it: cloning it gives the same
//! object, `==` compares identity, and it is `Send`. `read()` / `write()` return guards; a
//! conflicting borrow is an [`Error::Borrowed`], never a deadlock. After `commit` objects are
//! expired and reload on first access. Deleting a parent sets its children's foreign key to
//! NULL, or deletes them with `delete_orphan`; changing a primary key moves the object to its
//! new key. When a session is closed or dropped its objects are detached and what they
//! loaded stays readable: columns, a loaded `One`'s target, and a loaded collection while its
//! members are alive (a collection then holds them weakly, so that two objects loaded on both
//! sides of a relationship, which point at each other, are still freed). Objects that only
//! keep each other alive while their session lives on, or that were linked and never added,
//! are freed by a cycle collector that runs by itself as objects are made and linked;
//! [`collect_cycles`] runs one at once.
//!
//! ## Queries
//!
//! [`select`] starts a query of whole rows; [`Session::exec`] runs it and returns tracked
//! objects (the identity map's: the same object for the same row), [`Session::first`] fetches one
//! with `LIMIT 1`, [`Session::count`] and [`Session::exists`] ask SQLite for a number and load
//! nothing. Conditions: `eq`, `ne`, `lt`, `le`, `gt`, `ge` (`eq(None)` is `IS NULL`),
//! `is_null`, `in_` / `not_in`, `between`, `like` and the escaped `contains`, `starts_with`,
//! `ends_with`, combined with `and`, `or` and `!` / `not()`. Sort with `order_by` (each call adds
//! a key; `desc()`, `nulls_first()`, `nulls_last()`); `distinct`, `limit`, `offset`.
//!
//! Each relationship field has a handle too (`Hero::team`, `Team::heroes`): `join` /
//! `outer_join` follow it (a many-to-many through its link table), after which conditions and
//! sort keys may name the joined table; `any` / `has` test related rows with an `EXISTS`
//! subquery, and `Hero::team.eq(&team)` compares the foreign key. A condition on a table the
//! query does not reach is [`Error::TableNotInQuery`] before any SQL runs.
//!
//! [`Select::columns`] selects values instead of objects: columns and aggregates ([`func`]),
//! typed from the columns, run with [`Session::values`], with `group_by` and `having`.
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
//! let engine = Engine::memory()?;
//! engine.create_all::<(Team, Hero)>()?;
//! let session = Session::new(&engine);
//! let preventers = Team { name: "Preventers".into(), ..Default::default() }.track();
//! for (name, age) in [("Rusty-Man", Some(48)), ("Spider-Boy", None), ("Dr. Weird", Some(36))] {
//!     let hero = Hero { name: name.into(), age, team: One::to(&preventers), ..Default::default() };
//!     session.add(&hero.track())?;
//! }
//! session.add(&Hero { name: "Deadpond".into(), ..Default::default() }.track())?;
//!
//! // WHERE hero.name IN (?, ?)
//! let q = select::<Hero>().filter(Hero::name.in_(["Deadpond", "Rusty-Man"]));
//! assert_eq!(session.exec(q)?.len(), 2);
//!
//! // SELECT count(*) FROM hero WHERE hero.age IS NULL
//! assert_eq!(session.count(select::<Hero>().filter(Hero::age.eq(None)))?, 2);
//!
//! // FROM hero JOIN team ON team.id = hero.team_id WHERE team.name = ? ORDER BY hero.age DESC NULLS LAST
//! let q = select::<Hero>()
//!     .join(Hero::team)
//!     .filter(Team::name.eq("Preventers"))
//!     .order_by(Hero::age.desc().nulls_last());
//! let oldest = session.first(q)?.expect("a Preventer");
//! assert_eq!(oldest.read()?.name, "Rusty-Man");
//!
//! // WHERE EXISTS (SELECT 1 FROM hero WHERE team.id = hero.team_id AND hero.age > ?)
//! let q = select::<Team>().filter(Team::heroes.any(Hero::age.gt(40)));
//! assert!(session.exec(q)?.one()? == preventers);
//!
//! // SELECT hero.name, hero.age FROM hero ORDER BY hero.name
//! let rows: Vec<(String, Option<i64>)> =
//!     session.values(select::<Hero>().columns((Hero::name, Hero::age)).order_by(Hero::name))?;
//! assert_eq!(rows[0], ("Deadpond".to_string(), None));
//!
//! // SELECT team.name, count(*), avg(hero.age) FROM team JOIN hero ON ... GROUP BY team.name HAVING count(*) > ?
//! let q = select::<Team>()
//!     .join(Team::heroes)
//!     .columns((Team::name, func::count_all(), func::avg(Hero::age)))
//!     .group_by(Team::name)
//!     .having(func::count_all().gt(1));
//! assert_eq!(session.values(q)?, [("Preventers".to_string(), 3, Some(42.0))]);
//! # Ok(())
//! # }
//! ```
//!
//! [`update`] and [`delete`] change or remove every row that matches a condition with one
//! statement, run by [`Session::execute`], which returns how many rows it touched; objects
//! the session has loaded follow (updated in memory, or deleted until a rollback). Hand-written
//! SQL goes through [`Session::query_as`] (rows of a `SELECT` as tracked objects, columns
//! matched by name) and [`Session::execute_sql`] (any statement; call
//! [`Session::expire_all`] afterwards if it changed loaded rows). Values are always bound.
//!
//! ```
//! # use orm::prelude::*;
//! # #[derive(Table, Debug, Default)]
//! # pub struct Hero {
//! #     #[orm(primary_key)]
//! #     pub id: Option<i64>,
//! #     pub name: String,
//! #     pub age: Option<i64>,
//! # }
//! # fn main() -> orm::Result<()> {
//! # let engine = Engine::memory()?;
//! # engine.create_all::<(Hero,)>()?;
//! let session = Session::new(&engine);
//! for (name, age) in [("Deadpond", None), ("Rusty-Man", Some(48)), ("Dr. Weird", Some(36))] {
//!     session.add(&Hero { name: name.into(), age, ..Default::default() }.track())?;
//! }
//! let rusty = session.exec(select::<Hero>().filter(Hero::name.eq("Rusty-Man")))?.one()?;
//!
//! // UPDATE hero SET age=? WHERE hero.age > ? RETURNING id
//! let n = session.execute(update::<Hero>().filter(Hero::age.gt(40)).set(Hero::age, 49))?;
//! assert_eq!(n, 1);
//! assert_eq!(rusty.read()?.age, Some(49)); // the loaded object follows, without a SELECT
//!
//! // DELETE FROM hero WHERE hero.age IS NULL RETURNING id
//! session.execute(delete::<Hero>().filter(Hero::age.eq(None)))?;
//!
//! // SELECT id, name, age FROM (SELECT * FROM hero WHERE age < ?) AS anon_1
//! let weird = session.query_as::<Hero>("SELECT * FROM hero WHERE age < ?", (40,))?.one()?;
//! assert_eq!(weird.read()?.name, "Dr. Weird");
//!
//! session.execute_sql("UPDATE hero SET age = age + 1 WHERE name = ?", ("Dr. Weird",))?;
//! session.expire_all(); // execute_sql leaves loaded objects as they were
//! assert_eq!(weird.read()?.age, Some(37));
//! session.commit()?;
//! # Ok(())
//! # }
//! ```
//!
//! ## Loading relationships
//!
//! A relationship loads lazily, with one `SELECT` on first access, unless told otherwise:
//! a query's [`options`](Select::options) ([`selectin`], [`joined`], [`lazyload`], nested
//! with [`Load::then`]) or the relationship's declared default
//! (`relationship(lazy = "selectin" | "joined" | "select" | "raise")`). `selectin` loads the
//! relationship of every object the query returned with one more statement (`... WHERE
//! hero.team_id IN (...)`, 500 keys a statement); `joined` loads a many-to-one in the query's
//! own statement with a `LEFT OUTER JOIN`; `raise` turns an access that would run a lazy
//! `SELECT` into [`Error::LazyLoadRaised`], the guard against N+1 queries.
//! [`Session::get_with`] takes options too. Loaded objects are the identity map's, and a
//! relationship that is already loaded, or holds changes not yet flushed, is left as it is.
//! `relationship(order_by = Hero::name)` orders a collection however it loads.
//!
//! ```
//! # use orm::prelude::*;
//! #[derive(Table, Debug, Default)]
//! pub struct Team {
//!     #[orm(primary_key)]
//!     pub id: Option<i64>,
//!     pub name: String,
//!     #[orm(relationship(back_populates = "team", lazy = "raise", order_by = Hero::name))]
//!     pub heroes: Many<Hero>,
//! }
//! #[derive(Table, Debug, Default)]
//! pub struct Hero {
//!     #[orm(primary_key)]
//!     pub id: Option<i64>,
//!     pub name: String,
//!     #[orm(foreign_key = "team.id")]
//!     pub team_id: Option<i64>,
//!     #[orm(relationship(back_populates = "heroes"))]
//!     pub team: One<Team>,
//! }
//! # fn main() -> orm::Result<()> {
//! let engine = Engine::memory()?;
//! engine.create_all::<(Team, Hero)>()?;
//! let log = engine.capture();
//! let session = Session::new(&engine);
//! for t in ["Preventers", "Z-Force"] {
//!     let team = Team { name: t.into(), ..Default::default() }.track();
//!     for h in ["b", "a"] {
//!         team.read()?.heroes.push(&Hero { name: format!("{t} {h}"), ..Default::default() }.track())?;
//!     }
//!     session.add(&team)?;
//! }
//! session.commit()?;
//! let session = Session::new(&engine);
//!
//! // Declared lazy = "raise": reading the collection unloaded is an error, not N+1 SELECTs.
//! let team = session.get::<Team>(1)?.expect("team");
//! assert!(matches!(team.read()?.heroes.len(), Err(orm::Error::LazyLoadRaised { .. })));
//!
//! // Two statements for every team and its heroes (in the declared order).
//! log.clear();
//! let teams = session.exec(select::<Team>().options(selectin(Team::heroes)))?.all();
//! assert_eq!(log.len(), 2);
//! let first = teams[0].read()?.heroes.get(0)?.expect("a hero");
//! assert_eq!(first.read()?.name, "Preventers a");
//!
//! // One statement for heroes with their team; the teams are the objects loaded above.
//! log.clear();
//! let heroes = session.exec(select::<Hero>().options(joined(Hero::team)))?.all();
//! assert_eq!(log.len(), 1);
//! assert!(heroes[3].read()?.team.get()? == Some(teams[1].clone()));
//! # Ok(())
//! # }
//! ```
//!
//! ## Seeing the SQL
//!
//! `Engine::echo(true)` prints each statement to stderr (`INFO Engine <SQL>` and
//! `INFO Engine [params] (...)`); every statement also goes to the `log` crate (target
//! `orm::engine`) and to hooks registered with [`Engine::on_statement`].

pub use orm_core::*;
pub use orm_derive::{ColumnType, Table};

/// Everything a program usually needs: `use orm::prelude::*;`.
pub mod prelude {
    pub use orm_core::{
        delete, func, joined, lazyload, select, selectin, update, ColumnType, Engine, Many, One,
        Session, Table, Tracked,
    };
    pub use orm_derive::{ColumnType, Table};
}

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
