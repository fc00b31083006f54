//! Bulk `update` / `delete` run by `Session::execute`: the SQL, the rows, the count, and the
//! objects the session had loaded (updated or deleted in memory, back on rollback).

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{Error, Status};

/// Five heroes (ids 1..=5), the first three in team 1 "Preventers".
fn seeded() -> orm::Result<(Db, Session)> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let preventers = common::one_to_many::team("Preventers");
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
        if name != "Black Lion" && name != "Dr. Weird" {
            h.write()?.team = One::to(&preventers);
        }
        session.add(&h)?;
    }
    session.commit()?;
    db.forget();
    Ok((db, session))
}

fn heroes(db: &Db) -> Vec<String> {
    db.table("SELECT id, name, age, team_id FROM hero ORDER BY id")
}

#[test]
fn update_sets_the_columns_of_the_matching_rows() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let n = session.execute(
        update::<Hero>()
            .filter(Hero::name.eq("Deadpond"))
            .set(Hero::age, 30),
    )?;
    assert_eq!(n, 1);
    assert_eq!(
        db.all_sql(),
        [
            "BEGIN (implicit)",
            "UPDATE hero SET age=? WHERE hero.name = ? RETURNING id (30, 'Deadpond')"
        ]
    );
    // Not committed yet: another connection sees the old row.
    assert_eq!(heroes(&db)[0], "1, 'Deadpond', NULL, 1");
    session.commit()?;
    assert_eq!(heroes(&db)[0], "1, 'Deadpond', 30, 1");
    Ok(())
}

#[test]
fn several_sets_none_binds_null_and_the_last_set_of_a_column_wins() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let stmt = update::<Hero>()
        .filter(Hero::age.gt(35))
        .set(Hero::age, 1)
        .set(Hero::secret_name, "retired")
        .set(Hero::age, None)
        .set(Hero::team_id, None);
    assert_eq!(session.execute(stmt)?, 2);
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=?, secret_name=?, team_id=? WHERE hero.age > ? RETURNING id (NULL, 'retired', NULL, 35)"]
    );
    session.commit()?;
    assert_eq!(
        heroes(&db),
        [
            "1, 'Deadpond', NULL, 1",
            "2, 'Rusty-Man', NULL, NULL",
            "3, 'Spider-Boy', NULL, 1",
            "4, 'Black Lion', 35, NULL",
            "5, 'Dr. Weird', NULL, NULL"
        ]
    );
    assert_eq!(
        db.table("SELECT secret_name FROM hero WHERE id = 5"),
        ["'retired'"]
    );
    Ok(())
}

#[test]
fn no_matching_row_touches_nothing() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let n = session.execute(update::<Hero>().filter(Hero::age.gt(100)).set(Hero::age, 1))?;
    assert_eq!(n, 0);
    assert_eq!(
        session.execute(delete::<Hero>().filter(Hero::id.eq(99)))?,
        0
    );
    assert_eq!(db.sql().len(), 2);
    Ok(())
}

#[test]
fn delete_removes_the_matching_rows() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let n = session.execute(delete::<Hero>().filter(Hero::age.gt(35)))?;
    assert_eq!(n, 2);
    assert_eq!(
        db.sql(),
        ["DELETE FROM hero WHERE hero.age > ? RETURNING id (35,)"]
    );
    session.commit()?;
    assert_eq!(
        heroes(&db),
        [
            "1, 'Deadpond', NULL, 1",
            "3, 'Spider-Boy', NULL, 1",
            "4, 'Black Lion', 35, NULL"
        ]
    );
    Ok(())
}

#[test]
fn without_a_filter_every_row_is_touched() -> orm::Result<()> {
    let (db, session) = seeded()?;
    assert_eq!(session.execute(update::<Hero>().set(Hero::age, 7))?, 5);
    assert_eq!(session.execute(delete::<Hero>())?, 5);
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET age=? RETURNING id (7,)",
            "DELETE FROM hero RETURNING id"
        ]
    );
    session.commit()?;
    assert!(heroes(&db).is_empty());
    Ok(())
}

