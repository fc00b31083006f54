//! Attacks on the cycle collector (`orm::collect_cycles`, also run by itself): collections run
//! on other threads, in a loop, while objects are loaded, linked, moved, taken out of their
//! fields, rolled back, expunged and handed out again by the identity map. What a user still
//! reaches must stay whole (both sides of each relationship agree, nothing re-loads that was
//! loaded, pending changes are written), and what nobody reaches must be freed.
//!
//! Objects count themselves through a probe field, as in `memory.rs`: a collection may run on
//! another test's thread and free them there. Each of the six defects a review found has its
//! test here (an emptied object handed out by the identity map; links and loads made while a
//! collection runs; objects leaving a session through a savepoint rollback, expunge or a
//! committed delete).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use orm::prelude::*;

use crate::counted::{counter, seeded, DropProbe, Hero, Node, Team};

/// A thread that runs `orm::collect_cycles` in a loop until stopped.
struct Collector {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<usize>>,
}

impl Collector {
    fn start() -> Collector {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut runs = 0;
                while !stop.load(Ordering::SeqCst) {
                    orm::collect_cycles();
                    runs += 1;
                }
                runs
            })
        };
        Collector {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread; returns how many collections it ran.
    fn stop(mut self) -> usize {
        self.halt()
    }

    fn halt(&mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        match self.thread.take() {
            Some(t) => t.join().expect("the collector thread"),
            None => 0,
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Busy-waits a little (no lock, no handle held): lets a collection on another thread run.
fn pause(spins: usize) {
    for _ in 0..spins {
        std::hint::spin_loop();
    }
}

/// Collects until nothing more is freed (a collection on another thread may hold some
/// objects while it runs).
fn collect_all() {
    for _ in 0..4 {
        orm::collect_cycles();
    }
}

// ---- findings -------------------------------------------------------------------------------

/// After the proof the collector empties the garbage's cells and lets go of the sessions'
/// locks, but it still holds its own strong reference to every object it freed (they go with
/// the trash, last), and those objects are still in their session's identity map. A
/// `session.get` in that window (or a query, or a lazy load, whose rows go through the map)
/// upgrades the entry and hands out an object whose relationships were just emptied: its
/// many-to-one was left "not loaded, key unknown", so reading it must reload the hero's own
/// row, which `hero.read()?.team.get()` cannot do under its own read guard: `Borrowed`, on
/// every read, for as long as the object lives (and a SELECT of the hero each time).
#[test]
fn an_identity_map_hit_never_returns_an_object_the_collector_emptied() -> orm::Result<()> {
    let engine = seeded(1, 1)?;
    let session = Session::new(&engine).expire_on_commit(false);
    let _count = counter();
    // Survivors that make each collection take a while after its proof (the window).
    let ballast_team = Team::default().track();
    let ballast: Vec<Tracked<Hero>> = (0..3000)
        .map(|_| {
            Hero {
                team: One::to(&ballast_team),
                ..Default::default()
            }
            .track()
        })
        .collect();
    let log = engine.capture();
    let collector = Collector::start();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut emptied = None;
    let mut rounds = 0;
    while Instant::now() < deadline && emptied.is_none() {
        rounds += 1;
        {
            // Both sides loaded: a cycle that nobody holds once these handles go.
            let hero = session.get::<Hero>(1)?.expect("hero 1");
            let team = hero.read()?.team.get()?.expect("its team");
            assert_eq!(team.read()?.heroes.len()?, 1);
        }
        // Until the pair is collected, the identity map gives the same, loaded hero.
        let hero = loop {
            let hero = session.get::<Hero>(1)?.expect("hero 1");
            if !hero.read()?.team.is_loaded() {
                break hero;
            }
            drop(hero);
            pause(2000);
        };
        // A fresh hero (loaded again) knows its team's key and loads it; an emptied one
        // lost the key and must reload its own row, which it cannot do under the guard.
        log.clear();
        let first = hero.read()?.team.get();
        match first {
            Ok(team) => {
                let team = team.expect("its team");
                assert!(team.read()?.heroes.contains(&hero)?);
            }
            Err(e) => {
                let again = hero.read()?.team.get().err();
                emptied = Some((e, again, log.take_lines()));
            }
        }
    }
    collector.stop();
    drop(ballast);
    if let Some((first, again, lines)) = emptied {
        panic!(
            "round {rounds}: `hero.read()?.team.get()` on an identity-map hit failed with {first:?} \
             (and again: {again:?}); SQL: {lines:#?}"
        );
    }
    Ok(())
}

/// A collection takes the candidates and reads their cells; an object that held nothing
/// then is dropped from the candidates when the collection ends. A link made in between
/// notes nothing (`note` sees the flag the candidate still has), so the cycle it makes is
/// never a candidate again: it is never freed.
#[test]
fn objects_linked_while_a_collection_runs_are_still_freed() -> orm::Result<()> {
    let count = counter();
    let collector = Collector::start();
    for i in 0..3000 {
        let team = Team::default().track();
        let hero = Hero::default().track();
        pause(i % 64 * 50);
        hero.read()?.team.set(&team)?;
        assert!(team.read()?.heroes.contains(&hero)?);
    }
    collector.stop();
    collect_all();
    assert_eq!(
        count.live(),
        0,
        "{count:?}: pairs linked during a collection leaked"
    );
    Ok(())
}

/// The same loss through the session's own loads: a lazy load notes its owner (the session
/// marks it a holder) before it runs its SELECT and fills the relationship. A collection that
/// reads the owner in between finds it holding nothing and drops it from the candidates;
/// when both sides of a hero/team pair are lost so, the loaded pair is never freed while
/// the session lives.
#[test]
fn pairs_loaded_while_a_collection_runs_are_still_freed() -> orm::Result<()> {
    let engine = seeded(1, 1)?;
    let count = counter();
    let collector = Collector::start();
    // A session per round, kept: each loads its own pair, which it never lets go of.
    let mut sessions = Vec::new();
    for _ in 0..1500 {
        let session = Session::new(&engine);
        let hero = session.get::<Hero>(1)?.expect("a hero");
        let team = hero.read()?.team.get()?.expect("its team");
        assert!(team.read()?.heroes.contains(&hero)?);
        sessions.push(session);
    }
    collector.stop();
    collect_all();
    assert_eq!(
        count.live(),
        0,
        "{count:?}: pairs loaded during a collection leaked"
    );
    Ok(())
}

/// Objects a rolled-back savepoint made new again keep their entries in the session's holder
/// list (only `rollback` forgets them), which the proof cannot account for once the objects
/// are in no session: they are never freed while the session lives.
#[test]
fn new_objects_of_a_rolled_back_savepoint_are_freed_when_dropped() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let session = Session::new(&engine);
    let count = counter();
    let result: orm::Result<()> = session.begin_nested(|s| {
        let team = Team {
            name: "Z-Force".into(),
            ..Default::default()
        }
        .track();
        let hero = Hero {
            name: "Deadpond".into(),
            team: One::to(&team),
            ..Default::default()
        }
        .track();
        s.add(&hero)?;
        s.flush()?;
        Err(orm::Error::Query {
            message: "undo".into(),
        })
    });
    assert!(result.is_err());
    collect_all();
    assert_eq!(count.live(), 0, "{count:?} after the savepoint rolled back");
    Ok(())
}

/// An expunged object keeps its entries in the session's holder list; once detached it is
/// in no session, so the proof cannot account for them: a row that is its own parent, loaded
/// and expunged, is never freed while the session lives.
#[test]
fn expunged_objects_in_a_cycle_are_freed_when_dropped() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let session = Session::new(&engine);
    session.execute_sql(
        "INSERT INTO node (id, name, parent_id) VALUES (1, 'self', 1)",
        (),
    )?;
    let count = counter();
    {
        let node = session.get::<Node>(1)?.expect("node 1");
        assert!(node.read()?.parent.get()? == Some(node.clone()));
        session.expunge(&node)?;
        assert_eq!(node.status(), orm::Status::Detached);
    }
    collect_all();
    assert_eq!(count.live(), 0, "{count:?} after an expunge");
    Ok(())
}

/// A deleted row, once committed, is detached, but its entries stay in the session's holder
/// list, which the proof cannot account for: with `expire_on_commit(false)` its team still
/// lists it, and the deleted hero, its team and the team's other heroes are never freed
/// while the session lives.
#[test]
fn objects_deleted_and_committed_are_freed_when_dropped() -> orm::Result<()> {
    let engine = seeded(1, 2)?;
    let session = Session::new(&engine).expire_on_commit(false);
    let count = counter();
    {
        let hero = session.get::<Hero>(1)?.expect("hero 1");
        let team = hero.read()?.team.get()?.expect("its team");
        assert_eq!(team.read()?.heroes.len()?, 2);
        session.delete(&hero)?;
        session.commit()?;
        assert_eq!(hero.status(), orm::Status::Detached);
    }
    collect_all();
    assert_eq!(count.live(), 0, "{count:?} after a delete was committed");
    Ok(())
}

thread_local! {
    /// A `Bomb` dropped on this thread panics (set only around one `collect_cycles` call).
    static ARMED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Panics when dropped on a thread that armed it, and only there: a collection of another
/// test's thread that frees it must not fail that test.
#[derive(Debug, Default)]
pub struct Bomb;

impl Drop for Bomb {
    fn drop(&mut self) {
        if ARMED.with(std::cell::Cell::get) && !std::thread::panicking() {
            panic!("a Drop that panics, run by the collection that freed its object");
        }
    }
}

#[derive(Table, Debug, Default)]
pub struct Fuse {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "fuse.id")]
    pub parent_id: Option<i64>,
    #[orm(relationship(back_populates = "children"))]
    pub parent: One<Fuse>,
    #[orm(relationship(back_populates = "parent"))]
    pub children: Many<Fuse>,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub bomb: Bomb,
}

