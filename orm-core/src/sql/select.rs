//! Rendering of `select` queries: the `FROM` clause with its joins along relationships,
//! then `WHERE`, `GROUP BY`, `HAVING`, `ORDER BY` and the limits, for whole rows, values,
//! `count` and `exists`. Conditions are rendered by `condition`; the `ON` clauses come from
//! `relationship`.

use std::fmt::Write as _;

use super::condition::{in_scope, not_in_query, render, term, Scope};
use super::quote_ident;
use super::relationship::{link_conditions, resolved};
use crate::error::{Error, Result};
use crate::query::{Join, Nulls, Parts, RelRef, SelectItem, SortTerm};
use crate::schema::{Resolved, TableMeta};
use crate::value::Value;

/// What a query selects.
pub(crate) enum Head<'a> {
    /// Every column of the base table, in order (rows become objects).
    Entity,
    /// As `Entity`, followed by the columns of the target of each many-to-one relationship
    /// of the base table given here, loaded in the same statement (`joined`) through a `LEFT
    /// OUTER JOIN` under an alias of its own (`team_1`, ...).
    EntityJoined(&'a [RelRef]),
    /// The given items (a column query).
    Items(&'a [SelectItem]),
}

/// ` FROM hero JOIN team ON ...`; returns the tables reached. A many-to-many join goes
/// through its link table under an anonymous alias, as SQLAlchemy writes it (`JOIN
/// heroteamlink AS heroteamlink_1 ON hero.id = heroteamlink_1.hero_id JOIN team ON team.id =
/// heroteamlink_1.team_id`): the link table is a means, not a table the query reaches.
fn from_clause(parts: &Parts, out: &mut String) -> Result<Scope> {
    let mut scope = vec![parts.base];
    let mut aliases = 0;
    let _ = write!(out, " FROM {}", parts.base.sql().table);
    for Join { rel, outer } in &parts.joins {
        if !in_scope(&scope, rel.owner) {
            return Err(not_in_query(rel.owner, &scope));
        }
        let link_alias = match rel.owner.relations.get(rel.rel).and_then(|r| r.link) {
            Some(link) => {
                aliases += 1;
                Some(quote_ident(&format!("{}_{aliases}", link().name)))
            }
            None => None,
        };
        let join = if *outer { "LEFT OUTER JOIN" } else { "JOIN" };
        for step in link_conditions(rel, link_alias.as_deref())? {
            let on = step.conds.join(" AND ");
            let table = &step.table.sql().table;
            if step.link {
                let alias = link_alias.as_deref().unwrap_or(table);
                let _ = write!(out, " {join} {table} AS {alias} ON {on}");
                continue;
            }
            if in_scope(&scope, step.table) {
                return Err(Error::Query {
                    message: format!(
                        "table `{}` is joined twice; joining a table under another name (an alias) is not supported yet",
                        step.table.name
                    ),
                });
            }
            scope.push(step.table);
            let _ = write!(out, " {join} {table} ON {on}");
        }
    }
    Ok(scope)
}

/// `WHERE`, `GROUP BY`, `HAVING`, then (with `ordered`) `ORDER BY` and the limits.
fn tail(
    parts: &Parts,
    scope: &[&'static TableMeta],
    out: &mut String,
    params: &mut Vec<Value>,
    ordered: bool,
) -> Result<()> {
    if let Some(node) = &parts.filter {
        out.push_str(" WHERE ");
        render(node, scope, out, params, false)?;
    }
    if !parts.group_by.is_empty() {
        let terms = parts
            .group_by
            .iter()
            .map(|t| term(t, scope))
            .collect::<Result<Vec<_>>>()?;
        let _ = write!(out, " GROUP BY {}", terms.join(", "));
    }
    if let Some(node) = &parts.having {
        out.push_str(" HAVING ");
        render(node, scope, out, params, false)?;
    }
    if !ordered {
        return Ok(());
    }
    out.push_str(&order_by(&parts.order, scope)?);
    match (parts.limit, parts.offset) {
        (Some(l), Some(o)) => {
            let _ = write!(out, " LIMIT {l} OFFSET {o}");
        }
        (Some(l), None) => {
            let _ = write!(out, " LIMIT {l}");
        }
        (None, Some(o)) => {
            let _ = write!(out, " LIMIT -1 OFFSET {o}");
        }
        (None, None) => {}
    }
    Ok(())
}

/// ` ORDER BY hero.age DESC NULLS LAST, ...`, or nothing for no terms.
pub(crate) fn order_by(terms: &[SortTerm], scope: &[&'static TableMeta]) -> Result<String> {
    let mut out = String::new();
    for (n, o) in terms.iter().enumerate() {
        out.push_str(if n == 0 { " ORDER BY " } else { ", " });
        out.push_str(&term(&o.term, scope)?);
        if o.descending {
            out.push_str(" DESC");
        }
        match o.nulls {
            Nulls::Default => {}
            Nulls::First => out.push_str(" NULLS FIRST"),
            Nulls::Last => out.push_str(" NULLS LAST"),
        }
    }
    Ok(out)
}

/// `SELECT [DISTINCT] <head> FROM ... [WHERE ...] ... [LIMIT n]`. Limit and offset are
/// integers written inline (SQLite re-prepares a statement whose LIMIT is a bound value on
/// every run).
pub(crate) fn select(parts: &Parts, head: Head<'_>, params: &mut Vec<Value>) -> Result<String> {
    let mut from = String::new();
    let scope = from_clause(parts, &mut from)?;
    let mut out = String::from("SELECT ");
    if parts.distinct {
        out.push_str("DISTINCT ");
    }
    match &head {
        Head::Entity => out.push_str(&parts.base.sql().columns),
        Head::EntityJoined(rels) => {
            out.push_str(&parts.base.sql().columns);
            for (n, rel) in rels.iter().enumerate() {
                out.push_str(", ");
                out.push_str(&super::loader::joined_columns(rel, n + 1));
            }
        }
        Head::Items(items) => {
            let terms = items
                .iter()
                .map(|i| term(&i.term, &scope))
                .collect::<Result<Vec<_>>>()?;
            out.push_str(&terms.join(", "));
        }
    }
    out.push_str(&from);
    if let Head::EntityJoined(rels) = head {
        for (n, rel) in rels.iter().enumerate() {
            out.push_str(&super::loader::joined_clause(rel, n + 1)?);
        }
    }
    tail(parts, &scope, &mut out, params, true)?;
    Ok(out)
}

/// Whether a join can repeat a row of the base table (a one-to-many or many-to-many join).
fn fans_out(parts: &Parts) -> Result<bool> {
    for j in &parts.joins {
        if !matches!(resolved(&j.rel)?.1, Resolved::ManyToOne { .. }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `SELECT count(*) FROM hero WHERE ...`: how many objects the query returns. A subquery
/// (`SELECT count(*) FROM (SELECT ...) AS anon_1`) only when `DISTINCT`, a limit, an offset
/// or a join that repeats rows make it necessary; a repeating join counts distinct rows, the
/// way the session returns each object once.
pub(crate) fn count(parts: &Parts, params: &mut Vec<Value>) -> Result<String> {
    let fan = fans_out(parts)?;
    if parts.distinct || parts.limit.is_some() || parts.offset.is_some() || fan {
        let mut inner = parts.clone();
        inner.distinct |= fan;
        if inner.limit.is_none() && inner.offset.is_none() {
            inner.order.clear();
        }
        let sub = select(&inner, Head::Entity, params)?;
        return Ok(format!("SELECT count(*) FROM ({sub}) AS anon_1"));
    }
    let mut out = String::from("SELECT count(*)");
    let scope = from_clause(parts, &mut out)?;
    tail(parts, &scope, &mut out, params, false)?;
    Ok(out)
}

/// `SELECT EXISTS (SELECT 1 FROM hero WHERE ...)`.
pub(crate) fn exists_query(parts: &Parts, params: &mut Vec<Value>) -> Result<String> {
    let mut out = String::from("SELECT EXISTS (SELECT 1");
    let scope = from_clause(parts, &mut out)?;
    let limited = parts.limit.is_some() || parts.offset.is_some();
    tail(parts, &scope, &mut out, params, limited)?;
    out.push(')');
    Ok(out)
}
