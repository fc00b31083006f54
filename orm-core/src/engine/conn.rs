//! [`Conn`]: a pooled connection in a session's hands. It shows every statement it runs to
//! the engine's echo, log and hooks, keeps its transaction state as SQLite has it, and goes
//! back to the pool (rolled back) when dropped.

use rusqlite::Connection;

use super::Engine;
use crate::error::{Error, Result};
use crate::sql;
use crate::value::Value;

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
/// [`take_ended_by_sqlite`](Conn::take_ended_by_sqlite) tells the session so.
pub(crate) struct Conn {
    raw: Option<Connection>,
    engine: Engine,
    in_transaction: bool,
    /// The open transaction holds the write lock (`BEGIN IMMEDIATE`).
    writing: bool,
    /// SQLite rolled the transaction back by itself since the session last asked.
    ended_by_sqlite: bool,
}

impl Conn {
    pub(super) fn new(raw: Connection, engine: Engine) -> Conn {
        Conn {
            raw: Some(raw),
            engine,
            in_transaction: false,
            writing: false,
            ended_by_sqlite: false,
        }
    }

    fn raw(&self) -> &Connection {
        self.raw.as_ref().expect("connection present until drop")
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
        if self.in_transaction {
            self.engine.announce("COMMIT", None);
            self.run_cached("COMMIT")?;
            self.in_transaction = false;
            self.writing = false;
        }
        Ok(())
    }

    pub(crate) fn rollback(&mut self) -> Result<()> {
        if self.in_transaction {
            self.engine.announce("ROLLBACK", None);
            self.in_transaction = false;
            self.writing = false;
            self.run_cached("ROLLBACK")?;
        }
        Ok(())
    }

    /// Whether SQLite rolled the transaction back by itself since the last call.
    pub(crate) fn take_ended_by_sqlite(&mut self) -> bool {
        std::mem::take(&mut self.ended_by_sqlite)
    }

    /// Passes a statement's result on; after a failure, first looks whether SQLite is still
    /// in the transaction we think open.
    fn checked<R>(&mut self, result: Result<R>) -> Result<R> {
        if result.is_err() {
            self.check_transaction();
        }
        result
    }

    /// After a failed statement: whether SQLite is still in the transaction we think open.
    fn check_transaction(&mut self) {
        if self.in_transaction && self.raw().is_autocommit() {
            self.in_transaction = false;
            self.writing = false;
            self.ended_by_sqlite = true;
        }
    }

    /// Runs a statement without parameters through the statement cache, unannounced.
    fn run_cached(&mut self, sql: &str) -> Result<()> {
        let result = self
            .raw()
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(drop)
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
        self.run_cached(sql)
    }

    /// Runs a statement that returns no rows; returns the number of rows changed.
    pub(crate) fn execute(&mut self, sql: &str, params: &[Value]) -> Result<usize> {
        self.engine.announce(sql, Some(params));
        let result = self
            .raw()
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(rusqlite::params_from_iter(params)))
            .map_err(|e| Error::statement(sql, e));
        self.checked(result)
    }

    /// Runs an INSERT and returns the rowid SQLite assigned.
    pub(crate) fn insert(&mut self, sql: &str, params: &[Value]) -> Result<i64> {
        self.execute(sql, params)?;
        Ok(self.raw().last_insert_rowid())
    }

    /// Runs a query and hands each row to `f`.
    pub(crate) fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        f: impl FnMut(&rusqlite::Row<'_>) -> Result<()>,
    ) -> Result<()> {
        self.engine.announce(sql, Some(params));
        let result = run_query(self.raw(), sql, params, f);
        self.checked(result)
    }

    /// The names of the columns a query returns, from preparing it (nothing runs and nothing
    /// is announced).
    pub(crate) fn column_names(&mut self, sql: &str) -> Result<Vec<String>> {
        let stmt = self
            .raw()
            .prepare_cached(sql)
            .map_err(|e| Error::statement(sql, e))?;
        Ok(stmt.column_names().map(str::to_owned).collect())
    }

    pub(super) fn table_exists(&mut self, name: &str) -> Result<bool> {
        let sql = format!("PRAGMA main.table_info({})", sql::quote_ident(name));
        let mut found = false;
        self.query(&sql, &[], |_| {
            found = true;
            Ok(())
        })?;
        Ok(found)
    }
}

fn run_query(
    conn: &Connection,
    sql: &str,
    params: &[Value],
    mut f: impl FnMut(&rusqlite::Row<'_>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn
        .prepare_cached(sql)
        .map_err(|e| Error::statement(sql, e))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params))
        .map_err(|e| Error::statement(sql, e))?;
    while let Some(row) = rows.next().map_err(|e| Error::statement(sql, e))? {
        f(row)?;
    }
    Ok(())
}

impl Drop for Conn {
    fn drop(&mut self) {
        let _ = self.rollback();
        if let Some(raw) = self.raw.take() {
            self.engine.checkin(raw);
        }
    }
}
