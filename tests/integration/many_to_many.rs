//! Many-to-many relationships through a link table (SQLModel's "Many to Many" and "Update and
//! Remove Many-to-Many Relationships" tutorials): both sides in memory, loaded or not, and the
//! exact link rows each flush writes.

use crate::common;

use common::Db;
use orm::prelude::*;
use orm::{Key, Status};

#[derive(Table, Debug, Default)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "teams", link_model = HeroTeamLink))]
    pub heroes: Many<Hero>,
}

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
    #[orm(relationship(back_populates = "heroes", link_model = HeroTeamLink))]
    pub teams: Many<Team>,
}

type Models = (Team, Hero, HeroTeamLink);

const LINKS: &str = "SELECT team_id, hero_id FROM heroteamlink ORDER BY team_id, hero_id";

const SELECT_HERO: &str =
    "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero WHERE hero.id = ?";
const SELECT_TEAM: &str =
    "SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ?";
const TEAMS_OF_HERO: &str = "SELECT team.id, team.name, team.headquarters FROM team, heroteamlink WHERE ? = heroteamlink.hero_id AND team.id = heroteamlink.team_id";
const HEROES_OF_TEAM: &str = "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero, heroteamlink WHERE ? = heroteamlink.team_id AND hero.id = heroteamlink.hero_id";
const LINK_EXISTS: &str = "SELECT heroteamlink.team_id, heroteamlink.hero_id FROM heroteamlink WHERE (heroteamlink.team_id, heroteamlink.hero_id) IN (VALUES (?, ?))";
const INSERT_LINK: &str = "INSERT INTO heroteamlink (team_id, hero_id) VALUES (?, ?)";
const DELETE_LINK: &str =
    "DELETE FROM heroteamlink WHERE heroteamlink.team_id = ? AND heroteamlink.hero_id = ?";

fn insert_link(team: i64, hero: i64) -> String {
    format!("{INSERT_LINK} ({team}, {hero})")
}

fn delete_link(team: i64, hero: i64) -> String {
    format!("{DELETE_LINK} ({team}, {hero})")
}

fn by_id(sql: &str, id: i64) -> String {
    format!("{sql} ({id},)")
}

/// Teams 1 Z-Force, 2 Preventers, 3 Avengers; heroes 1 Deadpond (Z-Force, Preventers),
/// 2 Rusty-Man (Preventers), 3 Spider-Boy (Preventers). Written with plain SQL.
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO team (id, name, headquarters) VALUES
             (1, 'Z-Force', 'Bar'), (2, 'Preventers', 'Sharp Tower'), (3, 'Avengers', 'Tower');
         INSERT INTO hero (id, name, secret_name, age) VALUES
             (1, 'Deadpond', 'Dive Wilson', NULL), (2, 'Rusty-Man', 'Tommy Sharp', 48),
             (3, 'Spider-Boy', 'Pedro Parqueador', NULL);
         INSERT INTO heroteamlink (team_id, hero_id) VALUES (1, 1), (2, 1), (2, 2), (2, 3);",
    );
    db
}

const SEEDED_LINKS: [&str; 4] = ["1, 1", "2, 1", "2, 2", "2, 3"];

fn hero(session: &Session, id: i64) -> orm::Result<Tracked<Hero>> {
    Ok(session.get::<Hero>(id)?.expect("hero row"))
}

fn team(session: &Session, id: i64) -> orm::Result<Tracked<Team>> {
    Ok(session.get::<Team>(id)?.expect("team row"))
}

fn new_team(name: &str) -> Tracked<Team> {
    Team {
        name: name.into(),
        headquarters: format!("{name} HQ"),
        ..Default::default()
    }
    .track()
}

/// The names of a hero's teams, in collection order (loads the collection).
fn team_names(hero: &Tracked<Hero>) -> orm::Result<Vec<String>> {
    let teams = hero.read()?.teams.to_vec()?;
    teams.iter().map(|t| Ok(t.read()?.name.clone())).collect()
}

