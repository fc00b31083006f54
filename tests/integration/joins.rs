//! Joins along relationships, relationship conditions (`any`, `has`, `eq`) and the check that
//! a query reaches every table it names: the SQL each renders to, and the objects returned
//! (identity-map objects, each once).

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{func, Error};

const HEROES: &str =
    "SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero";
const TEAMS: &str = "SELECT team.id, team.name, team.headquarters FROM team";

/// Teams 1 Preventers, 2 Z-Force, 3 Avengers (no hero); heroes 1 Deadpond (Z-Force),
/// 2 Rusty-Man (Preventers, 48), 3 Spider-Boy (Preventers), 4 Black Lion (no team, 35),
/// 5 Dr. Weird (Preventers, 36). Written with plain SQL.
fn seeded() -> (Db, Session) {
    let db = Db::new::<(Team, Hero)>();
    db.raw(
        "INSERT INTO team (id, name, headquarters) VALUES
             (1, 'Preventers', 'Sharp Tower'), (2, 'Z-Force', 'Bar'), (3, 'Avengers', 'Tower');
         INSERT INTO hero (id, name, secret_name, age, team_id) VALUES
             (1, 'Deadpond', 'Dive Wilson', NULL, 2), (2, 'Rusty-Man', 'Tommy Sharp', 48, 1),
             (3, 'Spider-Boy', 'Pedro Parqueador', NULL, 1), (4, 'Black Lion', 'Trevor', 35, NULL),
             (5, 'Dr. Weird', 'Steve', 36, 1);",
    );
    let session = db.session();
    (db, session)
}

fn hero_names(rows: Vec<Tracked<Hero>>) -> orm::Result<Vec<String>> {
    rows.iter().map(|h| Ok(h.read()?.name.clone())).collect()
}

fn team_names(rows: Vec<Tracked<Team>>) -> orm::Result<Vec<String>> {
    rows.iter().map(|t| Ok(t.read()?.name.clone())).collect()
}

#[test]
fn join_many_to_one_and_filter_on_the_target() -> orm::Result<()> {
    let (db, session) = seeded();
    let spider_boy = session.get::<Hero>(3)?.expect("Spider-Boy");
    db.forget();
    let q = select::<Hero>()
        .join(Hero::team)
        .filter(Team::name.eq("Preventers"))
        .order_by(Hero::id);
    let rows = session.exec(q)?.all();
    assert_eq!(
        db.sql(),
        [format!(
            "{HEROES} JOIN team ON team.id = hero.team_id WHERE team.name = ? ORDER BY hero.id ('Preventers',)"
        )]
    );
    assert_eq!(
        hero_names(rows.clone())?,
        ["Rusty-Man", "Spider-Boy", "Dr. Weird"]
    );
    // Rows are the identity map's objects.
    assert!(rows[1] == spider_boy);
    // Sorting by a joined table's column.
    let q = select::<Hero>()
        .join(Hero::team)
        .order_by(Team::name.desc())
        .order_by(Hero::name);
    assert_eq!(
        hero_names(session.exec(q)?.all())?,
        ["Deadpond", "Dr. Weird", "Rusty-Man", "Spider-Boy"]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{HEROES} JOIN team ON team.id = hero.team_id ORDER BY team.name DESC, hero.name"
        )]
    );
    Ok(())
}

#[test]
fn join_one_to_many_gives_each_object_once() -> orm::Result<()> {
    let (db, session) = seeded();
    let q = select::<Team>()
        .join(Team::heroes)
        .filter(Hero::age.is_null().or(Hero::age.gt(30)))
        .order_by(Team::id);
    // Preventers matches three heroes: the team comes back once.
    assert_eq!(
        team_names(session.exec(q.clone())?.all())?,
        ["Preventers", "Z-Force"]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{TEAMS} JOIN hero ON team.id = hero.team_id WHERE hero.age IS NULL OR hero.age > ? ORDER BY team.id (30,)"
        )]
    );
    // count agrees with exec: it counts distinct rows of a join that repeats them.
    assert_eq!(session.count(q)?, 2);
    assert_eq!(
        db.sql(),
        ["SELECT count(*) FROM (SELECT DISTINCT team.id, team.name, team.headquarters FROM team JOIN hero ON team.id = hero.team_id WHERE hero.age IS NULL OR hero.age > ?) AS anon_1 (30,)"]
    );
    // exists and first work on joins too.
    assert!(session.exists(select::<Team>().join(Team::heroes).filter(Hero::age.eq(36)))?);
    assert_eq!(
        db.sql(),
        ["SELECT EXISTS (SELECT 1 FROM team JOIN hero ON team.id = hero.team_id WHERE hero.age = ?) (36,)"]
    );
    let team = session
        .first(
            select::<Team>()
                .join(Team::heroes)
                .filter(Hero::name.eq("Deadpond")),
        )?
        .expect("Z-Force");
    assert_eq!(team.read()?.name, "Z-Force");
    Ok(())
}

