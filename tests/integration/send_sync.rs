//! Handles, sessions and engines cross threads: checked at compile time.

use crate::common;

use common::one_to_many::{Hero, Team};
use orm::prelude::*;

fn assert_send<T: Send>() {}
fn assert_send_sync_clone<T: Send + Sync + Clone>() {}

#[test]
fn handles_sessions_and_engines_are_send() {
    assert_send_sync_clone::<Engine>();
    assert_send::<Session>();
    assert_send_sync_clone::<Tracked<Hero>>();
    assert_send::<One<Team>>();
    assert_send::<Many<Hero>>();
}

#[test]
fn a_session_moves_to_another_thread_with_its_objects() -> orm::Result<()> {
    let db = common::Db::new::<(Team, Hero)>();
    let session = db.session();
    let hero = common::one_to_many::hero("Deadpond");
    session.add(&hero)?;
    let id = std::thread::spawn(move || -> orm::Result<Option<i64>> {
        session.commit()?;
        Ok(hero.read()?.id)
    })
    .join()
    .expect("thread")?;
    assert_eq!(id, Some(1));
    assert_eq!(db.table("SELECT id, name FROM hero"), ["1, 'Deadpond'"]);
    Ok(())
}

#[test]
fn relationship_changes_and_expiry_on_two_threads_do_not_deadlock() -> orm::Result<()> {
    use std::sync::mpsc;
    use std::time::Duration;

    let db = common::Db::new::<(Team, Hero)>();
    let session = std::sync::Arc::new(db.session());
    let (first, second) = (
        common::one_to_many::team("A"),
        common::one_to_many::team("B"),
    );
    let hero = common::one_to_many::hero("Deadpond");
    hero.read()?.team.set(&first)?;
    session.add(&hero)?;
    session.add(&second)?;
    session.commit()?;
    let (done, finished) = mpsc::channel();
    let mover = {
        let (teams, hero, done) = ([first.clone(), second.clone()], hero.clone(), done.clone());
        let session = session.clone();
        std::thread::spawn(move || {
            for i in 0..200 {
                // After a commit the hero knows its team only by key: moving it makes the
                // relationship look the old team up in the identity map.
                let _ = hero.read().map(drop);
                let _ = teams[i % 2].read().map(|t| t.heroes.push(&hero));
                let _ = session.commit();
            }
            let _ = done.send("mover");
        })
    };
    let expirer = {
        let session = session.clone();
        std::thread::spawn(move || {
            for _ in 0..2000 {
                session.expire_all();
            }
            let _ = done.send("expirer");
        })
    };
    for _ in 0..2 {
        let who = finished.recv_timeout(Duration::from_secs(60));
        assert!(who.is_ok(), "a thread is stuck: lock-order deadlock");
    }
    mover.join().expect("mover");
    expirer.join().expect("expirer");
    Ok(())
}
