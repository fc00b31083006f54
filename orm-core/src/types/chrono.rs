//! `chrono` column types (feature `chrono`): `NaiveDate` as `DATE` text `2026-12-02`,
//! `NaiveTime` as `TIME` text `15:04:05.000000`, `NaiveDateTime` and `DateTime<Utc>` as
//! `DATETIME` text `2026-12-02 15:04:05.000000` (UTC for the latter, without an offset, as
//! SQLAlchemy stores it). Microsecond precision, like SQLAlchemy and PostgreSQL: nanoseconds
//! are cut when written.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

use super::datetime::{self, Hms, Ymd};
use crate::value::{ColumnType, ConvertError, Value, ValueRef};

fn ymd(d: NaiveDate) -> Ymd {
    Ymd {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

fn hms(t: NaiveTime) -> Hms {
    Hms {
        hour: t.hour() as u8,
        minute: t.minute() as u8,
        second: t.second() as u8,
        // A leap second's nanoseconds run past 1e9; keep them within the second.
        nano: t.nanosecond().min(999_999_999),
    }
}

fn date(d: Ymd, s: &str) -> Result<NaiveDate, ConvertError> {
    NaiveDate::from_ymd_opt(d.year, d.month.into(), d.day.into())
        .ok_or_else(|| datetime::out_of_range(s))
}

fn time(t: Hms, s: &str) -> Result<NaiveTime, ConvertError> {
    NaiveTime::from_hms_nano_opt(t.hour.into(), t.minute.into(), t.second.into(), t.nano)
        .ok_or_else(|| datetime::out_of_range(s))
}

impl ColumnType for NaiveDate {
    const SQL_TYPE: &'static str = datetime::DATE;
    const POSTGRES_TYPE: &'static str = datetime::DATE;
    fn to_value(&self) -> Value {
        Value::Text(datetime::write_date(ymd(*self)))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let s = datetime::text(v, "a date as text")?;
        date(datetime::parse_date(s)?, s)
    }
}

impl ColumnType for NaiveTime {
    const SQL_TYPE: &'static str = datetime::TIME;
    const POSTGRES_TYPE: &'static str = datetime::TIME;
    fn to_value(&self) -> Value {
        Value::Text(datetime::write_time(hms(*self)))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let s = datetime::text(v, "a time as text")?;
        time(datetime::parse_time(s)?, s)
    }
}

impl ColumnType for NaiveDateTime {
    const SQL_TYPE: &'static str = datetime::DATETIME;
    const POSTGRES_TYPE: &'static str = datetime::TIMESTAMP;
    fn to_value(&self) -> Value {
        Value::Text(datetime::write_datetime(ymd(self.date()), hms(self.time())))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let s = datetime::text(v, "a date and time as text")?;
        let (d, t) = datetime::parse_datetime(s)?;
        Ok(date(d, s)?.and_time(time(t, s)?))
    }
}

impl ColumnType for DateTime<Utc> {
    const SQL_TYPE: &'static str = datetime::DATETIME;
    const POSTGRES_TYPE: &'static str = datetime::TIMESTAMP;
    fn to_value(&self) -> Value {
        ColumnType::to_value(&self.naive_utc())
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        <NaiveDateTime as ColumnType>::from_sql(v).map(|t| t.and_utc())
    }
}
