// A column's type must implement `SqlType`; `std::time::Instant` does not.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub created: std::time::Instant,
}

fn main() {}
