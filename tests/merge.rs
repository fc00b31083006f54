//! `Session::merge`: a detached or transient object's columns copied onto the session's
//! object for that key (from the identity map, else loaded, else new and pending); only the
//! columns that differ are written. The SQL, the rows and which object comes back.

mod common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
}

const HEROES: &str = "SELECT id, name, secret_name, age FROM hero ORDER BY id";
const GET_HERO: &str =
    "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero WHERE hero.id = ?";

fn seeded() -> Db {
    let db = Db::new::<Hero>();
    db.raw(
        "INSERT INTO hero (id, name, secret_name, age) VALUES
             (1, 'Deadpond', 'Dive Wilson', NULL), (2, 'Rusty-Man', 'Tommy Sharp', 48);",
    );
    db
}

#[test]
fn a_detached_object_is_merged_onto_the_loaded_row_and_only_changes_are_written() -> orm::Result<()>
{
    let db = seeded();
    let first = db.session();
    let rusty = first.get::<Hero>(2)?.expect("Rusty-Man");
    first.expunge(&rusty)?;
    rusty.write()?.age = Some(49); // detached: not written by anyone yet
    first.close()?;

    let session = db.session();
    db.forget();
    let merged = session.merge(&rusty)?;
    assert!(merged != rusty);
    assert!(session.get::<Hero>(2)? == Some(merged.clone())); // the session's object
    assert_eq!(merged.read()?.age, Some(49));
    assert_eq!(rusty.status(), orm::Status::Detached); // left as it was
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!("{GET_HERO} (2,)"),
            "UPDATE hero SET age=? WHERE hero.id = ? (49, 2)".into(),
        ]
    );
    assert_eq!(
        db.table(HEROES),
        [
            "1, 'Deadpond', 'Dive Wilson', NULL",
            "2, 'Rusty-Man', 'Tommy Sharp', 49"
        ]
    );
    Ok(())
}

#[test]
fn an_object_in_the_identity_map_takes_the_values_without_a_select() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    let copy = Hero {
        id: Some(1),
        name: "Deadpond".into(),
        secret_name: "Wade Wilson".into(),
        age: Some(30),
    }
    .track();
    db.forget();
    let merged = session.merge(&copy)?;
    assert!(merged == deadpond);
    assert_eq!(deadpond.read()?.secret_name, "Wade Wilson");
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET secret_name=?, age=? WHERE hero.id = ? ('Wade Wilson', 30, 1)"]
    );
    Ok(())
}

#[test]
fn merging_what_the_row_already_says_writes_nothing() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let same = Hero {
        id: Some(2),
        name: "Rusty-Man".into(),
        secret_name: "Tommy Sharp".into(),
        age: Some(48),
    }
    .track();
    let merged = session.merge(&same)?;
    db.forget();
    session.commit()?;
    assert_eq!(db.sql(), Vec::<String>::new());
    assert!(!session.is_modified(&merged));
    Ok(())
}

#[test]
fn a_key_with_no_row_becomes_a_new_pending_object() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let ghost = Hero {
        id: Some(7),
        name: "Tarantula".into(),
        secret_name: "Natalia Roman-on".into(),
        age: Some(32),
    }
    .track();
    let no_key = Hero {
        name: "Spider-Boy".into(),
        secret_name: "Pedro Parqueador".into(),
        ..Default::default()
    }
    .track();
    db.forget();
    let merged = session.merge(&ghost)?;
    let fresh = session.merge(&no_key)?;
    assert_eq!(merged.status(), orm::Status::Pending);
    assert_eq!(fresh.status(), orm::Status::Pending);
    assert_eq!(ghost.status(), orm::Status::Transient);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!("{GET_HERO} (7,)"),
            "INSERT INTO hero (id, name, secret_name, age) VALUES (?, ?, ?, ?) (7, 'Tarantula', 'Natalia Roman-on', 32)".into(),
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Spider-Boy', 'Pedro Parqueador', NULL)".into(),
        ]
    );
    // SQLite takes the next rowid after 7; PostgreSQL's sequence does not know of the 7.
    let next = if db.is_postgres() { 3 } else { 8 };
    assert_eq!(fresh.read()?.id, Some(next));
    assert!(session.get::<Hero>(7)? == Some(merged));
    Ok(())
}

#[test]
fn an_object_of_this_session_is_returned_as_it_is() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    assert!(session.merge(&deadpond)? == deadpond);
    Ok(())
}
