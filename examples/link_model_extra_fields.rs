//! SQLModel tutorial "Link Model with Extra Fields": the link between a hero and a team is an
//! object of its own (`HeroTeamLink`) that says whether the hero is still training there.
//! Run with `cargo run --example link_model_extra_fields`.

use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
    pub is_training: bool,
    #[orm(relationship(back_populates = "hero_links"))]
    pub team: One<Team>,
    #[orm(relationship(back_populates = "team_links"))]
    pub hero: One<Hero>,
}

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "team"))]
    pub hero_links: Many<HeroTeamLink>,
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
    #[orm(relationship(back_populates = "hero"))]
    pub team_links: Many<HeroTeamLink>,
}

fn link(team: &Tracked<Team>, hero: &Tracked<Hero>, is_training: bool) -> Tracked<HeroTeamLink> {
    HeroTeamLink {
        team: One::to(team),
        hero: One::to(hero),
        is_training,
        ..Default::default()
    }
    .track()
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
        ..Default::default()
    }
    .track();
    let hero_rusty_man = Hero {
        name: "Rusty-Man".into(),
        secret_name: "Tommy Sharp".into(),
        age: Some(48),
        ..Default::default()
    }
    .track();
    let hero_spider_boy = Hero {
        name: "Spider-Boy".into(),
        secret_name: "Pedro Parqueador".into(),
        ..Default::default()
    }
    .track();
    let deadpond_team_z_link = link(&team_z_force, &hero_deadpond, false);
    let deadpond_preventers_link = link(&team_preventers, &hero_deadpond, true);
    let spider_boy_preventers_link = link(&team_preventers, &hero_spider_boy, true);
    let rusty_man_preventers_link = link(&team_preventers, &hero_rusty_man, false);

    session.add(&deadpond_team_z_link)?;
    session.add(&deadpond_preventers_link)?;
    session.add(&spider_boy_preventers_link)?;
    session.add(&rusty_man_preventers_link)?;
    session.commit()?;

    for link in team_z_force.read()?.hero_links.iter()? {
        let link = link.read()?;
        println!(
            "Z-Force hero: {:?} is training: {}",
            link.hero.get()?,
            link.is_training
        );
    }
    for link in team_preventers.read()?.hero_links.iter()? {
        let link = link.read()?;
        println!(
            "Preventers hero: {:?} is training: {}",
            link.hero.get()?,
            link.is_training
        );
    }
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

    let spider_boy_z_force_link = link(&team_z_force, &hero_spider_boy, true);
    team_z_force
        .read()?
        .hero_links
        .push(&spider_boy_z_force_link)?;
    session.add(&team_z_force)?;
    session.commit()?;

    println!(
        "Updated Spider-Boy's Teams: {:?}",
        hero_spider_boy.read()?.team_links.to_vec()?
    );
    println!(
        "Z-Force heroes: {:?}",
        team_z_force.read()?.hero_links.to_vec()?
    );

    for link in hero_spider_boy.read()?.team_links.iter()? {
        let team = link.read()?.team.get()?;
        if team.is_some_and(|t| t.read().is_ok_and(|t| t.name == "Preventers")) {
            link.write()?.is_training = false;
        }
    }
    session.add(&hero_spider_boy)?;
    session.commit()?;

    for link in hero_spider_boy.read()?.team_links.iter()? {
        let link = link.read()?;
        println!(
            "Spider-Boy team: {:?} is training: {}",
            link.team.get()?,
            link.is_training
        );
    }
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
