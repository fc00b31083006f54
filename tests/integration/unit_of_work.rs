//! The unit of work: what a flush writes and in which order, what commit and rollback do to
//! objects, and that a failed flush leaves the database and the session as they were.

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::{Error, Status};

const SELECT_HERO: &str =
    "SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE hero.id = ?";

#[test]
fn inserts_follow_the_order_objects_entered_the_session() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let (c, a, b) = (hero("C"), hero("A"), hero("B"));
    session.add(&c)?;
    session.add_all([&a, &b])?;
    session.commit()?;
    assert_eq!(
        db.all_sql(),
        [
            "BEGIN (implicit)",
            "INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('C', 'secret C', NULL, NULL)",
            "INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('A', 'secret A', NULL, NULL)",
            "INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('B', 'secret B', NULL, NULL)",
            "COMMIT",
        ]
    );
    assert_eq!(
        db.table("SELECT id, name FROM hero ORDER BY id"),
        ["1, 'C'", "2, 'A'", "3, 'B'"]
    );
    assert_eq!(
        (c.read()?.id, a.read()?.id, b.read()?.id),
        (Some(1), Some(2), Some(3))
    );
    assert_eq!(c.status(), Status::Persistent);
    Ok(())
}

#[test]
fn parents_are_inserted_before_children_whatever_the_add_order() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let t = team("Preventers");
    let h = hero("Rusty-Man");
    h.read()?.team.set(&t)?;
    session.add(&h)?;
    session.commit()?;
    let sql = db.sql();
    assert!(sql[0].starts_with("INSERT INTO team"), "{sql:?}");
    assert!(
        sql[1].ends_with("('Rusty-Man', 'secret Rusty-Man', NULL, 1)"),
        "{sql:?}"
    );
    Ok(())
}

#[test]
fn an_update_writes_only_the_changed_columns() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Spider-Boy");
    session.add(&h)?;
    session.commit()?;
    h.read()?; // reload after commit
    db.forget();

    h.write()?.age = Some(16);
    session.flush()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? (16, 1)"]
    );

    {
        let mut g = h.write()?;
        g.name = "Spider-Man".into();
        g.secret_name = "Pedro".into();
    }
    session.flush()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET name=?, secret_name=? WHERE hero.id = ? ('Spider-Man', 'Pedro', 1)"]
    );

    h.write()?.age = Some(16); // the value it already has
    session.flush()?;
    assert!(
        db.all_sql().is_empty(),
        "writing the same value is no change"
    );
    session.commit()?;
    assert_eq!(
        db.table("SELECT name, secret_name, age FROM hero"),
        ["'Spider-Man', 'Pedro', 16"]
    );
    Ok(())
}

#[test]
fn a_flush_with_nothing_changed_runs_no_sql() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.flush()?;
    session.commit()?;
    assert!(db.all_sql().is_empty(), "not even BEGIN");

    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    let _ = h.read()?.name.clone(); // reload: a read, not a change
    db.forget();
    let _ = h.write()?; // a write guard with no change
    session.flush()?;
    assert!(db.all_sql().is_empty());
    Ok(())
}

#[test]
fn commit_expires_and_the_next_access_reloads_with_one_select() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    assert!(h.is_expired());
    db.forget();
    assert_eq!(h.read()?.name, "Deadpond");
    assert_eq!(
        db.all_sql(),
        ["BEGIN (implicit)".to_owned(), format!("{SELECT_HERO} (1,)")]
    );
    assert_eq!(h.read()?.id, Some(1));
    assert!(db.all_sql().is_empty(), "loaded once");
    Ok(())
}

#[test]
fn a_reload_sees_changes_made_elsewhere() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    db.raw("UPDATE hero SET age = 31 WHERE id = 1");
    assert_eq!(h.read()?.age, Some(31));
    Ok(())
}

#[test]
fn expire_on_commit_can_be_turned_off() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session().expire_on_commit(false);
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    db.forget();
    assert!(!h.is_expired());
    assert_eq!(h.read()?.id, Some(1));
    assert!(db.all_sql().is_empty());
    Ok(())
}

