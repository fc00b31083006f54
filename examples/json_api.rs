//! Models as the API schema, the way SQLModel uses pydantic: heroes and their team go out as
//! JSON and come back in as new rows, and a JSON body is merged into a stored row. Needs the
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

/// PUT /heroes/{id}: the body is the whole hero. `session.merge` copies its columns onto the
/// stored row (one SELECT by the key; a key with no row would be inserted), setting only the
/// columns whose value differs, so the flush's UPDATE names only those. Relationships in the
/// body are not merged: its `team_id` is, and the hero's `team` follows it.
fn replace_from_json(
    engine: &Engine,
    id: i64,
    body: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut hero: Hero = serde_json::from_str(body)?;
    hero.id = Some(id); // the key comes from the path, not the body
    let session = Session::new(engine);
    let stored = session.merge(&hero.track())?;
    session.commit()?; // UPDATE hero SET age=? WHERE hero.id = ?
    println!("Updated: {}", serde_json::to_string(&stored)?);
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
    let body = r#"{"name": "Deadpond", "secret_name": "Dive Wilson", "age": 32, "team_id": 1}"#;
    replace_from_json(&engine, 1, body)?;
    let engine = engine.echo(false);
    println!("Hero: {}", hero_as_json(&engine, 1)?);
    Ok(())
}
