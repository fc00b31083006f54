// `link_model` makes a many-to-many relationship, so it belongs on a `Many<T>`, not a `One<T>`.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(link_model = HeroTeamLink))]
    pub team: One<Team>,
}

#[derive(Table)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

fn main() {}