#[test]
fn expire_and_refresh_reload_on_demand() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session().expire_on_commit(false);
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    db.forget();

    session.expire(&h);
    assert!(h.is_expired());
    assert_eq!(h.read()?.name, "Deadpond");
    assert_eq!(db.sql(), [format!("{SELECT_HERO} (1,)")]);

    h.write()?.name = "changed, then refreshed away".into();
    session.refresh(&h)?;
    assert_eq!(h.read()?.name, "Deadpond");
    assert_eq!(db.sql(), [format!("{SELECT_HERO} (1,)")]);
    session.flush()?;
    assert!(db.sql().is_empty(), "refresh discarded the pending change");
    Ok(())
}

#[test]
fn queries_flush_pending_changes_first() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(&hero("Deadpond"))?;
    let found = session
        .exec(select::<Hero>().filter(Hero::name.eq("Deadpond")))?
        .all();
    assert_eq!(found.len(), 1);
    let sql = db.sql();
    assert!(sql[0].starts_with("INSERT INTO hero"), "{sql:?}");
    assert!(sql[1].starts_with("SELECT hero.id"), "{sql:?}");
    Ok(())
}

#[test]
fn autoflush_can_be_turned_off() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session().autoflush(false);
    session.add(&hero("Deadpond"))?;
    assert!(session.exec(select::<Hero>())?.is_empty());
    session.flush()?;
    assert_eq!(session.exec(select::<Hero>())?.len(), 1);
    Ok(())
}

#[test]
fn rollback_discards_pending_changes() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let kept = hero("Deadpond");
    session.add(&kept)?;
    session.commit()?;

    kept.write()?.age = Some(99);
    let pending = hero("Never Saved");
    session.add(&pending)?;
    let flushed = hero("Flushed Then Rolled Back");
    session.add(&flushed)?;
    session.flush()?;
    assert_eq!(flushed.read()?.id, Some(3));
    session.rollback()?;

    assert_eq!(pending.status(), Status::Transient);
    assert_eq!(flushed.status(), Status::Transient);
    assert_eq!(flushed.key(), None);
    assert_eq!(
        kept.read()?.age,
        None,
        "the change was rolled back and the object reloaded"
    );
    assert_eq!(
        db.table("SELECT id, name, age FROM hero"),
        ["1, 'Deadpond', NULL"]
    );
    session.commit()?;
    assert_eq!(db.table("SELECT count(*) FROM hero"), ["1"]);
    Ok(())
}

#[test]
fn dropping_the_session_rolls_back() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    {
        let session = db.session();
        session.add(&hero("Deadpond"))?;
        session.flush()?;
    }
    assert_eq!(db.all_sql().last().map(String::as_str), Some("ROLLBACK"));
    assert_eq!(db.table("SELECT count(*) FROM hero"), ["0"]);
    Ok(())
}

#[test]
fn a_failed_flush_leaves_database_and_session_as_they_were() -> orm::Result<()> {
    let db = Db::new::<(Unique,)>();
    let session = db.session();
    let first = unique("a");
    session.add(&first)?;
    session.commit()?;

    let fine = unique("b");
    let clash = unique("a");
    session.add(&fine)?;
    session.add(&clash)?;
    first.write()?.note = "changed".into();
    let err = session.flush().unwrap_err();
    assert!(matches!(err, Error::Statement { .. }), "{err}");
    assert!(
        err.to_string().contains("INSERT INTO uniq"),
        "names the statement: {err}"
    );

    assert_eq!(fine.key(), None, "no id the database lost");
    assert_eq!(fine.read()?.id, None);
    assert_eq!(fine.status(), Status::Pending);
    assert_eq!(first.read()?.note, "changed", "pending change kept");

    // Like SQLAlchemy, the session refuses to go on until the application rolls back.
    clash.write()?.code = "c".into();
    let refused = session.commit().unwrap_err();
    assert!(
        matches!(&refused, Error::PendingRollback { cause } if cause.to_lowercase().contains("unique")),
        "{refused}"
    );
    session.rollback()?;
    assert_eq!(fine.status(), Status::Transient);
    assert_eq!(first.read()?.note, "", "expired and read again");
    first.write()?.note = "changed".into();
    session.add_all([&fine, &clash])?;
    session.commit()?;
    // (Codes, not ids: PostgreSQL's sequences do not give back the ids of rolled-back rows.)
    assert_eq!(
        db.table("SELECT code, note FROM uniq ORDER BY id"),
        ["'a', 'changed'", "'b', ''", "'c', ''"]
    );
    Ok(())
}

