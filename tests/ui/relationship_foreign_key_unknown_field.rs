// `relationship(foreign_key = "...")` names a field of the struct holding the foreign key (this
// one for a `One`, the target for a `Many`) that references the other table.
use orm::prelude::*;

#[derive(Table)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "sender", foreign_key = "sender"))]
    pub sent: Many<Message>,
}

#[derive(Table)]
pub struct Message {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub sender_id: Option<i64>,
    #[orm(foreign_key = "person.id")]
    pub recipient_id: Option<i64>,
    pub draft_id: Option<i64>,
    #[orm(relationship(back_populates = "sent", foreign_key = "draft_id"))]
    pub sender: One<Person>,
}

fn main() {}
