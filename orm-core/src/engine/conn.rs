//! [`Conn`]: a pooled connection in a session's hands. It shows every statement it runs to
//! the engine's echo, log and hooks, keeps its transaction state as SQLite has it, and goes
//! back to the pool (rolled back) when dropped.

use super::Engine;
use crate::backend::{DbError, Dialect, RawConn, Row};
use crate::error::{Error, Result};
use crate::value::{Value, ValueRef};

/// A pooled connection that shows every statement it runs, and knows the state of its
/// transaction as SQLite has it.
///
/// Transactions begin deferred (a session that only reads never takes the write lock). The
/// first write of a transaction goes through [`begin_write`](Conn::begin_write), which makes
/// it `BEGIN IMMEDIATE`: SQLite never calls the busy handler when a deferred transaction that
/// has read upgrades to a write, so without this a writer fails at once with "database is
/// locked" while another writes, whatever the busy timeout. A transaction that has only read
/// is ended and begun again as immediate (it has nothing to lose), which waits for the lock.
///
/// SQLite may also end a transaction by itself when a statement fails (disk full, I/O errors,
/// `RAISE(ROLLBACK)` in a trigger). Every failed statement is followed by a look at
/// `sqlite3_get_autocommit`; the connection then knows it is out of its transaction, and
/// [`take_ended_by_database`](Conn::take_ended_by_database) tells the session so. On
/// PostgreSQL an error the server reports aborts the whole transaction (every later
/// statement fails until it ends) unless a savepoint catches it: a failed flush rolls back
/// itself as on SQLite; any other failure is rolled back when the session hears of it, and
/// reported the same way as SQLite's own rollbacks.
///
/// Statements are written with `?` placeholders; the connection's [`Dialect`] renders them
/// for its database before they are shown and run.
pub(crate) struct Conn {
    raw: Option<RawConn>,
    dialect: Dialect,
    engine: Engine,
    in_transaction: bool,
    /// The open transaction holds the write lock (`BEGIN IMMEDIATE`).
    writing: bool,
    /// How many savepoints are open.
    savepoints: usize,
    /// The database rolled the transaction back by itself since the session last asked.
    ended_by_database: bool,
    /// PostgreSQL: a server error aborted the transaction, and no ROLLBACK (or ROLLBACK TO
    /// a savepoint) has run since. Whoever ran the statement may roll back at once (a failed
    /// flush does, to its savepoint or all of it); outside any savepoint the session does when
    /// it hears of it ([`take_ended_by_database`](Conn::take_ended_by_database)); a COMMIT
    /// is refused while it is set (PostgreSQL would answer it with a silent ROLLBACK).
    aborted: bool,
}

impl Conn {
    pub(super) fn new(raw: RawConn, engine: Engine) -> Conn {
        Conn {
            dialect: raw.dialect(),
            raw: Some(raw),
            engine,
            in_transaction: false,
            writing: false,
            savepoints: 0,
            ended_by_database: false,
            aborted: false,
        }
    }

    fn raw(&mut self) -> &mut RawConn {
        self.raw.as_mut().expect("connection present until drop")
    }

    /// The SQL dialect of the database.
    pub(crate) fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// Starts a transaction if none is open.
    pub(crate) fn begin(&mut self) -> Result<()> {
        if !self.in_transaction {
            self.engine.announce("BEGIN (implicit)", None);
            self.run_cached("BEGIN")?;
            self.in_transaction = true;
        }
        Ok(())
    }

    /// Makes sure the transaction holds the write lock before the first write, waiting for
    /// it up to the busy timeout. A transaction that has only read is ended and begun again
    /// (unannounced: to the echo it is the same transaction); one that holds the lock stays.
    pub(crate) fn begin_write(&mut self) -> Result<()> {
        if self.writing {
            return Ok(());
        }
        if self.dialect == Dialect::Postgres {
            // A server transaction takes its locks row by row, waiting as it goes.
            self.begin()?;
            self.writing = true;
            return Ok(());
        }
        if self.in_transaction {
            self.in_transaction = false;
            self.run_cached("ROLLBACK")?;
        } else {
            self.engine.announce("BEGIN (implicit)", None);
        }
        self.run_cached("BEGIN IMMEDIATE")?;
        self.in_transaction = true;
        self.writing = true;
        Ok(())
    }

