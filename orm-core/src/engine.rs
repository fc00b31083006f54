//! The engine: where the database is (a file or memory), how its connections are set up
//! (foreign keys on, WAL for files, a busy timeout, a statement cache), a small pool of them,
//! and what every statement passes through on its way to SQLite: the echo to stderr, the
//! `log` facade (target `orm::engine`) and the statement hooks. Sessions borrow connections
//! from here; `create_all` / `drop_all` live here too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::schema::{dependency_order, TableMeta, Tables};
use crate::sql;
use crate::value::{params_literal, Value};

/// A statement on its way to SQLite, as hooks see it.
#[derive(Debug, Clone, Copy)]
pub struct Statement<'a> {
    /// The SQL text (`BEGIN (implicit)`, `COMMIT` and `ROLLBACK` for transaction control).
    pub sql: &'a str,
    /// The bound values, in order.
    pub params: &'a [Value],
}

type Hook = Arc<dyn Fn(&Statement<'_>) + Send + Sync>;

enum Location {
    File(PathBuf),
    Memory(String),
}

struct EngineInner {
    location: Location,
    echo: AtomicBool,
    hooks: RwLock<Vec<Hook>>,
    pool: Mutex<Vec<Connection>>,
    // An in-memory database lives as long as one connection to it is open.
    _keep_alive: Option<Mutex<Connection>>,
}

/// Where the data lives and how statements are run and shown. Cheap to clone (`Arc`), and
/// `Send + Sync`: share one per application.
///
/// ```
/// use orm_core::Engine;
/// let engine = Engine::memory()?.echo(false);
/// # Ok::<(), orm_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let location = match &self.inner.location {
            Location::File(p) => p.display().to_string(),
            Location::Memory(_) => ":memory:".to_owned(),
        };
        f.debug_struct("Engine")
            .field("location", &location)
            .field("echo", &self.inner.echo.load(Ordering::Relaxed))
            .finish()
    }
}

const POOL_SIZE: usize = 8;

