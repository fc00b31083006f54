//! Memory: objects nobody can reach are given back. Both sides of a relationship hold each
//! other (a hero its team, the team its heroes), and a row can be its own parent: such groups
//! are freed by the cycle collector (`orm::collect_cycles`, also run by itself), in a session
//! that lives on, for new objects never added, and after a rollback; nothing a user still
//! reaches is ever freed or unloaded.
//!
//! Objects count themselves through a probe field that reports to the counter of the test
//! that made them: a collection may run on another test's thread and free them there.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use orm::prelude::*;

use crate::counted::{counter, seeded, wait_for_frees, Hero, Node, Team};

#[test]
fn what_was_loaded_stays_readable_after_the_session_is_gone() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero)>()?;
    let hero = {
        let session = Session::new(&engine);
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
        session.add(&hero)?;
        session.commit()?;
        let team = hero.read()?.team.get()?.expect("a team"); // loaded before the session ends
        assert_eq!(team.read()?.heroes.len()?, 1);
        hero
    };
    // The many-to-one keeps its target alive: readable, like a loaded attribute in SQLModel.
    let team = hero.read()?.team.get()?.expect("still loaded");
    assert_eq!(team.read()?.name, "Z-Force");
    // The collection holds its members weakly: readable while they are alive.
    assert!(team.read()?.heroes.contains(&hero)?);
    assert_eq!(team.read()?.heroes.len()?, 1);
    drop(hero);
    // (A collection running on another thread may hold it until it ends: wait for that.)
    orm::collect_cycles();
    let err = team.read()?.heroes.len().unwrap_err();
    assert!(matches!(err, orm::Error::Detached { .. }), "{err}");
    Ok(())
}

#[test]
fn objects_linked_both_ways_are_freed_with_their_session() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero)>()?;
    {
        let session = Session::new(&engine);
        let team = Team {
            name: "Z-Force".into(),
            ..Default::default()
        }
        .track();
        for name in ["A", "B"] {
            let h = Hero {
                name: name.into(),
                team: One::to(&team),
                ..Default::default()
            }
            .track();
            session.add(&h)?;
        }
        session.commit()?;
    }
    let count = counter();
    {
        let session = Session::new(&engine).expire_on_commit(false);
        let heroes = session.exec(select::<Hero>())?.all();
        for h in &heroes {
            let team = h.read()?.team.get()?.expect("a team");
            assert_eq!(team.read()?.heroes.len()?, 2); // both sides loaded: a cycle
        }
        session.commit()?;
    }
    wait_for_frees(&count, 3);
    assert_eq!(
        count.freed(),
        3,
        "one team and two heroes freed when the session and the handles are gone"
    );
    Ok(())
}

#[test]
fn objects_loaded_eagerly_both_ways_are_freed_with_their_session() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero)>()?;
    {
        let session = Session::new(&engine);
        for t in ["Z-Force", "Preventers"] {
            let team = Team {
                name: t.into(),
                ..Default::default()
            }
            .track();
            for name in ["A", "B", "C"] {
                let h = Hero {
                    name: name.into(),
                    team: One::to(&team),
                    ..Default::default()
                };
                session.add(&h.track())?;
            }
        }
        session.commit()?;
    }
    let count = counter();
    let loner = {
        let session = Session::new(&engine);
        // Both sides loaded by options: teams hold heroes, heroes hold their team.
        let teams = session
            .exec(select::<Team>().options(selectin(Team::heroes).then(joined(Hero::team))))?
            .all();
        for team in &teams {
            for hero in team.read()?.heroes.iter()? {
                assert!(hero.read()?.team.is_loaded());
            }
        }
        // And one object loaded and never touched, kept by the user past the session.
        session.get::<Hero>(1)?.expect("hero")
    };
    assert_eq!(loner.status(), orm::Status::Detached, "its session is gone");
    drop(loner);
    wait_for_frees(&count, 8);
    assert_eq!(count.freed(), 8, "two teams and six heroes freed");
    Ok(())
}