/// Names in name order, for collections loaded in the database's order (SQLite's and
/// PostgreSQL's differ for a query without ORDER BY).
fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The names of a team's heroes, in collection order (loads the collection).
fn hero_names(team: &Tracked<Team>) -> orm::Result<Vec<String>> {
    let heroes = team.read()?.heroes.to_vec()?;
    heroes.iter().map(|h| Ok(h.read()?.name.clone())).collect()
}

#[test]
fn adding_a_hero_with_teams_inserts_heroes_then_teams_then_link_rows() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let z_force = new_team("Z-Force");
    let preventers = new_team("Preventers");
    let deadpond = Hero {
        name: "Deadpond".into(),
        secret_name: "Dive Wilson".into(),
        teams: Many::from([&z_force, &preventers]),
        ..Default::default()
    }
    .track();
    let rusty_man = Hero {
        name: "Rusty-Man".into(),
        secret_name: "Tommy Sharp".into(),
        age: Some(48),
        teams: Many::from([&preventers]),
        ..Default::default()
    }
    .track();

    // The other side knows at once, before any session is involved.
    assert_eq!(z_force.read()?.heroes.to_vec()?, vec![deadpond.clone()]);
    assert_eq!(
        preventers.read()?.heroes.to_vec()?,
        vec![deadpond.clone(), rusty_man.clone()]
    );

    session.add(&deadpond)?;
    session.add(&rusty_man)?;
    assert_eq!(z_force.status(), Status::Pending); // cascaded
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Deadpond', 'Dive Wilson', NULL)",
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Rusty-Man', 'Tommy Sharp', 48)",
            "INSERT INTO team (name, headquarters) VALUES (?, ?) ('Z-Force', 'Z-Force HQ')",
            "INSERT INTO team (name, headquarters) VALUES (?, ?) ('Preventers', 'Preventers HQ')",
            &insert_link(1, 1),
            &insert_link(2, 1),
            &insert_link(2, 2),
        ]
    );
    assert_eq!(deadpond.key(), Some(Key::Int(1)));
    assert_eq!(rusty_man.key(), Some(Key::Int(2)));
    assert_eq!(z_force.key(), Some(Key::Int(1)));
    assert_eq!(preventers.key(), Some(Key::Int(2)));
    assert_eq!(
        db.table("SELECT id, name FROM hero ORDER BY id"),
        ["1, 'Deadpond'", "2, 'Rusty-Man'"]
    );
    assert_eq!(
        db.table("SELECT id, name FROM team ORDER BY id"),
        ["1, 'Z-Force'", "2, 'Preventers'"]
    );
    assert_eq!(db.table(LINKS), ["1, 1", "2, 1", "2, 2"]);

    // After the commit both sides are unloaded and load back what was written.
    assert!(!deadpond.read()?.teams.is_loaded());
    assert!(!preventers.read()?.heroes.is_loaded());
    db.forget();
    assert_eq!(team_names(&deadpond)?, ["Z-Force", "Preventers"]);
    assert_eq!(hero_names(&preventers)?, ["Deadpond", "Rusty-Man"]);
    assert_eq!(
        db.sql(),
        // Expired objects found by a load take the fresh row: no SELECT of their own.
        [by_id(TEAMS_OF_HERO, 1), by_id(HEROES_OF_TEAM, 2)]
    );
    Ok(())
}

#[test]
fn lazy_load_is_one_select_joining_the_link_table_and_a_second_access_none() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = hero(&session, 1)?;
    assert_eq!(db.sql(), [by_id(SELECT_HERO, 1)]);
    assert!(!deadpond.read()?.teams.is_loaded());

    assert_eq!(team_names(&deadpond)?, ["Z-Force", "Preventers"]);
    assert_eq!(db.sql(), [by_id(TEAMS_OF_HERO, 1)]);

    // Second access: no SQL.
    let teams = deadpond.read()?.teams.to_vec()?;
    assert_eq!(deadpond.read()?.teams.len()?, 2);
    assert!(deadpond.read()?.teams.contains(&teams[1])?);
    assert_eq!(team_names(&deadpond)?, ["Z-Force", "Preventers"]);
    assert!(db.sql().is_empty());

    // The loaded teams are in the identity map; their own collections are not loaded.
    assert!(team(&session, 1)? == teams[0]);
    assert!(db.sql().is_empty());
    assert!(!teams[0].read()?.heroes.is_loaded());
    // Loading the other side finds the very same hero object.
    assert_eq!(teams[0].read()?.heroes.to_vec()?, vec![deadpond.clone()]);
    assert_eq!(db.sql(), [by_id(HEROES_OF_TEAM, 1)]);
    Ok(())
}

