//! The type-erased filter tree every query builds ([`Node`]), the terms it compares (a column
//! of some table, an aggregate over one), and the typed wrappers users hold: [`Expr`] for a
//! condition and [`Order`] for a sort key. Nodes carry each column's table, so one query can
//! filter on several tables and `sql` can check that every table it names is reachable.

use std::marker::PhantomData;

use crate::schema::TableMeta;
use crate::value::Value;

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

/// Column `index` of `table`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColRef {
    pub table: &'static TableMeta,
    pub index: usize,
}

impl PartialEq for ColRef {
    fn eq(&self, other: &ColRef) -> bool {
        std::ptr::eq(self.table, other.table) && self.index == other.index
    }
}

impl ColRef {
    /// The column's SQL name.
    pub fn name(&self) -> &'static str {
        self.table.columns[self.index].name
    }
}

/// An aggregate function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AggFn {
    Count,
    Sum,
    Avg,
    Min,
    Max,
}

/// What a condition compares, a query selects, groups or sorts by.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Term {
    Column(ColRef),
    /// `count(*)`
    CountAll,
    /// `f(column)`
    Aggregate(AggFn, ColRef),
}

/// A relationship of a table, by index: `table.relations[rel]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RelRef {
    pub owner: &'static TableMeta,
    pub rel: usize,
}

impl RelRef {
    /// The table the relationship points at.
    pub(crate) fn target(&self) -> &'static TableMeta {
        (self.owner.relations[self.rel].target)()
    }

    /// Whether it is a `One` (this table holds the foreign key).
    pub(crate) fn is_many_to_one(&self) -> bool {
        self.owner.relations[self.rel].kind == crate::schema::RelationKind::ManyToOne
    }
}

impl PartialEq for RelRef {
    fn eq(&self, other: &RelRef) -> bool {
        std::ptr::eq(self.owner, other.owner) && self.rel == other.rel
    }
}

/// A filter tree, type-erased.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `term op ?`
    Cmp {
        term: Term,
        op: Cmp,
        value: Value,
    },
    /// `term IS [NOT] NULL`
    Null {
        term: Term,
        negated: bool,
    },
    /// `term [NOT] IN (?, ...)`; an empty list renders as a constant condition.
    In {
        term: Term,
        values: Vec<Value>,
        negated: bool,
    },
    /// `term LIKE ?`, with `ESCAPE '/'` when `escaped`.
    Like {
        term: Term,
        pattern: Value,
        escaped: bool,
    },
    /// `term BETWEEN ? AND ?`
    Between {
        term: Term,
        low: Value,
        high: Value,
    },
    /// `NOT (node)`
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    /// `EXISTS (SELECT 1 FROM <target> WHERE <relationship join> [AND node])`: a
    /// relationship's `any` / `has`.
    Exists {
        rel: RelRef,
        inner: Option<Box<Node>>,
    },
    /// The foreign-key columns of many-to-one relationship `rel` equal `key` (the target's
    /// primary key, in primary-key order).
    RelatedTo {
        rel: RelRef,
        key: Vec<Value>,
    },
    /// A condition that could not be built; rendering fails with this message before any SQL
    /// runs.
    Invalid(String),
}

impl Node {
    /// `self AND other`, flattening a left-hand `AND`.
    pub(crate) fn and(self, other: Node) -> Node {
        match self {
            Node::And(mut items) => {
                items.push(other);
                Node::And(items)
            }
            node => Node::And(vec![node, other]),
        }
    }

    /// `self OR other`, flattening a left-hand `OR`.
    pub(crate) fn or(self, other: Node) -> Node {
        match self {
            Node::Or(mut items) => {
                items.push(other);
                Node::Or(items)
            }
            node => Node::Or(vec![node, other]),
        }
    }

    /// `term op value`, where comparing with `NULL` means `IS [NOT] NULL` for `=` and `!=`.
    pub(crate) fn cmp(term: Term, op: Cmp, value: Value) -> Node {
        match (op, value.is_null()) {
            (Cmp::Eq, true) => Node::Null {
                term,
                negated: false,
            },
            (Cmp::Ne, true) => Node::Null {
                term,
                negated: true,
            },
            _ => Node::Cmp { term, op, value },
        }
    }
}

