// `foreign_key` is "table.column"; a name without a dot is rejected.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "teamid")]
    pub team_id: Option<i64>,
}

fn main() {}
