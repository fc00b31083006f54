//! Every statement goes to the `log` facade under target `orm::engine`, echo or not, so an
//! application routes the SQL with its own logger.

use std::sync::Mutex;

use orm::prelude::*;

struct Collect(Mutex<Vec<String>>);

impl log::Log for Collect {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.target() == "orm::engine"
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

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
}

#[test]
fn statements_go_to_the_log_facade() -> orm::Result<()> {
    log::set_logger(&LOGGER).expect("the only logger of this test binary");
    log::set_max_level(log::LevelFilter::Info);
    let engine = Engine::memory()?; // echo off
    engine.create_all::<(Team,)>()?;
    let session = Session::new(&engine);
    session.add(
        &Team {
            name: "Z-Force".into(),
            ..Default::default()
        }
        .track(),
    )?;
    session.commit()?;
    let lines = LOGGER.0.lock().expect("log lock").clone();
    let insert = lines
        .iter()
        .position(|l| l == "INFO INSERT INTO team (name) VALUES (?)")
        .expect("the INSERT was logged");
    assert_eq!(lines[insert + 1], "INFO [params] ('Z-Force',)");
    assert!(lines.contains(
        &"INFO CREATE TABLE team (id INTEGER NOT NULL, name VARCHAR NOT NULL, PRIMARY KEY (id))"
            .to_owned()
    ));
    assert_eq!(lines.last().map(String::as_str), Some("INFO COMMIT"));
    Ok(())
}
