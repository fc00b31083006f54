//! One-to-many relationships (`Team.heroes` / `Hero.team`): both sides kept in step in memory,
//! loaded or not; the save-update cascade; the statements a flush writes; lazy loading; and a
//! self-referential tree.
//!
//! Each test checks three things: the exact statements run (captured through the engine's
//! hook), the rows read back with plain rusqlite, and the in-memory state of both sides.
//! Sides are compared by identity (`Tracked` handles), written `[x.clone(), y.clone()]`.
#![allow(clippy::cloned_ref_to_slice_refs)]

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Status;

// ------------------------------------------------------------------ helpers

const HERO_COLUMNS: &str = "hero.id, hero.name, hero.secret_name, hero.age, hero.team_id";

/// The lazy load of a team's heroes.
fn select_heroes_of_team(team_id: i64) -> String {
    format!("SELECT {HERO_COLUMNS} FROM hero WHERE ? = hero.team_id ({team_id},)")
}

fn select_team(id: i64) -> String {
    format!("SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ? ({id},)")
}

fn select_hero(id: i64) -> String {
    format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.id = ? ({id},)")
}

fn insert_team(name: &str) -> String {
    format!("INSERT INTO team (name, headquarters) VALUES (?, ?) ('{name}', '{name} HQ')")
}

fn insert_hero(name: &str, team_id: Option<i64>) -> String {
    format!(
        "INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('{name}', 'secret {name}', NULL, {})",
        sql_value(team_id)
    )
}

fn update_team_id(team_id: Option<i64>, hero_id: i64) -> String {
    format!(
        "UPDATE hero SET team_id=? WHERE hero.id = ? ({}, {hero_id})",
        sql_value(team_id)
    )
}

fn sql_value(v: Option<i64>) -> String {
    v.map_or_else(|| "NULL".to_owned(), |v| v.to_string())
}

const NO_SQL: [&str; 0] = [];

/// `id, name, team_id` of every hero row, committed data only.
fn hero_rows(db: &Db) -> Vec<String> {
    db.table("SELECT id, name, team_id FROM hero ORDER BY id")
}

fn team_rows(db: &Db) -> Vec<String> {
    db.table("SELECT id, name FROM team ORDER BY id")
}

/// The heroes side, in memory (loads it when it is not loaded).
fn heroes(team: &Tracked<Team>) -> orm::Result<Vec<Tracked<Hero>>> {
    team.read()?.heroes.to_vec()
}

/// The team side, in memory (loads it when it is not loaded).
fn team_of(hero: &Tracked<Hero>) -> orm::Result<Option<Tracked<Team>>> {
    hero.read()?.team.get()
}

fn team_with(name: &str, members: &[&Tracked<Hero>]) -> Tracked<Team> {
    Team {
        name: name.into(),
        headquarters: format!("{name} HQ"),
        heroes: members.iter().map(|h| (*h).clone()).collect(),
        ..Default::default()
    }
    .track()
}

fn is_detached(result: orm::Result<impl std::fmt::Debug>) -> bool {
    matches!(result, Err(orm::Error::Detached { .. }))
}

/// Two committed teams and four heroes; every object expired by the commit, nothing loaded.
///
/// | team  | id | heroes (ids)         |
/// |-------|----|----------------------|
/// | A     | 1  | a1 (1), a2 (2)       |
/// | B     | 2  | b1 (3)               |
/// | -     |    | solo (4), no team    |
struct World {
    db: Db,
    s: Session,
    a: Tracked<Team>,
    b: Tracked<Team>,
    a1: Tracked<Hero>,
    a2: Tracked<Hero>,
    b1: Tracked<Hero>,
    solo: Tracked<Hero>,
}

fn world() -> orm::Result<World> {
    let db = Db::new::<(Team, Hero)>();
    // These tests look at what a change does in memory, to sides loaded or not, before any
    // flush: autoflush is off, so a side that loads sees the database as the last flush left
    // it and applies what was recorded meanwhile (tests/integration/autoflush.rs: the default).
    let s = db.session().autoflush(false);
    let (a1, a2, b1, solo) = (hero("a1"), hero("a2"), hero("b1"), hero("solo"));
    let a = team_with("A", &[&a1, &a2]);
    let b = team_with("B", &[&b1]);
    s.add(&a)?;
    s.add(&b)?;
    s.add(&solo)?;
    s.commit()?;
    assert_eq!(
        hero_rows(&db),
        ["1, 'a1', 1", "2, 'a2', 1", "3, 'b1', 2", "4, 'solo', NULL"]
    );
    db.forget();
    Ok(World {
        db,
        s,
        a,
        b,
        a1,
        a2,
        b1,
        solo,
    })
}

