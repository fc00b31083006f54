//! [`Config`]: how an engine sets up each SQLite connection it opens (the pragmas that
//! matter in production: `journal_mode`, `synchronous`, `cache_size`, `busy_timeout`,
//! `foreign_keys`) and how many idle connections its pool keeps.

use std::time::Duration;

/// SQLite's `journal_mode` for a database file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalMode {
    /// Write-ahead log (the default here): readers do not block the writer.
    Wal,
    /// A rollback journal, deleted after each transaction (SQLite's own default).
    Delete,
    /// A rollback journal truncated after each transaction.
    Truncate,
    /// A rollback journal kept and zeroed after each transaction.
    Persist,
    /// No journal: a crash mid-transaction can corrupt the database.
    Off,
}

/// SQLite's `synchronous` setting: how often it waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Never waits: fastest, a power loss can lose or corrupt recent transactions.
    Off,
    /// In WAL mode, waits at checkpoints only: a power loss can lose the last transactions,
    /// never corrupt the file. What most production setups (and the benchmarks) use.
    Normal,
    /// Waits at every commit (SQLite's default).
    Full,
    /// As `Full`, and also for the directory of a deleted journal.
    Extra,
}

/// How an [`Engine`](crate::Engine) sets up its connections; the defaults are WAL, foreign
/// keys on, SQLite's default `synchronous` (FULL) and cache, a 5 s busy timeout and a pool of
/// 8 idle connections.
///
/// ```no_run
/// use orm::{Config, Engine, Synchronous};
/// let config = Config::default().synchronous(Synchronous::Normal).cache_size_kib(64 * 1024);
/// let engine = Engine::open_with("app.db", config)?;
/// # Ok::<(), orm::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) journal_mode: JournalMode,
    pub(crate) synchronous: Option<Synchronous>,
    pub(crate) cache_size_kib: Option<u32>,
    pub(crate) busy_timeout: Duration,
    pub(crate) foreign_keys: bool,
    pub(crate) pool_size: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            journal_mode: JournalMode::Wal,
            synchronous: None,
            cache_size_kib: None,
            busy_timeout: Duration::from_secs(5),
            foreign_keys: true,
            pool_size: 8,
        }
    }
}

impl Config {
    /// `PRAGMA journal_mode` of a database file (an in-memory database keeps its own).
    #[must_use]
    pub fn journal_mode(mut self, mode: JournalMode) -> Self {
        self.journal_mode = mode;
        self
    }

    /// `PRAGMA synchronous`.
    #[must_use]
    pub fn synchronous(mut self, level: Synchronous) -> Self {
        self.synchronous = Some(level);
        self
    }

    /// `PRAGMA cache_size`, in KiB per connection.
    #[must_use]
    pub fn cache_size_kib(mut self, kib: u32) -> Self {
        self.cache_size_kib = Some(kib);
        self
    }

    /// How long a statement waits for a lock held by another connection before it fails
    /// with "database is locked".
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// `PRAGMA foreign_keys` (on by default: SQLite leaves them off).
    #[must_use]
    pub fn foreign_keys(mut self, on: bool) -> Self {
        self.foreign_keys = on;
        self
    }

    /// How many idle connections the pool keeps (at least one is always allowed).
    #[must_use]
    pub fn pool_size(mut self, n: usize) -> Self {
        self.pool_size = n.max(1);
        self
    }
}
