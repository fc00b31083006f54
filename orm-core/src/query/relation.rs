//! Relationship handles for queries ([`Relation`], generated as `Hero::team`): what
//! `Select::join` follows, and the conditions SQLAlchemy writes as `Team.heroes.any(...)`,
//! `Hero.team.has(...)` and `Hero.team == team`.

use std::marker::PhantomData;

use super::expr::{Expr, Node, RelRef};
use crate::object::Tracked;
use crate::schema::RelationKind;
use crate::table::Table;

/// Relationship field number `index` of `Owner`, pointing at `Target`: `Hero::team` is a
/// `Relation<Hero, Team>`, `Team::heroes` a `Relation<Team, Hero>`.
pub struct Relation<Owner, Target> {
    index: usize,
    _marker: PhantomData<fn() -> (Owner, Target)>,
}

impl<O, T> Clone for Relation<O, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O, T> Copy for Relation<O, T> {}

impl<O, T> std::fmt::Debug for Relation<O, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relation({})", self.index)
    }
}

impl<Owner, Target> Relation<Owner, Target> {
    /// The handle of relationship field `index` of `Owner` (generated code uses this).
    #[doc(hidden)]
    pub const fn new(index: usize) -> Self {
        Relation {
            index,
            _marker: PhantomData,
        }
    }
}

impl<Owner: Table, Target: Table> Relation<Owner, Target> {
    pub(crate) fn rel(self) -> RelRef {
        RelRef {
            owner: Owner::meta(),
            rel: self.index,
        }
    }

    /// Some related row satisfies `condition`: `EXISTS (SELECT 1 FROM hero WHERE team.id =
    /// hero.team_id AND hero.age > ?)` for `Team::heroes.any(Hero::age.gt(30))`. Through a
    /// link table, both tables are in the subquery: `EXISTS (SELECT 1 FROM team, heroteamlink
    /// WHERE hero.id = heroteamlink.hero_id AND team.id = heroteamlink.team_id AND ...)`.
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
    /// let q = select::<Team>().filter(Team::heroes.any(Hero::age.gt(40)));
    /// assert!(session.exec(q)?.one()? == preventers);
    /// assert_eq!(
    ///     log.take_lines().last().unwrap(),
    ///     "SELECT team.id, team.name FROM team WHERE EXISTS \
    ///      (SELECT 1 FROM hero WHERE team.id = hero.team_id AND hero.age > ?) (40,)"
    /// );
    /// // Teams with at least one hero, and teams with none:
    /// assert_eq!(session.count(select::<Team>().filter(Team::heroes.exists()))?, 2);
    /// assert_eq!(session.count(select::<Team>().filter(!Team::heroes.exists()))?, 0);
    /// # Ok(())
    /// # }
    /// ```
    pub fn any<U>(self, condition: Expr<U>) -> Expr<Owner> {
        Expr::new(Node::Exists {
            rel: self.rel(),
            inner: Some(Box::new(condition.node)),
        })
    }

    /// There is at least one related row (`any` without a condition). Example:
    /// [`any`](Self::any).
    pub fn exists(self) -> Expr<Owner> {
        Expr::new(Node::Exists {
            rel: self.rel(),
            inner: None,
        })
    }

    /// The related row satisfies `condition`, for a to-one relationship: `EXISTS (SELECT 1
    /// FROM team WHERE team.id = hero.team_id AND team.name = ?)`. The same SQL as
    /// [`any`](Self::any), SQLAlchemy's spelling for a `One`.
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
    /// // WHERE EXISTS (SELECT 1 FROM team WHERE team.id = hero.team_id AND team.name = ?)
    /// let q = select::<Hero>().filter(Hero::team.has(Team::name.eq("Z-Force")));
    /// assert_eq!(names(q)?, ["Deadpond"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn has<U>(self, condition: Expr<U>) -> Expr<Owner> {
        self.any(condition)
    }

    /// The relationship points at `target`: compares the foreign-key columns with the
    /// target's primary key, bound (`hero.team_id = ?`); no join needed. Only for a
    /// many-to-one (`One`) relationship. The key is read when the condition is built; a
    /// target without a key yet (never flushed) makes the query fail with
    /// [`Error::Query`](crate::Error::Query) before any SQL runs, autoflush included (flush
    /// first, then build the condition).
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
    /// let q = select::<Hero>().filter(Hero::team.eq(&preventers));
    /// assert_eq!(names(q)?, ["Rusty-Man", "Spider-Boy"]);
    /// assert!(log.take_lines().last().unwrap().ends_with("WHERE hero.team_id = ? (1,)"));
    /// // A target not flushed yet has no key to compare with.
    /// let new_team = Team { name: "Avengers".into(), ..Default::default() }.track();
    /// let q = select::<Hero>().filter(Hero::team.eq(&new_team));
    /// assert!(matches!(session.exec(q), Err(orm::Error::Query { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub fn eq(self, target: &Tracked<Target>) -> Expr<Owner> {
        let rel = self.rel();
        let Some(def) = rel.owner.relations.get(rel.rel) else {
            return Expr::new(Node::Invalid(format!(
                "{} has no relationship number {}",
                rel.owner.rust_name, rel.rel
            )));
        };
        let node = if def.kind != RelationKind::ManyToOne {
            Node::Invalid(format!(
                "{}.{} is a collection; `eq` compares a many-to-one relationship (use `any`)",
                rel.owner.rust_name, def.field
            ))
        } else {
            match target.key() {
                Some(key) => Node::RelatedTo {
                    rel,
                    key: key.to_values(),
                },
                None => Node::Invalid(format!(
                    "the {} compared with {}.{} has no primary key yet; flush it first",
                    Target::meta().rust_name,
                    rel.owner.rust_name,
                    def.field
                )),
            }
        };
        Expr::new(node)
    }
}
