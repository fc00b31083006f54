// Column handles are typed: a column can only be compared with a value of its type.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub age: Option<i64>,
}

fn old_heroes() {
    let _ = select::<Hero>().filter(Hero::age.eq("old"));
}

fn main() {}
