//! Column types beyond the built-in ones of `value`: unsigned 64-bit integers (`unsigned`),
//! and, each behind the cargo feature named after its crate, dates and times (`chrono`,
//! `time`, sharing the text forms of `datetime`), UUIDs (`uuid`), JSON (`serde_json`) and
//! decimals (`rust_decimal`). Each implements [`ColumnType`](crate::ColumnType) in the form
//! SQLite's own functions understand, converting to and from [`Value`](crate::Value); and
//! [`refuse`] says which values the flush must not write because SQLite would not give them
//! back. Nothing here knows about tables or sessions.
//!
//! Forms stored; where order matters the text has a fixed width, so that SQL comparisons
//! (`Event::at.gt(date)`, `ORDER BY`) order values as Rust does:
//!
//! | type | SQL type | stored as |
//! |---|---|---|
//! | `u64`, `usize` | `BIGINT` | integer; a value past `i64::MAX` is refused when written |
//! | dates | `DATE` | text `2026-12-02` |
//! | times of day | `TIME` | text `15:04:05.000000` |
//! | date-times | `DATETIME` | text `2026-12-02 15:04:05.000000` (UTC for the zoned ones) |
//! | `Uuid` | `CHAR(32)` | 32 lowercase hex digits, as SQLAlchemy's `Uuid` on SQLite |
//! | `serde_json::Value`, `Json<T>` | `JSON` | JSON text |
//! | `Decimal` | `NUMERIC` | bound as exact text, stored by SQLite as a number; more than 15 significant digits refused |

mod unsigned;

#[cfg(feature = "chrono")]
mod chrono;
#[cfg(any(feature = "chrono", feature = "time"))]
mod datetime;
#[cfg(feature = "rust_decimal")]
mod decimal;
#[cfg(feature = "serde_json")]
mod json;
#[cfg(feature = "time")]
mod time;
#[cfg(feature = "uuid")]
mod uuid;

#[cfg(feature = "serde_json")]
pub use json::Json;

use crate::value::Value;

/// The SQL type of JSON columns (SQLAlchemy's `JSON`).
pub(crate) const JSON_SQL_TYPE: &str = "JSON";
/// The SQL type of decimal columns (SQLAlchemy's `Numeric`).
pub(crate) const NUMERIC_SQL_TYPE: &str = "NUMERIC";

/// Why `value` must not be written to a column of SQL type `sql_type`, if it must not: the
/// forms the column types here give to values SQLite would not store as they are.
///
/// - `BIGINT` (u64, usize) with text: a number past `i64::MAX`, never wrapped;
/// - `JSON` with a blob: a value that could not be serialized, carrying the error;
/// - `NUMERIC` (Decimal) with text of more significant digits than SQLite keeps.
pub(crate) fn refuse(sql_type: &str, value: &Value) -> Option<String> {
    match (sql_type, value) {
        (unsigned::UNSIGNED_SQL_TYPE, Value::Text(t)) => Some(format!(
            "{t} is out of range: SQLite stores integers as 64-bit signed, so a u64 or usize column holds 0 to {}; use i64, or store larger numbers as text (a newtype over String)",
            i64::MAX
        )),
        (JSON_SQL_TYPE, Value::Blob(message)) => Some(String::from_utf8_lossy(message).into_owned()),
        (NUMERIC_SQL_TYPE, Value::Text(t)) if !numeric_is_exact(t) => Some(format!(
            "{t} has more significant digits than SQLite keeps in a NUMERIC column (15, or an integer within i64); it would be stored rounded"
        )),
        _ => None,
    }
}

/// Whether SQLite's numeric affinity stores the decimal text `t` without rounding: an
/// integer within `i64`, or a number of at most 15 significant digits. Text that is not a
/// plain decimal number is kept as text by SQLite, so it is exact too.
fn numeric_is_exact(t: &str) -> bool {
    let unsigned = t.strip_prefix('-').unwrap_or(t);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return true;
    }
    if frac.is_empty() && t.parse::<i64>().is_ok() {
        return true;
    }
    let digits = format!("{int}{frac}");
    let significant = digits.trim_start_matches('0').trim_end_matches('0');
    significant.len() <= 15
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_text_is_exact_up_to_fifteen_significant_digits() {
        assert!(numeric_is_exact("12.5"));
        assert!(numeric_is_exact("-9223372036854775808"));
        assert!(numeric_is_exact("0.000000000000000000000000001"));
        assert!(numeric_is_exact("123456789012.345"));
        assert!(!numeric_is_exact("123456789012.3456"));
        assert!(!numeric_is_exact("92233720368547758080"));
        assert!(refuse("BIGINT", &Value::Integer(1)).is_none());
        assert!(refuse("BIGINT", &Value::Text("18446744073709551615".into())).is_some());
    }
}
