//! Database-side deletes: `foreign_key = "team.id", ondelete = "..."` in the DDL, and
//! `relationship(passive_deletes)`, which deletes the parent without loading its children
//! and lets the objects in memory follow what the database did (deleted, or key unset). A
//! RESTRICT violation fails the flush, which rolls back and leaves the session usable.

use crate::common;

use common::Db;
use orm::prelude::*;
use orm::{Error, Status};

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "team", passive_deletes))]
    pub heroes: Many<Hero>,
    #[orm(relationship(back_populates = "team", passive_deletes))]
    pub fans: Many<Fan>,
    #[orm(relationship(back_populates = "team", passive_deletes))]
    pub sponsors: Many<Sponsor>,
}

/// Deleted with its team.
#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "team.id", ondelete = "CASCADE")]
    pub team_id: i64,
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
}

/// Keeps existing without a team.
#[derive(Table, Debug, Default)]
pub struct Fan {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "team.id", ondelete = "SET NULL")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "fans"))]
    pub team: One<Team>,
}

/// Keeps its team from being deleted.
#[derive(Table, Debug, Default)]
pub struct Sponsor {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "team.id", ondelete = "RESTRICT")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "sponsors"))]
    pub team: One<Team>,
}

type Models = (Team, Hero, Fan, Sponsor);

const DELETE_TEAM: &str = "DELETE FROM team WHERE team.id = ?";

/// Teams 1 Preventers, 2 Z-Force; heroes 1 Rusty-Man and 2 Spider-Boy (Preventers),
/// 3 Deadpond (Z-Force); fans 1 Ann (Preventers), 2 Bo (Z-Force); sponsor 1 Acme (Z-Force).
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO team (id, name) VALUES (1, 'Preventers'), (2, 'Z-Force');
         INSERT INTO hero (id, name, team_id) VALUES
             (1, 'Rusty-Man', 1), (2, 'Spider-Boy', 1), (3, 'Deadpond', 2);
         INSERT INTO fan (id, name, team_id) VALUES (1, 'Ann', 1), (2, 'Bo', 2);
         INSERT INTO sponsor (id, name, team_id) VALUES (1, 'Acme', 2);",
    );
    db
}

#[test]
fn ondelete_goes_into_the_foreign_key_clause() -> orm::Result<()> {
    let engine = Engine::memory()?;
    let log = engine.capture();
    engine.create_all::<Models>()?;
    let creates: Vec<String> = log
        .take_lines()
        .into_iter()
        .filter(|l| l.starts_with("CREATE TABLE"))
        .collect();
    assert_eq!(
        creates[1..],
        [
            "CREATE TABLE hero (id INTEGER NOT NULL, name VARCHAR NOT NULL, team_id INTEGER NOT NULL, PRIMARY KEY (id), FOREIGN KEY(team_id) REFERENCES team (id) ON DELETE CASCADE)",
            "CREATE TABLE fan (id INTEGER NOT NULL, name VARCHAR NOT NULL, team_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(team_id) REFERENCES team (id) ON DELETE SET NULL)",
            "CREATE TABLE sponsor (id INTEGER NOT NULL, name VARCHAR NOT NULL, team_id INTEGER, PRIMARY KEY (id), FOREIGN KEY(team_id) REFERENCES team (id) ON DELETE RESTRICT)",
        ]
    );
    Ok(())
}

#[test]
fn a_passive_delete_runs_one_delete_and_the_database_does_the_rest() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let preventers = session.get::<Team>(1)?.expect("team 1");
    db.forget();
    session.delete(&preventers)?;
    session.commit()?;
    // No SELECT of heroes, fans or sponsors, no UPDATE of fans.
    assert_eq!(db.sql(), [format!("{DELETE_TEAM} (1,)")]);
    assert_eq!(db.table("SELECT id, name FROM team"), ["2, 'Z-Force'"]);
    assert_eq!(db.table("SELECT id, team_id FROM hero"), ["3, 2"]);
    assert_eq!(
        db.table("SELECT id, team_id FROM fan ORDER BY id"),
        ["1, NULL", "2, 2"]
    );
    Ok(())
}

