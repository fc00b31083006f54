// A newtype is stored as the type it wraps, which must itself be a column type; the error
// is on the wrapped type.
use orm::prelude::*;

#[derive(ColumnType)]
pub struct Stamp(std::time::Instant);

fn main() {}
