//! `u64` and `usize` columns. SQLite's integers are 64-bit signed, so these hold 0 to
//! `i64::MAX`. A larger value is never wrapped: it becomes the text of the number, which a
//! comparison in a filter still orders right (SQLite gives the text the column's numeric
//! affinity), and which the flush refuses to write, naming the column
//! (`Error::InvalidValue`).

use crate::value::{ColumnType, ConvertError, Value, ValueRef};

/// The SQL type of `u64` and `usize` columns, which the flush checks for out-of-range values.
pub(crate) const UNSIGNED_SQL_TYPE: &str = "BIGINT";

fn unsigned_value(v: u64) -> Value {
    match i64::try_from(v) {
        Ok(i) => Value::Integer(i),
        Err(_) => Value::Text(v.to_string()),
    }
}

fn unsigned_from_sql(v: ValueRef<'_>, type_name: &str) -> Result<u64, ConvertError> {
    match v {
        ValueRef::Integer(i) => u64::try_from(i)
            .map_err(|_| ConvertError(format!("integer {i} does not fit in {type_name}"))),
        other => Err(ConvertError::expected(
            &format!("an integer ({type_name})"),
            other,
        )),
    }
}

impl ColumnType for u64 {
    const SQL_TYPE: &'static str = UNSIGNED_SQL_TYPE;
    fn to_value(&self) -> Value {
        unsigned_value(*self)
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        unsigned_from_sql(v, "u64")
    }
}

impl ColumnType for usize {
    const SQL_TYPE: &'static str = UNSIGNED_SQL_TYPE;
    fn to_value(&self) -> Value {
        // usize is at most 64 bits on every platform Rust supports.
        unsigned_value(u64::try_from(*self).unwrap_or(u64::MAX))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let n = unsigned_from_sql(v, "usize")?;
        usize::try_from(n).map_err(|_| ConvertError(format!("integer {n} does not fit in usize")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_past_i64_become_text_never_a_wrapped_integer() {
        assert_eq!(ColumnType::to_value(&7u64), Value::Integer(7));
        assert_eq!(
            ColumnType::to_value(&u64::MAX),
            Value::Text("18446744073709551615".into())
        );
        assert!(<u64 as ColumnType>::from_sql(ValueRef::Integer(-1))
            .unwrap_err()
            .0
            .contains("does not fit in u64"));
        assert_eq!(<usize as ColumnType>::from_sql(ValueRef::Integer(3)), Ok(3));
    }
}
