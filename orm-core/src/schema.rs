//! Table metadata: columns, keys, indexes, foreign keys and relationship declarations, as the
//! derive macro describes them, plus what is worked out from them once at run time (which
//! columns link two tables, the SQL text of the common statements) and the foreign-key order
//! that `create_all` and the unit of work follow. The SQL text itself comes from `sql`.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::query::SortTerm;
use crate::sql::TableSql;
use crate::table::Factory;

mod existing;
mod one_to_one;

pub(crate) use existing::check_existing_reference;
pub use one_to_one::{one_kind, reverse_key_unique};

/// A `foreign_key = "table.column"` declaration.
#[derive(Debug, Clone, Copy)]
pub struct ForeignKeyDef {
    /// The referenced table's name.
    pub table: &'static str,
    /// The referenced column's name.
    pub column: &'static str,
    /// What the database does to this row when the referenced row is deleted
    /// (`ondelete = "CASCADE"`); `None` leaves SQLite's default (refuse the delete while a
    /// row still references it).
    pub on_delete: Option<OnDelete>,
}

/// The `ON DELETE` action of a foreign key: `#[orm(foreign_key = "team.id", ondelete =
/// "CASCADE")]`, SQLAlchemy's `ForeignKey(..., ondelete=...)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// `ON DELETE CASCADE`: the referencing rows are deleted with the row they reference.
    Cascade,
    /// `ON DELETE SET NULL`: the referencing rows' foreign key becomes NULL.
    SetNull,
    /// `ON DELETE RESTRICT`: deleting a row that is still referenced fails.
    Restrict,
}

impl OnDelete {
    /// The action as SQL (`CASCADE`, `SET NULL`, `RESTRICT`).
    pub fn sql(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::SetNull => "SET NULL",
            OnDelete::Restrict => "RESTRICT",
        }
    }
}

/// One column of a table.
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    /// The column name in SQL.
    pub name: &'static str,
    /// The Rust field name.
    pub field: &'static str,
    /// The DDL type (`INTEGER`, `VARCHAR`, ...).
    pub sql_type: &'static str,
    /// The DDL type on PostgreSQL (`BIGINT`, `DOUBLE PRECISION`, ...).
    pub postgres_type: &'static str,
    /// Whether the Rust type is an `Option` (a nullable column unless it is a primary key).
    pub optional: bool,
    /// Part of the primary key.
    pub primary_key: bool,
    /// Has `CREATE INDEX ix_<table>_<column>`.
    pub index: bool,
    /// Values must be unique.
    pub unique: bool,
    /// Counts the row's UPDATEs; checked in their WHERE clause (optimistic concurrency).
    pub version: bool,
    /// The column it references, if any.
    pub foreign_key: Option<ForeignKeyDef>,
}

impl ColumnDef {
    /// Whether the DDL allows `NULL` here (primary-key columns never do).
    pub fn nullable(&self) -> bool {
        self.optional && !self.primary_key
    }
}

/// The kind of a relationship field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// `One<T>`: this table holds the foreign key to `T` (many-to-one, or the holding side
    /// of a one-to-one).
    ManyToOne,
    /// `Many<T>`: `T` holds the foreign key to this table. Also a `One<T>` whose target holds
    /// the foreign key: the reverse side of a one-to-one (SQLAlchemy's `uselist=False`), a
    /// collection of at most one member.
    OneToMany,
    /// `Many<T>` through a link table with foreign keys to both.
    ManyToMany,
}

/// A relationship field as declared.
#[derive(Debug, Clone, Copy)]
pub struct RelationDef {
    /// The Rust field name.
    pub field: &'static str,
    /// Its kind.
    pub kind: RelationKind,
    /// The target table's name.
    pub target_table: &'static str,
    /// The target table's metadata.
    pub target: fn() -> &'static TableMeta,
    /// The field on the target that mirrors this one.
    pub back_populates: Option<&'static str>,
    /// The link table of a many-to-many relationship.
    pub link: Option<fn() -> &'static TableMeta>,
    /// Whether a member removed from this collection is deleted (`delete_orphan`).
    pub delete_orphan: bool,
    /// How the relationship loads when a query gives no option for it.
    pub lazy: Lazy,
    /// The order of a collection's members (`relationship(order_by = Hero::name)`), in lazy
    /// and eager loads alike.
    pub order_by: Option<fn() -> Vec<SortTerm>>,
    /// `post_update`: the foreign key of this many-to-one is written by an UPDATE after both
    /// rows exist (and set to NULL before a delete), so two tables can refer to each other.
    pub post_update: bool,
    /// `foreign_key = "field"`: the foreign-key field this relationship follows when there
    /// are several to the same table (on the owner for a many-to-one, on the target for a
    /// one-to-many), SQLAlchemy's `foreign_keys=`. `None`: the only one, or the one its
    /// `back_populates` partner names.
    pub foreign_key: Option<&'static str>,
    /// `local = "field"`: the link model's field referencing the owner (many-to-many).
    pub local: Option<&'static str>,
    /// `remote = "field"`: the link model's field referencing the target (many-to-many).
    pub remote: Option<&'static str>,
    /// `passive_deletes`: deleting the owner leaves the members to the database's `ON
    /// DELETE` action instead of loading them (loaded members follow in memory).
    pub passive_deletes: bool,
}