impl World {
    /// Loads both sides of every relationship, then forgets the statements that took.
    fn load_everything(&self) -> orm::Result<()> {
        for t in [&self.a, &self.b] {
            t.read()?.heroes.len()?;
        }
        for h in [&self.a1, &self.a2, &self.b1, &self.solo] {
            team_of(h)?;
        }
        assert!(self.a.read()?.heroes.is_loaded() && self.a1.read()?.team.is_loaded());
        self.db.forget();
        Ok(())
    }

    /// Commits and checks that the commit wrote nothing more.
    fn commit(&self) -> orm::Result<()> {
        self.s.commit()?;
        assert_eq!(self.db.sql(), NO_SQL);
        Ok(())
    }
}

/// After `a.heroes` was replaced by [a2, b1, solo]: the flush writes one UPDATE per hero that
/// left or came, and the rows follow.
fn flushes_replace_of_a_by_a2_b1_solo(w: &World) -> orm::Result<()> {
    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [
            update_team_id(None, 1),
            update_team_id(Some(1), 3),
            update_team_id(Some(1), 4)
        ]
    );
    w.commit()?;
    assert_eq!(
        hero_rows(&w.db),
        ["1, 'a1', NULL", "2, 'a2', 1", "3, 'b1', 1", "4, 'solo', 1"]
    );
    Ok(())
}

// ------------------------------------------------------------------ cascade and inserts

#[test]
fn adding_a_hero_adds_its_team_and_inserts_the_team_first() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let a = team("A");
    let h = Hero {
        name: "h".into(),
        secret_name: "secret h".into(),
        team: One::to(&a),
        ..Default::default()
    }
    .track();
    // The other side knows at once, before any session.
    assert_eq!(heroes(&a)?, [h.clone()]);

    s.add(&h)?;
    assert_eq!((h.status(), a.status()), (Status::Pending, Status::Pending));
    s.flush()?;
    assert_eq!(db.sql(), [insert_team("A"), insert_hero("h", Some(1))]);
    assert_eq!((a.read()?.id, h.read()?.id), (Some(1), Some(1)));
    assert_eq!(h.read()?.team_id, Some(1));
    assert_eq!(
        (h.status(), a.status()),
        (Status::Persistent, Status::Persistent)
    );
    assert_eq!(team_of(&h)?, Some(a.clone()));
    assert_eq!(heroes(&a)?, [h.clone()]);
    assert_eq!(db.sql(), NO_SQL);

    s.commit()?;
    assert_eq!(team_rows(&db), ["1, 'A'"]);
    assert_eq!(hero_rows(&db), ["1, 'h', 1"]);
    Ok(())
}

#[test]
fn adding_a_team_adds_its_heroes_with_team_id_from_the_new_team() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let (x, y) = (hero("x"), hero("y"));
    let a = team_with("A", &[&x, &y]);
    assert_eq!(team_of(&x)?, Some(a.clone()));
    assert_eq!(team_of(&y)?, Some(a.clone()));

    s.add(&a)?;
    assert_eq!((x.status(), y.status()), (Status::Pending, Status::Pending));
    s.flush()?;
    assert_eq!(
        db.sql(),
        [
            insert_team("A"),
            insert_hero("x", Some(1)),
            insert_hero("y", Some(1))
        ]
    );
    assert_eq!((x.read()?.id, y.read()?.id), (Some(1), Some(2)));
    assert_eq!((x.read()?.team_id, y.read()?.team_id), (Some(1), Some(1)));
    assert_eq!(heroes(&a)?, [x.clone(), y.clone()]);
    assert_eq!(team_of(&y)?, Some(a.clone()));

    s.commit()?;
    assert_eq!(hero_rows(&db), ["1, 'x', 1", "2, 'y', 1"]);
    Ok(())
}

#[test]
fn inserts_write_parents_before_children_whatever_the_order_added() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let (a, b) = (team("A"), team("B"));
    let (h1, h2, h3) = (hero("h1"), hero("h2"), hero("h3"));
    h1.read()?.team.set(&b)?;
    h2.read()?.team.set(&a)?;

    // Heroes first; each cascades to its team, in the order reached: h1, B, h2, A, h3.
    s.add_all([&h1, &h2, &h3])?;
    s.flush()?;
    assert_eq!(
        db.sql(),
        [
            insert_team("B"),
            insert_team("A"),
            insert_hero("h1", Some(1)),
            insert_hero("h2", Some(2)),
            insert_hero("h3", None),
        ]
    );
    assert_eq!((b.read()?.id, a.read()?.id), (Some(1), Some(2)));
    assert_eq!(heroes(&a)?, [h2.clone()]);
    assert_eq!(heroes(&b)?, [h1.clone()]);
    assert_eq!(team_of(&h3)?, None);

    s.commit()?;
    assert_eq!(team_rows(&db), ["1, 'B'", "2, 'A'"]);
    assert_eq!(
        hero_rows(&db),
        ["1, 'h1', 1", "2, 'h2', 2", "3, 'h3', NULL"]
    );
    Ok(())
}

