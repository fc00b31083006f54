//! Models as the API schema, the way SQLModel uses pydantic: heroes and their team go out as
//! JSON and come back in as new rows, and a JSON body updates a stored row. Needs the
//! `serde` feature: `cargo run --example json_api --features serde`.
//!
//! Relationships serialize only when loaded (serializing never runs a lazy load), and a
//! relationship leading back to an object being serialized is cut: a hero's team does not
//! list its heroes again.

use orm::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Table, Serialize, Deserialize, Debug, Default)]
#[serde(default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "team"))]
    #[serde(skip_serializing_if = "Many::serializes_as_none")]
    pub heroes: Many<Hero>,
}

#[derive(Table, Serialize, Deserialize, Debug, Default)]
#[serde(default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    #[serde(skip_serializing_if = "One::serializes_as_none")]
    pub team: One<Team>,
}

/// The fields a client may change (PATCH): absent ones stay as they are.
#[derive(Deserialize, Debug, Default)]
#[serde(default)]
pub struct HeroUpdate {
    pub name: Option<String>,
    pub secret_name: Option<String>,
    pub age: Option<Option<i64>>,
}

/// POST /heroes: a hero with a new team, from a request body.
fn create_from_json(engine: &Engine) -> Result<(), Box<dyn std::error::Error>> {
    let body = r#"[
        {"name": "Deadpond", "secret_name": "Dive Wilson",
         "team": {"name": "Z-Force", "headquarters": "Sister Margaret's Bar"}},
        {"name": "Rusty-Man", "secret_name": "Tommy Sharp", "age": 48,
         "team": {"name": "Preventers", "headquarters": "Sharp Tower"}}
    ]"#;
    let heroes: Vec<Tracked<Hero>> = serde_json::from_str(body)?;
    let session = Session::new(engine);
    session.add_all(&heroes)?; // cascades to the teams
    session.commit()?;
    Ok(())
}

/// GET /teams: every team with its heroes, loaded in two statements.
fn teams_as_json(engine: &Engine) -> Result<String, Box<dyn std::error::Error>> {
    let session = Session::new(engine);
    let teams = session
        .exec(select::<Team>().options(selectin(Team::heroes)))?
        .all();
    Ok(serde_json::to_string_pretty(&teams)?)
}

/// GET /heroes/{id}: a hero with its team (whose heroes are the way back: cut).
fn hero_as_json(engine: &Engine, id: i64) -> Result<String, Box<dyn std::error::Error>> {
    let session = Session::new(engine);
    let q = select::<Hero>()
        .filter(Hero::id.eq(id))
        .options(joined(Hero::team));
    let hero = session.exec(q)?.one()?;
    Ok(serde_json::to_string(&hero)?)
}

/// PATCH /heroes/{id}: load the row, assign the fields the body has; the flush writes only
/// the columns that changed. (A `session.merge` of a deserialized object would do the same
/// in one call once the session has one.)
fn update_from_json(
    engine: &Engine,
    id: i64,
    body: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let patch: HeroUpdate = serde_json::from_str(body)?;
    let session = Session::new(engine);
    let hero = session.get::<Hero>(id)?.ok_or("no such hero")?;
    {
        let mut row = hero.write()?;
        if let Some(name) = patch.name {
            row.name = name;
        }
        if let Some(secret_name) = patch.secret_name {
            row.secret_name = secret_name;
        }
        if let Some(age) = patch.age {
            row.age = age;
        }
    }
    session.commit()?; // UPDATE hero SET age=? WHERE hero.id = ?
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // An in-memory SQLite database, or the database DATABASE_URL names (postgres://...).
    let engine = Engine::connect(
        &std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned()),
    )?;
    engine.create_all::<(Team, Hero)>()?;
    create_from_json(&engine)?;
    println!("Teams: {}", teams_as_json(&engine)?);
    let engine = engine.echo(true);
    update_from_json(&engine, 1, r#"{"age": 32}"#)?;
    let engine = engine.echo(false);
    println!("Hero: {}", hero_as_json(&engine, 1)?);
    Ok(())
}
