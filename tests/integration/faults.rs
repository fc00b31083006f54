//! Faults in user code and bad values: a statement hook that panics in the middle of a
//! flush, a panic while a write guard is out, a NaN float. None of them may leave half a
//! change in the database or write one twice.

use crate::common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::one_to_many::{hero, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Error;

#[test]
fn a_hook_that_panics_mid_flush_leaves_nothing_written() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let armed = Arc::new(AtomicBool::new(false));
    let inserts = Arc::new(AtomicUsize::new(0));
    {
        let (armed, inserts) = (Arc::clone(&armed), Arc::clone(&inserts));
        db.engine.on_statement(move |s| {
            if s.sql.starts_with("INSERT")
                && inserts.fetch_add(1, Ordering::SeqCst) == 1
                && armed.load(Ordering::SeqCst)
            {
                panic!("hook failed");
            }
        });
    }
    let session = db.session();
    // An earlier flush of the same transaction wrote one hero: the failed flush must undo
    // only itself.
    session.add(&hero("first"))?;
    session.flush()?;
    armed.store(true, Ordering::SeqCst);
    inserts.store(0, Ordering::SeqCst);
    let (a, b) = (hero("a"), hero("b"));
    session.add(&a)?;
    session.add(&b)?;
    let outcome = catch_unwind(AssertUnwindSafe(|| session.flush()));
    assert!(outcome.is_err(), "the hook panicked");
    assert_eq!(a.key(), None, "no key from a flush that did not finish");
    armed.store(false, Ordering::SeqCst);
    // The session goes on; the retry writes each row once.
    session.commit()?;
    // Each row once (names: PostgreSQL's sequences do not give back the ids of the
    // INSERTs the panic undid, SQLite's rowids do).
    assert_eq!(
        db.table("SELECT name FROM hero ORDER BY id"),
        ["'first'", "'a'", "'b'"]
    );
    Ok(())
}

