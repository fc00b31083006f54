//! `Decimal` columns (feature `rust_decimal`): bound as exact text, stored by SQLite as a
//! number (NUMERIC), so filters and order are numeric; through insert, load, filters and
//! updates, with `None`; a value SQLite would round is refused naming the column.
#![cfg(feature = "rust_decimal")]

use crate::common;
use crate::round_trip;

use std::str::FromStr;

use orm::prelude::*;
use orm::rust_decimal::Decimal;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("decimal")
}

// Numeric order, not text order: -10 < 9.99 < 10.
round_trip!(
    decimal,
    Decimal,
    [dec("-10"), dec("9.99"), dec("10.50")],
    ["-10", "9.99", "10.5"]
);

#[derive(Table, Debug, Default)]
pub struct Account {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub balance: Decimal,
}

#[test]
fn sums_and_precise_values_stay_exact() -> orm::Result<()> {
    let db = common::Db::new::<(Account,)>();
    let session = db.session();
    for b in ["0.1", "0.2", "123456789012.345", "9223372036854775807"] {
        session.add(
            &Account {
                balance: dec(b),
                ..Default::default()
            }
            .track(),
        )?;
    }
    session.commit()?;
    let session = db.session();
    let read: Vec<Decimal> = session
        .exec(select::<Account>().order_by(Account::id))?
        .all()
        .iter()
        .map(|a| Ok(a.read()?.balance))
        .collect::<orm::Result<_>>()?;
    assert_eq!(
        read,
        [
            dec("0.1"),
            dec("0.2"),
            dec("123456789012.345"),
            dec("9223372036854775807")
        ]
    );
    let q = select::<Account>()
        .filter(Account::balance.lt(dec("1")))
        .columns((orm::func::sum(Account::balance),));
    assert_eq!(session.values(q)?, [(Some(dec("0.3")),)]);
    Ok(())
}

#[test]
fn a_value_sqlite_would_round_is_refused_naming_the_column() {
    let db = common::Db::new::<(Account,)>();
    let session = db.session();
    let account = Account {
        balance: dec("1234567890.1234567"),
        ..Default::default()
    };
    session.add(&account.track()).unwrap();
    let err = session.commit().unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot store account.balance: 1234567890.1234567 has more significant digits than SQLite keeps in a NUMERIC column (15, or an integer within i64); it would be stored rounded"
    );
}
