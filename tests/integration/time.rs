//! `time` columns (feature `time`): dates, times and date-times stored as fixed-width
//! ISO-8601 text (an `OffsetDateTime` in UTC), through insert, load, filters, order and
//! updates, with `None`.
#![cfg(feature = "time")]

use crate::round_trip;

use orm::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

fn day(y: i32, m: Month, d: u8) -> Date {
    Date::from_calendar_date(y, m, d).expect("valid")
}

fn at(d: Date, h: u8, mi: u8, s: u8, micro: u32) -> PrimitiveDateTime {
    PrimitiveDateTime::new(d, Time::from_hms_micro(h, mi, s, micro).expect("valid"))
}

round_trip!(
    date,
    Date,
    [
        day(999, Month::January, 31),
        day(2026, Month::February, 3),
        day(2026, Month::December, 2)
    ],
    ["0999-01-31", "2026-02-03", "2026-12-02"]
);
round_trip!(
    time_of_day,
    Time,
    [
        Time::from_hms(9, 5, 0).expect("valid"),
        Time::from_hms_micro(15, 4, 5, 5).expect("valid"),
        Time::from_hms_micro(15, 4, 5, 120_000).expect("valid")
    ],
    ["09:05:00.000000", "15:04:05.000005", "15:04:05.120000"]
);
round_trip!(
    primitive,
    PrimitiveDateTime,
    [
        at(day(2026, Month::December, 2), 9, 4, 5, 0),
        at(day(2026, Month::December, 2), 15, 4, 5, 0),
        at(day(2026, Month::December, 2), 15, 4, 5, 1)
    ],
    [
        "2026-12-02 09:04:05.000000",
        "2026-12-02 15:04:05.000000",
        "2026-12-02 15:04:05.000001"
    ]
);
// Stored in UTC: 17:04 at +02:00 is 15:04 UTC, between the other two.
round_trip!(
    offset,
    OffsetDateTime,
    [
        at(day(2026, Month::December, 2), 9, 0, 0, 0).assume_utc(),
        at(day(2026, Month::December, 2), 17, 4, 5, 0)
            .assume_offset(UtcOffset::from_hms(2, 0, 0).expect("valid")),
        at(day(2026, Month::December, 2), 16, 0, 0, 0).assume_utc()
    ],
    [
        "2026-12-02 09:00:00.000000",
        "2026-12-02 15:04:05.000000",
        "2026-12-02 16:00:00.000000"
    ]
);
