//! The database boundary: everything that differs between the databases `orm` runs on, and
//! nothing else. [`RawConn`] is one open connection (run a statement with bound values,
//! read its rows, the key of an inserted row, transaction control), [`Row`] one row of a
//! result read as [`ValueRef`]s, and [`Dialect`] the SQL that differs (placeholders, DDL
//! types and keys, how a table's existence is asked). The session, identity map, unit of
//! work and relationships above it never know which database they run on.
//!
//! The backends are an enum rather than a trait object: there are few of them, each call
//! dispatches with one `match` the compiler can inline, and SQLite keeps its speed.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::error::Result;
use crate::value::{Value, ValueRef};

mod error;
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod sqlite;

pub use error::{DbError, DbErrorKind};

/// The SQL dialect of a database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite: `?` placeholders, `INTEGER` keys that are the rowid.
    Sqlite,
    /// PostgreSQL: `$1` placeholders, `IDENTITY` keys, `RETURNING` for assigned keys.
    Postgres,
}

impl Dialect {
    /// The statement as this database takes it. The SQL builders write `?` for every bound
    /// value, SQLite's `LIMIT -1 OFFSET n`, and SQLite's `(a, b) IN (VALUES (?, ?), ...)`
    /// for row values; PostgreSQL numbers the placeholders `$1`, `$2`, ... (outside quoted
    /// text and names), writes `OFFSET n` alone and `(a, b) IN ((?, ?), ...)` (a `VALUES`
    /// list of parameters would compare as text there).
    pub(crate) fn render(self, sql: &str) -> Cow<'_, str> {
        match self {
            Dialect::Sqlite => Cow::Borrowed(sql),
            Dialect::Postgres => Cow::Owned(number_placeholders(sql)),
        }
    }

    /// The query that returns a row when table `name` exists, and its parameters (what
    /// SQLAlchemy asks each database).
    pub(crate) fn table_exists(self, name: &str) -> (String, Vec<Value>) {
        match self {
            Dialect::Sqlite => (
                format!("PRAGMA main.table_info({})", crate::sql::quote_ident(name)),
                Vec::new(),
            ),
            Dialect::Postgres => (
                "SELECT pg_catalog.pg_class.relname FROM pg_catalog.pg_class JOIN pg_catalog.pg_namespace ON pg_catalog.pg_namespace.oid = pg_catalog.pg_class.relnamespace WHERE pg_catalog.pg_class.relname = ? AND pg_catalog.pg_namespace.nspname = current_schema() AND pg_catalog.pg_class.relkind IN ('r', 'p')".to_owned(),
                vec![Value::Text(name.to_owned())],
            ),
        }
    }

    /// The query that returns the columns of table `name` as (name, declared type) rows, and
    /// its parameters; no rows when the table does not exist.
    pub(crate) fn table_columns(self, name: &str) -> (String, Vec<Value>) {
        match self {
            Dialect::Sqlite => (
                "SELECT name, type FROM pragma_table_info(?, 'main')".to_owned(),
                vec![Value::Text(name.to_owned())],
            ),
            Dialect::Postgres => (
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position".to_owned(),
                vec![Value::Text(name.to_owned())],
            ),
        }
    }
}

