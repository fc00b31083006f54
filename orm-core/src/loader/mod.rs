//! Loader strategies: how a relationship's objects come in. Lazy (`SELECT` on first access,
//! in `relation`), select-in (one more `SELECT ... WHERE ... IN (...)` for every object a
//! query returned), joined (a many-to-one in the query's own statement, `LEFT OUTER JOIN`)
//! and raise (no lazy `SELECT` at all). A relationship declares its default
//! (`relationship(lazy = "selectin")`); a query's options ([`selectin`], [`joined`],
//! [`lazyload`]) override it for that query and nest with [`Load::then`].
//!
//! Every strategy goes through the identity map (a row already loaded is the same object)
//! and leaves alone a relationship that is already loaded or holds changes not yet flushed.
//! This module says what to load; `run` runs it inside the session.

use std::marker::PhantomData;

use crate::query::{RelRef, Relation, Select};
use crate::schema::{Lazy, TableMeta};
use crate::table::Table;

mod run;

/// A loader option for relationship `Owner -> Target` of a query (or of `Session::get_with`),
/// made by [`selectin`], [`joined`] or [`lazyload`]; [`then`](Load::then) adds options for
/// the loaded `Target` objects. Given to [`Select::options`] or [`Session::get_with`].
///
/// [`Session::get_with`]: crate::Session::get_with
pub struct Load<Owner, Target> {
    pub(crate) node: LoadNode,
    _marker: PhantomData<fn() -> (Owner, Target)>,
}

impl<O, T> Clone for Load<O, T> {
    fn clone(&self) -> Self {
        Load {
            node: self.node.clone(),
            _marker: PhantomData,
        }
    }
}

impl<O, T> std::fmt::Debug for Load<O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.node.fmt(f)
    }
}

/// One option, type-erased: a relationship, how to load it, and the options for its
/// targets.
#[derive(Clone)]
pub(crate) struct LoadNode {
    pub rel: RelRef,
    pub how: Lazy,
    pub then: Vec<LoadNode>,
}

impl std::fmt::Debug for LoadNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let def = &self.rel.owner.relations[self.rel.rel];
        write!(
            f,
            "{:?}({}.{})",
            self.how, self.rel.owner.rust_name, def.field
        )?;
        for t in &self.then {
            write!(f, ".then({t:?})")?;
        }
        Ok(())
    }
}

impl<Owner: Table, Target: Table> Load<Owner, Target> {
    fn new(rel: Relation<Owner, Target>, how: Lazy) -> Self {
        Load {
            node: LoadNode {
                rel: rel.rel(),
                how,
                then: Vec::new(),
            },
            _marker: PhantomData,
        }
    }

    /// Adds an option for the objects this one loads (SQLAlchemy's chained
    /// `selectinload(Team.heroes).selectinload(Hero.teams)`).
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
    /// // Each hero with its team, and each of those teams with its heroes.
    /// let q = select::<Hero>().options(joined(Hero::team).then(selectin(Team::heroes)));
    /// let heroes = session.exec(q)?.all();
    /// assert_eq!(log.take_lines()[1..], [
    ///     "SELECT hero.id, hero.name, hero.age, hero.team_id, team_1.id, team_1.name \
    ///      FROM hero LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id",
    ///     "SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero WHERE hero.team_id IN (?, ?) (2, 1)",
    /// ]);
    /// let team = heroes[1].read()?.team.get()?.expect("Rusty-Man's team");
    /// assert_eq!(team.read()?.heroes.len()?, 2);
    /// assert!(log.is_empty()); // all loaded already
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn then<Next>(mut self, next: Load<Target, Next>) -> Self {
        self.node.then.push(next.node);
        self
    }
}

/// Loads relationship `rel` of every object the query returns with one more statement,
/// `SELECT ... WHERE <foreign key> IN (...)` (500 keys a statement), SQLAlchemy's
/// `selectinload`. Works for `One`, one-to-many `Many` and many-to-many `Many` (through the
/// link table).
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
/// let teams = session.exec(select::<Team>().options(selectin(Team::heroes)))?.all();
/// assert_eq!(log.take_lines(), [
///     "BEGIN (implicit)",
///     "SELECT team.id, team.name FROM team",
///     "SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero WHERE hero.team_id IN (?, ?) (1, 2)",
/// ]);
/// assert_eq!(teams[0].read()?.heroes.len()?, 2);
/// assert!(log.is_empty()); // loaded already
/// # Ok(())
/// # }
/// ```
pub fn selectin<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::SelectIn)
}

