//! `Uuid` columns (feature `uuid`), stored as SQLAlchemy's `Uuid` type stores them on SQLite:
//! `CHAR(32)` text of 32 lowercase hex digits without hyphens (fixed width, so text order
//! is byte order, as `Uuid`'s `Ord`). Read leniently: hyphenated text and 16-byte blobs too.

use uuid::Uuid;

use crate::value::{ColumnType, ConvertError, Value, ValueRef};

impl ColumnType for Uuid {
    const SQL_TYPE: &'static str = "CHAR(32)";
    const POSTGRES_TYPE: &'static str = "UUID";
    fn to_value(&self) -> Value {
        Value::Text(self.simple().to_string())
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Text(t) => Uuid::try_parse_ascii(t).map_err(|e| {
                ConvertError(format!(
                    "'{}' is not a UUID: {e}",
                    String::from_utf8_lossy(t)
                ))
            }),
            ValueRef::Blob(b) => {
                Uuid::from_slice(b).map_err(|e| ConvertError(format!("not a UUID: {e}")))
            }
            other => Err(ConvertError::expected("a UUID as 32 hex digits", other)),
        }
    }
}
