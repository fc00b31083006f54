//! The ORM beside hand-written rusqlite doing the same work, workload by workload (issue 13's
//! table), on a file database in WAL mode with synchronous=NORMAL and foreign keys on, for
//! both sides. Read the ratio of each pair. `cargo bench --bench workloads`;
//! `ORM_BENCH_QUICK=1` for a short run, `ORM_BENCH_100K=1` to add 100k-row variants of the
//! insert and load workloads (the cost per row should stay flat).

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use orm::prelude::*;

#[path = "support/mod.rs"]
mod support;

use support::{
    fresh, plain_hero, raw, seed, seed_blog, Hero, HeroTeamLink, PlainHero, Post, Team, User,
    HERO_COLUMNS,
};

/// 1: add n new heroes linked to 100 new teams, one commit, ids read back.
fn insert(c: &mut Criterion) {
    for n in support::sizes() {
        let mut g = c.benchmark_group(format!("1 insert {n} heroes + 100 teams"));
        g.bench_function("orm", |b| {
            b.iter_batched(
                || fresh("w1-orm"),
                |engine| {
                    let session = Session::new(&engine);
                    let teams: Vec<Tracked<Team>> = (0..100)
                        .map(|i| {
                            Team {
                                name: format!("team {i}"),
                                headquarters: format!("hq {i}"),
                                ..Default::default()
                            }
                            .track()
                        })
                        .collect();
                    let heroes: Vec<Tracked<Hero>> = (0..n)
                        .map(|i| {
                            Hero {
                                name: format!("hero {i}"),
                                secret_name: format!("secret {i}"),
                                age: Some(i as i64 % 90),
                                team: One::to(&teams[i % 100]),
                                ..Default::default()
                            }
                            .track()
                        })
                        .collect();
                    session.add_all(&heroes).expect("add");
                    session.commit().expect("commit");
                    black_box(heroes.last().and_then(Tracked::key));
                    engine
                },
                BatchSize::PerIteration,
            );
        });
        g.bench_function("rusqlite", |b| {
            b.iter_batched(
                || {
                    drop(fresh("w1-raw"));
                    raw("w1-raw")
                },
                |mut conn| {
                    let tx = conn.transaction().expect("tx");
                    {
                        let mut t = tx
                            .prepare_cached("INSERT INTO team (name, headquarters) VALUES (?, ?)")
                            .expect("prepare");
                        let mut team_ids = Vec::with_capacity(100);
                        for i in 0..100 {
                            t.execute((format!("team {i}"), format!("hq {i}"))).expect("team");
                            team_ids.push(tx.last_insert_rowid());
                        }
                        let mut h = tx
                            .prepare_cached("INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?)")
                            .expect("prepare");
                        let mut heroes: Vec<PlainHero> = (0..n)
                            .map(|i| PlainHero {
                                id: 0,
                                name: format!("hero {i}"),
                                secret_name: format!("secret {i}"),
                                age: Some(i as i64 % 90),
                                team_id: Some(team_ids[i % 100]),
                            })
                            .collect();
                        for hero in &mut heroes {
                            h.execute((&hero.name, &hero.secret_name, hero.age, hero.team_id))
                                .expect("hero");
                            hero.id = tx.last_insert_rowid();
                        }
                        black_box(heroes.last().map(|h| h.id));
                    }
                    tx.commit().expect("commit");
                    conn
                },
                BatchSize::PerIteration,
            );
        });
        g.finish();
    }
}

/// 2: load n heroes into a fresh session.
fn load(c: &mut Criterion) {
    for n in support::sizes() {
        let tag = format!("w2-{n}");
        let engine = fresh(&tag);
        seed(&tag, 100, n);
        let mut g = c.benchmark_group(format!("2 load {n} heroes"));
        g.bench_function("orm", |b| {
            b.iter(|| {
                let session = Session::new(&engine);
                let heroes = session.exec(select::<Hero>()).expect("select").all();
                assert_eq!(heroes.len(), n);
                heroes
            });
        });
        let conn = raw(&tag);
        g.bench_function("rusqlite", |b| {
            b.iter(|| {
                let tx = conn.unchecked_transaction().expect("tx");
                let heroes: Vec<PlainHero> = tx
                    .prepare_cached(&format!("SELECT {HERO_COLUMNS} FROM hero"))
                    .expect("prepare")
                    .query_map([], plain_hero)
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                assert_eq!(heroes.len(), n);
                heroes
            });
        });
        g.finish();
    }
}

