//! The statement counts of the benchmark workloads (`benches/workloads.rs`), at a small size,
//! so a change that adds statements per row shows in `cargo test` (timings are the benches'
//! business). Same models and seeding as the benches.

#[path = "../../benches/support/mod.rs"]
mod support;

use orm::prelude::*;
use orm::{Captured, Engine};
use support::{fresh, seed, seed_blog, Hero, Post, Team, User};

/// The statements captured since the last call, without BEGIN / COMMIT / ROLLBACK.
fn statements(log: &Captured) -> Vec<String> {
    log.take()
        .into_iter()
        .map(|r| r.sql)
        .filter(|s| !matches!(s.as_str(), "BEGIN (implicit)" | "COMMIT" | "ROLLBACK"))
        .collect()
}

fn count_starting(statements: &[String], prefix: &str) -> usize {
    statements.iter().filter(|s| s.starts_with(prefix)).count()
}

fn engine(tag: &str) -> (Engine, Captured) {
    let engine = fresh(tag);
    let log = engine.capture();
    (engine, log)
}

#[test]
fn insert_is_one_insert_a_row_and_nothing_else() -> orm::Result<()> {
    let (engine, log) = engine("t1");
    let session = Session::new(&engine);
    let teams: Vec<Tracked<Team>> = (0..10)
        .map(|i| {
            Team {
                name: format!("t{i}"),
                ..Default::default()
            }
            .track()
        })
        .collect();
    let heroes: Vec<Tracked<Hero>> = (0..200)
        .map(|i| {
            Hero {
                name: format!("h{i}"),
                team: One::to(&teams[i % 10]),
                ..Default::default()
            }
            .track()
        })
        .collect();
    session.add_all(&heroes)?;
    session.commit()?;
    let sql = statements(&log);
    assert_eq!(sql.len(), 210);
    assert_eq!(count_starting(&sql, "INSERT INTO team"), 10);
    assert_eq!(count_starting(&sql, "INSERT INTO hero"), 200);
    assert!(heroes.iter().all(|h| h.key().is_some()), "ids read back");
    Ok(())
}

#[test]
fn load_get_and_update_statement_counts() -> orm::Result<()> {
    let (engine, log) = engine("t2");
    seed("t2", 10, 300);
    let session = Session::new(&engine);
    let heroes = session.exec(select::<Hero>())?.all();
    assert_eq!(statements(&log).len(), 1, "a load is one SELECT");
    // Gets: misses one SELECT each, hits none.
    let other = Session::new(&engine);
    for id in 1..=300 {
        other.get::<Hero>(id)?;
    }
    assert_eq!(statements(&log).len(), 300);
    for id in 1..=300 {
        session.get::<Hero>(id)?;
    }
    assert!(statements(&log).is_empty(), "identity-map hits run no SQL");
    // Change one field on each, commit: one UPDATE a row.
    for hero in &heroes {
        hero.write()?.age = Some(1000);
    }
    session.commit()?;
    let sql = statements(&log);
    assert_eq!(sql.len(), 300);
    assert_eq!(count_starting(&sql, "UPDATE hero SET age=?"), 300);
    Ok(())
}

#[test]
fn collections_lazily_and_with_selectin() -> orm::Result<()> {
    let (engine, log) = engine("t5");
    seed("t5", 20, 400);
    let session = Session::new(&engine);
    for team in session.exec(select::<Team>())? {
        assert_eq!(team.read()?.heroes.len()?, 20);
    }
    assert_eq!(statements(&log).len(), 21, "1 + one per team lazily");
    let session = Session::new(&engine);
    for team in session.exec(select::<Team>().options(selectin(Team::heroes)))? {
        assert_eq!(team.read()?.heroes.len()?, 20);
    }
    assert_eq!(statements(&log).len(), 2, "2 with selectin");
    Ok(())
}

#[test]
fn many_to_many_pushes_load_no_collection() -> orm::Result<()> {
    let (engine, log) = engine("t6");
    seed("t6", 5, 100);
    let session = Session::new(&engine);
    let heroes = session.exec(select::<Hero>())?.all();
    let teams = session.exec(select::<Team>())?.all();
    statements(&log);
    for hero in &heroes {
        for team in &teams {
            hero.read()?.teams.push(team)?;
        }
    }
    assert!(
        statements(&log).is_empty(),
        "no SELECT of the collections appended to"
    );
    session.commit()?;
    let sql = statements(&log);
    assert_eq!(count_starting(&sql, "INSERT INTO heroteamlink"), 500);
    assert_eq!(sql.len(), 502, "and one existence check per 400 link rows");
    Ok(())
}

#[test]
fn users_posts_and_comments_eagerly_in_three_statements() -> orm::Result<()> {
    let (engine, log) = engine("t7");
    seed_blog("t7", 50, 9, 4, 5);
    let session = Session::new(&engine);
    let users = session
        .exec(
            select::<User>()
                .filter(User::id.le(9))
                .options(selectin(User::posts).then(selectin(Post::comments))),
        )?
        .all();
    let mut comments = 0;
    for user in &users {
        for post in user.read()?.posts.iter()? {
            comments += post.read()?.comments.len()?;
        }
    }
    assert_eq!(comments, 9 * 4 * 5);
    assert_eq!(statements(&log).len(), 3);
    Ok(())
}