#[test]
fn dropping_a_session_leaves_objects_that_moved_to_another_session_alone() -> orm::Result<()> {
    let engine = Engine::memory()?;
    engine.create_all::<(Team, Hero)>()?;
    let first = Session::new(&engine);
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
    first.add(&hero)?;
    first.flush()?;
    first.rollback()?; // new again
    let second = Session::new(&engine);
    second.add(&hero)?;
    let other = Hero {
        name: "Rusty-Man".into(),
        ..Default::default()
    }
    .track();
    team.read()?.heroes.push(&other)?;
    drop(first);
    assert_eq!(
        hero.status(),
        orm::Status::Pending,
        "still the second session's"
    );
    second.commit()?;
    let names: Vec<(String, Option<i64>)> = second.values(
        select::<Hero>()
            .columns((Hero::name, Hero::team_id))
            .order_by(Hero::id),
    )?;
    assert_eq!(
        names,
        [
            ("Deadpond".to_owned(), Some(1)),
            ("Rusty-Man".to_owned(), Some(1))
        ]
    );
    Ok(())
}

/// Loads every hero and both sides of its team relationship; returns how many heroes.
fn load_both_sides(session: &Session) -> orm::Result<usize> {
    let heroes = session.exec(select::<Hero>())?.all();
    for hero in &heroes {
        let team = hero.read()?.team.get()?.expect("a team");
        assert!(team.read()?.heroes.contains(hero)?);
    }
    Ok(heroes.len())
}

#[test]
fn a_session_that_never_commits_gives_back_both_sides_of_what_nobody_holds() -> orm::Result<()> {
    let engine = seeded(10, 100)?;
    let count = counter();
    let session = Session::new(&engine);
    assert_eq!(load_both_sides(&session)?, 1000);
    assert_eq!(count.live(), 1010, "heroes and teams hold each other");
    orm::collect_cycles();
    assert_eq!(count.live(), 0, "{count:?} while the session lives on");
    // The session goes on as before: the rows load again.
    assert_eq!(load_both_sides(&session)?, 1000);
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    Ok(())
}

#[test]
fn without_expire_on_commit_a_commit_gives_back_what_nobody_holds() -> orm::Result<()> {
    let engine = seeded(10, 100)?;
    let count = counter();
    let session = Session::new(&engine).expire_on_commit(false);
    for _ in 0..3 {
        load_both_sides(&session)?;
        session.commit()?;
        // The commit collects when enough was dropped since the last collection (another
        // test's may have been larger); collecting again then finds what is left.
        orm::collect_cycles();
        assert_eq!(count.live(), 0, "{count:?} after a commit");
    }
    Ok(())
}

#[test]
fn collections_run_by_themselves_as_objects_are_loaded_and_linked() -> orm::Result<()> {
    // 40 teams of 100 heroes, loaded with both sides in rounds of 400 heroes: the loaded
    // relationships pass the collector's threshold and it runs, with no call and no commit.
    let engine = seeded(40, 100)?;
    let count = counter();
    let session = Session::new(&engine);
    for round in 0..10 {
        let heroes = session
            .exec(
                select::<Hero>().filter(
                    Hero::team_id
                        .gt(round * 4)
                        .and(Hero::team_id.le(round * 4 + 4)),
                ),
            )?
            .all();
        for hero in &heroes {
            let team = hero.read()?.team.get()?.expect("a team");
            assert_eq!(team.read()?.heroes.len()?, 100);
        }
    }
    // Tests on other threads share the collector (their candidates count towards its
    // threshold, and a collection of theirs may be the one that frees these): go on making
    // and dropping linked objects, no call and no commit, until one has run.
    let others = counter();
    for i in 0..100_000 {
        if count.freed() > 0 {
            break;
        }
        let team = Team {
            name: format!("team {i}"),
            ..Default::default()
        }
        .track();
        Hero {
            team: One::to(&team),
            ..Default::default()
        }
        .track();
    }
    assert!(count.freed() > 0, "nothing freed by itself: {count:?}");
    assert!(count.live() < 4040, "{count:?}");
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    assert_eq!(others.live(), 0);
    Ok(())
}

