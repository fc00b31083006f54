//! Two tables that refer to each other (a person's favourite ball, balls owned by persons):
//! `relationship(post_update)` writes one foreign key with an UPDATE after both rows exist,
//! and sets it to NULL before either is deleted, as SQLAlchemy's `post_update=True` does.

use crate::common;

use common::Db;
use orm::prelude::*;

#[derive(Table, Debug, Default)]
pub struct Person {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub name: String,
    #[orm(foreign_key = "ball.id")]
    pub favourite_ball_id: Option<i64>,
    #[orm(relationship(post_update))]
    pub favourite_ball: One<Ball>,
    #[orm(relationship(back_populates = "owner"))]
    pub balls: Many<Ball>,
}

#[derive(Table, Debug, Default)]
pub struct Ball {
    #[orm(primary_key)]
    pub id: Option<i64>,
    pub color: String,
    #[orm(foreign_key = "person.id")]
    pub owner_id: Option<i64>,
    #[orm(relationship(back_populates = "balls"))]
    pub owner: One<Person>,
}

#[test]
fn a_cycle_between_two_tables_is_written_with_a_post_update() -> orm::Result<()> {
    let db = Db::new::<(Person, Ball)>();
    let session = db.session();
    let person = Person {
        name: "Ann".into(),
        ..Default::default()
    }
    .track();
    let red = Ball {
        color: "red".into(),
        owner: One::to(&person),
        ..Default::default()
    }
    .track();
    let blue = Ball {
        color: "blue".into(),
        owner: One::to(&person),
        ..Default::default()
    }
    .track();
    person.read()?.favourite_ball.set(&blue)?;
    session.add(&person)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        [
            // The person first, with NULL for the key that closes the cycle; the balls (the
            // favourite reached first); then that key.
            "INSERT INTO person (name, favourite_ball_id) VALUES (?, ?) ('Ann', NULL)",
            "INSERT INTO ball (color, owner_id) VALUES (?, ?) ('blue', 1)",
            "INSERT INTO ball (color, owner_id) VALUES (?, ?) ('red', 1)",
            "UPDATE person SET favourite_ball_id=? WHERE person.id = ? (1, 1)",
        ]
    );
    assert_eq!(
        db.table("SELECT name, favourite_ball_id FROM person"),
        ["'Ann', 1"]
    );
    assert_eq!(person.read()?.favourite_ball_id, Some(1));
    assert_eq!(
        person.read()?.balls.to_vec()?,
        vec![blue.clone(), red.clone()]
    );
    db.forget();

    // Changing the favourite: one UPDATE.
    person.read()?.favourite_ball.set(&red)?;
    session.commit()?;
    assert_eq!(
        db.sql(),
        ["UPDATE person SET favourite_ball_id=? WHERE person.id = ? (2, 1)"]
    );

    // Deleting both: the key is set to NULL first, then the rows go.
    let session = db.session();
    let person = session.get::<Person>(1)?.expect("person");
    for ball in person.read()?.balls.to_vec()? {
        session.delete(&ball)?;
    }
    session.delete(&person)?;
    db.forget();
    session.commit()?;
    let writes: Vec<String> = db
        .sql()
        .into_iter()
        .filter(|s| !s.starts_with("SELECT"))
        .collect();
    assert_eq!(
        writes,
        [
            "UPDATE person SET favourite_ball_id=? WHERE person.id = ? (NULL, 1)",
            "DELETE FROM ball WHERE ball.id = ? (1,)",
            "DELETE FROM ball WHERE ball.id = ? (2,)",
            "DELETE FROM person WHERE person.id = ? (1,)",
        ]
    );
    assert!(db.table("SELECT id FROM person").is_empty());
    Ok(())
}

/// The same cycle without `post_update`.
mod plain {
    use orm::prelude::*;

    #[derive(Table, Debug, Default)]
    pub struct Player {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "puck.id")]
        pub favourite_puck_id: Option<i64>,
        #[orm(relationship)]
        pub favourite_puck: One<Puck>,
    }

    #[derive(Table, Debug, Default)]
    pub struct Puck {
        #[orm(primary_key)]
        pub id: Option<i64>,
        #[orm(foreign_key = "player.id")]
        pub owner_id: Option<i64>,
        #[orm(relationship)]
        pub owner: One<Player>,
    }
}

#[test]
fn without_post_update_a_cycle_is_a_clear_error_and_nothing_is_written() -> orm::Result<()> {
    use plain::{Player, Puck};
    let db = Db::new::<(Player, Puck)>();
    let session = db.session();
    let player = Player::default().track();
    let puck = Puck {
        owner: One::to(&player),
        ..Default::default()
    }
    .track();
    player.read()?.favourite_puck.set(&puck)?;
    session.add(&player)?;
    let err = session.commit().expect_err("a cycle");
    assert!(err.to_string().contains("dependency cycle"), "{err}");
    assert!(db.table("SELECT id FROM player").is_empty());
    Ok(())
}