/// A `Drop` that panics inside a collection poisons the collector's `RUNNING` lock on the
/// way out; `run_if_due` used `try_lock` and took a poisoned lock for a busy one, so from then
/// on no collection ever ran by itself again (only `collect_cycles`, which takes a poisoned
/// lock as is, still worked). Fixed in `collect::collect`; this is the regression test. (Run
/// alone, `--exact`, to see it fail without the fix: other tests' explicit collections would
/// free its objects too.)
#[test]
fn a_panic_in_a_drop_run_by_a_collection_leaves_collections_running_by_themselves(
) -> orm::Result<()> {
    let mut exploded = false;
    for _ in 0..200 {
        {
            let fuse = Fuse::default().track();
            fuse.read()?.parent.set(&fuse)?; // its own parent: a cycle
        }
        ARMED.with(|a| a.set(true));
        let result = std::panic::catch_unwind(orm::collect_cycles);
        ARMED.with(|a| a.set(false));
        if result.is_err() {
            exploded = true;
            break;
        }
    }
    assert!(exploded, "no collection of this thread freed a fuse");
    // Linked pairs, dropped at once, with no call: a collection must run by itself.
    let count = counter();
    for _ in 0..20_000 {
        let team = Team::default().track();
        Hero {
            team: One::to(&team),
            ..Default::default()
        }
        .track();
        if count.freed() > 0 {
            break;
        }
    }
    assert!(
        count.freed() > 0,
        "{count:?}: no collection ran by itself after the panic"
    );
    collect_all();
    assert_eq!(count.live(), 0);
    Ok(())
}

