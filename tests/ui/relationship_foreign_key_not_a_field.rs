// `relationship(foreign_key = "...")` names a field (`"recipient_id"`), not a `"table.column"`
// as the column attribute `foreign_key` does.
use orm::prelude::*;

#[derive(Table)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
}

#[derive(Table)]
pub struct Message {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub sender_id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub recipient_id: Option<i64>,
    #[orm(relationship(foreign_key = "person.recipient_id"))]
    pub recipient: One<Person>,
}

fn main() {}
