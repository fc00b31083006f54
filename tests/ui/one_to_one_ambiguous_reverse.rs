// The reverse side of a one-to-one follows one foreign key of its target; with several to
// this table, it names the one with `foreign_key = "<field of the target>"`.
use orm::prelude::*;

#[derive(Table)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship)]
    pub passport: One<Passport>,
}

#[derive(Table)]
pub struct Passport {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "person.id", unique)]
    pub holder_id: Option<i64>,
    #[orm(foreign_key = "person.id", unique)]
    pub issuer_id: Option<i64>,
}

fn main() {}
