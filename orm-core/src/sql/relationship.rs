//! How a relationship becomes SQL conditions: the columns `meta.resolved(rel)` pairs up,
//! written `<referenced column> = <foreign-key column>` the way SQLAlchemy writes a
//! relationship's primary join, for `JOIN ... ON` and for the `EXISTS` subqueries of `any` /
//! `has`. Knows nothing of the query around it.

use super::quote_ident;
use crate::error::{Error, Result};
use crate::query::RelRef;
use crate::schema::{Resolved, TableMeta};

/// The relationship `rel` and its resolved columns, or the error saying why it has none.
pub(super) fn resolved(rel: &RelRef) -> Result<(&'static TableMeta, &'static Resolved)> {
    let def = rel
        .owner
        .relations
        .get(rel.rel)
        .ok_or_else(|| Error::Query {
            message: format!(
                "{} has no relationship number {}",
                rel.owner.rust_name, rel.rel
            ),
        })?;
    Ok(((def.target)(), rel.owner.resolved(rel.rel)?))
}

/// A table a relationship adds to a query, with the conditions that link it.
pub(super) struct Step {
    pub table: &'static TableMeta,
    /// Whether this is the link table of a many-to-many relationship.
    pub link: bool,
    pub conds: Vec<String>,
}

/// The conditions linking `owner` to `target` (and the link table, named `link_alias` when
/// given), each written as `<referenced column> = <foreign-key column>`, like SQLAlchemy's
/// primary join; the tables the relationship adds, in join order (the link table first).
pub(super) fn link_conditions(rel: &RelRef, link_alias: Option<&str>) -> Result<Vec<Step>> {
    let owner = rel.owner;
    let (target, how) = resolved(rel)?;
    let name = |t: &'static TableMeta| t.sql().table.clone();
    let pairs = |a: (String, &'static TableMeta),
                 ac: &[usize],
                 b: (String, &'static TableMeta),
                 bc: &[usize]| {
        ac.iter()
            .zip(bc)
            .map(|(&x, &y)| {
                format!(
                    "{}.{} = {}.{}",
                    a.0,
                    quote_ident(a.1.columns[x].name),
                    b.0,
                    quote_ident(b.1.columns[y].name)
                )
            })
            .collect::<Vec<_>>()
    };
    let step = |table, link, conds| Step { table, link, conds };
    Ok(match how {
        Resolved::ManyToOne { local, remote } => vec![step(
            target,
            false,
            pairs((name(target), target), remote, (name(owner), owner), local),
        )],
        Resolved::OneToMany { remote_fk, local } => vec![step(
            target,
            false,
            pairs(
                (name(owner), owner),
                local,
                (name(target), target),
                remote_fk,
            ),
        )],
        Resolved::ManyToMany {
            link,
            to_owner,
            to_target,
        } => {
            let link: &'static TableMeta = link;
            let (lo, oo): (Vec<usize>, Vec<usize>) = to_owner.iter().copied().unzip();
            let (lt, tt): (Vec<usize>, Vec<usize>) = to_target.iter().copied().unzip();
            let l = link_alias.map_or_else(|| name(link), str::to_owned);
            vec![
                step(
                    link,
                    true,
                    pairs((name(owner), owner), &oo, (l.clone(), link), &lo),
                ),
                step(
                    target,
                    false,
                    pairs((name(target), target), &tt, (l, link), &lt),
                ),
            ]
        }
    })
}
