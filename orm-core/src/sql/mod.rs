//! SQL text: DDL, the per-table statements built once (select by key, insert, delete), the
//! statements the unit of work and the relationship loaders need; the rendering of `select`
//! queries is in `select`, of bulk `UPDATE` / `DELETE` in `bulk`. The one place that knows the dialect (SQLite, written the way
//! SQLAlchemy writes it); values are always bound parameters, never pasted in.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use rustc_hash::FxHashMap;

use crate::backend::Dialect;
use crate::schema::TableMeta;

mod bulk;
mod condition;
mod loader;
mod relationship;
mod select;

pub(crate) use bulk::{bulk, wrap_select};
pub(crate) use loader::{relation_order, select_in, select_in_link, select_link_rows};
pub(crate) use select::{count, exists_query, select, Head};

/// SQLite's keywords (sqlite.org/lang_keywords.html): identifiers spelled like one are quoted.
const RESERVED: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyze",
    "and",
    "as",
    "asc",
    "attach",
    "autoincrement",
    "before",
    "begin",
    "between",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "column",
    "commit",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_date",
    "current_time",
    "current_timestamp",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "from",
    "full",
    "generated",
    "glob",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "left",
    "like",
    "limit",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "partition",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "set",
    "table",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "transaction",
    "trigger",
    "unbounded",
    "union",
    "unique",
    "update",
    "using",
    "vacuum",
    "values",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
    // PostgreSQL's reserved words that SQLite's list lacks: quoted on both, so that one
    // model works on either.
    "analyse",
    "any",
    "array",
    "asymmetric",
    "authorization",
    "binary",
    "both",
    "collation",
    "concurrently",
    "current_catalog",
    "current_role",
    "current_schema",
    "current_user",
    "false",
    "fetch",
    "freeze",
    "grant",
    "ilike",
    "lateral",
    "leading",
    "localtime",
    "localtimestamp",
    "only",
    "overlaps",
    "placing",
    "session_user",
    "similar",
    "some",
    "symmetric",
    "system_user",
    "tablesample",
    "trailing",
    "true",
    "user",
    "variadic",
    "verbose",
];

/// Quotes an identifier when it needs it (a reserved word, upper case or odd characters).
pub fn quote_ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !RESERVED.contains(&name);
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The statements of one table that never change, built on first use.
#[derive(Debug)]
pub(crate) struct TableSql {
    /// `hero`
    pub table: String,
    /// `hero.id, hero.name, ...`
    pub columns: String,
    /// `SELECT <columns> FROM hero WHERE hero.id = ?`
    pub select_by_key: String,
    /// `INSERT INTO hero (<all columns>) VALUES (...)`
    pub insert_all: String,
    /// The insert without the database-assigned key column, when there is one.
    pub insert_auto: Option<String>,
    /// `DELETE FROM hero WHERE hero.id = ?`
    pub delete_by_key: String,
    /// ` WHERE hero.id = ?` (shared by updates)
    pub where_key: String,
    /// Statements built for a set of columns (UPDATEs of changed columns, link-row INSERTs
    /// and DELETEs), by their kind and the bit set of the columns.
    built: Mutex<FxHashMap<(Shape, u64), Arc<str>>>,
}

/// The kinds of statement [`TableSql`] builds per set of columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Shape {
    Update,
    UpdateVersioned,
    InsertColumns,
    DeleteWhere,
}

impl TableSql {
    /// The statement of `shape` for `cols`, built by `build` the first time (columns past the
    /// 64th are not cached).
    fn cached(&self, shape: Shape, cols: &[usize], build: impl FnOnce() -> String) -> Arc<str> {
        let mask = cols
            .iter()
            .try_fold(0u64, |m, &i| (i < 64).then(|| m | (1 << i)));
        let Some(mask) = mask else {
            return build().into();
        };
        let lock = || self.built.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(text) = lock().get(&(shape, mask)) {
            return Arc::clone(text);
        }
        let text: Arc<str> = build().into();
        lock().insert((shape, mask), Arc::clone(&text));
        text
    }
}

