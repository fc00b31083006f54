//! One live object per row per session: queries and `get` return the same handle, a `get`
//! hit runs no SQL, and new objects without a key are never confused with each other.

use crate::common;

use common::one_to_many::{hero, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{Error, Status};

fn seeded() -> orm::Result<Db> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add_all([&hero("Deadpond"), &hero("Rusty-Man"), &hero("Spider-Boy")])?;
    session.commit()?;
    db.forget();
    Ok(db)
}

#[test]
fn two_queries_for_the_same_row_return_the_same_object() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let by_name = session
        .exec(select::<Hero>().filter(Hero::name.eq("Rusty-Man")))?
        .one()?;
    let all = session.exec(select::<Hero>().order_by(Hero::id))?.all();
    assert_eq!(all.len(), 3);
    assert!(all[1] == by_name, "the same handle, not a copy");
    by_name.write()?.age = Some(48);
    assert_eq!(
        all[1].read()?.age,
        Some(48),
        "a change through one is seen through the other"
    );
    Ok(())
}

#[test]
fn get_of_a_loaded_object_runs_no_sql() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let first = session.get::<Hero>(2)?.expect("hero 2");
    assert_eq!(
        db.sql(),
        ["SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE hero.id = ? (2,)"]
    );
    let again = session.get::<Hero>(2)?.expect("hero 2");
    assert!(first == again);
    assert!(db.all_sql().is_empty(), "an identity-map hit runs nothing");
    Ok(())
}

#[test]
fn get_of_a_missing_row_is_none() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    assert!(session.get::<Hero>(99)?.is_none());
    Ok(())
}

#[test]
fn get_checks_the_shape_of_the_key() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let err = session.get::<Hero>((1i64, 2i64)).unwrap_err();
    assert!(
        matches!(
            err,
            orm::Error::KeyShape {
                expected: 1,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
    Ok(())
}

#[test]
fn an_added_object_is_the_one_queries_return_after_flush() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let black_lion = hero("Black Lion");
    session.add(&black_lion)?;
    let found = session
        .exec(select::<Hero>().filter(Hero::name.eq("Black Lion")))?
        .one()?;
    assert!(found == black_lion);
    assert_eq!(black_lion.key(), Some(orm::Key::Int(4)));
    assert!(session.get::<Hero>(4)?.expect("hero 4") == black_lion);
    Ok(())
}

#[test]
fn new_objects_without_keys_are_distinct_rows() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let a = hero("Twin");
    let b = hero("Twin");
    assert!(a != b, "two objects, even with equal fields");
    session.add(&a)?;
    session.add(&b)?;
    session.add(&a)?; // adding twice is a no-op
    session.commit()?;
    assert_eq!(
        db.table("SELECT id, name FROM hero"),
        ["1, 'Twin'", "2, 'Twin'"]
    );
    assert_eq!(a.read()?.id, Some(1));
    assert_eq!(b.read()?.id, Some(2));
    Ok(())
}

#[test]
fn an_expired_object_keeps_its_identity_across_commit() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let hero = session.get::<Hero>(1)?.expect("hero 1");
    session.commit()?;
    assert!(hero.is_expired());
    let again = session.get::<Hero>(1)?.expect("hero 1");
    assert!(again == hero, "still the same object after commit");
    assert!(!hero.is_expired(), "get refreshed it");
    Ok(())
}

#[test]
fn sessions_do_not_share_objects() -> orm::Result<()> {
    let db = seeded()?;
    let one = db.session();
    let two = db.session();
    let a = one.get::<Hero>(1)?.expect("hero 1");
    let b = two.get::<Hero>(1)?.expect("hero 1");
    assert!(a != b);
    let err = two.add(&a).unwrap_err();
    assert!(matches!(err, orm::Error::OtherSession { .. }), "{err}");
    Ok(())
}

#[test]
fn a_clean_object_nobody_holds_is_not_kept() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    drop(session.get::<Hero>(1)?);
    db.forget();
    let again = session.get::<Hero>(1)?;
    assert!(again.is_some());
    assert_eq!(
        db.sql().len(),
        1,
        "loaded again: the identity map holds clean objects weakly"
    );
    Ok(())
}

#[test]
fn a_changed_object_nobody_holds_is_still_flushed() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    session.get::<Hero>(1)?.expect("hero 1").write()?.age = Some(30);
    session.commit()?;
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 1"), ["30"]);
    Ok(())
}

#[test]
fn adding_back_a_detached_object_whose_row_is_already_loaded_is_refused() -> orm::Result<()> {
    let db = seeded()?;
    let old = db.session();
    let detached = old.get::<Hero>(1)?.expect("hero 1");
    old.close()?;
    let session = db.session();
    let loaded = session.get::<Hero>(1)?.expect("hero 1");
    let err = session.add(&detached).unwrap_err();
    assert!(
        matches!(err, orm::Error::DuplicateIdentity { table: "Hero", .. }),
        "{err}"
    );
    assert!(
        session.get::<Hero>(1)?.expect("hero 1") == loaded,
        "still one object per row"
    );
    Ok(())
}

#[test]
fn changing_the_primary_key_moves_the_object_to_its_new_key() -> orm::Result<()> {
    let db = seeded()?;
    let session = db.session();
    let h = session.get::<Hero>(1)?.expect("hero 1");
    h.write()?.id = Some(99);
    session.commit()?;
    assert_eq!(
        db.table("SELECT id FROM hero ORDER BY id"),
        ["2", "3", "99"]
    );
    assert_eq!(h.key(), Some(orm::Key::Int(99)));
    assert_eq!(h.read()?.name, "Deadpond", "reloads under its new key");
    assert!(session.get::<Hero>(99)?.expect("hero 99") == h);
    assert!(session.get::<Hero>(1)?.is_none());
    Ok(())
}

#[test]
fn a_row_deleted_by_another_session_detaches_its_object() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let mine = db.session();
    mine.add(&hero("Deadpond"))?;
    mine.commit()?; // expired
    let deadpond = mine.get::<Hero>(1)?.expect("row");

    let other = db.session();
    let theirs = other.get::<Hero>(1)?.expect("row");
    other.delete(&theirs)?;
    other.commit()?;
    // Ending its transaction lets `mine` see the delete (and expires its objects).
    mine.commit()?;
    db.forget();

    let err = deadpond.read().expect_err("the row is gone");
    assert!(
        matches!(&err, Error::ObjectDeleted { table: "hero", key } if key == "1"),
        "{err:?}"
    );
    assert_eq!(deadpond.status(), Status::Detached);
    // It says so again, without SQL; the session has let go of it.
    assert!(matches!(deadpond.read(), Err(Error::ObjectDeleted { .. })));
    assert_eq!(db.sql().len(), 1, "one reload found nothing");
    assert_eq!(mine.get::<Hero>(1)?, None);
    Ok(())
}
