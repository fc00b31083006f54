//! Autoflush before lazy loads: reading a relationship that is not loaded flushes pending
//! changes before its SELECT, as a query does, so the load sees them; the loads a change
//! makes for itself (`set`, `remove`, a back-populate, a delete's subtree) never flush half
//! of it; `Session::no_autoflush` turns it off for a scope; and a change in progress (a
//! write guard) makes the load skip the flush instead of failing or deadlocking.

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Status;

const SELECT_TEAM: &str =
    "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ?";
const HEROES_OF_TEAM: &str = "SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE ? = hero.team_id";

fn insert_hero(name: &str, team_id: Option<i64>) -> String {
    let team_id = team_id.map_or("NULL".to_owned(), |t| t.to_string());
    format!("INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('{name}', 'secret {name}', NULL, {team_id})")
}

/// Teams A (1) and B (2); hero a1 (1) in A. Committed, with nothing of it left in memory.
fn seeded() -> orm::Result<Db> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let (a, b, a1) = (team("A"), team("B"), hero("a1"));
    a1.read()?.team.set(&a)?;
    s.add_all([&a, &b])?;
    s.add(&a1)?;
    s.commit()?;
    db.forget();
    Ok(db)
}

#[test]
fn reading_a_relationship_flushes_pending_changes_before_its_select() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a1 = session.get::<Hero>(1)?.expect("a1");
    // Changes the database does not know yet: a1's foreign key set by hand, a new hero in B.
    a1.write()?.team_id = Some(2);
    let b2 = hero("b2");
    b2.write()?.team_id = Some(2);
    session.add(&b2)?;
    db.forget();

    // The many-to-one follows the foreign key as flushed (read guard held: no obstacle).
    let b = a1.read()?.team.get()?.expect("a team");
    assert_eq!(b.read()?.name, "B");
    // The collection's SELECT sees both heroes; nothing left to flush by then.
    let members = b.read()?.heroes.to_vec()?;
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET team_id=? WHERE hero.id = ? (2, 1)".to_owned(),
            insert_hero("b2", Some(2)),
            format!("{SELECT_TEAM} (2,)"),
            format!("{HEROES_OF_TEAM} (2,)"),
        ]
    );
    // Both sides in memory, the same objects.
    assert_eq!(members, [a1.clone(), b2.clone()]);
    assert!(b2.read()?.team.get()? == Some(b.clone()));
    assert_eq!(b2.status(), Status::Persistent);
    assert_eq!(b2.read()?.id, Some(2));
    assert!(db.sql().is_empty(), "all loaded");

    session.commit()?;
    assert_eq!(
        db.table("SELECT id, name, team_id FROM hero ORDER BY id"),
        ["1, 'a1', 2", "2, 'b2', 2"]
    );
    Ok(())
}

#[test]
fn a_load_that_needs_no_sql_flushes_nothing() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a = session.get::<Team>(1)?.expect("A");
    let a1 = session.get::<Hero>(1)?.expect("a1");
    session.add(&hero("pending"))?;
    db.forget();
    // Team A is in the identity map: no SELECT, so no flush either.
    assert!(a1.read()?.team.get()? == Some(a.clone()));
    assert!(db.sql().is_empty());
    // A new object's collection has nothing to load.
    let c = team("C");
    session.add(&c)?;
    assert!(c.read()?.heroes.is_empty()?);
    assert!(db.sql().is_empty());
    Ok(())
}

#[test]
fn the_loads_a_change_makes_for_itself_never_flush() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a1 = session.get::<Hero>(1)?.expect("a1");
    let b = session.get::<Team>(2)?.expect("B");
    let pending = hero("pending");
    session.add(&pending)?;
    db.forget();

    // `set` loads the old target (team A, not in memory) to take a1 out of its collection:
    // a flush then would write half of the move.
    a1.read()?.team.set(&b)?;
    assert_eq!(db.sql(), [format!("{SELECT_TEAM} (1,)")]);
    // `remove` loads the collection it removes from; the other side is unset at once.
    let a = a1.read()?.team.get()?.expect("B now");
    assert!(a == b);
    let old = session.get::<Team>(1)?.expect("A, from the identity map");
    assert!(!old.read()?.heroes.remove(&a1)?, "moved out already");
    assert_eq!(db.sql(), [format!("{HEROES_OF_TEAM} (1,)")]);
    assert_eq!(pending.status(), Status::Pending, "still not flushed");

    // The user's next read flushes the whole change at once.
    assert_eq!(b.read()?.heroes.to_vec()?, vec![a1.clone()]);
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET team_id=? WHERE hero.id = ? (2, 1)".to_owned(),
            insert_hero("pending", None),
            format!("{HEROES_OF_TEAM} (2,)"),
        ]
    );
    assert!(old.read()?.heroes.is_empty()?);
    Ok(())
}