impl TableSql {
    pub(crate) fn new(meta: &TableMeta) -> TableSql {
        let table = quote_ident(meta.name);
        let qualified: Vec<String> = meta
            .columns
            .iter()
            .map(|c| format!("{table}.{}", quote_ident(c.name)))
            .collect();
        let columns = qualified.join(", ");
        let where_key = format!(
            " WHERE {}",
            meta.primary_key
                .iter()
                .map(|&i| format!("{} = ?", qualified[i]))
                .collect::<Vec<_>>()
                .join(" AND ")
        );
        let insert = |skip: Option<usize>| {
            let names: Vec<String> = meta
                .columns
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != skip)
                .map(|(_, c)| quote_ident(c.name))
                .collect();
            if names.is_empty() {
                format!("INSERT INTO {table} DEFAULT VALUES")
            } else {
                let marks = vec!["?"; names.len()].join(", ");
                format!(
                    "INSERT INTO {table} ({}) VALUES ({marks})",
                    names.join(", ")
                )
            }
        };
        TableSql {
            select_by_key: format!("SELECT {columns} FROM {table}{where_key}"),
            insert_all: insert(None),
            insert_auto: meta.auto_increment().map(|i| insert(Some(i))),
            delete_by_key: format!("DELETE FROM {table}{where_key}"),
            where_key,
            columns,
            table,
            built: Mutex::new(FxHashMap::default()),
        }
    }
}

/// `CREATE TABLE ...` in SQLAlchemy's form for the dialect: on PostgreSQL the column types
/// are PostgreSQL's and a database-assigned integer key is `GENERATED BY DEFAULT AS
/// IDENTITY` (SQLite's `INTEGER` primary key is the rowid, assigned by itself). Foreign keys
/// to the tables in `later` (not created yet: a cycle, on a database that checks references
/// at once) are left out, for [`add_foreign_keys`] once every table exists.
pub(crate) fn create_table(meta: &TableMeta, dialect: Dialect, later: &[&str]) -> String {
    let identity = match dialect {
        Dialect::Postgres => meta.auto_increment(),
        _ => None,
    };
    let mut parts: Vec<String> = meta
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let ty = match dialect {
                Dialect::Postgres => c.postgres_type,
                _ => c.sql_type,
            };
            let mut s = format!("{} {ty}", quote_ident(c.name));
            if identity == Some(i) {
                s.push_str(" GENERATED BY DEFAULT AS IDENTITY");
            } else if !c.nullable() {
                s.push_str(" NOT NULL");
            }
            s
        })
        .collect();
    if !meta.primary_key.is_empty() {
        let pk: Vec<String> = meta
            .primary_key
            .iter()
            .map(|&i| quote_ident(meta.columns[i].name))
            .collect();
        parts.push(format!("PRIMARY KEY ({})", pk.join(", ")));
    }
    for c in meta.columns {
        if c.unique && !c.index {
            parts.push(format!("UNIQUE ({})", quote_ident(c.name)));
        }
    }
    for c in meta.columns {
        if let Some(fk) = c.foreign_key.filter(|fk| !later.contains(&fk.table)) {
            parts.push(foreign_key_clause(c.name, &fk));
        }
    }
    format!(
        "CREATE TABLE {} ({})",
        quote_ident(meta.name),
        parts.join(", ")
    )
}

/// `ALTER TABLE person ADD FOREIGN KEY(...) REFERENCES ball (id)` for each foreign key of
/// `meta` to a table in `later` (what [`create_table`] left out), as SQLAlchemy adds the keys
/// of a cycle.
pub(crate) fn add_foreign_keys(meta: &TableMeta, later: &[&str]) -> Vec<String> {
    meta.columns
        .iter()
        .filter_map(|c| {
            let fk = c.foreign_key.filter(|fk| later.contains(&fk.table))?;
            Some(format!(
                "ALTER TABLE {} ADD {}",
                quote_ident(meta.name),
                foreign_key_clause(c.name, &fk)
            ))
        })
        .collect()
}

/// `FOREIGN KEY(team_id) REFERENCES team (id) ON DELETE CASCADE`.
fn foreign_key_clause(column: &str, fk: &crate::schema::ForeignKeyDef) -> String {
    let mut part = format!(
        "FOREIGN KEY({}) REFERENCES {} ({})",
        quote_ident(column),
        quote_ident(fk.table),
        quote_ident(fk.column)
    );
    if let Some(action) = fk.on_delete {
        part.push_str(" ON DELETE ");
        part.push_str(action.sql());
    }
    part
}

/// `CREATE INDEX ix_<table>_<column> ON <table> (<column>)` for each indexed column.
pub(crate) fn create_indexes(meta: &TableMeta) -> Vec<String> {
    meta.columns
        .iter()
        .filter(|c| c.index)
        .map(|c| {
            format!(
                "CREATE {}INDEX {} ON {} ({})",
                if c.unique { "UNIQUE " } else { "" },
                quote_ident(&format!("ix_{}_{}", meta.name, c.name)),
                quote_ident(meta.name),
                quote_ident(c.name)
            )
        })
        .collect()
}

/// `DROP TABLE <table>`.
pub(crate) fn drop_table(meta: &TableMeta) -> String {
    format!("DROP TABLE {}", quote_ident(meta.name))
}