/// 3: 10k gets by primary key, identity-map misses; 3h: the same again, hits.
fn get(c: &mut Criterion) {
    const N: i64 = 10_000;
    let engine = fresh("w3");
    seed("w3", 100, N as usize);
    let mut g = c.benchmark_group("3 get 10000 heroes by key");
    g.bench_function("orm (misses)", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let heroes: Vec<Tracked<Hero>> = (1..=N)
                .map(|id| session.get::<Hero>(id).expect("get").expect("row"))
                .collect();
            heroes
        });
    });
    let conn = raw("w3");
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let sql = format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.id = ?");
            let heroes: Vec<PlainHero> = (1..=N)
                .map(|id| {
                    tx.prepare_cached(&sql)
                        .expect("prepare")
                        .query_row([id], plain_hero)
                        .expect("row")
                })
                .collect();
            heroes
        });
    });
    g.bench_function("orm (identity-map hits)", |b| {
        b.iter_batched_ref(
            || {
                let session = Session::new(&engine);
                let all = session.exec(select::<Hero>()).expect("select").all();
                (session, all)
            },
            |(session, _all)| {
                for id in 1..=N {
                    black_box(session.get::<Hero>(id).expect("get"));
                }
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

/// 4: load 10k heroes, change one field on each, commit.
fn update(c: &mut Criterion) {
    let engine = fresh("w4");
    seed("w4", 100, 10_000);
    let mut round = 0i64;
    let mut g = c.benchmark_group("4 load, change, commit 10000 heroes");
    g.bench_function("orm", |b| {
        b.iter(|| {
            round += 1;
            let session = Session::new(&engine);
            for hero in session.exec(select::<Hero>()).expect("select") {
                hero.write().expect("write").age = Some(round);
            }
            session.commit().expect("commit");
        });
    });
    let mut conn = raw("w4");
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            round += 1;
            let tx = conn.transaction().expect("tx");
            {
                let mut heroes: Vec<PlainHero> = tx
                    .prepare_cached(&format!("SELECT {HERO_COLUMNS} FROM hero"))
                    .expect("prepare")
                    .query_map([], plain_hero)
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                let mut stmt = tx
                    .prepare_cached("UPDATE hero SET age=? WHERE hero.id = ?")
                    .expect("prepare");
                for hero in &mut heroes {
                    hero.age = Some(round);
                    stmt.execute((hero.age, hero.id)).expect("update");
                }
            }
            tx.commit().expect("commit");
        });
    });
    g.finish();
}

/// 5: 100 teams x 100 heroes, every team's heroes: lazily, and with selectin.
fn collections(c: &mut Criterion) {
    let engine = fresh("w5");
    seed("w5", 100, 10_000);
    let mut g = c.benchmark_group("5 100 teams x 100 heroes");
    g.bench_function("orm lazy", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let teams = session.exec(select::<Team>()).expect("select").all();
            let total: usize = teams
                .iter()
                .map(|t| t.read().expect("read").heroes.len().expect("load"))
                .sum();
            assert_eq!(total, 10_000);
            teams
        });
    });
    let conn = raw("w5");
    let team_sql = "SELECT team.id, team.name, team.headquarters FROM team";
    g.bench_function("rusqlite lazy (1 + 100 queries)", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let teams: Vec<(i64, String, String)> = tx
                .prepare_cached(team_sql)
                .expect("prepare")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let sql = format!("SELECT {HERO_COLUMNS} FROM hero WHERE ? = hero.team_id");
            let mut total = 0;
            let mut all = Vec::new();
            for (id, _, _) in &teams {
                let heroes: Vec<PlainHero> = tx
                    .prepare_cached(&sql)
                    .expect("prepare")
                    .query_map([id], plain_hero)
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                total += heroes.len();
                all.push(heroes);
            }
            assert_eq!(total, 10_000);
            (teams, all)
        });
    });
    g.bench_function("orm selectin", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let teams = session
                .exec(select::<Team>().options(selectin(Team::heroes)))
                .expect("select")
                .all();
            let total: usize = teams
                .iter()
                .map(|t| t.read().expect("read").heroes.len().expect("loaded"))
                .sum();
            assert_eq!(total, 10_000);
            teams
        });
    });
    g.bench_function("rusqlite selectin (2 queries, grouped)", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let teams: Vec<(i64, String, String)> = tx
                .prepare_cached(team_sql)
                .expect("prepare")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let marks = vec!["?"; teams.len()].join(", ");
            let sql = format!("SELECT {HERO_COLUMNS} FROM hero WHERE hero.team_id IN ({marks})");
            let ids: Vec<i64> = teams.iter().map(|t| t.0).collect();
            let mut by_team: HashMap<i64, Vec<PlainHero>> = HashMap::new();
            let mut stmt = tx.prepare_cached(&sql).expect("prepare");
            let mut rows = stmt.query(rusqlite::params_from_iter(&ids)).expect("query");
            while let Some(row) = rows.next().expect("row") {
                let hero = plain_hero(row).expect("hero");
                by_team
                    .entry(hero.team_id.unwrap_or_default())
                    .or_default()
                    .push(hero);
            }
            assert_eq!(by_team.values().map(Vec::len).sum::<usize>(), 10_000);
            (teams, by_team)
        });
    });
    g.finish();
}