/// Loads many-to-one relationship `rel` in the query's own statement with a `LEFT OUTER
/// JOIN`, SQLAlchemy's `joinedload`. For a collection, or an option nested under another
/// (`then`), it loads as [`selectin`] does (a join would repeat each row per member).
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
/// let heroes = session.exec(select::<Hero>().options(joined(Hero::team)))?.all();
/// assert_eq!(
///     log.take_lines().last().unwrap(),
///     "SELECT hero.id, hero.name, hero.age, hero.team_id, team_1.id, team_1.name \
///      FROM hero LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id"
/// );
/// assert!(heroes[0].read()?.team.get()? == Some(z_force.clone()));
/// assert!(heroes[3].read()?.team.get()?.is_none()); // Tarantula has no team
/// assert!(log.is_empty()); // loaded already
/// # Ok(())
/// # }
/// ```
pub fn joined<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::Joined)
}

/// Leaves relationship `rel` to load lazily, on first access, whatever its declared default
/// (SQLAlchemy's `lazyload`).
///
/// ```
/// # use orm::prelude::*;
/// #[derive(Table, Debug, Default)]
/// pub struct Team {
///     #[orm(primary_key)]
///     pub id: Option<i64>,
///     pub name: String,
///     #[orm(relationship(back_populates = "team", lazy = "selectin"))]
///     pub heroes: Many<Hero>,
/// }
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
/// let teams = session.exec(select::<Team>().options(lazyload(Team::heroes)))?.all();
/// assert_eq!(log.take().len(), 2); // BEGIN, SELECT ... FROM team: no heroes
/// assert!(!teams[0].read()?.heroes.is_loaded());
/// assert_eq!(teams[0].read()?.heroes.len()?, 2); // SELECT ... WHERE ? = hero.team_id
/// assert_eq!(log.take().len(), 1);
/// # Ok(())
/// # }
/// ```
pub fn lazyload<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::Select)
}

/// One or several loader options for objects of `O`, as [`Session::get_with`] takes them:
/// a [`Load`], or a tuple of up to four. Example: [`Session::get_with`].
///
/// [`Session::get_with`]: crate::Session::get_with
pub trait LoadOptions<O> {
    /// The options, type-erased.
    #[doc(hidden)]
    fn nodes(self) -> LoadNodes;
}

/// Loader options, type-erased (what [`LoadOptions`] hands the session).
#[doc(hidden)]
pub struct LoadNodes(pub(crate) Vec<LoadNode>);

impl<O, T> LoadOptions<O> for Load<O, T> {
    fn nodes(self) -> LoadNodes {
        LoadNodes(vec![self.node])
    }
}

macro_rules! load_options_tuple {
    ($($t:ident),+) => {
        impl<O, $($t: LoadOptions<O>),+> LoadOptions<O> for ($($t,)+) {
            #[allow(non_snake_case)]
            fn nodes(self) -> LoadNodes {
                let ($($t,)+) = self;
                let mut out = Vec::new();
                $(out.extend($t.nodes().0);)+
                LoadNodes(out)
            }
        }
    };
}
load_options_tuple!(A);
load_options_tuple!(A, B);
load_options_tuple!(A, B, C);
load_options_tuple!(A, B, C, D);

impl<T: Table> Select<T> {
    /// Adds a loader option for the relationships of the objects this query returns:
    /// [`selectin`], [`joined`] or [`lazyload`], nested with [`Load::then`]. Each call adds
    /// one; an option overrides the relationship's declared default for this query.
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
    /// // Lazy: one SELECT for the teams, then one per team for its heroes.
    /// for team in session.exec(select::<Team>())?.all() {
    ///     team.read()?.heroes.len()?;
    /// }
    /// assert_eq!(log.take().len(), 1 + 1 + 2); // BEGIN, the teams, the heroes of each
    /// session.expire_all();
    /// // With the option: the teams, and every team's heroes in one more SELECT.
    /// for team in session.exec(select::<Team>().options(selectin(Team::heroes)))?.all() {
    ///     team.read()?.heroes.len()?;
    /// }
    /// assert_eq!(log.take().len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn options<U>(mut self, load: Load<T, U>) -> Self {
        self.loads.push(load.node);
        self
    }
}

/// The options that apply to objects of `meta`: the given ones, then the declared default of
/// every other relationship (`selectin` / `joined`) unless that relationship is on `path`
/// already (a default that leads back to itself stops there, so a cycle of defaults ends).
pub(crate) fn effective(
    meta: &'static TableMeta,
    given: &[LoadNode],
    path: &[RelRef],
) -> Vec<LoadNode> {
    let mut out: Vec<LoadNode> = given
        .iter()
        .filter(|n| std::ptr::eq(n.rel.owner, meta))
        .cloned()
        .collect();
    for (i, def) in meta.relations.iter().enumerate() {
        let rel = RelRef {
            owner: meta,
            rel: i,
        };
        let eager = matches!(def.lazy, Lazy::SelectIn | Lazy::Joined);
        if eager && !out.iter().any(|n| n.rel == rel) && !path.contains(&rel) {
            out.push(LoadNode {
                rel,
                how: def.lazy,
                then: Vec::new(),
            });
        }
    }
    out
}