// ---- attacks that held ------------------------------------------------------------------------

/// A `Many` and a `One` taken out of their fields through a write guard keep their cells:
/// the owner is reachable only through them (and through what they hold). A collector runs
/// all the while; both sides must stay whole.
#[test]
fn relationships_taken_out_of_their_fields_keep_their_owner_and_members() -> orm::Result<()> {
    let count = counter();
    let collector = Collector::start();
    let result = (|| -> orm::Result<()> {
        let mut heroes_of_gone_teams: Vec<Many<Hero>> = Vec::new();
        let mut teams_of_gone_heroes: Vec<One<Team>> = Vec::new();
        for round in 0..40 {
            // The team is dropped; its collection, taken out, holds the heroes, which hold
            // the team: a cycle that only the taken `Many` reaches.
            // (Linked by objects made with the link: a link made later may be lost to the
            // collector, see `objects_linked_while_a_collection_runs_are_still_freed`.)
            let team = Team::default().track();
            let taken = std::mem::take(&mut team.write()?.heroes);
            for _ in 0..3 {
                Hero {
                    team: One::to(&team),
                    ..Default::default()
                }
                .track();
            }
            drop(team);
            heroes_of_gone_teams.push(taken);
            // The hero is dropped; its `One`, taken out, holds the team, whose collection
            // holds the hero.
            let hero = Hero::default().track();
            let taken = std::mem::take(&mut hero.write()?.team);
            Team {
                heroes: Many::from([&hero]),
                ..Default::default()
            }
            .track();
            drop(hero);
            teams_of_gone_heroes.push(taken);
            for (i, heroes) in heroes_of_gone_teams.iter().enumerate() {
                let members = heroes.to_vec()?;
                assert_eq!(members.len(), 3, "round {round}, team {i}");
                let team = members[0].read()?.team.get()?.expect("the team");
                // The team's field holds the same cell again.
                assert_eq!(team.read()?.heroes.len()?, 3);
                for m in &members {
                    assert!(m.read()?.team.get()?.as_ref() == Some(&team));
                }
            }
            for (i, one) in teams_of_gone_heroes.iter().enumerate() {
                let team = one.get()?.expect("the team");
                let hero = team.read()?.heroes.get(0)?.expect("the hero");
                assert_eq!(team.read()?.heroes.len()?, 1, "round {round}, hero {i}");
                assert!(hero.read()?.team.get()?.as_ref() == Some(&team));
            }
            orm::collect_cycles();
        }
        Ok(())
    })();
    collector.stop();
    result?;
    collect_all();
    assert_eq!(count.live(), 0, "{count:?} once the taken fields are gone");
    Ok(())
}

