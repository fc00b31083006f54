// `relationship(...)` belongs on a `One<T>` or `Many<T>` field, not on a column.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    pub team_id: Option<i64>,
}

fn main() {}