#[test]
fn count_of_a_many_to_one_join_needs_no_subquery() -> orm::Result<()> {
    let (db, session) = seeded();
    let q = select::<Hero>()
        .join(Hero::team)
        .filter(Team::name.ne("Z-Force"));
    assert_eq!(session.count(q)?, 3);
    assert_eq!(
        db.sql(),
        ["SELECT count(*) FROM hero JOIN team ON team.id = hero.team_id WHERE team.name != ? ('Z-Force',)"]
    );
    Ok(())
}

#[test]
fn outer_join_keeps_rows_without_a_related_row() -> orm::Result<()> {
    let (db, session) = seeded();
    let q = select::<Hero>()
        .outer_join(Hero::team)
        .filter(Team::name.eq("Z-Force").or(Team::id.is_null()))
        .order_by(Hero::id);
    assert_eq!(
        hero_names(session.exec(q)?.all())?,
        ["Deadpond", "Black Lion"]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{HEROES} LEFT OUTER JOIN team ON team.id = hero.team_id WHERE team.name = ? OR team.id IS NULL ORDER BY hero.id ('Z-Force',)"
        )]
    );
    let q = select::<Team>()
        .outer_join(Team::heroes)
        .filter(Hero::id.is_null());
    assert_eq!(team_names(session.exec(q)?.all())?, ["Avengers"]);
    assert_eq!(
        db.sql(),
        [format!(
            "{TEAMS} LEFT OUTER JOIN hero ON team.id = hero.team_id WHERE hero.id IS NULL"
        )]
    );
    Ok(())
}

#[test]
fn any_and_has_render_exists_subqueries() -> orm::Result<()> {
    let (db, session) = seeded();
    let q = select::<Team>().filter(Team::heroes.any(Hero::age.gt(40)));
    assert_eq!(team_names(session.exec(q)?.all())?, ["Preventers"]);
    assert_eq!(
        db.sql(),
        [format!(
            "{TEAMS} WHERE EXISTS (SELECT 1 FROM hero WHERE team.id = hero.team_id AND hero.age > ?) (40,)"
        )]
    );
    let q = select::<Team>().filter(
        Team::heroes
            .any(
                Hero::age
                    .gt(30)
                    .and(Hero::age.lt(40).or(Hero::age.is_null())),
            )
            .and(Team::name.ne("Avengers")),
    );
    assert_eq!(team_names(session.exec(q)?.all())?, ["Preventers"]);
    assert_eq!(
        db.sql(),
        [format!(
            "{TEAMS} WHERE EXISTS (SELECT 1 FROM hero WHERE team.id = hero.team_id AND hero.age > ? AND (hero.age < ? OR hero.age IS NULL)) AND team.name != ? (30, 40, 'Avengers')"
        )]
    );
    let q = select::<Team>().filter(!Team::heroes.exists());
    assert_eq!(team_names(session.exec(q)?.all())?, ["Avengers"]);
    assert_eq!(
        db.sql(),
        [format!(
            "{TEAMS} WHERE NOT (EXISTS (SELECT 1 FROM hero WHERE team.id = hero.team_id))"
        )]
    );
    let q = select::<Hero>().filter(Hero::team.has(Team::name.eq("Z-Force")));
    assert_eq!(hero_names(session.exec(q)?.all())?, ["Deadpond"]);
    assert_eq!(
        db.sql(),
        [format!(
            "{HEROES} WHERE EXISTS (SELECT 1 FROM team WHERE team.id = hero.team_id AND team.name = ?) ('Z-Force',)"
        )]
    );
    Ok(())
}

