//! Hand-written SQL: `Session::query_as` (rows of a SELECT as tracked objects, through the
//! identity map, columns by name) and `Session::execute_sql` (any statement, in the
//! session's transaction, without touching loaded objects).

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{Error, Value};

const WRAP: &str = "SELECT id, name, secret_name, age, team_id FROM";

fn seeded() -> orm::Result<(Db, Session)> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let preventers = common::one_to_many::team("Preventers");
    for (name, age) in [
        ("Deadpond", None),
        ("Rusty-Man", Some(48)),
        ("Dr. Weird", Some(36)),
    ] {
        let h = Hero {
            name: name.into(),
            secret_name: "x".into(),
            age,
            team: One::to(&preventers),
            ..Default::default()
        };
        session.add(&h.track())?;
    }
    session.commit()?;
    db.forget();
    Ok((db, session))
}

fn names(rows: &[Tracked<Hero>]) -> orm::Result<Vec<String>> {
    rows.iter().map(|h| Ok(h.read()?.name.clone())).collect()
}

#[test]
fn query_as_maps_columns_by_name_through_the_identity_map() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    db.forget();
    // Columns in another order, an extra one, a trailing semicolon.
    let sql = "SELECT team_id, age, 'extra' AS note, secret_name, name, id FROM hero WHERE age > ? ORDER BY age DESC;";
    let rows = session.query_as::<Hero>(sql, (30,))?.all();
    assert_eq!(names(&rows)?, ["Rusty-Man", "Dr. Weird"]);
    assert!(rows[0] == rusty, "a loaded row is the same object");
    assert_eq!(rows[1].read()?.age, Some(36));
    assert_eq!(
        db.sql(),
        [format!(
            "{WRAP} (SELECT team_id, age, 'extra' AS note, secret_name, name, id FROM hero WHERE age > ? ORDER BY age DESC) AS anon_1 (30,)"
        )]
    );
    // The objects are tracked: a change is flushed like any other.
    rows[1].write()?.age = Some(37);
    session.commit()?;
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 3"), ["37"]);
    Ok(())
}

#[test]
fn query_as_accepts_star_joins_and_comments() -> orm::Result<()> {
    let (db, session) = seeded()?;
    db.forget();
    let rows = session
        .query_as::<Hero>(
            "SELECT hero.* FROM hero JOIN team ON team.id = hero.team_id WHERE team.name = ? -- all of them",
            ["Preventers"],
        )?
        .all();
    assert_eq!(rows.len(), 3);
    // The many-to-one knows its key from the row, and loads lazily.
    assert_eq!(
        rows[0].read()?.team.get()?.expect("team").read()?.name,
        "Preventers"
    );
    let one = session
        .query_as::<Hero>("SELECT * FROM hero WHERE id = 1", ())?
        .one()?;
    assert_eq!(one.read()?.name, "Deadpond");
    let sql = db.sql();
    assert!(
        sql[0].contains("-- all of them\n) AS anon_1 ('Preventers',)"),
        "{sql:?}"
    );
    Ok(())
}

#[test]
fn query_as_flushes_first_and_leaves_out_deleted_rows() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let weird = session.get::<Hero>(3)?.expect("Dr. Weird");
    session.delete(&weird)?;
    session.add(&common::one_to_many::hero("Spider-Boy"))?;
    db.forget();
    let rows = session
        .query_as::<Hero>("SELECT * FROM hero ORDER BY id", ())?
        .all();
    assert_eq!(names(&rows)?, ["Deadpond", "Rusty-Man", "Spider-Boy"]);
    let sql = db.sql();
    assert!(sql[0].starts_with("INSERT INTO hero"), "{sql:?}");
    assert!(sql[1].starts_with("DELETE FROM hero"), "{sql:?}");
    Ok(())
}

