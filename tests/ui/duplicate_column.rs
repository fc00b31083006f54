// Two fields cannot share a column name (here through `column = "..."`).
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(column = "name")]
    pub display_name: String,
}

fn main() {}