    pub(crate) fn commit(&mut self) -> Result<()> {
        if self.aborted {
            // PostgreSQL would answer COMMIT with a silent ROLLBACK: say so instead.
            self.end_aborted();
            return Err(Error::Database(DbError::other(
                "an earlier statement failed and aborted the transaction; it was rolled back, nothing was committed",
            )));
        }
        if self.in_transaction {
            self.engine.announce("COMMIT", None);
            self.run_cached("COMMIT")?;
            self.in_transaction = false;
            self.writing = false;
            // A commit inside `begin_nested` ends its savepoints with the transaction.
            self.savepoints = 0;
        }
        Ok(())
    }

    pub(crate) fn rollback(&mut self) -> Result<()> {
        self.aborted = false;
        if self.in_transaction {
            self.engine.announce("ROLLBACK", None);
            self.in_transaction = false;
            self.writing = false;
            self.savepoints = 0;
            self.run_cached("ROLLBACK")?;
        }
        Ok(())
    }

    /// Whether the database rolled the transaction back by itself since the last call (on
    /// PostgreSQL: an aborted transaction no one rolled back yet, which is rolled back now).
    pub(crate) fn take_ended_by_database(&mut self) -> bool {
        if self.aborted && self.savepoints == 0 {
            self.end_aborted();
        }
        std::mem::take(&mut self.ended_by_database)
    }

    /// Rolls back a transaction an error aborted (PostgreSQL), as the database's own doing.
    fn end_aborted(&mut self) {
        self.aborted = false;
        let _ = self.raw().control("ROLLBACK");
        self.in_transaction = false;
        self.writing = false;
        self.savepoints = 0;
        self.ended_by_database = true;
    }

    /// Passes a statement's result on; after a failure, first looks whether SQLite is still
    /// in the transaction we think open.
    fn checked<R>(&mut self, result: Result<R>) -> Result<R> {
        if let Err(e) = &result {
            let from_server = e.db_error().is_some_and(DbError::is_server_error);
            self.check_transaction(from_server);
        }
        result
    }

    /// After a failed statement: whether the database is still in the transaction we think
    /// open. SQLite says; on PostgreSQL an error the server reported has aborted the
    /// transaction (marked `aborted`, until a ROLLBACK or a ROLLBACK TO a savepoint), while an
    /// error of our own, such as a value that does not fit its field, leaves it as it was.
    fn check_transaction(&mut self, from_server: bool) {
        if !self.in_transaction {
            return;
        }
        let ended = match self.raw().is_autocommit() {
            Some(autocommit) => autocommit,
            None => {
                if from_server {
                    self.aborted = true;
                }
                false
            }
        };
        if ended {
            self.in_transaction = false;
            self.writing = false;
            self.savepoints = 0;
            self.ended_by_database = true;
        }
    }

    /// Runs a transaction-control statement, unannounced.
    fn run_cached(&mut self, sql: &str) -> Result<()> {
        let result = self
            .raw()
            .control(sql)
            .map_err(|e| Error::statement(sql, e));
        self.checked(result)
    }

    /// Internal savepoint around a flush; not echoed (an implementation detail, like
    /// SQLAlchemy's pool operations).
    pub(crate) fn savepoint(&mut self, action: &str) -> Result<()> {
        let sql = match action {
            "begin" => "SAVEPOINT orm_flush",
            "release" => "RELEASE SAVEPOINT orm_flush",
            _ => "ROLLBACK TO SAVEPOINT orm_flush",
        };
        // Counted before it runs: a failed ROLLBACK TO must not roll the whole transaction
        // back on PostgreSQL while the savepoint is still there.
        if action == "begin" {
            self.savepoints += 1;
        }
        let result = self.run_cached(sql);
        self.count_savepoint(action, result.is_ok());
        result
    }