/// Heroes move between teams in a session; the worker holds no handle between moves, so a
/// moved hero is held only by the session's list of changes until a flush, and by its cycle
/// after. A collector runs all the while. Every move must reach the database, and memory
/// must agree with it.
///
/// (Moves are made from the team side, `team.heroes.push(&hero)`: from the hero side,
/// `hero.read()?.team.set(..)` can fail with `Borrowed` on an object the identity map hands
/// out while a collection ends, see the first test of this module.)
#[test]
fn moves_in_a_session_are_all_written_while_collecting() -> orm::Result<()> {
    let engine = seeded(4, 20)?;
    let _count = counter();
    let session = Session::new(&engine).expire_on_commit(false);
    let mut expected: Vec<i64> = (0..80).map(|h| h / 20 + 1).collect();
    let collector = Collector::start();
    let result = (|| -> orm::Result<()> {
        for round in 0..12_i64 {
            for h in 0..80_i64 {
                let target = (h * 7 + round * 3) % 4 + 1;
                let hero = session.get::<Hero>(h + 1)?.expect("a hero");
                let team = session.get::<Team>(target)?.expect("a team");
                team.read()?.heroes.push(&hero)?;
                expected[h as usize] = target;
                if h % 9 == 0 {
                    // Both sides loaded again: more cycles for the collector.
                    assert!(team.read()?.heroes.contains(&hero)?);
                }
            }
            if round % 3 == 2 {
                session.flush()?;
            }
            if round % 4 == 3 {
                session.commit()?;
            }
        }
        session.commit()?;
        Ok(())
    })();
    collector.stop();
    result?;
    let stored: Vec<(Option<i64>, Option<i64>)> = session.values(
        select::<Hero>()
            .columns((Hero::id, Hero::team_id))
            .order_by(Hero::id),
    )?;
    let want: Vec<(Option<i64>, Option<i64>)> = (0..80)
        .map(|h| (Some(h + 1), Some(expected[h as usize])))
        .collect();
    assert_eq!(stored, want);
    for t in 1..=4 {
        let team = session.get::<Team>(t)?.expect("a team");
        let mut ids: Vec<i64> = team
            .read()?
            .heroes
            .iter()?
            .map(|h| h.read().map(|h| h.id.expect("an id")))
            .collect::<orm::Result<_>>()?;
        ids.sort_unstable();
        let want: Vec<i64> = (0..80)
            .filter(|&h| expected[h as usize] == t)
            .map(|h| h + 1)
            .collect();
        assert_eq!(ids, want, "team {t} in memory");
        // (The foreign key, not `hero.team.get()`: collections of other tests' threads go on,
        // and a hero they free can be handed out by this load while emptied, see the first
        // test of this module; its `team` then cannot load under a guard.)
        for hero in team.read()?.heroes.iter()? {
            assert_eq!(hero.read()?.team_id, Some(t));
        }
    }
    Ok(())
}