/// `?` → `$n` outside quoted text, quoted names, comments and dollar-quoted strings (`??`
/// is a literal `?`, for PostgreSQL's jsonb operator); `LIMIT -1 OFFSET` → `OFFSET`;
/// `IN (VALUES (` → `IN ((`.
fn number_placeholders(sql: &str) -> String {
    let sql = sql
        .replace(" LIMIT -1 OFFSET ", " OFFSET ")
        .replace(" IN (VALUES (", " IN ((");
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    let mut i = 0;
    // Copies chars[i..end] to the output and moves past them.
    let copy = |out: &mut String, i: &mut usize, end: usize| {
        out.extend(&chars[*i..end.min(chars.len())]);
        *i = end.min(chars.len());
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '?' if next == Some('?') => {
                out.push('?');
                i += 2;
            }
            '?' => {
                n += 1;
                let _ = write!(out, "${n}");
                i += 1;
            }
            '-' if next == Some('-') => {
                let end = chars[i..]
                    .iter()
                    .position(|&c| c == '\n')
                    .map_or(chars.len(), |p| i + p + 1);
                copy(&mut out, &mut i, end);
            }
            '/' if next == Some('*') => {
                let (mut depth, mut k) = (0usize, i);
                while k < chars.len() {
                    if chars[k] == '/' && chars.get(k + 1) == Some(&'*') {
                        depth += 1;
                        k += 2;
                    } else if chars[k] == '*' && chars.get(k + 1) == Some(&'/') {
                        depth -= 1;
                        k += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        k += 1;
                    }
                }
                copy(&mut out, &mut i, k);
            }
            '\'' | '"' => {
                // E'...' strings take backslash escapes; '' and "" are the quote doubled.
                let escapes = c == '\'' && i > 0 && matches!(chars[i - 1], 'E' | 'e');
                let mut k = i + 1;
                while k < chars.len() {
                    if escapes && chars[k] == '\\' {
                        k += 2;
                    } else if chars[k] == c {
                        if chars.get(k + 1) == Some(&c) {
                            k += 2;
                        } else {
                            k += 1;
                            break;
                        }
                    } else {
                        k += 1;
                    }
                }
                copy(&mut out, &mut i, k);
            }
            '$' => {
                // A dollar quote: $$...$$ or $tag$...$tag$ (a `$1` is not one).
                let tag_end = chars[i + 1..]
                    .iter()
                    .position(|&c| !(c.is_alphanumeric() || c == '_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(t)
                        if chars[t] == '$'
                            && !chars.get(i + 1).is_some_and(char::is_ascii_digit) =>
                    {
                        let tag: String = chars[i..=t].iter().collect();
                        let body: String = chars[t + 1..].iter().collect();
                        let end = body.find(&tag).map_or(chars.len(), |p| {
                            t + 1 + body[..p].chars().count() + tag.chars().count()
                        });
                        copy(&mut out, &mut i, end);
                    }
                    _ => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// One open connection to a database.
pub(crate) enum RawConn {
    /// A SQLite connection.
    Sqlite(rusqlite::Connection),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(Box<postgres::PgConn>),
}

impl RawConn {
    /// The connection's dialect.
    pub(crate) fn dialect(&self) -> Dialect {
        match self {
            RawConn::Sqlite(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            RawConn::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Runs a transaction-control statement (`BEGIN`, `SAVEPOINT x`, ...).
    pub(crate) fn control(&mut self, sql: &str) -> Result<(), DbError> {
        match self {
            RawConn::Sqlite(c) => sqlite::execute(c, sql, &[]).map(drop),
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.control(sql),
        }
    }

    /// Runs a statement that returns no rows; the number of rows it changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize, DbError> {
        match self {
            RawConn::Sqlite(c) => sqlite::execute(c, sql, params),
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.execute(sql, params),
        }
    }

    /// Runs an INSERT whose integer key column `key` the database assigns; the key.
    pub(crate) fn insert(
        &mut self,
        sql: &str,
        params: &[Value],
        key: &str,
    ) -> Result<i64, DbError> {
        match self {
            RawConn::Sqlite(c) => {
                let _ = key; // the rowid
                sqlite::execute(c, sql, params)?;
                Ok(c.last_insert_rowid())
            }
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.insert_returning(sql, params, key),
        }
    }

    /// Runs a query and hands each row to `f`.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        match self {
            RawConn::Sqlite(c) => sqlite::query(c, sql, params, f),
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.query(sql, params, f),
        }
    }

    /// The names of the columns a query returns (prepared, not run).
    pub(crate) fn column_names(&mut self, sql: &str) -> Result<Vec<String>, DbError> {
        match self {
            RawConn::Sqlite(c) => sqlite::column_names(c, sql),
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.column_names(sql),
        }
    }

    /// Whether the connection can go back to the pool (a PostgreSQL connection whose server
    /// closed it cannot).
    pub(crate) fn is_usable(&self) -> bool {
        match self {
            RawConn::Sqlite(_) => true,
            #[cfg(feature = "postgres")]
            RawConn::Postgres(c) => c.is_usable(),
        }
    }

    /// Whether the database is outside any transaction, where it can tell (SQLite's
    /// autocommit flag); `None` where it cannot.
    pub(crate) fn is_autocommit(&self) -> Option<bool> {
        match self {
            RawConn::Sqlite(c) => Some(c.is_autocommit()),
            #[cfg(feature = "postgres")]
            RawConn::Postgres(_) => None,
        }
    }
}

/// One row of a result.
pub(crate) enum Row<'a> {
    /// A SQLite row, read in place.
    Sqlite(&'a rusqlite::Row<'a>),
    /// A PostgreSQL row, its values decoded.
    #[cfg(feature = "postgres")]
    Postgres(&'a [Value]),
}

impl Row<'_> {
    /// Column `index`, borrowed.
    pub(crate) fn get_ref(&self, index: usize) -> Result<ValueRef<'_>, DbError> {
        match self {
            Row::Sqlite(r) => sqlite::get_ref(r, index),
            #[cfg(feature = "postgres")]
            Row::Postgres(values) => values
                .get(index)
                .map(Value::as_ref)
                .ok_or_else(|| DbError::other(format!("no column {index} in the row"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_numbers_placeholders_outside_quotes() {
        assert_eq!(
            Dialect::Postgres
                .render("SELECT a FROM t WHERE a = ? AND b = '?' AND \"c?\" IN (?, ?)"),
            "SELECT a FROM t WHERE a = $1 AND b = '?' AND \"c?\" IN ($2, $3)"
        );
        assert_eq!(
            Dialect::Postgres.render("SELECT a FROM t LIMIT -1 OFFSET 3"),
            "SELECT a FROM t OFFSET 3"
        );
        assert_eq!(
            Dialect::Postgres.render("SELECT 1 FROM l WHERE (l.a, l.b) IN (VALUES (?, ?), (?, ?))"),
            "SELECT 1 FROM l WHERE (l.a, l.b) IN (($1, $2), ($3, $4))"
        );
        assert_eq!(
            Dialect::Postgres.render("SELECT 1 -- what? don't\nWHERE a = ? /* ? /* ? */ */ AND b = E'it\\'s ?' AND c = $$?$$ AND d ?? 'k' AND e = $t$?$t$ AND f = ?"),
            "SELECT 1 -- what? don't\nWHERE a = $1 /* ? /* ? */ */ AND b = E'it\\'s ?' AND c = $$?$$ AND d ? 'k' AND e = $t$?$t$ AND f = $2"
        );
        assert_eq!(
            Dialect::Postgres.render("a = 'it''s ?' AND b = ?"),
            "a = 'it''s ?' AND b = $1"
        );
        assert_eq!(Dialect::Sqlite.render("a = ?"), "a = ?");
    }
}