#[test]
fn push_with_both_sides_loaded_inserts_one_link_row() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = team(&session, 1)?;
    let spider_boy = hero(&session, 3)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    assert_eq!(team_names(&spider_boy)?, ["Preventers"]);
    db.forget();

    z_force.read()?.heroes.push(&spider_boy)?;
    assert!(db.sql().is_empty(), "a push runs no SQL");
    assert_eq!(hero_names(&z_force)?, ["Deadpond", "Spider-Boy"]);
    assert_eq!(team_names(&spider_boy)?, ["Preventers", "Z-Force"]);

    session.flush()?;
    assert_eq!(db.sql(), [insert_link(1, 3)]);
    assert_eq!(db.table(LINKS), SEEDED_LINKS, "not committed yet");
    session.commit()?;
    assert_eq!(db.table(LINKS), ["1, 1", "1, 3", "2, 1", "2, 2", "2, 3"]);

    // After the commit both collections are unloaded, and load the same members back (in
    // the database's order, which differs between SQLite and PostgreSQL: sorted here).
    assert!(!z_force.read()?.heroes.is_loaded());
    assert!(!spider_boy.read()?.teams.is_loaded());
    assert_eq!(sorted(hero_names(&z_force)?), ["Deadpond", "Spider-Boy"]);
    assert_eq!(sorted(team_names(&spider_boy)?), ["Preventers", "Z-Force"]);
    Ok(())
}

#[test]
fn push_while_the_other_side_is_unloaded_shows_when_it_loads() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = team(&session, 1)?;
    let avengers = team(&session, 3)?;
    let spider_boy = hero(&session, 3)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    db.forget();

    // Team side loaded, hero side not.
    z_force.read()?.heroes.push(&spider_boy)?;
    assert!(!spider_boy.read()?.teams.is_loaded());
    assert_eq!(hero_names(&z_force)?, ["Deadpond", "Spider-Boy"]);
    assert!(db.sql().is_empty());
    // Loading it without a flush (autoflush would write the link first) runs only its
    // SELECT and merges the pending member in.
    assert_eq!(
        session.no_autoflush(|_| team_names(&spider_boy))?,
        ["Preventers", "Z-Force"]
    );
    assert_eq!(db.sql(), [by_id(TEAMS_OF_HERO, 3)]);

    // Hero side loaded, team side not.
    spider_boy.read()?.teams.push(&avengers)?;
    assert!(!avengers.read()?.heroes.is_loaded());
    assert_eq!(
        team_names(&spider_boy)?,
        ["Preventers", "Z-Force", "Avengers"]
    );
    assert_eq!(
        session.no_autoflush(|_| hero_names(&avengers))?,
        ["Spider-Boy"]
    );
    assert_eq!(db.sql(), [by_id(HEROES_OF_TEAM, 3)]);

    session.flush()?;
    assert_eq!(db.sql(), [insert_link(1, 3), insert_link(3, 3)]);
    session.commit()?;
    assert_eq!(
        db.table(LINKS),
        ["1, 1", "1, 3", "2, 1", "2, 2", "2, 3", "3, 3"]
    );
    Ok(())
}

