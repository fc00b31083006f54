// LIKE patterns (like, contains, starts_with, ends_with) only apply to text columns.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub age: Option<i64>,
}

fn heroes_in_their_forties() {
    let _ = select::<Hero>().filter(Hero::age.like("4%"));
}

fn main() {}
