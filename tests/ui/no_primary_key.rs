// Every table needs a primary key: the identity map is keyed by it.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    pub id: Option<i64>,
    pub name: String,
}

fn main() {}
