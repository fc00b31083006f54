//! Column types of your own and unsigned integers: `#[derive(ColumnType)]` on enums (as
//! text, renamed, or as integers) and newtypes, a hand-written `ColumnType`, and `u64` /
//! `usize`, whose values past `i64::MAX` are refused when written, naming the column.

use crate::common;
use crate::round_trip;

use common::Db;
use orm::prelude::*;
use orm::{ConvertError, Error, Value, ValueRef};

#[derive(ColumnType, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Power {
    Fly,
    #[orm(rename = "super strength")]
    Strength,
    Swim,
}

#[derive(ColumnType, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[orm(store = "integer")]
pub enum Level {
    Low = 1,
    Mid = 5,
    High = 10,
}

#[derive(ColumnType, Debug, Clone, Copy, PartialEq)]
#[orm(rename_all = "snake_case")]
pub enum Status {
    OnDuty,
    OffDuty,
}

#[derive(ColumnType, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Email(pub String);

#[derive(ColumnType, Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Meters {
    pub value: f64,
}

/// A hand-written column type: a version `major.minor` stored as the integer
/// `major * 1000 + minor`, so that versions order in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

impl ColumnType for Version {
    const SQL_TYPE: &'static str = "INTEGER";
    fn to_value(&self) -> Value {
        Value::Integer(i64::from(self.major) * 1000 + i64::from(self.minor))
    }
    fn from_sql(v: ValueRef<'_>) -> Result<Self, ConvertError> {
        match v {
            ValueRef::Integer(i) => Ok(Version {
                major: u16::try_from(i / 1000).map_err(|e| ConvertError(e.to_string()))?,
                minor: u16::try_from(i % 1000).map_err(|e| ConvertError(e.to_string()))?,
            }),
            other => Err(ConvertError::expected("an integer version", other)),
        }
    }
}

// In SQL, a text enum orders by its text ('S' < 's'), not by declaration order.
round_trip!(
    text_enum,
    Power,
    [Power::Fly, Power::Swim, Power::Strength],
    ["Fly", "Swim", "super strength"]
);
round_trip!(
    integer_enum,
    Level,
    [Level::Low, Level::Mid, Level::High],
    ["1", "5", "10"]
);
round_trip!(
    newtype,
    Email,
    [
        Email("a@x.org".into()),
        Email("b@x.org".into()),
        Email("c@x.org".into())
    ],
    ["a@x.org", "b@x.org", "c@x.org"]
);
round_trip!(
    named_newtype,
    Meters,
    [
        Meters { value: -1.5 },
        Meters { value: 2.0 },
        Meters { value: 30.25 }
    ],
    ["-1.5", "2", "30.25"]
);
round_trip!(
    hand_written,
    Version,
    [
        Version { major: 1, minor: 2 },
        Version {
            major: 1,
            minor: 10
        },
        Version { major: 2, minor: 0 }
    ],
    ["1002", "1010", "2000"]
);
round_trip!(
    unsigned,
    u64,
    [0, 1 << 40, i64::MAX as u64],
    ["0", "1099511627776", "9223372036854775807"]
);
round_trip!(size, usize, [0, 7, 1 << 33], ["0", "7", "8589934592"]);

#[test]
fn enums_declare_their_sql_type() {
    assert_eq!(<Power as ColumnType>::SQL_TYPE, "VARCHAR(14)");
    assert_eq!(<Level as ColumnType>::SQL_TYPE, "INTEGER");
    assert_eq!(<Email as ColumnType>::SQL_TYPE, "VARCHAR");
    assert_eq!(
        ColumnType::to_value(&Status::OffDuty),
        Value::Text("off_duty".into())
    );
}

#[test]
fn an_unknown_enum_text_is_a_decode_error() {
    let err = <Power as ColumnType>::from_sql(ValueRef::Text(b"Run")).unwrap_err();
    assert_eq!(
        err.0,
        "expected one of the texts of `Power` ('Fly', 'super strength', 'Swim'), found text 'Run'"
    );
    let err = <Level as ColumnType>::from_sql(ValueRef::Integer(2)).unwrap_err();
    assert_eq!(
        err.0,
        "expected one of the discriminants of `Level`, found integer 2"
    );
}

#[derive(Table, Debug, Default)]
pub struct Counter {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub hits: u64,
    pub size: Option<usize>,
}

const OUT_OF_RANGE: &str = "cannot store counter.hits: 18446744073709551615 is out of range: SQLite stores integers as 64-bit signed, so a u64 or usize column holds 0 to 9223372036854775807; use i64, or store larger numbers as text (a newtype over String)";

