//! Memory: the objects of a session are freed once the session and the user's handles are
//! gone, even when both sides of a relationship were loaded (they point at each other).

use std::cell::Cell;

use orm::prelude::*;

thread_local! {
    /// Structs freed on this thread (tests run in parallel on other threads).
    static DROPPED: Cell<usize> = const { Cell::new(0) };
}

fn dropped() -> usize {
    DROPPED.with(Cell::get)
}

/// Counts how many structs were freed.
#[derive(Debug, Default)]
pub struct DropProbe;

impl Drop for DropProbe {
    fn drop(&mut self) {
        DROPPED.with(|d| d.set(d.get() + 1));
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
    let before = dropped();
    {
        let session = Session::new(&engine).expire_on_commit(false);
        let heroes = session.exec(select::<Hero>())?.all();
        for h in &heroes {
            let team = h.read()?.team.get()?.expect("a team");
            assert_eq!(team.read()?.heroes.len()?, 2); // both sides loaded: a cycle
        }
        session.commit()?;
    }
    assert_eq!(
        dropped() - before,
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
    let before = dropped();
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
    assert_eq!(dropped() - before, 8, "two teams and six heroes freed");
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
