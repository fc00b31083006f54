//! The SQLite backend, on rusqlite with its bundled SQLite: opening a file or a shared
//! in-memory database with the engine's pragmas, running statements through rusqlite's
//! statement cache, reading rows, and SQLite's errors in [`DbError`]'s terms.

use std::path::Path;

use rusqlite::types::ValueRef as SqliteRef;
use rusqlite::{Connection, OpenFlags};

use super::error::{DbError, DbErrorKind};
use crate::engine::{Config, JournalMode, Synchronous};
use crate::value::{Value, ValueRef};

/// Opens a database file, set up as `config` says.
pub(crate) fn open_file(path: &Path, config: &Config) -> Result<Connection, DbError> {
    let conn = Connection::open(path)?;
    configure(&conn, config, true)?;
    Ok(conn)
}

/// Opens a connection to the shared in-memory database named by `uri`.
pub(crate) fn open_memory(uri: &str, config: &Config) -> Result<Connection, DbError> {
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, config, false)?;
    Ok(conn)
}

/// Applies the pragmas of `config` to a new connection (`file`: a database file, not memory).
fn configure(conn: &Connection, config: &Config, file: bool) -> rusqlite::Result<()> {
    if file {
        let mode = match config.journal_mode {
            JournalMode::Wal => "WAL",
            JournalMode::Delete => "DELETE",
            JournalMode::Truncate => "TRUNCATE",
            JournalMode::Persist => "PERSIST",
            JournalMode::Off => "OFF",
        };
        conn.pragma_update(None, "journal_mode", mode)?;
    }
    if let Some(level) = config.synchronous {
        let level = match level {
            Synchronous::Off => "OFF",
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
            Synchronous::Extra => "EXTRA",
        };
        conn.pragma_update(None, "synchronous", level)?;
    }
    if let Some(kib) = config.cache_size_kib {
        // A negative cache_size is in KiB.
        conn.pragma_update(None, "cache_size", -i64::from(kib))?;
    }
    conn.pragma_update(
        None,
        "foreign_keys",
        if config.foreign_keys { "ON" } else { "OFF" },
    )?;
    conn.busy_timeout(config.busy_timeout)?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(())
}

/// Runs a statement that returns no rows; the number of rows it changed.
pub(crate) fn execute(conn: &Connection, sql: &str, params: &[Value]) -> Result<usize, DbError> {
    let mut stmt = conn.prepare_cached(sql)?;
    Ok(stmt.execute(rusqlite::params_from_iter(params.iter().map(Bind)))?)
}

/// Runs a query, handing each row to `f`; `wrap` says which statement a driver error
/// came from.
pub(crate) fn query<E: From<DbError>>(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    mut f: impl FnMut(&super::Row<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut stmt = conn.prepare_cached(sql).map_err(DbError::from)?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter().map(Bind)))
        .map_err(DbError::from)?;
    while let Some(row) = rows.next().map_err(DbError::from)? {
        f(&super::Row::Sqlite(row))?;
    }
    Ok(())
}

/// The names of the columns a query returns (prepared, not run).
pub(crate) fn column_names(conn: &Connection, sql: &str) -> Result<Vec<String>, DbError> {
    let stmt = conn.prepare_cached(sql)?;
    Ok(stmt.column_names().map(str::to_owned).collect())
}

/// Column `index` of a row, borrowed.
pub(crate) fn get_ref<'a>(
    row: &'a rusqlite::Row<'_>,
    index: usize,
) -> Result<ValueRef<'a>, DbError> {
    Ok(match row.get_ref(index)? {
        SqliteRef::Null => ValueRef::Null,
        SqliteRef::Integer(i) => ValueRef::Integer(i),
        SqliteRef::Real(f) => ValueRef::Real(f),
        SqliteRef::Text(t) => ValueRef::Text(t),
        SqliteRef::Blob(b) => ValueRef::Blob(b),
    })
}

/// A value bound to a statement parameter.
struct Bind<'a>(&'a Value);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(match self.0 {
            Value::Null => SqliteRef::Null,
            Value::Integer(i) => SqliteRef::Integer(*i),
            Value::Real(f) => SqliteRef::Real(*f),
            Value::Text(s) => SqliteRef::Text(s.as_bytes()),
            Value::Blob(b) => SqliteRef::Blob(b),
        }))
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> DbError {
        use rusqlite::ffi;
        let kind = match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.extended_code {
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    DbErrorKind::UniqueViolation
                }
                ffi::SQLITE_CONSTRAINT_FOREIGNKEY => DbErrorKind::ForeignKeyViolation,
                ffi::SQLITE_CONSTRAINT_NOTNULL => DbErrorKind::NotNullViolation,
                ffi::SQLITE_CONSTRAINT_CHECK => DbErrorKind::CheckViolation,
                _ if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) =>
                {
                    DbErrorKind::Busy
                }
                // A foreign key checked at the end of a statement reports the plain
                // constraint code: tell by SQLite's message.
                _ if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    let message = e.to_string();
                    if message.contains("FOREIGN KEY constraint failed") {
                        DbErrorKind::ForeignKeyViolation
                    } else if message.contains("UNIQUE constraint failed") {
                        DbErrorKind::UniqueViolation
                    } else {
                        DbErrorKind::Other
                    }
                }
                _ => DbErrorKind::Other,
            },
            _ => DbErrorKind::Other,
        };
        DbError::new(kind, e.to_string(), None, Some(Box::new(e)))
    }
}
