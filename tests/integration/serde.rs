//! serde (feature `serde`): models serialize with their loaded relationships and without
//! the ones not loaded (no lazy load runs), cycles stop, JSON builds new objects to add, and
//! a JSON body merged into the stored row (`Session::merge`) writes only the changed columns.
#![cfg(feature = "serde")]

use crate::common;

use common::Db;
use orm::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Table, Serialize, Deserialize, Debug, Default)]
#[serde(default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
}

#[derive(Table, Serialize, Deserialize, Debug, Default)]
#[serde(default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub age: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    #[serde(skip_serializing_if = "One::serializes_as_none")]
    pub team: One<Team>,
}

/// Preventers (1) with Rusty-Man (1, 48) and Spider-Boy (2); Deadpond (3) without a team.
fn setup() -> Db {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let preventers = Team {
        name: "Preventers".into(),
        ..Default::default()
    }
    .track();
    for (name, age) in [("Rusty-Man", Some(48)), ("Spider-Boy", None)] {
        let hero = Hero {
            name: name.into(),
            age,
            team: One::to(&preventers),
            ..Default::default()
        };
        session.add(&hero.track()).unwrap();
    }
    session
        .add(
            &Hero {
                name: "Deadpond".into(),
                ..Default::default()
            }
            .track(),
        )
        .unwrap();
    session.commit().unwrap();
    db
}

#[test]
fn relationships_not_loaded_are_left_out_and_not_loaded() -> orm::Result<()> {
    let db = setup();
    let session = db.session();
    let hero = session.get::<Hero>(1)?.expect("hero");
    let team = session.get::<Team>(1)?.expect("team");
    db.forget();
    // `team` is skipped when not loaded (skip_serializing_if); `heroes` is null.
    assert_eq!(
        serde_json::to_value(&hero).unwrap(),
        json!({"id": 1, "name": "Rusty-Man", "age": 48, "team_id": 1})
    );
    assert_eq!(
        serde_json::to_value(&team).unwrap(),
        json!({"id": 1, "name": "Preventers", "heroes": null})
    );
    assert!(db.sql().is_empty(), "serializing ran no SQL");
    Ok(())
}

#[test]
fn loaded_relationships_serialize_and_the_way_back_is_cut() -> orm::Result<()> {
    let db = setup();
    let session = db.session();
    // Teams with their heroes, and each hero's team: a cycle in memory.
    let team = session
        .exec(select::<Team>().options(selectin(Team::heroes)))?
        .one()?;
    let hero = session
        .exec(
            select::<Hero>()
                .filter(Hero::id.eq(1))
                .options(joined(Hero::team)),
        )?
        .one()?;
    assert!(team.read()?.heroes.is_loaded() && hero.read()?.team.is_loaded());
    db.forget();

    // The team's heroes do not show the team again (it is being serialized).
    assert_eq!(
        serde_json::to_value(&team).unwrap(),
        json!({"id": 1, "name": "Preventers", "heroes": [
            {"id": 1, "name": "Rusty-Man", "age": 48, "team_id": 1},
            {"id": 2, "name": "Spider-Boy", "age": null, "team_id": 1},
        ]})
    );
    // The hero's team does not list its heroes again (the way back to the hero).
    assert_eq!(
        serde_json::to_value(&hero).unwrap(),
        json!({"id": 1, "name": "Rusty-Man", "age": 48, "team_id": 1,
               "team": {"id": 1, "name": "Preventers", "heroes": null}})
    );
    assert!(db.sql().is_empty(), "serializing ran no SQL");
    Ok(())
}

#[test]
fn json_builds_new_objects_linked_for_the_session_to_add() -> orm::Result<()> {
    let db = setup();
    let body = r#"{"name": "Tarantula", "age": 32, "team": {"name": "Z-Force"}}"#;
    let hero: Tracked<Hero> = serde_json::from_str(body).unwrap();
    let session = db.session();
    session.add(&hero)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT hero.name, age, team.name FROM hero JOIN team ON team.id = hero.team_id WHERE hero.id = 4"),
        ["'Tarantula', 32, 'Z-Force'"]
    );
    // The team is a new object with the hero in its collection (back_populates).
    let team = hero.read()?.team.get()?.expect("team");
    assert_eq!(team.read()?.heroes.len()?, 1);
    Ok(())
}

#[test]
fn a_json_body_merged_into_the_stored_row_updates_only_the_changed_columns() -> orm::Result<()> {
    let db = setup();
    db.forget();
    let session = db.session();
    // A PUT body for hero 2 with every column; only the age differs from the row.
    let body = r#"{"id": 2, "name": "Spider-Boy", "age": 16, "team_id": 1}"#;
    let hero: Tracked<Hero> = serde_json::from_str(body).unwrap();
    assert_eq!(hero.status(), orm::Status::Transient);
    let stored = session.merge(&hero)?;
    assert_eq!(
        db.sql(),
        ["SELECT hero.id, hero.name, hero.age, hero.team_id FROM hero WHERE hero.id = ? (2,)"]
    );
    assert!(stored != hero, "the session's own object comes back");
    assert_eq!(stored.read()?.age, Some(16));
    assert_eq!(hero.status(), orm::Status::Transient); // the body is left as it is
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? (16, 2)"]
    );
    assert_eq!(
        db.table("SELECT id, name, age, team_id FROM hero ORDER BY id"),
        [
            "1, 'Rusty-Man', 48, 1",
            "2, 'Spider-Boy', 16, 1",
            "3, 'Deadpond', NULL, NULL"
        ]
    );
    // The team in memory lists the hero, both sides agreeing with the row.
    let team = stored.read()?.team.get()?.expect("team");
    assert!(team.read()?.heroes.contains(&stored)?);
    Ok(())
}

#[test]
fn a_json_body_moving_the_hero_to_another_team_writes_the_key_and_both_sides_follow(
) -> orm::Result<()> {
    let db = setup();
    let session = db.session();
    let preventers = session.get::<Team>(1)?.expect("Preventers");
    let rusty = session.get::<Hero>(1)?.expect("Rusty-Man");
    assert!(preventers.read()?.heroes.contains(&rusty)?);
    db.forget();
    // Deadpond's body gives him team 1: only team_id changes.
    let body = r#"{"id": 3, "name": "Deadpond", "age": null, "team_id": 1}"#;
    let deadpond = session.merge(&serde_json::from_str::<Tracked<Hero>>(body).unwrap())?;
    session.commit()?;
    let sql = db.sql();
    assert_eq!(
        sql[1..],
        ["UPDATE hero SET team_id=? WHERE hero.id = ? (1, 3)"]
    );
    assert_eq!(
        db.table("SELECT id, team_id FROM hero ORDER BY id"),
        ["1, 1", "2, 1", "3, 1"]
    );
    assert!(deadpond.read()?.team.get()? == Some(preventers.clone()));
    assert!(preventers.read()?.heroes.contains(&deadpond)?);
    Ok(())
}
