// On a `One<T>`, `delete_orphan` and `passive_deletes` belong to the reverse side of a
// one-to-one (the side without the foreign key); `post_update` to the side holding it.
use orm::prelude::*;

#[derive(Table)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "person", post_update))]
    pub passport: One<Passport>,
}

#[derive(Table)]
pub struct Passport {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "person.id", unique)]
    pub person_id: Option<i64>,
    #[orm(relationship(back_populates = "passport", passive_deletes))]
    pub person: One<Person>,
}

fn main() {}