#[test]
fn relationship_conditions_correlate_with_the_updated_table() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let n = session.execute(
        update::<Hero>()
            .filter(Hero::team.has(Team::name.eq("Preventers")))
            .filter(Hero::age.is_null())
            .set(Hero::age, 18),
    )?;
    assert_eq!(n, 2);
    let n = session.execute(delete::<Team>().filter(!Team::heroes.exists()))?;
    assert_eq!(n, 0);
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET age=? WHERE EXISTS (SELECT 1 FROM team WHERE team.id = hero.team_id AND team.name = ?) AND hero.age IS NULL RETURNING id (18, 'Preventers')",
            "DELETE FROM team WHERE NOT (EXISTS (SELECT 1 FROM hero WHERE team.id = hero.team_id)) RETURNING id",
        ]
    );
    session.commit()?;
    assert_eq!(
        db.table("SELECT name FROM hero WHERE age = 18 ORDER BY id"),
        ["'Deadpond'", "'Spider-Boy'"]
    );
    Ok(())
}

#[test]
fn a_condition_on_another_table_fails_before_any_sql() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let err = session
        .execute(
            update::<Hero>()
                .filter(Team::name.eq("Preventers"))
                .set(Hero::age, 1),
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::TableNotInQuery { table: "team", reached } if reached == "hero"),
        "{err}"
    );
    let err = session
        .execute(delete::<Team>().filter(Hero::age.gt(1)))
        .unwrap_err();
    assert!(
        matches!(err, Error::TableNotInQuery { table: "hero", .. }),
        "{err}"
    );
    assert!(db.all_sql().is_empty());
    Ok(())
}

#[test]
fn an_update_that_sets_nothing_or_a_primary_key_is_refused() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let err = session.execute(update::<Hero>()).unwrap_err();
    assert!(
        matches!(&err, Error::Query { message } if message.contains("`hero`")),
        "{err}"
    );
    let err = session
        .execute(update::<Hero>().set(Hero::id, 9))
        .unwrap_err();
    assert!(
        matches!(&err, Error::Query { message } if message.contains("`hero.id`")),
        "{err}"
    );
    assert!(db.all_sql().is_empty());
    Ok(())
}

#[test]
fn pending_changes_are_flushed_first() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    rusty.write()?.age = Some(20);
    db.forget();
    // The autoflush writes age 20 first, so Rusty-Man no longer matches.
    let n = session.execute(update::<Hero>().filter(Hero::age.gt(40)).set(Hero::age, 99))?;
    assert_eq!(n, 0);
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET age=? WHERE hero.id = ? (20, 2)",
            "UPDATE hero SET age=? WHERE hero.age > ? RETURNING id (99, 40)"
        ]
    );
    assert_eq!(rusty.read()?.age, Some(20));
    Ok(())
}

#[test]
fn loaded_objects_take_the_new_values() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let all = session.exec(select::<Hero>().order_by(Hero::id))?.all();
    db.forget();
    session.execute(
        update::<Hero>()
            .filter(Hero::age.ge(36))
            .set(Hero::age, 50)
            .set(Hero::secret_name, "old"),
    )?;
    db.forget();
    let ages: Vec<Option<i64>> = all
        .iter()
        .map(|h| Ok(h.read()?.age))
        .collect::<orm::Result<_>>()?;
    assert_eq!(ages, [None, Some(50), None, Some(35), Some(50)]);
    assert_eq!(all[1].read()?.secret_name, "old");
    assert_eq!(all[0].read()?.secret_name, "x");
    // No reload, and nothing left to write: the stored values are the new ones.
    session.flush()?;
    assert!(db.sql().is_empty());
    assert_eq!(all[1].status(), Status::Persistent);
    Ok(())
}

