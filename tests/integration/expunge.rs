//! `expunge`, `expunge_all` and `make_transient`: objects leave the session without being
//! written or deleted; the identity map forgets them; the transaction goes on.

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::{Error, Status};

type Models = (Team, Hero);

fn seeded() -> Db {
    let db = Db::new::<Models>();
    db.raw(
        "INSERT INTO team (id, name, headquarters) VALUES (1, 'Preventers', 'Tower');
         INSERT INTO hero (id, name, secret_name, age, team_id) VALUES
             (1, 'Rusty-Man', 'Tommy', 48, 1), (2, 'Spider-Boy', 'Pedro', NULL, 1);",
    );
    db
}

#[test]
fn an_expunged_object_is_not_written_and_the_next_get_loads_a_new_one() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let rusty = session.get::<Hero>(1)?.expect("hero 1");
    rusty.write()?.age = Some(49);
    session.expunge(&rusty)?;
    assert_eq!(rusty.status(), Status::Detached);
    assert_eq!(rusty.read()?.age, Some(49)); // still readable
    db.forget();
    session.commit()?;
    assert!(db.sql().is_empty(), "nothing written");
    let again = session.get::<Hero>(1)?.expect("hero 1");
    assert!(again != rusty);
    assert_eq!(again.read()?.age, Some(48));
    assert_eq!(db.table("SELECT age FROM hero WHERE id = 1"), ["48"]);
    // Not in the session any more.
    assert!(matches!(
        session.expunge(&rusty),
        Err(Error::Detached { .. })
    ));
    Ok(())
}

#[test]
fn an_expunged_pending_object_becomes_transient_and_is_not_inserted() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let new = hero("Tarantula");
    let kept = hero("Black Lion");
    session.add_all([&new, &kept])?;
    session.expunge(&new)?;
    assert_eq!(new.status(), Status::Transient);
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('Black Lion', 'secret Black Lion', NULL, NULL)"]
    );
    Ok(())
}

#[test]
fn expunge_all_forgets_every_object_and_pending_delete() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let rusty = session.get::<Hero>(1)?.expect("hero 1");
    let spider_boy = session.get::<Hero>(2)?.expect("hero 2");
    let preventers = team("Avengers");
    session.add(&preventers)?;
    session.delete(&spider_boy)?;
    rusty.write()?.name = "Changed".into();
    session.expunge_all()?;
    assert_eq!(rusty.status(), Status::Detached);
    assert_eq!(spider_boy.status(), Status::Detached);
    assert_eq!(preventers.status(), Status::Transient);
    db.forget();
    session.commit()?;
    assert!(db.sql().is_empty(), "nothing written");
    assert_eq!(
        db.table("SELECT id, name FROM hero ORDER BY id"),
        ["1, 'Rusty-Man'", "2, 'Spider-Boy'"]
    );
    // The session goes on.
    session.add(&preventers)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT name FROM team ORDER BY id"),
        ["'Preventers'", "'Avengers'"]
    );
    Ok(())
}

#[test]
fn make_transient_turns_a_loaded_row_into_a_new_one() -> orm::Result<()> {
    let db = seeded();
    let session = db.session();
    let rusty = session.get::<Hero>(1)?.expect("hero 1");
    session.commit()?; // expired: make_transient loads it first
    session.make_transient(&rusty)?;
    assert_eq!(rusty.status(), Status::Transient);
    assert_eq!(rusty.key(), None);
    assert_eq!(rusty.read()?.name, "Rusty-Man");
    rusty.write()?.id = None;
    rusty.write()?.name = "Rusty-Man II".into();
    session.add(&rusty)?;
    db.forget();
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["INSERT INTO hero (name, secret_name, age, team_id) VALUES (?, ?, ?, ?) ('Rusty-Man II', 'Tommy', 48, 1)"]
    );
    assert_eq!(
        db.table("SELECT id, name FROM hero ORDER BY id"),
        ["1, 'Rusty-Man'", "2, 'Spider-Boy'", "3, 'Rusty-Man II'"]
    );
    Ok(())
}