#[test]
fn push_after_commit_is_remembered_by_the_expired_other_side() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = team(&session, 1)?;
    let spider_boy = hero(&session, 3)?;
    session.commit()?; // both expired, collections unloaded
    db.forget();

    // The pushing side reloads its row and loads its collection; the hero is not touched.
    z_force.read()?.heroes.push(&spider_boy)?;
    assert_eq!(
        db.sql(),
        [by_id(SELECT_TEAM, 1)],
        "the push loads no collection"
    );
    assert!(spider_boy.is_expired());

    // Reading the hero reloads its row; the pending team survives that and shows up when
    // the collection loads (without a flush: with one, the database would have it).
    assert!(!spider_boy.read()?.teams.is_loaded());
    assert_eq!(
        session.no_autoflush(|_| team_names(&spider_boy))?,
        ["Preventers", "Z-Force"]
    );
    assert_eq!(db.sql(), [by_id(SELECT_HERO, 3), by_id(TEAMS_OF_HERO, 3)]);

    session.commit()?;
    assert_eq!(db.sql(), [insert_link(1, 3)]);
    assert_eq!(db.table(LINKS), ["1, 1", "1, 3", "2, 1", "2, 2", "2, 3"]);
    Ok(())
}

#[test]
fn remove_with_both_sides_loaded_deletes_one_link_row() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let preventers = team(&session, 2)?;
    let deadpond = hero(&session, 1)?;
    assert_eq!(
        hero_names(&preventers)?,
        ["Deadpond", "Rusty-Man", "Spider-Boy"]
    );
    assert_eq!(team_names(&deadpond)?, ["Z-Force", "Preventers"]);
    db.forget();

    assert!(preventers.read()?.heroes.remove(&deadpond)?);
    assert!(
        !preventers.read()?.heroes.remove(&deadpond)?,
        "not a member any more"
    );
    assert!(db.sql().is_empty());
    assert_eq!(hero_names(&preventers)?, ["Rusty-Man", "Spider-Boy"]);
    assert_eq!(team_names(&deadpond)?, ["Z-Force"]);
    assert!(!deadpond.read()?.teams.contains(&preventers)?);

    session.flush()?;
    assert_eq!(db.sql(), [delete_link(2, 1)]);
    session.commit()?;
    assert_eq!(db.table(LINKS), ["1, 1", "2, 2", "2, 3"]);
    assert_eq!(hero_names(&preventers)?, ["Rusty-Man", "Spider-Boy"]);
    assert_eq!(team_names(&deadpond)?, ["Z-Force"]);
    Ok(())
}

#[test]
fn remove_while_the_other_side_is_unloaded_shows_when_it_loads() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let preventers = team(&session, 2)?;
    let deadpond = hero(&session, 1)?;
    assert_eq!(
        hero_names(&preventers)?,
        ["Deadpond", "Rusty-Man", "Spider-Boy"]
    );
    db.forget();

    assert!(preventers.read()?.heroes.remove(&deadpond)?);
    assert!(!deadpond.read()?.teams.is_loaded());
    assert_eq!(
        session.no_autoflush(|_| team_names(&deadpond))?,
        ["Z-Force"]
    );
    assert_eq!(db.sql(), [by_id(TEAMS_OF_HERO, 1)]);

    session.commit()?;
    assert_eq!(db.sql(), [delete_link(2, 1)]);
    assert_eq!(db.table(LINKS), ["1, 1", "2, 2", "2, 3"]);

    // After the commit: remove through the hero side while the team is expired.
    let spider_boy = hero(&session, 3)?;
    assert!(spider_boy.read()?.teams.remove(&preventers)?);
    assert!(!preventers.read()?.heroes.is_loaded());
    assert_eq!(hero_names(&preventers)?, ["Rusty-Man"]);
    session.commit()?;
    assert_eq!(db.table(LINKS), ["1, 1", "2, 2"]);
    Ok(())
}