#[test]
fn pushing_a_new_hero_onto_a_persistent_team_adds_it_to_the_session() -> orm::Result<()> {
    let w = world()?;
    let h = hero("h");
    w.a.read()?.heroes.push(&h)?;
    assert_eq!(h.status(), Status::Pending);
    assert_eq!(team_of(&h)?, Some(w.a.clone()));
    assert_eq!(w.db.sql(), [select_team(1)], "the push loads no collection");

    w.s.flush()?;
    assert_eq!(w.db.sql(), [insert_hero("h", Some(1))]);
    assert_eq!(heroes(&w.a)?, [w.a1.clone(), w.a2.clone(), h.clone()]);
    assert_eq!(w.db.sql(), [select_heroes_of_team(1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[4], "5, 'h', 1");
    Ok(())
}

#[test]
fn setting_a_new_team_on_a_persistent_hero_adds_the_team_to_the_session() -> orm::Result<()> {
    let w = world()?;
    let c = team("C");
    w.solo.read()?.team.set(&c)?;
    assert_eq!(c.status(), Status::Pending);
    assert_eq!(heroes(&c)?, [w.solo.clone()]);
    assert_eq!(w.db.sql(), [select_hero(4)]);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [insert_team("C"), update_team_id(Some(3), 4)]);
    w.commit()?;
    assert_eq!(team_rows(&w.db), ["1, 'A'", "2, 'B'", "3, 'C'"]);
    assert_eq!(hero_rows(&w.db)[3], "4, 'solo', 3");
    Ok(())
}

#[test]
fn nothing_is_added_to_a_session_through_the_reverse_side_alone() -> orm::Result<()> {
    let w = world()?;
    w.a.read()?.heroes.len()?;
    w.db.forget();

    // A new hero pointed at a persistent team joins the team's collection in memory, but the
    // hero itself was never added: the backref does not cascade it into the session.
    let h = hero("h");
    h.read()?.team.set(&w.a)?;
    assert!(w.a.read()?.heroes.contains(&h)?);
    assert_eq!(h.status(), Status::Transient);

    // Likewise a new team given a persistent hero is not added through the hero's `team`.
    let c = team("C");
    c.read()?.heroes.push(&w.solo)?;
    assert_eq!(team_of(&w.solo)?, Some(c.clone()));
    assert_eq!(c.status(), Status::Transient);
    assert_eq!(w.db.sql(), [select_hero(4)]);

    // Adding them explicitly writes both; the team first.
    w.s.add(&h)?;
    w.s.add(&c)?;
    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [
            insert_team("C"),
            update_team_id(Some(3), 4),
            insert_hero("h", Some(1))
        ]
    );
    w.commit()?;
    assert_eq!(
        hero_rows(&w.db),
        [
            "1, 'a1', 1",
            "2, 'a2', 1",
            "3, 'b1', 2",
            "4, 'solo', 3",
            "5, 'h', 1"
        ]
    );
    Ok(())
}

// ------------------------------------------------------------------ push

#[test]
fn push_onto_a_loaded_team_moves_the_hero_out_of_its_loaded_old_team() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    let b = w.b.read()?;
    b.heroes.push(&w.a1)?; // from A
    b.heroes.push(&w.solo)?; // from no team
    b.heroes.push(&w.b1)?; // already a member: nothing
    drop(b);
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone(), w.solo.clone()]);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    assert_eq!(team_of(&w.solo)?, Some(w.b.clone()));
    assert_eq!(team_of(&w.b1)?, Some(w.b.clone()));

    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [update_team_id(Some(2), 1), update_team_id(Some(2), 4)]
    );
    assert_eq!(w.a1.read()?.team_id, Some(2));
    w.commit()?;
    assert_eq!(
        hero_rows(&w.db),
        ["1, 'a1', 2", "2, 'a2', 1", "3, 'b1', 2", "4, 'solo', 2"]
    );
    Ok(())
}

#[test]
fn push_while_the_hero_and_its_old_team_are_not_loaded_is_remembered() -> orm::Result<()> {
    let w = world()?;
    // Right after the commit: a1 is expired, its `team` and A's `heroes` are not loaded.
    w.b.read()?.heroes.push(&w.a1)?;
    assert_eq!(w.db.sql(), [select_team(2)], "the push loads no collection");
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone()]);
    assert_eq!(w.db.sql(), [select_heroes_of_team(2)]);

    // a1 reloads its row (team_id is still 1 in the database) but keeps the new team.
    assert!(w.a1.is_expired());
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    assert_eq!(w.db.sql(), [select_hero(1)]);

    // A's heroes load from the database (a1 is still there) without a1.
    let a = w.a.read()?;
    assert!(!a.heroes.is_loaded());
    assert_eq!(a.heroes.to_vec()?, [w.a2.clone()]);
    drop(a);
    assert_eq!(w.db.sql(), [select_team(1), select_heroes_of_team(1)]);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(Some(2), 1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[0], "1, 'a1', 2");
    Ok(())
}