#[test]
fn new_objects_linked_to_each_other_are_freed_when_dropped() -> orm::Result<()> {
    let count = counter();
    // Other tests' candidates count towards the collector's threshold: make pairs until it
    // has run by itself (a few thousand alone; far fewer than the bound).
    for i in 0..200_000 {
        if count.freed() > 0 {
            break;
        }
        let team = Team {
            name: format!("team {i}"),
            ..Default::default()
        }
        .track();
        let hero = Hero {
            name: format!("hero {i}"),
            team: One::to(&team),
            ..Default::default()
        }
        .track();
        assert!(team.read()?.heroes.contains(&hero)?);
    }
    assert!(count.freed() > 0, "the collector ran by itself: {count:?}");
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    Ok(())
}

#[test]
fn new_objects_of_a_rolled_back_flush_are_freed_when_dropped() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let session = Session::new(&engine);
    let count = counter();
    {
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
        session.add(&hero)?;
        session.flush()?;
        session.rollback()?;
        assert_eq!(hero.status(), orm::Status::Transient);
        // Still linked in memory, as they were built.
        assert!(hero.read()?.team.get()? == Some(team.clone()));
        assert!(team.read()?.heroes.contains(&hero)?);
    }
    orm::collect_cycles();
    assert_eq!(count.live(), 0, "freed while the session lives on");
    Ok(())
}

#[test]
fn rows_that_are_their_own_parent_or_each_others_are_freed() -> orm::Result<()> {
    let engine = seeded(0, 0)?;
    let session = Session::new(&engine);
    session.execute_sql(
        "INSERT INTO node (id, name, parent_id) VALUES (1, 'self', NULL), (2, 'a', NULL), (3, 'b', 2)",
        (),
    )?;
    session.execute_sql("UPDATE node SET parent_id = id WHERE id = 1", ())?;
    session.execute_sql("UPDATE node SET parent_id = 3 WHERE id = 2", ())?;
    let count = counter();
    for id in 1..=3 {
        let node = session.get::<Node>(id)?.expect("a node");
        let parent = node.read()?.parent.get()?.expect("a parent");
        assert!(parent.read()?.children.contains(&node)?);
    }
    let own = session.get::<Node>(1)?.expect("node 1");
    assert!(
        own.read()?.parent.get()? == Some(own.clone()),
        "its own parent"
    );
    drop(own);
    assert_eq!(count.live(), 3, "a One and a Many pointing back: cycles");
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    // New objects made so in memory too.
    let a = Node::default().track();
    a.read()?.parent.set(&a)?;
    let (b, c) = (Node::default().track(), Node::default().track());
    b.read()?.parent.set(&c)?;
    c.read()?.parent.set(&b)?;
    drop((a, b, c));
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    Ok(())
}

