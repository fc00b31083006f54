// `lazy = "..."` names one of the loader strategies: select, selectin, joined, raise.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(lazy = "subquery"))]
    pub heroes: Many<Hero>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
}

fn main() {}
