//! `chrono` columns (feature `chrono`): dates, times and date-times stored as fixed-width
//! ISO-8601 text, through insert, load, filters, order and updates, with `None`.
#![cfg(feature = "chrono")]

use crate::common;
use crate::round_trip;

use orm::chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, micro: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, mo, d)
        .and_then(|d| d.and_hms_micro_opt(h, mi, s, micro))
        .expect("valid")
}

round_trip!(
    date,
    NaiveDate,
    [
        NaiveDate::from_ymd_opt(999, 1, 31).expect("valid"),
        NaiveDate::from_ymd_opt(2026, 2, 3).expect("valid"),
        NaiveDate::from_ymd_opt(2026, 12, 2).expect("valid")
    ],
    ["0999-01-31", "2026-02-03", "2026-12-02"]
);
round_trip!(
    time_of_day,
    NaiveTime,
    [
        NaiveTime::from_hms_opt(9, 5, 0).expect("valid"),
        NaiveTime::from_hms_micro_opt(15, 4, 5, 5).expect("valid"),
        NaiveTime::from_hms_micro_opt(15, 4, 5, 120_000).expect("valid")
    ],
    ["09:05:00.000000", "15:04:05.000005", "15:04:05.120000"]
);
round_trip!(
    datetime,
    NaiveDateTime,
    [
        at(2026, 12, 2, 9, 4, 5, 0),
        at(2026, 12, 2, 15, 4, 5, 0),
        at(2026, 12, 2, 15, 4, 5, 1)
    ],
    [
        "2026-12-02 09:04:05.000000",
        "2026-12-02 15:04:05.000000",
        "2026-12-02 15:04:05.000001"
    ]
);
round_trip!(
    utc,
    DateTime<Utc>,
    [
        at(1999, 12, 31, 23, 59, 59, 999_999).and_utc(),
        at(2026, 12, 2, 15, 4, 5, 0).and_utc(),
        at(2030, 1, 1, 0, 0, 0, 0).and_utc()
    ],
    [
        "1999-12-31 23:59:59.999999",
        "2026-12-02 15:04:05.000000",
        "2030-01-01 00:00:00.000000"
    ]
);

mod forms {
    use super::*;
    use orm::{ColumnType, Value, ValueRef};

    #[test]
    fn reads_what_sqlite_writes_and_cuts_nanoseconds() {
        // CURRENT_TIMESTAMP's form, and ISO-8601 with a T and a Z.
        let read = |s: &str| <NaiveDateTime as ColumnType>::from_sql(ValueRef::Text(s.as_bytes()));
        assert_eq!(
            read("2026-12-02 15:04:05"),
            Ok(at(2026, 12, 2, 15, 4, 5, 0))
        );
        assert_eq!(
            read("2026-12-02T15:04:05.5Z"),
            Ok(at(2026, 12, 2, 15, 4, 5, 500_000))
        );
        assert!(read("2026-02-30 00:00:00")
            .unwrap_err()
            .0
            .contains("not a valid date"));
        let nanos = NaiveTime::from_hms_nano_opt(1, 2, 3, 456_789_999).expect("valid");
        assert_eq!(
            ColumnType::to_value(&nanos),
            Value::Text("01:02:03.456789".into())
        );
    }

    #[test]
    fn sqlite_date_functions_read_the_stored_text() {
        let db = common::Db::new::<(datetime::Thing,)>();
        db.raw("INSERT INTO thing (value) VALUES ('2026-12-02 15:04:05.250000')");
        assert_eq!(
            db.table("SELECT date(value), strftime('%H:%M:%f', value) FROM thing"),
            ["'2026-12-02', '15:04:05.250'"]
        );
    }
}
