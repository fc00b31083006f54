// `relationship(...)` takes only `back_populates`, `link_model`, `delete_orphan` and `lazy`.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(cascade = "all, delete-orphan"))]
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
