// A `skip` field is not stored, so it takes no other attribute.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(skip, index)]
    pub cache: String,
}

fn main() {}
