// #[derive(Table)] needs a struct with named fields; a tuple struct is rejected.
use orm::prelude::*;

#[derive(Table)]
pub struct Hero(Option<i64>, String);

fn main() {}