#[test]
fn replace_writes_only_the_net_difference_in_one_transaction() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = hero(&session, 1)?;
    let teams = deadpond.read()?.teams.to_vec()?;
    let (z_force, preventers) = (teams[0].clone(), teams[1].clone());
    let avengers = team(&session, 3)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]); // loaded; Preventers and Avengers not

    // Same members in another order: nothing to write.
    deadpond
        .read()?
        .teams
        .replace(vec![preventers.clone(), z_force.clone()])?;
    assert_eq!(team_names(&deadpond)?, ["Preventers", "Z-Force"]);
    session.flush()?;

    deadpond
        .read()?
        .teams
        .replace(vec![preventers.clone(), avengers.clone(), avengers.clone()])?;
    assert_eq!(team_names(&deadpond)?, ["Preventers", "Avengers"]);
    assert!(
        hero_names(&z_force)?.is_empty(),
        "loaded other side updated"
    );
    assert!(!avengers.read()?.heroes.is_loaded());
    assert!(!preventers.read()?.heroes.is_loaded());
    session.commit()?;
    assert_eq!(
        db.all_sql(),
        [
            "BEGIN (implicit)",
            &by_id(SELECT_HERO, 1),
            &by_id(TEAMS_OF_HERO, 1),
            &by_id(SELECT_TEAM, 3),
            &by_id(HEROES_OF_TEAM, 1),
            &delete_link(1, 1),
            &insert_link(3, 1),
            "COMMIT",
        ]
    );
    assert_eq!(db.table(LINKS), ["2, 1", "2, 2", "2, 3", "3, 1"]);
    assert_eq!(hero_names(&avengers)?, ["Deadpond"]);
    assert!(hero_names(&z_force)?.is_empty());

    // Clearing is a replace by nothing.
    db.forget();
    deadpond.read()?.teams.clear()?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            by_id(TEAMS_OF_HERO, 1),
            delete_link(2, 1),
            delete_link(3, 1),
        ]
    );
    assert_eq!(db.table(LINKS), ["2, 2", "2, 3"]);
    Ok(())
}

#[test]
fn remove_then_readd_before_a_flush_runs_nothing() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = team(&session, 1)?;
    let deadpond = hero(&session, 1)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    db.forget();

    // Same side.
    assert!(z_force.read()?.heroes.remove(&deadpond)?);
    z_force.read()?.heroes.push(&deadpond)?;
    session.flush()?;
    assert!(db.sql().is_empty());

    // Removed on one side (the other unloaded), re-added on the other.
    assert!(z_force.read()?.heroes.remove(&deadpond)?);
    assert!(!deadpond.read()?.teams.is_loaded());
    deadpond.read()?.teams.push(&z_force)?;
    assert!(db.sql().is_empty(), "the push loads no collection");
    // Removed and re-added while unloaded: no change, so it keeps its stored place.
    assert_eq!(team_names(&deadpond)?, ["Z-Force", "Preventers"]);
    assert_eq!(db.sql(), [by_id(TEAMS_OF_HERO, 1)]);
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    session.flush()?;
    assert!(db.sql().is_empty());

    session.commit()?;
    assert_eq!(db.table(LINKS), SEEDED_LINKS);
    Ok(())
}

