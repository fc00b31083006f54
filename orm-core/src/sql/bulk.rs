//! Rendering of bulk statements (`UPDATE hero SET age=? WHERE ...`, `DELETE FROM hero WHERE
//! ...`) and of the wrapper that maps a hand-written `SELECT` onto a table's columns by name.
//! A bulk statement reaches only its own table: its conditions are rendered with that one
//! table in scope (an `EXISTS` of `any` / `has` correlates with it), and it ends with
//! `RETURNING` the primary-key columns, so the session learns which rows it touched.

use std::fmt::Write as _;

use super::condition::render;
use super::quote_ident;
use crate::error::{Error, Result};
use crate::query::{BulkKind, BulkStatement};
use crate::value::Value;

/// `UPDATE hero SET age=?, name=? WHERE hero.name = ? RETURNING id` or `DELETE FROM hero
/// WHERE hero.age > ? RETURNING id`; the values of `SET`, then of the condition, are pushed
/// to `params`. Fails before any SQL runs on a condition naming another table, an update
/// that sets nothing or sets a primary-key column.
pub(crate) fn bulk(stmt: &BulkStatement, params: &mut Vec<Value>) -> Result<String> {
    let meta = stmt.table;
    let table = &meta.sql().table;
    let mut out = String::new();
    match &stmt.kind {
        BulkKind::Update(sets) => {
            if sets.is_empty() {
                return Err(Error::Query {
                    message: format!(
                        "update of `{}` sets no column; add .set(column, value)",
                        meta.name
                    ),
                });
            }
            let _ = write!(out, "UPDATE {table} SET ");
            for (n, (c, v)) in sets.iter().enumerate() {
                let column = &meta.columns[*c];
                if column.primary_key {
                    return Err(Error::Query {
                        message: format!(
                            "a bulk update cannot set primary-key column `{}.{}`; change the object's key and flush instead",
                            meta.name, column.name
                        ),
                    });
                }
                if n > 0 {
                    out.push_str(", ");
                }
                let _ = write!(out, "{}=?", quote_ident(column.name));
                params.push(v.clone());
            }
        }
        BulkKind::Delete => {
            let _ = write!(out, "DELETE FROM {table}");
        }
    }
    if let Some(node) = &stmt.filter {
        out.push_str(" WHERE ");
        render(node, &[meta], &mut out, params, false)?;
    }
    if !meta.primary_key.is_empty() {
        let keys: Vec<String> = meta
            .primary_key
            .iter()
            .map(|&i| quote_ident(meta.columns[i].name))
            .collect();
        let _ = write!(out, " RETURNING {}", keys.join(", "));
    }
    Ok(out)
}

/// `SELECT id, name, ... FROM (<sql>) AS anon_1`: the columns of `columns`, by name, from a
/// hand-written query (SQLAlchemy's `text(...).columns(...)` as a subquery). A trailing `;`
/// is dropped; a query ending in a `--` comment gets the closing parenthesis on a line of
/// its own.
pub(crate) fn wrap_select(columns: &[&str], sql: &str) -> String {
    let inner = sql.trim_end().trim_end_matches(';').trim_end();
    let names: Vec<String> = columns.iter().map(|c| quote_ident(c)).collect();
    let close = if inner.lines().last().is_some_and(|l| l.contains("--")) {
        "\n)"
    } else {
        ")"
    };
    format!("SELECT {} FROM ({inner}{close} AS anon_1", names.join(", "))
}

#[cfg(test)]
mod tests {
    use super::wrap_select;

    #[test]
    fn a_wrapped_select_keeps_a_trailing_comment_out_of_the_way() {
        assert_eq!(
            wrap_select(&["id", "order"], "SELECT * FROM t;  "),
            "SELECT id, \"order\" FROM (SELECT * FROM t) AS anon_1"
        );
        assert_eq!(
            wrap_select(&["id"], "SELECT * FROM t -- all"),
            "SELECT id FROM (SELECT * FROM t -- all\n) AS anon_1"
        );
    }
}
