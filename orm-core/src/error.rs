//! The one error type of the crate. Every failure a user can cause (bad input, bad data, a
//! misuse of the session) is a variant here with a message that says what went wrong and
//! where; the library never panics on them.

use crate::backend::DbError;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in `orm`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused a statement; `sql` is the statement that failed. Its
    /// [`kind`](DbError::kind) says what kind of refusal (a unique violation, a lock, ...).
    #[error("statement failed: {source}\n  SQL: {sql}")]
    Statement {
        /// The SQL text that was running.
        sql: String,
        /// What the database said.
        #[source]
        source: DbError,
    },
    /// The database failed outside any particular statement (opening it, for example).
    #[error("database error: {0}")]
    Database(#[from] DbError),
    /// `one()` found no row.
    #[error("expected exactly one row from `{table}`, found none")]
    NoRow {
        /// The table queried.
        table: &'static str,
    },
    /// `one()` found more than one row.
    #[error("expected exactly one row from `{table}`, found {count}")]
    MultipleRows {
        /// The table queried.
        table: &'static str,
        /// How many rows came back.
        count: usize,
    },
    /// A stored value does not fit the Rust field it is read into.
    #[error("cannot read column `{table}.{column}`: {message}")]
    Decode {
        /// The table read.
        table: &'static str,
        /// The column read.
        column: &'static str,
        /// Why the value does not fit.
        message: String,
    },
    /// The object belongs to no open session, so it cannot load what it has not loaded yet.
    #[error("{table} object is detached: {reason}")]
    Detached {
        /// The object's table.
        table: &'static str,
        /// Why it is detached (never added, session closed, object expunged).
        reason: &'static str,
    },
    /// The object is borrowed in a way that conflicts with this access.
    #[error("{table} object is already borrowed{detail}; drop the other guard first")]
    Borrowed {
        /// The object's table.
        table: &'static str,
        /// What conflicts, e.g. " mutably".
        detail: &'static str,
    },
    /// An expired or refreshed object's row is no longer in the database.
    #[error("row {table}({key}) no longer exists in the database")]
    ObjectDeleted {
        /// The object's table.
        table: &'static str,
        /// Its primary key, printed.
        key: String,
    },
    /// The object is in another session than the one it is given to.
    #[error("{table} object is already attached to another session")]
    OtherSession {
        /// The object's table.
        table: &'static str,
    },
    /// A relationship points at an object that is not in the session, so the flush cannot
    /// write it.
    #[error("{table}.{field} refers to a {target} object that is not in the session; add it with session.add() first")]
    NotInSession {
        /// The table holding the relationship.
        table: &'static str,
        /// The relationship field.
        field: &'static str,
        /// The target table.
        target: &'static str,
    },
    /// A relationship change cannot be written as declared.
    #[error("{table}.{field}: {message}")]
    Relationship {
        /// The table holding the relationship.
        table: &'static str,
        /// The relationship field.
        field: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// A database URL that names no database this build can open.
    #[error("cannot connect to `{url}`: {message}")]
    Url {
        /// The URL given (without its password).
        url: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// Table metadata is inconsistent (a foreign key to a table that was not created, ...).
    #[error("schema error: {0}")]
    Schema(String),
    /// A primary key value was not given in the shape the table needs.
    #[error("primary key of `{table}` needs {expected} value(s), got {got}")]
    KeyShape {
        /// The table.
        table: &'static str,
        /// How many primary-key columns it has.
        expected: usize,
        /// How many values were given.
        got: usize,
    },
    /// The database rolled the session's transaction back by itself when a statement failed
    /// (on SQLite: disk full, an I/O error, `RAISE(ROLLBACK)` in a trigger; on PostgreSQL,
    /// any statement that fails outside the flush's savepoint aborts the transaction). The session was rolled back with
    /// it, as [`Session::rollback`](crate::Session::rollback) does: what earlier flushes of
    /// that transaction wrote is gone, and their new objects are transient again.
    #[error("the database rolled the transaction back: {source}; the session was rolled back with it (new objects of the transaction are transient again, loaded ones expired)")]
    RolledBack {
        /// The failure that made the database roll back.
        source: Box<Error>,
    },
    /// A flush (or commit) of this session failed, and the session has not been rolled back
    /// since: like SQLAlchemy's `PendingRollbackError`, it refuses to flush, commit or run SQL
    /// until [`Session::rollback`](crate::Session::rollback) (or `close`) is called.
    #[error("a flush failed earlier in this transaction ({cause}); call session.rollback() before using the session again")]
    PendingRollback {
        /// The error of the failed flush, as its message.
        cause: String,
    },
    /// A relationship declared `lazy = "raise"` was read while not loaded, which would run a
    /// `SELECT` for it alone (the N+1 pattern the declaration guards against).
    #[error("{table}.{field} is not loaded and is declared lazy = \"raise\"; load it with the query, e.g. .options(selectin({table}::{field}))")]
    LazyLoadRaised {
        /// The table holding the relationship.
        table: &'static str,
        /// The relationship field.
        field: &'static str,
    },
    /// A panic happened while the object was being changed through a write guard, so the
    /// change may be half done; it is not written until the object is reloaded.
    #[error("a panic left a change to this {table} object{} half done; reload it with session.refresh() before flushing", key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
    Poisoned {
        /// The object's table.
        table: &'static str,
        /// Its primary key, printed, when it has one.
        key: Option<String>,
    },
    /// A value cannot be stored as it is.
    #[error("cannot store {table}.{column}: {message}")]
    InvalidValue {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// What is wrong and what to do.
        message: String,
    },
    /// The object's row was deleted (by this session's committed delete, or by someone else),
    /// so it cannot be added back or deleted again.
    #[error("{table} object ({key}) was deleted and its row is gone; to insert the row again, build a new object")]
    Deleted {
        /// The object's table.
        table: &'static str,
        /// Its primary key, printed.
        key: String,
    },
    /// An UPDATE or DELETE the flush ran matched no row: another session changed or deleted
    /// it since it was loaded (for a `version` column: changed it). Nothing of the flush is
    /// kept.
    #[error("{action} of the row {table}({key}) matched no row: it was changed or deleted by someone else since it was loaded; roll back and load it again")]
    StaleData {
        /// `UPDATE` or `DELETE`.
        action: &'static str,
        /// The table.
        table: &'static str,
        /// The row's key (or the link row's columns), printed.
        key: String,
    },
    /// [`Session::merge`](crate::Session::merge) was given a copy whose version column is
    /// not the row's: it was made from another state of the row, and merging it would
    /// overwrite changes it never saw.
    #[error("session.merge: {table}({key}) has {column} = {given} but the row is at {stored}: the copy was made from another state of the row; load the row again and apply the change to it, or leave {column} unset (0) to merge onto the current row")]
    StaleVersion {
        /// The model.
        table: &'static str,
        /// The version field.
        column: &'static str,
        /// The row's key, printed.
        key: String,
        /// The version the copy carries.
        given: String,
        /// The version of the session's object.
        stored: String,
    },
    /// A statement hook used a session (or read an expired object): hooks run while a
    /// session is busy with the statement, so this would deadlock.
    #[error("a statement hook cannot use a session or load an object: it runs while the session is busy with the statement; record what you need and act on it after the call returns")]
    Reentrant,
    /// Another object of the session already stands for this row.
    #[error("another {table} object with key ({key}) is already in this session; use that one (session.get) instead of adding this one")]
    DuplicateIdentity {
        /// The object's table.
        table: &'static str,
        /// The key, printed.
        key: String,
    },
    /// A query names a table it does not reach (a condition, sort key or join on a table
    /// that is neither the selected one nor joined to it). Found before any SQL runs.
    #[error("the query names table `{table}`, which it does not reach (it reaches: {reached}); join it first with .join(...), or, in a bulk update or delete, test it with .any(...) / .has(...)")]
    TableNotInQuery {
        /// The table named.
        table: &'static str,
        /// The tables the query reaches, comma-separated.
        reached: String,
    },
    /// The closure of `begin_nested` ended the whole transaction (`commit`, `rollback`),
    /// and with it the savepoint it ran in.
    #[error("the savepoint of begin_nested was ended inside its closure: commit() and rollback() end the whole transaction; commit or roll back after begin_nested returns, and return Err from the closure to undo only its work")]
    SavepointEnded,
    /// A query cannot be built as asked (a table joined twice, an object without a key
    /// compared with a relationship, ...). Found before any SQL runs.
    #[error("invalid query: {message}")]
    Query {
        /// What is wrong and what to do.
        message: String,
    },
    /// A hand-written query given to `Session::query_as` does not return every column of the
    /// table its rows become (columns are matched by name). Found before the query runs.
    #[error("the query given to query_as for table `{table}` does not return its column(s) {missing} (it returns: {found}); select them, or name an expression with AS")]
    MissingColumns {
        /// The table the rows are read as.
        table: &'static str,
        /// The columns missing, comma-separated.
        missing: String,
        /// The columns the query returns, comma-separated.
        found: String,
    },
}

impl Error {
    /// What the database said, when it refused a statement or a connection.
    pub fn db_error(&self) -> Option<&DbError> {
        match self {
            Error::Statement { source, .. } | Error::Database(source) => Some(source),
            Error::RolledBack { source } => source.db_error(),
            _ => None,
        }
    }

    /// Whether running the transaction again may succeed: the database reported a lock
    /// timeout, a serialization failure or a deadlock.
    pub fn is_retryable(&self) -> bool {
        self.db_error().is_some_and(DbError::is_retryable)
    }

    pub(crate) fn statement(sql: &str, source: DbError) -> Self {
        Error::Statement {
            sql: sql.to_owned(),
            source,
        }
    }
}
