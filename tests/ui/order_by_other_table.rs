// A query on one table can only be ordered by that table's columns.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
}

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
}

fn heroes_by_team_name() {
    let _ = select::<Hero>().order_by(Team::name);
}

fn main() {}
