//! What the memory tests count with: a probe field in each model that reports to the counter
//! of the test that made the object (a collection may run on another test's thread and free
//! it there), the models (teams and heroes both ways, a tree of nodes), and a seeded engine.

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use orm::prelude::*;

/// Objects made and freed by one test.
#[derive(Default)]
pub struct Counter {
    made: AtomicUsize,
    freed: AtomicUsize,
}

impl Counter {
    pub fn live(&self) -> usize {
        self.made.load(Ordering::SeqCst) - self.freed.load(Ordering::SeqCst)
    }

    pub fn freed(&self) -> usize {
        self.freed.load(Ordering::SeqCst)
    }
}

thread_local! {
    /// The counter of the test running on this thread.
    static COUNTER: RefCell<Option<Arc<Counter>>> = const { RefCell::new(None) };
}

/// A fresh counter for the objects this thread makes from now on.
pub fn counter() -> Arc<Counter> {
    let c = Arc::new(Counter::default());
    count_with(&c);
    c
}

/// Objects this thread makes from now on count with `c` (for a test's worker threads).
pub fn count_with(c: &Arc<Counter>) {
    COUNTER.with(|t| *t.borrow_mut() = Some(Arc::clone(c)));
}

/// Waits until `count` saw `freed` objects freed (or a few seconds went by): a collection
/// running on another thread holds the objects it looks at until it ends, so what a session
/// drop lets go of may be freed a moment later, on that thread.
pub fn wait_for_frees(count: &Counter, freed: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while count.freed() < freed && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Counts the structs made and freed (whatever thread frees them).
#[derive(Debug)]
pub struct DropProbe(Option<Arc<Counter>>);

impl Default for DropProbe {
    fn default() -> Self {
        let c = COUNTER.with(|t| t.borrow().clone());
        if let Some(c) = &c {
            c.made.fetch_add(1, Ordering::SeqCst);
        }
        DropProbe(c)
    }
}

impl std::fmt::Debug for Counter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} live", self.live())
    }
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        if let Some(c) = &self.0 {
            c.freed.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub probe: DropProbe,
}

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub probe: DropProbe,
}

#[derive(Table, Debug, Default)]
pub struct Node {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "node.id")]
    pub parent_id: Option<i64>,
    #[orm(relationship(back_populates = "children"))]
    pub parent: One<Node>,
    #[orm(relationship(back_populates = "parent"))]
    pub children: Many<Node>,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub probe: DropProbe,
}

/// `teams` teams of `heroes` heroes each, committed.
pub fn seeded(teams: usize, heroes: usize) -> orm::Result<Engine> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero, Node)>()?;
    let session = Session::new(&engine);
    for t in 0..teams {
        let team = Team {
            name: format!("team {t}"),
            ..Default::default()
        }
        .track();
        for h in 0..heroes {
            let hero = Hero {
                name: format!("hero {t}.{h}"),
                team: One::to(&team),
                ..Default::default()
            };
            session.add(&hero.track())?;
        }
    }
    session.commit()?;
    Ok(engine)
}