/// Sessions are dropped (letting go of their objects) while collections run on another
/// thread and free the cycles those sessions loaded; what the user kept past each session
/// stays readable on both sides.
#[test]
fn sessions_dropped_while_collecting_leave_what_is_kept_readable() -> orm::Result<()> {
    let engine = seeded(6, 1)?;
    let count = counter();
    let collector = Collector::start();
    let result = (|| -> orm::Result<()> {
        let mut kept: Vec<Tracked<Hero>> = Vec::new();
        for round in 0..30 {
            let session = Session::new(&engine).expire_on_commit(false);
            for id in 1..=6 {
                let hero = session.get::<Hero>(id)?.expect("a hero");
                let team = hero.read()?.team.get()?.expect("its team");
                assert!(team.read()?.heroes.contains(&hero)?);
                if id == round % 6 + 1 {
                    kept.push(hero);
                }
            }
            if round % 2 == 0 {
                session.commit()?;
            }
            drop(session);
            for hero in &kept {
                assert_eq!(hero.status(), orm::Status::Detached);
                let team = hero.read()?.team.get()?.expect("still loaded");
                // The team holds its only hero weakly: readable while the hero lives.
                assert!(team.read()?.heroes.contains(hero)?);
                assert_eq!(team.read()?.heroes.len()?, 1);
            }
            if kept.len() > 4 {
                kept.remove(0);
            }
        }
        Ok(())
    })();
    collector.stop();
    result?;
    collect_all();
    assert_eq!(
        count.live(),
        0,
        "{count:?} once the kept heroes are dropped"
    );
    Ok(())
}

/// New objects flushed, rolled back (transient again, still linked in memory), and added
/// again, while collections run: nothing of theirs is emptied, and the second time they are
/// written with their links.
#[test]
fn rolled_back_new_objects_stay_linked_and_are_written_when_added_again() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let session = Session::new(&engine);
    let count = counter();
    let collector = Collector::start();
    let result = (|| -> orm::Result<()> {
        for round in 0..25 {
            let team = Team {
                name: format!("team {round}"),
                ..Default::default()
            }
            .track();
            let heroes: Vec<Tracked<Hero>> = (0..3)
                .map(|h| {
                    Hero {
                        name: format!("hero {round}.{h}"),
                        team: One::to(&team),
                        ..Default::default()
                    }
                    .track()
                })
                .collect();
            session.add(&team)?;
            session.flush()?;
            session.rollback()?;
            pause(20_000);
            assert_eq!(team.status(), orm::Status::Transient);
            assert_eq!(team.read()?.heroes.len()?, 3);
            for h in &heroes {
                assert_eq!(h.status(), orm::Status::Transient);
                assert!(h.read()?.team.get()?.as_ref() == Some(&team));
            }
            // Only the team is held now: its heroes are reached through it.
            drop(heroes);
            orm::collect_cycles();
            session.add(&team)?;
            session.commit()?;
            let stored = session.count(
                select::<Hero>().filter(Hero::team_id.eq(team.read()?.id.expect("an id"))),
            )?;
            assert_eq!(stored, 3, "round {round}");
        }
        Ok(())
    })();
    collector.stop();
    result?;
    collect_all();
    assert_eq!(count.live(), 0, "{count:?}");
    Ok(())
}

