//! `Session::begin_nested`: a closure run inside `SAVEPOINT sa_savepoint_N`. `Err` undoes only
//! its work, in the database and in memory (new objects transient again, deletes undone,
//! changed objects expired); `Ok` releases it; calls nest. The SQL, the rows, the objects.

use crate::common;

use common::Db;
use orm::prelude::*;
use orm::Status;

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(unique)]
    pub name: String,
    pub age: Option<i64>,
}

const HEROES: &str = "SELECT id, name, age FROM hero ORDER BY id";

fn hero(name: &str) -> Tracked<Hero> {
    Hero {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn no() -> orm::Error {
    orm::Error::Query {
        message: "changed my mind".into(),
    }
}

/// Heroes 1 Deadpond (no age), 2 Rusty-Man (48).
fn seeded() -> Db {
    let db = Db::new::<Hero>();
    db.raw("INSERT INTO hero (id, name, age) VALUES (1, 'Deadpond', NULL), (2, 'Rusty-Man', 48);");
    db
}

#[test]
fn an_error_undoes_only_the_inner_work_in_the_database_and_in_memory() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    let kept = hero("Tarantula");
    session.add(&kept)?;
    let undone = hero("Spider-Boy");
    db.forget();
    let result: orm::Result<()> = session.begin_nested(|s| {
        s.add(&undone)?;
        rusty.write()?.age = Some(49);
        s.flush()?;
        assert_eq!(undone.read()?.id, Some(4));
        Err(no())
    });
    assert!(matches!(result, Err(orm::Error::Query { .. })));
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO hero (name, age) VALUES (?, ?) ('Tarantula', NULL)",
            "SAVEPOINT sa_savepoint_1",
            "UPDATE hero SET age=? WHERE hero.id = ? (49, 2)",
            "INSERT INTO hero (name, age) VALUES (?, ?) ('Spider-Boy', NULL)",
            "ROLLBACK TO SAVEPOINT sa_savepoint_1",
            "RELEASE SAVEPOINT sa_savepoint_1",
        ]
    );
    // The new object is transient again, without the key the database gave it.
    assert_eq!(undone.status(), Status::Transient);
    assert_eq!(undone.read()?.id, None);
    // The changed one is expired and reads the restored row.
    assert!(rusty.is_expired());
    assert_eq!(rusty.read()?.age, Some(48));
    // The work before the savepoint stays.
    assert_eq!(kept.status(), Status::Persistent);
    assert!(!session.is_modified(&rusty));
    session.commit()?;
    assert_eq!(
        db.table(HEROES),
        [
            "1, 'Deadpond', NULL",
            "2, 'Rusty-Man', 48",
            "3, 'Tarantula', NULL"
        ]
    );
    Ok(())
}

#[test]
fn ok_flushes_and_releases_and_the_commit_keeps_it() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let spider = hero("Spider-Boy");
    db.forget();
    let id = session.begin_nested(|s| {
        s.add(&spider)?;
        Ok(7)
    })?;
    assert_eq!(id, 7);
    assert_eq!(spider.status(), Status::Persistent);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "SAVEPOINT sa_savepoint_1",
            "INSERT INTO hero (name, age) VALUES (?, ?) ('Spider-Boy', NULL)",
            "RELEASE SAVEPOINT sa_savepoint_1",
        ]
    );
    assert_eq!(db.table(HEROES).len(), 3);
    Ok(())
}

#[test]
fn calls_nest_and_an_inner_error_leaves_the_outer_work() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let outer = hero("Outer");
    let inner = hero("Inner");
    db.forget();
    session.begin_nested(|s| {
        s.add(&outer)?;
        let r: orm::Result<()> = s.begin_nested(|s| {
            s.add(&inner)?;
            s.flush()?;
            Err(no())
        });
        assert!(r.is_err());
        Ok(())
    })?;
    assert_eq!(outer.status(), Status::Persistent);
    assert_eq!(inner.status(), Status::Transient);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "SAVEPOINT sa_savepoint_1",
            "INSERT INTO hero (name, age) VALUES (?, ?) ('Outer', NULL)",
            "SAVEPOINT sa_savepoint_2",
            "INSERT INTO hero (name, age) VALUES (?, ?) ('Inner', NULL)",
            "ROLLBACK TO SAVEPOINT sa_savepoint_2",
            "RELEASE SAVEPOINT sa_savepoint_2",
            "RELEASE SAVEPOINT sa_savepoint_1",
        ]
    );
    assert_eq!(
        db.table(HEROES),
        [
            "1, 'Deadpond', NULL",
            "2, 'Rusty-Man', 48",
            "3, 'Outer', NULL"
        ]
    );
    Ok(())
}

#[test]
fn a_delete_inside_is_undone_and_unflushed_changes_are_discarded() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    db.forget();
    let result: orm::Result<()> = session.begin_nested(|s| {
        s.delete(&deadpond)?;
        s.flush()?;
        rusty.write()?.age = Some(1); // never flushed
        Err(no())
    });
    assert!(result.is_err());
    assert_eq!(deadpond.status(), Status::Persistent);
    assert!(session.get::<Hero>(1)? == Some(deadpond.clone()));
    assert_eq!(rusty.read()?.age, Some(48));
    session.commit()?;
    assert_eq!(db.table(HEROES).len(), 2);
    Ok(())
}

#[test]
fn a_failing_flush_inside_undoes_the_savepoint_and_the_session_goes_on() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let kept = hero("Tarantula");
    session.add(&kept)?;
    let clash = hero("Deadpond"); // the name is unique
    let result = session.begin_nested(|s| s.add(&clash));
    assert!(result.is_err(), "{result:?}");
    assert_eq!(clash.status(), Status::Transient);
    session.commit()?;
    assert_eq!(db.table(HEROES).len(), 3);
    Ok(())
}

#[test]
fn committing_inside_the_closure_is_an_error_that_says_what_to_do() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let result = session.begin_nested(|s| s.commit());
    let err = result.expect_err("the savepoint ended");
    assert!(matches!(err, orm::Error::SavepointEnded));
    assert!(err
        .to_string()
        .contains("commit or roll back after begin_nested returns"));
    // The session is usable.
    session.add(&hero("Tarantula"))?;
    session.commit()?;
    assert_eq!(db.table(HEROES).len(), 3);
    Ok(())
}

#[test]
fn a_commit_that_reports_success_kept_everything_even_after_a_swallowed_failure() -> orm::Result<()>
{
    // Inside the savepoint a statement fails and the closure swallows the error. On SQLite
    // the transaction goes on; on PostgreSQL the failure aborted it, and a COMMIT would be
    // answered with a silent ROLLBACK. Either way: a commit that says Ok kept the work.
    let db = seeded();
    let session = db.session();
    session.add(&hero("Tarantula"))?;
    session.flush()?;
    let inner = session.begin_nested(|s| {
        let _ = s.query_rows("SELECT no_such_column FROM hero", ());
        Ok(())
    });
    let committed = session.commit();
    let names = db.table("SELECT name FROM hero ORDER BY id");
    if committed.is_ok() {
        assert_eq!(
            names,
            ["'Deadpond'", "'Rusty-Man'", "'Tarantula'"],
            "{inner:?}"
        );
    } else {
        assert!(db.is_postgres(), "{committed:?}");
        assert_eq!(names, ["'Deadpond'", "'Rusty-Man'"]);
    }
    Ok(())
}
