//! `Decimal` columns (feature `rust_decimal`), SQL type `NUMERIC` as SQLAlchemy's
//! `Numeric`. The value is bound as its exact text (`12.50`); SQLite's numeric affinity
//! stores it as a number, so comparisons, `ORDER BY` and `sum()` are numeric, and it reads
//! back equal. SQLite keeps 15 significant digits of a number with a fraction (integers up
//! to `i64` exactly): a value with more would be rounded, so it is refused when written,
//! naming the column, rather than changed (see `types::refuse`).

use rust_decimal::Decimal;

use super::NUMERIC_SQL_TYPE;
use crate::value::{ColumnType, ConvertError, Value, ValueRef};

impl ColumnType for Decimal {
    const SQL_TYPE: &'static str = NUMERIC_SQL_TYPE;
    fn to_value(&self) -> Value {
        // Without trailing zeros: `12.50` and `12.5` are one number to SQLite anyway.
        Value::Text(self.normalize().to_string())
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let parsed = match v {
            ValueRef::Integer(i) => return Ok(Decimal::from(i)),
            // Rounded to the 15 significant digits SQLite keeps: the digits written (the
            // flush lets no more through), and `0.3` for a `sum()` of 0.1 and 0.2.
            ValueRef::Real(f) if f.is_finite() => {
                let text = format!("{f:.14e}");
                Decimal::from_scientific(&text).map_err(|e| (text, e))
            }
            ValueRef::Text(t) => {
                let text = String::from_utf8_lossy(t).into_owned();
                text.parse::<Decimal>()
                    .or_else(|_| Decimal::from_scientific(&text))
                    .map_err(|e| (text, e))
            }
            other => return Err(ConvertError::expected("a decimal number", other)),
        };
        parsed
            .map(|d| d.normalize())
            .map_err(|(text, e)| ConvertError(format!("'{text}' is not a decimal: {e}")))
    }
}
