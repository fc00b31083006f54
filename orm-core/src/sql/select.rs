//! Rendering of `select` queries: the `FROM` clause with its joins along relationships, the
//! condition tree (`WHERE`, `HAVING`, `EXISTS` subqueries of `any` / `has`), grouping,
//! ordering and limits, for whole rows, values, `count` and `exists`. Every table a query
//! names is checked against the tables it reaches before any SQL runs; values are pushed to
//! `params` in the order their `?` appear.

use std::fmt::Write as _;

use super::quote_ident;
use crate::error::{Error, Result};
use crate::query::{agg_name, Cmp, ColRef, Join, Node, Nulls, Parts, RelRef, SelectItem, Term};
use crate::schema::{Resolved, TableMeta};
use crate::value::Value;

/// What a query selects.
pub(crate) enum Head<'a> {
    /// Every column of the base table, in order (rows become objects).
    Entity,
    /// The given items (a column query).
    Items(&'a [SelectItem]),
}

/// The tables a query (or subquery) reaches: conditions may only name these.
type Scope = Vec<&'static TableMeta>;

fn in_scope(scope: &[&'static TableMeta], table: &'static TableMeta) -> bool {
    scope.iter().any(|t| std::ptr::eq(*t, table))
}

fn not_in_query(table: &'static TableMeta, scope: &[&'static TableMeta]) -> Error {
    Error::TableNotInQuery {
        table: table.name,
        reached: scope.iter().map(|t| t.name).collect::<Vec<_>>().join(", "),
    }
}

