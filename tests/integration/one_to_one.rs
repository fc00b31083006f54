//! One-to-one: `One<T>` on both sides. `Passport` holds the (unique) foreign key; `Person`'s
//! `One<Passport>` is the reverse side (SQLAlchemy's `uselist=False`), loaded by that key.
//! Both sides in memory, the SQL and the rows: building, loading, moving, clearing, deleting.

use crate::common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(relationship(back_populates = "person"))]
    pub passport: One<Passport>,
}

#[derive(Table, Debug, Default)]
pub struct Passport {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub number: String,
    #[orm(foreign_key = "person.id", unique)]
    pub person_id: Option<i64>,
    #[orm(relationship(back_populates = "passport"))]
    pub person: One<Person>,
}

/// A reverse side that owns its target: a removed or orphaned `Settings` is deleted.
#[derive(Table, Debug, Default)]
pub struct Account {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub login: String,
    #[orm(relationship(back_populates = "account", delete_orphan))]
    pub settings: One<Settings>,
}

#[derive(Table, Debug, Default)]
pub struct Settings {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub theme: String,
    #[orm(foreign_key = "account.id", unique)]
    pub account_id: Option<i64>,
    #[orm(relationship(back_populates = "settings"))]
    pub account: One<Account>,
}

type Models = (Person, Passport, Account, Settings);

const PASSPORTS: &str = "SELECT id, number, person_id FROM passport ORDER BY id";
const PASSPORT_OF: &str = "SELECT passport.id, passport.number, passport.person_id FROM passport WHERE ? = passport.person_id";

fn person(name: &str) -> Tracked<Person> {
    Person {
        name: name.into(),
        ..Default::default()
    }
    .track()
}

fn passport(number: &str) -> Tracked<Passport> {
    Passport {
        number: number.into(),
        ..Default::default()
    }
    .track()
}

/// People 1 Alice, 2 Bob, 3 Carol; passports 1 "A-1" (Alice), 2 "B-2" (Bob).
fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO person (id, name) VALUES (1, 'Alice'), (2, 'Bob'), (3, 'Carol');
         INSERT INTO passport (id, number, person_id) VALUES (1, 'A-1', 1), (2, 'B-2', 2);",
    );
    db
}

fn holder(p: &Tracked<Passport>) -> orm::Result<Option<Tracked<Person>>> {
    p.read()?.person.get()
}

fn held(p: &Tracked<Person>) -> orm::Result<Option<Tracked<Passport>>> {
    p.read()?.passport.get()
}

#[test]
fn the_unique_key_is_in_the_ddl() {
    let db = Db::new::<Models>();
    if db.sqlite_only("reads the DDL back from sqlite_master") {
        return;
    }
    let ddl = db.table("SELECT sql FROM sqlite_master WHERE name = 'passport'");
    assert!(ddl[0].contains("UNIQUE (person_id)"), "{ddl:?}");
}

#[test]
fn built_from_the_holder_both_sides_agree_and_the_key_is_written() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let alice = person("Alice");
    let p = Passport {
        number: "A-1".into(),
        person: One::to(&alice),
        ..Default::default()
    }
    .track();
    assert!(held(&alice)? == Some(p.clone()));
    session.add(&p)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO person (name) VALUES (?) ('Alice',)",
            "INSERT INTO passport (number, person_id) VALUES (?, ?) ('A-1', 1)",
        ]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', 1"]);
    Ok(())
}

#[test]
fn setting_the_reverse_side_sets_the_holders_key_at_flush() -> orm::Result<()> {
    let db = Db::new::<Models>();
    let session = db.session();
    let alice = person("Alice");
    let p = passport("A-1");
    alice.read()?.passport.set(&p)?;
    assert!(holder(&p)? == Some(alice.clone()));
    session.add(&alice)?; // and its passport
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "INSERT INTO person (name) VALUES (?) ('Alice',)",
            "INSERT INTO passport (number, person_id) VALUES (?, ?) ('A-1', 1)",
        ]
    );
    // After the commit, both sides load again: the reverse one by the key.
    assert!(held(&alice)? == Some(p.clone()));
    assert_eq!(
        db.sql(),
        [
            "SELECT person.id, person.name FROM person WHERE person.id = ? (1,)",
            format!("{PASSPORT_OF} (1,)").as_str(),
        ]
    );
    Ok(())
}

