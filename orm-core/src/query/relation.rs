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
    /// ```text
    /// session.exec(select::<Team>().filter(Team::heroes.any(Hero::age.gt(30))))
    /// ```
    pub fn any<U>(self, condition: Expr<U>) -> Expr<Owner> {
        Expr::new(Node::Exists {
            rel: self.rel(),
            inner: Some(Box::new(condition.node)),
        })
    }

    /// There is at least one related row (`any` without a condition).
    pub fn exists(self) -> Expr<Owner> {
        Expr::new(Node::Exists {
            rel: self.rel(),
            inner: None,
        })
    }

    /// The related row satisfies `condition`, for a to-one relationship: `EXISTS (SELECT 1
    /// FROM team WHERE team.id = hero.team_id AND team.name = ?)`. The same SQL as
    /// [`any`](Self::any), SQLAlchemy's spelling for a `One`.
    pub fn has<U>(self, condition: Expr<U>) -> Expr<Owner> {
        self.any(condition)
    }

    /// The relationship points at `target`: compares the foreign-key columns with the
    /// target's primary key, bound (`hero.team_id = ?`); no join needed. Only for a
    /// many-to-one (`One`) relationship. The key is read when the condition is built; a
    /// target without a key yet (never flushed) makes the query fail with
    /// [`Error::Query`](crate::Error::Query) before any SQL runs, autoflush included (flush
    /// first, then build the condition).
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
