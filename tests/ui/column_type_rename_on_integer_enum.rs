// An enum stored as integers stores its discriminants: `rename` (the stored text) does not
// apply, and an unknown `store` is refused with the two choices.
use orm::prelude::*;

#[derive(ColumnType)]
#[orm(store = "integer")]
pub enum Level {
    Low = 1,
    #[orm(rename = "high")]
    High = 2,
}

#[derive(ColumnType)]
#[orm(store = "json")]
pub enum Mode {
    On,
}

fn main() {}
