//! SQLModel tutorial "Create Connected Rows": heroes and teams linked through the `team_id`
//! field only (no relationship attributes yet). Run with `cargo run --example one_to_many_ids`.

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
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
}

fn create_heroes(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    let team_preventers = Team {
        name: "Preventers".into(),
        headquarters: "Sharp Tower".into(),
        ..Default::default()
    }
    .track();
    let team_z_force = Team {
        name: "Z-Force".into(),
        headquarters: "Sister Margaret's Bar".into(),
        ..Default::default()
    }
    .track();
    session.add(&team_preventers)?;
    session.add(&team_z_force)?;
    session.commit()?;

    let hero_deadpond = Hero {
        name: "Deadpond".into(),
        secret_name: "Dive Wilson".into(),
        team_id: team_z_force.read()?.id,
        ..Default::default()
    }
    .track();
    let hero_rusty_man = Hero {
        name: "Rusty-Man".into(),
        secret_name: "Tommy Sharp".into(),
        age: Some(48),
        team_id: team_preventers.read()?.id,
        ..Default::default()
    }
    .track();
    let hero_spider_boy = Hero {
        name: "Spider-Boy".into(),
        secret_name: "Pedro Parqueador".into(),
        ..Default::default()
    }
    .track();
    session.add(&hero_deadpond)?;
    session.add(&hero_rusty_man)?;
    session.add(&hero_spider_boy)?;
    session.commit()?;

    session.refresh(&hero_deadpond)?;
    session.refresh(&hero_rusty_man)?;
    session.refresh(&hero_spider_boy)?;

    println!("Created hero: {:?}", hero_deadpond.read()?);
    println!("Created hero: {:?}", hero_rusty_man.read()?);
    println!("Created hero: {:?}", hero_spider_boy.read()?);
    Ok(())
}

fn main() -> orm::Result<()> {
    // The tutorial's SQLite file, or the database DATABASE_URL names (postgres://...).
    let engine = match std::env::var("DATABASE_URL") {
        Ok(url) => Engine::connect(&url)?,
        Err(_) => Engine::open("database.db")?,
    }
    .echo(true);
    engine.create_all::<(Team, Hero)>()?;
    create_heroes(&engine)
}