#[test]
fn what_a_user_holds_or_reaches_is_never_freed_nor_unloaded() -> orm::Result<()> {
    let engine = seeded(2, 50)?;
    let count = counter();
    let session = Session::new(&engine).expire_on_commit(false);
    load_both_sides(&session)?;
    let team = session.get::<Team>(1)?.expect("team 1");
    let hero = session.get::<Hero>(51)?.expect("hero 51, of team 2");
    orm::collect_cycles();
    assert_eq!(
        count.live(),
        102,
        "both teams and all heroes are reached from these two"
    );
    let log = engine.capture();
    for _ in 0..2 {
        // Through the team: its heroes, and their team (itself).
        for h in team.read()?.heroes.iter()? {
            assert!(h.read()?.team.get()? == Some(team.clone()));
        }
        // Through the hero: its team, its team's heroes.
        let other = hero.read()?.team.get()?.expect("team 2");
        assert_eq!(other.read()?.heroes.len()?, 50);
        for h in other.read()?.heroes.iter()? {
            assert_eq!(h.read()?.team_id, Some(2));
        }
        drop(other);
        assert!(session.get::<Hero>(1)?.is_some());
        assert!(session.get::<Team>(2)?.is_some());
        session.commit()?;
        orm::collect_cycles();
    }
    let selects: Vec<String> = log
        .take_lines()
        .into_iter()
        .filter(|l| l.starts_with("SELECT"))
        .collect();
    assert!(selects.is_empty(), "no SELECT: {selects:?}");
    assert_eq!(count.live(), 102);
    drop(team);
    orm::collect_cycles();
    assert_eq!(
        count.live(),
        51,
        "team 2 and its heroes, reached from hero 51"
    );
    drop(hero);
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    Ok(())
}

#[test]
fn a_collection_on_another_thread_never_frees_what_is_being_read() -> orm::Result<()> {
    let engine = seeded(4, 25)?;
    let session = Session::new(&engine);
    let count = counter();
    load_both_sides(&session)?;
    let teams = session.exec(select::<Team>())?.all();
    let log = engine.capture();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                orm::collect_cycles();
            }
        })
    };
    let result = (|| -> orm::Result<()> {
        for _ in 0..200 {
            for team in &teams {
                let heroes = team.read()?.heroes.to_vec()?;
                assert_eq!(heroes.len(), 25);
                for h in heroes {
                    assert!(h.read()?.team.get()?.as_ref() == Some(team));
                }
            }
        }
        Ok(())
    })();
    stop.store(true, Ordering::SeqCst);
    collector.join().expect("the collector thread");
    result?;
    assert!(log.is_empty(), "no SQL: {:?}", log.take_lines());
    assert_eq!(count.live(), 104);
    drop(teams);
    orm::collect_cycles();
    assert_eq!(count.live(), 0);
    Ok(())
}

#[test]
fn links_changed_on_one_thread_while_another_collects_are_never_lost() -> orm::Result<()> {
    // One thread moves new heroes between two new teams and drops half of its handles each
    // round; another collects all the while. What the first still holds must keep every
    // member and target it reaches, on both sides.
    let count = counter();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
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
    let result = (|| -> orm::Result<()> {
        let teams = [Team::default().track(), Team::default().track()];
        let mut kept: Vec<Tracked<Hero>> = Vec::new();
        for round in 0..300 {
            let hero = Hero {
                name: format!("hero {round}"),
                team: One::to(&teams[round % 2]),
                ..Default::default()
            }
            .track();
            kept.push(hero);
            for (i, h) in kept.iter().enumerate() {
                h.read()?.team.set(&teams[(round + i) % 2])?;
            }
            if round % 3 == 0 {
                // Drop a handle: the hero stays reachable through its team.
                kept.remove(0);
            }
            for (t, team) in teams.iter().enumerate() {
                for h in team.read()?.heroes.iter()? {
                    assert!(h.read()?.team.get()?.as_ref() == Some(team), "team {t}");
                }
            }
            for h in &kept {
                let team = h.read()?.team.get()?.expect("a team");
                assert!(team.read()?.heroes.contains(h)?);
            }
        }
        let members: usize = teams
            .iter()
            .map(|t| t.read().and_then(|t| t.heroes.len()))
            .sum::<orm::Result<usize>>()?;
        assert_eq!(members, 300, "every hero is still a member of one team");
        Ok(())
    })();
    stop.store(true, Ordering::SeqCst);
    let runs = collector.join().expect("the collector thread");
    result?;
    assert!(runs > 0);
    orm::collect_cycles();
    assert_eq!(count.live(), 0, "all freed once the teams are dropped");
    Ok(())
}
