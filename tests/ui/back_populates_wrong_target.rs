// `back_populates` must name a relationship that points back at this struct, not at a
// third table.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
    #[orm(relationship(back_populates = "team"))]
    pub sidekicks: Many<Sidekick>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "sidekicks"))]
    pub team: One<Team>,
}

#[derive(Table)]
pub struct Sidekick {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "sidekicks"))]
    pub team: One<Team>,
}

fn main() {}
