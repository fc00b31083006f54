//! The statements of select-in loads: a relationship's rows for many parents at once,
//! `... WHERE <key> IN (?, ?, ...)` (row values, `(a, b) IN (VALUES (?, ?), ...)`, for a
//! composite key).

use super::quote_ident;
use crate::error::{Error, Result};
use crate::query::RelRef;
use crate::schema::{Resolved, TableMeta};

/// `hero.team_id IN (?, ?)` or `(link.a, link.b) IN (VALUES (?, ?), (?, ?))` for `rows`
/// keys of the given (already qualified) columns.
fn in_list(columns: &[String], rows: usize) -> String {
    if let [one] = columns {
        return format!("{one} IN ({})", vec!["?"; rows].join(", "));
    }
    let row = format!("({})", vec!["?"; columns.len()].join(", "));
    format!(
        "({}) IN (VALUES {})",
        columns.join(", "),
        vec![row; rows].join(", ")
    )
}

fn qualified(table: &'static TableMeta, cols: &[usize]) -> Vec<String> {
    cols.iter()
        .map(|&c| {
            format!(
                "{}.{}",
                table.sql().table,
                quote_ident(table.columns[c].name)
            )
        })
        .collect()
}

/// `SELECT <target columns> FROM <target> WHERE <target>.<cols> IN (...)`: the rows of
/// `target` whose `cols` hold one of `rows` keys (children by foreign key, or parents by
/// primary key).
pub(crate) fn select_in(target: &'static TableMeta, cols: &[usize], rows: usize) -> String {
    let sql = target.sql();
    format!(
        "SELECT {} FROM {} WHERE {}",
        sql.columns,
        sql.table,
        in_list(&qualified(target, cols), rows)
    )
}

/// `SELECT link.c1, link.c2 FROM link WHERE (link.c1, link.c2) IN (VALUES (?, ?), ...)` for
/// `rows` rows: which of these link rows exist.
pub(crate) fn select_link_rows(link: &'static TableMeta, cols: &[usize], rows: usize) -> String {
    let names = qualified(link, cols);
    format!(
        "SELECT {} FROM {} WHERE {}",
        names.join(", "),
        link.sql().table,
        in_list(&names, rows)
    )
}

/// `SELECT <target columns>, link.<owner cols> FROM <target> JOIN <link> ON <target>.id =
/// <link>.<target fk> WHERE <link>.<owner fk> IN (...)`: the targets of a many-to-many
/// relationship for `rows` owners, each row followed by the owner it belongs to.
pub(crate) fn select_in_link(
    target: &'static TableMeta,
    link: &'static TableMeta,
    to_owner: &[(usize, usize)],
    to_target: &[(usize, usize)],
    rows: usize,
) -> String {
    let t = target.sql();
    let l = link.sql();
    let owner_cols: Vec<usize> = to_owner.iter().map(|p| p.0).collect();
    let owner_cols = qualified(link, &owner_cols);
    let on: Vec<String> = to_target
        .iter()
        .map(|&(lc, tc)| {
            format!(
                "{}.{} = {}.{}",
                t.table,
                quote_ident(target.columns[tc].name),
                l.table,
                quote_ident(link.columns[lc].name)
            )
        })
        .collect();
    format!(
        "SELECT {}, {} FROM {} JOIN {} ON {} WHERE {}",
        t.columns,
        owner_cols.join(", "),
        t.table,
        l.table,
        on.join(" AND "),
        in_list(&owner_cols, rows)
    )
}

/// The alias of the `n`-th table a query joins to load it (`team_1`).
fn alias(rel: &RelRef, n: usize) -> String {
    let target = (rel.owner.relations[rel.rel].target)();
    quote_ident(&format!("{}_{n}", target.name))
}

/// `team_1.id, team_1.name, ...`: the columns of the target of `rel`, loaded with the query.
pub(crate) fn joined_columns(rel: &RelRef, n: usize) -> String {
    let target = (rel.owner.relations[rel.rel].target)();
    let alias = alias(rel, n);
    target
        .columns
        .iter()
        .map(|c| format!("{alias}.{}", quote_ident(c.name)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// ` LEFT OUTER JOIN team AS team_1 ON team_1.id = hero.team_id` for many-to-one `rel`.
pub(crate) fn joined_clause(rel: &RelRef, n: usize) -> Result<String> {
    let owner = rel.owner;
    let def = &owner.relations[rel.rel];
    let target = (def.target)();
    let Resolved::ManyToOne { local, remote } = owner.resolved(rel.rel)? else {
        return Err(Error::Query {
            message: format!(
                "{}.{} is not a many-to-one relationship; only those load in the same statement",
                owner.rust_name, def.field
            ),
        });
    };
    let alias = alias(rel, n);
    let on: Vec<String> = local
        .iter()
        .zip(remote)
        .map(|(&l, &r)| {
            format!(
                "{alias}.{} = {}.{}",
                quote_ident(target.columns[r].name),
                owner.sql().table,
                quote_ident(owner.columns[l].name)
            )
        })
        .collect();
    Ok(format!(
        " LEFT OUTER JOIN {} AS {alias} ON {}",
        target.sql().table,
        on.join(" AND ")
    ))
}

/// ` ORDER BY ...` of relationship `rel` of `owner` (its declared `order_by`), or nothing.
/// The terms may name the target table, and the link table of a many-to-many.
pub(crate) fn relation_order(owner: &'static TableMeta, rel: usize) -> Result<String> {
    let def = &owner.relations[rel];
    let Some(order) = def.order_by else {
        return Ok(String::new());
    };
    let mut scope = vec![(def.target)()];
    scope.extend(def.link.map(|l| l()));
    super::select::order_by(&order(), &scope)
}