#[test]
fn pushing_a_member_already_there_is_a_noop() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let preventers = team(&session, 2)?;
    let rusty_man = hero(&session, 2)?;
    assert_eq!(
        hero_names(&preventers)?,
        ["Deadpond", "Rusty-Man", "Spider-Boy"]
    );
    assert_eq!(team_names(&rusty_man)?, ["Preventers"]);
    db.forget();

    // Both sides loaded: from either side.
    preventers.read()?.heroes.push(&rusty_man)?;
    rusty_man.read()?.teams.push(&preventers)?;
    assert_eq!(preventers.read()?.heroes.len()?, 3);
    assert_eq!(team_names(&rusty_man)?, ["Preventers"]);
    session.flush()?;
    assert!(db.sql().is_empty());

    // A new member pushed from both sides is written once.
    let z_force = team(&session, 1)?;
    z_force.read()?.heroes.push(&rusty_man)?;
    rusty_man.read()?.teams.push(&z_force)?;
    assert_eq!(team_names(&rusty_man)?, ["Preventers", "Z-Force"]);
    session.commit()?;
    assert_eq!(db.sql(), [by_id(SELECT_TEAM, 1), insert_link(1, 2)]);

    // After the commit the pushing side is unloaded: the push loads nothing; reading the
    // collection finds the member, and the push turns out to be no change.
    assert!(!preventers.read()?.heroes.is_loaded());
    db.forget();
    preventers.read()?.heroes.push(&rusty_man)?;
    assert!(db.sql().is_empty());
    assert_eq!(
        session.no_autoflush(|_| preventers.read()?.heroes.len())?,
        3
    );
    assert_eq!(db.sql(), [by_id(HEROES_OF_TEAM, 2)]);
    // Both sides unloaded: the flush asks the link table once, finds the row, writes none.
    rusty_man.read()?.teams.push(&z_force)?;
    session.commit()?;
    assert_eq!(db.sql(), [format!("{LINK_EXISTS} (1, 2)")]);
    assert_eq!(db.table(LINKS), ["1, 1", "1, 2", "2, 1", "2, 2", "2, 3"]);

    // A member pushed to an unloaded side, then pushed again once that side loaded.
    let spider_boy = hero(&session, 3)?;
    z_force.read()?.heroes.push(&spider_boy)?; // spider_boy.teams not loaded
    spider_boy.read()?.teams.push(&z_force)?; // recorded once
    db.forget();
    // Reading it flushes the link first (autoflush), once (loaded in the database's order).
    assert_eq!(sorted(team_names(&spider_boy)?), ["Preventers", "Z-Force"]);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!("{LINK_EXISTS} (1, 3)"),
            insert_link(1, 3),
            by_id(TEAMS_OF_HERO, 3)
        ]
    );
    assert_eq!(
        db.table(LINKS),
        ["1, 1", "1, 2", "1, 3", "2, 1", "2, 2", "2, 3"]
    );
    Ok(())
}

#[test]
fn deleting_a_hero_loads_then_deletes_its_link_rows() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let deadpond = hero(&session, 1)?;
    let z_force = team(&session, 1)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    db.forget();

    session.delete(&deadpond)?;
    assert_eq!(
        db.sql(),
        [by_id(TEAMS_OF_HERO, 1)],
        "links loaded by delete"
    );
    session.flush()?;
    assert_eq!(
        db.sql(),
        [
            delete_link(1, 1),
            delete_link(2, 1),
            "DELETE FROM hero WHERE hero.id = ? (1,)".to_owned(),
        ]
    );
    session.commit()?;
    assert_eq!(deadpond.status(), Status::Detached);
    assert_eq!(db.table(LINKS), ["2, 2", "2, 3"]);
    assert_eq!(
        db.table("SELECT id, name FROM hero ORDER BY id"),
        ["2, 'Rusty-Man'", "3, 'Spider-Boy'"]
    );
    assert!(hero_names(&z_force)?.is_empty());

    // Links already loaded: delete runs no SQL of its own.
    let spider_boy = hero(&session, 3)?;
    assert_eq!(team_names(&spider_boy)?, ["Preventers"]);
    db.forget();
    session.delete(&spider_boy)?;
    assert!(db.sql().is_empty());
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            delete_link(2, 3),
            "DELETE FROM hero WHERE hero.id = ? (3,)".to_owned(),
        ]
    );
    assert_eq!(db.table(LINKS), ["2, 2"]);
    Ok(())
}

#[test]
fn deleting_a_team_deletes_its_link_rows_before_the_team() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let preventers = team(&session, 2)?;
    db.forget();
    session.delete(&preventers)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            by_id(HEROES_OF_TEAM, 2),
            delete_link(2, 1),
            delete_link(2, 2),
            delete_link(2, 3),
            "DELETE FROM team WHERE team.id = ? (2,)".to_owned(),
        ]
    );
    assert_eq!(db.table(LINKS), ["1, 1"]);
    let deadpond = hero(&session, 1)?;
    assert_eq!(team_names(&deadpond)?, ["Z-Force"]);
    Ok(())
}