/// 6: many-to-many, 1000 heroes x 10 teams through `hero.teams.push`, one commit.
fn many_to_many(c: &mut Criterion) {
    let engine = fresh("w6");
    seed("w6", 10, 1_000);
    let cleaner = raw("w6");
    let mut g = c.benchmark_group("6 link 1000 heroes x 10 teams");
    g.bench_function("orm", |b| {
        b.iter_batched(
            || {
                cleaner
                    .execute("DELETE FROM heroteamlink", [])
                    .expect("clean");
            },
            |()| {
                let session = Session::new(&engine);
                let heroes = session.exec(select::<Hero>()).expect("select").all();
                let teams = session.exec(select::<Team>()).expect("select").all();
                for hero in &heroes {
                    let hero = hero.read().expect("read");
                    for team in &teams {
                        hero.teams.push(team).expect("push");
                    }
                }
                session.commit().expect("commit");
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("rusqlite", |b| {
        b.iter_batched(
            || {
                cleaner
                    .execute("DELETE FROM heroteamlink", [])
                    .expect("clean");
            },
            |()| {
                let tx = cleaner.unchecked_transaction().expect("tx");
                {
                    let heroes: Vec<PlainHero> = tx
                        .prepare_cached(&format!("SELECT {HERO_COLUMNS} FROM hero"))
                        .expect("prepare")
                        .query_map([], plain_hero)
                        .expect("query")
                        .collect::<Result<_, _>>()
                        .expect("rows");
                    let teams: Vec<i64> = tx
                        .prepare_cached("SELECT team.id FROM team")
                        .expect("prepare")
                        .query_map([], |r| r.get(0))
                        .expect("query")
                        .collect::<Result<_, _>>()
                        .expect("rows");
                    let mut link = tx
                        .prepare_cached("INSERT INTO heroteamlink (team_id, hero_id) VALUES (?, ?)")
                        .expect("prepare");
                    for hero in &heroes {
                        for team in &teams {
                            link.execute((team, hero.id)).expect("link");
                        }
                    }
                }
                tx.commit().expect("commit");
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
    let _ = HeroTeamLink::default();
}

/// 7: users / posts / comments: load 10k users; 9 users with their posts and the posts'
/// comments, eagerly (selectin, nested).
fn blog(c: &mut Criterion) {
    let engine = fresh("w7");
    seed_blog("w7", 10_000, 9, 10, 10);
    let mut g = c.benchmark_group("7 users, posts, comments");
    g.bench_function("orm load 10000 users", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let users = session.exec(select::<User>()).expect("select").all();
            assert_eq!(users.len(), 10_000);
            users
        });
    });
    let conn = raw("w7");
    g.bench_function("rusqlite load 10000 users", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let users: Vec<(i64, String, String)> = tx
                .prepare_cached("SELECT user.id, user.name, user.email FROM user")
                .expect("prepare")
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(users.len(), 10_000);
            users
        });
    });
    g.bench_function("orm 9 users eagerly", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let users = session
                .exec(
                    select::<User>()
                        .filter(User::id.le(9))
                        .options(selectin(User::posts).then(selectin(Post::comments))),
                )
                .expect("select")
                .all();
            let comments: usize = users
                .iter()
                .flat_map(|u| u.read().expect("read").posts.to_vec().expect("loaded"))
                .map(|p| p.read().expect("read").comments.len().expect("loaded"))
                .sum();
            assert_eq!(comments, 900);
            users
        });
    });
    g.bench_function("rusqlite 9 users eagerly (3 queries, grouped)", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let users: Vec<(i64, String, String)> = tx
                .prepare_cached("SELECT user.id, user.name, user.email FROM user WHERE user.id <= ?")
                .expect("prepare")
                .query_map([9], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            let in_list = |n: usize| vec!["?"; n].join(", ");
            let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
            let mut posts: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
            let sql = format!("SELECT post.id, post.title, post.author_id FROM post WHERE post.author_id IN ({})", in_list(ids.len()));
            let mut stmt = tx.prepare_cached(&sql).expect("prepare");
            let mut rows = stmt.query(rusqlite::params_from_iter(&ids)).expect("query");
            let mut post_ids = Vec::new();
            while let Some(r) = rows.next().expect("row") {
                let (id, title, author): (i64, String, i64) = (r.get(0).expect("id"), r.get(1).expect("title"), r.get(2).expect("author"));
                post_ids.push(id);
                posts.entry(author).or_default().push((id, title));
            }
            let sql = format!("SELECT comment.id, comment.body, comment.post_id FROM comment WHERE comment.post_id IN ({})", in_list(post_ids.len()));
            let mut stmt = tx.prepare_cached(&sql).expect("prepare");
            let mut rows = stmt.query(rusqlite::params_from_iter(&post_ids)).expect("query");
            let mut comments: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
            while let Some(r) = rows.next().expect("row") {
                let (id, body, post): (i64, String, i64) = (r.get(0).expect("id"), r.get(1).expect("body"), r.get(2).expect("post"));
                comments.entry(post).or_default().push((id, body));
            }
            assert_eq!(comments.values().map(Vec::len).sum::<usize>(), 900);
            (users, posts, comments)
        });
    });
    g.finish();
}

fn config() -> Criterion {
    support::criterion()
}

criterion_group! {
    name = workloads;
    config = config();
    targets = insert, load, get, update, collections, many_to_many, blog
}
criterion_main!(workloads);
