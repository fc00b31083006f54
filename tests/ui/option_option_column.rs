// A nullable column is `Option<T>`; `Option<Option<T>>` is not a column type.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub age: Option<Option<i64>>,
}

fn main() {}