#[test]
fn pushing_a_new_hero_built_with_the_team_adds_it_to_the_session() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let z_force = team(&session, 1)?;
    assert_eq!(hero_names(&z_force)?, ["Deadpond"]);
    let new_hero = Hero {
        name: "Black Lion".into(),
        secret_name: "Trevor Challa".into(),
        teams: Many::from([&z_force]),
        ..Default::default()
    }
    .track();
    // Building it already put it in the team's collection, but not in the session.
    assert_eq!(hero_names(&z_force)?, ["Deadpond", "Black Lion"]);
    assert_eq!(new_hero.status(), Status::Transient);
    db.forget();

    // Pushing it is a no-op for the collection, and brings it into the session.
    z_force.read()?.heroes.push(&new_hero)?;
    assert_eq!(z_force.read()?.heroes.len()?, 2);
    assert_eq!(new_hero.status(), Status::Pending);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?) ('Black Lion', 'Trevor Challa', NULL)".to_owned(),
            insert_link(1, 4),
        ]
    );
    assert_eq!(db.table(LINKS), ["1, 1", "1, 4", "2, 1", "2, 2", "2, 3"]);
    Ok(())
}

/// A database, a session, and the heroes and teams it loaded.
type Loaded = (Db, Session, Vec<Tracked<Hero>>, Vec<Tracked<Team>>);

/// Heroes and teams committed with no links, then a fresh session that has loaded them all.
fn unlinked(heroes: usize, teams: usize) -> orm::Result<Loaded> {
    let db = Db::new::<Models>();
    let session = db.session();
    for i in 0..teams {
        session.add(
            &Team {
                name: format!("team {i}"),
                ..Default::default()
            }
            .track(),
        )?;
    }
    for i in 0..heroes {
        session.add(
            &Hero {
                name: format!("hero {i}"),
                ..Default::default()
            }
            .track(),
        )?;
    }
    session.commit()?;
    let session = db.session();
    let heroes = session.exec(select::<Hero>())?.all();
    let teams = session.exec(select::<Team>())?.all();
    db.forget();
    Ok((db, session, heroes, teams))
}

#[test]
fn pushing_onto_unloaded_collections_loads_nothing() -> orm::Result<()> {
    let (db, session, heroes, teams) = unlinked(20, 5)?;
    for hero in &heroes {
        for team in &teams {
            hero.read()?.teams.push(team)?;
        }
    }
    assert!(
        db.sql().is_empty(),
        "no collection was loaded to append to it"
    );
    assert!(!heroes[0].read()?.teams.is_loaded());
    session.commit()?;
    let written = db.sql();
    assert_eq!(
        written.len(),
        101,
        "one existence check, one link INSERT per pair"
    );
    assert!(written[0].starts_with(&LINK_EXISTS[..LINK_EXISTS.len() - 1]));
    assert!(written[1..].iter().all(|s| s.starts_with(INSERT_LINK)));
    assert_eq!(db.table("SELECT count(*) FROM heroteamlink"), ["100"]);
    // Both sides read back whole from the database.
    assert_eq!(heroes[3].read()?.teams.len()?, 5);
    assert_eq!(teams[2].read()?.heroes.len()?, 20);
    Ok(())
}

#[test]
fn a_pushed_member_is_merged_into_the_collection_when_it_loads() -> orm::Result<()> {
    let (db, session, heroes, teams) = unlinked(2, 3)?;
    heroes[0].read()?.teams.push(&teams[0])?;
    session.commit()?;
    // Expired by the commit: its row reloads, its collection is not loaded. Push one more,
    // then read.
    let hero = heroes[0].read()?;
    db.forget();
    hero.teams.push(&teams[1])?;
    drop(hero);
    assert!(db.sql().is_empty());
    assert_eq!(
        session.no_autoflush(|_| heroes[0].read()?.teams.to_vec())?,
        [teams[0].clone(), teams[1].clone()]
    );
    assert_eq!(db.sql(), [format!("{TEAMS_OF_HERO} (1,)")]);
    session.commit()?;
    assert_eq!(db.sql(), [insert_link(2, 1)]);
    Ok(())
}

#[test]
fn pushing_a_stored_member_again_is_no_change_once_loaded() -> orm::Result<()> {
    let (db, session, heroes, teams) = unlinked(1, 2)?;
    heroes[0].read()?.teams.push(&teams[0])?;
    session.commit()?;
    // Not loaded: the push is recorded; reading the collection finds the stored link and
    // the push turns out to be no change.
    heroes[0].read()?.teams.push(&teams[0])?;
    assert_eq!(heroes[0].read()?.teams.len()?, 1);
    db.forget();
    session.commit()?;
    assert!(db.sql().is_empty(), "no link row written twice");
    Ok(())
}

