// `foreign_key` is "table.column"; both parts must be non-empty identifiers.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.")]
    pub team_id: Option<i64>,
}

fn main() {}
