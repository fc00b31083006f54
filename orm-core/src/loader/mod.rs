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
/// the loaded `Target` objects.
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
/// ```text
/// let teams = session.exec(select::<Team>().options(selectin(Team::heroes)))?.all();
/// // SELECT team.id, team.name, team.headquarters FROM team
/// // SELECT hero.id, ... FROM hero WHERE hero.team_id IN (?, ?, ?)
/// ```
pub fn selectin<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::SelectIn)
}

/// Loads many-to-one relationship `rel` in the query's own statement with a `LEFT OUTER
/// JOIN`, SQLAlchemy's `joinedload`. For a collection, or an option nested under another
/// (`then`), it loads as [`selectin`] does (a join would repeat each row per member).
///
/// ```text
/// let heroes = session.exec(select::<Hero>().options(joined(Hero::team)))?.all();
/// // SELECT hero.id, ..., team_1.id, team_1.name, team_1.headquarters
/// // FROM hero LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id
/// ```
pub fn joined<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::Joined)
}

/// Leaves relationship `rel` to load lazily, on first access, whatever its declared default
/// (SQLAlchemy's `lazyload`).
pub fn lazyload<O: Table, T: Table>(rel: Relation<O, T>) -> Load<O, T> {
    Load::new(rel, Lazy::Select)
}

/// One or several loader options for objects of `O`, as [`Session::get_with`] takes them:
/// a [`Load`], or a tuple of up to four.
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
    /// ```text
    /// select::<Team>().options(selectin(Team::heroes).then(selectin(Hero::teams)))
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
