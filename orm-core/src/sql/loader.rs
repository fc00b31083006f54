//! The statements of select-in loads: a relationship's rows for many parents at once,
//! `... WHERE <key> IN (?, ?, ...)` (row values, `(a, b) IN (VALUES (?, ?), ...)`, for a
//! composite key).

use super::quote_ident;
use crate::schema::TableMeta;

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
        .map(|&c| format!("{}.{}", table.sql().table, quote_ident(table.columns[c].name)))
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
