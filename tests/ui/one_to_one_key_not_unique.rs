// The reverse side of a one-to-one (a `One<T>` whose target holds the foreign key) needs that
// key to be unique, so the database allows one holder per row: add `unique` to it.
use orm::prelude::*;

#[derive(Table)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "person"))]
    pub passport: One<Passport>,
}

#[derive(Table)]
pub struct Passport {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub person_id: Option<i64>,
    #[orm(relationship(back_populates = "passport"))]
    pub person: One<Person>,
}

fn main() {}
