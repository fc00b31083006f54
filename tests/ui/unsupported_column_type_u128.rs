// A column's type must implement `ColumnType`; `u128` does not (SQLite integers are 64-bit
// signed), and the message lists what is supported and how to add a type.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub power: u128,
}

fn main() {}
