// `delete_orphan` applies to a one-to-many `Many<T>`, not to a `One<T>`.
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
    #[orm(relationship(delete_orphan))]
    pub team: One<Team>,
}

fn main() {}