fn unique(code: &str) -> Tracked<Unique> {
    Unique {
        code: code.into(),
        ..Default::default()
    }
    .track()
}

#[derive(Table, Debug, Default)]
#[orm(table = "uniq")]
pub struct Unique {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(unique)]
    pub code: String,
    pub note: String,
}

#[test]
fn delete_removes_the_row_and_the_object_from_the_session() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    db.forget();
    session.delete(&h)?;
    assert_eq!(h.status(), Status::Deleted);
    assert!(session.get::<Hero>(1)?.is_none(), "deleted in this session");
    assert!(db.all_sql().is_empty(), "nothing written before the flush");
    session.flush()?;
    assert_eq!(db.sql(), ["DELETE FROM hero WHERE hero.id = ? (1,)"]);
    session.commit()?;
    assert_eq!(h.status(), Status::Detached);
    assert_eq!(db.table("SELECT count(*) FROM hero"), ["0"]);
    Ok(())
}

#[test]
fn deleting_a_pending_object_just_forgets_it() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.delete(&h)?;
    session.commit()?;
    assert!(db.sql().is_empty());
    assert_eq!(h.status(), Status::Transient);
    Ok(())
}

#[test]
fn one_wants_exactly_one_row() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let none = session.exec(select::<Hero>())?.one().unwrap_err();
    assert!(matches!(none, Error::NoRow { table: "hero" }), "{none}");
    assert_eq!(
        none.to_string(),
        "expected exactly one row from `hero`, found none"
    );
    session.add_all([&hero("A"), &hero("B")])?;
    let many = session.exec(select::<Hero>())?.one().unwrap_err();
    assert!(
        matches!(many, Error::MultipleRows { count: 2, .. }),
        "{many}"
    );
    assert!(session
        .exec(select::<Hero>().filter(Hero::name.eq("Z")))?
        .one_or_none()?
        .is_none());
    assert!(session.exec(select::<Hero>())?.first().is_some());
    Ok(())
}

#[test]
fn close_rolls_back_and_detaches_objects() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let h = hero("Deadpond");
    session.add(&h)?;
    session.commit()?;
    session.close()?;
    assert_eq!(h.status(), Status::Detached);
    let err = h.read().map(|_| ()).unwrap_err();
    assert!(matches!(err, Error::Detached { .. }), "{err}");
    // the session can be used again
    assert_eq!(session.exec(select::<Hero>())?.len(), 1);
    Ok(())
}

#[test]
fn the_hook_sees_transaction_control_and_every_statement() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(&team("Z-Force"))?;
    session.commit()?;
    let all = db.log.take();
    assert_eq!(
        all.first().map(|r| r.sql.as_str()),
        Some("BEGIN (implicit)")
    );
    assert_eq!(
        all[1].params,
        [
            orm::Value::Text("Z-Force".into()),
            orm::Value::Text("Z-Force HQ".into())
        ]
    );
    assert_eq!(all.last().map(|r| r.sql.as_str()), Some("COMMIT"));
    Ok(())
}

#[derive(Table, Debug, Default)]
pub struct Membership {
    #[orm(primary_key)]
    pub club: String,
    #[orm(primary_key)]
    pub member: i64,
    pub level: i32,
}

