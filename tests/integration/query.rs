//! The typed select builder: the SQL each filter renders to, and the rows it returns.

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{func, Select};

const COLUMNS: &str =
    "SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero";

fn seeded() -> orm::Result<(Db, Session)> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    for (name, age) in [
        ("Deadpond", None),
        ("Rusty-Man", Some(48)),
        ("Spider-Boy", None),
        ("Black Lion", Some(35)),
        ("Dr. Weird", Some(36)),
    ] {
        let h = Hero {
            name: name.into(),
            secret_name: "x".into(),
            age,
            ..Default::default()
        }
        .track();
        session.add(&h)?;
    }
    session.commit()?;
    db.forget();
    Ok((db, session))
}

fn names(rows: Vec<Tracked<Hero>>) -> orm::Result<Vec<String>> {
    rows.iter().map(|h| Ok(h.read()?.name.clone())).collect()
}

#[test]
fn comparisons_render_as_bound_parameters() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let cases = [
        (
            select::<Hero>().filter(Hero::age.eq(48)),
            "hero.age = ? (48,)",
            vec!["Rusty-Man"],
        ),
        (
            select::<Hero>().filter(Hero::age.ne(48)),
            "hero.age != ? (48,)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::age.lt(36)),
            "hero.age < ? (36,)",
            vec!["Black Lion"],
        ),
        (
            select::<Hero>().filter(Hero::age.le(36)),
            "hero.age <= ? (36,)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::age.gt(36)),
            "hero.age > ? (36,)",
            vec!["Rusty-Man"],
        ),
        (
            select::<Hero>().filter(Hero::age.ge(36)),
            "hero.age >= ? (36,)",
            vec!["Rusty-Man", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::age.is_null()),
            "hero.age IS NULL",
            vec!["Deadpond", "Spider-Boy"],
        ),
        (
            select::<Hero>().filter(Hero::name.eq("Deadpond")),
            "hero.name = ? ('Deadpond',)",
            vec!["Deadpond"],
        ),
    ];
    for (query, where_clause, expected) in cases {
        let mut found = names(session.exec(query)?.all())?;
        found.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(found, expected, "{where_clause}");
        assert_eq!(db.sql(), [format!("{COLUMNS} WHERE {where_clause}")]);
    }
    Ok(())
}

#[test]
fn and_or_and_several_filters_combine() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>()
        .filter(
            Hero::age
                .gt(30)
                .and(Hero::age.lt(40))
                .or(Hero::name.eq("Deadpond")),
        )
        .filter(Hero::age.is_not_null().or(Hero::id.eq(1)))
        .order_by(Hero::name.desc());
    assert_eq!(
        names(session.exec(q)?.all())?,
        ["Dr. Weird", "Deadpond", "Black Lion"]
    );
    assert_eq!(
        db.sql(),
        [format!("{COLUMNS} WHERE ((hero.age > ? AND hero.age < ?) OR hero.name = ?) AND (hero.age IS NOT NULL OR hero.id = ?) ORDER BY hero.name DESC (30, 40, 'Deadpond', 1)")]
    );
    Ok(())
}

#[test]
fn order_limit_and_offset() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>().order_by(Hero::name).limit(2).offset(1);
    assert_eq!(names(session.exec(q)?.all())?, ["Deadpond", "Dr. Weird"]);
    assert_eq!(
        db.sql(),
        [format!("{COLUMNS} ORDER BY hero.name LIMIT 2 OFFSET 1")]
    );
    let q = select::<Hero>().order_by(Hero::id.desc()).limit(1);
    assert_eq!(names(session.exec(q)?.all())?, ["Dr. Weird"]);
    let q = select::<Hero>().order_by(Hero::id).offset(4);
    assert_eq!(names(session.exec(q)?.all())?, ["Dr. Weird"]);
    assert_eq!(
        db.sql()[1],
        format!("{COLUMNS} ORDER BY hero.id LIMIT -1 OFFSET 4")
    );
    Ok(())
}

