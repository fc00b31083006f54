//! A link model with extra fields (SQLModel's "Link Model with Extra Fields"): the link row is an
//! object of its own with a `One` to each side, and each side has a one-to-many collection of
//! links. Checked with the statements run, the rows written and both sides in memory, with and
//! without `delete_orphan` on the collections.

use crate::common;

use common::Db;
use orm::prelude::*;
use orm::{Error, Status};

/// The collections of links are declared with `delete_orphan`: a link removed from one is
/// deleted.
mod orphans {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct HeroTeamLink {
        #[orm(primary_key, foreign_key = "team.id")]
        pub team_id: Option<i64>,
        #[orm(primary_key, foreign_key = "hero.id")]
        pub hero_id: Option<i64>,
        pub is_training: bool,
        #[orm(relationship(back_populates = "hero_links"))]
        pub team: One<Team>,
        #[orm(relationship(back_populates = "team_links"))]
        pub hero: One<Hero>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(index)]
        pub name: String,
        pub headquarters: String,
        #[orm(relationship(back_populates = "team", delete_orphan))]
        pub hero_links: Many<HeroTeamLink>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(index)]
        pub name: String,
        pub secret_name: String,
        pub age: Option<i64>,
        #[orm(relationship(back_populates = "hero", delete_orphan))]
        pub team_links: Many<HeroTeamLink>,
    }

    pub type Models = (Team, Hero, HeroTeamLink);
}

/// The same without `delete_orphan`: a removed link would need a NULL in its primary key.
mod kept {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    #[orm(table = "kept_link")]
    pub struct HeroTeamLink {
        #[orm(primary_key, foreign_key = "kept_team.id")]
        pub team_id: Option<i64>,
        #[orm(primary_key, foreign_key = "kept_hero.id")]
        pub hero_id: Option<i64>,
        pub is_training: bool,
        #[orm(relationship(back_populates = "hero_links"))]
        pub team: One<Team>,
        #[orm(relationship(back_populates = "team_links"))]
        pub hero: One<Hero>,
    }

    #[derive(Table, Debug, Default)]
    #[orm(table = "kept_team")]
    pub struct Team {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        pub headquarters: String,
        #[orm(relationship(back_populates = "team"))]
        pub hero_links: Many<HeroTeamLink>,
    }

    #[derive(Table, Debug, Default)]
    #[orm(table = "kept_hero")]
    pub struct Hero {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        pub secret_name: String,
        pub age: Option<i64>,
        #[orm(relationship(back_populates = "hero"))]
        pub team_links: Many<HeroTeamLink>,
    }

    pub type Models = (Team, Hero, HeroTeamLink);
}

const LINKS: &str =
    "SELECT team_id, hero_id, is_training FROM heroteamlink ORDER BY team_id, hero_id";
const KEPT_LINKS: &str =
    "SELECT team_id, hero_id, is_training FROM kept_link ORDER BY team_id, hero_id";

/// Teams 1 Z-Force, 2 Preventers; heroes 1 Deadpond, 2 Rusty-Man, 3 Spider-Boy; links
/// (team, hero, is_training): Deadpond in Z-Force (0) and Preventers (1), Rusty-Man in
/// Preventers (0), Spider-Boy in Preventers (1). Written with plain SQL.
fn seed(db: &Db, prefix: &str, link: &str) {
    db.raw(&format!(
        "INSERT INTO {prefix}team (id, name, headquarters) VALUES
             (1, 'Z-Force', 'Bar'), (2, 'Preventers', 'Sharp Tower');
         INSERT INTO {prefix}hero (id, name, secret_name, age) VALUES
             (1, 'Deadpond', 'Dive Wilson', NULL), (2, 'Rusty-Man', 'Tommy Sharp', 48),
             (3, 'Spider-Boy', 'Pedro Parqueador', NULL);
         INSERT INTO {link} (team_id, hero_id, is_training) VALUES
             (1, 1, FALSE), (2, 1, TRUE), (2, 2, FALSE), (2, 3, TRUE);"
    ));
}

const SEEDED_LINKS: [&str; 4] = ["1, 1, 0", "2, 1, 1", "2, 2, 0", "2, 3, 1"];

fn seeded_orphans() -> Db {
    let db = Db::new::<orphans::Models>();
    seed(&db, "", "heroteamlink");
    db
}

fn seeded_kept() -> Db {
    let db = Db::new::<kept::Models>();
    seed(&db, "kept_", "kept_link");
    db
}

