//! Shared by the integration tests: a database in a temporary file (so rows can be read back
//! with plain rusqlite, independently of the ORM), the statements captured through the
//! engine's hook, and the hero/team models of the tutorials (and of `training`, heroes in one
//! team who train with many).
#![allow(dead_code)]

pub mod round_trip;
pub mod training;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use orm::prelude::*;
use orm::{Captured, Tables};

/// A fresh database with the tables of `M`, and what ran on it: a SQLite file, or, when the
/// tests run with the `postgres` feature and `ORM_TEST_POSTGRES_URL` set (see
/// `scripts/with-postgres.sh`), a schema of its own on that PostgreSQL server.
pub struct Db {
    pub engine: Engine,
    pub log: Captured,
    place: Place,
}

enum Place {
    File(PathBuf),
    #[cfg(feature = "postgres")]
    Postgres {
        url: String,
        admin: Engine,
        schema: String,
    },
}

static NEXT: AtomicU64 = AtomicU64::new(0);

/// Whether the tests run on PostgreSQL (for tests that open their own databases).
pub fn on_postgres() -> bool {
    cfg!(feature = "postgres") && std::env::var_os("ORM_TEST_POSTGRES_URL").is_some()
}

impl Db {
    pub fn new<M: Tables>() -> Db {
        #[cfg(feature = "postgres")]
        if let Ok(url) = std::env::var("ORM_TEST_POSTGRES_URL") {
            return Db::postgres::<M>(&url);
        }
        let path = std::env::temp_dir().join(format!(
            "orm-test-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        let engine = Engine::open(&path).expect("open database");
        engine.create_all::<M>().expect("create tables");
        let log = engine.capture();
        Db {
            engine,
            log,
            place: Place::File(path),
        }
    }

    #[cfg(feature = "postgres")]
    fn postgres<M: Tables>(admin_url: &str) -> Db {
        let schema = format!(
            "orm_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let admin = Engine::connect(admin_url).expect("connect to ORM_TEST_POSTGRES_URL");
        let setup = Session::new(&admin);
        setup
            .execute_sql(&format!("CREATE SCHEMA {schema}"), ())
            .and_then(|_| setup.commit())
            .expect("create the test schema");
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        // A lock wait that never ends (a leaked transaction) fails the test instead of
        // hanging the run.
        let url =
            format!("{admin_url}{sep}options=-csearch_path%3D{schema}%20-clock_timeout%3D20000");
        let engine = Engine::connect(&url).expect("connect to the test schema");
        engine.create_all::<M>().expect("create tables");
        let log = engine.capture();
        Db {
            engine,
            log,
            place: Place::Postgres { url, admin, schema },
        }
    }

    /// True (and says so) when the tests run on PostgreSQL and this test is about SQLite
    /// itself; the test then returns at once. The README lists these tests and why.
    pub fn sqlite_only(&self, why: &str) -> bool {
        if self.is_postgres() {
            eprintln!("SQLite only ({why}): skipped on PostgreSQL");
        }
        self.is_postgres()
    }

    /// Whether the tests run on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        !matches!(self.place, Place::File(_))
    }

    pub fn session(&self) -> Session {
        Session::new(&self.engine)
    }

    /// The statements run since the last call, as `SQL (params)` lines, without transaction
    /// control (BEGIN / COMMIT / ROLLBACK).
    pub fn sql(&self) -> Vec<String> {
        self.all_sql()
            .into_iter()
            .filter(|l| !matches!(l.as_str(), "BEGIN (implicit)" | "COMMIT" | "ROLLBACK"))
            .collect()
    }

    /// Every statement since the last call, transaction control included. On PostgreSQL the
    /// lines are written back in SQLite's terms (`?` for `$1`, no `RETURNING` of the key an
    /// INSERT reads back), so that one assertion holds on both.
    pub fn all_sql(&self) -> Vec<String> {
        let lines = self.log.take_lines();
        if self.is_postgres() {
            lines.iter().map(|l| as_sqlite(l)).collect()
        } else {
            lines
        }
    }

    /// The database file (SQLite only).
    pub fn path(&self) -> &std::path::Path {
        match &self.place {
            Place::File(path) => path,
            #[cfg(feature = "postgres")]
            Place::Postgres { .. } => panic!("a test about SQLite files ran on PostgreSQL"),
        }
    }

    /// Forgets the statements captured so far.
    pub fn forget(&self) {
        self.log.clear();
    }

    /// Rows of a query run on a separate connection (committed data only), each value
    /// written as a SQL literal: `1`, `'text'`, `NULL`. On SQLite with plain rusqlite.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        match &self.place {
            Place::File(path) => sqlite_rows(path, sql),
            #[cfg(feature = "postgres")]
            Place::Postgres { url, .. } => {
                let engine = Engine::connect(url).expect("connect for reading");
                let rows = Session::new(&engine).query_rows(sql, ()).expect("query");
                rows.into_iter()
                    .map(|r| {
                        r.into_iter()
                            .map(|v| match v {
                                orm::Value::Null => "NULL".to_owned(),
                                orm::Value::Integer(i) => i.to_string(),
                                orm::Value::Real(f) => f.to_string(),
                                orm::Value::Text(t) => format!("'{t}'"),
                                orm::Value::Blob(b) => format!("blob({})", b.len()),
                            })
                            .collect()
                    })
                    .collect()
            }
        }
    }