fn column(c: &ColRef, scope: &[&'static TableMeta]) -> Result<String> {
    if !in_scope(scope, c.table) {
        return Err(not_in_query(c.table, scope));
    }
    Ok(qualified(c.table, c.index))
}

fn qualified(table: &'static TableMeta, index: usize) -> String {
    format!(
        "{}.{}",
        table.sql().table,
        quote_ident(table.columns[index].name)
    )
}

fn term(t: &Term, scope: &[&'static TableMeta]) -> Result<String> {
    Ok(match t {
        Term::Column(c) => column(c, scope)?,
        Term::CountAll => "count(*)".to_owned(),
        Term::Aggregate(f, c) => format!("{}({})", agg_name(*f), column(c, scope)?),
    })
}

/// The relationship `rel` and its resolved columns, or the error saying why it has none.
fn resolved(rel: &RelRef) -> Result<(&'static TableMeta, &'static Resolved)> {
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
struct Step {
    table: &'static TableMeta,
    /// Whether this is the link table of a many-to-many relationship.
    link: bool,
    conds: Vec<String>,
}

/// The conditions linking `owner` to `target` (and the link table, named `link_alias` when
/// given), each written as `<referenced column> = <foreign-key column>`, like SQLAlchemy's
/// primary join; the tables the relationship adds, in join order (the link table first).
fn link_conditions(rel: &RelRef, link_alias: Option<&str>) -> Result<Vec<Step>> {
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

/// Renders a condition; `nested`: wrap `AND` / `OR` lists in parentheses.
fn render(
    node: &Node,
    scope: &[&'static TableMeta],
    out: &mut String,
    params: &mut Vec<Value>,
    nested: bool,
) -> Result<()> {
    match node {
        Node::Cmp { term: t, op, value } => {
            let op = match op {
                Cmp::Eq => "=",
                Cmp::Ne => "!=",
                Cmp::Lt => "<",
                Cmp::Le => "<=",
                Cmp::Gt => ">",
                Cmp::Ge => ">=",
            };
            let _ = write!(out, "{} {op} ?", term(t, scope)?);
            params.push(value.clone());
        }
        Node::Null { term: t, negated } => {
            let not = if *negated { "NOT " } else { "" };
            let _ = write!(out, "{} IS {not}NULL", term(t, scope)?);
        }
        Node::In {
            term: t,
            values,
            negated,
        } => {
            let t = term(t, scope)?;
            if values.is_empty() {
                // An empty list: no row is IN it, every row is NOT IN it.
                out.push_str(if *negated { "1 = 1" } else { "0 = 1" });
            } else {
                let not = if *negated { "NOT " } else { "" };
                let marks = vec!["?"; values.len()].join(", ");
                let _ = write!(out, "{t} {not}IN ({marks})");
                params.extend(values.iter().cloned());
            }
        }
        Node::Like {
            term: t,
            pattern,
            escaped,
        } => {
            let _ = write!(out, "{} LIKE ?", term(t, scope)?);
            if *escaped {
                let _ = write!(out, " ESCAPE '{}'", crate::query::LIKE_ESCAPE);
            }
            params.push(pattern.clone());
        }
        Node::Between { term: t, low, high } => {
            let _ = write!(out, "{} BETWEEN ? AND ?", term(t, scope)?);
            params.push(low.clone());
            params.push(high.clone());
        }
        Node::Not(inner) => {
            out.push_str("NOT (");
            render(inner, scope, out, params, false)?;
            out.push(')');
        }
        Node::And(items) | Node::Or(items) => {
            let joiner = if matches!(node, Node::And(_)) {
                " AND "
            } else {
                " OR "
            };
            if nested {
                out.push('(');
            }
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push_str(joiner);
                }
                render(item, scope, out, params, true)?;
            }
            if nested {
                out.push(')');
            }
        }
        Node::Exists { rel, inner } => exists(rel, inner.as_deref(), scope, out, params)?,
        Node::RelatedTo { rel, key } => related_to(rel, key, scope, out, params, nested)?,
        Node::Invalid(message) => {
            return Err(Error::Query {
                message: message.clone(),
            })
        }
    }
    Ok(())
}

/// `EXISTS (SELECT 1 FROM <target>[, <link>] WHERE <link conditions> AND <inner>)`,
/// correlated with the relationship's owner, which the enclosing query must reach.
fn exists(
    rel: &RelRef,
    inner: Option<&Node>,
    scope: &[&'static TableMeta],
    out: &mut String,
    params: &mut Vec<Value>,
) -> Result<()> {
    if !in_scope(scope, rel.owner) {
        return Err(not_in_query(rel.owner, scope));
    }
    let mut inner_scope = scope.to_vec();
    let mut tables = Vec::new();
    let mut conds = Vec::new();
    for step in link_conditions(rel, None)? {
        inner_scope.push(step.table);
        // The target, then the link table: SQLAlchemy's `select_from(target, secondary)`.
        tables.insert(0, step.table.sql().table.as_str());
        conds.extend(step.conds);
    }
    let _ = write!(
        out,
        "EXISTS (SELECT 1 FROM {} WHERE {}",
        tables.join(", "),
        conds.join(" AND ")
    );
    match inner {
        Some(Node::And(items)) => {
            for item in items {
                out.push_str(" AND ");
                render(item, &inner_scope, out, params, true)?;
            }
        }
        Some(node) => {
            out.push_str(" AND ");
            render(node, &inner_scope, out, params, true)?;
        }
        None => {}
    }
    out.push(')');
    Ok(())
}

/// `hero.team_id = ?`: a many-to-one relationship's foreign key equals a target's key.
fn related_to(
    rel: &RelRef,
    key: &[Value],
    scope: &[&'static TableMeta],
    out: &mut String,
    params: &mut Vec<Value>,
    nested: bool,
) -> Result<()> {
    let (target, how) = resolved(rel)?;
    let Resolved::ManyToOne { local, remote } = how else {
        return Err(Error::Query {
            message: "only a many-to-one relationship can be compared with an object".into(),
        });
    };
    let mut conds = Vec::new();
    for (&l, r) in local.iter().zip(remote) {
        let pos = target.primary_key.iter().position(|p| p == r);
        let Some(value) = pos.and_then(|p| key.get(p)) else {
            return Err(Error::Query {
                message: format!(
                    "foreign key `{}.{}` does not reference the primary key of `{}`; compare the column instead",
                    rel.owner.name, rel.owner.columns[l].name, target.name
                ),
            });
        };
        conds.push(format!(
            "{} = ?",
            column(
                &ColRef {
                    table: rel.owner,
                    index: l
                },
                scope
            )?
        ));
        params.push(value.clone());
    }
    let wrap = nested && conds.len() > 1;
    if wrap {
        out.push('(');
    }
    out.push_str(&conds.join(" AND "));
    if wrap {
        out.push(')');
    }
    Ok(())
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
    if !parts.order.is_empty() {
        out.push_str(" ORDER BY ");
        for (n, o) in parts.order.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
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
    }
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
    match head {
        Head::Entity => out.push_str(&parts.base.sql().columns),
        Head::Items(items) => {
            let terms = items
                .iter()
                .map(|i| term(&i.term, &scope))
                .collect::<Result<Vec<_>>>()?;
            out.push_str(&terms.join(", "));
        }
    }
    out.push_str(&from);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{ColumnDef, ForeignKeyDef, RelationDef, RelationKind};

    const fn col(name: &'static str, fk: Option<ForeignKeyDef>) -> ColumnDef {
        ColumnDef {
            name,
            field: name,
            sql_type: "INTEGER",
            optional: true,
            primary_key: false,
            index: false,
            unique: false,
            foreign_key: fk,
        }
    }

    const fn fk(column: &'static str) -> Option<ForeignKeyDef> {
        Some(ForeignKeyDef {
            table: "shelf",
            column,
        })
    }

    /// `shelf` has the composite key (room, number) and a `code` that is not part of it;
    /// `book` references the key in the other column order, `label` references `code`.
    static SHELF: TableMeta = TableMeta::new(
        "shelf",
        "Shelf",
        &[col("number", None), col("room", None), col("code", None)],
        &[1, 0],
        &[],
    );
    static BOOK: TableMeta = TableMeta::new(
        "book",
        "Book",
        &[
            col("id", None),
            col("shelf_number", fk("number")),
            col("shelf_room", fk("room")),
        ],
        &[0],
        &[RelationDef {
            field: "shelf",
            kind: RelationKind::ManyToOne,
            target_table: "shelf",
            target: shelf,
            back_populates: None,
            link: None,
            delete_orphan: false,
        }],
    );
    static LABEL: TableMeta = TableMeta::new(
        "label",
        "Label",
        &[col("id", None), col("shelf_code", fk("code"))],
        &[0],
        &[RelationDef {
            field: "shelf",
            kind: RelationKind::ManyToOne,
            target_table: "shelf",
            target: shelf,
            back_populates: None,
            link: None,
            delete_orphan: false,
        }],
    );

    fn shelf() -> &'static TableMeta {
        &SHELF
    }

    fn where_clause(base: &'static TableMeta, node: Node) -> (Result<String>, Vec<Value>) {
        let mut parts = Parts::new(base);
        parts.filter = Some(node);
        let mut params = Vec::new();
        let text = select(&parts, Head::Items(&[]), &mut params)
            .map(|t| t.split(" WHERE ").nth(1).unwrap_or_default().to_owned());
        (text, params)
    }

    fn related(base: &'static TableMeta, key: Vec<Value>) -> Node {
        Node::RelatedTo {
            rel: RelRef {
                owner: base,
                rel: 0,
            },
            key,
        }
    }

    #[test]
    fn a_composite_key_binds_each_foreign_key_column() -> Result<()> {
        // The key (room, number) = (7, 3), in primary-key order: each foreign-key column gets
        // its part, and the pair is parenthesized inside a NOT or OR.
        let key = vec![Value::Integer(7), Value::Integer(3)];
        let empty = Node::In {
            term: Term::Column(ColRef {
                table: &BOOK,
                index: 0,
            }),
            values: vec![],
            negated: true,
        };
        let node = Node::Not(Box::new(related(&BOOK, key.clone())))
            .or(related(&BOOK, key))
            .or(empty);
        let (text, params) = where_clause(&BOOK, node);
        assert_eq!(
            text?,
            "NOT (book.shelf_number = ? AND book.shelf_room = ?) OR (book.shelf_number = ? AND book.shelf_room = ?) OR 1 = 1"
        );
        let expected = [3, 7, 3, 7].map(Value::Integer);
        assert_eq!(params, expected);
        Ok(())
    }

    #[test]
    fn a_key_with_missing_parts_is_an_error() {
        let (text, _) = where_clause(&BOOK, related(&BOOK, vec![Value::Integer(7)]));
        assert!(matches!(text, Err(Error::Query { .. })), "{text:?}");
    }

    #[test]
    fn a_foreign_key_to_a_column_outside_the_key_cannot_compare_with_an_object() {
        let (text, _) = where_clause(&LABEL, related(&LABEL, vec![Value::Integer(1)]));
        assert!(
            matches!(&text, Err(Error::Query { message }) if message.contains("label.shelf_code")),
            "{text:?}"
        );
    }

    #[test]
    fn a_relationship_number_that_does_not_exist_is_an_error() {
        let mut parts = Parts::new(&SHELF);
        parts.joins.push(Join {
            rel: RelRef {
                owner: &SHELF,
                rel: 3,
            },
            outer: false,
        });
        let text = select(&parts, Head::Entity, &mut Vec::new());
        assert!(matches!(text, Err(Error::Query { .. })), "{text:?}");
    }
}