#[test]
fn values_are_never_pasted_into_sql() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let nasty = "x' OR '1'='1";
    assert!(session
        .exec(select::<Hero>().filter(Hero::name.eq(nasty)))?
        .is_empty());
    assert_eq!(
        db.sql(),
        [format!(
            "{COLUMNS} WHERE hero.name = ? ('x'' OR ''1''=''1',)"
        )]
    );
    Ok(())
}

#[derive(Table, Debug, Default)]
#[orm(table = "order")]
pub struct Order {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(column = "group")]
    pub group_name: String,
}

#[test]
fn reserved_words_are_quoted() -> orm::Result<()> {
    let db = Db::new::<(Order,)>();
    let session = db.session();
    session.add(
        &Order {
            group_name: "a".into(),
            ..Default::default()
        }
        .track(),
    )?;
    let found = session
        .exec(select::<Order>().filter(Order::group_name.eq("a")))?
        .one()?;
    assert_eq!(found.read()?.group_name, "a");
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO \"order\" (\"group\") VALUES (?) ('a',)",
            "SELECT \"order\".id, \"order\".\"group\" FROM \"order\" WHERE \"order\".\"group\" = ? ('a',)",
        ]
    );
    Ok(())
}

#[derive(Table, Debug, Default)]
pub struct Returning {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub current_date: String,
    pub notnull: bool,
}

#[test]
fn every_sqlite_keyword_is_quoted() -> orm::Result<()> {
    let db = Db::new::<(Returning,)>();
    let session = db.session();
    let row = Returning {
        current_date: "today".into(),
        notnull: true,
        ..Default::default()
    }
    .track();
    session.add(&row)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["INSERT INTO \"returning\" (\"current_date\", \"notnull\") VALUES (?, ?) ('today', 1)"]
    );
    row.write()?.current_date = "tomorrow".into();
    session.commit()?;
    assert_eq!(
        db.table("SELECT \"current_date\", \"notnull\" FROM \"returning\""),
        ["'tomorrow', 1"]
    );
    Ok(())
}

fn expect_names(session: &Session, q: Select<Hero>, expected: &[&str]) -> orm::Result<()> {
    let mut found = names(session.exec(q)?.all())?;
    found.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);
    Ok(())
}

#[test]
fn eq_none_and_ne_none_test_for_null() -> orm::Result<()> {
    let (db, session) = seeded()?;
    expect_names(
        &session,
        select::<Hero>().filter(Hero::age.eq(None)),
        &["Deadpond", "Spider-Boy"],
    )?;
    assert_eq!(db.sql(), [format!("{COLUMNS} WHERE hero.age IS NULL")]);
    expect_names(
        &session,
        select::<Hero>().filter(Hero::age.ne(None)),
        &["Rusty-Man", "Black Lion", "Dr. Weird"],
    )?;
    assert_eq!(db.sql(), [format!("{COLUMNS} WHERE hero.age IS NOT NULL")]);
    // An Option value that is Some is still bound.
    expect_names(
        &session,
        select::<Hero>().filter(Hero::age.eq(Some(48))),
        &["Rusty-Man"],
    )?;
    assert_eq!(db.sql(), [format!("{COLUMNS} WHERE hero.age = ? (48,)")]);
    Ok(())
}

