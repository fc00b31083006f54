//! The text forms of dates and times, shared by the `chrono` and `time` column types:
//! `YYYY-MM-DD`, `HH:MM:SS.ffffff` and `YYYY-MM-DD HH:MM:SS.ffffff`, what SQLAlchemy writes
//! on SQLite and what SQLite's date functions read. Written with every field at its full
//! width (microseconds included), so text order is time order for years 0 to 9999; read
//! leniently (fraction optional with 1 to 9 digits, `T` or a space between date and time,
//! a trailing `Z` or `+00:00`), as SQLite's `CURRENT_TIMESTAMP` and other writers store.

use std::fmt::Write as _;

use crate::value::{ConvertError, ValueRef};

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ymd {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

/// A time of day, to the nanosecond (written to the microsecond).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hms {
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nano: u32,
}

pub(crate) const DATE: &str = "DATE";
pub(crate) const TIME: &str = "TIME";
pub(crate) const DATETIME: &str = "DATETIME";
/// PostgreSQL's type for a date and time (`DATE` and `TIME` are the same on both).
pub(crate) const TIMESTAMP: &str = "TIMESTAMP";

pub(crate) fn write_date(d: Ymd) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

pub(crate) fn write_time(t: Hms) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        t.hour,
        t.minute,
        t.second,
        t.nano / 1_000
    )
}

pub(crate) fn write_datetime(d: Ymd, t: Hms) -> String {
    let mut out = write_date(d);
    let _ = write!(out, " {}", write_time(t));
    out
}

/// The text of a column, or why it is not text.
pub(crate) fn text<'a>(v: ValueRef<'a>, what: &str) -> Result<&'a str, ConvertError> {
    match v {
        ValueRef::Text(t) => {
            std::str::from_utf8(t).map_err(|e| ConvertError(format!("text is not UTF-8: {e}")))
        }
        other => Err(ConvertError::expected(what, other)),
    }
}

fn bad(kind: &str, s: &str) -> ConvertError {
    ConvertError(format!(
        "'{s}' is not a {kind} (expected e.g. {})",
        match kind {
            "date" => "'2026-12-02'",
            "time" => "'15:04:05.000000'",
            _ => "'2026-12-02 15:04:05.000000'",
        }
    ))
}

fn number<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn date_part(s: &str) -> Option<Ymd> {
    let (negative, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut parts = rest.splitn(3, '-');
    let year: i32 = number(parts.next()?)?;
    let month = number(parts.next()?)?;
    let day = number(parts.next()?)?;
    Some(Ymd {
        year: if negative { -year } else { year },
        month,
        day,
    })
}

fn time_part(s: &str) -> Option<Hms> {
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .unwrap_or(s);
    let (clock, fraction) = s.split_once('.').unwrap_or((s, ""));
    let mut parts = clock.splitn(3, ':');
    let hour = number(parts.next()?)?;
    let minute = number(parts.next()?)?;
    let second = match parts.next() {
        Some(sec) => number(sec)?,
        None => 0,
    };
    let nano = match fraction {
        "" if !s.ends_with('.') => 0,
        f if f.len() <= 9 => number::<u32>(f)? * 10u32.pow(9 - f.len() as u32),
        _ => return None,
    };
    Some(Hms {
        hour,
        minute,
        second,
        nano,
    })
}

pub(crate) fn parse_date(s: &str) -> Result<Ymd, ConvertError> {
    date_part(s).ok_or_else(|| bad("date", s))
}

pub(crate) fn parse_time(s: &str) -> Result<Hms, ConvertError> {
    time_part(s).ok_or_else(|| bad("time", s))
}

pub(crate) fn parse_datetime(s: &str) -> Result<(Ymd, Hms), ConvertError> {
    // The date may start with '-' (a year before 0), so split after its first character.
    let split = s
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == ' ' || c == 'T')
        .map(|(i, _)| i);
    let parsed = match split {
        Some(i) => date_part(&s[..i]).zip(time_part(&s[i + 1..])),
        None => date_part(s).map(|d| {
            let midnight = Hms {
                hour: 0,
                minute: 0,
                second: 0,
                nano: 0,
            };
            (d, midnight)
        }),
    };
    parsed.ok_or_else(|| bad("date and time", s))
}

/// The error for numbers that do not make a date or time.
pub(crate) fn out_of_range(s: &str) -> ConvertError {
    ConvertError(format!("'{s}' is not a valid date or time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_fixed_width_and_reads_what_sqlite_writes() {
        let d = Ymd {
            year: 2026,
            month: 12,
            day: 2,
        };
        let t = Hms {
            hour: 15,
            minute: 4,
            second: 5,
            nano: 120_000_999,
        };
        assert_eq!(write_datetime(d, t), "2026-12-02 15:04:05.120000");
        assert_eq!(
            parse_datetime("2026-12-02 15:04:05"),
            Ok((d, Hms { nano: 0, ..t }))
        );
        assert_eq!(
            parse_datetime("2026-12-02T15:04:05.12Z"),
            Ok((
                d,
                Hms {
                    nano: 120_000_000,
                    ..t
                }
            ))
        );
        assert_eq!(
            parse_datetime("2026-12-02"),
            Ok((
                d,
                Hms {
                    hour: 0,
                    minute: 0,
                    second: 0,
                    nano: 0
                }
            ))
        );
        assert_eq!(
            parse_time("15:04"),
            Ok(Hms {
                second: 0,
                nano: 0,
                ..t
            })
        );
        assert!(parse_date("2026-1x-02").is_err());
        assert!(parse_datetime("yesterday").is_err());
        assert!(parse_time("15:04:05.1234567890").is_err());
    }
}
