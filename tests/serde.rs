//! serde (feature `serde`): models serialize with their loaded relationships and without
//! the ones not loaded (no lazy load runs), cycles stop, JSON builds new objects to add, and
//! a JSON body updates a loaded row with only the changed columns written.
#![cfg(feature = "serde")]

mod common;

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
fn a_json_body_updates_a_loaded_row_writing_only_changed_columns() -> orm::Result<()> {
    let db = setup();
    let session = db.session();
    let hero = session.get::<Hero>(2)?.expect("hero");
    // A PUT body with every column; only the age differs from the row.
    let body: Hero =
        serde_json::from_str(r#"{"name": "Spider-Boy", "age": 16, "team_id": 1}"#).unwrap();
    {
        let mut row = hero.write()?;
        row.name = body.name;
        row.age = body.age;
        row.team_id = body.team_id;
    }
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? (16, 2)"]
    );
    Ok(())
}