#[test]
fn a_panic_under_a_write_guard_keeps_the_half_change_out_of_the_database() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(&hero("Deadpond"))?;
    session.commit()?;
    let deadpond = session.get::<Hero>(1)?.expect("row");
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut guard = deadpond.write().expect("write");
        guard.name = "half".into();
        panic!("in the middle of a change");
    }));
    assert!(outcome.is_err());
    // Readable, but not written.
    assert_eq!(deadpond.read()?.name, "half");
    let err = session.commit().expect_err("poisoned");
    assert!(
        matches!(err, Error::Poisoned { table: "hero", .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "a panic left a change to this hero object (1) half done; reload it with session.refresh() before flushing"
    );
    assert_eq!(db.table("SELECT name FROM hero"), ["'Deadpond'"]);
    // The failed flush makes the session wait for a rollback; that expires the object, and
    // the reload makes it whole. It can be changed and written again.
    assert!(matches!(
        session.refresh(&deadpond),
        Err(Error::PendingRollback { .. })
    ));
    session.rollback()?;
    assert_eq!(deadpond.read()?.name, "Deadpond");
    deadpond.write()?.age = Some(30);
    session.commit()?;
    assert_eq!(db.table("SELECT name, age FROM hero"), ["'Deadpond', 30"]);
    Ok(())
}

#[derive(Table, Debug, Default)]
pub struct Reading {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub value: f64,
}

#[test]
fn nan_is_refused_with_the_column_named() -> orm::Result<()> {
    let db = Db::new::<(Reading,)>();
    let session = db.session();
    let reading = Reading {
        value: f64::NAN,
        ..Default::default()
    }
    .track();
    session.add(&reading)?;
    let err = session.commit().expect_err("NaN");
    assert_eq!(
        err.to_string(),
        "cannot store reading.value: the value is NaN, which SQLite stores as NULL; store None in an Option<f64> field for a missing number"
    );
    assert!(db.table("SELECT id FROM reading").is_empty());
    // Fixed, it is written (after the rollback the session waits for); set to NaN later, the
    // UPDATE is refused the same way.
    reading.write()?.value = 1.5;
    session.rollback()?;
    session.add(&reading)?;
    session.commit()?;
    reading.write()?.value = f64::NAN;
    assert!(matches!(
        session.commit(),
        Err(Error::InvalidValue {
            column: "value",
            ..
        })
    ));
    assert_eq!(db.table("SELECT value FROM reading"), ["1.5"]);
    Ok(())
}

#[derive(Table, Debug, Default)]
pub struct Small {
    #[orm(primary_key)]
    pub id: Option<i32>,
    pub name: String,
}

#[test]
fn a_key_past_the_fields_range_is_refused_before_anything_is_kept() -> orm::Result<()> {
    let db = Db::new::<(Small,)>();
    if db.sqlite_only(
        "the key past i32 lives in SQLite's 64-bit INTEGER; PostgreSQL's INTEGER refuses it itself",
    ) {
        return Ok(());
    }
    db.raw("INSERT INTO small (id, name) VALUES (2147483647, 'last i32')");
    let session = db.session();
    let small = Small {
        name: "too far".into(),
        ..Default::default()
    }
    .track();
    session.add(&small)?;
    let err = session.commit().expect_err("out of range");
    let message = err.to_string();
    assert!(
        message.starts_with("cannot store small.id: the database assigned the key 2147483648, which the field cannot hold"),
        "{message}"
    );
    assert_eq!(small.key(), None);
    assert_eq!(
        db.table("SELECT count(*) FROM small"),
        ["1"],
        "the row was not kept"
    );
    Ok(())
}

#[test]
fn an_id_the_flush_could_not_set_reaches_the_field_once_the_guard_is_gone() -> orm::Result<()> {
    use std::sync::mpsc;
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let deadpond = hero("Deadpond");
    session.add(&deadpond)?;
    // While the flush runs its INSERT, another thread takes a read guard on the hero and
    // holds it until the flush is over: the flush cannot set the id on the field then.
    let (taken_tx, taken_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let reader = {
        let hero = deadpond.clone();
        std::thread::spawn(move || {
            go_rx.recv().expect("go");
            let guard = hero.read().expect("read");
            taken_tx.send(()).expect("taken");
            release_rx.recv().expect("release");
            drop(guard);
        })
    };
    let armed = Arc::new(AtomicBool::new(true));
    {
        let armed = Arc::clone(&armed);
        let go = std::sync::Mutex::new(go_tx);
        let taken = std::sync::Mutex::new(taken_rx);
        db.engine.on_statement(move |s| {
            if s.sql.starts_with("INSERT") && armed.swap(false, Ordering::SeqCst) {
                go.lock().expect("go").send(()).expect("send");
                taken.lock().expect("taken").recv().expect("taken");
            }
        });
    }
    session.flush()?;
    assert_eq!(deadpond.key(), Some(1.into()), "the session knows the key");
    release_tx.send(()).expect("release");
    reader.join().expect("reader thread");
    assert_eq!(deadpond.read()?.id, Some(1), "and the field has it now");
    session.commit()?;
    assert_eq!(db.table("SELECT id, name FROM hero"), ["1, 'Deadpond'"]);
    Ok(())
}

#[test]
fn a_write_made_on_another_thread_while_a_flush_runs_is_written_by_the_next() -> orm::Result<()> {
    use std::sync::mpsc;
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(&hero("Deadpond"))?;
    session.commit()?;
    let deadpond = session.get::<Hero>(1)?.expect("row");
    deadpond.write()?.age = Some(30);
    // While the flush runs its UPDATE, another thread changes the hero again.
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let writer = {
        let hero = deadpond.clone();
        std::thread::spawn(move || {
            go_rx.recv().expect("go");
            hero.write().expect("write").name = "Wade".into();
            done_tx.send(()).expect("done");
        })
    };
    let armed = Arc::new(AtomicBool::new(true));
    {
        let armed = Arc::clone(&armed);
        let go = std::sync::Mutex::new(go_tx);
        let done = std::sync::Mutex::new(done_rx);
        db.engine.on_statement(move |s| {
            if s.sql.starts_with("UPDATE") && armed.swap(false, Ordering::SeqCst) {
                go.lock().expect("go").send(()).expect("send");
                done.lock().expect("done").recv().expect("done");
            }
        });
    }
    session.commit()?;
    writer.join().expect("writer thread");
    assert_eq!(db.table("SELECT name, age FROM hero"), ["'Deadpond', 30"]);
    // The change made meanwhile was not lost: the next commit writes it.
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET name=? WHERE hero.id = ? ('Wade', 1)"]
    );
    assert_eq!(db.table("SELECT name, age FROM hero"), ["'Wade', 30"]);
    Ok(())
}

#[test]
fn a_write_made_while_a_flush_writes_a_foreign_key_it_computed_is_written_by_the_next(
) -> orm::Result<()> {
    use std::sync::mpsc;
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(&hero("Deadpond"))?;
    session.add(
        &Team {
            name: "Z-Force".into(),
            ..Default::default()
        }
        .track(),
    )?;
    session.commit()?;
    let deadpond = session.get::<Hero>(1)?.expect("hero");
    let z_force = session.get::<Team>(1)?.expect("team");
    // The hero changes only through the team's side: the flush computes its foreign key,
    // and no write guard was taken on it before.
    z_force.read()?.heroes.push(&deadpond)?;
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let writer = {
        let hero = deadpond.clone();
        std::thread::spawn(move || {
            go_rx.recv().expect("go");
            hero.write().expect("write").name = "Wade".into();
            done_tx.send(()).expect("done");
        })
    };
    let armed = Arc::new(AtomicBool::new(true));
    {
        let armed = Arc::clone(&armed);
        let go = std::sync::Mutex::new(go_tx);
        let done = std::sync::Mutex::new(done_rx);
        db.engine.on_statement(move |s| {
            if s.sql.starts_with("UPDATE") && armed.swap(false, Ordering::SeqCst) {
                go.lock().expect("go").send(()).expect("send");
                done.lock().expect("done").recv().expect("done");
            }
        });
    }
    db.forget();
    session.commit()?;
    writer.join().expect("writer thread");
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET team_id=? WHERE hero.id = ? (1, 1)"]
    );
    // The name set meanwhile was not lost, and the key is not written again.
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET name=? WHERE hero.id = ? ('Wade', 1)"]
    );
    assert_eq!(db.table("SELECT name, team_id FROM hero"), ["'Wade', 1"]);
    Ok(())
}

#[test]
fn a_hook_that_uses_a_session_gets_an_error_not_a_deadlock() -> orm::Result<()> {
    use std::sync::Mutex;
    let db = Db::new::<(Team, Hero)>();
    let session = Arc::new(db.session());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let (session, seen) = (Arc::clone(&session), Arc::clone(&seen));
        db.engine.on_statement(move |s| {
            if s.sql.starts_with("INSERT") {
                let outcome = match session.get::<Hero>(1) {
                    Ok(_) => "ok".to_owned(),
                    Err(e) => e.to_string(),
                };
                seen.lock().expect("seen").push(outcome);
            }
        });
    }
    let deadpond = hero("Deadpond");
    session.add(&deadpond)?;
    session.commit()?;
    let seen = seen.lock().expect("seen").clone();
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0].starts_with("a statement hook cannot use a session"),
        "{seen:?}"
    );
    assert_eq!(db.table("SELECT name FROM hero"), ["'Deadpond'"]);
    // Outside the hook, the session works as before.
    assert_eq!(session.get::<Hero>(1)?, Some(deadpond));
    Ok(())
}
