//! ORM vs hand-written rusqlite doing the same work: bulk insert, load, update, and an
//! identity-map hit. Read the ratio of each pair. `cargo bench --bench session`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use orm::prelude::*;
use rusqlite::Connection;

#[derive(Table, Debug, Default)]
pub struct Hero {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(index)]
    pub name: String,
    pub secret_name: String,
    pub age: Option<i64>,
}

const ROWS: i64 = 1_000;

fn bench_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("orm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    dir
}

fn fresh_engine(tag: &str) -> Engine {
    let path = bench_dir().join(format!("{tag}.db"));
    let _ = std::fs::remove_file(&path);
    let engine = Engine::open(&path).expect("open");
    engine.create_all::<(Hero,)>().expect("create");
    engine
}

fn raw_connection(engine_tag: &str) -> Connection {
    let conn = Connection::open(bench_dir().join(format!("{engine_tag}.db"))).expect("open");
    conn.pragma_update(None, "journal_mode", "WAL")
        .expect("wal");
    conn
}

fn seed(engine: &Engine) {
    let session = Session::new(engine);
    for i in 0..ROWS {
        let h = Hero {
            name: format!("hero {i}"),
            secret_name: format!("secret {i}"),
            age: Some(i),
            ..Default::default()
        };
        session.add(&h.track()).expect("add");
    }
    session.commit().expect("commit");
}

fn insert(c: &mut Criterion) {
    let mut g = c.benchmark_group("insert 1000 rows");
    g.sample_size(20);
    g.bench_function("orm", |b| {
        let engine = fresh_engine("insert-orm");
        b.iter_batched(
            || {
                (0..ROWS)
                    .map(|i| {
                        Hero {
                            name: format!("hero {i}"),
                            secret_name: format!("secret {i}"),
                            age: Some(i),
                            ..Default::default()
                        }
                        .track()
                    })
                    .collect::<Vec<_>>()
            },
            |heroes| {
                let session = Session::new(&engine);
                for h in &heroes {
                    session.add(h).expect("add");
                }
                session.commit().expect("commit");
            },
            BatchSize::PerIteration,
        );
    });
    g.bench_function("rusqlite", |b| {
        drop(fresh_engine("insert-raw"));
        let mut conn = raw_connection("insert-raw");
        b.iter_batched(
            || {
                (0..ROWS)
                    .map(|i| (format!("hero {i}"), format!("secret {i}"), Some(i)))
                    .collect::<Vec<_>>()
            },
            |rows| {
                let tx = conn.transaction().expect("tx");
                {
                    let mut stmt = tx
                        .prepare_cached(
                            "INSERT INTO hero (name, secret_name, age) VALUES (?, ?, ?)",
                        )
                        .expect("prepare");
                    let mut ids = Vec::with_capacity(rows.len());
                    for (name, secret, age) in &rows {
                        stmt.execute(rusqlite::params![name, secret, age])
                            .expect("insert");
                        ids.push(tx.last_insert_rowid());
                    }
                }
                tx.commit().expect("commit");
            },
            BatchSize::PerIteration,
        );
    });
    g.finish();
}

fn load(c: &mut Criterion) {
    let engine = fresh_engine("load");
    seed(&engine);
    let mut g = c.benchmark_group("load 1000 rows");
    g.sample_size(30);
    g.bench_function("orm", |b| {
        b.iter(|| {
            let session = Session::new(&engine);
            let rows = session.exec(select::<Hero>()).expect("select").all();
            assert_eq!(rows.len() as i64, ROWS);
        });
    });
    let conn = raw_connection("load");
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            let tx = conn.unchecked_transaction().expect("tx");
            let mut stmt = tx
                .prepare_cached("SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero")
                .expect("prepare");
            let rows: Vec<Hero> = stmt
                .query_map([], |r| {
                    Ok(Hero {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        secret_name: r.get(2)?,
                        age: r.get(3)?,
                    })
                })
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            assert_eq!(rows.len() as i64, ROWS);
        });
    });
    g.finish();
}

fn update(c: &mut Criterion) {
    let engine = fresh_engine("update");
    seed(&engine);
    let mut g = c.benchmark_group("update 1000 rows (load, change age, commit)");
    g.sample_size(20);
    let mut round = 0i64;
    g.bench_function("orm", |b| {
        b.iter(|| {
            round += 1;
            let session = Session::new(&engine);
            for h in session.exec(select::<Hero>()).expect("select") {
                h.write().expect("write").age = Some(round);
            }
            session.commit().expect("commit");
        });
    });
    let mut conn = raw_connection("update");
    g.bench_function("rusqlite", |b| {
        b.iter(|| {
            round += 1;
            let tx = conn.transaction().expect("tx");
            {
                let mut select = tx
                    .prepare_cached(
                        "SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero",
                    )
                    .expect("prepare");
                let mut heroes: Vec<Hero> = select
                    .query_map([], |r| {
                        Ok(Hero {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            secret_name: r.get(2)?,
                            age: r.get(3)?,
                        })
                    })
                    .expect("query")
                    .collect::<Result<_, _>>()
                    .expect("rows");
                let mut stmt = tx
                    .prepare_cached("UPDATE hero SET age=? WHERE hero.id = ?")
                    .expect("prepare");
                for h in &mut heroes {
                    h.age = Some(round);
                    stmt.execute(rusqlite::params![h.age, h.id])
                        .expect("update");
                }
            }
            tx.commit().expect("commit");
        });
    });
    g.finish();
}

fn identity_hit(c: &mut Criterion) {
    let engine = fresh_engine("get");
    seed(&engine);
    let session = Session::new(&engine);
    let _keep = session.get::<Hero>(500).expect("get").expect("row");
    let mut g = c.benchmark_group("get by primary key");
    g.bench_function("orm identity-map hit", |b| {
        b.iter(|| {
            session
                .get::<Hero>(std::hint::black_box(500))
                .expect("get")
                .expect("row")
        });
    });
    let conn = raw_connection("get");
    let tx = conn.unchecked_transaction().expect("tx");
    g.bench_function("rusqlite select by key", |b| {
        b.iter(|| {
            let mut stmt = tx.prepare_cached("SELECT hero.id, hero.name, hero.secret_name, hero.age FROM hero WHERE hero.id = ?").expect("prepare");
            stmt.query_row([std::hint::black_box(500)], |r| Ok(Hero { id: r.get(0)?, name: r.get(1)?, secret_name: r.get(2)?, age: r.get(3)? })).expect("row")
        });
    });
    g.finish();
}

criterion_group!(benches, insert, load, update, identity_hit);
criterion_main!(benches);