#[test]
fn an_unflushed_change_to_a_set_column_is_overwritten_others_stay_pending() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let session = session.autoflush(false);
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    {
        let mut h = rusty.write()?;
        h.age = Some(1);
        h.name = "Rusty".into();
    }
    db.forget();
    session.execute(update::<Hero>().filter(Hero::id.eq(2)).set(Hero::age, 60))?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? RETURNING id (60, 2)"]
    );
    assert_eq!(rusty.read()?.age, Some(60));
    assert_eq!(rusty.read()?.name, "Rusty");
    // The flush writes the name only: age 60 is what the row holds.
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET name=? WHERE hero.id = ? ('Rusty', 2)"]
    );
    assert_eq!(heroes(&db)[1], "2, 'Rusty', 60, 1");
    Ok(())
}

#[test]
fn a_changed_foreign_key_moves_the_many_to_one() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let avengers = common::one_to_many::team("Avengers");
    session.add(&avengers)?;
    session.flush()?;
    let lion = session.get::<Hero>(4)?.expect("Black Lion");
    assert!(lion.read()?.team.get()?.is_none());
    let id = avengers.read()?.id.expect("flushed");
    session.execute(
        update::<Hero>()
            .filter(Hero::id.eq(4))
            .set(Hero::team_id, id),
    )?;
    db.forget();
    assert!(lion.read()?.team.get()? == Some(avengers.clone()));
    assert!(db.sql().is_empty(), "the team was in the identity map");
    Ok(())
}

#[test]
fn expired_objects_are_left_to_reload() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    session.expire(&rusty);
    session.execute(update::<Hero>().filter(Hero::id.eq(2)).set(Hero::age, 61))?;
    db.forget();
    assert_eq!(rusty.read()?.age, Some(61));
    assert_eq!(db.sql().len(), 1, "one reload");
    Ok(())
}

#[test]
fn a_loaded_object_deleted_in_bulk_is_deleted_until_rollback() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    let lion = session.get::<Hero>(4)?.expect("Black Lion");
    db.forget();
    let n = session.execute(delete::<Hero>().filter(Hero::age.gt(40)))?;
    assert_eq!(n, 1);
    assert_eq!(rusty.status(), Status::Deleted);
    assert_eq!(lion.status(), Status::Persistent);
    // Out of the identity map, as after a flushed delete: `get` asks the database.
    assert!(session.get::<Hero>(2)?.is_none());
    // Still readable, like an object deleted by a flush.
    assert_eq!(rusty.read()?.name, "Rusty-Man");
    // A query does not return it.
    assert_eq!(session.exec(select::<Hero>())?.len(), 4);

    session.rollback()?;
    assert_eq!(rusty.status(), Status::Persistent);
    let again = session.get::<Hero>(2)?.expect("back after rollback");
    assert!(again == rusty);
    assert_eq!(heroes(&db).len(), 5);
    Ok(())
}

#[test]
fn a_committed_bulk_delete_detaches_the_loaded_objects() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    session.execute(delete::<Hero>().filter(Hero::id.eq(2)))?;
    session.commit()?;
    assert_eq!(rusty.status(), Status::Detached);
    assert!(session.get::<Hero>(2)?.is_none());
    assert_eq!(heroes(&db).len(), 4);
    Ok(())
}

#[test]
fn a_pending_delete_or_update_of_a_row_deleted_in_bulk_is_dropped() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let session = session.autoflush(false);
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    let spider = session.get::<Hero>(3)?.expect("Spider-Boy");
    rusty.write()?.age = Some(1);
    session.delete(&spider)?;
    db.forget();
    let n = session.execute(delete::<Hero>().filter(Hero::id.in_([2, 3])))?;
    assert_eq!(n, 2);
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["DELETE FROM hero WHERE hero.id IN (?, ?) RETURNING id (2, 3)"]
    );
    assert_eq!(rusty.status(), Status::Detached);
    assert_eq!(spider.status(), Status::Detached);
    assert_eq!(heroes(&db).len(), 3);
    Ok(())
}

