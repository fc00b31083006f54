// `back_populates` must name a relationship of the mirroring kind: the other side of a
// `One<T>` is a `Many<_>`, so `One` on both sides is rejected.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "hero.id")]
    pub captain_id: Option<i64>,
    #[orm(relationship(back_populates = "team"))]
    pub captain: One<Hero>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "captain"))]
    pub team: One<Team>,
}

fn main() {}
