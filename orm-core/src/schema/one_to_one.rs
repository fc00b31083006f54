//! One-to-one: which side of a pair of `One<T>` fields holds the foreign key, worked out in
//! `const` from the two tables' columns, and what the other side (the reverse, SQLAlchemy's
//! `uselist=False`) needs of that key: it must be unique. Used by generated code; the runtime
//! reads the outcome as [`RelationKind`] (a reverse `One` is a `OneToMany` that holds at most
//! one member).

use super::{str_eq, ColumnDef, RelationKind};

/// The kind of a `One<T>` field of table `me` (columns `mine`) to table `target` (columns
/// `theirs`): `ManyToOne` when it holds the foreign key (the field `foreign_key` names, or any
/// foreign key of `me` to `target`), `OneToMany` (the reverse side of a one-to-one) when only
/// `target` has a foreign key back to `me`. With neither, `ManyToOne`, which the checks report.
#[doc(hidden)]
pub const fn one_kind(
    mine: &[ColumnDef],
    me: &str,
    theirs: &[ColumnDef],
    target: &str,
    foreign_key: Option<&str>,
) -> RelationKind {
    if let Some(field) = foreign_key {
        let held = match super::find_column(mine, field) {
            Some(c) => super::references_table(c, target),
            None => false,
        };
        let reverse = match super::find_column(theirs, field) {
            Some(c) => super::references_table(c, me),
            None => false,
        };
        return if !held && reverse {
            RelationKind::OneToMany
        } else {
            RelationKind::ManyToOne
        };
    }
    if super::count_foreign_keys(mine, target) == 0 && super::count_foreign_keys(theirs, me) > 0 {
        RelationKind::OneToMany
    } else {
        RelationKind::ManyToOne
    }
}

/// Whether the foreign keys of `theirs` to table `me` (only the field `chosen`, when given)
/// are each unique: declared `unique`, or the whole primary key. Used in `const` checks of
/// the reverse side of a one-to-one.
#[doc(hidden)]
pub const fn reverse_key_unique(theirs: &[ColumnDef], me: &str, chosen: Option<&str>) -> bool {
    let mut pk_columns = 0;
    let mut i = 0;
    while i < theirs.len() {
        if theirs[i].primary_key {
            pk_columns += 1;
        }
        i += 1;
    }
    let mut i = 0;
    while i < theirs.len() {
        let c = &theirs[i];
        let picked = match chosen {
            Some(f) => str_eq(c.field, f),
            None => true,
        };
        if picked
            && super::references_table(c, me)
            && !c.unique
            && !(c.primary_key && pk_columns == 1)
        {
            return false;
        }
        i += 1;
    }
    true
}