#[test]
fn relationship_eq_compares_the_foreign_key_with_the_key() -> orm::Result<()> {
    let (db, session) = seeded();
    let preventers = session.get::<Team>(1)?.expect("Preventers");
    db.forget();
    let q = select::<Hero>()
        .filter(Hero::team.eq(&preventers))
        .order_by(Hero::id);
    assert_eq!(
        hero_names(session.exec(q)?.all())?,
        ["Rusty-Man", "Spider-Boy", "Dr. Weird"]
    );
    assert_eq!(
        db.sql(),
        [format!(
            "{HEROES} WHERE hero.team_id = ? ORDER BY hero.id (1,)"
        )]
    );
    // A team without a key yet: an error before any SQL runs (no autoflush either).
    let new_team = common::one_to_many::team("Avengers II");
    session.add(&new_team)?;
    let err = session
        .exec(select::<Hero>().filter(Hero::team.eq(&new_team)))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Query { message } if message.contains("no primary key")),
        "{err}"
    );
    // A collection cannot be compared with one object.
    let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    db.forget();
    let err = session
        .exec(select::<Team>().filter(Team::heroes.eq(&deadpond)))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Query { message } if message.contains("Team.heroes")),
        "{err}"
    );
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn tables_the_query_does_not_reach_are_errors_before_any_sql() -> orm::Result<()> {
    let (db, session) = seeded();
    let not_joined = session
        .exec(select::<Hero>().filter(Team::name.eq("Preventers")))
        .unwrap_err();
    assert!(
        matches!(&not_joined, Error::TableNotInQuery { table: "team", reached } if reached == "hero"),
        "{not_joined}"
    );
    assert!(not_joined.to_string().contains(".join("), "{not_joined}");
    let order = session.count(select::<Hero>().order_by(Team::name).limit(1));
    assert!(matches!(
        order,
        Err(Error::TableNotInQuery { table: "team", .. })
    ));
    let from_elsewhere = session.exec(select::<Hero>().join(Team::heroes));
    assert!(matches!(
        from_elsewhere,
        Err(Error::TableNotInQuery { table: "team", .. })
    ));
    let any = session.exists(select::<Hero>().filter(Team::heroes.any(Hero::age.gt(1))));
    assert!(matches!(
        any,
        Err(Error::TableNotInQuery { table: "team", .. })
    ));
    let values = session.values(select::<Hero>().columns((Hero::name, Team::name)));
    assert!(matches!(
        values,
        Err(Error::TableNotInQuery { table: "team", .. })
    ));
    let twice = session.exec(select::<Hero>().join(Hero::team).join(Hero::team));
    assert!(matches!(twice, Err(Error::Query { message }) if message.contains("joined twice")));
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn column_queries_over_joins_with_groups() -> orm::Result<()> {
    let (db, session) = seeded();
    let q = select::<Team>()
        .join(Team::heroes)
        .columns((Team::name, func::count_all(), func::max(Hero::age)))
        .group_by(Team::name)
        .order_by(func::count_all().desc());
    let rows: Vec<(String, i64, Option<i64>)> = session.values(q.clone())?;
    assert_eq!(
        rows,
        [
            ("Preventers".to_owned(), 3, Some(48)),
            ("Z-Force".to_owned(), 1, None)
        ]
    );
    assert_eq!(
        db.sql(),
        ["SELECT team.name, count(*), max(hero.age) FROM team JOIN hero ON team.id = hero.team_id GROUP BY team.name ORDER BY count(*) DESC"]
    );
    let rows = session.values(q.having(func::count_all().gt(1)))?;
    assert_eq!(rows, [("Preventers".to_owned(), 3, Some(48))]);
    assert_eq!(
        db.sql(),
        ["SELECT team.name, count(*), max(hero.age) FROM team JOIN hero ON team.id = hero.team_id GROUP BY team.name HAVING count(*) > ? ORDER BY count(*) DESC (1,)"]
    );
    let pairs: Vec<(String, Option<String>)> = session.values(
        select::<Hero>()
            .outer_join(Hero::team)
            .columns((Hero::name, Team::name.nullable()))
            .filter(Hero::id.in_([1, 4]))
            .order_by(Hero::id),
    )?;
    assert_eq!(
        pairs,
        [
            ("Deadpond".to_owned(), Some("Z-Force".to_owned())),
            ("Black Lion".to_owned(), None)
        ]
    );
    // Without `nullable`, the NULL of the row without a team does not fit a String.
    let err = session
        .values(
            select::<Hero>()
                .outer_join(Hero::team)
                .columns((Hero::name, Team::name)),
        )
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Decode {
                table: "team",
                column: "name",
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}

mod many_to_many {
    use super::common::Db;
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct HeroTeamLink {
        #[orm(primary_key, foreign_key = "team.id")]
        pub team_id: Option<i64>,
        #[orm(primary_key, foreign_key = "hero.id")]
        pub hero_id: Option<i64>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "teams", link_model = HeroTeamLink))]
        pub heroes: Many<Hero>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(relationship(back_populates = "heroes", link_model = HeroTeamLink))]
        pub teams: Many<Team>,
    }

    /// Teams 1 Z-Force, 2 Preventers; heroes 1 Deadpond (both), 2 Rusty-Man (Preventers),
    /// 3 Spider-Boy (none).
    fn seeded() -> (Db, Session) {
        let db = Db::new::<(Team, Hero, HeroTeamLink)>();
        db.raw(
            "INSERT INTO team (id, name) VALUES (1, 'Z-Force'), (2, 'Preventers');
             INSERT INTO hero (id, name) VALUES (1, 'Deadpond'), (2, 'Rusty-Man'), (3, 'Spider-Boy');
             INSERT INTO heroteamlink (team_id, hero_id) VALUES (1, 1), (2, 1), (2, 2);",
        );
        let session = db.session();
        (db, session)
    }

    fn names(rows: Vec<Tracked<Hero>>) -> orm::Result<Vec<String>> {
        rows.iter().map(|h| Ok(h.read()?.name.clone())).collect()
    }

    const JOIN: &str = "SELECT hero.id, hero.name FROM hero JOIN heroteamlink AS heroteamlink_1 ON hero.id = heroteamlink_1.hero_id JOIN team ON team.id = heroteamlink_1.team_id";

    #[test]
    fn join_through_the_link_table() -> orm::Result<()> {
        let (db, session) = seeded();
        let q = select::<Hero>()
            .join(Hero::teams)
            .filter(Team::name.eq("Preventers"))
            .order_by(Hero::id);
        assert_eq!(names(session.exec(q)?.all())?, ["Deadpond", "Rusty-Man"]);
        assert_eq!(
            db.sql(),
            [format!(
                "{JOIN} WHERE team.name = ? ORDER BY hero.id ('Preventers',)"
            )]
        );
        // Deadpond is in two teams: once in the result, and counted once.
        let q = select::<Hero>().join(Hero::teams).order_by(Hero::id);
        let rows = session.exec(q.clone())?.all();
        assert_eq!(names(rows.clone())?, ["Deadpond", "Rusty-Man"]);
        assert!(rows[0] == session.get::<Hero>(1)?.expect("Deadpond"));
        assert_eq!(session.count(q)?, 2);
        db.forget();
        let q = select::<Hero>()
            .outer_join(Hero::teams)
            .filter(Team::id.is_null());
        assert_eq!(names(session.exec(q)?.all())?, ["Spider-Boy"]);
        assert_eq!(
            db.sql(),
            ["SELECT hero.id, hero.name FROM hero LEFT OUTER JOIN heroteamlink AS heroteamlink_1 ON hero.id = heroteamlink_1.hero_id LEFT OUTER JOIN team ON team.id = heroteamlink_1.team_id WHERE team.id IS NULL"]
        );
        // The link table is joined under an alias: the query does not reach it by name.
        let q = select::<Hero>()
            .join(Hero::teams)
            .filter(HeroTeamLink::team_id.eq(1));
        assert!(matches!(
            session.exec(q),
            Err(orm::Error::TableNotInQuery {
                table: "heroteamlink",
                ..
            })
        ));
        assert!(db.sql().is_empty());
        Ok(())
    }

    #[test]
    fn any_through_the_link_table() -> orm::Result<()> {
        let (db, session) = seeded();
        let q = select::<Hero>().filter(Hero::teams.any(Team::name.eq("Z-Force")));
        assert_eq!(names(session.exec(q)?.all())?, ["Deadpond"]);
        assert_eq!(
            db.sql(),
            ["SELECT hero.id, hero.name FROM hero WHERE EXISTS (SELECT 1 FROM team, heroteamlink WHERE hero.id = heroteamlink.hero_id AND team.id = heroteamlink.team_id AND team.name = ?) ('Z-Force',)"]
        );
        let q = select::<Team>().filter(Team::heroes.any(Hero::name.eq("Rusty-Man")));
        let teams = session.exec(q)?.all();
        assert_eq!(teams.len(), 1);
        assert_eq!(teams[0].read()?.name, "Preventers");
        assert_eq!(
            db.sql(),
            ["SELECT team.id, team.name FROM team WHERE EXISTS (SELECT 1 FROM hero, heroteamlink WHERE team.id = heroteamlink.team_id AND hero.id = heroteamlink.hero_id AND hero.name = ?) ('Rusty-Man',)"]
        );
        Ok(())
    }
}
