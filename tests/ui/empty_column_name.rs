// `column = "..."` cannot be empty.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(column = "")]
    pub name: String,
}

fn main() {}