const INSERT_LINK: &str =
    "INSERT INTO heroteamlink (team_id, hero_id, is_training) VALUES (?, ?, ?)";
const DELETE_LINK: &str =
    "DELETE FROM heroteamlink WHERE heroteamlink.team_id = ? AND heroteamlink.hero_id = ?";
const LINKS_OF_TEAM: &str = "SELECT heroteamlink.team_id, heroteamlink.hero_id, heroteamlink.is_training FROM heroteamlink WHERE ? = heroteamlink.team_id";
const LINKS_OF_HERO: &str = "SELECT heroteamlink.team_id, heroteamlink.hero_id, heroteamlink.is_training FROM heroteamlink WHERE ? = heroteamlink.hero_id";

mod o {
    pub use super::orphans::{Hero, HeroTeamLink, Team};
}

fn team_named(name: &str) -> Tracked<o::Team> {
    o::Team {
        name: name.into(),
        headquarters: format!("{name} HQ"),
        ..Default::default()
    }
    .track()
}

fn hero_named(name: &str) -> Tracked<o::Hero> {
    o::Hero {
        name: name.into(),
        secret_name: format!("secret {name}"),
        ..Default::default()
    }
    .track()
}

/// The link of `links` whose hero is `hero`.
fn link_of_hero(
    links: &Many<o::HeroTeamLink>,
    hero: &Tracked<o::Hero>,
) -> orm::Result<Tracked<o::HeroTeamLink>> {
    for link in links.iter()? {
        if link.read()?.hero.get()?.as_ref() == Some(hero) {
            return Ok(link);
        }
    }
    panic!("no link to that hero");
}

#[test]
fn adding_a_link_inserts_its_team_and_hero_then_the_link_with_foreign_keys() -> orm::Result<()> {
    let db = Db::new::<orphans::Models>();
    let session = db.session();
    let z_force = team_named("Z-Force");
    let deadpond = hero_named("Deadpond");
    let link = o::HeroTeamLink {
        team: One::to(&z_force),
        hero: One::to(&deadpond),
        is_training: true,
        ..Default::default()
    }
    .track();

    // Both sides know the link at once.
    assert_eq!(z_force.read()?.hero_links.to_vec()?, vec![link.clone()]);
    assert_eq!(deadpond.read()?.team_links.to_vec()?, vec![link.clone()]);
    assert_eq!(link.read()?.team.get()?, Some(z_force.clone()));
    assert_eq!(link.read()?.hero.get()?, Some(deadpond.clone()));

    session.add(&link)?;
    assert_eq!(z_force.status(), Status::Pending);
    assert_eq!(deadpond.status(), Status::Pending);
    session.flush()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO team (name, headquarters) VALUES (?, ?) ('Z-Force', 'Z-Force HQ')",
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Deadpond', 'secret Deadpond', NULL)",
            &format!("{INSERT_LINK} (1, 1, 1)"),
        ]
    );
    // The foreign keys were filled in on the object too.
    assert_eq!(link.read()?.team_id, Some(1));
    assert_eq!(link.read()?.hero_id, Some(1));
    session.commit()?;
    assert_eq!(db.table(LINKS), ["1, 1, 1"]);
    assert_eq!(db.table("SELECT id, name FROM team"), ["1, 'Z-Force'"]);
    assert_eq!(db.table("SELECT id, name FROM hero"), ["1, 'Deadpond'"]);

    // After the commit every side loads back the same objects.
    db.forget();
    assert_eq!(z_force.read()?.hero_links.to_vec()?, vec![link.clone()]);
    assert_eq!(deadpond.read()?.team_links.to_vec()?, vec![link.clone()]);
    assert_eq!(link.read()?.team.get()?, Some(z_force.clone()));
    assert_eq!(link.read()?.hero.get()?, Some(deadpond.clone()));
    assert!(link.read()?.is_training);
    assert_eq!(
        db.sql(),
        [
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ? (1,)",
            &format!("{LINKS_OF_TEAM} (1,)"),
            "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero WHERE hero.id = ? (1,)",
            &format!("{LINKS_OF_HERO} (1,)"),
        ]
    );
    Ok(())
}

