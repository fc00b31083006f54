//! Deleting the parent of a one-to-many: its children's foreign keys are set to NULL (they
//! were loaded by `Session::delete`), or, with `delete_orphan`, the children are deleted too;
//! a child whose foreign key cannot be NULL is a clear error, before anything is written.

use crate::common;

use common::one_to_many::{hero, team, Hero, Team};
use common::Db;
use orm::prelude::*;
use orm::Error;

#[test]
fn deleting_a_team_unsets_its_heroes_team_id() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let t = team("Preventers");
    let (a, b) = (hero("A"), hero("B"));
    t.read()?.heroes.replace([a.clone(), b.clone()])?;
    session.add(&t)?;
    session.commit()?;
    db.forget();

    session.delete(&t)?; // loads the heroes now
    assert_eq!(
        db.sql(),
        ["SELECT hero.id, hero.name, hero.secret_name, hero.age, hero.team_id FROM hero WHERE ? = hero.team_id (1,)"]
    );
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            "UPDATE hero SET team_id=? WHERE hero.id = ? (NULL, 1)",
            "UPDATE hero SET team_id=? WHERE hero.id = ? (NULL, 2)",
            "DELETE FROM team WHERE team.id = ? (1,)",
        ]
    );
    assert_eq!(
        db.table("SELECT id, team_id FROM hero"),
        ["1, NULL", "2, NULL"]
    );
    assert_eq!(db.table("SELECT count(*) FROM team"), ["0"]);
    assert_eq!(a.read()?.team_id, None);
    Ok(())
}

mod owned {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Album {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub title: String,
        #[orm(relationship(back_populates = "album", delete_orphan))]
        pub tracks: Many<Track>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Track {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub title: String,
        #[orm(foreign_key = "album.id")]
        pub album_id: i64,
        #[orm(relationship(back_populates = "tracks"))]
        pub album: One<Album>,
    }

    pub fn track(title: &str) -> Tracked<Track> {
        Track {
            title: title.into(),
            ..Default::default()
        }
        .track()
    }
}

#[test]
fn deleting_a_parent_with_delete_orphan_deletes_its_children_first() -> orm::Result<()> {
    use owned::{track, Album, Track};
    let db = Db::new::<(Album, Track)>();
    let session = db.session();
    let album = Album {
        title: "Blue".into(),
        tracks: Many::from([track("One"), track("Two")]),
        ..Default::default()
    }
    .track();
    session.add(&album)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT id, title, album_id FROM track"),
        ["1, 'One', 1", "2, 'Two', 1"]
    );
    db.forget();

    session.delete(&album)?;
    session.commit()?;
    let sql = db.sql();
    assert_eq!(
        sql[1..],
        [
            "DELETE FROM track WHERE track.id = ? (1,)",
            "DELETE FROM track WHERE track.id = ? (2,)",
            "DELETE FROM album WHERE album.id = ? (1,)",
        ]
    );
    assert_eq!(db.table("SELECT count(*) FROM track"), ["0"]);
    Ok(())
}

#[test]
fn removing_a_member_with_delete_orphan_deletes_it() -> orm::Result<()> {
    use owned::{track, Album, Track};
    let db = Db::new::<(Album, Track)>();
    let session = db.session();
    let (one, two) = (track("One"), track("Two"));
    let album = Album {
        title: "Blue".into(),
        tracks: Many::from([&one, &two]),
        ..Default::default()
    }
    .track();
    session.add(&album)?;
    session.commit()?;
    album.read()?.tracks.remove(&one)?;
    assert!(
        one.read()?.album.get()?.is_none(),
        "the other side, in memory"
    );
    db.forget();
    session.commit()?;
    assert_eq!(db.sql(), ["DELETE FROM track WHERE track.id = ? (1,)"]);
    assert_eq!(db.table("SELECT id, title FROM track"), ["2, 'Two'"]);
    Ok(())
}