#[test]
fn the_reverse_side_loads_by_the_holders_key() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    let carol = session.get::<Person>(3)?.expect("Carol");
    db.forget();
    let p = held(&alice)?.expect("Alice's passport");
    assert_eq!(p.read()?.number, "A-1");
    assert!(held(&carol)?.is_none());
    // The holder's side finds Alice in the identity map: no SQL.
    assert!(holder(&p)? == Some(alice.clone()));
    assert_eq!(
        db.sql(),
        [format!("{PASSPORT_OF} (1,)"), format!("{PASSPORT_OF} (3,)")]
    );
    Ok(())
}

#[test]
fn selectin_loads_the_reverse_side_of_every_owner_in_one_statement() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let people = session
        .exec(select::<Person>().options(selectin(Person::passport)))?
        .all();
    db.forget();
    let mut numbers = Vec::new();
    for p in &people {
        numbers.push(match held(p)? {
            Some(x) => Some(x.read()?.number.clone()),
            None => None,
        });
    }
    assert_eq!(numbers, [Some("A-1".into()), Some("B-2".into()), None]);
    assert_eq!(db.sql(), Vec::<String>::new());
    Ok(())
}

#[test]
fn moving_a_passport_to_another_holder_unsets_both_previous_sides() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    let bob = session.get::<Person>(2)?.expect("Bob");
    let a1 = held(&alice)?.expect("A-1");
    db.forget();
    // Bob's passport B-2 is loaded (one SELECT) so that it can be unset.
    a1.read()?.person.set(&bob)?;
    assert_eq!(db.sql(), [format!("{PASSPORT_OF} (2,)")]);
    let b2 = session.get::<Passport>(2)?.expect("B-2");
    assert!(held(&alice)?.is_none());
    assert!(held(&bob)? == Some(a1.clone()));
    assert!(holder(&b2)?.is_none());
    assert!(holder(&a1)? == Some(bob.clone()));
    session.commit()?;
    // The replaced holder is unset before the new one takes the (unique) key.
    assert_eq!(
        db.sql(),
        [
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 2)",
            "UPDATE passport SET person_id=? WHERE passport.id = ? (2, 1)",
        ]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', 2", "2, 'B-2', NULL"]);
    Ok(())
}

#[test]
fn giving_a_person_another_passport_unsets_the_old_one() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    let new = passport("A-9");
    alice.read()?.passport.set(&new)?;
    let old = session.get::<Passport>(1)?.expect("A-1");
    assert!(holder(&old)?.is_none());
    assert!(holder(&new)? == Some(alice.clone()));
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 1)",
            "INSERT INTO passport (number, person_id) VALUES (?, ?) ('A-9', 1)",
        ]
    );
    assert_eq!(
        db.table(PASSPORTS),
        ["1, 'A-1', NULL", "2, 'B-2', 2", "3, 'A-9', 1"]
    );
    Ok(())
}

#[test]
fn clearing_the_reverse_side_sets_the_key_null() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let bob = session.get::<Person>(2)?.expect("Bob");
    let b2 = held(&bob)?.expect("B-2");
    bob.read()?.passport.clear()?;
    assert!(holder(&b2)?.is_none());
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 2)"]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', 1", "2, 'B-2', NULL"]);
    Ok(())
}

#[test]
fn deleting_the_side_without_the_key_unsets_the_holder() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    db.forget();
    session.delete(&alice)?; // loads Alice's passport
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!("{PASSPORT_OF} (1,)").as_str(),
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 1)",
            "DELETE FROM person WHERE person.id = ? (1,)",
        ]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', NULL", "2, 'B-2', 2"]);
    Ok(())
}

