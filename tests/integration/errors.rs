//! Every mistake a user can make is an error with a message that says what and where, and
//! the library never panics on bad input or bad data.

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Error;

mod loose {
    use orm::prelude::*;
    /// The table as created: everything nullable.
    #[derive(Table, Debug, Default)]
    #[orm(table = "thing")]
    pub struct Loose {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: Option<String>,
        pub small: Option<i64>,
    }
}

mod strict {
    use orm::prelude::*;
    /// The same table, read with stricter Rust types.
    #[derive(Table, Debug, Default)]
    #[orm(table = "thing")]
    pub struct Strict {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        pub small: i8,
    }
}

#[test]
fn a_null_in_a_non_option_field_is_a_decode_error() -> orm::Result<()> {
    let db = Db::new::<(loose::Loose,)>();
    db.raw("INSERT INTO thing (id, name, small) VALUES (1, NULL, 1)");
    let err = db.session().get::<strict::Strict>(1).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                table: "thing",
                column: "name",
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "cannot read column `thing.name`: found NULL where text was expected (use Option<_> for a nullable column)"
    );
    Ok(())
}

#[test]
fn a_value_that_does_not_fit_is_a_decode_error() -> orm::Result<()> {
    let db = Db::new::<(loose::Loose,)>();
    if db.sqlite_only("stores text in an integer column, which only SQLite's dynamic typing allows")
    {
        return Ok(());
    }
    db.raw("INSERT INTO thing (id, name, small) VALUES (1, 'x', 300); INSERT INTO thing (id, name, small) VALUES (2, 'y', 'text')");
    let session = db.session();
    let err = session.get::<strict::Strict>(1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read column `thing.small`: integer 300 does not fit in i8"
    );
    let err = session.get::<strict::Strict>(2).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read column `thing.small`: expected an integer (i8), found text 'text'"
    );
    Ok(())
}

#[test]
fn conflicting_borrows_are_errors_not_deadlocks() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    let guard = h.write()?;
    let err = h.read().map(|_| ()).unwrap_err();
    assert!(
        matches!(err, Error::Borrowed { table: "hero", .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "hero object is already borrowed mutably; drop the other guard first"
    );
    drop(guard);

    // A change in progress (a write guard) is not flushed: an error, before anything runs,
    // that leaves the session usable.
    session.add(&h)?;
    let writing = h.write()?;
    let err = session.flush().unwrap_err();
    assert!(
        matches!(err, Error::Borrowed { .. }),
        "a half-made change is not written: {err}"
    );
    drop(writing);
    assert!(db.sql().is_empty(), "checked before anything was written");
    // A reader does not stop the flush; the new id reaches the field once it is gone.
    let reading = h.read()?;
    session.flush()?;
    assert_eq!(reading.id, None);
    drop(reading);
    assert_eq!(h.read()?.id, Some(1));
    Ok(())
}

#[test]
fn an_object_of_a_dropped_session_is_detached() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let h = hero("Deadpond");
    {
        let session = db.session();
        session.add(&h)?;
        session.commit()?;
    }
    let err = h.read().map(|_| ()).unwrap_err();
    assert!(
        matches!(err, Error::Detached { table: "Hero", .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "Hero object is detached: its session is closed"
    );
    Ok(())
}

#[test]
fn reloading_a_row_deleted_elsewhere_is_an_error() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    db.raw("DELETE FROM hero");
    let err = h.read().map(|_| ()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "row hero(1) no longer exists in the database"
    );
    Ok(())
}

#[test]
fn a_relationship_to_an_object_outside_the_session_is_an_error() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    let outsider = team("Never Added");
    // Through the reverse side alone nothing joins the session...
    outsider.read()?.heroes.push(&h)?;
    let err = session.commit().unwrap_err();
    // ...so the flush cannot write hero.team_id, and says why.
    assert!(
        matches!(err, Error::NotInSession { field: "team", .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "Hero.team refers to a Team object that is not in the session; add it with session.add() first"
    );
    // The session waits for a rollback; the change made on the outsider's side survives it.
    let refused = session.commit().unwrap_err();
    assert!(
        matches!(refused, Error::PendingRollback { .. }),
        "{refused}"
    );
    session.rollback()?;
    session.add(&outsider)?;
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO team (name, headquarters) VALUES (?, ?) ('Never Added', 'Never Added HQ')",
            "UPDATE hero SET team_id=? WHERE hero.id = ? (1, 1)",
        ]
    );
    assert_eq!(
        db.table("SELECT name, team_id FROM hero"),
        ["'Deadpond', 1"]
    );
    Ok(())
}

mod dangling {
    use orm::prelude::*;
    #[derive(Table, Debug, Default)]
    pub struct Orphan {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "nowhere.id")]
        pub nowhere_id: Option<i64>,
    }
}

#[test]
fn create_all_reports_a_foreign_key_to_an_unknown_table() {
    let engine = Engine::memory().expect("memory");
    let err = engine.create_all::<(dangling::Orphan,)>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "schema error: `Orphan.nowhere_id`: foreign_key = \"nowhere.id\" names table `nowhere`, which is neither created here nor in the database; add its model to create_all, or correct the name"
    );
}

#[test]
fn a_memory_engine_is_shared_by_its_sessions() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero)>()?;
    let one = Session::new(&engine);
    one.add(&hero("Deadpond"))?;
    one.commit()?;
    one.close()?;
    let two = Session::new(&engine);
    assert_eq!(two.exec(select::<Hero>())?.len(), 1);
    Ok(())
}

#[test]
fn linking_an_object_of_another_session_changes_nothing() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let (one, two) = (db.session(), db.session());
    let t = team("Preventers");
    let h = hero("Deadpond");
    one.add(&t)?;
    two.add(&h)?;
    let err = h.read()?.team.set(&t).unwrap_err();
    assert!(
        matches!(err, Error::OtherSession { table: "Team" }),
        "{err}"
    );
    assert!(h.read()?.team.get()?.is_none(), "this side unchanged");
    assert!(t.read()?.heroes.is_empty()?, "the other side unchanged");
    let err = t.read()?.heroes.push(&h).unwrap_err();
    assert!(
        matches!(err, Error::OtherSession { table: "Hero" }),
        "{err}"
    );
    assert!(t.read()?.heroes.is_empty()?);
    // Through a write guard the error comes with the next flush, once.
    h.write()?.team = One::to(&t);
    assert!(matches!(
        two.flush().unwrap_err(),
        Error::OtherSession { .. }
    ));
    assert!(h.read()?.team.get()?.is_none());
    two.rollback()?;
    two.add(&h)?;
    two.commit()?;
    assert_eq!(
        db.table("SELECT name, team_id FROM hero"),
        ["'Deadpond', NULL"]
    );
    Ok(())
}
