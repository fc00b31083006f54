// `ondelete` is one of "CASCADE", "SET NULL" and "RESTRICT".
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
    #[orm(foreign_key = "team.id", ondelete = "NO ACTION")]
    pub team_id: Option<i64>,
}

fn main() {}