#[test]
fn delete_orphan_on_the_reverse_side_deletes_the_orphan_and_with_the_owner() -> orm::Result<()> {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO account (id, login) VALUES (1, 'ann'), (2, 'ben');
         INSERT INTO settings (id, theme, account_id) VALUES (1, 'dark', 1), (2, 'light', 2);",
    );
    let session = db.session();
    let ann = session.get::<Account>(1)?.expect("ann");
    let ben = session.get::<Account>(2)?.expect("ben");
    let dark = ann.read()?.settings.get()?.expect("dark");
    ann.read()?.settings.clear()?; // dark is an orphan now
    assert!(dark.read()?.account.get()?.is_none());
    session.delete(&ben)?; // and ben's settings with him
    db.forget();
    session.flush()?;
    assert_eq!(
        db.sql(),
        [
            "DELETE FROM settings WHERE settings.id = ? (1,)",
            "DELETE FROM settings WHERE settings.id = ? (2,)",
            "DELETE FROM account WHERE account.id = ? (2,)",
        ]
    );
    // A replacement takes the freed key.
    let solar = Settings {
        theme: "solar".into(),
        ..Default::default()
    }
    .track();
    ann.read()?.settings.set(&solar)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT theme, account_id FROM settings ORDER BY id"),
        ["'solar', 1"]
    );
    Ok(())
}

/// Accounts 1 ann (settings 1 dark) and 2 ben (settings 2 light).
fn accounts() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO account (id, login) VALUES (1, 'ann'), (2, 'ben');
         INSERT INTO settings (id, theme, account_id) VALUES (1, 'dark', 1), (2, 'light', 2);",
    );
    db
}

const SETTINGS: &str = "SELECT id, theme, account_id FROM settings ORDER BY id";

#[test]
fn replacing_a_delete_orphan_target_in_one_flush_deletes_the_old_row_first() -> orm::Result<()> {
    let db = accounts();
    let session = db.session();
    let ann = session.get::<Account>(1)?.expect("ann");
    let dark = ann.read()?.settings.get()?.expect("dark");
    let solar = Settings {
        theme: "solar".into(),
        ..Default::default()
    }
    .track();
    ann.read()?.settings.set(&solar)?;
    assert!(dark.read()?.account.get()?.is_none());
    assert!(solar.read()?.account.get()? == Some(ann.clone()));
    db.forget();
    session.commit()?;
    // The orphan holds settings.account_id = 1 until it is gone: its DELETE runs before the
    // INSERT that takes the (unique) key, not with the other deletes at the end.
    assert_eq!(
        db.sql(),
        [
            "DELETE FROM settings WHERE settings.id = ? (1,)",
            "INSERT INTO settings (theme, account_id) VALUES (?, ?) ('solar', 1)",
        ]
    );
    assert_eq!(db.table(SETTINGS), ["2, 'light', 2", "3, 'solar', 1"]);
    assert_eq!(dark.status(), orm::Status::Detached); // deleted, then committed
    assert!(ann.read()?.settings.get()? == Some(solar.clone()));
    assert!(solar.read()?.account.get()? == Some(ann.clone()));
    Ok(())
}

#[test]
fn moving_a_stored_target_to_a_holder_whose_own_is_an_orphan_deletes_that_first() -> orm::Result<()>
{
    let db = accounts();
    let session = db.session();
    let ann = session.get::<Account>(1)?.expect("ann");
    let ben = session.get::<Account>(2)?.expect("ben");
    let dark = ann.read()?.settings.get()?.expect("dark");
    let light = ben.read()?.settings.get()?.expect("light");
    // Ben's settings go to ann; ann's own are an orphan, and ben has none.
    ann.read()?.settings.set(&light)?;
    assert!(ben.read()?.settings.get()?.is_none());
    assert!(light.read()?.account.get()? == Some(ann.clone()));
    assert!(dark.read()?.account.get()?.is_none());
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "DELETE FROM settings WHERE settings.id = ? (1,)",
            "UPDATE settings SET account_id=? WHERE settings.id = ? (1, 2)",
        ]
    );
    assert_eq!(db.table(SETTINGS), ["2, 'light', 1"]);
    Ok(())
}