#[test]
fn a_u64_past_i64_max_is_refused_on_insert_naming_the_column() {
    let db = Db::new::<(Counter,)>();
    let session = db.session();
    let counter = Counter {
        hits: u64::MAX,
        ..Default::default()
    }
    .track();
    session.add(&counter).unwrap();
    let err = session.commit().unwrap_err();
    assert!(
        matches!(err, Error::InvalidValue { column: "hits", .. }),
        "{err}"
    );
    assert_eq!(err.to_string(), OUT_OF_RANGE);
    assert!(db.table("SELECT * FROM counter").is_empty());
}

#[test]
fn a_u64_past_i64_max_is_refused_on_update_and_bulk_update() -> orm::Result<()> {
    let db = Db::new::<(Counter,)>();
    let session = db.session();
    let counter = Counter {
        hits: 3,
        size: Some(4),
        ..Default::default()
    }
    .track();
    session.add(&counter)?;
    session.commit()?;
    counter.write()?.hits = u64::MAX;
    assert_eq!(session.commit().unwrap_err().to_string(), OUT_OF_RANGE);
    session.rollback()?;

    let bulk = orm::update::<Counter>().set(Counter::hits, u64::MAX);
    assert_eq!(session.execute(bulk).unwrap_err().to_string(), OUT_OF_RANGE);
    assert_eq!(db.table("SELECT hits, size FROM counter"), ["3, 4"]);
    Ok(())
}

#[test]
fn filters_with_a_u64_past_i64_max_still_compare_right() -> orm::Result<()> {
    let db = Db::new::<(Counter,)>();
    if db.sqlite_only("a u64 past i64::MAX is stored as text, which PostgreSQL's BIGINT refuses") {
        return Ok(());
    }
    let session = db.session();
    session.add(
        &Counter {
            hits: i64::MAX as u64,
            ..Default::default()
        }
        .track(),
    )?;
    assert_eq!(
        session.count(select::<Counter>().filter(Counter::hits.lt(u64::MAX)))?,
        1
    );
    assert_eq!(
        session.count(select::<Counter>().filter(Counter::hits.ge(u64::MAX)))?,
        0
    );
    assert_eq!(
        session.count(select::<Counter>().filter(Counter::hits.eq(u64::MAX)))?,
        0
    );
    Ok(())
}

#[test]
fn a_negative_integer_in_a_u64_column_is_a_decode_error() {
    let db = Db::new::<(Counter,)>();
    db.raw("INSERT INTO counter (id, hits) VALUES (1, -1)");
    let err = db.session().get::<Counter>(1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot read column `counter.hits`: integer -1 does not fit in u64"
    );
}

#[derive(ColumnType, Debug, Clone, Copy, PartialEq)]
pub enum Mood {
    #[orm(rename = "😀 ünïcödé 'q\"")]
    Happy,
    Sad,
}

#[derive(Table, Debug)]
pub struct Extreme {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub text: String,
    pub big: i64,
    pub real: f64,
    pub mood: Mood,
    pub maybe: Option<f64>,
}

#[test]
fn hostile_text_extreme_numbers_and_unicode_enums_round_trip_and_nan_is_refused() -> orm::Result<()>
{
    let db = Db::new::<Extreme>();
    let session = db.session();
    // PostgreSQL's text cannot hold NUL (the server refuses it, naming the byte): the rest.
    let hostile = if db.is_postgres() {
        "'); DROP TABLE extreme; --\u{202e}🙂\\ \"x\""
    } else {
        "'); DROP TABLE extreme; --\0\u{202e}🙂\\ \"x\""
    };
    let row = Extreme {
        id: None,
        text: hostile.into(),
        big: i64::MIN,
        real: f64::MAX,
        mood: Mood::Happy,
        maybe: Some(f64::NEG_INFINITY),
    };
    session.add(&row.track())?;
    session.commit()?;
    let q = select::<Extreme>()
        .filter(Extreme::text.eq(hostile))
        .filter(Extreme::mood.eq(Mood::Happy))
        .filter(Extreme::big.eq(i64::MIN));
    let got = session.exec(q)?.one()?;
    {
        let g = got.read()?;
        assert_eq!(
            (g.text.as_str(), g.big, g.real, g.mood, g.maybe),
            (
                hostile,
                i64::MIN,
                f64::MAX,
                Mood::Happy,
                Some(f64::NEG_INFINITY)
            )
        );
    }
    assert_eq!(db.table("SELECT mood FROM extreme"), ["'😀 ünïcödé 'q\"'"]);
    got.write()?.real = f64::NAN;
    let err = session.commit().expect_err("NaN");
    assert_eq!(
        err.to_string(),
        "cannot store extreme.real: the value is NaN, which SQLite stores as NULL; store None in an Option<f64> field for a missing number"
    );
    Ok(())
}
