// A `One<T>` is many-to-one: this struct needs a field with a foreign key to T's table.
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
    pub team_id: Option<i64>,
    #[orm(relationship)]
    pub team: One<Team>,
}

fn main() {}
