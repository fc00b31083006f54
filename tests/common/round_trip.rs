//! `round_trip!`: the same checks for every column type. A table `thing` with a `value`
//! column of the type and a nullable `maybe` one; three values `low < mid < high` go through
//! insert, load, filters, `ORDER BY`, an update of the object and a bulk update, with
//! `None`; the text SQLite holds is compared with the storage form expected.

/// `round_trip!(module, Type, [low, mid, high], ["stored low", "stored mid", "stored high"])`
/// writes a test module; `@unordered` before the module name leaves out the order checks
/// (for JSON, whose text does not order like the values).
#[macro_export]
macro_rules! round_trip {
    (@unordered $name:ident, $t:ty, [$low:expr, $mid:expr, $high:expr], $stored:expr) => {
        $crate::round_trip!(@module $name, $t, [$low, $mid, $high], $stored, false);
    };
    ($name:ident, $t:ty, [$low:expr, $mid:expr, $high:expr], $stored:expr) => {
        $crate::round_trip!(@module $name, $t, [$low, $mid, $high], $stored, true);
    };
    (@module $name:ident, $t:ty, [$low:expr, $mid:expr, $high:expr], $stored:expr, $ordered:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[allow(unused_imports)]
            use orm::prelude::*;

            #[derive(Table, Debug)]
            pub struct Thing {
                #[orm(primary_key)]
                pub id: Option<i64>,
                pub value: $t,
                pub maybe: Option<$t>,
            }

            fn low() -> $t {
                $low
            }
            fn mid() -> $t {
                $mid
            }
            fn high() -> $t {
                $high
            }

            fn ids(session: &Session, q: orm::Select<Thing>) -> orm::Result<Vec<i64>> {
                session
                    .exec(q)?
                    .all()
                    .iter()
                    .map(|t| Ok(t.read()?.id.expect("stored")))
                    .collect()
            }

            fn literal(s: &str) -> String {
                if s == "NULL" || s.parse::<f64>().is_ok() {
                    s.to_owned()
                } else {
                    format!("'{s}'")
                }
            }

            #[test]
            fn round_trips_through_insert_load_filter_and_update() -> orm::Result<()> {
                let db = $crate::common::Db::new::<(Thing,)>();
                let session = db.session();
                for (value, maybe) in [(mid(), Some(low())), (high(), None), (low(), Some(high()))] {
                    session.add(&Thing { id: None, value, maybe }.track())?;
                }
                session.commit()?;
                let stored: [&str; 3] = $stored;
                assert_eq!(
                    db.table("SELECT value, maybe FROM thing ORDER BY id"),
                    [
                        format!("{}, {}", literal(stored[1]), literal(stored[0])),
                        format!("{}, NULL", literal(stored[2])),
                        format!("{}, {}", literal(stored[0]), literal(stored[2])),
                    ]
                );

                let session = db.session();
                let all = session.exec(select::<Thing>().order_by(Thing::id))?.all();
                let read: Vec<($t, Option<$t>)> = all
                    .iter()
                    .map(|t| {
                        let t = t.read()?;
                        Ok((t.value.clone(), t.maybe.clone()))
                    })
                    .collect::<orm::Result<_>>()?;
                assert_eq!(read, [(mid(), Some(low())), (high(), None), (low(), Some(high()))]);

                assert_eq!(ids(&session, select::<Thing>().filter(Thing::value.eq(low())))?, [3]);
                assert_eq!(ids(&session, select::<Thing>().filter(Thing::maybe.eq(low())))?, [1]);
                assert_eq!(ids(&session, select::<Thing>().filter(Thing::maybe.eq(None)))?, [2]);
                let q = select::<Thing>().filter(Thing::value.in_([low(), high()])).order_by(Thing::id);
                assert_eq!(ids(&session, q)?, [2, 3]);
                if $ordered {
                    let q = select::<Thing>().filter(Thing::value.gt(mid()));
                    assert_eq!(ids(&session, q)?, [2]);
                    let q = select::<Thing>().filter(Thing::value.lt(mid()));
                    assert_eq!(ids(&session, q)?, [3]);
                    let q = select::<Thing>().filter(Thing::value.between(low(), mid())).order_by(Thing::id);
                    assert_eq!(ids(&session, q)?, [1, 3]);
                    let q = select::<Thing>().filter(Thing::maybe.ge(low())).order_by(Thing::maybe.desc());
                    assert_eq!(ids(&session, q)?, [3, 1]);
                    assert_eq!(ids(&session, select::<Thing>().order_by(Thing::value))?, [3, 1, 2]);
                    let q = select::<Thing>().columns((orm::func::min(Thing::value), orm::func::max(Thing::maybe)));
                    assert_eq!(session.values(q)?, [(Some(low()), Some(high()))]);
                }

                let first = &all[0];
                {
                    let mut t = first.write()?;
                    t.value = high();
                    t.maybe = None;
                }
                let second = &all[1];
                second.write()?.maybe = Some(mid());
                session.commit()?;
                session.execute(orm::update::<Thing>().filter(Thing::id.eq(3)).set(Thing::maybe, None::<$t>))?;
                session.commit()?;

                let session = db.session();
                let read: Vec<($t, Option<$t>)> = session
                    .exec(select::<Thing>().order_by(Thing::id))?
                    .all()
                    .iter()
                    .map(|t| {
                        let t = t.read()?;
                        Ok((t.value.clone(), t.maybe.clone()))
                    })
                    .collect::<orm::Result<_>>()?;
                assert_eq!(read, [(high(), None), (high(), Some(mid())), (low(), None)]);
                Ok(())
            }
        }
    };
}