    /// Keeps the count of open savepoints after `action` ran: `ROLLBACK TO` leaves the
    /// savepoint open (and ends an abort); only `RELEASE` (or a failed `SAVEPOINT`) closes it.
    fn count_savepoint(&mut self, action: &str, ok: bool) {
        match (action, ok) {
            ("begin", false) | ("release", true) => {
                self.savepoints = self.savepoints.saturating_sub(1);
            }
            ("rollback", true) => self.aborted = false,
            _ => {}
        }
    }

    /// A named savepoint the user opened (`Session::begin_nested`): `action` is "begin",
    /// "release" or "rollback" (to it; it stays open, as in SQL). Echoed as SQLAlchemy echoes
    /// it (`SAVEPOINT sa_savepoint_1`), and counted like the flush's own.
    pub(crate) fn named_savepoint(&mut self, action: &str, name: &str) -> Result<()> {
        let sql = match action {
            "begin" => format!("SAVEPOINT {name}"),
            "release" => format!("RELEASE SAVEPOINT {name}"),
            _ => format!("ROLLBACK TO SAVEPOINT {name}"),
        };
        self.engine.announce(&sql, None);
        if action == "begin" {
            self.savepoints += 1;
        }
        let result = self.run_cached(&sql);
        self.count_savepoint(action, result.is_ok());
        result
    }

    /// How many savepoints are open (0 once the transaction ended).
    pub(crate) fn open_savepoints(&self) -> usize {
        if self.in_transaction {
            self.savepoints
        } else {
            0
        }
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        let sql = self.dialect.render(sql);
        self.engine.announce(&sql, Some(params));
        let result = self
            .raw()
            .execute(&sql, params)
            .map_err(|e| Error::statement(&sql, e));
        self.checked(result)
    }

    /// Runs an INSERT whose integer key column `key` the database assigns; returns the key.
    pub(crate) fn insert(&mut self, sql: &str, params: &[Value], key: &str) -> Result<i64> {
        let sql = match self.dialect {
            Dialect::Sqlite => std::borrow::Cow::Borrowed(sql),
            _ => self
                .dialect
                .render(&format!("{sql} RETURNING {}", crate::sql::quote_ident(key)))
                .into_owned()
                .into(),
        };
        self.engine.announce(&sql, Some(params));
        let result = self
            .raw()
            .insert(&sql, params, key)
            .map_err(|e| Error::statement(&sql, e));
        self.checked(result)
    }

    /// Runs a query and hands each row to `f`.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&Row<'_>) -> Result<()>,
    ) -> Result<()> {
        let sql = self.dialect.render(sql);
        self.engine.announce(&sql, Some(params));
        let result = self.raw().query(&sql, params, f).map_err(|e| match e {
            Error::Database(e) => Error::statement(&sql, e),
            other => other,
        });
        self.checked(result)
    }

    /// The names of the columns a query returns, from preparing it (nothing runs and nothing
    /// is announced).
    pub(crate) fn column_names(&mut self, sql: &str) -> Result<Vec<String>> {
        let sql = self.dialect.render(sql);
        let result = self
            .raw()
            .column_names(&sql)
            .map_err(|e| Error::statement(&sql, e));
        self.checked(result)
    }

    pub(super) fn table_exists(&mut self, name: &str) -> Result<bool> {
        let (sql, params) = self.dialect.table_exists(name);
        let mut found = false;
        self.query(&sql, &params, |_| {
            found = true;
            Ok(())
        })?;
        Ok(found)
    }

    /// The columns of table `name` as (name, declared type); empty when it does not exist.
    pub(super) fn table_columns(&mut self, name: &str) -> Result<Vec<(String, String)>> {
        let (sql, params) = self.dialect.table_columns(name);
        let mut columns = Vec::new();
        self.query(&sql, &params, |row| {
            let text = |i| match row.get_ref(i) {
                Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).into_owned(),
                _ => String::new(),
            };
            columns.push((text(0), text(1)));
            Ok(())
        })?;
        Ok(columns)
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // A connection that cannot roll back, or whose server went away, is not pooled.
        let clean = self.rollback().is_ok();
        if let Some(raw) = self.raw.take() {
            if clean && raw.is_usable() {
                self.engine.checkin(raw);
            }
        }
    }
}
