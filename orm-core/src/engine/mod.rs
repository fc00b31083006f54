//! The engine: where the database is (a file or memory), how its connections are set up
//! (foreign keys on, WAL for files, a busy timeout, a statement cache), a small pool of them,
//! and what every statement passes through on its way to SQLite: the echo to stderr, the
//! `log` facade (target `orm::engine`) and the statement hooks. Sessions borrow connections
//! from here; `create_all` / `drop_all` live here too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use crate::backend::{self, Dialect, RawConn};
use crate::error::{Error, Result};
use crate::schema::{dependency_order, TableMeta, Tables};
use crate::sql;
use crate::value::{params_literal, Value};

mod config;
mod conn;

pub use config::{Config, JournalMode, Synchronous};
pub(crate) use conn::Conn;

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
    #[cfg(feature = "postgres")]
    Postgres(Box<backend::postgres::PgConfig>),
}

struct EngineInner {
    location: Location,
    config: Config,
    echo: AtomicBool,
    hooks: RwLock<Vec<Hook>>,
    pool: Mutex<Vec<RawConn>>,
    // An in-memory database lives as long as one connection to it is open.
    _keep_alive: Option<Mutex<RawConn>>,
}

/// Where the data lives and how statements are run and shown. Cheap to clone (`Arc`), and
/// `Send + Sync`: share one per application.
///
/// ```
/// # use orm::prelude::*;
/// # #[derive(Table, Debug, Default)]
/// # pub struct Team {
/// #     #[orm(primary_key)]
/// #     pub id: Option<i64>,
/// #     pub name: String,
/// #     #[orm(relationship(back_populates = "team"))]
/// #     pub heroes: Many<Hero>,
/// # }
/// # #[derive(Table, Debug, Default)]
/// # pub struct Hero {
/// #     #[orm(primary_key)]
/// #     pub id: Option<i64>,
/// #     pub name: String,
/// #     pub age: Option<i64>,
/// #     #[orm(foreign_key = "team.id")]
/// #     pub team_id: Option<i64>,
/// #     #[orm(relationship(back_populates = "heroes"))]
/// #     pub team: One<Team>,
/// # }
/// # fn main() -> orm::Result<()> {
/// let engine = Engine::memory()?;
/// engine.create_all::<(Team, Hero)>()?;
/// let session = Session::new(&engine);
/// session.add(&Team { name: "Preventers".into(), ..Default::default() }.track())?;
/// session.commit()?;
/// let other = Session::new(&engine.clone()); // the same database
/// assert_eq!(other.count(select::<Team>())?, 1);
/// # Ok(())
/// # }
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
            #[cfg(feature = "postgres")]
            Location::Postgres(c) => c.describe(),
        };
        f.debug_struct("Engine")
            .field("location", &location)
            .field("echo", &self.inner.echo.load(Ordering::Relaxed))
            .finish()
    }
}

impl Engine {
    /// Opens (or creates) the SQLite database file at `path`, in WAL mode with foreign keys
    /// enforced.
    ///
    /// ```no_run
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::open("heroes.db")?;
    /// engine.create_all::<(Team, Hero)>()?; // the tables the file does not have yet
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// When SQLite cannot open or set up the file.
    pub fn open(path: impl AsRef<Path>) -> Result<Engine> {
        Engine::open_with(path, Config::default())
    }

    /// Opens (or creates) the SQLite database file at `path`, with connections set up as
    /// `config` says (e.g. `synchronous = NORMAL`, the pool size). Example: [`Config`].
    ///
    /// # Errors
    /// When SQLite cannot open or set up the file.
    pub fn open_with(path: impl AsRef<Path>, config: Config) -> Result<Engine> {
        let location = Location::File(path.as_ref().to_owned());
        let engine = Engine::with_location(location, config, None);
        let first = engine.open_raw()?;
        engine.checkin(first);
        Ok(engine)
    }