    /// Like `rows`, each row joined with ", " for compact assertions.
    pub fn table(&self, sql: &str) -> Vec<String> {
        self.rows(sql).into_iter().map(|r| r.join(", ")).collect()
    }

    /// Runs statements (separated by `;`) on a separate connection, to set up data the ORM
    /// would refuse.
    pub fn raw(&self, sql: &str) {
        match &self.place {
            Place::File(path) => {
                let conn = rusqlite::Connection::open(path).expect("open for writing");
                conn.execute_batch(sql).expect("raw statement");
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { url, .. } => {
                let engine = Engine::connect(url).expect("connect for writing");
                let session = Session::new(&engine);
                for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
                    session.execute_sql(statement, ()).expect("raw statement");
                }
                // Rows inserted with their keys leave the identity sequences behind (SQLite
                // takes the next rowid after the largest): move them past the keys.
                let identities = session
                    .query_rows(
                        "SELECT table_name, column_name FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND is_identity = 'YES'",
                        (),
                    )
                    .expect("identity columns");
                for row in identities {
                    let (orm::Value::Text(table), orm::Value::Text(column)) = (&row[0], &row[1])
                    else {
                        continue;
                    };
                    session
                        .query_rows(
                            &format!(
                                "SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), \
                                 COALESCE((SELECT max(\"{column}\") FROM \"{table}\"), 0) + 1, false)"
                            ),
                            (),
                        )
                        .expect("move the identity sequence");
                }
                session.commit().expect("commit raw statements");
            }
        }
    }
}

fn sqlite_rows(path: &std::path::Path, sql: &str) -> Vec<Vec<String>> {
    let conn = rusqlite::Connection::open(path).expect("open for reading");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |row| {
            (0..n)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                        rusqlite::types::ValueRef::Real(v) => v.to_string(),
                        rusqlite::types::ValueRef::Text(t) => {
                            format!("'{}'", String::from_utf8_lossy(t))
                        }
                        rusqlite::types::ValueRef::Blob(b) => format!("blob({})", b.len()),
                    })
                })
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .expect("query");
    rows.map(|r| r.expect("row")).collect()
}

/// A PostgreSQL statement line in SQLite's terms: `$n` → `?` outside quotes, and the
/// ` RETURNING <key>` an INSERT of a database-assigned key carries dropped.
fn as_sqlite(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '$') if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                out.push('?');
                continue;
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        out.push(c);
    }
    // Row values: PostgreSQL's `IN ((?, ?), ...)` is SQLite's `IN (VALUES (?, ?), ...)`.
    out = out.replace(" IN ((", " IN (VALUES (");
    // An offset without a limit: SQLite's `LIMIT -1 OFFSET n`.
    let mut at = 0;
    while let Some(found) = out[at..].find(" OFFSET ") {
        let pos = at + found;
        let before = out[..pos]
            .trim_end_matches(|c: char| c.is_ascii_digit())
            .trim_end();
        if !before.ends_with(" LIMIT") {
            out.insert_str(pos, " LIMIT -1");
            at = pos + " LIMIT -1 OFFSET ".len();
        } else {
            at = pos + " OFFSET ".len();
        }
    }
    if out.starts_with("INSERT INTO ") {
        if let Some(at) = out.find(" RETURNING ") {
            let rest = &out[at + " RETURNING ".len()..];
            let end = rest.find(' ').unwrap_or(rest.len());
            out = format!("{}{}", &out[..at], &rest[end..]);
        }
    }
    out
}

impl Drop for Db {
    fn drop(&mut self) {
        match &self.place {
            Place::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut p = path.clone().into_os_string();
                    p.push(suffix);
                    let _ = std::fs::remove_file(p);
                }
            }
            #[cfg(feature = "postgres")]
            Place::Postgres { admin, schema, .. } => {
                // A session the test leaked may still hold locks in the schema: give up on
                // dropping it after a while (the server is thrown away after the run).
                let session = Session::new(admin);
                let _ = session.execute_sql("SET lock_timeout = 2000", ());
                let _ = session.execute_sql(&format!("DROP SCHEMA {schema} CASCADE"), ());
                let _ = session.commit();
            }
        }
    }
}

/// Heroes and teams linked through `team_id` and relationship fields (one-to-many).
pub mod one_to_many {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(index)]
        pub name: String,
        pub headquarters: String,
        #[orm(relationship(back_populates = "team"))]
        pub heroes: Many<Hero>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(index)]
        pub name: String,
        pub secret_name: String,
        #[orm(index)]
        pub age: Option<i64>,
        #[orm(foreign_key = "team.id")]
        pub team_id: Option<i64>,
        #[orm(relationship(back_populates = "heroes"))]
        pub team: One<Team>,
    }

    pub fn team(name: &str) -> Tracked<Team> {
        Team {
            name: name.into(),
            headquarters: format!("{name} HQ"),
            ..Default::default()
        }
        .track()
    }

    pub fn hero(name: &str) -> Tracked<Hero> {
        Hero {
            name: name.into(),
            secret_name: format!("secret {name}"),
            ..Default::default()
        }
        .track()
    }
}