/// `UPDATE hero SET age=?, name=? WHERE hero.id = ?` for the given changed columns (in
/// increasing order), built once per table and set of columns.
pub(crate) fn update(meta: &'static TableMeta, changed: &[usize]) -> Arc<str> {
    let sql = meta.sql();
    sql.cached(Shape::Update, changed, || {
        let mut out = format!("UPDATE {} SET ", sql.table);
        for (n, &i) in changed.iter().enumerate() {
            if n > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}=?", quote_ident(meta.columns[i].name));
        }
        out.push_str(&sql.where_key);
        out
    })
}

/// `UPDATE hero SET age=?, version=? WHERE hero.id = ? AND hero.version = ?`: the changed
/// columns and the `version` column `v`, for a row whose version must still be the one read.
pub(crate) fn update_versioned(meta: &'static TableMeta, changed: &[usize], v: usize) -> Arc<str> {
    let sql = meta.sql();
    sql.cached(Shape::UpdateVersioned, changed, || {
        let mut out = format!("UPDATE {} SET ", sql.table);
        for &i in changed {
            let _ = write!(out, "{}=?, ", quote_ident(meta.columns[i].name));
        }
        let version = quote_ident(meta.columns[v].name);
        let _ = write!(
            out,
            "{version}=?{} AND {}.{version} = ?",
            sql.where_key, sql.table
        );
        out
    })
}

/// `DELETE FROM hero WHERE hero.id = ? AND hero.version = ?`.
pub(crate) fn delete_versioned(meta: &'static TableMeta, v: usize) -> String {
    let sql = meta.sql();
    format!(
        "{} AND {}.{} = ?",
        sql.delete_by_key,
        sql.table,
        quote_ident(meta.columns[v].name)
    )
}

/// `DELETE FROM <table> WHERE <table>.<c1> = ? AND ...` for the given columns (in increasing
/// order), built once per table and set of columns.
pub(crate) fn delete_where(meta: &'static TableMeta, cols: &[usize]) -> Arc<str> {
    let sql = meta.sql();
    sql.cached(Shape::DeleteWhere, cols, || {
        format!("DELETE FROM {} WHERE {}", sql.table, equalities(meta, cols))
    })
}

/// `INSERT INTO <table> (<c1>, ...) VALUES (?, ...)` for the given columns (in increasing
/// order), built once per table and set of columns.
pub(crate) fn insert_columns(meta: &'static TableMeta, cols: &[usize]) -> Arc<str> {
    let sql = meta.sql();
    sql.cached(Shape::InsertColumns, cols, || {
        let names: Vec<String> = cols
            .iter()
            .map(|&i| quote_ident(meta.columns[i].name))
            .collect();
        let marks = vec!["?"; cols.len()].join(", ");
        format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            sql.table,
            names.join(", ")
        )
    })
}

fn equalities(meta: &'static TableMeta, cols: &[usize]) -> String {
    let table = &meta.sql().table;
    cols.iter()
        .map(|&i| format!("{table}.{} = ?", quote_ident(meta.columns[i].name)))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// `SELECT <target> FROM <target> WHERE ? = <target>.<fk>`: a one-to-many collection.
pub(crate) fn select_children(target: &'static TableMeta, fk: &[usize]) -> String {
    let sql = target.sql();
    let conds: Vec<String> = fk
        .iter()
        .map(|&i| format!("? = {}.{}", sql.table, quote_ident(target.columns[i].name)))
        .collect();
    format!(
        "SELECT {} FROM {} WHERE {}",
        sql.columns,
        sql.table,
        conds.join(" AND ")
    )
}

/// `SELECT team.* FROM team, link WHERE ? = link.hero_id AND team.id = link.team_id`.
pub(crate) fn select_through_link(
    target: &'static TableMeta,
    link: &'static TableMeta,
    to_owner: &[(usize, usize)],
    to_target: &[(usize, usize)],
) -> String {
    let t = target.sql();
    let l = link.sql();
    let mut conds: Vec<String> = to_owner
        .iter()
        .map(|&(lc, _)| format!("? = {}.{}", l.table, quote_ident(link.columns[lc].name)))
        .collect();
    conds.extend(to_target.iter().map(|&(lc, tc)| {
        format!(
            "{}.{} = {}.{}",
            t.table,
            quote_ident(target.columns[tc].name),
            l.table,
            quote_ident(link.columns[lc].name)
        )
    }));
    format!(
        "SELECT {} FROM {}, {} WHERE {}",
        t.columns,
        t.table,
        l.table,
        conds.join(" AND ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_only_when_needed() {
        assert_eq!(quote_ident("hero"), "hero");
        assert_eq!(quote_ident("order"), "\"order\"");
        assert_eq!(quote_ident("Weird\"Name"), "\"Weird\"\"Name\"");
    }
}