#[test]
fn in_and_not_in_bind_each_value() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let cases: Vec<(Select<Hero>, &str, Vec<&str>)> = vec![
        (
            select::<Hero>().filter(Hero::name.in_(["Deadpond", "Dr. Weird"])),
            "hero.name IN (?, ?) ('Deadpond', 'Dr. Weird')",
            vec!["Deadpond", "Dr. Weird"],
        ),
        (
            // NULL ages are not NOT IN the list either, as in SQL.
            select::<Hero>().filter(Hero::age.not_in([48, 35])),
            "hero.age NOT IN (?, ?) (48, 35)",
            vec!["Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::age.in_(Vec::<i64>::new())),
            "0 = 1",
            vec![],
        ),
        (
            select::<Hero>().filter(Hero::age.not_in(Vec::<i64>::new())),
            "1 = 1",
            vec![
                "Deadpond",
                "Rusty-Man",
                "Spider-Boy",
                "Black Lion",
                "Dr. Weird",
            ],
        ),
        (
            select::<Hero>().filter(Hero::age.in_([Some(48), None])),
            "hero.age IN (?) OR hero.age IS NULL (48,)",
            vec!["Rusty-Man", "Deadpond", "Spider-Boy"],
        ),
        (
            select::<Hero>().filter(Hero::age.not_in([Some(48), None])),
            "hero.age NOT IN (?) AND hero.age IS NOT NULL (48,)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>()
                .filter(Hero::age.in_([35, 36]).or(Hero::name.in_(["Deadpond"])))
                .filter(Hero::id.not_in([5])),
            "(hero.age IN (?, ?) OR hero.name IN (?)) AND hero.id NOT IN (?) (35, 36, 'Deadpond', 5)",
            vec!["Black Lion", "Deadpond"],
        ),
    ];
    for (q, where_clause, expected) in cases {
        expect_names(&session, q, &expected)?;
        assert_eq!(db.sql(), [format!("{COLUMNS} WHERE {where_clause}")]);
    }
    Ok(())
}

#[test]
fn like_and_escaped_contains_starts_with_ends_with() -> orm::Result<()> {
    let (db, session) = seeded()?;
    for name in ["Mr. 100%", "Mr_100", "a/b"] {
        session.add(&common::one_to_many::hero(name))?;
    }
    session.commit()?;
    db.forget();
    let cases: Vec<(Select<Hero>, &str, Vec<&str>)> = vec![
        (
            select::<Hero>().filter(Hero::name.like("D%")),
            "hero.name LIKE ? ('D%',)",
            vec!["Deadpond", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::name.contains("-")),
            "hero.name LIKE ? ESCAPE '/' ('%-%',)",
            vec!["Rusty-Man", "Spider-Boy"],
        ),
        (
            select::<Hero>().filter(Hero::name.starts_with("Dr.")),
            "hero.name LIKE ? ESCAPE '/' ('Dr.%',)",
            vec!["Dr. Weird"],
        ),
        (
            // LIKE is case-sensitive on PostgreSQL (SQLite's ignores ASCII case).
            select::<Hero>().filter(Hero::name.ends_with("Man")),
            "hero.name LIKE ? ESCAPE '/' ('%Man',)",
            vec!["Rusty-Man"],
        ),
        (
            select::<Hero>().filter(Hero::name.contains("100%")),
            "hero.name LIKE ? ESCAPE '/' ('%100/%%',)",
            vec!["Mr. 100%"],
        ),
        (
            // Unescaped, `_1` would also match " 1" in "Mr. 100%".
            select::<Hero>().filter(Hero::name.contains("_1")),
            "hero.name LIKE ? ESCAPE '/' ('%/_1%',)",
            vec!["Mr_100"],
        ),
        (
            select::<Hero>().filter(Hero::name.ends_with("/b")),
            "hero.name LIKE ? ESCAPE '/' ('%//b',)",
            vec!["a/b"],
        ),
    ];
    for (q, where_clause, expected) in cases {
        expect_names(&session, q, &expected)?;
        assert_eq!(db.sql(), [format!("{COLUMNS} WHERE {where_clause}")]);
    }
    Ok(())
}

#[test]
fn between_and_not() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let cases: Vec<(Select<Hero>, &str, Vec<&str>)> = vec![
        (
            select::<Hero>().filter(Hero::age.between(35, 40)),
            "hero.age BETWEEN ? AND ? (35, 40)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(!Hero::age.gt(40)),
            "NOT (hero.age > ?) (40,)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::name.eq("Deadpond").or(Hero::age.gt(40)).not()),
            "NOT (hero.name = ? OR hero.age > ?) ('Deadpond', 40)",
            vec!["Black Lion", "Dr. Weird"],
        ),
        (
            select::<Hero>().filter(Hero::age.is_not_null().and(!Hero::age.between(35, 36))),
            "hero.age IS NOT NULL AND NOT (hero.age BETWEEN ? AND ?) (35, 36)",
            vec!["Rusty-Man"],
        ),
    ];
    for (q, where_clause, expected) in cases {
        expect_names(&session, q, &expected)?;
        assert_eq!(db.sql(), [format!("{COLUMNS} WHERE {where_clause}")]);
    }
    Ok(())
}

