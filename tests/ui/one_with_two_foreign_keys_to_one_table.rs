// A many-to-one needs exactly one foreign key to follow: two fields referencing the same
// column of the target table leave it ambiguous.
use orm::prelude::*;

#[derive(Table)]
pub struct Club {
    #[orm(primary_key)]
    pub id: Option<i64>,
}

#[derive(Table)]
pub struct Player {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "club.id")]
    pub club_id: Option<i64>,
    #[orm(foreign_key = "club.id")]
    pub former_club_id: Option<i64>,
    #[orm(relationship)]
    pub club: One<Club>,
}

fn main() {}
