//! Warnings go to the `log` facade under target `orm::session`: a new object reached only
//! through a collection, never added, is not written (as in SQLAlchemy), and says so.

mod common;

use std::sync::Mutex;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;

struct Collect(Mutex<Vec<String>>);

impl log::Log for Collect {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target() == "orm::session"
    }
    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            let line = format!("{} {}", record.level(), record.args());
            self.0.lock().expect("log lock").push(line);
        }
    }
    fn flush(&self) {}
}

static LOGGER: Collect = Collect(Mutex::new(Vec::new()));

#[test]
fn a_member_never_added_is_not_written_and_a_warning_says_so() -> orm::Result<()> {
    log::set_logger(&LOGGER).expect("the only logger of this test binary");
    log::set_max_level(log::LevelFilter::Warn);
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let preventers = team("Preventers");
    session.add(&preventers)?;
    session.commit()?;
    // Linked from the hero's side only: the team's collection lists it, the session does not.
    let rusty = hero("Rusty-Man");
    rusty.read()?.team.set(&preventers)?;
    session.commit()?;
    assert!(db.table("SELECT name FROM hero").is_empty());
    assert_eq!(
        LOGGER.0.lock().expect("log lock").clone(),
        ["WARN a Hero in Team.heroes is not in the session, so it is not written; add it with session.add()"]
    );
    Ok(())
}