#[test]
fn several_sort_keys_with_nulls_first_or_last_and_distinct() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>()
        .order_by(Hero::age.desc().nulls_last())
        .order_by(Hero::name);
    assert_eq!(
        names(session.exec(q)?.all())?,
        [
            "Rusty-Man",
            "Dr. Weird",
            "Black Lion",
            "Deadpond",
            "Spider-Boy"
        ]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{COLUMNS} ORDER BY hero.age DESC NULLS LAST, hero.name"
        )]
    );
    // Several keys in one call, as a tuple.
    let q = select::<Hero>().order_by((Hero::age.asc().nulls_last(), Hero::name.desc()));
    assert_eq!(
        names(session.exec(q)?.all())?,
        [
            "Black Lion",
            "Dr. Weird",
            "Rusty-Man",
            "Spider-Boy",
            "Deadpond"
        ]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{COLUMNS} ORDER BY hero.age NULLS LAST, hero.name DESC"
        )]
    );
    let q = select::<Hero>()
        .order_by(Hero::age.desc().nulls_first())
        .order_by(Hero::id)
        .limit(3);
    assert_eq!(
        names(session.exec(q)?.all())?,
        ["Deadpond", "Spider-Boy", "Rusty-Man"]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{COLUMNS} ORDER BY hero.age DESC NULLS FIRST, hero.id LIMIT 3"
        )]
    );
    let rows = session.exec(select::<Hero>().distinct().filter(Hero::age.gt(40)))?;
    assert_eq!(names(rows.all())?, ["Rusty-Man"]);
    assert_eq!(
        db.sql(),
        ["SELECT DISTINCT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE hero.age > ? (40,)"]
    );
    Ok(())
}

#[test]
fn count_runs_one_count_query_and_loads_nothing() -> orm::Result<()> {
    let (db, session) = seeded()?;
    assert_eq!(session.count(select::<Hero>())?, 5);
    assert_eq!(db.sql(), ["SELECT count(*) FROM hero"]);
    assert_eq!(
        session.count(
            select::<Hero>()
                .filter(Hero::age.gt(30))
                .order_by(Hero::name)
        )?,
        3
    );
    // The order does not change a count: it is left out.
    assert_eq!(
        db.sql(),
        ["SELECT count(*) FROM hero WHERE hero.age > ? (30,)"]
    );
    // Nothing was loaded: the first get of a hero runs its SELECT.
    assert!(session.get::<Hero>(1)?.is_some());
    assert_eq!(db.sql().len(), 1);
    Ok(())
}

#[test]
fn count_uses_a_subquery_for_limit_offset_and_distinct() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>().order_by(Hero::name).limit(2).offset(1);
    assert_eq!(session.count(q)?, 2);
    assert_eq!(
        db.sql(),
        [format!(
            "SELECT count(*) FROM ({COLUMNS} ORDER BY hero.name LIMIT 2 OFFSET 1) AS anon_1"
        )]
    );
    assert_eq!(session.count(select::<Hero>().offset(4))?, 1);
    assert_eq!(
        db.sql(),
        [format!(
            "SELECT count(*) FROM ({COLUMNS} LIMIT -1 OFFSET 4) AS anon_1"
        )]
    );
    assert_eq!(
        session.count(select::<Hero>().distinct().filter(Hero::age.is_null()))?,
        2
    );
    assert_eq!(
        db.sql(),
        ["SELECT count(*) FROM (SELECT DISTINCT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE hero.age IS NULL) AS anon_1"]
    );
    Ok(())
}