#[test]
fn a_failed_bulk_statement_changes_nothing() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let preventers = session.get::<Team>(1)?.expect("Preventers");
    // Heroes still point at the team: the foreign key refuses the delete.
    let err = session
        .execute(delete::<Team>().filter(Team::id.eq(1)))
        .unwrap_err();
    // On PostgreSQL the failure aborted the transaction, which the session rolled back.
    let err = match err {
        Error::RolledBack { source } if db.is_postgres() => *source,
        other => other,
    };
    assert!(matches!(err, Error::Statement { .. }), "{err}");
    assert_eq!(preventers.status(), Status::Persistent);
    assert!(session.get::<Team>(1)?.is_some());
    session.commit()?;
    assert_eq!(db.table("SELECT count(*) FROM team"), ["1"]);
    Ok(())
}

#[test]
fn a_failing_flush_after_a_bulk_statement_is_rolled_back_with_it() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let before = heroes(&db)[0].clone();
    session.execute(update::<Hero>().filter(Hero::id.eq(1)).set(Hero::age, 77))?;
    // A second hero with id 1: its INSERT fails, and undoes only the flush; the session then
    // waits for the rollback, which undoes the bulk statement too.
    let twin = Hero {
        id: Some(1),
        name: "Twin".into(),
        ..Default::default()
    }
    .track();
    session.add(&twin)?;
    assert!(session.flush().is_err());
    assert!(matches!(
        session.execute(update::<Hero>().set(Hero::age, 1)),
        Err(Error::PendingRollback { .. })
    ));
    session.rollback()?;
    session.commit()?;
    assert_eq!(heroes(&db)[0], before);
    Ok(())
}

#[test]
fn an_object_inserted_then_deleted_in_bulk_is_transient_after_rollback() -> orm::Result<()> {
    let (_db, session) = seeded()?;
    let new = common::one_to_many::hero("New");
    session.add(&new)?;
    session.flush()?;
    session.execute(delete::<Hero>().filter(Hero::name.eq("New")))?;
    assert_eq!(new.status(), Status::Deleted);
    session.rollback()?;
    assert_eq!(new.status(), Status::Transient);
    assert_eq!(new.key(), None);

    // The same through a flushed delete.
    session.add(&new)?;
    session.flush()?;
    session.delete(&new)?;
    session.flush()?;
    session.rollback()?;
    assert_eq!(new.status(), Status::Transient);
    Ok(())
}

#[test]
fn a_borrowed_object_is_expired_instead() -> orm::Result<()> {
    let (db, session) = seeded()?;
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    {
        let guard = rusty.read()?;
        session.execute(update::<Hero>().filter(Hero::id.eq(2)).set(Hero::age, 62))?;
        assert_eq!(
            guard.age,
            Some(48),
            "the guard still shows what it borrowed"
        );
    }
    assert!(rusty.is_expired());
    db.forget();
    assert_eq!(rusty.read()?.age, Some(62));
    assert_eq!(db.sql().len(), 1, "one reload");
    Ok(())
}

#[test]
fn collections_listing_a_deleted_object_keep_it_until_commit_expires_them() -> orm::Result<()> {
    // As in SQLAlchemy, a bulk statement does not edit relationship collections in memory.
    let (_db, session) = seeded()?;
    let preventers = session.get::<Team>(1)?.expect("Preventers");
    let rusty = session.get::<Hero>(2)?.expect("Rusty-Man");
    assert!(preventers.read()?.heroes.contains(&rusty)?);
    session.execute(delete::<Hero>().filter(Hero::id.eq(2)))?;
    assert!(preventers.read()?.heroes.contains(&rusty)?);
    session.commit()?;
    assert!(!preventers.read()?.heroes.contains(&rusty)?);
    assert_eq!(preventers.read()?.heroes.len()?, 2);
    Ok(())
}
