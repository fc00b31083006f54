// #[derive(ColumnType)] on a struct needs exactly one field, the stored value.
use orm::prelude::*;

#[derive(ColumnType)]
pub struct Point(i64, i64);

fn main() {}
