//! What the workload benchmarks share: the models, file databases set up the same way for
//! the ORM and for hand-written rusqlite (WAL, synchronous=NORMAL, foreign keys on), seeding,
//! and the quick mode.

#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use criterion::Criterion;
use orm::prelude::*;
use orm::{Config, Synchronous};
use rusqlite::Connection;

#[derive(Table, Debug, Default)]
pub struct Team {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub headquarters: String,
    #[orm(relationship(back_populates = "team"))]
    pub heroes: Many<Hero>,
    #[orm(relationship(back_populates = "teams", link_model = HeroTeamLink))]
    pub members: Many<Hero>,
}

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
    #[orm(index, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(relationship(back_populates = "heroes"))]
    pub team: One<Team>,
    #[orm(relationship(back_populates = "members", link_model = HeroTeamLink))]
    pub teams: Many<Team>,
}

#[derive(Table, Debug, Default)]
pub struct HeroTeamLink {
    #[orm(primary_key, foreign_key = "team.id")]
    pub team_id: Option<i64>,
    #[orm(primary_key, foreign_key = "hero.id")]
    pub hero_id: Option<i64>,
}

/// A plain hero, as hand-written code maps rows.
pub struct PlainHero {
    pub id: i64,
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
    pub team_id: Option<i64>,
}

pub const HERO_COLUMNS: &str = "hero.id, hero.name, hero.secret_name, hero.age, hero.team_id";

pub fn plain_hero(r: &rusqlite::Row<'_>) -> rusqlite::Result<PlainHero> {
    Ok(PlainHero {
        id: r.get(0)?,
        name: r.get(1)?,
        secret_name: r.get(2)?,
        age: r.get(3)?,
        team_id: r.get(4)?,
    })
}

pub type Models = (Team, Hero, HeroTeamLink, User, Post, Comment);

#[derive(Table, Debug, Default)]
pub struct User {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    pub email: String,
    #[orm(relationship(back_populates = "author"))]
    pub posts: Many<Post>,
}

#[derive(Table, Debug, Default)]
pub struct Post {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub title: String,
    #[orm(index, foreign_key = "user.id")]
    pub author_id: Option<i64>,
    #[orm(relationship(back_populates = "posts"))]
    pub author: One<User>,
    #[orm(relationship(back_populates = "post"))]
    pub comments: Many<Comment>,
}

#[derive(Table, Debug, Default)]
pub struct Comment {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub body: String,
    #[orm(index, foreign_key = "post.id")]
    pub post_id: Option<i64>,
    #[orm(relationship(back_populates = "comments"))]
    pub post: One<Post>,
}

/// `users` users; the first `authors` of them with `posts` posts of `comments` comments each.
pub fn seed_blog(tag: &str, users: usize, authors: usize, posts: usize, comments: usize) {
    let mut conn = raw(tag);
    let tx = conn.transaction().expect("tx");
    {
        let mut u = tx
            .prepare("INSERT INTO user (name, email) VALUES (?, ?)")
            .expect("prepare");
        for i in 0..users {
            u.execute((format!("user {i}"), format!("user{i}@example.com")))
                .expect("user");
        }
        let mut p = tx
            .prepare("INSERT INTO post (title, author_id) VALUES (?, ?)")
            .expect("prepare");
        let mut c = tx
            .prepare("INSERT INTO comment (body, post_id) VALUES (?, ?)")
            .expect("prepare");
        for a in 0..authors {
            for j in 0..posts {
                p.execute((format!("post {a}.{j}"), a as i64 + 1))
                    .expect("post");
                let post = tx.last_insert_rowid();
                for k in 0..comments {
                    c.execute((format!("comment {k}"), post)).expect("comment");
                }
            }
        }
    }
    tx.commit().expect("commit");
}

/// `ORM_BENCH_QUICK=1`: few samples, short measurements (a few minutes for everything).
pub fn criterion() -> Criterion {
    let c = Criterion::default().configure_from_args();
    if std::env::var_os("ORM_BENCH_QUICK").is_some() {
        c.sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(2))
    } else {
        c.sample_size(15)
    }
}

/// Rows per workload: 10k, or 100k for the per-row-cost variants with `ORM_BENCH_100K=1`.
pub fn sizes() -> Vec<usize> {
    if std::env::var_os("ORM_BENCH_100K").is_some() {
        vec![10_000, 100_000]
    } else {
        vec![10_000]
    }
}

fn path(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir.join(format!("{tag}.db"))
}

/// A fresh database file with the tables, and an engine on it (synchronous=NORMAL).
pub fn fresh(tag: &str) -> Engine {
    let path = path(tag);
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    let engine =
        Engine::open_with(&path, Config::default().synchronous(Synchronous::Normal)).expect("open");
    engine.create_all::<Models>().expect("create");
    engine
}

/// A hand-written connection to the same file, set up the same way.
pub fn raw(tag: &str) -> Connection {
    let conn = Connection::open(path(tag)).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn.pragma_update(None, "synchronous", "NORMAL")
        .expect("sync");
    conn.pragma_update(None, "foreign_keys", "ON").expect("fk");
    conn
}

/// `teams` teams and `heroes` heroes spread over them, written by hand.
pub fn seed(tag: &str, teams: usize, heroes: usize) {
    let mut conn = raw(tag);
    let tx = conn.transaction().expect("tx");
    {
        let mut t = tx
            .prepare("INSERT INTO team (name, headquarters) VALUES (?, ?)")
            .expect("prepare");
        for i in 0..teams {
            t.execute((format!("team {i}"), format!("hq {i}")))
                .expect("team");
        }
        let mut h = tx
            .prepare("INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?)")
            .expect("prepare");
        for i in 0..heroes {
            let team = (teams > 0).then(|| (i % teams) as i64 + 1);
            h.execute((
                format!("hero {i}"),
                format!("secret {i}"),
                i as i64 % 90,
                team,
            ))
            .expect("hero");
        }
    }
    tx.commit().expect("commit");
}
