// A `Many<T>` without `link_model` is one-to-many: T needs a foreign key to this table.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship)]
    pub heroes: Many<Hero>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub team_id: Option<i64>,
}

fn main() {}
