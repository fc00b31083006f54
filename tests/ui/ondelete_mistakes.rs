// `ondelete` qualifies a `foreign_key`; "SET NULL" needs a column that can be NULL;
// `passive_deletes` goes on a one-to-many `Many<T>`.
use orm::prelude::*;

#[derive(Table)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
}

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "team.id", ondelete = "SET NULL")]
    pub team_id: i64,
    #[orm(ondelete = "CASCADE")]
    pub mentor_id: Option<i64>,
    #[orm(relationship(passive_deletes))]
    pub team: One<Team>,
}

fn main() {}