#[test]
fn children_in_memory_follow_the_database() -> orm::Result<()> {
    let db = seeded();
    let session = db.session().expire_on_commit(false);
    let preventers = session.get::<Team>(1)?.expect("team 1");
    // Loaded by themselves, and through the collection.
    let rusty = session.get::<Hero>(1)?.expect("hero 1");
    let ann = session.get::<Fan>(1)?.expect("fan 1");
    assert!(ann.read()?.team.get()? == Some(preventers.clone()));
    let spider_boy = session.get::<Hero>(2)?.expect("hero 2");
    let deadpond = session.get::<Hero>(3)?.expect("hero 3");
    db.forget();
    session.delete(&preventers)?;
    session.commit()?;
    assert_eq!(db.sql(), [format!("{DELETE_TEAM} (1,)")]);
    // Deleted with their team, in memory as in the database.
    assert_eq!(rusty.status(), Status::Detached);
    assert_eq!(spider_boy.status(), Status::Detached);
    // Key unset, and the relationship with it, without SQL.
    assert_eq!(ann.read()?.team_id, None);
    assert!(ann.read()?.team.get()?.is_none());
    assert!(!session.is_modified(&ann));
    // Others untouched.
    assert_eq!(deadpond.status(), Status::Persistent);
    assert_eq!(deadpond.read()?.team_id, 2);
    assert!(db.sql().is_empty());
    assert!(session.get::<Hero>(1)?.is_none());
    assert_eq!(
        db.table("SELECT id, team_id FROM fan ORDER BY id"),
        ["1, NULL", "2, 2"]
    );
    Ok(())
}

#[test]
fn a_restrict_violation_rolls_the_flush_back_and_the_session_goes_on() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = session.get::<Team>(2)?.expect("team 2");
    let deadpond = session.get::<Hero>(3)?.expect("hero 3");
    let acme = session.get::<Sponsor>(1)?.expect("sponsor 1");
    db.forget();
    session.delete(&z_force)?;
    let err = session.commit().expect_err("a sponsor references Z-Force");
    assert!(
        matches!(&err, Error::Statement { sql, .. } if sql.starts_with("DELETE FROM team")),
        "{err:?}"
    );
    assert_eq!(
        err.db_error().map(orm::DbError::kind),
        Some(orm::DbErrorKind::ForeignKeyViolation),
        "{err}"
    );
    // Nothing was deleted: the hero the database would have cascaded to is still there.
    assert_eq!(db.table("SELECT id FROM team"), ["1", "2"]);
    assert_eq!(db.table("SELECT id FROM hero WHERE team_id = 2"), ["3"]);
    assert_eq!(deadpond.status(), Status::Persistent);
    // The session waits for the rollback (SQLAlchemy's rule), which also drops the pending
    // delete; then delete the sponsor too, and both go (sponsor first).
    assert!(matches!(
        session.commit(),
        Err(Error::PendingRollback { .. })
    ));
    session.rollback()?;
    session.delete(&acme)?;
    session.delete(&z_force)?;
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "DELETE FROM sponsor WHERE sponsor.id = ? (1,)".to_owned(),
            format!("{DELETE_TEAM} (2,)"),
        ]
    );
    assert_eq!(db.table("SELECT id FROM team"), ["1"]);
    assert_eq!(db.table("SELECT id FROM hero"), ["1", "2"]);
    assert_eq!(deadpond.status(), Status::Detached);
    Ok(())
}

#[test]
fn without_passive_deletes_a_cascade_key_deletes_the_loaded_children() -> orm::Result<()> {
    #[derive(Table, Debug, Default)]
    #[orm(table = "team")]
    pub struct EagerTeam {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "team"))]
        pub heroes: Many<EagerHero>,
    }
    #[derive(Table, Debug, Default)]
    #[orm(table = "hero")]
    pub struct EagerHero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(foreign_key = "team.id", ondelete = "CASCADE")]
        pub team_id: i64,
        #[orm(relationship(back_populates = "heroes"))]
        pub team: One<EagerTeam>,
    }
    let db = seeded();
    let session = db.session();
    let preventers = session.get::<EagerTeam>(1)?.expect("team 1");
    db.forget();
    session.delete(&preventers)?;
    session.commit()?;
    // The children are loaded and deleted by the flush (a NOT NULL key cannot be unset).
    let sql = db.sql();
    assert!(sql[0].starts_with("SELECT hero.id"), "{sql:#?}");
    assert_eq!(sql.len(), 4, "{sql:#?}");
    assert!(
        sql[1].starts_with("DELETE FROM hero WHERE hero.id = ?"),
        "{sql:#?}"
    );
    assert_eq!(sql[3], format!("{DELETE_TEAM} (1,)"));
    assert_eq!(db.table("SELECT id FROM hero"), ["3"]);
    Ok(())
}
