// Forgetting the foreign key of a one-to-many pair is reported on both sides: the `One<T>`
// side has no foreign key to T, and the `Many<T>` side's T has no foreign key back.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
}

fn main() {}
