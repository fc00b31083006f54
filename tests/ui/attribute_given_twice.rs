// A flag attribute (`primary_key`, `index`, `unique`) may be given only once per field.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index, index)]
    pub name: String,
}

fn main() {}
