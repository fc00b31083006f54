//! Heroes and teams related twice: each hero belongs to at most one team (`Hero.team` and
//! `Team.heroes`, one-to-many through `hero.team_id`), and trains with any number of teams
//! (`Hero.trains_with` and `Team.trainees`, many-to-many through the plain link model
//! `Training`). For tests that mix both kinds of relationship in one session.

use orm::prelude::*;

/// A row per hero training with a team: nothing but the two keys.
#[derive(Table, Debug, Default)]
pub struct Training {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
    #[orm(relationship(back_populates = "trains_with", link_model = Training))]
    pub trainees: Many<Hero>,
}

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub age: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
    #[orm(relationship(back_populates = "trainees", link_model = Training))]
    pub trains_with: Many<Team>,
}

/// The tables, in the order `create_all` takes them.
pub type Models = (Team, Hero, Training);

pub fn team(name: &str) -> Tracked<Team> {
    Team {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

pub fn hero(name: &str) -> Tracked<Hero> {
    Hero {
        name: name.into(),
        ..Default::default()
    }
    .track()
}
