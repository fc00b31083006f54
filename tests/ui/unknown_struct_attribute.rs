// The struct-level #[orm(...)] takes only `table = "..."`.
use orm::prelude::*;

#[derive(Table)]
#[orm(name = "heroes")]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
}

fn main() {}
