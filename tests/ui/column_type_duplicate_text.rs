// Each variant of a text enum needs its own stored text, or reading it back is ambiguous.
use orm::prelude::*;

#[derive(ColumnType)]
pub enum Power {
    Fly,
    #[orm(rename = "Fly")]
    Hover,
}

fn main() {}