#[test]
fn deleting_loads_what_it_needs_without_flushing() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a = session.get::<Team>(1)?.expect("A");
    session.add(&hero("pending"))?;
    db.forget();
    // The delete loads A's heroes to unset their foreign key: no flush in between.
    session.delete(&a)?;
    assert_eq!(db.sql(), [format!("{HEROES_OF_TEAM} (1,)")]);
    session.commit()?;
    assert_eq!(
        db.table("SELECT name, team_id FROM hero ORDER BY id"),
        ["'a1', NULL", "'pending', NULL"]
    );
    assert_eq!(db.table("SELECT name FROM team"), ["'B'"]);
    Ok(())
}

#[test]
fn no_autoflush_turns_it_off_for_a_scope() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a = session.get::<Team>(1)?.expect("A");
    let a2 = hero("a2");
    a2.write()?.team_id = Some(1); // by foreign key alone: only the database can tell
    session.add(&a2)?;
    db.forget();

    let (inside, nested) = session.no_autoflush(|s| {
        let nested = s.no_autoflush(|s| s.count(select::<Hero>()))?;
        Ok((a.read()?.heroes.len()?, nested))
    })?;
    assert_eq!((inside, nested), (1, 1), "a2 not written yet");
    assert_eq!(
        db.sql(),
        [
            "SELECT count(*) FROM hero".to_owned(),
            format!("{HEROES_OF_TEAM} (1,)")
        ]
    );
    // Back on after the scope (a panic inside ends it too).
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        session.no_autoflush(|_| -> orm::Result<()> { panic!("inside the scope") })
    }));
    assert!(caught.is_err());
    assert_eq!(session.count(select::<Hero>())?, 2);
    assert_eq!(
        db.sql(),
        [
            insert_hero("a2", Some(1)),
            "SELECT count(*) FROM hero".to_owned()
        ]
    );
    Ok(())
}

#[test]
fn a_change_in_progress_skips_the_autoflush_instead_of_failing() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a1 = session.get::<Hero>(1)?.expect("a1");
    db.forget();
    {
        // The write guard is out on the very object being read: flushing it now would write
        // a half-made change, so the load goes ahead without a flush (no error, no hang).
        let mut guard = a1.write()?;
        guard.age = Some(30);
        let a = guard.team.get()?.expect("A");
        assert_eq!(a.read()?.name, "A");
    }
    assert_eq!(db.sql(), [format!("{SELECT_TEAM} (1,)")]);
    // The change is written by the next flush.
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? (30, 1)"]
    );
    assert_eq!(db.table("SELECT age FROM hero"), ["30"]);
    Ok(())
}

#[test]
fn an_autoflush_that_fails_fails_the_load_and_the_session_waits_for_rollback() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let a1 = session.get::<Hero>(1)?.expect("a1");
    let clash = hero("clash");
    clash.write()?.id = Some(1);
    session.add(&clash)?;
    let err = a1.read()?.team.get().unwrap_err();
    assert!(matches!(err, orm::Error::Statement { .. }), "{err}");
    assert!(matches!(
        a1.read()?.team.get(),
        Err(orm::Error::PendingRollback { .. })
    ));
    session.rollback()?;
    assert_eq!(
        a1.read()?.team.get()?.expect("A").read()?.name,
        "A",
        "works again"
    );
    assert_eq!(
        db.sql().last().map(String::as_str),
        Some(format!("{SELECT_TEAM} (1,)").as_str())
    );
    Ok(())
}