// ------------------------------------------------------------------ remove

#[test]
fn remove_from_a_loaded_team_unsets_the_heros_loaded_team() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    assert!(w.a.read()?.heroes.remove(&w.a1)?);
    assert!(!w.a.read()?.heroes.remove(&w.b1)?); // not a member
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(team_of(&w.b1)?, Some(w.b.clone()));

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(None, 1)]);
    assert_eq!(w.a1.read()?.team_id, None);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[..2], ["1, 'a1', NULL", "2, 'a2', 1"]);
    Ok(())
}

#[test]
fn remove_while_the_heros_team_is_not_loaded_is_remembered() -> orm::Result<()> {
    let w = world()?;
    let a = w.a.read()?;
    assert!(!a.heroes.is_loaded());
    assert!(a.heroes.remove(&w.a1)?);
    drop(a);
    assert_eq!(w.db.sql(), [select_team(1), select_heroes_of_team(1)]);
    // a1 came back with A's heroes; its `team` was not loaded and now knows it is unset.
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);
    assert_eq!(w.db.sql(), NO_SQL);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(None, 1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[0], "1, 'a1', NULL");
    Ok(())
}

#[test]
fn remove_of_an_expired_member_unsets_its_team_when_it_reloads() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;
    w.s.expire(&w.a1); // a1's `team` is no longer loaded, A's `heroes` still is
    assert!(w.a.read()?.heroes.remove(&w.a1)?);
    assert_eq!(w.db.sql(), NO_SQL);

    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(w.db.sql(), [select_hero(1)]);
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(None, 1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[0], "1, 'a1', NULL");
    Ok(())
}

// ------------------------------------------------------------------ move with `team.set`

#[test]
fn set_moves_the_hero_between_loaded_collections() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    w.a1.read()?.team.set(&w.b)?;
    w.solo.read()?.team.set(&w.a)?;
    w.b1.read()?.team.set(&w.b)?; // unchanged
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(heroes(&w.a)?, [w.a2.clone(), w.solo.clone()]);
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone()]);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    assert_eq!(team_of(&w.solo)?, Some(w.a.clone()));

    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [update_team_id(Some(2), 1), update_team_id(Some(1), 4)]
    );
    w.commit()?;
    assert_eq!(
        hero_rows(&w.db),
        ["1, 'a1', 2", "2, 'a2', 1", "3, 'b1', 2", "4, 'solo', 1"]
    );
    Ok(())
}

#[test]
fn set_while_both_collections_are_not_loaded_is_applied_when_they_load() -> orm::Result<()> {
    let w = world()?;
    // Reading a1 reloads its row; its old team A is in the identity map, so `set` needs no
    // SELECT for it.
    w.a1.read()?.team.set(&w.b)?;
    assert_eq!(w.db.sql(), [select_hero(1)]);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));

    let (a, b) = (w.a.read()?, w.b.read()?);
    assert!(!a.heroes.is_loaded() && !b.heroes.is_loaded());
    // Both load from the database, where a1 is still in A, and apply the move.
    assert_eq!(a.heroes.to_vec()?, [w.a2.clone()]);
    assert_eq!(b.heroes.to_vec()?, [w.b1.clone(), w.a1.clone()]);
    drop((a, b));
    assert_eq!(
        w.db.sql(),
        [
            select_team(1),
            select_team(2),
            select_heroes_of_team(1),
            select_heroes_of_team(2)
        ]
    );

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(Some(2), 1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[0], "1, 'a1', 2");
    Ok(())
}

#[test]
fn moving_a_hero_and_moving_it_back_flushes_nothing() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;
    w.a1.read()?.team.set(&w.b)?;
    w.a1.read()?.team.set(&w.a)?;
    assert_eq!(heroes(&w.a)?, [w.a2.clone(), w.a1.clone()]);
    assert_eq!(heroes(&w.b)?, [w.b1.clone()]);
    w.s.flush()?;
    assert_eq!(w.db.all_sql(), NO_SQL);
    Ok(())
}

// ------------------------------------------------------------------ set to none

#[test]
fn clear_takes_the_hero_out_of_its_loaded_team_and_writes_null() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    w.a1.read()?.team.clear()?;
    w.solo.read()?.team.clear()?; // already none
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(None, 1)]);
    assert_eq!(w.a1.read()?.team_id, None);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[..2], ["1, 'a1', NULL", "2, 'a2', 1"]);
    Ok(())
}

#[test]
fn clear_while_the_team_is_not_loaded_is_applied_when_it_loads() -> orm::Result<()> {
    let w = world()?;
    w.a1.read()?.team.clear()?;
    assert_eq!(w.db.sql(), [select_hero(1)]);

    let a = w.a.read()?;
    assert!(!a.heroes.is_loaded());
    assert_eq!(a.heroes.to_vec()?, [w.a2.clone()]);
    drop(a);
    assert_eq!(w.db.sql(), [select_team(1), select_heroes_of_team(1)]);

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(None, 1)]);
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[0], "1, 'a1', NULL");
    Ok(())
}

