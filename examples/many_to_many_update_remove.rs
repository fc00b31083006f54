//! SQLModel tutorial "Update and Remove Many-to-Many Relationships": linking and unlinking
//! a hero and a team with plain collection operations; the session writes the link rows.
//! Run with `cargo run --example many_to_many_update_remove`.

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "teams", link_model = HeroTeamLink))]
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
    #[orm(relationship(back_populates = "heroes", link_model = HeroTeamLink))]
    pub teams: Many<Team>,
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
        name: "Deadpond".into(),
        secret_name: "Dive Wilson".into(),
        teams: Many::from([&team_z_force, &team_preventers]),
        ..Default::default()
    }
    .track();
    let hero_rusty_man = Hero {
        name: "Rusty-Man".into(),
        secret_name: "Tommy Sharp".into(),
        age: Some(48),
        teams: Many::from([&team_preventers]),
        ..Default::default()
    }
    .track();
    let hero_spider_boy = Hero {
        name: "Spider-Boy".into(),
        secret_name: "Pedro Parqueador".into(),
        teams: Many::from([&team_preventers]),
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

    println!("Deadpond: {:?}", hero_deadpond.read()?);
    println!(
        "Deadpond teams: {:?}",
        hero_deadpond.read()?.teams.to_vec()?
    );
    println!("Rusty-Man: {:?}", hero_rusty_man.read()?);
    println!(
        "Rusty-Man Teams: {:?}",
        hero_rusty_man.read()?.teams.to_vec()?
    );
    println!("Spider-Boy: {:?}", hero_spider_boy.read()?);
    println!(
        "Spider-Boy Teams: {:?}",
        hero_spider_boy.read()?.teams.to_vec()?
    );
    Ok(())
}

fn update_heroes(engine: &Engine) -> orm::Result<()> {
    let session = Session::new(engine);
    let hero_spider_boy = session
        .exec(select::<Hero>().filter(Hero::name.eq("Spider-Boy")))?
        .one()?;
    let team_z_force = session
        .exec(select::<Team>().filter(Team::name.eq("Z-Force")))?
        .one()?;

    team_z_force.read()?.heroes.push(&hero_spider_boy)?;
    session.add(&team_z_force)?;
    session.commit()?;

    println!(
        "Updated Spider-Boy's Teams: {:?}",
        hero_spider_boy.read()?.teams.to_vec()?
    );
    println!(
        "Z-Force heroes: {:?}",
        team_z_force.read()?.heroes.to_vec()?
    );

    hero_spider_boy.read()?.teams.remove(&team_z_force)?;
    session.add(&team_z_force)?;
    session.commit()?;

    println!(
        "Reverted Z-Force's heroes: {:?}",
        team_z_force.read()?.heroes.to_vec()?
    );
    println!(
        "Reverted Spider-Boy's teams: {:?}",
        hero_spider_boy.read()?.teams.to_vec()?
    );
    Ok(())
}

fn main() -> orm::Result<()> {
    // The tutorial's SQLite file, or the database DATABASE_URL names (postgres://...).
    let engine = match std::env::var("DATABASE_URL") {
        Ok(url) => Engine::connect(&url)?,
        Err(_) => Engine::open("database.db")?,
    }
    .echo(true);
    engine.create_all::<(Team, Hero, HeroTeamLink)>()?;
    create_heroes(&engine)?;
    update_heroes(&engine)
}