/// How a relationship loads by default: `#[orm(relationship(lazy = "selectin"))]`,
/// SQLAlchemy's `relationship(lazy=...)`. A query's loader options
/// ([`selectin`](crate::selectin), [`joined`](crate::joined), [`lazyload`](crate::lazyload))
/// override it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lazy {
    /// On first access, with one `SELECT` (the default).
    Select,
    /// With the objects that own it, by one more `SELECT ... WHERE ... IN (...)` for all of
    /// them.
    SelectIn,
    /// With the objects that own it, in the same statement (`LEFT OUTER JOIN`) for a
    /// many-to-one; a collection loads as with `SelectIn`.
    Joined,
    /// Never lazily: an access that would run a `SELECT` is
    /// [`Error::LazyLoadRaised`](crate::Error::LazyLoadRaised) (load it with an option
    /// instead). A many-to-one whose target is already in the session is still found.
    Raise,
}

/// Everything the runtime knows about one table. The derive macro writes one `static` of
/// this per struct.
#[derive(Debug)]
pub struct TableMeta {
    /// The table name in SQL.
    pub name: &'static str,
    /// The Rust struct name.
    pub rust_name: &'static str,
    /// The columns, in field order.
    pub columns: &'static [ColumnDef],
    /// Indexes into `columns` of the primary-key columns.
    pub primary_key: &'static [usize],
    /// The relationship fields, in field order.
    pub relations: &'static [RelationDef],
    factory: Factory,
    back: OnceLock<Box<[Option<usize>]>>,
    sql: OnceLock<TableSql>,
    resolved: OnceLock<Vec<Result<Resolved, String>>>,
}

/// How a relationship maps onto columns, worked out from the foreign keys.
#[derive(Debug, Clone)]
pub(crate) enum Resolved {
    /// Owner columns `local[i]` reference target columns `remote[i]`.
    ManyToOne {
        local: Vec<usize>,
        remote: Vec<usize>,
    },
    /// Target columns `remote_fk[i]` reference owner columns `local[i]`.
    OneToMany {
        remote_fk: Vec<usize>,
        local: Vec<usize>,
    },
    /// Link columns reference the owner (`to_owner`) and the target (`to_target`), as
    /// (link column, referenced column) pairs.
    ManyToMany {
        link: &'static TableMeta,
        to_owner: Vec<(usize, usize)>,
        to_target: Vec<(usize, usize)>,
    },
}

impl TableMeta {
    /// Describes a table; called by generated code in a `static`.
    pub const fn new(
        name: &'static str,
        rust_name: &'static str,
        columns: &'static [ColumnDef],
        primary_key: &'static [usize],
        relations: &'static [RelationDef],
        factory: Factory,
    ) -> Self {
        TableMeta {
            name,
            rust_name,
            columns,
            primary_key,
            relations,
            factory,
            back: OnceLock::new(),
            sql: OnceLock::new(),
            resolved: OnceLock::new(),
        }
    }

    /// A stable identifier of this table for hashing (the address of its static metadata).
    pub(crate) fn id(&'static self) -> usize {
        self as *const TableMeta as usize
    }

    /// Builds the tracked object of a loaded row of this table.
    pub(crate) fn factory(&self) -> Factory {
        self.factory
    }