// ------------------------------------------------------------------ replace

#[test]
fn replace_updates_only_the_heroes_that_came_or_left() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    // a1 leaves, a2 stays, b1 comes from B, solo comes from no team.
    w.a.read()?
        .heroes
        .replace([w.a2.clone(), w.b1.clone(), w.solo.clone()])?;
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(heroes(&w.a)?, [w.a2.clone(), w.b1.clone(), w.solo.clone()]);
    assert_eq!(heroes(&w.b)?, []);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(team_of(&w.a2)?, Some(w.a.clone()));
    assert_eq!(team_of(&w.b1)?, Some(w.a.clone()));
    assert_eq!(team_of(&w.solo)?, Some(w.a.clone()));

    flushes_replace_of_a_by_a2_b1_solo(&w)
}

#[test]
fn replace_while_the_other_sides_are_not_loaded_is_applied_when_they_load() -> orm::Result<()> {
    let w = world()?;
    // Right after the commit: b1 and solo are expired (their `team` unknown), B not loaded.
    w.a.read()?
        .heroes
        .replace([w.a2.clone(), w.b1.clone(), w.solo.clone()])?;
    assert_eq!(w.db.sql(), [select_team(1), select_heroes_of_team(1)]);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(team_of(&w.b1)?, Some(w.a.clone()));
    assert_eq!(team_of(&w.solo)?, Some(w.a.clone()));
    assert_eq!(w.db.sql(), [select_hero(3), select_hero(4)]);

    let b = w.b.read()?;
    assert!(!b.heroes.is_loaded());
    assert_eq!(b.heroes.to_vec()?, []);
    drop(b);
    assert_eq!(w.db.sql(), [select_team(2), select_heroes_of_team(2)]);

    flushes_replace_of_a_by_a2_b1_solo(&w)
}

#[test]
fn clearing_a_collection_sets_every_member_to_none() -> orm::Result<()> {
    let w = world()?;
    w.a.read()?.heroes.clear()?;
    assert_eq!(heroes(&w.a)?, []);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(team_of(&w.a2)?, None);
    w.db.forget();

    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [update_team_id(None, 1), update_team_id(None, 2)]
    );
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[..2], ["1, 'a1', NULL", "2, 'a2', NULL"]);
    Ok(())
}

// ------------------------------------------------------------------ assignment through a write guard

#[test]
fn assigning_the_team_through_a_write_guard_moves_the_hero_like_set() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;

    w.a1.write()?.team = One::to(&w.b);
    w.a2.write()?.team = One::none();
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    assert_eq!(team_of(&w.a2)?, None);
    assert_eq!(heroes(&w.a)?, []);
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone()]);

    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [update_team_id(Some(2), 1), update_team_id(None, 2)]
    );
    w.commit()?;
    assert_eq!(hero_rows(&w.db)[..2], ["1, 'a1', 2", "2, 'a2', NULL"]);
    Ok(())
}

#[test]
fn assigning_the_team_through_a_write_guard_while_teams_are_not_loaded() -> orm::Result<()> {
    let w = world()?;
    w.a1.write()?.team = One::to(&w.b);
    assert_eq!(w.db.sql(), [select_hero(1)]);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    assert!(!w.a.read()?.heroes.is_loaded());
    assert_eq!(heroes(&w.a)?, [w.a2.clone()]);
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone()]);
    w.db.forget();

    w.s.flush()?;
    assert_eq!(w.db.sql(), [update_team_id(Some(2), 1)]);
    Ok(())
}

#[test]
fn assigning_the_heroes_through_a_write_guard_is_a_replace() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;
    w.a.write()?.heroes = Many::from([&w.a2, &w.solo]);
    assert_eq!(w.db.sql(), NO_SQL);
    assert_eq!(heroes(&w.a)?, [w.a2.clone(), w.solo.clone()]);
    assert_eq!(team_of(&w.a1)?, None);
    assert_eq!(team_of(&w.solo)?, Some(w.a.clone()));

    w.s.flush()?;
    assert_eq!(
        w.db.sql(),
        [update_team_id(None, 1), update_team_id(Some(1), 4)]
    );
    Ok(())
}

// ------------------------------------------------------------------ flushing nothing

#[test]
fn a_flush_with_nothing_to_write_runs_no_statement() -> orm::Result<()> {
    let w = world()?;
    // Right after the commit: not even a BEGIN.
    w.s.flush()?;
    assert_eq!(w.db.all_sql(), NO_SQL);

    // After loading (reading marks nothing as changed).
    w.load_everything()?;
    w.s.flush()?;
    assert_eq!(w.db.all_sql(), NO_SQL);

    // After no-op relationship changes: pushing a member, setting the same team.
    w.a.read()?.heroes.push(&w.a1)?;
    w.a2.read()?.team.set(&w.a)?;
    w.solo.read()?.team.clear()?;
    w.s.flush()?;
    assert_eq!(w.db.all_sql(), NO_SQL);
    Ok(())
}