#[test]
fn pushing_a_new_link_into_team_hero_links_inserts_it() -> orm::Result<()> {
    let db = seeded_orphans();
    let session = db.session();
    let z_force = session.get::<o::Team>(1)?.expect("team");
    let spider_boy = session.get::<o::Hero>(3)?.expect("hero");
    let rusty_man = session.get::<o::Hero>(2)?.expect("hero");
    db.forget();

    // A link that names only its hero; the push points it at the team.
    let link = o::HeroTeamLink {
        hero: One::to(&spider_boy),
        is_training: true,
        ..Default::default()
    }
    .track();
    assert_eq!(link.read()?.team.get()?, None);
    z_force.read()?.hero_links.push(&link)?;
    assert!(db.sql().is_empty(), "a push does not load the collection");
    assert_eq!(link.status(), Status::Pending, "cascaded into the session");
    assert_eq!(link.read()?.team.get()?, Some(z_force.clone()));
    assert_eq!(link.read()?.hero.get()?, Some(spider_boy.clone()));
    // Reading the team's collection (not loaded) flushes the new link first (autoflush).
    assert_eq!(z_force.read()?.hero_links.len()?, 2);
    assert_eq!(
        db.sql(),
        [
            format!("{INSERT_LINK} (1, 3, 1)"),
            format!("{LINKS_OF_TEAM} (1,)")
        ]
    );
    // The hero's collection was not loaded: it shows the new link when it loads.
    assert!(!spider_boy.read()?.team_links.is_loaded());
    let spider_links = spider_boy.read()?.team_links.to_vec()?;
    assert_eq!(spider_links.len(), 2);
    assert!(spider_links.contains(&link));
    assert_eq!(db.sql(), [format!("{LINKS_OF_HERO} (3,)")]);

    // A link built with both sides (the tutorial's way) is already in the team's collection:
    // pushing it again does nothing more.
    let rusty_link = o::HeroTeamLink {
        team: One::to(&z_force),
        hero: One::to(&rusty_man),
        is_training: false,
        ..Default::default()
    }
    .track();
    assert!(z_force.read()?.hero_links.contains(&rusty_link)?);
    z_force.read()?.hero_links.push(&rusty_link)?;
    assert_eq!(z_force.read()?.hero_links.len()?, 3);

    session.flush()?;
    assert_eq!(db.sql(), [format!("{INSERT_LINK} (1, 2, 0)")]);
    assert_eq!(link.read()?.team_id, Some(1));
    assert_eq!(link.read()?.hero_id, Some(3));
    session.commit()?;
    assert_eq!(
        db.table(LINKS),
        ["1, 1, 0", "1, 2, 0", "1, 3, 1", "2, 1, 1", "2, 2, 0", "2, 3, 1"]
    );
    let heroes: Vec<Option<Tracked<o::Hero>>> = z_force
        .read()?
        .hero_links
        .iter()?
        .map(|l| l.read()?.hero.get())
        .collect::<orm::Result<_>>()?;
    assert_eq!(heroes.len(), 3);
    assert!(heroes.contains(&Some(spider_boy.clone())));
    assert!(heroes.contains(&Some(rusty_man.clone())));
    Ok(())
}

#[test]
fn changing_is_training_updates_only_that_link_row() -> orm::Result<()> {
    let db = seeded_orphans();
    let session = db.session();
    let spider_boy = session.get::<o::Hero>(3)?.expect("hero");
    let preventers = session.get::<o::Team>(2)?.expect("team");
    let link = link_of_hero(&preventers.read()?.hero_links, &spider_boy)?;
    // The hero's side holds the very same link object.
    assert_eq!(spider_boy.read()?.team_links.to_vec()?, vec![link.clone()]);
    assert!(link.read()?.is_training);
    db.forget();

    link.write()?.is_training = false;
    session.add(&spider_boy)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE heroteamlink SET is_training=? WHERE heroteamlink.team_id = ? AND heroteamlink.hero_id = ? (0, 2, 3)"]
    );
    assert_eq!(
        db.table(LINKS),
        ["1, 1, 0", "2, 1, 1", "2, 2, 0", "2, 3, 0"]
    );
    assert!(!link.read()?.is_training);
    assert_eq!(link.read()?.team.get()?, Some(preventers.clone()));
    Ok(())
}

