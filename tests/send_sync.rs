//! Handles, sessions and engines cross threads: checked at compile time.

mod common;

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
