//! `Session::is_modified` and `Session::history`: what changed on an object since it was
//! loaded, per column and through its relationships, without running SQL; cleared by the
//! flush that writes it.

use crate::common;

use common::one_to_many::{Hero, Team};
use common::Db;

#[test]
fn history_and_is_modified_follow_columns_and_relationships_and_the_flush() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    db.raw(
        "INSERT INTO team (id, name, headquarters) VALUES (1, 'Preventers', 'Sharp Tower'), (2, 'Z-Force', 'Bar');
         INSERT INTO hero (id, name, secret_name, age, team_id) VALUES (1, 'Rusty-Man', 'Tommy Sharp', 48, 1);",
    );
    let session = db.session();
    let hero = session.get::<Hero>(1)?.expect("hero");
    let z_force = session.get::<Team>(2)?.expect("Z-Force");
    db.forget();
    assert!(!session.is_modified(&hero));
    let age = session.history(&hero, Hero::age)?;
    assert_eq!(
        (age.unchanged, age.added, age.deleted),
        (Some(Some(48)), None, None)
    );

    hero.write()?.age = Some(49);
    let age = session.history(&hero, Hero::age)?;
    assert_eq!(
        (age.unchanged, age.added, age.deleted),
        (None, Some(Some(49)), Some(Some(48)))
    );
    assert!(session.is_modified(&hero));
    hero.write()?.age = Some(48); // back to the row's value
    assert!(!session.is_modified(&hero));

    assert_eq!(db.sql(), Vec::<String>::new(), "inspecting ran no SQL");

    // A relationship change counts (setting it loads the old team, to unset its side).
    hero.read()?.team.set(&z_force)?;
    assert_eq!(
        db.sql(),
        ["SELECT team.id, team.name, team.headquarters FROM team WHERE team.id = ? (1,)"]
    );
    assert!(session.is_modified(&hero));
    session.flush()?;
    assert_eq!(
        db.sql(),
        ["UPDATE hero SET team_id=? WHERE hero.id = ? (2, 1)"]
    );
    assert!(!session.is_modified(&hero));
    let team_id = session.history(&hero, Hero::team_id)?;
    assert_eq!(team_id.unchanged, Some(Some(2)));
    session.commit()?;
    assert_eq!(db.table("SELECT id, age, team_id FROM hero"), ["1, 48, 2"]);
    assert!(z_force.read()?.heroes.contains(&hero)?);
    Ok(())
}