    /// The statements built once per table.
    pub(crate) fn sql(&'static self) -> &'static TableSql {
        self.sql.get_or_init(|| TableSql::new(self))
    }

    /// The single integer primary key the database assigns, if the table has one.
    pub(crate) fn auto_increment(&self) -> Option<usize> {
        match self.primary_key {
            [i] if self.columns[*i].sql_type == "INTEGER" && self.columns[*i].optional => Some(*i),
            _ => None,
        }
    }

    /// The `#[orm(version)]` column, if the table has one.
    pub(crate) fn version_column(&self) -> Option<usize> {
        self.columns.iter().position(|c| c.version)
    }

    /// The index of the column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// The tables this one references through foreign keys.
    pub(crate) fn references(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.columns
            .iter()
            .filter_map(|c| c.foreign_key.map(|fk| fk.table))
    }

    /// How relationship `rel` maps onto columns (worked out once).
    pub(crate) fn resolved(&'static self, rel: usize) -> Result<&'static Resolved> {
        let all = self
            .resolved
            .get_or_init(|| self.relations.iter().map(|r| resolve(self, r)).collect());
        let Some(resolved) = all.get(rel) else {
            return Err(Error::Query {
                message: format!("{} has no relationship number {rel}", self.rust_name),
            });
        };
        resolved.as_ref().map_err(|message| Error::Relationship {
            table: self.rust_name,
            field: self.relations[rel].field,
            message: message.clone(),
        })
    }

    /// The tables this one must be written after in a flush: those its foreign keys
    /// reference, except through a `post_update` relationship (written afterwards).
    pub(crate) fn flush_references(&'static self) -> Vec<&'static str> {
        let late: Vec<usize> = self
            .relations
            .iter()
            .enumerate()
            .filter(|(_, r)| r.post_update)
            .filter_map(|(i, _)| match self.resolved(i) {
                Ok(Resolved::ManyToOne { local, .. }) => Some(local.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        self.columns
            .iter()
            .enumerate()
            .filter(|(i, _)| !late.contains(i))
            .filter_map(|(_, c)| c.foreign_key.map(|fk| fk.table))
            .collect()
    }

    /// The index, on the target table, of the field relationship `rel` mirrors
    /// (`back_populates`), worked out once.
    pub(crate) fn back_index(&self, rel: usize) -> Option<usize> {
        let all = self.back.get_or_init(|| {
            self.relations
                .iter()
                .map(|def| {
                    def.back_populates
                        .and_then(|b| (def.target)().relation_index(b))
                })
                .collect()
        });
        all.get(rel).copied().flatten()
    }

    /// The index of the relationship field named `field`.
    pub(crate) fn relation_index(&self, field: &str) -> Option<usize> {
        self.relations.iter().position(|r| r.field == field)
    }
}

/// The foreign keys of `from` to `to`, as (column of `from`, column of `to`) pairs: only the
/// field `chosen` when it is given, else all of them, which must not reference the same
/// column twice (`option` is the relationship option that would say which to follow).
fn fk_pairs(
    from: &TableMeta,
    to: &TableMeta,
    chosen: Option<&str>,
    option: &str,
) -> Result<Vec<(usize, usize)>, String> {
    let mut pairs = Vec::new();
    for (i, c) in from.columns.iter().enumerate() {
        if chosen.is_some_and(|f| f != c.field && f != c.name) {
            continue;
        }
        if let Some(fk) = c.foreign_key {
            if fk.table == to.name {
                let j = to.column_index(fk.column).ok_or_else(|| {
                    format!(
                        "foreign key `{}.{}` names column `{}`, which table `{}` does not have",
                        from.name, c.name, fk.column, to.name
                    )
                })?;
                pairs.push((i, j));
            }
        }
    }
    if let (Some(field), true) = (chosen, pairs.is_empty()) {
        return Err(format!(
            "`{option} = \"{field}\"` names no field of `{}` with a foreign key to table `{}`",
            from.rust_name, to.name
        ));
    }
    if pairs
        .iter()
        .enumerate()
        .any(|(n, p)| pairs[..n].iter().any(|q| q.1 == p.1))
    {
        return Err(format!(
            "table `{}` has several foreign keys to `{}.{}`; say which this relationship follows with `{option} = \"<field>\"`",
            from.name, to.name, to.columns[pairs[0].1].name
        ));
    }
    if pairs.is_empty() {
        return Err(format!(
            "table `{}` has no foreign key to table `{}`; add #[orm(foreign_key = \"{}.id\")] to a field",
            from.name, to.name, to.name
        ));
    }
    Ok(pairs)
}

/// The relationship of the target that `rel` names in `back_populates`.
fn partner(rel: &RelationDef) -> Option<&'static RelationDef> {
    let back = rel.back_populates?;
    (rel.target)().relations.iter().find(|r| r.field == back)
}

fn resolve(owner: &'static TableMeta, rel: &RelationDef) -> Result<Resolved, String> {
    let target = (rel.target)();
    let partner = partner(rel);
    match rel.kind {
        RelationKind::ManyToOne => {
            let chosen = rel.foreign_key.or(partner.and_then(|p| p.foreign_key));
            let pairs = fk_pairs(owner, target, chosen, "foreign_key")?;
            Ok(Resolved::ManyToOne {
                local: pairs.iter().map(|p| p.0).collect(),
                remote: pairs.iter().map(|p| p.1).collect(),
            })
        }
        RelationKind::OneToMany => {
            let chosen = rel.foreign_key.or(partner.and_then(|p| p.foreign_key));
            let pairs = fk_pairs(target, owner, chosen, "foreign_key")?;
            Ok(Resolved::OneToMany {
                remote_fk: pairs.iter().map(|p| p.0).collect(),
                local: pairs.iter().map(|p| p.1).collect(),
            })
        }
        RelationKind::ManyToMany => {
            let link = (rel
                .link
                .ok_or("a many-to-many relationship needs link_model")?)();
            let local = rel.local.or(partner.and_then(|p| p.remote));
            let remote = rel.remote.or(partner.and_then(|p| p.local));
            Ok(Resolved::ManyToMany {
                link,
                to_owner: fk_pairs(link, owner, local, "local")?,
                to_target: fk_pairs(link, target, remote, "remote")?,
            })
        }
    }
}

/// A set of tables, given as a type to [`Engine::create_all`](crate::Engine::create_all):
/// one table (`Hero`), a tuple of up to 12 (`(Team, Hero)`), or tuples of those, nested to
/// any depth for more (`((A, B, C), (D, E), F)`).
pub trait Tables {
    /// The metadata of each table in the set.
    fn metas() -> Vec<&'static TableMeta>;
}

impl<T: crate::Table> Tables for T {
    fn metas() -> Vec<&'static TableMeta> {
        vec![T::meta()]
    }
}

macro_rules! tables_tuple {
    ($($t:ident),+) => {
        impl<$($t: Tables),+> Tables for ($($t,)+) {
            fn metas() -> Vec<&'static TableMeta> {
                let mut all = Vec::new();
                $(all.extend($t::metas());)+
                all
            }
        }
    };
}
tables_tuple!(A);
tables_tuple!(A, B);
tables_tuple!(A, B, C);
tables_tuple!(A, B, C, D);
tables_tuple!(A, B, C, D, E);
tables_tuple!(A, B, C, D, E, F);
tables_tuple!(A, B, C, D, E, F, G);
tables_tuple!(A, B, C, D, E, F, G, H);
tables_tuple!(A, B, C, D, E, F, G, H, I);
tables_tuple!(A, B, C, D, E, F, G, H, I, J);
tables_tuple!(A, B, C, D, E, F, G, H, I, J, K);
tables_tuple!(A, B, C, D, E, F, G, H, I, J, K, L);

/// Checks every table of a set before any is created: each foreign key names a column of
/// its table (when that table is in the set) with the same SQL type, and every relationship
/// resolves to columns. The error names the struct and field at fault.
pub(crate) fn check_tables(tables: &[&'static TableMeta]) -> Result<()> {
    for t in tables {
        for c in t.columns {
            let Some(fk) = c.foreign_key else { continue };
            let Some(target) = tables.iter().find(|x| x.name == fk.table) else {
                continue;
            };
            let Some(j) = target.column_index(fk.column) else {
                return Err(Error::Schema(format!(
                    "`{}.{}`: foreign_key = \"{}.{}\" names a column table `{}` does not have; name one of its columns ({})",
                    t.rust_name,
                    c.field,
                    fk.table,
                    fk.column,
                    fk.table,
                    target.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
                )));
            };
            let referenced = &target.columns[j];
            if referenced.sql_type != c.sql_type {
                return Err(Error::Schema(format!(
                    "`{}.{}` is {} but its foreign key `{}.{}` is {}; give the field the type of `{}.{}`",
                    t.rust_name,
                    c.field,
                    c.sql_type,
                    fk.table,
                    fk.column,
                    referenced.sql_type,
                    target.rust_name,
                    referenced.field
                )));
            }
        }
        for r in 0..t.relations.len() {
            t.resolved(r)?;
        }
    }
    Ok(())
}

/// Orders tables so that every table comes after the tables it references (references to
/// itself and to tables outside the set are ignored; a cycle keeps the given order).
pub(crate) fn dependency_order(tables: &[&'static TableMeta]) -> Vec<&'static TableMeta> {
    order_by_references(tables, |t| t.references().collect())
}

/// [`dependency_order`] for a flush: a `post_update` foreign key does not order tables.
pub(crate) fn flush_order(tables: &[&'static TableMeta]) -> Vec<&'static TableMeta> {
    order_by_references(tables, TableMeta::flush_references)
}

fn order_by_references(
    tables: &[&'static TableMeta],
    references: impl Fn(&'static TableMeta) -> Vec<&'static str>,
) -> Vec<&'static TableMeta> {
    let mut placed: Vec<&'static TableMeta> = Vec::with_capacity(tables.len());
    let mut left: Vec<&'static TableMeta> = tables.to_vec();
    while !left.is_empty() {
        let ready = left.iter().position(|t| {
            references(t).into_iter().all(|r| {
                r == t.name
                    || placed.iter().any(|p| p.name == r)
                    || !left.iter().any(|l| l.name == r)
            })
        });
        let next = left.remove(ready.unwrap_or(0));
        placed.push(next);
    }
    placed
}

// ---- compile-time checks used by generated code ----

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `columns` has a foreign key to table `target`. Used in `const` checks.
#[doc(hidden)]
pub const fn count_foreign_keys(columns: &[ColumnDef], target: &str) -> usize {
    let mut i = 0;
    let mut n = 0;
    while i < columns.len() {
        if let Some(fk) = columns[i].foreign_key {
            if str_eq(fk.table, target) {
                n += 1;
            }
        }
        i += 1;
    }
    n
}

/// Whether two foreign keys of `columns` reference the same column of table `target`, so a
/// relationship between the two tables cannot tell which to follow. (A composite foreign
/// key references different columns.) Used in `const` checks.
#[doc(hidden)]
pub const fn ambiguous_foreign_keys(columns: &[ColumnDef], target: &str) -> bool {
    let mut i = 0;
    while i < columns.len() {
        if let Some(a) = columns[i].foreign_key {
            let mut j = i + 1;
            while j < columns.len() {
                if let Some(b) = columns[j].foreign_key {
                    if str_eq(a.table, target)
                        && str_eq(b.table, target)
                        && str_eq(a.column, b.column)
                    {
                        return true;
                    }
                }
                j += 1;
            }
        }
        i += 1;
    }
    false
}

/// Finds relationship `field` among `relations`. Used in `const` checks.
#[doc(hidden)]
pub const fn find_relation<'a>(
    relations: &'a [RelationDef],
    field: &str,
) -> Option<&'a RelationDef> {
    let mut i = 0;
    while i < relations.len() {
        if str_eq(relations[i].field, field) {
            return Some(&relations[i]);
        }
        i += 1;
    }
    None
}

/// The column of field `field` among `columns`. Used in `const` checks.
#[doc(hidden)]
pub const fn find_column<'a>(columns: &'a [ColumnDef], field: &str) -> Option<&'a ColumnDef> {
    let mut i = 0;
    while i < columns.len() {
        if str_eq(columns[i].field, field) {
            return Some(&columns[i]);
        }
        i += 1;
    }
    None
}

/// Whether `column` has a foreign key to table `table`. Used in `const` checks.
#[doc(hidden)]
pub const fn references_table(column: &ColumnDef, table: &str) -> bool {
    match column.foreign_key {
        Some(fk) => str_eq(fk.table, table),
        None => false,
    }
}

/// How two relationships that name each other in `back_populates` agree, for `const`
/// checks: 0 when they do, 1 when `other` does not name `mine` back, 2 when it names another
/// field, 3 when they pick different foreign keys.
#[doc(hidden)]
pub const fn back_populates_agree(mine: &RelationDef, other: &RelationDef) -> u8 {
    match other.back_populates {
        None => return 1,
        Some(b) => {
            if !str_eq(b, mine.field) {
                return 2;
            }
        }
    }
    let same = match mine.kind {
        RelationKind::ManyToMany => {
            opt_eq(mine.local, other.remote) && opt_eq(mine.remote, other.local)
        }
        _ => opt_eq(mine.foreign_key, other.foreign_key),
    };
    if same {
        0
    } else {
        3
    }
}

/// Whether two optional names agree: equal, or one of them not given.
const fn opt_eq(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => str_eq(a, b),
        _ => true,
    }
}

/// Whether two table names are equal. Used in `const` checks.
#[doc(hidden)]
pub const fn same_table(a: &str, b: &str) -> bool {
    str_eq(a, b)
}

/// Whether two relationship kinds are the same. Used in `const` checks.
#[doc(hidden)]
pub const fn same_kind(a: RelationKind, b: RelationKind) -> bool {
    a as u8 == b as u8
}
