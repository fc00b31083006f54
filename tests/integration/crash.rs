//! A process killed at any point loses nothing it committed: a child process (this test
//! binary, run again for its `crash_child` test) commits in a loop and reports each commit
//! after `commit()` returned; the parent kills it with SIGKILL at random moments, then checks
//! the file with `PRAGMA integrity_check` and looks for every reported commit. 5 kills by
//! default; `ORM_CRASH_ROUNDS` for more.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime};

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;

const CHILD_ENV: &str = "ORM_CRASH_CHILD_DB";

/// In the child: commit forever (until killed), each commit a new hero, a counter
/// incremented and a hero moved, and say so on stdout once `commit()` returned.
#[test]
fn crash_child() -> orm::Result<()> {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return Ok(()); // run as a normal test: nothing to do
    };
    let engine = Engine::open(&path)?;
    let session = Session::new(&engine);
    let mut next = session.count(select::<Hero>())? as i64;
    let mut out = std::io::stdout().lock();
    loop {
        let counter = session.get::<Hero>(1)?.expect("counter row");
        let count = counter.read()?.age.unwrap_or(0);
        counter.write()?.age = Some(count + 1);
        let mover = session.get::<Hero>(2)?.expect("mover row");
        let to = session.get::<Team>(next % 2 + 1)?.expect("team row");
        mover.read()?.team.set(&to)?;
        session.add(&hero(&format!("n{next}")))?;
        session.commit()?;
        writeln!(out, "committed n{next} counter {}", count + 1).expect("stdout");
        out.flush().expect("stdout");
        next += 1;
    }
}

/// A small pseudo-random sequence, seeded from the clock (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

#[test]
fn commits_survive_a_kill_at_any_point() -> orm::Result<()> {
    let rounds: usize = std::env::var("ORM_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let db = Db::new::<(Team, Hero)>();
    if db.sqlite_only("kills a process committing to a SQLite file and checks the file") {
        return Ok(());
    }
    let setup = db.session();
    let (a, b) = (team("A"), team("B"));
    let (counter, mover) = (hero("counter"), hero("mover"));
    mover.read()?.team.set(&a)?;
    setup.add_all([&counter, &mover])?;
    setup.add(&b)?;
    setup.commit()?;
    drop(setup);

    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        | 1;
    let mut rng = Rng(seed);
    let mut reported: Vec<String> = Vec::new();
    let mut last_counter = 0;
    for round in 0..rounds {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "crash::crash_child",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, db.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the child");
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("committed ") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for a first commit (the child is up), then kill at a random moment.
        let started = Instant::now();
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("round {round}: the child never committed"));
        reported.push(first);
        std::thread::sleep(Duration::from_micros(rng.next(300_000)));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        reader.join().expect("reader thread");
        reported.extend(rx.try_iter());
        assert!(started.elapsed() < Duration::from_secs(60));

        // The file is whole, and every commit the child reported is there.
        assert_eq!(
            db.table("PRAGMA integrity_check"),
            ["'ok'"],
            "round {round}"
        );
        let names: std::collections::HashSet<String> =
            db.table("SELECT name FROM hero").into_iter().collect();
        for line in &reported {
            let mut words = line.split(' ');
            let name = words.nth(1).expect("a name");
            assert!(names.contains(&format!("'{name}'")), "{name} was lost");
            let count: i64 = words.nth(1).and_then(|c| c.parse().ok()).expect("count");
            last_counter = last_counter.max(count);
        }
        let counter_now: i64 = db.table("SELECT age FROM hero WHERE id = 1")[0]
            .parse()
            .expect("a number");
        assert!(counter_now >= last_counter, "the counter went back");
        // Nothing half written: one new hero per counted commit.
        assert_eq!(
            db.table("SELECT count(*) FROM hero WHERE name LIKE 'n%'"),
            [counter_now.to_string()]
        );
    }
    assert!(reported.len() >= rounds);
    eprintln!("{} commits reported over {rounds} kills", reported.len());
    Ok(())
}