#[test]
fn composite_keys_insert_get_and_update() -> orm::Result<()> {
    let db = Db::new::<(Membership,)>();
    let session = db.session();
    let m = Membership {
        club: "chess".into(),
        member: 7,
        level: 1,
    }
    .track();
    session.add(&m)?;
    session.commit()?;
    db.forget();
    let found = session
        .get::<Membership>(("chess".to_owned(), 7i64))?
        .expect("row");
    assert!(found == m);
    found.write()?.level = 2;
    session.flush()?;
    assert_eq!(
        db.sql(),
        [
            "SELECT membership.club, membership.member, membership.level FROM membership WHERE membership.club = ? AND membership.member = ? ('chess', 7)",
            "UPDATE membership SET level=? WHERE membership.club = ? AND membership.member = ? (2, 'chess', 7)",
        ]
    );
    Ok(())
}

#[derive(Table, Debug)]
pub struct Gadget {
    #[orm(primary_key)]
    pub id: Option<i64>,
    #[orm(default = "unnamed")]
    pub name: String,
    #[orm(default = 3)]
    pub small: i32,
    pub tiny: i8,
    pub short: i16,
    pub unsigned: u32,
    #[orm(default = true)]
    pub flag: bool,
    pub ratio: f64,
    pub half: f32,
    pub bytes: Vec<u8>,
    pub maybe_text: Option<String>,
    pub maybe_bytes: Option<Vec<u8>>,
    pub maybe_flag: Option<bool>,
    pub maybe_real: Option<f64>,
    #[orm(skip)]
    pub scratch: Vec<String>,
}

#[test]
fn every_column_type_round_trips_and_defaults_apply() -> orm::Result<()> {
    let db = Db::new::<(Gadget,)>();
    let g = Gadget::default();
    assert_eq!((g.name.as_str(), g.small, g.flag), ("unnamed", 3, true));
    let session = db.session();
    let tracked = Gadget {
        tiny: -8,
        short: -16,
        unsigned: u32::MAX,
        ratio: 0.25,
        half: 1.5,
        bytes: vec![0xde, 0xad],
        maybe_text: Some("it's".into()),
        maybe_flag: Some(false),
        scratch: vec!["not stored".into()],
        ..Default::default()
    }
    .track();
    session.add(&tracked)?;
    session.commit()?;
    let other = db.session();
    let back = other.get::<Gadget>(1)?.expect("row");
    let b = back.read()?;
    assert_eq!(
        (b.name.as_str(), b.small, b.tiny, b.short, b.unsigned),
        ("unnamed", 3, -8, -16, u32::MAX)
    );
    assert!(b.flag);
    assert_eq!((b.ratio, b.half), (0.25, 1.5));
    assert_eq!(b.bytes, [0xde, 0xad]);
    assert_eq!(b.maybe_text.as_deref(), Some("it's"));
    assert_eq!(
        (b.maybe_bytes.clone(), b.maybe_flag, b.maybe_real),
        (None, Some(false), None)
    );
    assert!(b.scratch.is_empty(), "skipped fields are not stored");
    Ok(())
}

#[test]
fn a_flush_leaves_objects_outside_the_session_untouched() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let t = team("Preventers");
    session.add(&t)?;
    session.commit()?;
    let outsider = hero("Not Added");
    outsider.read()?.team.set(&t)?; // t is in the session, the hero is not
    assert!(
        t.read()?.heroes.contains(&outsider)?,
        "both sides in memory"
    );
    session.commit()?;
    assert_eq!(outsider.status(), Status::Transient);
    assert_eq!(
        outsider.read()?.team_id,
        None,
        "nothing written into an object that was not written"
    );
    assert_eq!(db.table("SELECT count(*) FROM hero"), ["0"]);
    session.add(&outsider)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT name, team_id FROM hero"),
        ["'Not Added', 1"]
    );
    Ok(())
}

