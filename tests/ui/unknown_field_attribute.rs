// A field attribute that the derive does not know is an error (here a typo of `primary_key`).
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary)]
    pub id: Option<i64>,
    pub name: String,
}

fn main() {}