// ------------------------------------------------------------------ lazy loading

#[test]
fn a_collection_loads_with_one_select_once_and_again_after_commit() -> orm::Result<()> {
    let w = world()?;
    let a = w.a.read()?; // A itself was expired by the commit
    assert_eq!(w.db.sql(), [select_team(1)]);
    assert!(!a.heroes.is_loaded());

    assert_eq!(a.heroes.len()?, 2);
    assert_eq!(w.db.sql(), [select_heroes_of_team(1)]);
    assert!(a.heroes.is_loaded());
    assert_eq!(a.heroes.to_vec()?, [w.a1.clone(), w.a2.clone()]);
    assert!(a.heroes.contains(&w.a1)? && !a.heroes.contains(&w.b1)?);
    assert_eq!(a.heroes.iter()?.count(), 2);
    assert_eq!(w.db.sql(), NO_SQL);

    // The heroes came back with that SELECT; their team is in the identity map: no SQL.
    assert!(!w.a1.is_expired());
    assert!(!w.a1.read()?.team.is_loaded());
    assert_eq!(team_of(&w.a1)?, Some(w.a.clone()));
    assert!(w.a1.read()?.team.is_loaded());
    assert_eq!(w.db.sql(), NO_SQL);
    drop(a);

    w.s.commit()?;
    assert!(w.a.is_expired() && w.a1.is_expired());
    let a = w.a.read()?;
    assert!(!a.heroes.is_loaded());
    assert_eq!(a.heroes.len()?, 2);
    assert_eq!(a.heroes.len()?, 2);
    assert_eq!(w.db.sql(), [select_team(1), select_heroes_of_team(1)]);
    Ok(())
}

#[test]
fn a_team_not_in_the_identity_map_loads_with_one_select() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let s = db.session();
    let h = Hero {
        name: "h".into(),
        team: One::to(&team("A")),
        ..Default::default()
    }
    .track();
    s.add(&h)?;
    s.commit()?; // the team object is gone: nothing holds it any more
    db.forget();

    let guard = h.read()?;
    assert!(!guard.team.is_loaded());
    let a = guard.team.get()?.expect("a team");
    assert_eq!(db.sql(), [select_hero(1), select_team(1)]);
    assert_eq!(guard.team.get()?, Some(a.clone()));
    assert_eq!(a.read()?.name, "A");
    assert_eq!(db.sql(), NO_SQL);
    // A's heroes: one SELECT, which finds the same hero object.
    assert_eq!(a.read()?.heroes.to_vec()?, [h.clone()]);
    assert_eq!(db.sql(), [select_heroes_of_team(1)]);
    Ok(())
}

#[test]
fn a_hero_without_a_team_loads_none_without_sql() -> orm::Result<()> {
    let w = world()?;
    let solo = w.solo.read()?;
    assert_eq!(w.db.sql(), [select_hero(4)]);
    assert_eq!(solo.team.get()?, None);
    assert_eq!(w.db.sql(), NO_SQL);
    Ok(())
}

// ------------------------------------------------------------------ detached

#[test]
fn unloaded_relationships_of_a_closed_session_are_detached_errors() -> orm::Result<()> {
    let w = world()?;
    w.b.read()?.heroes.len()?; // loaded before closing
    let (a, a1) = (w.a.read()?, w.a1.read()?); // rows loaded, relationships not
    drop((a, a1));
    w.s.close()?;
    w.db.forget();

    assert!(is_detached(w.a.read()?.heroes.len()));
    assert!(is_detached(w.a.read()?.heroes.to_vec()));
    assert!(is_detached(w.a1.read()?.team.get()));
    assert!(is_detached(w.a1.read()?.team.set(&w.b)));
    // What was loaded stays readable (a collection while its members are alive).
    assert_eq!(heroes(&w.b)?, [w.b1.clone()]);
    assert_eq!(w.db.sql(), NO_SQL);
    Ok(())
}

#[test]
fn unloaded_relationships_of_a_dropped_session_are_detached_errors() -> orm::Result<()> {
    let World { db, s, a, a1, .. } = world()?;
    a1.read()?;
    drop(s);
    db.forget();
    // `a` is still expired: reading it needs its session too.
    assert!(is_detached(a.read().map(|_| ())));
    assert!(is_detached(a1.read()?.team.get()));
    assert_eq!(db.sql(), NO_SQL);
    Ok(())
}

// ------------------------------------------------------------------ self-referential

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
}

