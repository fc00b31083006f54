// A table struct is concrete (one struct, one table); generic parameters are rejected.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero<T> {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: T,
}

fn main() {}
