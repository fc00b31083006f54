//! [`DbError`]: what a database said when it refused a statement, in the same terms on every
//! backend. The kind ([`DbErrorKind`]) is what code branches on (a unique violation, a lock
//! to wait for, a serialization failure to retry); the message is the database's own words;
//! the driver's error stays reachable as the source.

use std::fmt;

/// What kind of failure a database reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DbErrorKind {
    /// A `UNIQUE` or primary-key constraint.
    UniqueViolation,
    /// A `FOREIGN KEY` constraint.
    ForeignKeyViolation,
    /// A `NOT NULL` constraint.
    NotNullViolation,
    /// A `CHECK` constraint.
    CheckViolation,
    /// The database is locked by another connection and the busy timeout ran out (SQLite).
    Busy,
    /// The server could not serialize this transaction with a concurrent one; retry it.
    SerializationFailure,
    /// The server broke a deadlock by failing this transaction; retry it.
    Deadlock,
    /// The connection to the server is gone.
    ConnectionLost,
    /// Anything else (a syntax error, a missing table, an I/O error, ...).
    Other,
}

/// A database's refusal, with its kind, its message and (where the database names it) the
/// constraint at fault.
#[derive(Debug)]
pub struct DbError {
    kind: DbErrorKind,
    message: String,
    constraint: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
    /// The server reported it: on PostgreSQL the transaction is aborted (an error of the
    /// client's own, such as a value it could not decode, leaves the transaction as it was).
    from_server: bool,
}

impl DbError {
    pub(crate) fn new(
        kind: DbErrorKind,
        message: String,
        constraint: Option<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DbError {
        DbError {
            kind,
            message,
            constraint,
            source,
            from_server: false,
        }
    }

    /// Marks an error the server reported (see [`is_server_error`](Self::is_server_error)).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    pub(crate) fn reported_by_server(mut self) -> DbError {
        self.from_server = true;
        self
    }

    /// Whether the database server reported the error (rather than the client library).
    pub(crate) fn is_server_error(&self) -> bool {
        self.from_server
    }

    /// A failure of this library's own making at the database boundary (a value the column
    /// type cannot take, for example).
    pub(crate) fn other(message: impl Into<String>) -> DbError {
        DbError::new(DbErrorKind::Other, message.into(), None, None)
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> DbErrorKind {
        self.kind
    }

    /// The database's message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The constraint at fault, where the database names it (PostgreSQL does).
    pub fn constraint(&self) -> Option<&str> {
        self.constraint.as_deref()
    }

    /// Whether running the transaction again may succeed (a lock, a serialization failure, a
    /// deadlock).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            DbErrorKind::Busy | DbErrorKind::SerializationFailure | DbErrorKind::Deadlock
        )
    }
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