mod required {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Owner {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(relationship(back_populates = "owner"))]
        pub pets: Many<Pet>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Pet {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "owner.id")]
        pub owner_id: i64,
        #[orm(relationship(back_populates = "pets"))]
        pub owner: One<Owner>,
    }
}

#[test]
fn deleting_a_parent_whose_children_need_it_is_refused_before_any_write() -> orm::Result<()> {
    use required::{Owner, Pet};
    let db = Db::new::<(Owner, Pet)>();
    let session = db.session();
    let owner = Owner {
        pets: Many::from([Pet::default().track()]),
        ..Default::default()
    }
    .track();
    session.add(&owner)?;
    session.commit()?;
    session.delete(&owner)?;
    db.forget();
    let err = session.commit().unwrap_err();
    assert!(
        matches!(err, Error::Relationship { field: "pets", .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("pet.owner_id = NULL, which cannot be NULL"),
        "{err}"
    );
    assert!(db.sql().is_empty(), "nothing written");
    assert_eq!(db.table("SELECT count(*) FROM owner"), ["1"]);
    Ok(())
}

#[test]
fn a_new_member_pushed_and_removed_again_is_not_written() -> orm::Result<()> {
    use owned::{track, Album, Track};
    let db = Db::new::<(Album, Track)>();
    let session = db.session();
    let album = Album {
        title: "Blue".into(),
        ..Default::default()
    }
    .track();
    session.add(&album)?;
    session.commit()?;
    let passing = track("Passing");
    album.read()?.tracks.push(&passing)?; // joins the session through the cascade
    assert_eq!(passing.status(), orm::Status::Pending);
    album.read()?.tracks.remove(&passing)?;
    db.forget();
    session.commit()?;
    assert!(db.sql().is_empty(), "{:?}", db.sql());
    assert_eq!(
        passing.status(),
        orm::Status::Transient,
        "it left the session"
    );
    assert_eq!(db.table("SELECT count(*) FROM track"), ["0"]);
    Ok(())
}

#[test]
fn an_object_whose_delete_was_committed_cannot_be_added_or_deleted_again() -> orm::Result<()> {
    use common::one_to_many::{hero, Hero, Team};
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let deadpond = hero("Deadpond");
    session.add(&deadpond)?;
    session.commit()?;
    assert_eq!(deadpond.read()?.name, "Deadpond"); // reloaded after the commit
    session.delete(&deadpond)?;
    session.commit()?;
    assert_eq!(deadpond.status(), orm::Status::Detached);
    assert_eq!(
        deadpond.read()?.name,
        "Deadpond",
        "what it held stays readable"
    );
    db.forget();

    let err = session.add(&deadpond).expect_err("its row is gone");
    assert_eq!(
        err.to_string(),
        "Hero object (1) was deleted and its row is gone; to insert the row again, build a new object"
    );
    assert!(matches!(
        session.delete(&deadpond),
        Err(orm::Error::Deleted { .. })
    ));
    session.commit()?;
    assert!(db.sql().is_empty(), "nothing was written");
    Ok(())
}

/// A tree whose children are owned by their parent (`delete_orphan`).
mod tree {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Folder {
        #[orm(primary_key)]
        pub id: Option<i64>,
        pub name: String,
        #[orm(foreign_key = "folder.id")]
        pub parent_id: Option<i64>,
        #[orm(relationship(back_populates = "children"))]
        pub parent: One<Folder>,
        #[orm(relationship(back_populates = "parent", delete_orphan))]
        pub children: Many<Folder>,
    }

    pub fn folder(name: &str, parent: Option<&Tracked<Folder>>) -> Tracked<Folder> {
        Folder {
            name: name.into(),
            parent: parent.map_or_else(One::none, One::to),
            ..Default::default()
        }
        .track()
    }
}

/// root > a > a1 > a2, root > b; committed, then a fresh session.
fn folders() -> orm::Result<Db> {
    use tree::*;
    let db = Db::new::<(Folder,)>();
    let session = db.session();
    let root = folder("root", None);
    let a = folder("a", Some(&root));
    let a1 = folder("a1", Some(&a));
    folder("a2", Some(&a1));
    folder("b", Some(&root));
    session.add(&root)?;
    session.commit()?;
    db.forget();
    Ok(db)
}

#[test]
fn deleting_an_owner_deletes_its_whole_unloaded_subtree_leaves_first() -> orm::Result<()> {
    use tree::Folder;
    let db = folders()?;
    let session = db.session();
    let root = session.get::<Folder>(1)?.expect("root");
    session.delete(&root)?;
    session.commit()?;
    let deletes: Vec<String> = db
        .sql()
        .into_iter()
        .filter(|l| l.starts_with("DELETE"))
        .collect();
    // Ids by level: root 1; a 2, b 3; a1 4; a2 5. Children before their parents.
    let expected =
        [3, 5, 4, 2, 1].map(|id| format!("DELETE FROM folder WHERE folder.id = ? ({id},)"));
    assert_eq!(deletes, expected);
    assert!(db.table("SELECT id FROM folder").is_empty());
    Ok(())
}

#[test]
fn orphaning_an_owned_child_deletes_its_unloaded_subtree() -> orm::Result<()> {
    use tree::Folder;
    let db = folders()?;
    let session = db.session();
    let root = session.get::<Folder>(1)?.expect("root");
    let a = session.get::<Folder>(2)?.expect("a");
    root.read()?.children.remove(&a)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT name FROM folder ORDER BY id"),
        ["'root'", "'b'"],
        "a, a1 and a2 are gone"
    );
    Ok(())
}

#[test]
fn an_orphan_stays_an_orphan_when_its_old_owner_is_deleted_too() -> orm::Result<()> {
    use tree::Folder;
    let db = folders()?;
    let session = db.session();
    let root = session.get::<Folder>(1)?.expect("root");
    let a = session.get::<Folder>(2)?.expect("a");
    root.read()?.children.remove(&a)?;
    session.delete(&root)?;
    session.commit()?;
    assert!(
        db.table("SELECT name FROM folder").is_empty(),
        "a went with its subtree"
    );

    // Given a new owner, it survives.
    let db = folders()?;
    let session = db.session();
    let root = session.get::<Folder>(1)?.expect("root");
    let a = session.get::<Folder>(2)?.expect("a");
    let keeper = tree::folder("keeper", None);
    session.add(&keeper)?;
    root.read()?.children.remove(&a)?;
    keeper.read()?.children.push(&a)?;
    session.delete(&root)?;
    session.commit()?;
    assert_eq!(
        db.table("SELECT name FROM folder ORDER BY id"),
        ["'a'", "'a1'", "'a2'", "'keeper'"]
    );
    assert_eq!(a.read()?.parent.get()?, Some(keeper));
    Ok(())
}

#[test]
fn adding_a_deleted_object_undoes_the_delete_until_it_is_flushed() -> orm::Result<()> {
    let db = Db::new::<(Team, Hero)>();
    let session = db.session();
    let deadpond = hero("Deadpond");
    session.add(&deadpond)?;
    session.commit()?;
    let deadpond = session.get::<Hero>(1)?.expect("row");
    // Marked, then added back before a flush: no longer deleted.
    session.delete(&deadpond)?;
    assert_eq!(deadpond.status(), orm::Status::Deleted);
    session.add(&deadpond)?;
    assert_eq!(deadpond.status(), orm::Status::Persistent);
    session.commit()?;
    assert_eq!(db.table("SELECT name FROM hero"), ["'Deadpond'"]);
    // Deleted by a flush: its row is gone, adding it is an error.
    let deadpond = session.get::<Hero>(1)?.expect("row");
    session.delete(&deadpond)?;
    session.flush()?;
    assert!(matches!(session.add(&deadpond), Err(Error::Deleted { .. })));
    session.commit()?;
    assert!(db.table("SELECT name FROM hero").is_empty());
    Ok(())
}