#[test]
fn a_missing_column_is_named_before_the_query_runs() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let err = session
        .query_as::<Hero>("SELECT id, name, age + 1 FROM hero", ())
        .unwrap_err();
    match &err {
        Error::MissingColumns {
            table,
            missing,
            found,
        } => {
            assert_eq!(*table, "hero");
            assert_eq!(missing, "secret_name, age, team_id");
            // How a database names an unnamed expression is its own affair.
            let unnamed = if db.is_postgres() {
                "?column?"
            } else {
                "age + 1"
            };
            assert_eq!(*found, format!("id, name, {unnamed}"));
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(
        err.to_string().contains("secret_name, age, team_id"),
        "{err}"
    );
    assert!(db.sql().is_empty(), "{:?}", db.sql());
    Ok(())
}

#[test]
fn invalid_sql_and_wrong_values_are_errors() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let err = session
        .query_as::<Hero>("SELEKT * FROM hero", ())
        .unwrap_err();
    // On PostgreSQL the failure aborts the transaction, which the session rolls back.
    let err = match err {
        Error::RolledBack { source } if db.is_postgres() => *source,
        other => other,
    };
    assert!(matches!(err, Error::Statement { .. }), "{err}");
    let err = session
        .query_as::<Hero>(
            "SELECT id, 'n' AS name, 's' AS secret_name, 'old' AS age, NULL AS team_id FROM hero",
            (),
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Decode {
                table: "hero",
                column: "age",
                ..
            }
        ),
        "{err}"
    );
    let err = session.execute_sql("SELECT 1", ()).unwrap_err();
    assert!(matches!(err, Error::Statement { .. }), "{err}");
    // The session is still usable.
    assert_eq!(session.query_as::<Hero>("SELECT * FROM hero", ())?.len(), 3);
    Ok(())
}

#[test]
fn execute_sql_runs_in_the_transaction_and_leaves_loaded_objects_alone() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let deadpond = session.get::<Hero>(1)?.expect("Deadpond");
    db.forget();
    let n = session.execute_sql("UPDATE hero SET age = ? WHERE name = ?", (30, "Deadpond"))?;
    assert_eq!(n, 1);
    assert_eq!(
        db.all_sql(),
        ["UPDATE hero SET age = ? WHERE name = ? (30, 'Deadpond')"],
        "in the transaction the get began"
    );
    assert_eq!(deadpond.read()?.age, None, "not synchronized");
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 1"), ["NULL"]);
    session.expire_all();
    assert_eq!(deadpond.read()?.age, Some(30));
    session.commit()?;
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 1"), ["30"]);
    Ok(())
}

#[test]
fn execute_sql_flushes_first_and_rolls_back_with_the_session() -> orm::Result<()> {
    let (db, session) = seeded()?;
    session.add(&common::one_to_many::hero("Spider-Boy"))?;
    let n = session.execute_sql("DELETE FROM hero WHERE age IS NULL", ())?;
    assert_eq!(n, 2, "Deadpond and the flushed Spider-Boy");
    session.rollback()?;
    assert_eq!(db.table("SELECT count(*) FROM hero"), ["3"]);
    Ok(())
}

#[test]
fn a_failing_flush_after_execute_sql_is_rolled_back_with_the_statement() -> orm::Result<()> {
    let (db, session) = seeded()?;
    session.execute_sql("UPDATE hero SET age = 1 WHERE id = 1", ())?;
    let twin = Hero {
        id: Some(1),
        name: "Twin".into(),
        ..Default::default()
    }
    .track();
    session.add(&twin)?;
    assert!(session.flush().is_err());
    // The failed flush undid itself only; the session waits for the application's rollback,
    // which undoes the statement too (the transaction's fate is the application's call).
    assert!(matches!(
        session.commit(),
        Err(Error::PendingRollback { .. })
    ));
    session.rollback()?;
    session.commit()?;
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 1"), ["NULL"]);
    Ok(())
}

#[test]
fn parameters_come_in_several_shapes_and_are_always_bound() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let q = "SELECT * FROM hero WHERE id IN (?, ?) ORDER BY id";
    assert_eq!(session.query_as::<Hero>(q, [1, 3])?.len(), 2);
    assert_eq!(session.query_as::<Hero>(q, vec![1_i64, 2])?.len(), 2);
    let values = [Value::Integer(2), Value::Integer(3)];
    assert_eq!(session.query_as::<Hero>(q, &values[..])?.len(), 2);
    assert_eq!(
        session
            .query_as::<Hero>(q, (Value::Integer(1), &values[0]))?
            .len(),
        2
    );
    let sneaky = "Deadpond' OR '1'='1";
    assert_eq!(
        session
            .query_as::<Hero>("SELECT * FROM hero WHERE name = ?", (sneaky,))?
            .len(),
        0
    );
    let n = session.execute_sql(
        "UPDATE hero SET age = ?, secret_name = ? WHERE name = ?",
        (None::<i64>, String::from("s"), "Rusty-Man"),
    )?;
    assert_eq!(n, 1);
    let sql = db.sql();
    assert_eq!(
        sql.last().map(String::as_str),
        Some("UPDATE hero SET age = ?, secret_name = ? WHERE name = ? (NULL, 's', 'Rusty-Man')")
    );
    Ok(())
}
