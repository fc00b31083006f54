//! The typed select builder: the SQL each filter renders to, and the rows it returns.

mod common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;

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