#[test]
fn count_exists_first_and_values_flush_first() -> orm::Result<()> {
    let (db, session) = seeded()?;
    session.add(&common::one_to_many::hero("Tarantula"))?;
    assert_eq!(session.count(select::<Hero>())?, 6);
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('Tarantula', 'secret Tarantula', NULL, NULL)",
            "SELECT count(*) FROM hero",
        ]
    );
    session.add(&common::one_to_many::hero("Captain North"))?;
    assert!(session.exists(select::<Hero>().filter(Hero::name.eq("Captain North")))?);
    assert_eq!(db.sql().len(), 2);
    session.add(&common::one_to_many::hero("Princess Sure-E"))?;
    assert!(session
        .first(select::<Hero>().filter(Hero::name.eq("Princess Sure-E")))?
        .is_some());
    assert_eq!(db.sql().len(), 2);
    session.add(&common::one_to_many::hero("Spider-Youngster"))?;
    let rows = session.values(
        select::<Hero>()
            .columns((Hero::name,))
            .filter(Hero::id.eq(9)),
    )?;
    assert_eq!(rows, [("Spider-Youngster".to_owned(),)]);
    assert_eq!(db.sql().len(), 2);
    Ok(())
}

#[test]
fn exists_asks_sqlite_for_one_boolean() -> orm::Result<()> {
    let (db, session) = seeded()?;
    assert!(session.exists(select::<Hero>().filter(Hero::name.eq("Deadpond")))?);
    assert_eq!(
        db.sql(),
        ["SELECT EXISTS (SELECT 1 FROM hero WHERE hero.name = ?) ('Deadpond',)"]
    );
    assert!(!session.exists(select::<Hero>().filter(Hero::age.gt(100)))?);
    assert_eq!(
        db.sql(),
        ["SELECT EXISTS (SELECT 1 FROM hero WHERE hero.age > ?) (100,)"]
    );
    assert!(!session.exists(select::<Hero>().order_by(Hero::id).offset(5))?);
    assert_eq!(
        db.sql(),
        ["SELECT EXISTS (SELECT 1 FROM hero ORDER BY hero.id LIMIT -1 OFFSET 5)"]
    );
    Ok(())
}

#[test]
fn first_fetches_one_row_into_the_identity_map() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let oldest = session
        // NULLS LAST: where NULLs sort without it differs (first on PostgreSQL, last on SQLite).
        .first(select::<Hero>().order_by(Hero::age.desc().nulls_last()))?
        .expect("a hero");
    assert_eq!(oldest.read()?.name, "Rusty-Man");
    assert_eq!(
        db.sql(),
        [format!(
            "{COLUMNS} ORDER BY hero.age DESC NULLS LAST LIMIT 1"
        )]
    );
    // The same object as any other way to reach the row, with no SQL.
    let again = session.get::<Hero>(2)?.expect("Rusty-Man");
    assert!(again == oldest);
    assert!(db.sql().is_empty());
    let by_exec = session
        .exec(select::<Hero>().filter(Hero::name.eq("Rusty-Man")))?
        .one()?;
    assert!(by_exec == oldest);
    db.forget();
    assert!(session
        .first(select::<Hero>().filter(Hero::age.gt(100)))?
        .is_none());
    assert!(session.first(select::<Hero>().limit(0))?.is_none());
    assert_eq!(
        db.sql(),
        [
            format!("{COLUMNS} WHERE hero.age > ? LIMIT 1 (100,)"),
            format!("{COLUMNS} LIMIT 0"),
        ]
    );
    Ok(())
}