#[test]
fn a_new_holder_built_for_a_stored_target_whose_side_is_not_loaded_replaces_the_old_one(
) -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    assert!(!alice.read()?.passport.is_loaded());
    db.forget();
    // Alice's passport A-1 is not loaded: the flush finds it by its key and unsets it.
    let a9 = Passport {
        number: "A-9".into(),
        person: One::to(&alice),
        ..Default::default()
    }
    .track();
    assert!(held(&alice)? == Some(a9.clone()));
    session.add(&a9)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            format!("{PASSPORT_OF} (1,)").as_str(),
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 1)",
            "INSERT INTO passport (number, person_id) VALUES (?, ?) ('A-9', 1)",
        ]
    );
    assert_eq!(
        db.table(PASSPORTS),
        ["1, 'A-1', NULL", "2, 'B-2', 2", "3, 'A-9', 1"]
    );
    let a1 = session.get::<Passport>(1)?.expect("A-1");
    assert!(holder(&a1)?.is_none());
    assert!(holder(&a9)? == Some(alice.clone()));
    assert!(held(&alice)? == Some(a9.clone()));
    Ok(())
}

#[test]
fn a_new_holder_replacing_an_unseen_delete_orphan_target_deletes_it() -> orm::Result<()> {
    let db = accounts();
    let session = db.session();
    let ann = session.get::<Account>(1)?.expect("ann");
    db.forget();
    let solar = Settings {
        theme: "solar".into(),
        account: One::to(&ann),
        ..Default::default()
    }
    .track();
    session.add(&solar)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "SELECT settings.id, settings.theme, settings.account_id FROM settings WHERE ? = settings.account_id (1,)",
            "DELETE FROM settings WHERE settings.id = ? (1,)",
            "INSERT INTO settings (theme, account_id) VALUES (?, ?) ('solar', 1)",
        ]
    );
    assert_eq!(db.table(SETTINGS), ["2, 'light', 2", "3, 'solar', 1"]);
    assert!(ann.read()?.settings.get()? == Some(solar.clone()));
    Ok(())
}

#[test]
fn two_holders_exchanging_targets_free_the_key_in_between() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    let bob = session.get::<Person>(2)?.expect("Bob");
    let a1 = session.get::<Passport>(1)?.expect("A-1");
    let b2 = session.get::<Passport>(2)?.expect("B-2");
    a1.read()?.person.set(&bob)?;
    b2.read()?.person.set(&alice)?;
    assert!(held(&alice)? == Some(b2.clone()) && held(&bob)? == Some(a1.clone()));
    db.forget();
    session.commit()?;
    // B-2 takes person_id = 1 while A-1 still holds it: A-1's key is set NULL first, and
    // A-1's own UPDATE writes its new key after.
    assert_eq!(
        db.sql(),
        [
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 1)",
            "UPDATE passport SET person_id=? WHERE passport.id = ? (1, 2)",
            "UPDATE passport SET person_id=? WHERE passport.id = ? (2, 1)",
        ]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', 2", "2, 'B-2', 1"]);
    assert!(holder(&a1)? == Some(bob.clone()) && holder(&b2)? == Some(alice.clone()));
    assert!(held(&alice)? == Some(b2.clone()) && held(&bob)? == Some(a1.clone()));
    Ok(())
}

#[test]
fn a_target_taken_from_another_holder_whose_side_is_not_loaded_unsets_both() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let alice = session.get::<Person>(1)?.expect("Alice");
    let bob = session.get::<Person>(2)?.expect("Bob");
    let b2 = session.get::<Passport>(2)?.expect("B-2");
    alice.read()?.passport.set(&b2)?; // loads Alice's A-1 and B-2's holder Bob
    let a1 = session.get::<Passport>(1)?.expect("A-1");
    assert!(holder(&a1)?.is_none() && held(&bob)?.is_none());
    assert!(holder(&b2)? == Some(alice.clone()));
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "UPDATE passport SET person_id=? WHERE passport.id = ? (NULL, 1)",
            "UPDATE passport SET person_id=? WHERE passport.id = ? (1, 2)",
        ]
    );
    assert_eq!(db.table(PASSPORTS), ["1, 'A-1', NULL", "2, 'B-2', 1"]);
    Ok(())
}