/// A detached parent holds its loaded children weakly; a child that got into a cycle of its
/// own since (a new node made its child) is reachable only through that weak list. The
/// proof cannot account for that weak reference (the parent is no garbage), so the child
/// must be kept, whole, as long as the parent lives, with collections running all the while.
#[test]
fn a_child_only_a_detached_collection_lists_is_kept_whole() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let count = counter();
    {
        let session = Session::new(&engine);
        session.execute_sql(
            "INSERT INTO node (id, name, parent_id) VALUES (1, 'parent', NULL), (2, 'child', 1)",
            (),
        )?;
        session.commit()?;
    }
    let collector = Collector::start();
    let result = (|| -> orm::Result<()> {
        for round in 0..20 {
            let (parent, child) = {
                let session = Session::new(&engine);
                let parent = session.get::<Node>(1)?.expect("node 1");
                let child = parent.read()?.children.get(0)?.expect("node 2");
                assert!(child.read()?.parent.get()?.as_ref() == Some(&parent));
                (parent, child)
            }; // the session is gone: the parent holds its children weakly
               // The child gets a new child of its own: a cycle (the new node's parent is the
               // child, the child's collection records the new node as added).
            Node {
                name: format!("grandchild {round}"),
                parent: One::to(&child),
                ..Default::default()
            }
            .track();
            drop(child);
            for _ in 0..50 {
                orm::collect_cycles();
                let children = parent.read()?.children.to_vec()?;
                assert_eq!(children.len(), 1, "round {round}: the child is alive");
                let child = &children[0];
                assert_eq!(child.read()?.name, "child");
                assert!(child.read()?.parent.get()?.as_ref() == Some(&parent));
            }
            assert_eq!(count.live(), 3, "round {round}: parent, child, grandchild");
            drop(parent);
            collect_all();
            assert_eq!(count.live(), 0, "round {round}: all three freed");
        }
        Ok(())
    })();
    collector.stop();
    result
}

/// A row with no probe: what a `Drop` run by a collection may make without disturbing the
/// counters of the tests whose threads run it.
#[derive(Table, Debug, Default)]
pub struct Ring {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "ring.id")]
    pub parent_id: Option<i64>,
    #[orm(relationship(back_populates = "children"))]
    pub parent: One<Ring>,
    #[orm(relationship(back_populates = "parent"))]
    pub children: Many<Ring>,
}

/// On drop, uses the library: calls `collect_cycles`, makes a new cycle, runs a query in a
/// session of its own.
#[derive(Debug, Default)]
pub struct Echo(Option<Engine>);

impl Drop for Echo {
    fn drop(&mut self) {
        let Some(engine) = &self.0 else { return };
        orm::collect_cycles();
        let ring = Ring::default().track();
        if let Ok(r) = ring.read() {
            let _ = r.parent.set(&ring);
        }
        let session = Session::new(engine);
        let _ = session.add(&Ring::default().track());
        let _ = session.count(select::<Ring>());
    }
}

#[derive(Table, Debug, Default)]
pub struct Noisy {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(foreign_key = "noisy.id")]
    pub parent_id: Option<i64>,
    #[orm(relationship(back_populates = "children"))]
    pub parent: One<Noisy>,
    #[orm(relationship(back_populates = "parent"))]
    pub children: Many<Noisy>,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub echo: Echo,
    #[orm(skip)]
    #[allow(dead_code)] // held for its Drop, never read
    pub probe: DropProbe,
}

/// Freeing runs the `Drop` of the freed structs' fields inside the collection, on whichever
/// thread collects; a `Drop` that uses the library (collects, links, queries) must neither
/// deadlock nor start a nested collection.
#[test]
fn drops_that_use_the_library_inside_a_collection_neither_deadlock_nor_nest() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Ring, Noisy)>()?;
    let count = counter();
    let collector = Collector::start();
    for round in 0..200 {
        // Linked as they are made (a link made later may be lost to the collector, see
        // `objects_linked_while_a_collection_runs_are_still_freed`).
        let b = Noisy {
            echo: Echo(Some(engine.clone())),
            ..Default::default()
        }
        .track();
        let a = Noisy {
            echo: Echo(Some(engine.clone())),
            parent: One::to(&b),
            ..Default::default()
        }
        .track();
        b.read()?.parent.set(&a)?;
        if round % 10 == 0 {
            orm::collect_cycles();
        }
    }
    collector.stop();
    collect_all();
    assert_eq!(count.live(), 0, "{count:?}");
    Ok(())
}
