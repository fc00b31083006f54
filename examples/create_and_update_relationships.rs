//! SQLModel tutorial "Create and Update Relationships": heroes and teams linked through
//! relationship fields; the session works out the insert order and fills in `team_id`.
//! Run with `cargo run --example create_and_update_relationships`.

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
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
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
}

fn hero(name: &str, secret_name: &str, age: Option<i64>) -> Hero {
    Hero {
        name: name.into(),
        secret_name: secret_name.into(),
        age,
        ..Default::default()
    }
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

    let hero_deadpond = Hero {
        team: One::to(&team_z_force),
        ..hero("Deadpond", "Dive Wilson", None)
    }
    .track();
    let hero_rusty_man = Hero {
        team: One::to(&team_preventers),
        ..hero("Rusty-Man", "Tommy Sharp", Some(48))
    }
    .track();
    let hero_spider_boy = hero("Spider-Boy", "Pedro Parqueador", None).track();
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

    hero_spider_boy.read()?.team.set(&team_preventers)?;
    session.add(&hero_spider_boy)?;
    session.commit()?;
    session.refresh(&hero_spider_boy)?;
    println!("Updated hero: {:?}", hero_spider_boy.read()?);

    let hero_black_lion = hero("Black Lion", "Trevor Challa", Some(35)).track();
    let hero_sure_e = hero("Princess Sure-E", "Sure-E", None).track();
    let team_wakaland = Team {
        name: "Wakaland".into(),
        headquarters: "Wakaland Capital City".into(),
        heroes: Many::from([&hero_black_lion, &hero_sure_e]),
        ..Default::default()
    }
    .track();
    session.add(&team_wakaland)?;
    session.commit()?;
    session.refresh(&team_wakaland)?;
    println!("Team Wakaland: {:?}", team_wakaland.read()?);

    let hero_tarantula = hero("Tarantula", "Natalia Roman-on", Some(32)).track();
    let hero_dr_weird = hero("Dr. Weird", "Steve Weird", Some(36)).track();
    let hero_cap = hero("Captain North America", "Esteban Rogelios", Some(93)).track();

    let preventers = team_preventers.read()?;
    preventers.heroes.push(&hero_tarantula)?;
    preventers.heroes.push(&hero_dr_weird)?;
    preventers.heroes.push(&hero_cap)?;
    drop(preventers);
    session.add(&team_preventers)?;
    session.commit()?;
    session.refresh(&hero_tarantula)?;
    session.refresh(&hero_dr_weird)?;
    session.refresh(&hero_cap)?;
    println!("Preventers new hero: {:?}", hero_tarantula.read()?);
    println!("Preventers new hero: {:?}", hero_dr_weird.read()?);
    println!("Preventers new hero: {:?}", hero_cap.read()?);
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
