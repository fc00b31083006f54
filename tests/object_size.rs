//! What a loaded object costs in memory, measured with a counting allocator: the bytes held
//! after loading 10k heroes into a session, per hero, beside the same rows as plain structs.
//! The README quotes the numbers (`cargo test --test object_size -- --nocapture`). This test
//! binary has its own global allocator, so it measures nothing else.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use common::one_to_many::{Hero, Team};
use common::Db;
use orm::prelude::*;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS: usize = 10_000;

/// A hero row as plain values: id, name, secret name, age, team id.
type PlainRow = (i64, String, String, Option<i64>, Option<i64>);

/// Bytes still allocated after `f` returns, while its result is alive.
fn held<R>(f: impl FnOnce() -> R) -> (R, isize) {
    let before = LIVE.load(Ordering::Relaxed);
    let out = f();
    (out, LIVE.load(Ordering::Relaxed) - before)
}

#[test]
fn bytes_per_loaded_object() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    if db.sqlite_only("measures the objects of a SQLite load, seeded with rusqlite") {
        return Ok(());
    }
    db.raw(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS})
         INSERT INTO hero (name, secret_name, age, team_id) SELECT 'hero ' || i, 'secret ' || i, i % 90, NULL FROM n"
    ));
    // Plain structs of the same columns, for comparison.
    let (plain, plain_bytes) = held(|| {
        let conn = rusqlite::Connection::open(db.path()).expect("open");
        let mut stmt = conn
            .prepare("SELECT id, name, secret_name, age, team_id FROM hero")
            .expect("prepare");
        let rows: Vec<PlainRow> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows
    });
    let session = db.session();
    // Warm up what is built once (statement text, the connection, its statement cache).
    drop(session.exec(select::<Hero>().limit(1))?);
    let (heroes, orm_bytes) = held(|| session.exec(select::<Hero>()).map(orm::Rows::all));
    let heroes = heroes?;
    assert_eq!(heroes.len(), ROWS);
    assert_eq!(plain.len(), ROWS);
    let per_object = orm_bytes / ROWS as isize;
    let per_struct = plain_bytes / ROWS as isize;
    println!(
        "loaded hero: {per_object} bytes, plain struct: {per_struct} bytes ({:.1}x)",
        per_object as f64 / per_struct as f64
    );
    // A guard against regressions, not a target: an object layout change that grows this
    // should be a choice.
    assert!(per_object < 1_000, "{per_object} bytes per loaded object");
    Ok(())
}