impl Engine {
    /// Opens (or creates) the SQLite database file at `path`, in WAL mode with foreign keys
    /// enforced.
    ///
    /// # Errors
    /// When SQLite cannot open or set up the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine> {
        let engine = Engine::with_location(Location::File(path.as_ref().to_owned()), None);
        let first = engine.connect()?;
        engine.checkin(first);
        Ok(engine)
    }

    /// A fresh in-memory database, shared by every session of this engine and gone when the
    /// engine and its sessions are dropped. Without WAL, a session holding a transaction
    /// makes another session's commit wait: use a file for concurrent sessions.
    ///
    /// # Errors
    /// When SQLite cannot create it.
    pub fn memory() -> Result<Engine> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "file:/orm-memory-{}-{}?vfs=memdb",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let keep = open_connection(&Location::Memory(name.clone()))?;
        Ok(Engine::with_location(
            Location::Memory(name),
            Some(Mutex::new(keep)),
        ))
    }

    fn with_location(location: Location, keep_alive: Option<Mutex<Connection>>) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                location,
                echo: AtomicBool::new(false),
                hooks: RwLock::new(Vec::new()),
                pool: Mutex::new(Vec::new()),
                _keep_alive: keep_alive,
            }),
        }
    }

    /// Turns the echo on or off: every statement printed to stderr as
    /// `INFO Engine <SQL>` then `INFO Engine [params] (...)`.
    #[must_use]
    pub fn echo(self, on: bool) -> Engine {
        self.set_echo(on);
        self
    }

    /// Turns the echo on or off on a shared engine.
    pub fn set_echo(&self, on: bool) {
        self.inner.echo.store(on, Ordering::Relaxed);
    }

    /// Calls `hook` with every statement run through this engine, before it runs.
    ///
    /// The hook runs while the session that issued the statement is busy: it must not use
    /// that session or its objects (record what it sees, and look at it afterwards).
    pub fn on_statement(&self, hook: impl Fn(&Statement<'_>) + Send + Sync + 'static) {
        self.inner
            .hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(hook));
    }

    /// Records every statement from now on; handy in tests.
    pub fn capture(&self) -> Captured {
        let captured = Captured::default();
        let sink = captured.clone();
        self.on_statement(move |s| {
            sink.lock().push(Recorded {
                sql: s.sql.to_owned(),
                params: s.params.to_vec(),
            });
        });
        captured
    }

    /// Creates the tables of `M` (a tuple of table types) and their indexes, referenced
    /// tables first, skipping tables that exist. Runs in one transaction.
    ///
    /// # Errors
    /// When a foreign key names a table that is neither in `M` nor in the database, or a
    /// statement fails.
    pub fn create_all<M: Tables>(&self) -> Result<()> {
        let tables = dependency_order(&M::metas());
        let mut conn = self.connection()?;
        conn.begin()?;
        let result = (|| {
            let mut missing = Vec::new();
            for t in &tables {
                if !conn.table_exists(t.name)? {
                    missing.push(*t);
                }
            }
            for t in &tables {
                for target in t.references() {
                    if !tables.iter().any(|x| x.name == target) && !conn.table_exists(target)? {
                        return Err(Error::Schema(format!(
                            "table `{}` has a foreign key to table `{target}`, which is neither created here nor in the database",
                            t.name
                        )));
                    }
                }
            }
            for t in missing {
                conn.execute(&sql::create_table(t), &[])?;
                for index in sql::create_indexes(t) {
                    conn.execute(&index, &[])?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => conn.commit(),
            Err(e) => {
                let _ = conn.rollback();
                Err(e)
            }
        }
    }

    /// Drops the tables of `M` that exist, referencing tables first.
    ///
    /// # Errors
    /// When a statement fails.
    pub fn drop_all<M: Tables>(&self) -> Result<()> {
        let mut tables: Vec<&'static TableMeta> = dependency_order(&M::metas());
        tables.reverse();
        let mut conn = self.connection()?;
        conn.begin()?;
        for t in tables {
            if conn.table_exists(t.name)? {
                if let Err(e) = conn.execute(&sql::drop_table(t), &[]) {
                    let _ = conn.rollback();
                    return Err(e);
                }
            }
        }
        conn.commit()
    }

    /// A connection from the pool, returned to it when dropped.
    pub(crate) fn connection(&self) -> Result<Conn> {
        let raw = self.checkout()?;
        Ok(Conn {
            raw: Some(raw),
            engine: self.clone(),
            in_transaction: false,
            writing: false,
            ended_by_sqlite: false,
        })
    }

    fn checkout(&self) -> Result<Connection> {
        let pooled = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.connect(),
        }
    }

    fn checkin(&self, conn: Connection) {
        let mut pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pool.len() < POOL_SIZE {
            pool.push(conn);
        }
    }

    fn connect(&self) -> Result<Connection> {
        open_connection(&self.inner.location)
    }

    fn observed(&self) -> bool {
        self.inner.echo.load(Ordering::Relaxed)
            || log::log_enabled!(target: "orm::engine", log::Level::Info)
            || !self
                .inner
                .hooks
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
    }

    /// Shows a statement to the echo, the log and the hooks.
    fn announce(&self, sql: &str, params: Option<&[Value]>) {
        if !self.observed() {
            return;
        }
        let shown = params.map(params_literal);
        if self.inner.echo.load(Ordering::Relaxed) {
            use std::io::Write as _;
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "INFO Engine {sql}");
            if let Some(p) = &shown {
                let _ = writeln!(err, "INFO Engine [params] {p}");
            }
        }
        log::info!(target: "orm::engine", "{sql}");
        if let Some(p) = &shown {
            log::info!(target: "orm::engine", "[params] {p}");
        }
        let hooks = self
            .inner
            .hooks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let statement = Statement {
            sql,
            params: params.unwrap_or(&[]),
        };
        for hook in hooks {
            hook(&statement);
        }
    }
}

fn open_connection(location: &Location) -> Result<Connection> {
    let conn = match location {
        Location::File(path) => {
            let c = Connection::open(path)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c
        }
        Location::Memory(uri) => Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
    };
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

/// One statement recorded by [`Engine::capture`].
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The SQL text.
    pub sql: String,
    /// The bound values.
    pub params: Vec<Value>,
}

impl std::fmt::Display for Recorded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.params.is_empty() {
            f.write_str(&self.sql)
        } else {
            write!(f, "{} {}", self.sql, params_literal(&self.params))
        }
    }
}

/// The statements an engine ran since [`Engine::capture`] was called.
#[derive(Debug, Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<Recorded>>>);

impl Captured {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the statements recorded so far, leaving none.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.lock())
    }

    /// Takes the statements recorded so far as `SQL (params)` lines.
    pub fn take_lines(&self) -> Vec<String> {
        self.take().iter().map(ToString::to_string).collect()
    }

    /// How many statements were recorded (and not yet taken).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing was recorded since the last `take`.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Forgets what was recorded.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

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
        if result.is_err() {
            self.check_transaction();
        }
        result
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
        if result.is_err() {
            self.check_transaction();
        }
        result
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
        if result.is_err() {
            self.check_transaction();
        }
        result
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

    fn table_exists(&mut self, name: &str) -> Result<bool> {
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