#[test]
fn a_failed_flush_undoes_only_itself_until_the_rollback() -> orm::Result<()> {
    let db = Db::new::<(Unique,)>();
    let session = db.session();
    let kept = unique("a");
    session.add(&kept)?;
    session.flush()?; // written, not committed
    let clash = unique("a");
    session.add(&clash)?;
    db.forget();
    let err = session.flush().unwrap_err();
    assert!(matches!(err, Error::Statement { .. }), "{err}");
    // Only the failed flush was undone (a savepoint): the earlier one stands, in memory too.
    assert_eq!(
        db.all_sql(),
        ["INSERT INTO uniq (code, note) VALUES (?, ?) ('a', '')"]
    );
    assert_eq!(
        db.table("SELECT count(*) FROM uniq"),
        ["0"],
        "not committed"
    );
    assert_eq!(kept.status(), Status::Persistent);
    assert_eq!(clash.status(), Status::Pending);
    // The session then waits for the application to roll back (SQLAlchemy's rule), and the
    // rollback undoes the whole transaction.
    session.delete(&clash)?;
    let refused = session.commit().unwrap_err();
    assert!(
        matches!(refused, Error::PendingRollback { .. }),
        "{refused}"
    );
    assert!(db.sql().is_empty(), "nothing ran");
    session.rollback()?;
    assert_eq!(kept.status(), Status::Transient);
    session.add(&kept)?;
    session.commit()?;
    assert_eq!(db.table("SELECT code FROM uniq"), ["'a'"]);
    Ok(())
}

#[test]
fn a_failed_first_flush_rolls_back_the_transaction_and_the_session_goes_on() -> orm::Result<()> {
    let db = Db::new::<(Unique,)>();
    db.raw("INSERT INTO uniq (code, note) VALUES ('a', '')");
    let session = db.session();
    let existing = session.get::<Unique>(1)?.expect("row 1");
    let clash = unique("a");
    session.add(&clash)?;
    db.forget();
    assert!(session.flush().is_err());
    let sql = db.all_sql();
    assert_eq!(sql.last().map(String::as_str), Some("ROLLBACK"), "{sql:?}");
    assert_eq!(existing.read()?.code, "a", "loaded objects stay usable");
    clash.write()?.code = "b".into();
    session.rollback()?;
    session.add(&clash)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT code FROM uniq ORDER BY id"),
        ["'a'", "'b'"]
    );
    Ok(())
}

#[test]
fn changes_made_while_detached_are_written_when_added_back() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let first = db.session().expire_on_commit(false);
    let h = hero("Deadpond");
    first.add(&h)?;
    first.commit()?;
    first.close()?;
    assert_eq!(h.status(), Status::Detached);
    h.write()?.age = Some(30); // no session: nothing to tell
    let second = db.session();
    second.add(&h)?;
    db.forget();
    second.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET age=? WHERE hero.id = ? (30, 1)"]
    );
    assert_eq!(db.table("SELECT age FROM hero"), ["30"]);
    Ok(())
}

#[test]
fn a_deleted_row_taken_by_a_new_object_in_the_same_flush_is_one_update() -> orm::Result<()> {
    use common::one_to_many::{Hero, Team};
    let db = common::Db::new::<(Team, Hero)>();
    let session = db.session();
    session.add(
        &Team {
            id: Some(7),
            name: "Old".into(),
            headquarters: "here".into(),
            ..Default::default()
        }
        .track(),
    )?;
    session.commit()?;
    let old = session.get::<Team>(7)?.expect("team");
    db.forget();

    // Row switch: the DELETE and the INSERT of the same key become one UPDATE.
    session.delete(&old)?;
    let new = Team {
        id: Some(7),
        name: "New".into(),
        headquarters: "there".into(),
        ..Default::default()
    }
    .track();
    session.add(&new)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            // The delete loads the team's heroes (to unset their foreign key): none.
            "SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE ? = hero.team_id (7,)",
            "UPDATE team SET name=?, headquarters=? WHERE team.id = ? ('New', 'there', 7)",
        ]
    );
    assert_eq!(db.table("SELECT id, name FROM team"), ["7, 'New'"]);
    assert_eq!(new.status(), Status::Persistent);
    assert_eq!(old.status(), Status::Detached);
    assert_eq!(
        session.get::<Team>(7)?,
        Some(new.clone()),
        "the new object has the row"
    );
    Ok(())
}
