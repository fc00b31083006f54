// A `One<T>` / `Many<T>` field needs #[orm(relationship(...))].
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
    pub team: One<Team>,
}

fn main() {}