fn node(name: &str) -> Tracked<Node> {
    Node {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn child_of(parent: &Tracked<Node>, name: &str) -> Tracked<Node> {
    Node {
        name: name.into(),
        parent: One::to(parent),
        ..Default::default()
    }
    .track()
}

fn insert_node(name: &str, parent_id: Option<i64>) -> String {
    format!(
        "INSERT INTO node (name, parent_id) VALUES (?, ?) ('{name}', {})",
        sql_value(parent_id)
    )
}

fn children(n: &Tracked<Node>) -> orm::Result<Vec<Tracked<Node>>> {
    n.read()?.children.to_vec()
}

fn parent(n: &Tracked<Node>) -> orm::Result<Option<Tracked<Node>>> {
    n.read()?.parent.get()
}

/// root -> (left -> leaf), right; built from the children up to their parents.
fn tree() -> [Tracked<Node>; 4] {
    let root = node("root");
    let left = child_of(&root, "left");
    let leaf = child_of(&left, "leaf");
    let right = child_of(&root, "right");
    [root, left, leaf, right]
}

#[test]
fn adding_the_root_of_a_tree_inserts_parents_before_children() -> orm::Result<()> {
    let db = Db::new::<(Node,)>();
    let s = db.session();
    let [root, left, leaf, right] = tree();
    // The other side, in memory, before any session.
    assert_eq!(children(&root)?, [left.clone(), right.clone()]);
    assert_eq!(children(&left)?, [leaf.clone()]);

    s.add(&root)?;
    for n in [&left, &leaf, &right] {
        assert_eq!(n.status(), Status::Pending);
    }
    s.flush()?;
    // Level by level, as SQLAlchemy writes a tree: the root, its children, then theirs.
    assert_eq!(
        db.sql(),
        [
            insert_node("root", None),
            insert_node("left", Some(1)),
            insert_node("right", Some(1)),
            insert_node("leaf", Some(2)),
        ]
    );
    assert_eq!(leaf.read()?.parent_id, Some(2));
    assert_eq!(parent(&root)?, None);
    assert_eq!(parent(&left)?, Some(root.clone()));
    assert_eq!(parent(&leaf)?, Some(left.clone()));
    assert_eq!(parent(&right)?, Some(root.clone()));
    assert_eq!(children(&root)?, [left.clone(), right.clone()]);
    assert_eq!(children(&left)?, [leaf.clone()]);
    assert_eq!(children(&leaf)?, []);
    assert_eq!(db.sql(), NO_SQL);

    s.commit()?;
    assert_eq!(
        db.table("SELECT id, name, parent_id FROM node ORDER BY id"),
        [
            "1, 'root', NULL",
            "2, 'left', 1",
            "3, 'right', 1",
            "4, 'leaf', 2"
        ]
    );

    // After the commit: the children load from the database, parents from the identity map.
    assert_eq!(children(&root)?, [left.clone(), right.clone()]);
    assert_eq!(parent(&leaf)?, Some(left.clone()));
    assert_eq!(
        db.sql(),
        [
            "SELECT node.id, node.name, node.parent_id FROM node WHERE node.id = ? (1,)",
            "SELECT node.id, node.name, node.parent_id FROM node WHERE ? = node.parent_id (1,)",
            "SELECT node.id, node.name, node.parent_id FROM node WHERE node.id = ? (4,)",
        ]
    );

    // Moving the leaf under `right`: reading `left`'s children (not loaded) flushes the
    // move before its SELECT (autoflush).
    leaf.read()?.parent.set(&right)?;
    assert_eq!(db.sql(), NO_SQL);
    assert_eq!(children(&left)?, []);
    assert_eq!(children(&right)?, [leaf.clone()]);
    assert_eq!(
        db.sql(),
        [
            "UPDATE node SET parent_id=? WHERE node.id = ? (3, 4)",
            "SELECT node.id, node.name, node.parent_id FROM node WHERE ? = node.parent_id (2,)",
            "SELECT node.id, node.name, node.parent_id FROM node WHERE ? = node.parent_id (3,)",
        ]
    );
    s.flush()?;
    assert_eq!(db.sql(), NO_SQL);
    s.commit()?;
    assert_eq!(
        db.table("SELECT id, parent_id FROM node ORDER BY id"),
        ["1, NULL", "2, 1", "3, 1", "4, 3"]
    );
    Ok(())
}

#[test]
fn adding_a_leaf_of_a_tree_still_inserts_its_ancestors_first() -> orm::Result<()> {
    let db = Db::new::<(Node,)>();
    let s = db.session();
    let [root, left, leaf, right] = tree();
    // Reached from the leaf: leaf, left, root, right; written parents first.
    s.add(&leaf)?;
    s.flush()?;
    assert_eq!(
        db.sql(),
        [
            insert_node("root", None),
            insert_node("left", Some(1)),
            insert_node("right", Some(1)),
            insert_node("leaf", Some(2)),
        ]
    );
    assert_eq!(parent(&right)?, Some(root.clone()));
    assert_eq!(children(&root)?, [left.clone(), right.clone()]);
    s.commit()?;
    assert_eq!(
        db.table("SELECT id, name, parent_id FROM node ORDER BY id"),
        [
            "1, 'root', NULL",
            "2, 'left', 1",
            "3, 'right', 1",
            "4, 'leaf', 2"
        ]
    );
    Ok(())
}

#[test]
fn an_existing_node_moves_under_a_new_node_in_one_flush() -> orm::Result<()> {
    let db = Db::new::<(Node,)>();
    let s = db.session();
    let (leaf, other) = (node("leaf"), node("other"));
    s.add_all([&leaf, &other])?;
    s.commit()?;
    db.forget();

    // From the child's side, and from the new parent's side.
    let branch = node("branch");
    leaf.read()?.parent.set(&branch)?;
    let twig = node("twig");
    twig.read()?.children.push(&other)?;
    s.add(&twig)?;
    s.commit()?;
    assert_eq!(
        db.sql(),
        [
            "SELECT node.id, node.name, node.parent_id FROM node WHERE node.id = ? (1,)", // leaf.read() after commit
            "INSERT INTO node (name, parent_id) VALUES (?, ?) ('branch', NULL)",
            "INSERT INTO node (name, parent_id) VALUES (?, ?) ('twig', NULL)",
            "UPDATE node SET parent_id=? WHERE node.id = ? (3, 1)",
            "UPDATE node SET parent_id=? WHERE node.id = ? (4, 2)",
        ]
    );
    assert_eq!(
        db.table("SELECT id, name, parent_id FROM node ORDER BY id"),
        [
            "1, 'leaf', 3",
            "2, 'other', 4",
            "3, 'branch', NULL",
            "4, 'twig', NULL"
        ]
    );
    assert!(branch.read()?.children.contains(&leaf)?);
    Ok(())
}

#[test]
fn a_long_chain_added_through_its_leaf_is_written_root_first() -> orm::Result<()> {
    let db = Db::new::<(Node,)>();
    let s = db.session();
    let root = node("n0");
    let mut last = root.clone();
    for i in 1..2000 {
        let next = node(&format!("n{i}"));
        next.read()?.parent.set(&last)?;
        last = next;
    }
    s.add(&last)?; // the cascade reaches every ancestor, leaf first
    s.commit()?;
    assert_eq!(
        db.table("SELECT count(*) FROM node WHERE parent_id = id - 1"),
        ["1999"]
    );
    assert_eq!(
        db.table("SELECT id, name FROM node WHERE parent_id IS NULL"),
        ["1, 'n0'"]
    );
    Ok(())
}

#[test]
fn moving_an_expired_hero_takes_it_out_of_its_loaded_old_team() -> orm::Result<()> {
    let w = world()?;
    w.load_everything()?;
    w.s.expire(&w.a1);
    w.b.read()?.heroes.push(&w.a1)?;
    assert_eq!(
        heroes(&w.a)?,
        [w.a2.clone()],
        "no longer listed in its old team"
    );
    assert_eq!(heroes(&w.b)?, [w.b1.clone(), w.a1.clone()]);
    assert_eq!(team_of(&w.a1)?, Some(w.b.clone()));
    w.db.forget();
    w.s.commit()?;
    assert_eq!(w.db.sql(), [update_team_id(Some(2), 1)]);
    Ok(())
}

#[test]
fn a_tree_is_written_level_by_level_and_deleted_leaves_first() -> orm::Result<()> {
    let db = Db::new::<(Node,)>();
    let s = db.session();
    // Built depth first: a, a1, a2, b, b1.
    let root = node("root");
    let a = child_of(&root, "a");
    let a1 = child_of(&a, "a1");
    let a2 = child_of(&a1, "a2");
    let b = child_of(&root, "b");
    let b1 = child_of(&b, "b1");
    s.add(&root)?;
    s.commit()?;
    assert_eq!(
        db.table("SELECT name, id FROM node ORDER BY id"),
        [
            "'root', 1",
            "'a', 2",
            "'b', 3",
            "'a1', 4",
            "'b1', 5",
            "'a2', 6"
        ],
        "all of a level before the next"
    );
    db.forget();
    // Deleted parents first, as the user names them; written children first (the leaves,
    // then their parents, and so on).
    for n in [&root, &a, &b, &a1, &b1, &a2] {
        s.delete(n)?;
    }
    s.commit()?;
    let deletes: Vec<String> = db
        .sql()
        .into_iter()
        .filter(|l| l.starts_with("DELETE"))
        .collect();
    assert_eq!(
        deletes,
        [5, 6, 3, 4, 2, 1].map(|id| format!("DELETE FROM node WHERE node.id = ? ({id},)"))
    );
    assert!(db.table("SELECT id FROM node").is_empty());
    Ok(())
}
