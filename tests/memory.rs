//! Memory: the objects of a session are freed once the session and the user's handles are
//! gone, even when both sides of a relationship were loaded (they point at each other).

use std::sync::atomic::{AtomicUsize, Ordering};

use orm::prelude::*;

static DROPPED: AtomicUsize = AtomicUsize::new(0);

/// Counts how many structs were freed.
#[derive(Debug, Default)]
pub struct DropProbe;

impl Drop for DropProbe {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
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
    pub probe: DropProbe,
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
    let before = DROPPED.load(Ordering::SeqCst);
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
        DROPPED.load(Ordering::SeqCst) - before,
        3,
        "one team and two heroes freed when the session and the handles are gone"
    );
    Ok(())
}
