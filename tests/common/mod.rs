//! Shared by the integration tests: a database in a temporary file (so rows can be read back
//! with plain rusqlite, independently of the ORM), the statements captured through the
//! engine's hook, and the hero/team models of the tutorials.
#![allow(dead_code)]

pub mod round_trip;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use orm::prelude::*;
use orm::{Captured, Tables};

/// A fresh database with the tables of `M`, and what ran on it.
pub struct Db {
    pub engine: Engine,
    pub log: Captured,
    path: PathBuf,
}

impl Db {
    pub fn new<M: Tables>() -> Db {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let path = std::env::temp_dir().join(format!(
            "orm-test-{}-{}.db",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_file(&path);
        let engine = Engine::open(&path).expect("open database");
        engine.create_all::<M>().expect("create tables");
        let log = engine.capture();
        Db { engine, log, path }
    }

    pub fn session(&self) -> Session {
        Session::new(&self.engine)
    }

    /// The statements run since the last call, as `SQL (params)` lines, without transaction
    /// control (BEGIN / COMMIT / ROLLBACK).
    pub fn sql(&self) -> Vec<String> {
        self.log
            .take_lines()
            .into_iter()
            .filter(|l| !matches!(l.as_str(), "BEGIN (implicit)" | "COMMIT" | "ROLLBACK"))
            .collect()
    }

    /// Every statement since the last call, transaction control included.
    pub fn all_sql(&self) -> Vec<String> {
        self.log.take_lines()
    }

    /// The database file.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Forgets the statements captured so far.
    pub fn forget(&self) {
        self.log.clear();
    }

    /// Rows of a query run with plain rusqlite on a separate connection (committed data
    /// only), each value written as a SQL literal: `1`, `'text'`, `NULL`.
    pub fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let conn = rusqlite::Connection::open(&self.path).expect("open for reading");
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

    /// Like `rows`, each row joined with ", " for compact assertions.
    pub fn table(&self, sql: &str) -> Vec<String> {
        self.rows(sql).into_iter().map(|r| r.join(", ")).collect()
    }

    /// Runs a statement with plain rusqlite (to set up data the ORM would refuse).
    pub fn raw(&self, sql: &str) {
        let conn = rusqlite::Connection::open(&self.path).expect("open for writing");
        conn.execute_batch(sql).expect("raw statement");
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
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
