//! `Session::merge`: a detached or transient object's columns copied onto the session's
//! object for that key (from the identity map, else loaded, else new and pending); only the
//! columns that differ are written. The SQL, the rows and which object comes back; a changed
//! relationship and a copy of another version are refused.

use crate::common;

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

mod linked {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "team"))]
        pub heroes: Many<Player>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Player {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(foreign_key = "team.id")]
        pub team_id: Option<i64>,
        #[orm(relationship(back_populates = "heroes"))]
        pub team: One<Team>,
        #[orm(version)]
        pub version: i64,
    }
}

use linked::{Player, Team};

/// Team 1 with player 1 (version 3).
fn linked_db() -> Db {
    let db = Db::new::<(Team, Player)>();
    db.raw(
        "INSERT INTO team (id, name) VALUES (1, 'Preventers'), (2, 'Z-Force');
         INSERT INTO player (id, name, team_id, version) VALUES (1, 'Rusty-Man', 1, 3);",
    );
    db
}

#[test]
fn a_changed_relationship_is_refused_naming_the_field_and_the_key_to_set() -> orm::Result<()> {
    let db = linked_db();
    let session = db.session();
    let z_force = Team {
        id: Some(2),
        name: "Z-Force".into(),
        ..Default::default()
    }
    .track();
    let copy = Player {
        id: Some(1),
        name: "Rusty-Man".into(),
        team: One::to(&z_force),
        ..Default::default()
    }
    .track();
    let err = session.merge(&copy).expect_err("the team would be lost");
    assert_eq!(
        err.to_string(),
        "Player.team: session.merge copies columns, not relationships, and this one was changed on the object given; set `team_id` (the foreign key) instead"
    );
    let team = Team {
        id: Some(1),
        name: "Preventers".into(),
        heroes: Many::from(vec![copy.clone()]),
    };
    let err = session
        .merge(&team.track())
        .expect_err("the members would be lost");
    assert!(
        err.to_string()
            .starts_with("Team.heroes: session.merge copies columns")
            && err
                .to_string()
                .ends_with("merge each Player on its own and link it to the object merge returns"),
        "{err}"
    );
    // What the message says to write: the key, which moves the player in memory too.
    db.forget();
    let copy = Player {
        id: Some(1),
        name: "Rusty-Man".into(),
        team_id: Some(2),
        ..Default::default()
    }
    .track();
    let player = session.merge(&copy)?;
    session.commit()?;
    assert_eq!(
        db.sql()[1..],
        ["UPDATE player SET team_id=?, version=? WHERE player.id = ? AND player.version = ? (2, 4, 1, 3)"]
    );
    assert_eq!(
        db.table("SELECT id, team_id, version FROM player"),
        ["1, 2, 4"]
    );
    db.forget();
    let z_force = session.get::<Team>(2)?.expect("Z-Force");
    assert!(player.read()?.team.get()? == Some(z_force.clone()));
    assert!(z_force.read()?.heroes.contains(&player)?);
    Ok(())
}

#[test]
fn a_copy_of_another_version_is_stale_and_an_unset_version_merges() -> orm::Result<()> {
    let db = linked_db();
    let session = db.session();
    let stale = Player {
        id: Some(1),
        name: "Rusty".into(),
        team_id: Some(1),
        version: 2,
        ..Default::default()
    }
    .track();
    let err = session.merge(&stale).expect_err("version 2 against 3");
    assert!(matches!(err, orm::Error::StaleVersion { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "session.merge: Player(1) has version = 2 but the row is at 3: the copy was made from another state of the row; load the row again and apply the change to it, or leave version unset (0) to merge onto the current row"
    );
    let player = session.get::<Player>(1)?.expect("player");
    assert_eq!(player.read()?.name, "Rusty-Man"); // nothing copied
    assert!(!session.is_modified(&player));
    for version in [3, 0] {
        let copy = Player {
            id: Some(1),
            name: format!("Rusty v{version}"),
            team_id: Some(1),
            version,
            ..Default::default()
        }
        .track();
        assert!(session.merge(&copy)? == player);
        assert_eq!(player.read()?.version, 3, "the version is the row's");
    }
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE player SET name=?, version=? WHERE player.id = ? AND player.version = ? ('Rusty v0', 4, 1, 3)"]
    );
    Ok(())
}
