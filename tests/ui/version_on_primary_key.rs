// The `version` column counts a row's UPDATEs: one per table, never part of the key.
use orm::prelude::*;

#[derive(Table)]
pub struct Account {
    #[orm(primary_key, version)]
    pub id: i64,
    #[orm(version)]
    pub a: i64,
    #[orm(version)]
    pub b: i64,
}

fn main() {}
