//! Column types beyond the built-in ones of `value`: unsigned 64-bit integers (`unsigned`),
//! and, each behind the cargo feature named after its crate, dates and times (`chrono`,
//! `time`), UUIDs (`uuid`), JSON (`serde_json`) and decimals (`rust_decimal`). Each one
//! implements [`ColumnType`](crate::ColumnType) in the form SQLite's own functions
//! understand, and converts to and from [`Value`](crate::Value); nothing here knows about
//! tables or sessions.
//!
//! Forms stored, all of fixed width where order matters, so that SQL comparisons
//! (`Event::at.gt(date)`, `ORDER BY`) order values as Rust does:
//!
//! | type | SQL type | stored as |
//! |---|---|---|
//! | `u64`, `usize` | `BIGINT` | integer; a value past `i64::MAX` is refused when written |
//! | dates | `DATE` | text `2026-12-02` |
//! | date-times | `DATETIME` | text `2026-12-02 15:04:05.000000` (UTC for the zoned ones) |
//! | times of day | `TIME` | text `15:04:05.000000` |
//! | `Uuid` | `CHAR(32)` | 32 lowercase hex digits, as SQLAlchemy's `Uuid` on SQLite |
//! | `serde_json::Value`, `Json<T>` | `JSON` | JSON text |
//! | `Decimal` | `NUMERIC` | text, exact (SQLite would round a number to a double) |

mod unsigned;

pub(crate) use unsigned::UNSIGNED_SQL_TYPE;