#[test]
fn removing_a_link_with_delete_orphan_deletes_its_row() -> orm::Result<()> {
    let db = seeded_orphans();
    let session = db.session();
    let preventers = session.get::<o::Team>(2)?.expect("team");
    let spider_boy = session.get::<o::Hero>(3)?.expect("hero");
    let link = link_of_hero(&preventers.read()?.hero_links, &spider_boy)?;
    db.forget();

    assert!(preventers.read()?.hero_links.remove(&link)?);
    assert!(!preventers.read()?.hero_links.contains(&link)?);
    assert_eq!(preventers.read()?.hero_links.len()?, 2);
    assert_eq!(link.read()?.team.get()?, None, "the link's side is unset");
    assert!(db.sql().is_empty());

    session.flush()?;
    assert_eq!(db.sql(), [format!("{DELETE_LINK} (2, 3)")]);
    assert_eq!(link.status(), Status::Deleted);
    session.commit()?;
    assert_eq!(link.status(), Status::Detached);
    assert_eq!(db.table(LINKS), ["1, 1, 0", "2, 1, 1", "2, 2, 0"]);
    assert!(spider_boy.read()?.team_links.to_vec()?.is_empty());
    assert_eq!(preventers.read()?.hero_links.len()?, 2);

    // From the hero's side.
    let deadpond = session.get::<o::Hero>(1)?.expect("hero");
    let z_force = session.get::<o::Team>(1)?.expect("team");
    let deadpond_links = deadpond.read()?.team_links.to_vec()?;
    let z_link = deadpond_links
        .iter()
        .find(|l| l.read().is_ok_and(|l| l.team_id == Some(1)))
        .expect("link to Z-Force")
        .clone();
    assert!(z_force.read()?.hero_links.contains(&z_link)?);
    db.forget();
    assert!(deadpond.read()?.team_links.remove(&z_link)?);
    assert_eq!(z_link.read()?.hero.get()?, None);
    session.commit()?;
    assert_eq!(db.sql(), [format!("{DELETE_LINK} (1, 1)")]);
    assert_eq!(db.table(LINKS), ["2, 1, 1", "2, 2, 0"]);
    assert!(z_force.read()?.hero_links.to_vec()?.is_empty());
    Ok(())
}

#[test]
fn removing_a_link_without_delete_orphan_is_refused_and_the_session_recovers() -> orm::Result<()> {
    use kept::{Hero, Team};
    let db = seeded_kept();
    let session = db.session();
    let preventers = session.get::<Team>(2)?.expect("team");
    let spider_boy = session.get::<Hero>(3)?.expect("hero");
    let deadpond = session.get::<Hero>(1)?.expect("hero");
    let link = preventers
        .read()?
        .hero_links
        .iter()?
        .find(|l| l.read().is_ok_and(|l| l.hero_id == Some(3)))
        .expect("Spider-Boy's link");
    db.forget();

    // Another change in the same flush: it must not be written either.
    deadpond.write()?.age = Some(33);
    assert!(preventers.read()?.hero_links.remove(&link)?);
    let err = session.flush().expect_err("a removed link cannot be kept");
    match &err {
        Error::Relationship {
            table,
            field,
            message,
        } => {
            assert_eq!((*table, *field), ("Team", "hero_links"));
            assert!(message.contains("delete_orphan"), "{message}");
            assert!(message.contains("kept_link.team_id"), "{message}");
        }
        other => panic!("expected a relationship error, got {other:?}"),
    }
    assert!(db.sql().is_empty(), "nothing was run");
    assert_eq!(db.table(KEPT_LINKS), SEEDED_LINKS);
    assert_eq!(link.status(), Status::Persistent);
    db.forget();

    // The session waits for a rollback, which puts the link back as the database has it
    // and drops the other change; made again, only that change is written.
    assert!(matches!(
        session.commit(),
        Err(Error::PendingRollback { .. })
    ));
    session.rollback()?;
    assert!(preventers.read()?.hero_links.contains(&link)?);
    assert_eq!(link.read()?.team.get()?, Some(preventers.clone()));
    assert_eq!(
        spider_boy.read()?.team_links.to_vec()?,
        vec![link.clone()],
        "the link still names its hero"
    );
    assert_eq!(deadpond.read()?.age, None);
    deadpond.write()?.age = Some(33);
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE kept_hero SET age=? WHERE kept_hero.id = ? (33, 1)"]
    );
    assert_eq!(db.table(KEPT_LINKS), SEEDED_LINKS);
    assert_eq!(
        db.table("SELECT id, age FROM kept_hero ORDER BY id"),
        ["1, 33", "2, 48", "3, NULL"]
    );

    // Refused again, then rolled back: everything is as the database has it.
    assert!(preventers.read()?.hero_links.remove(&link)?);
    assert!(matches!(session.flush(), Err(Error::Relationship { .. })));
    session.rollback()?;
    assert!(preventers.read()?.hero_links.contains(&link)?);
    assert_eq!(link.read()?.team.get()?, Some(preventers.clone()));
    assert_eq!(preventers.read()?.hero_links.len()?, 3);
    session.commit()?;
    assert_eq!(db.table(KEPT_LINKS), SEEDED_LINKS);

    // Deleting the link object itself is the way to remove it.
    session.delete(&link)?;
    session.commit()?;
    assert_eq!(db.table(KEPT_LINKS), ["1, 1, 0", "2, 1, 1", "2, 2, 0"]);
    Ok(())
}

