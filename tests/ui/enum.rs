// #[derive(Table)] works on structs only; an enum is rejected.
use orm::prelude::*;

#[derive(Table)]
pub enum Hero {
    Named { id: Option<i64>, name: String },
    Anonymous,
}

fn main() {}
