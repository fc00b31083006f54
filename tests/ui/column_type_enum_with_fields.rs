// #[derive(ColumnType)] stores fieldless enums only: a variant with fields is refused, on
// the fields, with a pointer to JSON storage.
use orm::prelude::*;

#[derive(ColumnType)]
pub enum Power {
    Fly,
    Swim { depth: i64 },
}

fn main() {}