#[test]
fn a_link_missing_a_side_fails_without_writing_anything() -> orm::Result<()> {
    let db = Db::new::<orphans::Models>();
    let session = db.session();
    let z_force = team_named("Z-Force");
    let deadpond = hero_named("Deadpond");
    let link = o::HeroTeamLink {
        team: One::to(&z_force),
        is_training: true,
        ..Default::default()
    }
    .track();
    session.add(&link)?;
    session.add(&deadpond)?;
    let err = session.commit().expect_err("the link has no hero");
    assert!(
        matches!(
            &err,
            Error::Relationship {
                table: "HeroTeamLink",
                field: "hero_id",
                ..
            }
        ),
        "{err:?}"
    );
    // The team's INSERT ran before the link's failed; both were undone.
    assert!(db.table("SELECT id FROM team").is_empty());
    assert!(db.table("SELECT id FROM hero").is_empty());
    assert!(db.table(LINKS).is_empty());
    assert_eq!(z_force.status(), Status::Pending);
    assert_eq!(z_force.key(), None);
    assert_eq!(z_force.read()?.id, None);
    db.forget();

    // Give it its hero: after the rollback the session waits for, the next commit writes
    // everything once.
    session.rollback()?;
    assert_eq!(link.status(), Status::Transient);
    link.read()?.hero.set(&deadpond)?;
    session.add(&link)?;
    assert_eq!(deadpond.read()?.team_links.to_vec()?, vec![link.clone()]);
    session.commit()?;
    let sql = db.sql();
    // The keys the rows got this time (PostgreSQL's sequences do not give back the ids of
    // rolled-back INSERTs; SQLite's rowids do).
    let (t, h) = (
        z_force.read()?.id.expect("key"),
        deadpond.read()?.id.expect("key"),
    );
    assert_eq!(
        sql,
        [
            "INSERT INTO team (name, headquarters) VALUES (?, ?) ('Z-Force', 'Z-Force HQ')",
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Deadpond', 'secret Deadpond', NULL)",
            &format!("{INSERT_LINK} ({t}, {h}, 1)"),
        ]
    );
    assert_eq!(db.table(LINKS), [format!("{t}, {h}, 1")]);
    assert_eq!(db.table("SELECT name FROM team"), ["'Z-Force'"]);
    Ok(())
}

#[test]
fn a_new_link_shows_in_the_expired_sides_when_they_load() -> orm::Result<()> {
    let db = seeded_orphans();
    let session = db.session();
    let z_force = session.get::<o::Team>(1)?.expect("team");
    let rusty_man = session.get::<o::Hero>(2)?.expect("hero");
    session.commit()?; // both expired, their collections unloaded
    db.forget();

    let link = o::HeroTeamLink {
        team: One::to(&z_force),
        hero: One::to(&rusty_man),
        ..Default::default()
    }
    .track();
    session.add(&link)?;
    assert!(db.sql().is_empty());
    assert!(z_force.is_expired() && rusty_man.is_expired());

    // Reloading each side's row keeps the new link; loading a collection flushes it first
    // (autoflush), so the SELECT finds it.
    let hero_links = rusty_man.read()?.team_links.to_vec()?;
    assert_eq!(hero_links.len(), 2);
    assert!(hero_links.contains(&link));
    let team_links = z_force.read()?.hero_links.to_vec()?;
    assert_eq!(team_links.len(), 2);
    assert!(team_links.contains(&link));
    assert_eq!(
        db.sql(),
        [
            "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero WHERE hero.id = ? (2,)".to_owned(),
            format!("{INSERT_LINK} (1, 2, 0)"),
            format!("{LINKS_OF_HERO} (2,)"),
            "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ? (1,)".to_owned(),
            format!("{LINKS_OF_TEAM} (1,)"),
        ]
    );

    session.commit()?;
    assert!(db.sql().is_empty(), "written already");
    assert_eq!(
        db.table(LINKS),
        ["1, 1, 0", "1, 2, 0", "2, 1, 1", "2, 2, 0", "2, 3, 1"]
    );
    Ok(())
}