#[test]
fn column_queries_return_typed_tuples() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rows: Vec<(String, Option<i64>)> = session.values(
        select::<Hero>()
            .columns((Hero::name, Hero::age))
            .filter(Hero::id.le(3))
            .order_by(Hero::id),
    )?;
    assert_eq!(
        rows,
        [
            ("Deadpond".to_owned(), None),
            ("Rusty-Man".to_owned(), Some(48)),
            ("Spider-Boy".to_owned(), None),
        ]
    );
    assert_eq!(
        db.sql(),
        ["SELECT hero.name, hero.age FROM hero WHERE hero.id <= ? ORDER BY hero.id (3,)"]
    );
    // Values are not objects: nothing entered the identity map.
    assert!(session.get::<Hero>(1)?.is_some());
    assert_eq!(db.sql().len(), 1);
    let secret: Vec<(String,)> =
        session.values(select::<Hero>().columns((Hero::secret_name,)).distinct())?;
    assert_eq!(secret, [("x".to_owned(),)]);
    assert_eq!(db.sql(), ["SELECT DISTINCT hero.secret_name FROM hero"]);
    Ok(())
}

/// count(*), count(age), sum(age), avg(age), min(age), max(name).
type Totals = (
    i64,
    i64,
    Option<i64>,
    Option<f64>,
    Option<i64>,
    Option<String>,
);

#[test]
fn aggregates_are_typed_from_their_column() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>().columns((
        func::count_all(),
        func::count(Hero::age),
        func::sum(Hero::age),
        func::avg(Hero::age),
        func::min(Hero::age),
        func::max(Hero::name),
    ));
    let rows: Vec<Totals> = session.values(q.clone())?;
    assert_eq!(
        rows,
        [(
            5,
            3,
            Some(119),
            Some(119.0 / 3.0),
            Some(35),
            Some("Spider-Boy".to_owned())
        )]
    );
    assert_eq!(
        db.sql(),
        ["SELECT count(*), count(hero.age), sum(hero.age), avg(hero.age), min(hero.age), max(hero.name) FROM hero"]
    );
    // Over no row: counts are 0, the others NULL.
    let rows = session.values(q.filter(Hero::age.gt(100)))?;
    assert_eq!(rows, [(0, 0, None, None, None, None)]);
    Ok(())
}

#[test]
fn group_by_and_having_on_an_aggregate() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = select::<Hero>()
        .columns((Hero::age, func::count_all()))
        .group_by(Hero::age)
        .having(func::count_all().gt(1));
    assert_eq!(session.values(q)?, [(None, 2)]);
    assert_eq!(
        db.sql(),
        ["SELECT hero.age, count(*) FROM hero GROUP BY hero.age HAVING count(*) > ? (1,)"]
    );
    // Several groups and having conditions, sorted by an aggregate.
    let q = select::<Hero>()
        .columns((Hero::secret_name, Hero::age, func::count(Hero::id)))
        .group_by(Hero::secret_name)
        .group_by(Hero::age)
        .having(func::count(Hero::id).ge(1))
        .having(func::max(Hero::id).lt(5))
        .order_by(func::count(Hero::id).desc())
        .order_by(Hero::age)
        .limit(2);
    assert_eq!(
        session.values(q)?,
        [("x".to_owned(), None, 2), ("x".to_owned(), Some(35), 1)]
    );
    assert_eq!(
        db.sql(),
        ["SELECT hero.secret_name, hero.age, count(hero.id) FROM hero GROUP BY hero.secret_name, hero.age HAVING count(hero.id) >= ? AND max(hero.id) < ? ORDER BY count(hero.id) DESC, hero.age LIMIT 2 (1, 5)"]
    );
    Ok(())
}

#[test]
fn decode_failures_in_column_queries_name_the_column() -> orm::Result<()> {
    let (db, session) = seeded()?;
    if db.sqlite_only("stores text in an integer column, which only SQLite's dynamic typing allows")
    {
        return Ok(());
    }
    session.close()?;
    db.raw("UPDATE hero SET age = 'old' WHERE id = 1");
    let err = session
        .values(select::<Hero>().columns((Hero::name, Hero::age)))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            orm::Error::Decode {
                table: "hero",
                column: "age",
                ..
            }
        ),
        "{err}"
    );
    let err = session
        .values(select::<Hero>().columns((func::max(Hero::age),)))
        .unwrap_err();
    assert!(
        matches!(&err, orm::Error::Decode { table: "hero", column: "age", message } if message.starts_with("max(age): ")),
        "{err}"
    );
    Ok(())
}
