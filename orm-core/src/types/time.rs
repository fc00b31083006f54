//! `time` column types (feature `time`): `Date` as `DATE` text `2026-12-02`, `Time` as
//! `TIME` text `15:04:05.000000`, `PrimitiveDateTime` and `OffsetDateTime` as `DATETIME`
//! text `2026-12-02 15:04:05.000000` (an `OffsetDateTime` converted to UTC, stored without
//! its offset as SQLAlchemy does, and read back at UTC). Microsecond precision, like
//! SQLAlchemy and PostgreSQL: nanoseconds are cut when written.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::datetime::{self, Hms, Ymd};
use crate::value::{ColumnType, ConvertError, Value, ValueRef};

fn ymd(d: Date) -> Ymd {
    Ymd {
        year: d.year(),
        month: d.month().into(),
        day: d.day(),
    }
}

fn hms(t: Time) -> Hms {
    Hms {
        hour: t.hour(),
        minute: t.minute(),
        second: t.second(),
        nano: t.nanosecond(),
    }
}

fn date(d: Ymd, s: &str) -> Result<Date, ConvertError> {
    let month = Month::try_from(d.month).map_err(|_| datetime::out_of_range(s))?;
    Date::from_calendar_date(d.year, month, d.day).map_err(|_| datetime::out_of_range(s))
}

fn time(t: Hms, s: &str) -> Result<Time, ConvertError> {
    Time::from_hms_nano(t.hour, t.minute, t.second, t.nano).map_err(|_| datetime::out_of_range(s))
}

impl ColumnType for Date {
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

impl ColumnType for Time {
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

impl ColumnType for PrimitiveDateTime {
    const SQL_TYPE: &'static str = datetime::DATETIME;
    const POSTGRES_TYPE: &'static str = datetime::TIMESTAMP;
    fn to_value(&self) -> Value {
        Value::Text(datetime::write_datetime(ymd(self.date()), hms(self.time())))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        let s = datetime::text(v, "a date and time as text")?;
        let (d, t) = datetime::parse_datetime(s)?;
        Ok(PrimitiveDateTime::new(date(d, s)?, time(t, s)?))
    }
}

impl ColumnType for OffsetDateTime {
    const SQL_TYPE: &'static str = datetime::DATETIME;
    const POSTGRES_TYPE: &'static str = datetime::TIMESTAMP;
    fn to_value(&self) -> Value {
        let utc = self.to_offset(UtcOffset::UTC);
        ColumnType::to_value(&PrimitiveDateTime::new(utc.date(), utc.time()))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        <PrimitiveDateTime as ColumnType>::from_sql(v).map(PrimitiveDateTime::assume_utc)
    }
}
