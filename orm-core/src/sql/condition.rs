//! Rendering of conditions (`WHERE`, `HAVING`, and the `EXISTS` subqueries of `any` /
//! `has`) and of the terms they compare, against the tables a query reaches: a column of a
//! table outside that scope is [`Error::TableNotInQuery`] before any SQL runs. Values are
//! pushed to `params` in the order their `?` appear.

use std::fmt::Write as _;

use super::quote_ident;
use super::relationship::{link_conditions, resolved};
use crate::error::{Error, Result};
use crate::query::{agg_name, Cmp, ColRef, Node, RelRef, Term};
use crate::schema::{Resolved, TableMeta};
use crate::value::Value;

/// The tables a query (or subquery) reaches: conditions may only name these.
pub(super) type Scope = Vec<&'static TableMeta>;

pub(super) fn in_scope(scope: &[&'static TableMeta], table: &'static TableMeta) -> bool {
    scope.iter().any(|t| std::ptr::eq(*t, table))
}

pub(super) fn not_in_query(table: &'static TableMeta, scope: &[&'static TableMeta]) -> Error {
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

pub(super) fn term(t: &Term, scope: &[&'static TableMeta]) -> Result<String> {
    Ok(match t {
        Term::Column(c) => column(c, scope)?,
        Term::CountAll => "count(*)".to_owned(),
        Term::Aggregate(f, c) => format!("{}({})", agg_name(*f), column(c, scope)?),
    })
}

/// Renders a condition; `nested`: wrap `AND` / `OR` lists in parentheses.
pub(super) fn render(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{Join, Parts};
    use crate::schema::{ColumnDef, ForeignKeyDef, Lazy, RelationDef, RelationKind};
    use crate::sql::select::{select, Head};
    use crate::table::Factory;

    const fn col(name: &'static str, fk: Option<ForeignKeyDef>) -> ColumnDef {
        ColumnDef {
            name,
            field: name,
            sql_type: "INTEGER",
            postgres_type: "BIGINT",
            optional: true,
            primary_key: false,
            index: false,
            unique: false,
            version: false,
            foreign_key: fk,
        }
    }

    const fn fk(column: &'static str) -> Option<ForeignKeyDef> {
        Some(ForeignKeyDef {
            table: "shelf",
            column,
            on_delete: None,
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
        Factory::NONE,
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
            lazy: Lazy::Select,
            order_by: None,
            post_update: false,
            foreign_key: None,
            local: None,
            remote: None,
            passive_deletes: false,
        }],
        Factory::NONE,
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
            lazy: Lazy::Select,
            order_by: None,
            post_update: false,
            foreign_key: None,
            local: None,
            remote: None,
            passive_deletes: false,
        }],
        Factory::NONE,
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
