// A column's type must implement `SqlType`; `u64` does not (SQLite integers are i64).
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub power: u64,
}

fn main() {}
