//! Queries, with every statement echoed: eager loading (selectin, joined), a join with a
//! filter on the joined table, `any`, a count, a column query with groups, and a bulk update
//! that keeps the loaded objects in step.
//!
//! `cargo run --example queries`

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "team", order_by = Hero::name))]
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

fn create_heroes(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    let preventers = Team {
        name: "Preventers".into(),
        headquarters: "Sharp Tower".into(),
        ..Default::default()
    }
    .track();
    let z_force = Team {
        name: "Z-Force".into(),
        headquarters: "Sister Margaret's Bar".into(),
        ..Default::default()
    }
    .track();
    for (name, secret_name, age, team) in [
        ("Deadpond", "Dive Wilson", None, Some(&z_force)),
        ("Rusty-Man", "Tommy Sharp", Some(48), Some(&preventers)),
        ("Spider-Boy", "Pedro Parqueador", None, None),
        ("Tarantula", "Natalia Roman-on", Some(32), Some(&preventers)),
        ("Black Lion", "Trevor Challa", Some(35), Some(&z_force)),
        ("Dr. Weird", "Steve Weird", Some(36), Some(&preventers)),
    ] {
        let hero = Hero {
            name: name.into(),
            secret_name: secret_name.into(),
            age,
            ..Default::default()
        }
        .track();
        if let Some(team) = team {
            hero.read()?.team.set(team)?;
        }
        session.add(&hero)?;
    }
    session.commit()
}

fn eager_loading(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    // Two statements for every team and its heroes, instead of one per team.
    let teams = session.exec(select::<Team>().options(selectin(Team::heroes)))?;
    for team in teams {
        let team = team.read()?;
        let names: Vec<String> = team
            .heroes
            .iter()?
            .map(|h| Ok(h.read()?.name.clone()))
            .collect::<orm::Result<_>>()?;
        println!("Team {}: {}", team.name, names.join(", "));
    }
    // One statement for heroes with their team.
    let heroes = session.exec(
        select::<Hero>()
            .options(joined(Hero::team))
            .order_by(Hero::id),
    )?;
    for hero in heroes {
        let hero = hero.read()?;
        let team = match hero.team.get()? {
            Some(t) => t.read()?.name.clone(),
            None => "no team".into(),
        };
        println!("Hero {} is in {}", hero.name, team);
    }
    Ok(())
}

fn filters_and_counts(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    let preventers = session.exec(
        select::<Hero>()
            .join(Hero::team)
            .filter(Team::name.eq("Preventers"))
            .filter(Hero::age.gt(33))
            .order_by(Hero::age.desc()),
    )?;
    for hero in preventers {
        println!("Preventer over 33: {}", hero.read()?.name);
    }
    let with_veterans =
        session.exec(select::<Team>().filter(Team::heroes.any(Hero::age.ge(40))))?;
    for team in with_veterans {
        println!("Team with a hero of 40 or more: {}", team.read()?.name);
    }
    let ageless = session.count(select::<Hero>().filter(Hero::age.eq(None)))?;
    println!("Heroes without an age: {ageless}");
    let per_team: Vec<(String, i64, Option<f64>)> = session.values(
        select::<Team>()
            .join(Team::heroes)
            .columns((Team::name, func::count_all(), func::avg(Hero::age)))
            .group_by(Team::name)
            .order_by(Team::name),
    )?;
    for (team, heroes, average) in per_team {
        println!("Team {team}: {heroes} heroes, average age {average:?}");
    }
    Ok(())
}

fn bulk_update(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    let rusty = session
        .exec(select::<Hero>().filter(Hero::name.eq("Rusty-Man")))?
        .one()?;
    // One UPDATE for every hero over 40; the loaded Rusty-Man follows without a SELECT.
    let touched = session.execute(update::<Hero>().filter(Hero::age.gt(40)).set(Hero::age, 49))?;
    println!(
        "Heroes made 49: {touched}, Rusty-Man is now {:?}",
        rusty.read()?.age
    );
    session.commit()
}

fn main() -> orm::Result<()> {
    // An in-memory SQLite database, or the database DATABASE_URL names (postgres://...).
    let engine = Engine::connect(
        &std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite::memory:".to_owned()),
    )?
    .echo(true);
    engine.create_all::<(Team, Hero)>()?;
    create_heroes(&engine)?;
    eager_loading(&engine)?;
    filters_and_counts(&engine)?;
    bulk_update(&engine)?;
    Ok(())
}
