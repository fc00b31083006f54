// `foreign_key` takes a string literal "table.column", not a path.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = team.id)]
    pub team_id: Option<i64>,
}

fn main() {}