#[test]
fn pushing_a_stored_member_unseen_writes_no_second_row() -> orm::Result<()> {
    let (db, session, heroes, teams) = unlinked(1, 2)?;
    heroes[0].read()?.teams.push(&teams[0])?;
    session.commit()?;
    let hero = heroes[0].read()?;
    db.forget();
    // Expired, unloaded on both sides: one existence check for the two pushed pairs.
    hero.teams.push(&teams[0])?;
    hero.teams.push(&teams[1])?;
    drop(hero);
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!(
                "{}, (?, ?)) (1, 1, 2, 1)",
                &LINK_EXISTS[..LINK_EXISTS.len() - 1]
            ),
            insert_link(2, 1)
        ]
    );
    assert_eq!(db.table(LINKS), ["1, 1", "2, 1"]);
    assert_eq!(heroes[0].read()?.teams.to_vec()?, teams);
    Ok(())
}

#[test]
fn link_rows_of_a_rolled_back_flush_are_written_when_added_again() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let team = Team {
        name: "Preventers".into(),
        ..Default::default()
    }
    .track();
    let hero = Hero {
        name: "Rusty-Man".into(),
        teams: [&team].into(),
        ..Default::default()
    }
    .track();
    session.add(&hero)?;
    session.flush()?;
    session.rollback()?;
    assert_eq!(hero.status(), Status::Transient);
    session.add(&hero)?;
    session.commit()?;
    // The keys the rows got this time (a rolled-back INSERT's id is not given back on
    // PostgreSQL).
    let (team_id, hero_id) = (team.read()?.id.expect("key"), hero.read()?.id.expect("key"));
    assert_eq!(db.table(LINKS), [format!("{team_id}, {hero_id}")]);
    assert_eq!(team.read()?.heroes.to_vec()?, vec![hero.clone()]);
    Ok(())
}

#[test]
fn a_delete_that_matches_no_row_is_stale_data_and_keeps_nothing() -> orm::Result<()> {
    let (db, mine, heroes, teams) = unlinked(2, 2)?;
    heroes[0].read()?.teams.push(&teams[0])?;
    mine.commit()?;
    // Loaded here (the link, and the second hero); then another session removes the link and
    // deletes the second hero.
    assert_eq!(heroes[0].read()?.teams.len()?, 1);
    assert_eq!(heroes[1].read()?.name, "hero 1");
    let other = db.session();
    let theirs = other.get::<Hero>(1)?.expect("hero");
    let their_team = other.get::<Team>(1)?.expect("team");
    theirs.read()?.teams.remove(&their_team)?;
    other.delete(&other.get::<Hero>(2)?.expect("hero"))?;
    other.commit()?;

    // Removing, in memory, the link they removed: at the flush the DELETE matches nothing,
    // and nothing of that flush is kept.
    heroes[0].read()?.teams.remove(&teams[0])?;
    teams[1].write()?.name = "renamed".into();
    let err = mine.commit().expect_err("stale");
    assert!(
        matches!(
            err,
            orm::Error::StaleData {
                table: "heroteamlink",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        db.table("SELECT name FROM team ORDER BY id"),
        ["'team 0'", "'team 1'"]
    );
    mine.rollback()?;

    // Deleting the hero they deleted (loaded here before): the same.
    let session = db.session();
    let second = session
        .exec(select::<Hero>().filter(Hero::name.eq("hero 0")))?
        .one()?;
    let again = db.session();
    again.delete(&again.get::<Hero>(1)?.expect("hero"))?;
    again.commit()?;
    session.delete(&second)?;
    let err = session.commit().expect_err("stale");
    assert!(
        matches!(err, orm::Error::StaleData { table: "hero", ref key, .. } if key == "1"),
        "{err:?}"
    );
    Ok(())
}