    /// A fresh in-memory database, shared by every session of this engine and gone when the
    /// engine and its sessions are dropped. Without WAL, a session holding a transaction
    /// makes another session's commit wait: use a file for concurrent sessions.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let a = Engine::memory()?;
    /// let b = Engine::memory()?; // another database
    /// a.create_all::<(Team, Hero)>()?;
    /// assert_eq!(Session::new(&a).count(select::<Team>())?, 0);
    /// assert!(Session::new(&b).count(select::<Team>()).is_err()); // no such table
    /// # Ok(())
    /// # }
    /// ```
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
        let config = Config::default();
        let keep = RawConn::Sqlite(backend::sqlite::open_memory(&name, &config)?);
        Ok(Engine::with_location(
            Location::Memory(name),
            config,
            Some(Mutex::new(keep)),
        ))
    }

    /// Opens the database a URL names: `postgres://user:password@host:port/database` (or
    /// `postgresql://`; with the `postgres` feature), `sqlite://path/to/file.db`, or
    /// `sqlite::memory:`. Handy for a `DATABASE_URL` setting:
    ///
    /// ```
    /// # use orm::prelude::*;
    /// let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".into());
    /// # let url = "sqlite::memory:";
    /// let engine = Engine::connect(&url)?;
    /// assert_eq!(engine.dialect(), orm::Dialect::Sqlite);
    /// # Ok::<(), orm::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Url`] for a URL this build cannot open (a PostgreSQL URL without the
    /// `postgres` feature, an unknown scheme); the database's error when it cannot connect.
    pub fn connect(url: &str) -> Result<Engine> {
        Engine::connect_with(url, Config::default())
    }

    /// [`connect`](Self::connect) with connections set up as `config` says (the pool size on
    /// any database; the pragmas on SQLite).
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_with(url: &str, config: Config) -> Result<Engine> {
        if url == "sqlite::memory:" {
            return Engine::memory();
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Engine::open_with(path, config);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Engine::postgres(url, config);
        }
        Err(Error::Url {
            url: url.to_owned(),
            message: "unknown scheme: use postgres://..., sqlite://path or sqlite::memory:"
                .to_owned(),
        })
    }

    #[cfg(feature = "postgres")]
    fn postgres(url: &str, config: Config) -> Result<Engine> {
        let pg = backend::postgres::PgConfig::parse(url).map_err(|e| Error::Url {
            url: "postgres://...".to_owned(),
            message: e.to_string(),
        })?;
        let engine = Engine::with_location(Location::Postgres(Box::new(pg)), config, None);
        let first = engine.open_raw()?;
        engine.checkin(first);
        Ok(engine)
    }

    #[cfg(not(feature = "postgres"))]
    fn postgres(url: &str, _config: Config) -> Result<Engine> {
        let shown = url.split('@').next_back().unwrap_or_default();
        Err(Error::Url {
            url: format!("postgres://...@{shown}"),
            message: "this build has no PostgreSQL backend: enable the `postgres` feature of orm"
                .to_owned(),
        })
    }

    fn with_location(
        location: Location,
        config: Config,
        keep_alive: Option<Mutex<RawConn>>,
    ) -> Engine {
        Engine {
            inner: Arc::new(EngineInner {
                location,
                config,
                echo: AtomicBool::new(false),
                hooks: RwLock::new(Vec::new()),
                pool: Mutex::new(Vec::new()),
                _keep_alive: keep_alive,
            }),
        }
    }

    /// Turns the echo on or off: every statement printed to stderr as
    /// `INFO Engine <SQL>` then `INFO Engine [params] (...)`.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?.echo(true);
    /// engine.create_all::<(Team, Hero)>()?; // INFO Engine BEGIN (implicit), INFO Engine CREATE TABLE ...
    /// assert!(format!("{engine:?}").contains("echo: true"));
    /// engine.set_echo(false);
    /// assert!(format!("{engine:?}").contains("echo: false"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn echo(self, on: bool) -> Engine {
        self.set_echo(on);
        self
    }

    /// Turns the echo on or off on a shared engine. Example: [`echo`](Self::echo).
    pub fn set_echo(&self, on: bool) {
        self.inner.echo.store(on, Ordering::Relaxed);
    }

    /// Calls `hook` with every statement run through this engine, before it runs.
    ///
    /// The hook runs while the session that issued the statement is busy: it must not use
    /// that session or its objects (record what it sees, and look at it afterwards). A
    /// session used inside a hook refuses with [`Error::Reentrant`] instead of deadlocking.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let engine = Engine::memory()?;
    /// engine.create_all::<(Team, Hero)>()?;
    /// let inserts = Arc::new(AtomicUsize::new(0));
    /// let seen = inserts.clone();
    /// engine.on_statement(move |s| {
    ///     if s.sql.starts_with("INSERT") {
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// });
    /// let session = Session::new(&engine);
    /// session.add(&Hero { name: "Deadpond".into(), ..Default::default() }.track())?;
    /// session.commit()?;
    /// assert_eq!(inserts.load(Ordering::Relaxed), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn on_statement(&self, hook: impl Fn(&Statement<'_>) + Send + Sync + 'static) {
        self.inner
            .hooks
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(hook));
    }

    /// Records every statement from now on; handy in tests.
    ///
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?;
    /// engine.create_all::<(Team, Hero)>()?;
    /// let log = engine.capture();
    /// let session = Session::new(&engine);
    /// session.add(&Team { name: "Preventers".into(), ..Default::default() }.track())?;
    /// session.commit()?;
    /// assert_eq!(log.len(), 3);
    /// assert_eq!(log.take_lines(), [
    ///     "BEGIN (implicit)",
    ///     "INSERT INTO team (name) VALUES (?) ('Preventers',)",
    ///     "COMMIT",
    /// ]);
    /// assert!(log.is_empty());
    /// session.count(select::<Team>())?;
    /// let last = log.take().pop().expect("a statement");
    /// assert_eq!((last.sql.as_str(), last.params.len()), ("SELECT count(*) FROM team", 0));
    /// # Ok(())
    /// # }
    /// ```
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
    /// ```
    /// # use orm::prelude::*;
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Team {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     #[orm(relationship(back_populates = "team"))]
    /// #     pub heroes: Many<Hero>,
    /// # }
    /// # #[derive(Table, Debug, Default)]
    /// # pub struct Hero {
    /// #     #[orm(primary_key)]
    /// #     pub id: Option<i64>,
    /// #     pub name: String,
    /// #     pub age: Option<i64>,
    /// #     #[orm(foreign_key = "team.id")]
    /// #     pub team_id: Option<i64>,
    /// #     #[orm(relationship(back_populates = "heroes"))]
    /// #     pub team: One<Team>,
    /// # }
    /// # fn main() -> orm::Result<()> {
    /// let engine = Engine::memory()?;
    /// let log = engine.capture();
    /// engine.create_all::<(Hero, Team)>()?; // `team` first: `hero` references it
    /// let creates: Vec<String> =
    ///     log.take_lines().into_iter().filter(|l| l.starts_with("CREATE")).collect();
    /// assert!(creates[0].starts_with("CREATE TABLE team ("));
    /// assert!(creates[1].starts_with("CREATE TABLE hero ("));
    /// engine.create_all::<(Hero, Team)>()?; // they exist: nothing to do
    /// assert!(log.take_lines().iter().all(|l| !l.starts_with("CREATE")));
    /// engine.drop_all::<(Hero, Team)>()?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// Before anything is created: when a foreign key names a table that is neither in `M`
    /// nor in the database, a column its table does not have, or a column of another SQL
    /// type (for a table already in the database but not in `M`, as the database describes
    /// it), or when a relationship cannot tell which foreign key it follows (the error names
    /// the field). Then, when a statement fails.
    pub fn create_all<M: Tables>(&self) -> Result<()> {
        let tables = dependency_order(&M::metas());
        crate::schema::check_tables(&tables)?;
        let mut conn = self.connection()?;
        conn.begin()?;
        let result = (|| {
            let mut missing = Vec::new();
            for t in &tables {
                if !conn.table_exists(t.name)? {
                    missing.push(*t);
                }
            }
            // A foreign key to a table outside the set: that table is in the database, with
            // the column, of a compatible type.
            for t in &tables {
                for c in t.columns {
                    let Some(fk) = c.foreign_key else { continue };
                    if !tables.iter().any(|x| x.name == fk.table) {
                        let columns = conn.table_columns(fk.table)?;
                        crate::schema::check_existing_reference(t, c, &fk, &columns)?;
                    }
                }
            }
            // PostgreSQL checks that a referenced table exists: a key to a table created
            // later (a cycle) is added once both exist. SQLite checks at write time.
            let checks_references = conn.dialect() == Dialect::Postgres;
            let mut deferred = Vec::new();
            for (n, t) in missing.iter().enumerate() {
                let later: Vec<&str> = if checks_references {
                    missing[n + 1..].iter().map(|l| l.name).collect()
                } else {
                    Vec::new()
                };
                conn.execute(&sql::create_table(t, conn.dialect(), &later), &[])?;
                for index in sql::create_indexes(t) {
                    conn.execute(&index, &[])?;
                }
                deferred.extend(sql::add_foreign_keys(t, &later));
            }
            for statement in deferred {
                conn.execute(&statement, &[])?;
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

    /// Drops the tables of `M` that exist, referencing tables first. Example:
    /// [`create_all`](Self::create_all).
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
        Ok(Conn::new(raw, self.clone()))
    }

    fn checkout(&self) -> Result<RawConn> {
        let pooled = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(c) => Ok(c),
            None => self.open_raw(),
        }
    }

    fn checkin(&self, conn: RawConn) {
        let mut pool = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if pool.len() < self.inner.config.pool_size {
            pool.push(conn);
        }
    }

    fn open_raw(&self) -> Result<RawConn> {
        Ok(match &self.inner.location {
            Location::File(path) => {
                RawConn::Sqlite(backend::sqlite::open_file(path, &self.inner.config)?)
            }
            Location::Memory(uri) => {
                RawConn::Sqlite(backend::sqlite::open_memory(uri, &self.inner.config)?)
            }
            #[cfg(feature = "postgres")]
            Location::Postgres(c) => RawConn::Postgres(Box::new(c.connect()?)),
        })
    }

    /// The SQL dialect of the database.
    pub fn dialect(&self) -> Dialect {
        match &self.inner.location {
            Location::File(_) | Location::Memory(_) => Dialect::Sqlite,
            #[cfg(feature = "postgres")]
            Location::Postgres(_) => Dialect::Postgres,
        }
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
        IN_HOOK.with(|h| h.set(h.get() + 1));
        // Reset even if a hook panics.
        struct Leave;
        impl Drop for Leave {
            fn drop(&mut self) {
                IN_HOOK.with(|h| h.set(h.get().saturating_sub(1)));
            }
        }
        let _leave = Leave;
        for hook in hooks {
            hook(&statement);
        }
    }
}

thread_local! {
    /// How deep this thread is in statement hooks (a hook may run a statement of another
    /// engine, whose hooks then run too).
    static IN_HOOK: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether this thread is running a statement hook (sessions refuse to be used then).
pub(crate) fn in_hook() -> bool {
    IN_HOOK.with(|h| h.get() > 0)
}

/// One statement recorded by [`Engine::capture`] (example there).
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

/// The statements an engine ran since [`Engine::capture`] was called (example there).
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
