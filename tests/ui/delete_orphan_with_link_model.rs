// `delete_orphan` applies to a one-to-many `Many<T>`, not to a many-to-many (`link_model`).
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(link_model = HeroTeamLink, delete_orphan))]
    pub heroes: Many<Hero>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
}

#[derive(Table)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

fn main() {}