/// A condition, for `filter`, `having`, or a relationship's `any` / `has`. `T` is the table
/// it was built on (`()` for a condition on aggregates); conditions on several tables combine
/// freely, and the query checks when it runs that it reaches every table a condition names.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr<T> {
    pub(crate) node: Node,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Expr<T> {
    pub(crate) fn new(node: Node) -> Self {
        Expr {
            node,
            _marker: PhantomData,
        }
    }

    /// Both conditions hold: `a AND b`. The conditions may be on different tables.
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
    /// let q = select::<Hero>().filter(Hero::age.gt(30).and(Hero::team_id.is_not_null()));
    /// assert_eq!(names(q)?, ["Rusty-Man"]);
    /// let q = select::<Hero>().filter(Hero::name.eq("Deadpond").or(Hero::age.gt(40)));
    /// assert_eq!(names(q)?, ["Deadpond", "Rusty-Man"]);
    /// // NOT (hero.age > ?): the heroes without an age do not match either.
    /// assert_eq!(names(select::<Hero>().filter(!Hero::age.gt(40)))?, ["Tarantula"]);
    /// assert_eq!(names(select::<Hero>().filter(Hero::age.gt(40).not()))?, ["Tarantula"]);
    /// # Ok(())
    /// # }
    /// ```
    pub fn and<U>(self, other: Expr<U>) -> Expr<T> {
        Expr::new(self.node.and(other.node))
    }

    /// Either condition holds: `a OR b`. Example: [`and`](Self::and).
    pub fn or<U>(self, other: Expr<U>) -> Expr<T> {
        Expr::new(self.node.or(other.node))
    }

    /// The condition does not hold: `NOT (a)`. Also spelled `!a`. Like SQL, `NOT` of a
    /// comparison with `NULL` is still not true: `!Hero::age.gt(30)` leaves out heroes whose
    /// age is `NULL`. Example: [`and`](Self::and).
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Expr<T> {
        Expr::new(Node::Not(Box::new(self.node)))
    }
}

impl<T> std::ops::Not for Expr<T> {
    type Output = Expr<T>;
    fn not(self) -> Expr<T> {
        Expr::not(self)
    }
}

/// Where `NULL`s go in a sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nulls {
    /// SQLite's default: first ascending, last descending.
    Default,
    First,
    Last,
}

/// An `ORDER BY` term: `Hero::age.desc()`, `Hero::age.asc().nulls_last()`, or an aggregate's
/// `func::count_all().desc()`. `T` is the table it sorts by (`()` for an aggregate).
#[derive(Debug, Clone, PartialEq)]
pub struct Order<T> {
    pub(crate) term: Term,
    pub(crate) descending: bool,
    pub(crate) nulls: Nulls,
    _marker: PhantomData<fn() -> T>,
}

impl<T> Order<T> {
    pub(crate) fn new(term: Term, descending: bool) -> Self {
        Order {
            term,
            descending,
            nulls: Nulls::Default,
            _marker: PhantomData,
        }
    }

    /// `NULL`s sort before every value: `... NULLS FIRST`.
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
    /// // ORDER BY hero.age DESC NULLS FIRST, hero.name
    /// let q = select::<Hero>().order_by((Hero::age.desc().nulls_first(), Hero::name));
    /// assert_eq!(names(q)?, ["Deadpond", "Spider-Boy", "Rusty-Man", "Tarantula"]);
    /// let q = select::<Hero>().order_by((Hero::age.asc().nulls_last(), Hero::name));
    /// assert_eq!(names(q)?, ["Tarantula", "Rusty-Man", "Deadpond", "Spider-Boy"]);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn nulls_first(mut self) -> Self {
        self.nulls = Nulls::First;
        self
    }

    /// `NULL`s sort after every value: `... NULLS LAST`. Example:
    /// [`nulls_first`](Self::nulls_first).
    #[must_use]
    pub fn nulls_last(mut self) -> Self {
        self.nulls = Nulls::Last;
        self
    }
}

/// Something a query can be sorted by: an [`Order`], a column or aggregate (ascending), or a
/// tuple of 2 to 4 of them (several keys, in order).
pub trait SortKey {
    /// Appends the sort terms.
    #[doc(hidden)]
    fn push_sort_keys(self, out: &mut Vec<SortTerm>);
}

/// The terms of a sort key (what a relationship's `order_by` stores).
#[doc(hidden)]
pub fn sort_terms(key: impl SortKey) -> Vec<SortTerm> {
    let mut out = Vec::new();
    key.push_sort_keys(&mut out);
    out
}

/// A sort term with its table erased (what [`SortKey`] produces).
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct SortTerm {
    pub(crate) term: Term,
    pub(crate) descending: bool,
    pub(crate) nulls: Nulls,
}

impl<T> SortKey for Order<T> {
    fn push_sort_keys(self, out: &mut Vec<SortTerm>) {
        out.push(SortTerm {
            term: self.term,
            descending: self.descending,
            nulls: self.nulls,
        });
    }
}

macro_rules! sort_tuple {
    ($($n:tt $t:ident),+) => {
        impl<$($t: SortKey),+> SortKey for ($($t,)+) {
            fn push_sort_keys(self, out: &mut Vec<SortTerm>) {
                $(self.$n.push_sort_keys(out);)+
            }
        }
    };
}
sort_tuple!(0 A, 1 B);
sort_tuple!(0 A, 1 B, 2 C);
sort_tuple!(0 A, 1 B, 2 C, 3 D);
